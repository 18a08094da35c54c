"""Lambda authorizers as API Gateway runs them (gateway/authorizer.py): IAM policy evaluation on
method ARNs, the function's input and output, the result cache, and the gateway over HTTP
(401/403/500, the order authorizer -> key -> usage plan -> stage cache, requestContext.authorizer)."""

from __future__ import annotations

import dataclasses
import json
import threading
from email.message import Message

import pytest

from gateway import GatewayServer, InvokeResponse, build_config, responses as gr
from gateway.authorizer import (
    AuthorizerRunner,
    MalformedAuthorizerResponse,
    Statement,
    arn_matches,
    build_authorizer_event,
    evaluate,
    identity_values,
    method_arn,
    parse_authorizer_output,
)
from gateway.cache import StageCache
from gateway.config import Authorizer, build_authorizers
from gateway.invoker import IntegrationTimeout, IntegrationUnreachable

URI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{}/invocations"
PREFIX = "arn:aws:execute-api:us-east-1:123456789012:api1/prod"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def allow(*resources: str) -> Statement:
    return Statement("Allow", ("execute-api:Invoke",), resources)


def deny(*resources: str) -> Statement:
    return Statement("Deny", ("execute-api:Invoke",), resources)


# --------------------------------------------------------------------------- policy evaluation


def test_method_arn_is_the_request_path_under_api_and_stage():
    assert method_arn("us-east-1", "123456789012", "api1", "prod", "GET", "/api/v1/products/7") \
        == f"{PREFIX}/GET/api/v1/products/7"
    assert method_arn("us-east-1", "123456789012", "api1", "prod", "GET", "/") == f"{PREFIX}/GET/"


@pytest.mark.parametrize("pattern, arn, matches", [
    (f"{PREFIX}/GET/api/v1/products", f"{PREFIX}/GET/api/v1/products", True),
    (f"{PREFIX}/GET/api/v1/products", f"{PREFIX}/GET/api/v1/products/7", False),
    (f"{PREFIX}/GET/api/v1/products/*", f"{PREFIX}/GET/api/v1/products/7", True),
    (f"{PREFIX}/GET/api/v1/products/*", f"{PREFIX}/POST/api/v1/products/7", False),
    (f"{PREFIX}/*/*", f"{PREFIX}/DELETE/api/v1/products/7", True),          # "*" spans "/"
    (f"{PREFIX}/*/api/v1/stock/*/movements", f"{PREFIX}/GET/api/v1/stock/12/movements", True),
    (f"{PREFIX}/GET/api/v1/sales/?", f"{PREFIX}/GET/api/v1/sales/7", True),
    (f"{PREFIX}/GET/api/v1/sales/?", f"{PREFIX}/GET/api/v1/sales/77", False),
    ("arn:aws:execute-api:*:*:api1/prod/*", f"{PREFIX}/GET/x", True),
    ("arn:aws:execute-api:*:*:api2/prod/*", f"{PREFIX}/GET/x", False),
    ("arn:aws:execute-api:*", f"{PREFIX}/GET/x", False),                     # a wildcard stays in its segment
    ("*", f"{PREFIX}/GET/x", True),
    (f"{PREFIX}/get/api/v1/products", f"{PREFIX}/GET/api/v1/products", False),  # ARNs are case-sensitive
    (f"{PREFIX}/GET/api/v1/p[a]", f"{PREFIX}/GET/api/v1/pa", False),             # no character classes
])
def test_resource_patterns_match_as_iam_matches_execute_api_arns(pattern, arn, matches):
    assert arn_matches(pattern, arn) is matches


def test_an_allow_lets_through_and_nothing_else_does():
    arn = f"{PREFIX}/GET/api/v1/products"
    assert evaluate((allow(arn),), arn) is None
    assert evaluate((allow(f"{PREFIX}/POST/api/v1/products"),), arn) is gr.ACCESS_DENIED
    assert evaluate((Statement("Allow", ("execute-api:ManageConnections",), (arn,)),), arn) is gr.ACCESS_DENIED
    assert evaluate((Statement("Allow", ("execute-api:*",), (arn,)),), arn) is None
    assert evaluate((Statement("Allow", ("*",), (arn,)),), arn) is None
    assert evaluate((Statement("Allow", ("Execute-API:invoke",), (arn,)),), arn) is None   # actions ignore case


