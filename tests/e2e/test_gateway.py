"""API Gateway's behaviour, over real HTTP, as a client sees it: keys, usage plans, error
mapping, concurrency, access log."""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.conftest import Api

pytestmark = pytest.mark.integration


def test_health_needs_no_key_and_says_only_status_and_version(anonymous):
    response = anonymous.get("/api/v1/health")
    assert response.status_code == 200
    assert set(response.json()) == {"status", "version"} and response.json()["status"] == "healthy"
    assert response.headers["x-amzn-RequestId"]


def test_health_details_are_for_an_admin(admin, session_stack):
    response = admin.get("/api/v1/health/details")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "healthy" and body["version"] and body["stage"] == session_stack.stage
    assert {d["type"] for d in body["dependencies"]} == {"dynamodb", "stepfunctions"}
    assert all(d["healthy"] for d in body["dependencies"]) and len(body["dependencies"]) == 22


def test_public_health_is_stage_throttled(session_stack):
    """No usage plan meters a keyless route: the stage's method throttle (PublicRateLimit 10/s,
    burst 20) does, over all callers: a burst gets 429s, at most the bucket and its refill get
    through, and health answers again after."""
    anonymous = Api(session_stack.gateway_url, None)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda _: anonymous.get("/api/v1/health").status_code, range(100)))
    elapsed = time.monotonic() - started
    assert set(statuses) <= {200, 429} and 429 in statuses, statuses
    assert statuses.count(200) <= 20 + 10 * elapsed + 1, (statuses.count(200), elapsed)
    for _ in range(50):
        time.sleep(0.2)
        if anonymous.get("/api/v1/health").status_code == 200:
            break
    else:
        pytest.fail("health never answered again after the burst")


@pytest.mark.parametrize("key", [None, "wrong-key-that-is-long-enough"])
def test_no_key_or_wrong_key_is_unauthorized(session_stack, key):
    # the role authorizer answers first (tests/e2e/test_authorizer.py): 401, as API Gateway does
    response = Api(session_stack.gateway_url, key).get("/api/v1/products")
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    assert response.headers["x-amzn-ErrorType"] == "UnauthorizedException"


def test_each_consumer_key_gets_a_page_of_products(admin, frontend):
    for client in (admin, frontend):
        response = client.get("/api/v1/products")
        assert response.status_code == 200, response.text
        assert response.json()["items"]


def test_unknown_route_is_missing_authentication_token(admin):
    response = admin.get("/api/v1/nothing-here")
    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}


def test_bad_body_is_422_with_stable_shape(admin):
    response = admin.post("/api/v1/products", json={"name": "", "price": "-3"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] and error["message"] and error["details"]


def test_handler_exception_is_502(admin):
    response = admin.get("/api/v1/_diagnostics/fail")
    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}


def test_integration_timeout_is_504(admin):
    # /slow's integration timeout is 1 s (TimeoutInMillis), shorter than the function's 2 s
    response = admin.get("/api/v1/_diagnostics/slow", params={"seconds": "1.5"})
    assert response.status_code == 504
    assert response.json() == {"message": "Endpoint request timed out"}


def test_function_timeout_is_a_lambda_error_502_and_is_logged(admin, aws, session_stack):
    # the function's own Timeout (2 s) ends it: Lambda reports an error, API Gateway answers 502
    response = admin.get("/api/v1/_diagnostics/sleep", params={"seconds": "5"})
    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}
    logs = aws("logs")
    group = f"/aws/lambda/{session_stack.stack.physical_id('DiagnosticsFunction')}"
    for _ in range(50):
        messages = [e["message"] for e in logs.filter_log_events(logGroupName=group)["events"]]
        if any("Task timed out after 2.00 seconds" in m for m in messages):
            break
        time.sleep(0.1)
    else:
        pytest.fail("the timeout was not logged to the function's log group")


def test_gateway_serves_requests_concurrently(admin):
    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(lambda _: admin.get("/api/v1/_diagnostics/sleep", params={"seconds": "1"}),
                                  range(4)))
    bodies = [r.json() for r in responses]
    assert all(r.status_code == 200 for r in responses)
    # all four handlers were running at the same moment: the latest start precedes the earliest end
    assert max(b["started_at"] for b in bodies) < min(b["ended_at"] for b in bodies)


def test_access_log_has_one_json_line_per_request(admin, session_stack):
    marker = f"access-log-test/{time.time_ns()}"  # this request's user agent, in no other line
    response = admin.get("/api/v1/products?limit=1", headers={"User-Agent": marker})
    assert response.status_code == 200
    path = session_stack.log_dir / "gateway-access.log"
    records: list[dict] = []
    for _ in range(100):  # the log is written off the request path: wait for the line, up to ~10 s
        records = [json.loads(line) for line in path.read_text().splitlines() if marker in line]
        if records:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"no access-log line for the request with user agent {marker!r} in {path}")
    assert len(records) == 1, records
    record = records[0]
    assert record["userAgent"] == marker
    assert record["requestId"] == response.headers["x-amzn-RequestId"]
    assert (record["httpMethod"], record["resourcePath"], record["status"]) == ("GET", "/api/v1/products", 200)


def test_frontend_burst_is_throttled_with_429_and_never_5xx(frontend):
    def call(_):
        return frontend.get("/api/v1/categories")

    with ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(call, range(100)))
    statuses = [r.status_code for r in responses]
    assert statuses.count(429) > 0, statuses
    assert all(s < 500 for s in statuses), statuses
    throttled = next(r for r in responses if r.status_code == 429)
    assert throttled.json() == {"message": "Too Many Requests"}
    # the bucket refills at the plan's rate: the consumer gets through again
    for _ in range(100):
        if frontend.get("/api/v1/categories").status_code == 200:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the frontend key never recovered from throttling")


def test_quota_exhaustion_is_limit_exceeded(session_stack, aws):
    apigw = aws("apigateway")
    api_id = session_stack.stack.outputs["ApiId"]
    key = apigw.create_api_key(name="quota-test", enabled=True, value="quota-test-key-0123456789", tags={"role": "shop"})
    plan = apigw.create_usage_plan(name="quota-test", apiStages=[{"apiId": api_id, "stage": session_stack.stage}],
                                   throttle={"rateLimit": 100.0, "burstLimit": 100},
                                   quota={"limit": 3, "period": "DAY"})
    try:
        apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
        _quota_of_three_is_enforced(Api(session_stack.gateway_url, "quota-test-key-0123456789"))
    finally:  # the stack is shared by the session: leave no key or plan behind
        apigw.delete_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])
        apigw.delete_usage_plan(usagePlanId=plan["id"])
        apigw.delete_api_key(apiKey=key["id"])
    assert all(item["id"] != key["id"] for item in apigw.get_api_keys()["items"])
    assert all(item["id"] != plan["id"] for item in apigw.get_usage_plans()["items"])


def _quota_of_three_is_enforced(client: Api) -> None:
    for _ in range(100):  # the authorizer (401) and the gateway (403) learn of a new key within seconds
        first = client.get("/api/v1/categories")
        if first.status_code not in (401, 403):
            break
        time.sleep(0.2)
    statuses = [first.status_code] + [client.get("/api/v1/categories").status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200], statuses
    limited = client.get("/api/v1/categories")
    assert limited.status_code == 429 and limited.json() == {"message": "Limit Exceeded"}
