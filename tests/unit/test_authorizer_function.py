"""The API's REQUEST authorizer (functions/authorizer): an API key's role tag -> the IAM policy of
exactly the routes that role may call (shared/roles.py), judged with the gateway's own policy
evaluation; missing, unknown, disabled and untagged keys -> "Unauthorized". The handler runs on
moto's API Gateway (GetApiKeys with values and tags)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import boto3
import pytest
from moto import mock_aws

from authorizer.dal.api_keys import UNKNOWN_KEY_REREAD_SECONDS, ApiKeyCache, ApiKeyRecord
from authorizer.logic.policy import Unauthorized, authorizer_response, policy_resource, role_of
from gateway import responses as gr
from gateway.authorizer import evaluate, method_arn, parse_authorizer_output
from infra.openapi import load_template, template_routes
from shared.roles import ADMIN, PERMISSIONS, ROLES, STORE, may_call, routes_of

REGION = "us-east-1"
ARN = "arn:aws:execute-api:us-east-1:123456789012:api1/prod/GET/api/v1/products"


def _key(role: str | None = "store", enabled: bool = True) -> ApiKeyRecord:
    return ApiKeyRecord(id="k1", name="retail-store", enabled=enabled, role=role)


def _routes() -> set[tuple[str, str]]:
    """Every route of the roles table and of the template (web pages and health have no authorizer)."""
    template = {(method.upper(), path) for method, path in template_routes(load_template())
                if path != "/api/v1/health" and path != "/" and path != "/ui" and not path.startswith("/ui/")}
    return template | set(PERMISSIONS)


@pytest.mark.parametrize("role", ROLES)
def test_the_policy_allows_exactly_the_routes_of_the_role(role):
    result = parse_authorizer_output(json.dumps(authorizer_response(ARN, _key(role), role)))
    for method, resource_path in sorted(_routes()):
        path = re.sub(r"\{[^}]+\}", "42", resource_path)
        arn = method_arn("us-east-1", "123456789012", "api1", "prod", method, path)
        allowed = evaluate(result.statements, arn) is None
        assert allowed is may_call(role, method, resource_path), (role, method, resource_path)
    # the policy answers for every method of the API: its resources are the whole stage, not one method
    assert all(r.startswith("arn:aws:execute-api:us-east-1:123456789012:api1/prod/")
               for s in result.statements for r in s.resources)


def test_the_response_names_the_key_and_its_role():
    response = authorizer_response(ARN, _key(STORE), STORE)
    assert response["principalId"] == "k1"
    assert response["context"] == {"role": "store", "keyName": "retail-store"}
    [statement] = response["policyDocument"]["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == "execute-api:Invoke"
    assert len(statement["Resource"]) == len(routes_of(STORE))
    assert "arn:aws:execute-api:us-east-1:123456789012:api1/prod/GET/api/v1/stock/*/movements" in statement["Resource"]
    admin = authorizer_response(ARN, _key(ADMIN), ADMIN)["policyDocument"]["Statement"]
    assert admin[0]["Resource"] == ["arn:aws:execute-api:us-east-1:123456789012:api1/prod/*/*"]
    scoped = ApiKeyRecord(id="k2", name="retail-store", enabled=True, role=STORE, stores=" 1  2 ")
    assert authorizer_response(ARN, scoped, STORE)["context"] == {"role": "store", "keyName": "retail-store",
                                                                   "stores": "1 2"}


def test_path_parameters_become_wildcards():
    assert policy_resource("/api/v1/customers/{customer_id}/order-processing") == "/api/v1/customers/*/order-processing"
    assert policy_resource("/api/v1/products") == "/api/v1/products"


@pytest.mark.parametrize("key, why", [
    (None, "unknown API key"),
    (_key(enabled=False), "disabled API key"),
    (_key(role=None), "without a known role tag"),
    (_key(role="superuser"), "without a known role tag"),
])
def test_a_key_without_a_usable_role_is_unauthorized(key, why):
    with pytest.raises(Unauthorized) as raised:
        role_of(key)
    assert str(raised.value) == "Unauthorized" and why in raised.value.why


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_key_list_is_read_once_per_ttl_and_sooner_for_a_key_it_does_not_know():
    clock, reads = Clock(), []
    keys = {"v1": _key()}

    def load():
        reads.append(clock.now)
        return dict(keys)

    cache = ApiKeyCache(ttl=60, load=load, clock=clock)
    assert cache.find("v1") == _key() and cache.find("v1") == _key() and reads == [0.0]
    keys["v2"] = _key(ADMIN)
    assert cache.find("v2") is None and reads == [0.0]      # an unknown key does not read at once ...
    clock.now = UNKNOWN_KEY_REREAD_SECONDS
    assert cache.find("v2") == _key(ADMIN) and reads == [0.0, UNKNOWN_KEY_REREAD_SECONDS]   # ... but soon
    keys["v1"] = _key(enabled=False)
    clock.now = 59
    assert cache.find("v1").enabled and len(reads) == 2     # a known key: the list is 54 s old
    clock.now = 65
    assert not cache.find("v1").enabled and len(reads) == 3


# --------------------------------------------------------------------------- the handler, on moto


@dataclass
class Context:
    function_name: str = "retail-AuthorizerFunction"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    aws_request_id: str = "req-1"
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:retail-AuthorizerFunction"


def _event(key: str | None) -> dict:
    headers = {"X-Api-Key": key} if key else {}
    return {"type": "REQUEST", "methodArn": "arn:aws:execute-api:us-east-1:123456789012:api1/prod/POST/api/v1/sales",
            "resource": "/api/v1/sales", "path": "/api/v1/sales", "httpMethod": "POST", "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()}, "queryStringParameters": None,
            "multiValueQueryStringParameters": None, "pathParameters": None, "stageVariables": None,
            "requestContext": {"requestId": "r-1", "stage": "prod", "apiId": "api1"}}


@pytest.fixture
def handler(monkeypatch):
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_API_GATEWAY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {"AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "POWERTOOLS_METRICS_NAMESPACE": "RetailPlatform",
                        "POWERTOOLS_SERVICE_NAME": "authorizer"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        import shared.aws
        from authorizer.handlers import authorizer as module

        monkeypatch.setattr(shared.aws, "_clients", {})
        monkeypatch.setattr(module, "keys", ApiKeyCache(ttl=60))
        if module.metrics.provider.namespace is None:
            monkeypatch.setattr(module.metrics.provider, "namespace", "RetailPlatform")
        apigw = boto3.client("apigateway", region_name=REGION)
        ids = {}
        for name, role, enabled in (("store", "store", True), ("off", "store", False), ("untagged", None, True)):
            tags = {"role": role} if role else {}
            ids[name] = apigw.create_api_key(name=f"retail-{name}", value=f"{name}-key-0123456789abcdef",
                                             enabled=enabled, tags=tags)["id"]
        yield module, ids


def test_a_store_key_gets_the_store_policy_and_context(handler):
    module, ids = handler
    response = module.lambda_handler(_event("store-key-0123456789abcdef"), Context())
    assert response["principalId"] == ids["store"]
    assert response["context"] == {"role": "store", "keyName": "retail-store"}
    result = parse_authorizer_output(json.dumps(response))
    prefix = "arn:aws:execute-api:us-east-1:123456789012:api1/prod"
    assert evaluate(result.statements, f"{prefix}/POST/api/v1/sales") is None
    assert evaluate(result.statements, f"{prefix}/POST/api/v1/customers/1/order-processing") is gr.ACCESS_DENIED


@pytest.mark.parametrize("key", [None, "nobody-key-0123456789abcdef", "off-key-0123456789abcdef",
                                 "untagged-key-0123456789abcdef"])
def test_anything_but_a_usable_key_fails_with_unauthorized(handler, key):
    module, _ = handler
    with pytest.raises(Exception) as raised:
        module.lambda_handler(_event(key), Context())
    assert str(raised.value) == "Unauthorized"
