"""Metrics end to end: sagas, API calls and throttled requests move the Prometheus counters on
the endpoint's GET /metrics and the same metrics come back from CloudWatch on the endpoint."""

from __future__ import annotations

import functools
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from tests import polling
import requests
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.integration

BODY = {"products": [{"product_id": 1, "quantity": 1}], "shipping_address": "123 Main St",
        "payment_method": "credit_card"}

PROMETHEUS = pytest.mark.only_on("embedded", reason="GET /metrics (Prometheus) is served by the embedded cloud's endpoint; "
                                "LocalStack exposes no Prometheus metrics")


eventually = functools.partial(polling.eventually, timeout=20.0, interval=0.3)  # metrics are shipped every few seconds


def scrape(session_stack) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = requests.get(f"{session_stack.endpoint_url}/metrics", timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples}


def settled(session_stack, name: str = "saga_orchestrator_sagas_total"):
    """A scrape once ``name`` stops moving (an earlier test's last sagas publish a moment late)."""
    previous = scrape(session_stack)
    for _ in range(20):
        time.sleep(1.0)
        current = scrape(session_stack)
        if {k: v for k, v in current.items() if k[0] == name} == {k: v for k, v in previous.items() if k[0] == name}:
            return current
        previous = current
    return previous


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def run_saga(admin, customer_id: int) -> dict:
    started = admin.post(f"/api/v1/customers/{customer_id}/order-processing", json=BODY)
    assert started.status_code == 202, started.text
    saga_id = started.json()["saga_id"]
    saga = eventually(lambda: (s := admin.get(f"/api/v1/sagas/{saga_id}").json())["status"] != "RUNNING" and s, timeout=90)
    assert saga, f"saga {saga_id} did not end"
    return saga


def cloudwatch_sum(aws, namespace: str, name: str, dimensions: dict[str, str]) -> float:
    now = datetime.now(UTC)
    answer = aws("cloudwatch").get_metric_data(
        MetricDataQueries=[{"Id": "m", "MetricStat": {"Metric": {
            "Namespace": namespace, "MetricName": name,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()]},
            "Period": 3600, "Stat": "Sum"}}],
        StartTime=now - timedelta(hours=2), EndTime=now + timedelta(minutes=5))
    return sum(answer["MetricDataResults"][0]["Values"])


@PROMETHEUS
def test_a_completed_and_a_compensated_saga_move_prometheus_and_cloudwatch(admin, aws, session_stack):
    before = settled(session_stack)
    cw_before = {status: cloudwatch_sum(aws, "RetailPlatform", "Sagas", {"service": "sagas", "status": status})
                 for status in ("completed", "compensated")}
    saga_function = {"FunctionName": f"{session_stack.stack_name}-SagaFunction"}
    api = {"ApiName": f"{session_stack.stack_name}-api", "Stage": "prod"}
    cw_invocations_before = cloudwatch_sum(aws, "AWS/Lambda", "Invocations", saga_function)
    cw_requests_before = cloudwatch_sum(aws, "AWS/ApiGateway", "Count", api)
    route = "/api/v1/customers/{customer_id}/order-processing"
    admin_202 = dict(route=route, method="POST", status="202", consumer=f"{session_stack.stack_name}-admin")
    assert run_saga(admin, 1)["status"] == "COMPLETED"
    assert run_saga(admin, 99999)["status"] == "COMPENSATED"

    def moved():
        now = scrape(session_stack)
        return all(value(now, "saga_orchestrator_sagas_total", service="sagas", status=s)
                   == value(before, "saga_orchestrator_sagas_total", service="sagas", status=s) + 1
                   for s in ("completed", "compensated")) and now

    after = eventually(moved)
    assert after, "saga counters did not move on /metrics"
    # every counter as a delta over these two sagas: earlier tests of the session moved them too
    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    steps = "saga_orchestrator_saga_steps_total"
    assert delta(steps, service="sagas", step="CREATE_ORDER", status="failure") == 1  # the unknown customer
    assert delta("saga_orchestrator_compensations_total", service="sagas", compensation_type="RELEASE_STOCK") == 1
    # check + reserve, then commit (completed) or release (compensated): at least 4, more if a call was retried
    assert delta("saga_orchestrator_service_calls_total", service="inventory", status="success") >= 4
    assert delta("saga_orchestrator_saga_duration_seconds_count", service="sagas", status="completed") == 1
    assert delta("total_orders_created", service="ecommerce") == 1  # the compensated saga created none
    # the two POSTs, plus the GETs that followed the sagas
    assert delta("lambda_invocations_total", function_name=f"{session_stack.stack_name}-SagaFunction") >= 2
    assert eventually(lambda: value(scrape(session_stack), "http_requests_total", **admin_202)
                      == value(before, "http_requests_total", **admin_202) + 2)
    # the same counts from CloudWatch on the endpoint
    for status in ("completed", "compensated"):
        assert cloudwatch_sum(aws, "RetailPlatform", "Sagas", {"service": "sagas", "status": status}) == cw_before[status] + 1
    assert cloudwatch_sum(aws, "AWS/Lambda", "Invocations", saga_function) >= cw_invocations_before + 2
    assert eventually(lambda: cloudwatch_sum(aws, "AWS/ApiGateway", "Count", api) >= cw_requests_before + 4)


@PROMETHEUS
def test_a_throttled_request_moves_the_throttle_counters(frontend, session_stack, aws):
    consumer = f"{session_stack.stack_name}-frontend"
    before = value(scrape(session_stack), "api_throttled_requests_total", consumer=consumer, reason="rate")
    with ThreadPoolExecutor(max_workers=20) as pool:  # the frontend plan: 10 requests/s, burst 20
        statuses = list(pool.map(lambda _: frontend.get("/api/v1/categories").status_code, range(60)))
    assert 429 in statuses, statuses
    throttled = statuses.count(429)
    assert eventually(lambda: value(scrape(session_stack), "api_throttled_requests_total", consumer=consumer,
                                    reason="rate") >= before + throttled)
    assert eventually(lambda: cloudwatch_sum(aws, "RetailPlatform/Gateway", "ThrottledRequests", {}) >= throttled)
