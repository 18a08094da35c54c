"""GET /api/v1/health (functions/health): every table and state machine it is given, the
version, and 503 "unhealthy" as soon as one dependency is not healthy. On moto."""

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
    with mock_aws():
        import health.handler as handler

        monkeypatch.setattr(handler, "_dynamodb", boto3.client("dynamodb", region_name=REGION))
        monkeypatch.setattr(handler, "_stepfunctions", boto3.client("stepfunctions", region_name=REGION))
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


def call(handler) -> tuple[int, dict]:
    response = handler.app.resolve(EVENT, None)
    return response["statusCode"], json.loads(response["body"])


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
