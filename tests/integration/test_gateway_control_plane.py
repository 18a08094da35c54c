"""The gateway reads what was deployed on an AWS-compatible endpoint (moto server) and enforces it.

A REST API with resources, methods (apiKeyRequired), Lambda proxy integrations, a stage,
usage plans with throttle and quota, API keys and usage plan keys is created with boto3 on
a ThreadedMotoServer; the gateway is started on a free port and exercised over real HTTP.

The Lambda side is a canned invoker here (constructor parameter `invoker=`); the real
Lambda Invoke path is covered end to end by the e2e tests. The rate limiter gets frozen
clocks, so throttling and quota outcomes do not depend on timing.
"""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
import urllib3
from moto.server import ThreadedMotoServer

from gateway import GatewayServer, InvokeResponse, RateLimiter

pytestmark = pytest.mark.integration

REGION = "us-east-1"
ACCOUNT = "123456789012"
STAGE = "prod"
ADMIN_KEY = "admin-key-12345-local-dev"
FRONTEND_KEY = "frontend-key-67890-local-dev"
QUOTA_KEY = "quota-key-000000000000000"
DISABLED_KEY = "disabled-key-0000000000000"
ORPHAN_KEY = "orphan-key-00000000000000000"  # enabled, but in no usage plan
OTHER_STAGE_KEY = "other-stage-key-0000000000"  # in a plan attached to another stage

FRONTEND_BURST = 3
QUOTA_LIMIT = 2


def fn_uri(name: str) -> str:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    return f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations"


