"""The reporting handlers against DynamoDB (AWS's DynamoDB Local, as in the embedded cloud),
called in-process: synthetic DynamoDB stream events (DynamoDB JSON made with boto3's
TypeSerializer, shaped like the retail and e-commerce items) go through
ReportingStreamFunction's handler, then every report endpoint is called through
ReportingFunction's handler with REST proxy v1 events and the figures are checked exactly.
Its invokes of inventory's interface function (the stock report, the low-stock count, product
names) are answered in-process by that function's handler (``InProcessInvokes``); inventory's
items are written straight into the interface's tables, as inventory writes them.

Tables are created from template.yaml's own definitions and each function gets the
environment the template gives it, so a key or a variable missing from the template fails here.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3
import pytest

from tests.integration.handler_harness import (
    REGION,
    FakeContext,
    InProcessInvokes,
    RestApi,
    create_tables,
    environment,
    handler_module,
)
from tests.stream_records import a_return, dynamo, order, sale, stream_record

pytestmark = pytest.mark.integration

API_FUNCTION = "ReportingFunction"
STREAM_FUNCTION = "ReportingStreamFunction"
INTERFACE = "InventoryInterfaceFunction"  # inventory's data, answered in-process


# ---------------------------------------------------------------- template, AWS, tables
@pytest.fixture(scope="module")
def aws(template: dict[str, Any], dynamodb_endpoint: str) -> Iterator[dict[str, Any]]:
    """Every table the two functions and the inventory interface name, created from the
    template; their environments; the report API's invokes of the interface answered in-process."""
    envs = create_tables(template, (API_FUNCTION, STREAM_FUNCTION, INTERFACE), dynamodb_endpoint)
    for _ in environment(envs.values(), POWERTOOLS_SERVICE_NAME="reporting"):
        with InProcessInvokes(template, {INTERFACE}).installed():
            yield {"client": boto3.client("dynamodb", endpoint_url=dynamodb_endpoint, region_name=REGION),
                   "api_env": envs[API_FUNCTION], "stream_env": envs[STREAM_FUNCTION],
                   "inventory_env": envs[INTERFACE]}


# ---------------------------------------------------------------- stream events
@pytest.fixture(scope="module")
def stream(aws):
    module = importlib.import_module("reporting.handlers.stream")
    sales, returns, orders = (aws["stream_env"][n] for n in ("SALES_TABLE", "RETURNS_TABLE", "ORDERS_TABLE"))

    def feed(*records: tuple[str, str, dict | None, dict | None]) -> dict[str, Any]:
        table = {"sale": sales, "return": returns, "order": orders}
        event = {"Records": [stream_record(table[kind], name, new, old) for kind, name, new, old in records]}
        return module.lambda_handler(event, FakeContext(STREAM_FUNCTION, remaining_ms=60_000))

    return feed


# ---------------------------------------------------------------- API calls
@pytest.fixture(scope="module")
def call(aws, template):
    """call("/api/v1/reports/sales", store_id="1") -> Reply: GET through ReportingFunction's handler."""
    api = RestApi(template, {API_FUNCTION: handler_module("reporting.handlers.api").lambda_handler})
    return lambda path, **query: api("GET", path, query=query)