def test_an_explicit_deny_wins_over_any_allow():
    arn = f"{PREFIX}/POST/api/v1/products"
    statements = (allow(f"{PREFIX}/*/*"), deny(f"{PREFIX}/POST/*"))
    assert evaluate(statements, arn) is gr.ACCESS_DENIED_EXPLICITLY
    assert evaluate(statements, f"{PREFIX}/GET/api/v1/products") is None
    assert gr.ACCESS_DENIED_EXPLICITLY.body == b'{"message":"User is not authorized to access this resource with an explicit deny"}'


# --------------------------------------------------------------------------- output


def test_an_authorizer_response_is_parsed():
    result = parse_authorizer_output(json.dumps({
        "principalId": "key-1",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": [f"{PREFIX}/GET/a", f"{PREFIX}/GET/b"]},
            {"Action": ["execute-api:Invoke"], "Effect": "Deny", "Resource": f"{PREFIX}/POST/a"}]},
        "context": {"role": "store", "n": 1, "ok": True, "gone": None},
    }))
    assert result.principal_id == "key-1"
    assert result.statements == (allow(f"{PREFIX}/GET/a", f"{PREFIX}/GET/b"), deny(f"{PREFIX}/POST/a"))
    assert result.context == {"role": "store", "n": 1, "ok": True}