class CannedLambda:
    """Stands in for the Lambda Invoke API: records calls, answers like a proxy handler."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []
        self._lock = threading.Lock()

    def __call__(self, function_arn: str, payload: bytes, timeout: float) -> InvokeResponse:
        event = json.loads(payload)
        with self._lock:
            self.calls.append((function_arn, event))
        name = function_arn.rsplit(":", 1)[-1]
        body = {
            "function": name,
            "resource": event["resource"],
            "pathParameters": event["pathParameters"],
            "apiKeyId": event["requestContext"]["identity"].get("apiKeyId"),
        }
        return InvokeResponse(200, json.dumps({"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}).encode())


@pytest.fixture(scope="module")
def endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def apigw(endpoint):
    return boto3.client("apigateway", endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="test", aws_secret_access_key="test")


@pytest.fixture(scope="module")
def deployed(apigw):
    """Create and deploy the API; returns the ids the tests need."""
    name = f"gw-test-{uuid.uuid4().hex[:8]}"
    api_id = apigw.create_rest_api(name=name, apiKeySource="HEADER")["id"]
    root = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")

    def resource(parent: str, part: str) -> str:
        return apigw.create_resource(restApiId=api_id, parentId=parent, pathPart=part)["id"]

    def method(res: str, verb: str, fn: str, key_required: bool) -> None:
        apigw.put_method(restApiId=api_id, resourceId=res, httpMethod=verb, authorizationType="NONE", apiKeyRequired=key_required)
        apigw.put_integration(restApiId=api_id, resourceId=res, httpMethod=verb, type="AWS_PROXY",
                              integrationHttpMethod="POST", uri=fn_uri(fn))

    api = resource(root, "api")
    v1 = resource(api, "v1")
    health = resource(v1, "health")
    products = resource(v1, "products")
    product = resource(products, "{id}")
    method(health, "GET", "health", False)
    method(products, "GET", "inventory", True)
    method(products, "POST", "inventory", True)
    method(product, "GET", "inventory", True)
    apigw.create_deployment(restApiId=api_id, stageName=STAGE)
    apigw.create_deployment(restApiId=api_id, stageName="staging")

    def key(key_name: str, value: str, enabled: bool = True) -> str:
        return apigw.create_api_key(name=key_name, value=value, enabled=enabled)["id"]

    def plan(plan_name: str, stage: str, rate: float, burst: int, quota: int | None = None) -> str:
        kwargs = {"throttle": {"rateLimit": rate, "burstLimit": burst}}
        if quota is not None:
            kwargs["quota"] = {"limit": quota, "period": "DAY", "offset": 0}
        return apigw.create_usage_plan(name=plan_name, apiStages=[{"apiId": api_id, "stage": stage}], **kwargs)["id"]

    admin_plan = plan(f"{name}-admin", STAGE, 200, 400, 1_000_000)
    frontend_plan = plan(f"{name}-frontend", STAGE, 0.001, FRONTEND_BURST, 50_000)
    quota_plan = plan(f"{name}-quota", STAGE, 1000, 1000, QUOTA_LIMIT)
    staging_plan = plan(f"{name}-staging", "staging", 1000, 1000)
    ids = {
        "admin": key(f"{name}-admin", ADMIN_KEY),
        "frontend": key(f"{name}-frontend", FRONTEND_KEY),
        "quota": key(f"{name}-quota", QUOTA_KEY),
        "disabled": key(f"{name}-disabled", DISABLED_KEY, enabled=False),
        "orphan": key(f"{name}-orphan", ORPHAN_KEY),
        "other": key(f"{name}-other", OTHER_STAGE_KEY),
    }
    for plan_id, key_id in [(admin_plan, ids["admin"]), (frontend_plan, ids["frontend"]), (quota_plan, ids["quota"]),
                            (admin_plan, ids["disabled"]), (staging_plan, ids["other"])]:
        apigw.create_usage_plan_key(usagePlanId=plan_id, keyId=key_id, keyType="API_KEY")
    return {"name": name, "api_id": api_id, "keys": ids, "v1": v1, "admin_plan": admin_plan}


@pytest.fixture(scope="module")
def lam():
    return CannedLambda()


@pytest.fixture(scope="module")
def gateway(endpoint, deployed, lam, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("gw") / "logs" / "gateway-access.log"
    frozen = RateLimiter(clock=lambda: 5000.0, wall_clock=lambda: 1_775_000_000.0)  # no refill, no day change
    gw = GatewayServer(endpoint, REGION, deployed["name"], STAGE, "127.0.0.1", 0, str(log_path),
                       invoker=lam, rate_limiter=frozen, refresh_interval=0)
    records: list[dict] = []
    gw.add_listener(records.append)
    gw.start()
    gw.records = records
    gw.log_path = log_path
    yield gw
    gw.stop()


@pytest.fixture(scope="module")
def http():
    pool = urllib3.PoolManager(maxsize=32, retries=False, timeout=15)
    yield pool
    pool.clear()


def get(http, gw, path, key=None, header="x-api-key", method="GET"):
    headers = {header: key} if key is not None else {}
    return http.request(method, f"{gw.url}{path}", headers=headers)


def assert_gateway_error(r, status, message, error_type):
    assert r.status == status, r.data
    assert json.loads(r.data) == {"message": message}
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["x-amzn-ErrorType"] == error_type
    assert r.headers["x-amzn-RequestId"]


# --------------------------------------------------------------------- configuration


def test_configuration_read_from_control_plane(gateway, deployed):
    cfg = gateway.config
    assert cfg.deployed
    assert cfg.rest_api_id == deployed["api_id"]
    assert cfg.stage_name == STAGE
    assert cfg.account_id == ACCOUNT
    paths = {r.path for r in cfg.resources}
    assert {"/api/v1/health", "/api/v1/products", "/api/v1/products/{id}"} <= paths
    assert deployed["keys"]["admin"] in cfg.plans_by_key_id
    assert deployed["keys"]["other"] not in cfg.plans_by_key_id  # plan of another stage
    assert cfg.plans_by_key_id[deployed["keys"]["frontend"]].throttle.burst_limit == FRONTEND_BURST


# --------------------------------------------------------------------- routing and keys


def test_health_needs_no_key(gateway, http, lam):
    r = get(http, gateway, "/api/v1/health")
    assert r.status == 200
    body = json.loads(r.data)
    assert body["function"] == "health"
    assert body["resource"] == "/api/v1/health"
    assert body["apiKeyId"] is None
    assert r.headers["x-amzn-RequestId"] and r.headers["x-amz-apigw-id"] and r.headers["X-Amzn-Trace-Id"]


def test_unknown_path_is_missing_authentication_token(gateway, http):
    assert_gateway_error(get(http, gateway, "/api/v1/nope", ADMIN_KEY), 403, "Missing Authentication Token",
                         "MissingAuthenticationTokenException")
    assert_gateway_error(get(http, gateway, "/api/v1/health", method="DELETE"), 403, "Missing Authentication Token",
                         "MissingAuthenticationTokenException")


def test_key_required_without_key_is_forbidden(gateway, http):
    assert_gateway_error(get(http, gateway, "/api/v1/products"), 403, "Forbidden", "ForbiddenException")


@pytest.mark.parametrize("key", ["wrong-key-000000000000000", DISABLED_KEY, ORPHAN_KEY, OTHER_STAGE_KEY, ""])
def test_bad_keys_are_forbidden(gateway, http, key):
    assert_gateway_error(get(http, gateway, "/api/v1/products", key), 403, "Forbidden", "ForbiddenException")


def test_valid_key_reaches_the_function(gateway, http, deployed):
    r = get(http, gateway, "/api/v1/products/sku-1", ADMIN_KEY, header="X-API-Key")
    assert r.status == 200
    body = json.loads(r.data)
    assert body["function"] == "inventory"
    assert body["resource"] == "/api/v1/products/{id}"
    assert body["pathParameters"] == {"id": "sku-1"}
    assert body["apiKeyId"] == deployed["keys"]["admin"]


def test_stage_prefix_accepted(gateway, http):
    assert get(http, gateway, f"/{STAGE}/api/v1/products", ADMIN_KEY).status == 200


# --------------------------------------------------------------------- usage plans


def test_throttled_past_burst(gateway, http):
    statuses = [get(http, gateway, "/api/v1/products", FRONTEND_KEY) for _ in range(FRONTEND_BURST + 2)]
    assert [r.status for r in statuses[:FRONTEND_BURST]] == [200] * FRONTEND_BURST
    for r in statuses[FRONTEND_BURST:]:
        assert_gateway_error(r, 429, "Too Many Requests", "TooManyRequestsException")
    # other keys are not affected
    assert get(http, gateway, "/api/v1/products", ADMIN_KEY).status == 200
    assert gateway.metrics.snapshot()["throttled"] >= 2


def test_limit_exceeded_past_quota(gateway, http):
    responses = [get(http, gateway, "/api/v1/products", QUOTA_KEY) for _ in range(QUOTA_LIMIT + 2)]
    assert [r.status for r in responses[:QUOTA_LIMIT]] == [200] * QUOTA_LIMIT
    for r in responses[QUOTA_LIMIT:]:
        assert_gateway_error(r, 429, "Limit Exceeded", "LimitExceededException")
    assert gateway.metrics.snapshot()["quotaExceeded"] >= 2


def test_methods_without_key_are_not_metered(gateway, http):
    # health with the quota key: not metered, so never "Limit Exceeded"
    for _ in range(QUOTA_LIMIT + 2):
        assert get(http, gateway, "/api/v1/health", QUOTA_KEY).status == 200


def test_concurrent_requests(gateway, http):
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(lambda _: get(http, gateway, "/api/v1/products/x", ADMIN_KEY).status, range(64)))
    assert statuses == [200] * 64


# --------------------------------------------------------------------- redeploy, logs, metrics


def test_redeploy_is_picked_up(gateway, http, apigw, deployed):
    assert get(http, gateway, "/api/v1/orders", ADMIN_KEY).status == 403
    res = apigw.create_resource(restApiId=deployed["api_id"], parentId=deployed["v1"], pathPart="orders")["id"]
    apigw.put_method(restApiId=deployed["api_id"], resourceId=res, httpMethod="POST", authorizationType="NONE", apiKeyRequired=True)
    apigw.put_integration(restApiId=deployed["api_id"], resourceId=res, httpMethod="POST", type="AWS_PROXY",
                          integrationHttpMethod="POST", uri=fn_uri("orders"))
    apigw.create_deployment(restApiId=deployed["api_id"], stageName=STAGE)
    assert gateway.refresh()  # what the background refresher does every few seconds
    r = get(http, gateway, "/api/v1/orders", ADMIN_KEY, method="POST")
    assert r.status == 200
    assert json.loads(r.data)["function"] == "orders"
    # a key disabled on the control plane is refused after the next refresh
    apigw.update_api_key(apiKey=deployed["keys"]["admin"], patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}])
    try:
        assert gateway.refresh()
        assert get(http, gateway, "/api/v1/products", ADMIN_KEY).status == 403
    finally:
        apigw.update_api_key(apiKey=deployed["keys"]["admin"], patchOperations=[{"op": "replace", "path": "/enabled", "value": "true"}])
        gateway.refresh()
    assert get(http, gateway, "/api/v1/products", ADMIN_KEY).status == 200


def test_access_log_listener_and_metrics(gateway, http, deployed):
    r = get(http, gateway, "/api/v1/products", ADMIN_KEY)
    rid = r.headers["x-amzn-RequestId"]
    rec = next(x for x in gateway.records if x["requestId"] == rid)
    assert rec["status"] == 200
    assert rec["resourcePath"] == "/api/v1/products"
    assert rec["httpMethod"] == "GET"
    assert rec["apiKeyId"] == deployed["keys"]["admin"]
    assert rec["apiKeyName"] == f"{deployed['name']}-admin"
    assert rec["usagePlanId"] == deployed["admin_plan"]
    assert rec["ip"] == "127.0.0.1"
    assert rec["protocol"] == "HTTP/1.1"
    assert rec["responseLength"] == len(r.data)
    snap = gateway.metrics.snapshot()
    row = next(s for s in snap["series"] if s["resource"] == "/api/v1/products" and s["method"] == "GET"
               and s["status"] == 200 and s["apiKey"] == f"{deployed['name']}-admin")
    assert row["count"] >= 1
    assert len(row["latencySamplesMs"]) == min(row["count"], 1024)
    assert snap["4xx"] >= 1 and snap["count"] >= snap["4xx"]


def test_access_log_file_has_one_json_line_per_request(endpoint, deployed, lam, tmp_path, http):
    log_path = tmp_path / "access.log"
    gw = GatewayServer(endpoint, REGION, deployed["name"], STAGE, "127.0.0.1", 0, str(log_path), invoker=lam, refresh_interval=0)
    gw.start()
    try:
        ids = [get(http, gw, p).headers["x-amzn-RequestId"] for p in ("/api/v1/health", "/nope", "/api/v1/products")]
    finally:
        gw.stop()  # drains the log writer
    lines = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert [x["requestId"] for x in lines] == ids
    assert [x["status"] for x in lines] == [200, 403, 403]
    assert lines[1]["errorType"] == "MissingAuthenticationTokenException"
    assert lines[2]["errorType"] == "ForbiddenException"


def test_not_deployed_api_is_forbidden(endpoint, lam, http):
    gw = GatewayServer(endpoint, REGION, f"missing-{uuid.uuid4().hex[:6]}", STAGE, "127.0.0.1", 0, None,
                       invoker=lam, refresh_interval=0)
    gw.start()
    try:
        assert not gw.config.deployed
        assert_gateway_error(get(http, gw, "/api/v1/health"), 403, "Forbidden", "ForbiddenException")
    finally:
        gw.stop()