# ---------------------------------------------------------------- the data
def put_inventory(aws) -> None:
    """Inventory's items as inventory writes them (functions/inventory/README.md), in the tables
    of the interface function the report asks."""
    client, env = aws["client"], aws["inventory_env"]
    now = "2026-03-01T00:00:00.000000+0000"
    for location_id, name, kind in (("warehouse", "Central warehouse", "warehouse"), ("store-1", "Store 1", "store"),
                                    ("store-2", "Store 2", "store")):
        client.put_item(TableName=env["LOCATIONS_TABLE"], Item=dynamo(
            {"location_id": location_id, "name": name, "kind": kind, "created_at": now}))
    products = {1: ("10.00", 5), 2: ("2.50", 10), 3: ("100.00", 1), 4: ("7.00", 3)}
    for product_id, (price, reorder) in products.items():
        item = {"product_id": product_id, "sku": f"SKU-{product_id:03d}", "name": f"Product {product_id}",
                "category_id": 1, "price": Decimal(price), "reorder_level": reorder, "search_text": "x",
                "created_at": now, "updated_at": now}
        if product_id == 4:
            item["deleted_at"] = now
        client.put_item(TableName=env["PRODUCTS_TABLE"], Item=dynamo(item))
    stock = [
        (1, "warehouse", 100, 0), (1, "store-1", 5, 2), (1, "store-2", 6, 0),
        (2, "warehouse", 40, 0), (2, "store-1", 3, 0), (2, "store-2", 10, 0),
        (3, "warehouse", 2, 0), (3, "store-1", 0, 0), (3, "store-2", 1, 0),
    ]
    for product_id, location_id, available, reserved in stock:
        client.put_item(TableName=env["STOCK_TABLE"], Item=dynamo({
            "product_id": product_id, "location_id": location_id, "available": available, "reserved": reserved,
            "reorder_level": products[product_id][1], "updated_at": now}))
    client.put_item(TableName=env["STOCK_TABLE"], Item=dynamo({
        "product_id": 4, "location_id": "warehouse", "available": 0, "reserved": 0, "reorder_level": 3,
        "discontinued": True, "updated_at": now}))


PLACED = order(1, "2026-03-10", [(1, 3, "10.00")])
BIG_ORDER = order(2, "2026-03-11", [(3, 1, "100.00")])
MARCH_BATCHES = [
    [
        ("sale", "INSERT", sale(1, 1, "2026-03-10", [(1, 2, "10.00"), (2, 4, "2.50")]), None),
        ("sale", "INSERT", sale(2, 1, "2026-03-10", [(3, 1, "100.00")]), None),
        ("sale", "INSERT", sale(3, 2, "2026-03-10", [(1, 1, "10.00")]), None),
        ("sale", "INSERT", sale(4, 2, "2026-03-11", [(2, 2, "2.50")]), None),
    ],
    [("return", "INSERT", a_return(1, 1, 1, "2026-03-11", [(2, 2, "5.00")]), None)],
    [
        ("order", "INSERT", PLACED, None),
        ("order", "INSERT", BIG_ORDER, None),
        ("order", "MODIFY", {**PLACED, "status": "confirmed"}, PLACED),
        ("order", "MODIFY", {**BIG_ORDER, "status": "cancelled"}, BIG_ORDER),
        ("order", "REMOVE", None, {**PLACED, "status": "confirmed"}),
        ("sale", "INSERT", {"sale_id": 99, "note": "no store, no lines"}, None),  # skipped, not failed
    ],
]
MARCH = {"from": "2026-03-10", "to": "2026-03-12"}


@pytest.fixture(scope="module")
def data(aws, stream):
    put_inventory(aws)
    for batch in MARCH_BATCHES:
        assert stream(*batch) == {"batchItemFailures": []}
    # at-least-once delivery: every batch again, and one of them a third time
    for batch in MARCH_BATCHES + MARCH_BATCHES[:1]:
        assert stream(*batch) == {"batchItemFailures": []}
    return aws


def money(value: str) -> str:
    return f"{Decimal(value):.2f}"


# ---------------------------------------------------------------- /reports/sales
def test_sales_report_by_day(call, data):
    reply = call("/api/v1/reports/sales", **MARCH)
    assert reply.status == 200
    body = reply.body
    assert body["period"] == {"from": "2026-03-10", "to": "2026-03-12", "days": 3}
    assert body["store_id"] is None and body["group_by"] == "day"
    assert body["totals"] == {
        "revenue": "145.00", "sales_count": 4, "units": 10, "average_basket": "36.25", "returns_count": 1,
        "returned_units": 2, "refunds": "5.00", "net_revenue": "140.00",
    }
    days = {group["date"]: group for group in body["groups"]}
    assert list(days) == ["2026-03-10", "2026-03-11", "2026-03-12"]
    assert days["2026-03-10"] == {
        "date": "2026-03-10", "store_id": None, "revenue": "140.00", "sales_count": 3, "units": 8,
        "average_basket": "46.67", "returns_count": 0, "returned_units": 0, "refunds": "0.00", "net_revenue": "140.00",
    }
    assert (days["2026-03-11"]["revenue"], days["2026-03-11"]["refunds"], days["2026-03-11"]["net_revenue"]) == (
        "5.00", "5.00", "0.00")
    assert days["2026-03-12"]["sales_count"] == 0 and days["2026-03-12"]["average_basket"] == "0.00"


