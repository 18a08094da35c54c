"""The report API over real HTTP through the gateway, on the whole local stack (deployed
template, demo data): every report answers with a key and is forbidden without one, a bad
period is a 422, and a sale made through the retail API reaches the reports through the
sales table's DynamoDB stream, the event source mapping and ReportingStreamFunction."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # starts the whole stack (the session's session_stack)

ROOT = Path(__file__).resolve().parents[2]
STREAM_FUNCTION = "ReportingStreamFunction"
REPORTS = [
    "/api/v1/reports/sales",
    "/api/v1/reports/inventory",
    "/api/v1/reports/performance",
    "/api/v1/analytics/trends",
    "/api/v1/dashboards",
]
# How long to wait for the stream to fold a sale in: a bound on the wait, not a latency target
# (the stream's lag is measured by `make bench-reports`, end to end sales/s); generous so a busy
# 2-core machine never fails the test for being slow
STREAM_WAIT_SECONDS = 30
BACKLOG_SECONDS = 120  # the demo history (a few thousand sales) is folded in after the deploy
STALLED_SECONDS = 20  # ... and it keeps moving while it is


def streams_are_wired() -> bool:
    """template.yaml gives ReportingStreamFunction DynamoDB events, and the deployer can create
    event source mappings (the local poller that delivers stream records to the function)."""
    from infra.deploy.resources import PROVISIONERS
    from infra.openapi import load_template

    function = load_template(ROOT / "template.yaml")["Resources"].get(STREAM_FUNCTION, {})
    events = (function.get("Properties") or {}).get("Events") or {}
    has_stream_events = any(event.get("Type") == "DynamoDB" for event in events.values())
    return has_stream_events and "AWS::Lambda::EventSourceMapping" in PROVISIONERS


STREAMS_WIRED = streams_are_wired()


@pytest.mark.parametrize("path", REPORTS)
def test_every_report_answers_with_a_key_and_is_unauthorized_without(admin, anonymous, path):
    response = admin.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    denied = anonymous.get(path)
    assert denied.status_code == 401 and denied.json() == {"message": "Unauthorized"}   # the role authorizer


@pytest.mark.parametrize("path", ["/api/v1/reports/sales", "/api/v1/reports/performance", "/api/v1/analytics/trends"])
def test_bad_period_is_422(admin, path):
    for params in ({"from": "2026-03-10", "to": "2026-03-01"}, {"from": "2020-01-01", "to": "2026-01-01"},
                   {"from": "not-a-date"}):
        response = admin.get(path, params=params)
        assert response.status_code == 422, (params, response.text)
        error = response.json()["error"]
        assert error["code"] == "validation_error" and error["details"][0]["loc"] == ["query", "from"]


@pytest.mark.skipif(not STREAMS_WIRED, reason="no DynamoDB event source mappings in this template/deployer yet")
def test_demo_history_is_in_the_reports(admin):
    # the seeded sales of the last weeks reach the aggregates through the stream
    deadline = time.monotonic() + STALLED_SECONDS
    while True:
        totals = admin.get("/api/v1/reports/sales").json()["totals"]
        if totals["sales_count"] > 0 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert totals["sales_count"] > 0 and Decimal(totals["revenue"]) > 0
    dashboard = admin.get("/api/v1/dashboards").json()
    assert dashboard["top_stores"] and dashboard["low_stock_count"] >= 0


# ---------------------------------------------------------------- through the stream
def sales_count_in_table(aws, session_stack) -> int:
    retail = aws("lambda").get_function_configuration(FunctionName=session_stack.stack.physical_id("RetailFunction"))
    table = retail["Environment"]["Variables"]["SALES_TABLE"]
    count, start = 0, None
    while True:
        kwargs = {"TableName": table, "Select": "COUNT"}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = aws("dynamodb").scan(**kwargs)
        count += page["Count"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return count


def reported_sales(admin, day: str, store_id: int | None = None) -> dict:
    params = {"from": day, "to": day}
    if store_id is not None:
        params["store_id"] = store_id
    response = admin.get("/api/v1/reports/sales", params=params)
    assert response.status_code == 200, response.text
    return response.json()["totals"]


def wait_for_backlog(admin, aws, session_stack) -> None:
    """Every sale in the sales table is in the aggregates (the demo history was consumed)."""
    today = datetime.now(UTC).date()
    params = {"from": (today - timedelta(days=365)).isoformat(), "to": today.isoformat()}
    deadline = time.monotonic() + BACKLOG_SECONDS
    last, moved = -1, time.monotonic()
    while True:
        expected = sales_count_in_table(aws, session_stack)
        reported = admin.get("/api/v1/reports/sales", params=params).json()["totals"]["sales_count"]
        if reported >= expected:
            return
        if reported != last:
            last, moved = reported, time.monotonic()
        now = time.monotonic()
        assert now < deadline and now - moved < STALLED_SECONDS, (
            f"the stream consumer is behind: {reported} of {expected} sales in the reports")
        time.sleep(0.5)


@pytest.mark.skipif(not STREAMS_WIRED, reason="no DynamoDB event source mappings in this template/deployer yet")
def test_a_sale_shows_up_in_the_reports(admin, aws, session_stack):
    # the deployed stack really has the consumer and its three mappings (a failure, not a skip)
    function = session_stack.stack.physical_id(STREAM_FUNCTION)
    mappings = aws("lambda").list_event_source_mappings(FunctionName=function)["EventSourceMappings"]
    assert len(mappings) == 3 and all(m["State"] == "Enabled" for m in mappings), mappings
    assert all(m["FunctionResponseTypes"] == ["ReportBatchItemFailures"] for m in mappings)

    categories = admin.get("/api/v1/categories").json()["items"]
    product = admin.post("/api/v1/products", json={
        "sku": f"RPT-{uuid.uuid4().hex[:8]}".upper(), "name": "Reporting e2e product",
        "category_id": categories[0]["category_id"], "price": "7.35", "reorder_level": 0,
    })
    assert product.status_code == 201, product.text
    product_id = product.json()["product_id"]
    stocked = admin.put(f"/api/v1/stock/{product_id}", json={"location_id": "store-1", "quantity": 10, "reason": "e2e"})
    assert stocked.status_code == 200, stocked.text
    registers = admin.get("/api/v1/cash-registers", params={"store_id": 1}).json()["items"]

    wait_for_backlog(admin, aws, session_stack)
    today = datetime.now(UTC).date().isoformat()
    before_store, before_all = reported_sales(admin, today, 1), reported_sales(admin, today)

    sold = admin.post("/api/v1/sales", json={
        "store_id": 1, "register_id": registers[0]["register_id"], "lines": [{"product_id": product_id, "quantity": 3}],
    })
    assert sold.status_code == 201, sold.text
    sale = sold.json()
    assert sale["sale_date"] == today and sale["total"] == "22.05"

    deadline = time.monotonic() + STREAM_WAIT_SECONDS
    while True:
        after = reported_sales(admin, today, 1)
        if after["sales_count"] > before_store["sales_count"] or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert after["sales_count"] == before_store["sales_count"] + 1, f"the sale did not reach the report (waited {STREAM_WAIT_SECONDS} s)"
    assert Decimal(after["revenue"]) == Decimal(before_store["revenue"]) + Decimal("22.05")
    assert after["units"] == before_store["units"] + 3
    everywhere = reported_sales(admin, today)
    assert everywhere["sales_count"] == before_all["sales_count"] + 1