@pytest.mark.parametrize("output", [
    b"not json",
    b"[]",
    {"policyDocument": {"Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}]}},
    {"principalId": "", "policyDocument": {"Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}]}},
    {"principalId": "p"},
    {"principalId": "p", "policyDocument": "not a policy"},
    {"principalId": "p", "policyDocument": {"Statement": []}},
    {"principalId": "p", "policyDocument": {"Statement": [{"Action": "execute-api:Invoke", "Effect": "Maybe", "Resource": "*"}]}},
    {"principalId": "p", "policyDocument": {"Statement": [{"Action": 3, "Effect": "Allow", "Resource": "*"}]}},
    {"principalId": "p", "policyDocument": {"Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow"}]}},
    {"principalId": "p", "policyDocument": {"Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}]},
     "context": {"nested": {"no": "objects"}}},
])
def test_anything_else_is_a_malformed_response(output):
    with pytest.raises(MalformedAuthorizerResponse):
        parse_authorizer_output(output if isinstance(output, bytes) else json.dumps(output))


# --------------------------------------------------------------------------- input


def _message(**pairs: str) -> Message:
    message = Message()
    for name, value in pairs.items():
        message[name.replace("_", "-")] = value
    return message


AUTHORIZER = build_authorizers([{
    "id": "au1", "name": "RoleAuthorizer", "type": "REQUEST", "authorizerUri": URI.format("authorizer"),
    "identitySource": "method.request.header.x-api-key", "authorizerResultTtlInSeconds": 300}])["au1"]


def test_the_authorizer_is_read_from_the_control_plane():
    assert AUTHORIZER == Authorizer("au1", "RoleAuthorizer", "REQUEST", "arn:aws:lambda:us-east-1:123456789012:function:authorizer",
                                    (("header", "x-api-key"),), 300)
    several = build_authorizers([{"id": "a", "type": "REQUEST", "authorizerUri": URI.format("f"),
                                  "identitySource": "method.request.header.X-Tenant, method.request.querystring.q,stageVariables.v"}])["a"]
    assert several.identity_sources == (("header", "x-tenant"), ("querystring", "q"), ("stageVariables", "v"))
    assert several.ttl_seconds == 300   # API Gateway's default


def test_identity_values_come_from_the_identity_sources():
    several = Authorizer("a", "A", "REQUEST", "f", (("header", "x-api-key"), ("querystring", "q"), ("stageVariables", "v")), 0)
    assert identity_values(several, _message(X_Api_Key="k"), "q=1&q=2", {"v": "s"}) == ("k", "2", "s")
    assert identity_values(several, _message(X_Api_Key="k"), "other=1", {"v": "s"}) is None
    assert identity_values(several, _message(X_Api_Key=""), "q=1", {"v": "s"}) is None
    assert identity_values(several, _message(), "q=1", {"v": "s"}) is None


def test_the_request_event_is_the_request_without_its_body():
    proxy = {"resource": "/r/{id}", "path": "/r/1", "httpMethod": "GET", "headers": {"x-api-key": "k"},
             "multiValueHeaders": {"x-api-key": ["k"]}, "queryStringParameters": None,
             "multiValueQueryStringParameters": None, "pathParameters": {"id": "1"}, "stageVariables": None,
             "requestContext": {"requestId": "r"}, "body": "secret", "isBase64Encoded": False}
    event = build_authorizer_event(AUTHORIZER, proxy, f"{PREFIX}/GET/r/1", "k")
    assert event == {"type": "REQUEST", "methodArn": f"{PREFIX}/GET/r/1",
                     **{k: v for k, v in proxy.items() if k not in ("body", "isBase64Encoded")}}
    token = Authorizer("t", "T", "TOKEN", "f", (("header", "authorization"),), 0)
    assert build_authorizer_event(token, proxy, "arn", "Bearer x") == {"type": "TOKEN", "authorizationToken": "Bearer x",
                                                                       "methodArn": "arn"}


# --------------------------------------------------------------------------- running it, and its cache


class Function:
    """An authorizer function stand-in: its answer per identity value, and its invocations."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.answers: dict[str, object] = {}

    def __call__(self, function_arn: str, payload: bytes) -> InvokeResponse:
        event = json.loads(payload)
        self.calls.append(event)
        answer = self.answers[event["headers"]["x-api-key"]]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, InvokeResponse):
            return answer
        return InvokeResponse(200, json.dumps(answer).encode())


def policy(principal: str, *statements: dict, **context) -> dict:
    return {"principalId": principal, "policyDocument": {"Version": "2012-10-17", "Statement": list(statements)},
            "context": context}


def _error(message: str) -> InvokeResponse:
    return InvokeResponse(200, json.dumps({"errorMessage": message, "errorType": "Exception"}).encode(), "Unhandled")


def _run(runner: AuthorizerRunner, fn: Function, key: str | None, arn: str, authorizer: Authorizer = AUTHORIZER):
    event = {"headers": {"x-api-key": key}}
    return runner.authorize(authorizer, (key,) if key else None, arn, lambda: event, fn)


def test_a_result_is_cached_per_identity_for_the_ttl_and_evaluated_per_method():
    clock, fn = Clock(), Function()
    runner = AuthorizerRunner(clock=clock)
    fn.answers["k1"] = policy("key-1", {"Action": "execute-api:Invoke", "Effect": "Allow",
                                        "Resource": f"{PREFIX}/GET/api/v1/products"}, role="shop")
    fn.answers["k2"] = policy("key-2", {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": f"{PREFIX}/*/*"})
    first = _run(runner, fn, "k1", f"{PREFIX}/GET/api/v1/products")
    assert first.error is None and first.request_context["principalId"] == "key-1" and first.request_context["role"] == "shop"
    # the same key on another method: the cached policy answers (and refuses), no call
    other = _run(runner, fn, "k1", f"{PREFIX}/POST/api/v1/products")
    assert other.error is gr.ACCESS_DENIED and other.integration_latency_ms == 0
    assert len(fn.calls) == 1
    # another key is another entry; a Deny policy is cached as well
    assert _run(runner, fn, "k2", f"{PREFIX}/GET/api/v1/products").error is gr.ACCESS_DENIED_EXPLICITLY
    assert _run(runner, fn, "k2", f"{PREFIX}/GET/api/v1/products").error is gr.ACCESS_DENIED_EXPLICITLY
    assert len(fn.calls) == 2
    clock.now += 299
    assert _run(runner, fn, "k1", f"{PREFIX}/GET/api/v1/products").request_context["integrationLatency"] == 0
    assert len(fn.calls) == 2
    clock.now += 1   # the TTL is over: the function is asked again
    assert _run(runner, fn, "k1", f"{PREFIX}/GET/api/v1/products").error is None
    assert len(fn.calls) == 3


def test_a_redeployed_authorizer_does_not_use_the_old_ones_results():
    fn, runner = Function(), AuthorizerRunner(clock=Clock())
    fn.answers["k"] = policy("p", {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"})
    assert _run(runner, fn, "k", f"{PREFIX}/GET/x").error is None
    changed = dataclasses.replace(AUTHORIZER, function_arn="arn:aws:lambda:us-east-1:123456789012:function:other")
    assert _run(runner, fn, "k", f"{PREFIX}/GET/x", changed).error is None
    assert _run(runner, fn, "k", f"{PREFIX}/GET/x", changed).error is None
    assert len(fn.calls) == 2


def test_without_a_ttl_every_request_calls_the_function():
    fn, runner = Function(), AuthorizerRunner(clock=Clock())
    fn.answers["k"] = policy("p", {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"})
    no_cache = Authorizer("au0", "A", "REQUEST", "f", (("header", "x-api-key"),), 0)
    for _ in range(3):
        assert _run(runner, fn, "k", f"{PREFIX}/GET/x", no_cache).error is None
    assert len(fn.calls) == 3


def test_unauthorized_and_failures_are_answered_and_never_cached():
    fn, runner = Function(), AuthorizerRunner(clock=Clock())
    arn = f"{PREFIX}/GET/x"
    assert _run(runner, fn, None, arn).error is gr.UNAUTHORIZED and fn.calls == []   # no identity: no call
    fn.answers["k"] = _error("Unauthorized")
    assert _run(runner, fn, "k", arn).error is gr.UNAUTHORIZED
    fn.answers["k"] = _error("Unauthorized: expired")   # only the exact message is a 401
    assert _run(runner, fn, "k", arn).error is gr.AUTHORIZER_CONFIGURATION_ERROR
    fn.answers["k"] = IntegrationTimeout("read timeout")
    assert _run(runner, fn, "k", arn).error is gr.AUTHORIZER_CONFIGURATION_ERROR
    fn.answers["k"] = IntegrationUnreachable("connection refused")
    assert _run(runner, fn, "k", arn).error is gr.AUTHORIZER_CONFIGURATION_ERROR
    fn.answers["k"] = InvokeResponse(404, b'{"Message":"Function not found"}')
    assert _run(runner, fn, "k", arn).error is gr.AUTHORIZER_CONFIGURATION_ERROR
    fn.answers["k"] = {"policyDocument": "not a policy"}
    assert _run(runner, fn, "k", arn).error is gr.AUTHORIZER_FAILURE
    fn.answers["k"] = policy("p", {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"})
    assert _run(runner, fn, "k", arn).error is None   # nothing above was cached
    assert len(fn.calls) == 7 and len(runner.results) == 1


def test_the_cache_is_bounded():
    fn, runner = Function(), AuthorizerRunner(max_bytes=4096, clock=Clock())
    for n in range(100):
        fn.answers[f"k{n}"] = policy(f"p{n}", {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"})
        _run(runner, fn, f"k{n}", f"{PREFIX}/GET/x")
    assert 0 < len(runner.results) < 100 and runner.results.bytes <= 4096


def test_gateway_responses_are_api_gateways_defaults():
    assert (gr.UNAUTHORIZED.status, gr.UNAUTHORIZED.body, gr.UNAUTHORIZED.error_type) \
        == (401, b'{"message":"Unauthorized"}', "UnauthorizedException")
    assert (gr.ACCESS_DENIED.status, gr.ACCESS_DENIED.body, gr.ACCESS_DENIED.error_type) \
        == (403, b'{"message":"User is not authorized to access this resource"}', "AccessDeniedException")
    for error in (gr.AUTHORIZER_CONFIGURATION_ERROR, gr.AUTHORIZER_FAILURE):
        assert (error.status, error.body, error.error_type) == (500, b'{"message":null}', "AuthorizerConfigurationException")


# --------------------------------------------------------------------------- over HTTP

KEYS = {"admin-key-000000000000": "admin", "shop-key-0000000000000": "shop", "nokey-plan-0000000000": "shop"}


class Lambdas:
    """The authorizer (a key's role: admin everything, shop GET only) and the API's function."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.lock = threading.Lock()
        self.authorizer_fails = False

    def __call__(self, arn: str, payload: bytes, timeout: float) -> InvokeResponse:
        event, fn = json.loads(payload), arn.rsplit(":", 1)[-1]
        with self.lock:
            self.calls.append((fn, event))
        if fn == "authorizer":
            if self.authorizer_fails:
                return _error("boom")
            role = KEYS.get(event["headers"].get("x-api-key"))
            if role is None:
                return _error("Unauthorized")
            api, stage = event["methodArn"].split(":")[5].split("/")[:2]
            verbs = "*" if role == "admin" else "GET"
            return InvokeResponse(200, json.dumps(policy(f"id-{role}", {
                "Action": "execute-api:Invoke", "Effect": "Allow",
                "Resource": f"arn:aws:execute-api:us-east-1:123456789012:{api}/{stage}/{verbs}/*"}, role=role)).encode())
        return InvokeResponse(200, json.dumps({"statusCode": 200, "body": json.dumps(
            {"authorizer": event["requestContext"].get("authorizer"), "apiKeyId": event["requestContext"]["identity"].get("apiKeyId")})}).encode())

    def count(self, fn: str) -> int:
        return sum(1 for f, _ in self.calls if f == fn)


def _api_config():
    def method(verb: str, authorized: bool = True) -> dict:
        return {"httpMethod": verb, "apiKeyRequired": authorized, "authorizationType": "CUSTOM" if authorized else "NONE",
                **({"authorizerId": "au1"} if authorized else {}),
                "methodIntegration": {"type": "AWS_PROXY", "httpMethod": "POST", "uri": URI.format("api")}}

    resources = [
        {"id": "r1", "path": "/api/v1/products", "resourceMethods": {"GET": method("GET"), "POST": method("POST")}},
        {"id": "r2", "path": "/api/v1/health", "resourceMethods": {"GET": method("GET", authorized=False)}},
    ]
    keys = [{"id": f"id{n}", "name": f"key{n}", "value": v, "enabled": True} for n, v in enumerate(KEYS)]
    plans = [{"id": "plan", "name": "plan", "apiStages": [{"apiId": "api1", "stage": "prod"}],
              "quota": {"limit": 1000, "period": "DAY"}}]
    return build_config(
        rest_api={"id": "api1", "name": "retail-api"},
        stage={"stageName": "prod", "deploymentId": "d1", "cacheClusterEnabled": True, "cacheClusterSize": "0.5",
               "methodSettings": {"~1api~1v1~1products/GET": {"cachingEnabled": True, "cacheTtlInSeconds": 60}}},
        resources=resources, usage_plans=plans, api_keys=keys,
        usage_plan_keys={"plan": [{"id": "id0", "type": "API_KEY"}, {"id": "id1", "type": "API_KEY"}]},
        region="us-east-1", authorizers=[{"id": "au1", "name": "RoleAuthorizer", "type": "REQUEST",
                                          "authorizerUri": URI.format("authorizer"),
                                          "identitySource": "method.request.header.x-api-key",
                                          "authorizerResultTtlInSeconds": 300}])


@pytest.fixture()
def gateway():
    lambdas = Lambdas()
    cfg = _api_config()
    gw = GatewayServer(port=0, loader=lambda: cfg, invoker=lambdas, refresh_interval=0)
    gw.cache = StageCache(clock=Clock())
    records: list[dict] = []
    gw.add_listener(records.append)
    gw.start()
    gw.lambdas, gw.records = lambdas, records
    yield gw
    gw.stop()


def _call(gw, http, method: str, path: str, key: str | None = None):
    return http.request(method, f"{gw.url}{path}", headers={"x-api-key": key} if key else {})


def test_no_key_is_401_without_calling_the_authorizer(gateway, http):
    answer = _call(gateway, http, "GET", "/api/v1/products")
    assert (answer.status, answer.data, answer.headers["x-amzn-ErrorType"]) \
        == (401, b'{"message":"Unauthorized"}', "UnauthorizedException")
    assert gateway.lambdas.calls == []
    assert gateway.records[-1]["errorResponseType"] == "UNAUTHORIZED"


def test_an_unknown_key_is_401_and_a_route_the_policy_does_not_allow_is_403(gateway, http):
    unknown = _call(gateway, http, "GET", "/api/v1/products", "not-a-key-0000000000")
    assert (unknown.status, unknown.data) == (401, b'{"message":"Unauthorized"}')
    denied = _call(gateway, http, "POST", "/api/v1/products", "shop-key-0000000000000")
    assert (denied.status, denied.data, denied.headers["x-amzn-ErrorType"]) \
        == (403, b'{"message":"User is not authorized to access this resource"}', "AccessDeniedException")
    assert gateway.lambdas.count("api") == 0
    record = gateway.records[-1]
    # refused before the key: neither the key nor the usage plan saw the request
    assert record["errorResponseType"] == "ACCESS_DENIED" and record["apiKeyId"] is None and record["usagePlanId"] is None
    assert record["authorizerPrincipalId"] == "id-shop" and record["authorizerStatus"] == 403


def test_an_allowed_caller_reaches_the_function_with_the_authorizer_context(gateway, http):
    answer = _call(gateway, http, "POST", "/api/v1/products", "admin-key-000000000000")
    assert answer.status == 200
    body = json.loads(answer.data)
    assert body["authorizer"]["principalId"] == "id-admin" and body["authorizer"]["role"] == "admin"
    assert isinstance(body["authorizer"]["integrationLatency"], int)
    assert body["apiKeyId"] == "id0"
    [(_, event)] = [c for c in gateway.lambdas.calls if c[0] == "authorizer"]
    assert event["type"] == "REQUEST" and event["methodArn"] == f"{PREFIX}/POST/api/v1/products"
    assert event["resource"] == "/api/v1/products" and event["httpMethod"] == "POST"
    assert event["headers"]["x-api-key"] == "admin-key-000000000000" and "body" not in event
    record = gateway.records[-1]
    assert record["authorizerPrincipalId"] == "id-admin" and record["authorizerContext"] == {"role": "admin"}
    assert record["usagePlanId"] == "plan"


def test_the_authorizer_runs_once_per_key_within_its_ttl(gateway, http):
    for _ in range(3):
        assert _call(gateway, http, "POST", "/api/v1/products", "admin-key-000000000000").status == 200
    assert _call(gateway, http, "GET", "/api/v1/products", "admin-key-000000000000").status == 200
    assert gateway.lambdas.count("authorizer") == 1
    assert _call(gateway, http, "GET", "/api/v1/products", "shop-key-0000000000000").status == 200
    assert gateway.lambdas.count("authorizer") == 2


def test_a_cached_answer_still_needs_the_authorizer(gateway, http):
    assert _call(gateway, http, "GET", "/api/v1/products", "admin-key-000000000000").status == 200   # cached now
    assert _call(gateway, http, "GET", "/api/v1/products").status == 401
    assert _call(gateway, http, "GET", "/api/v1/products", "nope-0000000000000000").status == 401
    assert gateway.lambdas.count("api") == 1


def test_an_authorized_key_still_needs_a_usage_plan(gateway, http):
    answer = _call(gateway, http, "GET", "/api/v1/products", "nokey-plan-0000000000")   # role shop, in no plan
    assert (answer.status, answer.data) == (403, b'{"message":"Forbidden"}')


def test_a_failing_authorizer_is_500_authorizer_configuration_error(gateway, http):
    gateway.lambdas.authorizer_fails = True
    answer = _call(gateway, http, "GET", "/api/v1/products", "admin-key-000000000000")
    assert (answer.status, answer.data, answer.headers["x-amzn-ErrorType"]) \
        == (500, b'{"message":null}', "AuthorizerConfigurationException")
    assert gateway.records[-1]["errorResponseType"] == "AUTHORIZER_CONFIGURATION_ERROR"
    assert gateway.lambdas.count("api") == 0


def test_a_route_without_authorizer_answers_without_it(gateway, http):
    assert _call(gateway, http, "GET", "/api/v1/health").status == 200
    assert gateway.lambdas.count("authorizer") == 0
    assert "authorizerPrincipalId" not in gateway.records[-1]