def test_sales_report_for_one_store_by_store_and_unknown_store(call, data):
    one = call("/api/v1/reports/sales", store_id="1", **MARCH).body
    assert one["store_id"] == 1
    assert (one["totals"]["revenue"], one["totals"]["sales_count"], one["totals"]["units"],
            one["totals"]["average_basket"], one["totals"]["refunds"], one["totals"]["net_revenue"]) == (
        "130.00", 2, 7, "65.00", "5.00", "125.00")
    by_store = call("/api/v1/reports/sales", group_by="store", **MARCH).body
    assert [(g["store_id"], g["revenue"], g["sales_count"], g["average_basket"]) for g in by_store["groups"]] == [
        (1, "130.00", 2, "65.00"), (2, "15.00", 2, "7.50")]
    assert all(g["date"] is None for g in by_store["groups"])
    unknown = call("/api/v1/reports/sales", store_id="999", **MARCH)
    assert unknown.status == 200 and unknown.body["totals"]["sales_count"] == 0
    assert unknown.body["totals"]["revenue"] == "0.00" and len(unknown.body["groups"]) == 3
    outside = call("/api/v1/reports/sales", **{"from": "2026-03-13", "to": "2026-04-30"}).body
    assert outside["totals"]["sales_count"] == 0 and outside["period"]["days"] == 49


def test_sales_report_validation(call, data):
    for query, loc in (({"from": "2026-03-12", "to": "2026-03-10"}, ["query", "from"]),
                       ({"from": "2025-01-01", "to": "2026-03-10"}, ["query", "from"]),
                       ({"from": "10/03/2026"}, ["query", "from"])):
        reply = call("/api/v1/reports/sales", **query)
        assert reply.status == 422 and reply.body["error"]["code"] == "validation_error", query
        assert reply.body["error"]["details"][0]["loc"] == loc


def test_default_period_is_the_last_30_days(call, data):
    body = call("/api/v1/reports/sales").body
    today = datetime.now(UTC).date()
    assert body["period"]["to"] == today.isoformat() and body["period"]["days"] == 30
    assert len(body["groups"]) == 30


# ---------------------------------------------------------------- /reports/performance
def test_performance_ranks_stores(call, data):
    body = call("/api/v1/reports/performance", **MARCH).body
    assert body["rank_by"] == "revenue" and body["totals"]["revenue"] == "145.00"
    assert body["returns_rate"] == 0.25
    first, second = body["stores"]
    assert first == {
        "rank": 1, "store_id": 1, "revenue": "130.00", "sales_count": 2, "units": 7, "average_basket": "65.00",
        "returns_count": 1, "returned_units": 2, "refunds": "5.00", "net_revenue": "125.00", "returns_rate": 0.5,
        "revenue_share": 0.8966,
    }
    assert (second["rank"], second["store_id"], second["revenue"], second["returns_rate"], second["revenue_share"]) == (
        2, 2, "15.00", 0.0, 0.1034)
    by_count = call("/api/v1/reports/performance", rank_by="sales_count", **MARCH).body
    assert [s["store_id"] for s in by_count["stores"]] == [1, 2]  # 2 sales each: ties by store_id
    by_basket = call("/api/v1/reports/performance", rank_by="average_basket", limit="1", **MARCH).body
    assert [s["store_id"] for s in by_basket["stores"]] == [1]
    empty = call("/api/v1/reports/performance", **{"from": "2026-01-01", "to": "2026-01-31"}).body
    assert empty["stores"] == [] and empty["returns_rate"] is None


