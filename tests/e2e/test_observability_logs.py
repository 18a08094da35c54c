"""Correlated logs end to end: one API request id, from the client's x-amzn-RequestId header to
the API access log (CloudWatch Logs, as API Gateway writes it), the saga API's log, every saga
participant's log and RECORD_OUTCOME's "saga ended", all found by searching the logs on the
endpoint for that id (infra.logs, what `make logs FILTER=<id>` does)."""

from __future__ import annotations

import json
import time

import pytest

from infra.logs import LogEvent, search

pytestmark = pytest.mark.integration

STEP_FUNCTIONS = {
    "CHECK_STOCK": "InventoryCheckStockFunction",
    "RESERVE_STOCK": "InventoryReserveStockFunction",
    "CREATE_ORDER": "EcommerceCreateOrderFunction",
    "PROCESS_PAYMENT": "EcommerceProcessPaymentFunction",
    "CONFIRM_ORDER": "EcommerceConfirmOrderFunction",
    "COMMIT_STOCK": "InventoryCommitStockFunction",
}
BODY = {"products": [{"product_id": 1, "quantity": 1}], "shipping_address": "123 Main St",
        "payment_method": "credit_card"}


def _json(event: LogEvent) -> dict:
    try:
        value = json.loads(event.message)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _wait_completed(admin, saga_id: str, timeout: float = 90.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        saga = admin.get(f"/api/v1/sagas/{saga_id}").json()
        if saga["status"] in ("COMPLETED", "COMPENSATED", "FAILED"):
            return saga
        assert time.monotonic() < deadline, saga
        time.sleep(0.25)


def test_one_request_id_finds_the_access_log_and_every_lambda_of_the_saga(admin, aws, session_stack):
    started_ms = int(time.time() * 1000) - 5_000
    response = admin.post("/api/v1/customers/1/order-processing", json=BODY)
    assert response.status_code == 202, response.text
    request_id = response.headers["x-amzn-RequestId"]
    saga_id = response.json()["saga_id"]
    saga = _wait_completed(admin, saga_id)
    assert saga["status"] == "COMPLETED", saga

    stack = session_stack.stack
    access_group = stack.physical_id("ApiAccessLogGroup")
    assert access_group == f"/aws/apigateway/{session_stack.stack_name}-access"

    def group_of(logical_id: str) -> str:
        return f"/aws/lambda/{stack.physical_id(logical_id)}"

    def missing(events: list[LogEvent]) -> list[str]:
        by_group: dict[str, list[dict]] = {}
        for event in events:
            by_group.setdefault(event.group, []).append(_json(event))
        gaps = []
        if not any(line.get("requestId") == request_id and line.get("httpMethod") == "POST" and line.get("status") == "202"
                   for line in by_group.get(access_group, [])):
            gaps.append("API access log")
        if not any(line.get("message") == "saga started" and line.get("correlation_id") == request_id
                   and line.get("saga_id") == saga_id for line in by_group.get(group_of("SagaFunction"), [])):
            gaps.append("SagaFunction 'saga started'")
        for step, logical_id in STEP_FUNCTIONS.items():
            lines = [line for line in by_group.get(group_of(logical_id), [])
                     if line.get("saga_step") == step and line.get("correlation_id") == request_id
                     and line.get("saga_id") == saga_id]
            if not {"saga step started", "saga step succeeded"} <= {line.get("message") for line in lines}:
                gaps.append(f"{step} ({logical_id})")
        if not any(line.get("message") == "saga ended" and line.get("correlation_id") == request_id
                   and line.get("saga_status") == "COMPLETED"
                   for line in by_group.get(group_of("SagaRecordOutcomeFunction"), [])):
            gaps.append("SagaRecordOutcomeFunction 'saga ended'")
        return gaps

    logs = aws("logs")
    deadline = time.monotonic() + 30  # Lambda output and the access log are shipped in batches
    while True:
        found = search(logs, request_id, since_ms=started_ms)
        gaps = missing(found)
        if not gaps:
            break
        assert time.monotonic() < deadline, f"not found for request id {request_id}: {gaps}; found: " + \
            "\n".join(f"{e.group} {e.message}" for e in found)
        time.sleep(0.5)

    # every line found is about this request: its id is the correlation id everywhere
    assert all(request_id in e.message for e in found)
    access = next(_json(e) for e in found if e.group == access_group)
    assert access["resourcePath"] == "/api/v1/customers/{customer_id}/order-processing"
    assert access["path"] == "/api/v1/customers/1/order-processing"
    assert access["apiKeyId"] not in ("-", "") and access["integrationStatus"] == "200"


def test_health_reports_the_tables_the_state_machine_and_the_version(admin, session_stack):
    response = admin.get("/api/v1/health/details")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "healthy" and body["version"]
    kinds = {d["type"] for d in body["dependencies"]}
    assert kinds == {"dynamodb", "stepfunctions"}
    (machine,) = [d for d in body["dependencies"] if d["type"] == "stepfunctions"]
    assert machine["name"] == f"{session_stack.stack_name}-order-saga"
    assert machine["status"] == "ACTIVE" and machine["healthy"] is True
    assert all(d["healthy"] for d in body["dependencies"])
