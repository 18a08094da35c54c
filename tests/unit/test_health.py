"""The health routes (functions/health): every table and state machine it is given, the version,
and 503 "unhealthy" as soon as one dependency is not healthy; the public route says only status
and version; one check answers for HEALTH_CACHE_SECONDS; /me reads the authorizer's context. On moto."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from shared.version import __version__

REGION = "us-east-1"
EVENT = {"resource": "/api/v1/health", "path": "/api/v1/health", "httpMethod": "GET", "headers": {},
         "requestContext": {"requestId": "health-unit", "stage": "prod", "resourcePath": "/api/v1/health",
                            "httpMethod": "GET"}}
DEFINITION = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


@pytest.fixture
def aws(monkeypatch):
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("HEALTH_CACHE_SECONDS", "0")
    with mock_aws():
        import health.handlers.api as handler
        from shared import aws as shared_aws
        from health.logic import health as logic

        monkeypatch.setattr(shared_aws, "_clients", {})  # clients made inside this mock
        monkeypatch.setattr(logic, "_last", None)
        ddb = boto3.client("dynamodb", region_name=REGION)
        for name in ("t1", "t2"):
            ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                             BillingMode="PAY_PER_REQUEST")
        sfn = boto3.client("stepfunctions", region_name=REGION)
        arn = sfn.create_state_machine(name="retail-order-saga", definition=DEFINITION,
                                       roleArn="arn:aws:iam::123456789012:role/r")["stateMachineArn"]
        monkeypatch.setenv("HEALTH_TABLES", "t1,t2")
        monkeypatch.setenv("HEALTH_STATE_MACHINES", arn)
        monkeypatch.setenv("STAGE", "prod")
        yield handler, arn


def call(handler, path: str = "/api/v1/health/details", authorizer: dict | None = None) -> tuple[int, dict]:
    event = {**EVENT, "resource": path, "path": path,
             "requestContext": {**EVENT["requestContext"], "resourcePath": path, "authorizer": authorizer}}
    response = handler.app.resolve(event, None)
    return response["statusCode"], json.loads(response["body"])


def test_the_public_answer_is_status_and_version_only(aws):
    handler, _ = aws
    assert call(handler, "/api/v1/health") == (200, {"status": "healthy", "version": __version__})


def test_the_public_answer_is_503_when_a_dependency_is_down(aws, monkeypatch):
    handler, _ = aws
    monkeypatch.setenv("HEALTH_TABLES", "t1,missing")
    assert call(handler, "/api/v1/health") == (503, {"status": "unhealthy", "version": __version__})


def test_one_check_answers_for_the_cache_time(aws, monkeypatch):
    handler, _ = aws
    from health.dal import dependencies

    calls = []
    real = dependencies.check_table
    monkeypatch.setattr(dependencies, "check_table", lambda name: calls.append(name) or real(name))
    monkeypatch.setenv("HEALTH_CACHE_SECONDS", "60")
    for _ in range(5):
        assert call(handler, "/api/v1/health")[0] == 200
    status, body = call(handler)
    assert calls == ["t1", "t2"]  # one check for six requests
    assert status == 200 and body["age_seconds"] >= 0 and body["checked_at"].endswith("Z")
    monkeypatch.setenv("HEALTH_CACHE_SECONDS", "0")
    call(handler, "/api/v1/health")
    assert calls == ["t1", "t2", "t1", "t2"]


def test_me_is_the_authorizer_context(aws):
    handler, _ = aws
    status, body = call(handler, "/api/v1/me", {"principalId": "k123", "role": "store", "keyName": "retail-store"})
    assert status == 200
    assert body["role"] == "store" and body["principal_id"] == "k123" and body["key_name"] == "retail-store"
    assert "POST /api/v1/sales" in body["routes"] and "POST /api/v1/products" not in body["routes"]


def test_me_without_an_authorizer_context_is_403(aws):
    handler, _ = aws
    status, body = call(handler, "/api/v1/me")
    assert status == 403 and body["error"]["code"] == "no_caller"


def test_every_dependency_healthy(aws):
    handler, arn = aws
    status, body = call(handler)
    assert status == 200
    assert body["status"] == "healthy" and body["version"] == __version__ and body["stage"] == "prod"
    deps = {d["name"]: d for d in body["dependencies"]}
    assert {"t1", "t2", "retail-order-saga"} == set(deps)
    assert deps["t1"]["type"] == "dynamodb" and deps["t1"]["status"] == "ACTIVE" and deps["t1"]["healthy"]
    machine = deps["retail-order-saga"]
    assert machine == {**machine, "type": "stepfunctions", "arn": arn, "status": "ACTIVE", "healthy": True}


def test_a_missing_state_machine_makes_the_api_unhealthy(aws, monkeypatch):
    handler, arn = aws
    monkeypatch.setenv("HEALTH_STATE_MACHINES", arn.replace("retail-order-saga", "gone"))
    status, body = call(handler)
    assert status == 503 and body["status"] == "unhealthy"
    (bad,) = [d for d in body["dependencies"] if not d["healthy"]]
    assert bad["name"] == "gone" and bad["status"].startswith("unreachable")


def test_a_missing_table_makes_the_api_unhealthy(aws, monkeypatch):
    handler, _ = aws
    monkeypatch.setenv("HEALTH_TABLES", "t1,missing")
    status, body = call(handler)
    assert status == 503 and body["status"] == "unhealthy"
    assert [d["name"] for d in body["dependencies"] if not d["healthy"]] == ["missing"]


def test_the_version_has_one_source():
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    project = tomllib.loads((root / "pyproject.toml").read_text())
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"]["attr"] == "functions.shared.version.__version__"
    assert "SERVICE_VERSION" not in (root / "template.yaml").read_text()