# ---------------------------------------------------------------- /analytics/trends
def test_trends_series_online_orders_and_top_products(call, data):
    body = call("/api/v1/analytics/trends", **MARCH).body
    assert body["rank_products_by"] == "units"
    series = {point["date"]: point for point in body["series"]}
    assert list(series) == ["2026-03-10", "2026-03-11", "2026-03-12"]
    tenth, eleventh = series["2026-03-10"], series["2026-03-11"]
    assert (tenth["revenue"], tenth["sales_count"], tenth["units"], tenth["online_orders"], tenth["online_value"],
            tenth["cancellations"]) == ("140.00", 3, 8, 1, "30.00", 0)
    assert (eleventh["revenue"], eleventh["refunds"], eleventh["online_orders"], eleventh["online_value"],
            eleventh["cancellations"], eleventh["cancelled_value"], eleventh["net_online_value"]) == (
        "5.00", "5.00", 1, "100.00", 1, "100.00", "0.00")
    totals = body["totals"]
    assert (totals["revenue"], totals["sales_count"], totals["online_orders"], totals["online_value"],
            totals["cancellations"], totals["net_online_value"]) == ("145.00", 4, 2, "130.00", 1, "30.00")
    top = body["top_products"]
    assert [(p["rank"], p["product_id"], p["total_units"], p["total_revenue"]) for p in top] == [
        (1, 1, 6, "60.00"), (2, 2, 6, "15.00"), (3, 3, 1, "100.00")]
    assert top[0] == {
        "rank": 1, "product_id": 1, "sku": "SKU-001", "name": "Product 1", "units": 3, "revenue": "30.00",
        "online_units": 3, "online_revenue": "30.00", "total_units": 6, "total_revenue": "60.00",
        "returned_units": 0, "refunds": "0.00",
    }
    assert (top[1]["returned_units"], top[1]["refunds"]) == (2, "5.00")
    assert (top[2]["online_units"], top[2]["online_revenue"]) == (0, "0.00")  # its online order was cancelled
    by_revenue = call("/api/v1/analytics/trends", rank_products_by="revenue", top="2", **MARCH).body
    assert [p["product_id"] for p in by_revenue["top_products"]] == [3, 1]


# ---------------------------------------------------------------- /reports/inventory
def test_inventory_report(call, data):
    body = call("/api/v1/reports/inventory").body
    assert body["location_id"] is None
    assert body["totals"] == {"products": 9, "units_available": 167, "units_reserved": 2, "stock_value": "1542.50",
                              "low_stock_count": 5}
    locations = {location["location_id"]: location for location in body["locations"]}
    assert locations["warehouse"] == {"location_id": "warehouse", "name": "Central warehouse", "kind": "warehouse",
                                      "products": 3, "units_available": 142, "units_reserved": 0,
                                      "stock_value": "1300.00", "low_stock_count": 0}
    assert (locations["store-1"]["stock_value"], locations["store-1"]["low_stock_count"],
            locations["store-1"]["units_reserved"]) == ("57.50", 3, 2)
    assert (locations["store-2"]["stock_value"], locations["store-2"]["low_stock_count"]) == ("185.00", 2)
    assert [(a["product_id"], a["location_id"], a["shortfall"]) for a in body["low_stock"]] == [
        (2, "store-1", 7), (3, "store-1", 1), (1, "store-1", 0), (2, "store-2", 0), (3, "store-2", 0)]
    assert body["low_stock"][0] == {"product_id": 2, "sku": "SKU-002", "name": "Product 2", "location_id": "store-1",
                                    "available": 3, "reserved": 0, "reorder_level": 10, "shortfall": 7}
    one = call("/api/v1/reports/inventory", location_id="store-1", limit="2").body
    assert [l["location_id"] for l in one["locations"]] == ["store-1"]
    assert one["totals"]["low_stock_count"] == 3 and len(one["low_stock"]) == 2
    unknown = call("/api/v1/reports/inventory", location_id="store-99")
    assert unknown.status == 404 and unknown.body["error"]["code"] == "invalid_reference"


