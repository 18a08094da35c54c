"""Routing of request paths to deployed resources (gateway.router), and the stage prefix."""

from __future__ import annotations

import json

import pytest

from gateway import GatewayServer, InvokeResponse, Router, build_config
from gateway.config import build_resources
from gateway.router import split_path

URI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{}/invocations"


def _method(verb: str, fn: str = "fn", key: bool = False) -> dict:
    return {
        "httpMethod": verb,
        "apiKeyRequired": key,
        "authorizationType": "NONE",
        "methodIntegration": {"type": "AWS_PROXY", "httpMethod": "POST", "uri": URI.format(fn)},
    }


def _resources(spec: dict[str, list[str]]) -> list[dict]:
    """{"/path": ["GET", "ANY"]} -> get_resources(embed=["methods"]) items."""
    items = []
    for i, (path, verbs) in enumerate(spec.items()):
        item = {"id": f"r{i}", "path": path}
        if verbs:
            item["resourceMethods"] = {v: _method(v, fn=f"fn{i}") for v in verbs}
        items.append(item)
    return items


def _router(spec: dict[str, list[str]]) -> Router:
    return Router(build_resources(_resources(spec)))


SPEC = {
    "/": ["GET"],
    "/api": [],
    "/api/v1": [],
    "/api/v1/health": ["GET"],
    "/api/v1/products": ["GET", "POST"],
    "/api/v1/products/{id}": ["GET", "DELETE"],
    "/api/v1/products/{id}/stock": ["PUT"],
    "/api/v1/products/search": ["GET"],
    "/api/v1/{proxy+}": ["ANY"],
    "/files/{key+}": ["GET"],
}


@pytest.fixture(scope="module")
def router() -> Router:
    return _router(SPEC)


def test_split_path():
    assert split_path("/") == []
    assert split_path("") == []
    assert split_path("/a/b/") == ["a", "b"]
    assert split_path("/a%20b/c%2Fd") == ["a b", "c/d"]


def test_static_route(router):
    m = router.match("GET", "/api/v1/health")
    assert m.resource.path == "/api/v1/health"
    assert m.method.http_method == "GET"
    assert m.path_parameters == {}


def test_root_route(router):
    assert router.match("GET", "/").resource.path == "/"


def test_trailing_slash_is_ignored(router):
    assert router.match("GET", "/api/v1/health/").resource.path == "/api/v1/health"


def test_path_parameter(router):
    m = router.match("GET", "/api/v1/products/42")
    assert m.resource.path == "/api/v1/products/{id}"
    assert m.path_parameters == {"id": "42"}


def test_path_parameter_is_percent_decoded(router):
    m = router.match("GET", "/api/v1/products/a%20b")
    assert m.path_parameters == {"id": "a b"}


def test_nested_path_parameter(router):
    m = router.match("PUT", "/api/v1/products/42/stock")
    assert m.resource.path == "/api/v1/products/{id}/stock"
    assert m.path_parameters == {"id": "42"}


def test_literal_segment_wins_over_parameter(router):
    m = router.match("GET", "/api/v1/products/search")
    assert m.resource.path == "/api/v1/products/search"
    assert m.path_parameters == {}


def test_parameter_wins_over_greedy(router):
    m = router.match("DELETE", "/api/v1/products/7")
    assert m.resource.path == "/api/v1/products/{id}"


def test_greedy_proxy_catches_the_rest(router):
    m = router.match("PATCH", "/api/v1/orders/12/lines/3")
    assert m.resource.path == "/api/v1/{proxy+}"
    assert m.method.http_method == "ANY"
    assert m.path_parameters == {"proxy": "orders/12/lines/3"}


def test_method_missing_on_specific_resource_falls_back_to_greedy_any(router):
    # /api/v1/health has only GET; POST is answered by the ANY of {proxy+}
    m = router.match("POST", "/api/v1/health")
    assert m.resource.path == "/api/v1/{proxy+}"
    assert m.path_parameters == {"proxy": "health"}


def test_greedy_needs_at_least_one_segment(router):
    assert router.match("GET", "/files") is None
    m = router.match("GET", "/files/a/b.txt")
    assert m.path_parameters == {"key": "a/b.txt"}


def test_unknown_path_or_method_is_none(router):
    assert router.match("GET", "/nope") is None
    assert router.match("POST", "/") is None
    assert router.match("GET", "/api") is None  # resource without methods
    assert router.match("BREW", "/files/x") is None


# --------------------------------------------------------------------- over HTTP


def _canned_invoker(arn, payload, timeout):
    event = json.loads(payload)
    body = {"fn": arn.rsplit(":", 1)[-1], "resource": event["resource"], "path": event["path"],
            "pathParameters": event["pathParameters"], "contextPath": event["requestContext"]["path"]}
    return InvokeResponse(200, json.dumps({"statusCode": 200, "body": json.dumps(body)}).encode())


@pytest.fixture(scope="module")
def server():
    cfg = build_config(
        rest_api={"id": "api1", "name": "retail-api"},
        stage={"stageName": "prod", "deploymentId": "dep1"},
        resources=_resources(SPEC),
        usage_plans=[],
        api_keys=[],
        usage_plan_keys={},
        region="us-east-1",
    )
    gw = GatewayServer(port=0, loader=lambda: cfg, invoker=_canned_invoker, refresh_interval=0)
    gw.start()
    yield gw
    gw.stop()


def test_stage_served_at_root(server, http):
    r = http.request("GET", f"{server.url}/api/v1/products/9")
    assert r.status == 200
    body = json.loads(r.data)
    assert body["resource"] == "/api/v1/products/{id}"
    assert body["path"] == "/api/v1/products/9"
    assert body["pathParameters"] == {"id": "9"}


def test_stage_prefix_is_accepted(server, http):
    r = http.request("GET", f"{server.url}/prod/api/v1/products/9")
    assert r.status == 200
    body = json.loads(r.data)
    assert body["resource"] == "/api/v1/products/{id}"
    assert body["path"] == "/api/v1/products/9"  # event.path is relative to the stage
    assert body["contextPath"] == "/prod/api/v1/products/9"  # requestContext.path as requested


def test_unknown_path_is_missing_authentication_token(server, http):
    for method, path in [("GET", "/nope"), ("POST", "/"), ("GET", "/prod/nope"), ("BREW", "/files/x"), ("DELETE", "/files/x")]:
        r = http.request(method, f"{server.url}{path}")
        assert r.status == 403, (method, path)
        assert json.loads(r.data) == {"message": "Missing Authentication Token"}
        assert r.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
        assert r.headers["Content-Type"] == "application/json"
        assert r.headers["x-amzn-RequestId"]


def test_query_string_does_not_affect_routing(server, http):
    r = http.request("GET", f"{server.url}/api/v1/health?x=1&y=2")
    assert r.status == 200
    assert json.loads(r.data)["resource"] == "/api/v1/health"