# ---------------------------------------------------------------- /dashboards
def test_dashboard(call, data):
    body = call("/api/v1/dashboards", date="2026-03-11").body
    assert body["today"]["date"] == "2026-03-11" and body["yesterday"]["date"] == "2026-03-10"
    assert (body["today"]["revenue"], body["today"]["sales_count"], body["today"]["online_orders"]) == ("5.00", 1, 1)
    assert (body["yesterday"]["revenue"], body["yesterday"]["sales_count"]) == ("140.00", 3)
    assert body["change"] == {"revenue": -0.9643, "sales_count": -0.6667, "online_orders": 0.0}
    week = body["last_7_days"]
    assert week["period"] == {"from": "2026-03-05", "to": "2026-03-11", "days": 7}
    assert (week["revenue"], week["sales_count"], week["online_orders"], week["cancellations"]) == ("145.00", 4, 2, 1)
    assert len(body["series_7_days"]) == 7
    assert [(s["rank"], s["store_id"], s["revenue"]) for s in body["top_stores"]] == [(1, 1, "130.00"), (2, 2, "15.00")]
    assert [p["product_id"] for p in body["top_products"]] == [1, 2, 3]
    assert body["low_stock_count"] == 5
    quiet = call("/api/v1/dashboards", date="2026-03-12").body
    assert quiet["change"]["revenue"] == -1.0 and quiet["today"]["revenue"] == "0.00"
    assert call("/api/v1/dashboards").status == 200


# ---------------------------------------------------------------- exactly once, at scale, on DynamoDB
def test_markers_are_written_with_a_ttl(data):
    client, table = data["client"], data["stream_env"]["PROCESSED_EVENTS_TABLE"]
    item = client.get_item(TableName=table, Key={"event_key": {"S": "sale#1"}})["Item"]
    expires = int(item["expires_at"]["N"])
    assert 6 * 86400 < expires - time.time() <= 7 * 86400 + 60
    assert "order#2#cancelled" in {
        i["event_key"]["S"] for i in client.scan(TableName=table)["Items"]
    }
    assert client.get_item(TableName=table, Key={"event_key": {"S": "sale#99"}}).get("Item") is None


def test_large_batches_and_a_huge_sale_are_counted_exactly_once(call, stream, data):
    day = "2026-05-05"
    sales = [sale(1000 + i, i % 3 + 1, day, [(i % 40 + 1, 1, "1.10"), (i % 7 + 50, 2, "0.45")]) for i in range(300)]
    huge = sale(5000, 1, day, [(product, 1, "1.00") for product in range(100, 260)])  # 160 products
    batches = [sales[:100], sales[100:200], sales[200:] + [huge]]
    for batch in batches:
        assert stream(*(("sale", "INSERT", item, None) for item in batch)) == {"batchItemFailures": []}
    # a crashed invocation left part of a batch committed: replay everything
    assert stream(*(("sale", "INSERT", item, None) for item in sales[150:] + [huge])) == {"batchItemFailures": []}
    body = call("/api/v1/reports/sales", **{"from": day, "to": day}).body
    assert body["totals"]["sales_count"] == 301
    assert body["totals"]["units"] == 300 * 3 + 160
    assert body["totals"]["revenue"] == money(str(300 * (Decimal("1.10") + Decimal("0.90")) + 160))
    top = call("/api/v1/analytics/trends", top="3", **{"from": day, "to": day}).body["top_products"]
    assert [(p["product_id"], p["units"]) for p in top] == [(50, 86), (51, 86), (52, 86)]  # 43 sales x 2 units
    stores = call("/api/v1/reports/performance", rank_by="sales_count", **{"from": day, "to": day}).body["stores"]
    assert [(s["store_id"], s["sales_count"]) for s in stores] == [(1, 101), (2, 100), (3, 100)]
