"""The retail Lambda handler against DynamoDB (AWS's DynamoDB Local, as in the embedded cloud),
called in-process with REST proxy v1 events, together with the inventory handler (products and
stock set up through inventory's API) and the inventory interface function, which retail
invokes for a sale's or a return's stock, prices and a store's location: its Lambda invokes are
answered in-process by the interface's handler (``InProcessInvokes``).

The tables are created from template.yaml's own ``AWS::DynamoDB::Table`` definitions (retail's
and inventory's) and each function gets the environment the template gives it, so a key, an
index or a variable missing from the template fails here.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest

from tests.integration.handler_harness import (
    InProcessInvokes,
    Reply,
    RestApi,
    all_pages,
    create_tables,
    environment,
    handler_module,
)

pytestmark = pytest.mark.integration

FUNCTIONS = ("RetailFunction", "InventoryFunction", "InventoryInterfaceFunction")
HANDLERS = {"RetailFunction": "retail.handlers.api", "InventoryFunction": "inventory.handlers.api"}


# ---------------------------------------------------------------- template, AWS, tables
@pytest.fixture(scope="module")
def envs(template: dict[str, Any], dynamodb_endpoint: str) -> Iterator[dict[str, dict[str, str]]]:
    """Fresh tables; os.environ holds the union of both functions' environments (the shared
    inventory variables name the same tables in both)."""
    envs = create_tables(template, FUNCTIONS, dynamodb_endpoint)
    for _ in environment(envs.values(), POWERTOOLS_SERVICE_NAME="retail"):
        yield envs


@pytest.fixture(scope="module")
def invokes(envs, template) -> Iterator[InProcessInvokes]:
    """Retail's invokes of the inventory interface, answered in-process."""
    with InProcessInvokes(template, {"InventoryInterfaceFunction"}).installed() as routed:
        yield routed


@pytest.fixture(scope="module")
def call(envs, invokes, template) -> RestApi:
    return RestApi(template, {function: handler_module(module).lambda_handler for function, module in HANDLERS.items()})


# ---------------------------------------------------------------- data helpers
def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def shop(call) -> dict[str, Any]:
    """Two stores with registers, then a category (products come after the stores so that
    inventory opens their stock rows at the stores' locations)."""
    stores = [call("POST", "/api/v1/stores", body={"name": unique("Store"), "address": "1 Main St"}).body for _ in range(2)]
    registers = [
        call("POST", "/api/v1/cash-registers", body={"store_id": store["store_id"], "number": 1}).body for store in stores
    ]
    category = call("POST", "/api/v1/categories", body={"name": unique("Retail")}).body
    return {"stores": stores, "registers": registers, "category": category}


def new_product(call, shop, *, price: str = "19.99", reorder_level: int = 2, stock: dict[int, int] | None = None) -> dict:
    body = {
        "sku": f"R-{uuid.uuid4().hex[:10]}".upper(),
        "name": "Retail test product",
        "category_id": shop["category"]["category_id"],
        "price": price,
        "reorder_level": reorder_level,
    }
    product = call("POST", "/api/v1/products", body=body)
    assert product.status == 201, product.body
    for store_id, quantity in (stock or {}).items():
        reply = call(
            "PUT",
            f"/api/v1/stock/{product.body['product_id']}",
            body={"location_id": f"store-{store_id}", "quantity": quantity, "reason": "delivery"},
        )
        assert reply.status == 200, reply.body
    return product.body


def available(call, product_id: int, store_id: int) -> int:
    items = call("GET", "/api/v1/stock", query={"product_id": str(product_id), "location_id": f"store-{store_id}"}).body["items"]
    return items[0]["available"] if items else 0


def movements_of(product_id: int) -> list[Any]:
    from inventory.dal.tables import StockMovementRecord

    return sorted(StockMovementRecord.query(product_id, consistent_read=True), key=lambda m: m.movement_id)


def sell(call, store, register, lines, **kwargs) -> Reply:
    body = {"store_id": store["store_id"], "register_id": register["register_id"], "lines": lines}
    return call("POST", "/api/v1/sales", body=body, **kwargs)


def sales_of_store(call, store_id: int) -> list[dict]:
    return all_pages(call, "/api/v1/sales", {"store_id": str(store_id), "limit": "100"})[0]


# ---------------------------------------------------------------- stores and registers
def test_store_create_opens_its_inventory_location(call):
    name = unique("Sherbrooke")
    created = call("POST", "/api/v1/stores", body={"name": f"  {name} ", "address": "10 King St W", "phone": "+1 819-555-0100"})
    assert created.status == 201, created.body
    store = created.body
    assert store["name"] == name and store["location_id"] == f"store-{store['store_id']}"
    assert call("GET", f"/api/v1/stores/{store['store_id']}").body == store

    locations, _ = all_pages(call, "/api/v1/locations", {"limit": "100"})
    location = next(item for item in locations if item["location_id"] == store["location_id"])
    assert location == {"location_id": store["location_id"], "name": name, "kind": "store", "address": "10 King St W"}

    # ids are increasing integers; names are unique case-insensitively
    other = call("POST", "/api/v1/stores", body={"name": unique("Other")}).body
    assert other["store_id"] > store["store_id"]
    duplicate = call("POST", "/api/v1/stores", body={"name": name.upper()})
    assert duplicate.status == 409 and duplicate.error_code == "already_exists"

    stores, pages = all_pages(call, "/api/v1/stores", {"limit": "1"})
    assert store in stores and other in stores and pages == len(stores)


def test_store_errors(call):
    missing = call("GET", "/api/v1/stores/999999")
    assert missing.status == 404 and missing.error_code == "not_found"
    for bad in ("abc", "0", "-1", "1.5"):
        reply = call("GET", f"/api/v1/stores/{bad}")
        assert reply.status == 422 and reply.body["error"]["details"][0]["loc"] == ["path", "store_id"]
    for body in ({}, {"name": ""}, {"name": "ok", "phone": "nope"}, {"name": "ok", "colour": "red"}, {"name": 5}):
        reply = call("POST", "/api/v1/stores", body=body)
        assert reply.status == 422 and reply.error_code == "validation_error", body


def test_store_whose_location_already_exists_is_a_conflict_and_the_next_id_works(call):
    from inventory.dal import catalog
    from retail.dal import stores as stores_dal

    next_id = stores_dal.next_id("store")[0] + 1  # the id the next POST will get
    catalog.put_location(f"store-{next_id}", "Made by hand", "store", None)
    taken = call("POST", "/api/v1/stores", body={"name": unique("Taken")})
    assert taken.status == 409 and taken.error_code == "location_exists"
    assert call("GET", f"/api/v1/stores/{next_id}").status == 404
    retried = call("POST", "/api/v1/stores", body={"name": unique("Taken")})
    assert retried.status == 201 and retried.body["store_id"] == next_id + 1


def test_cash_registers(call, shop):
    store = shop["stores"][0]
    created = call("POST", "/api/v1/cash-registers", body={"store_id": store["store_id"], "number": 2, "name": "Express"})
    assert created.status == 201
    assert created.body["name"] == "Express" and created.body["number"] == 2 and created.body["store_id"] == store["store_id"]
    default_name = call("POST", "/api/v1/cash-registers", body={"store_id": store["store_id"], "number": 3}).body
    assert default_name["name"] == "Register 3"

    duplicate = call("POST", "/api/v1/cash-registers", body={"store_id": store["store_id"], "number": 2})
    assert duplicate.status == 409 and duplicate.error_code == "already_exists"
    # the same number in another store is fine
    other = call("POST", "/api/v1/cash-registers", body={"store_id": shop["stores"][1]["store_id"], "number": 2})
    assert other.status == 201

    unknown = call("POST", "/api/v1/cash-registers", body={"store_id": 999999, "number": 1})
    assert unknown.status == 404 and unknown.error_code == "invalid_reference"
    assert unknown.body["error"]["details"][0]["loc"] == ["body", "store_id"]
    for body in ({"store_id": store["store_id"]}, {"store_id": store["store_id"], "number": 0}, {"number": 1}):
        assert call("POST", "/api/v1/cash-registers", body=body).status == 422

    mine, _ = all_pages(call, "/api/v1/cash-registers", {"store_id": str(store["store_id"]), "limit": "1"})
    assert {r["number"] for r in mine} == {1, 2, 3} and all(r["store_id"] == store["store_id"] for r in mine)
    everything, _ = all_pages(call, "/api/v1/cash-registers", {"limit": "100"})
    assert created.body in everything and other.body in everything
    reply = call("GET", "/api/v1/cash-registers", query={"store_id": "999999"})
    assert reply.status == 404 and reply.error_code == "invalid_reference"


# ---------------------------------------------------------------- sales
def test_sale_takes_stock_for_every_line_at_catalogue_prices(call, shop):
    store, register = shop["stores"][0], shop["registers"][0]
    sid = store["store_id"]
    a = new_product(call, shop, price="19.99", stock={sid: 10})
    b = new_product(call, shop, price="5.00", stock={sid: 3, shop["stores"][1]["store_id"]: 7})

    reply = sell(call, store, register, [{"product_id": a["product_id"], "quantity": 2}, {"product_id": b["product_id"], "quantity": 1}])
    assert reply.status == 201, reply.body
    sale = reply.body
    assert sale["store_id"] == sid and sale["register_id"] == register["register_id"]
    assert sale["lines"] == [
        {"product_id": a["product_id"], "quantity": 2, "unit_price": "19.99", "line_total": "39.98"},
        {"product_id": b["product_id"], "quantity": 1, "unit_price": "5.00", "line_total": "5.00"},
    ]
    assert sale["total"] == "44.98" and sale["item_count"] == 3
    assert sale["created_at"].endswith("Z") and sale["sale_date"] == sale["created_at"][:10]
    assert call("GET", f"/api/v1/sales/{sale['sale_id']}").body == sale

    assert available(call, a["product_id"], sid) == 8 and available(call, b["product_id"], sid) == 2
    assert available(call, b["product_id"], shop["stores"][1]["store_id"]) == 7  # other stores untouched

    movement = movements_of(a["product_id"])[-1]
    assert (movement.kind, movement.location_id, movement.delta) == ("sale", f"store-{sid}", -2)
    assert (movement.available_before, movement.available_after) == (10, 8)
    assert f"sale {sale['sale_id']}" in movement.reason

    # the stored item is what the reporting domain reads from the stream
    raw = boto3.client("dynamodb").get_item(TableName=_env("SALES_TABLE"), Key={"sale_id": {"N": str(sale["sale_id"])}})["Item"]
    assert set(raw) == {"sale_id", "store_id", "register_id", "created_at", "sale_date", "lines", "total", "item_count"}
    assert raw["total"] == {"N": "44.98"} and raw["lines"]["L"][0]["M"]["unit_price"] == {"N": "19.99"}
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", raw["created_at"]["S"])


def _env(name: str) -> str:
    import os

    return os.environ[name]


def test_client_prices_are_refused(call, shop):
    product = new_product(call, shop, stock={shop["stores"][0]["store_id"]: 5})
    reply = sell(call, shop["stores"][0], shop["registers"][0], [{"product_id": product["product_id"], "quantity": 1, "unit_price": "0.01"}])
    assert reply.status == 422 and reply.error_code == "validation_error"


def test_insufficient_stock_writes_nothing_and_names_the_product(call, shop):
    store, register = shop["stores"][0], shop["registers"][0]
    sid = store["store_id"]
    plenty = new_product(call, shop, stock={sid: 10})
    scarce = new_product(call, shop, stock={sid: 2})
    sales_before = len(sales_of_store(call, sid))
    movements_before = len(movements_of(plenty["product_id"]))

    reply = sell(call, store, register, [{"product_id": plenty["product_id"], "quantity": 1}, {"product_id": scarce["product_id"], "quantity": 5}])
    assert reply.status == 409 and reply.error_code == "insufficient_stock"
    assert f"product {scarce['product_id']} has 2 available (5 requested)" in reply.body["error"]["message"]
    detail = reply.body["error"]["details"]
    assert detail == [
        {
            "loc": ["body", "lines", 1, "quantity"],
            "type": "insufficient_stock",
            "product_id": scarce["product_id"],
            "location_id": f"store-{sid}",
            "available": 2,
            "requested": 5,
        }
    ]
    assert available(call, plenty["product_id"], sid) == 10 and available(call, scarce["product_id"], sid) == 2
    assert len(sales_of_store(call, sid)) == sales_before
    assert len(movements_of(plenty["product_id"])) == movements_before


def test_insufficient_stock_found_by_the_transaction_itself(call, shop, monkeypatch):
    """The stock drops between the read and the write: the transaction's condition refuses the
    line (CancellationReasons name it) and nothing is written. (The read and the write are the
    inventory interface's, answered in-process: the race is staged at its data-access seam.)"""
    from inventory.logic import interface

    inventory_dal = interface.dal

    store, register = shop["stores"][0], shop["registers"][0]
    sid = store["store_id"]
    plenty = new_product(call, shop, stock={sid: 10})
    scarce = new_product(call, shop, stock={sid: 4})
    real = inventory_dal.stock_rows

    def stale_rows(location_id, product_ids):
        rows = real(location_id, product_ids)
        # someone else sells 3 of the scarce product right after our read
        call("PUT", f"/api/v1/stock/{scarce['product_id']}", body={"location_id": f"store-{sid}", "delta": -3, "reason": "sold elsewhere"})
        return rows

    monkeypatch.setattr(inventory_dal, "stock_rows", stale_rows)
    reply = sell(call, store, register, [{"product_id": plenty["product_id"], "quantity": 2}, {"product_id": scarce["product_id"], "quantity": 2}])
    monkeypatch.undo()
    assert reply.status == 409 and reply.error_code == "insufficient_stock", reply.body
    assert reply.body["error"]["details"][0]["product_id"] == scarce["product_id"]
    assert reply.body["error"]["details"][0]["available"] == 1  # the row as it was (ALL_OLD)
    assert available(call, plenty["product_id"], sid) == 10 and available(call, scarce["product_id"], sid) == 1


# ---------------------------------------------------------------- a failed sale or return leaves nothing behind
def _kinds(product_id: int) -> list[str]:
    return [m.kind for m in movements_of(product_id)]


def test_a_sale_that_cannot_be_recorded_gives_its_units_back(call, shop, monkeypatch):
    from retail.logic import sales as sales_logic

    store, register = shop["stores"][0], shop["registers"][0]
    sid = store["store_id"]
    product = new_product(call, shop, stock={sid: 5})
    before = len(sales_of_store(call, sid))

    def table_down(sale):
        raise RuntimeError("the sales table is unavailable")

    monkeypatch.setattr(sales_logic.dal, "put_sale", table_down)
    reply = sell(call, store, register, [{"product_id": product["product_id"], "quantity": 2}], server_error=True)
    monkeypatch.undo()
    assert reply.status == 500 and reply.error_code == "internal_error", reply.body
    assert available(call, product["product_id"], sid) == 5 and len(sales_of_store(call, sid)) == before
    assert _kinds(product["product_id"])[-2:] == ["sale", "sale-undo"]


def test_a_stock_call_that_timed_out_after_taking_the_units_is_taken_back(call, shop, monkeypatch):
    """Inventory applied the sale's stock change but its answer never came back: the sale is an
    error and the units are back (the reference is cancelled)."""
    from retail.logic import sales as sales_logic
    from shared.contracts.inventory import InventoryUnavailable

    store, register = shop["stores"][0], shop["registers"][0]
    sid = store["store_id"]
    product = new_product(call, shop, stock={sid: 5})
    real = sales_logic.inventory_dal.change_stock

    def answer_lost(*args, **kwargs):
        real(*args, **kwargs)
        raise InventoryUnavailable("Read timeout on endpoint URL (simulated)")

    monkeypatch.setattr(sales_logic.inventory_dal, "change_stock", answer_lost)
    reply = sell(call, store, register, [{"product_id": product["product_id"], "quantity": 3}], server_error=True)
    monkeypatch.undo()
    assert reply.status == 500, reply.body
    assert available(call, product["product_id"], sid) == 5
    assert _kinds(product["product_id"])[-2:] == ["sale", "sale-undo"]


def test_a_stock_call_arriving_after_the_sale_gave_up_is_refused(call, shop, monkeypatch):
    """The invoke timed out before inventory ran it; it runs later: the cancelled reference
    refuses it, so the units of a sale answered as failed are never taken."""
    from retail.logic import sales as sales_logic
    from shared.contracts.inventory import InventoryRefusal, InventoryUnavailable

    store, register = shop["stores"][0], shop["registers"][0]
    sid = store["store_id"]
    product = new_product(call, shop, stock={sid: 5})
    real = sales_logic.inventory_dal.change_stock
    late: list[tuple] = []

    def not_yet(*args, **kwargs):
        late.append((args, kwargs))
        raise InventoryUnavailable("Read timeout on endpoint URL (simulated)")

    monkeypatch.setattr(sales_logic.inventory_dal, "change_stock", not_yet)
    reply = sell(call, store, register, [{"product_id": product["product_id"], "quantity": 3}], server_error=True)
    monkeypatch.undo()
    assert reply.status == 500, reply.body
    (args, kwargs), = late
    with pytest.raises(InventoryRefusal) as refused:
        real(*args, **kwargs)
    assert refused.value.error_type == "ReferenceCancelled"
    assert available(call, product["product_id"], sid) == 5 and _kinds(product["product_id"]) == ["set"]


def test_a_return_that_cannot_be_recorded_takes_its_units_out_again(call, shop, monkeypatch):
    from retail.logic import returns as returns_logic

    store, register = shop["stores"][1], shop["registers"][1]
    sid = store["store_id"]
    product = new_product(call, shop, stock={sid: 5})
    sale = sell(call, store, register, [{"product_id": product["product_id"], "quantity": 2}]).body

    def table_down(returned):
        raise RuntimeError("the returns table is unavailable")

    monkeypatch.setattr(returns_logic.dal, "put_return", table_down)
    lines = [{"product_id": product["product_id"], "quantity": 2}]
    reply = call("POST", "/api/v1/returns", body={"sale_id": sale["sale_id"], "lines": lines}, server_error=True)
    monkeypatch.undo()
    assert reply.status == 500, reply.body
    assert available(call, product["product_id"], sid) == 3
    assert _kinds(product["product_id"])[-2:] == ["return", "return-undo"]
    # the guards came down too: the units can still be returned
    again = call("POST", "/api/v1/returns", body={"sale_id": sale["sale_id"], "lines": lines})
    assert again.status == 201 and available(call, product["product_id"], sid) == 5


def test_store_without_stock_rows(call, shop):
    product = new_product(call, shop)  # rows at existing locations, all at 0
    late = call("POST", "/api/v1/stores", body={"name": unique("Late")}).body
    register = call("POST", "/api/v1/cash-registers", body={"store_id": late["store_id"], "number": 1}).body
    reply = sell(call, late, register, [{"product_id": product["product_id"], "quantity": 1}])
    assert reply.status == 409 and reply.body["error"]["details"][0]["available"] == 0
    call("PUT", f"/api/v1/stock/{product['product_id']}", body={"location_id": late["location_id"], "quantity": 3, "reason": "opening"})
    assert sell(call, late, register, [{"product_id": product["product_id"], "quantity": 1}]).status == 201
    assert available(call, product["product_id"], late["store_id"]) == 2


def test_sale_references(call, shop):
    store, register = shop["stores"][0], shop["registers"][0]
    other_register = shop["registers"][1]
    product = new_product(call, shop, stock={store["store_id"]: 5})
    line = [{"product_id": product["product_id"], "quantity": 1}]

    reply = call("POST", "/api/v1/sales", body={"store_id": 999999, "register_id": register["register_id"], "lines": line})
    assert reply.status == 404 and reply.error_code == "invalid_reference"
    assert reply.body["error"]["details"][0]["loc"] == ["body", "store_id"]

    for register_id in (other_register["register_id"], 999999):  # another store's register, no register
        reply = call("POST", "/api/v1/sales", body={"store_id": store["store_id"], "register_id": register_id, "lines": line})
        assert reply.status == 404 and reply.error_code == "invalid_reference"
        assert reply.body["error"]["details"][0]["loc"] == ["body", "register_id"]

    deleted = new_product(call, shop, stock={store["store_id"]: 5})
    assert call("DELETE", f"/api/v1/products/{deleted['product_id']}").status == 204
    reply = sell(call, store, register, line + [{"product_id": 999999, "quantity": 1}, {"product_id": deleted["product_id"], "quantity": 1}])
    assert reply.status == 404 and reply.error_code == "invalid_reference"
    assert [d["loc"] for d in reply.body["error"]["details"]] == [["body", "lines", 1, "product_id"], ["body", "lines", 2, "product_id"]]
    assert available(call, product["product_id"], store["store_id"]) == 5


def test_sale_line_limits(call, shop):
    from retail.logic.rules import MAX_SALE_LINES

    store, register = shop["stores"][0], shop["registers"][0]
    too_many = [{"product_id": i, "quantity": 1} for i in range(1, MAX_SALE_LINES + 2)]
    reply = sell(call, store, register, too_many)
    assert reply.status == 422 and reply.body["error"]["details"][0]["loc"] == ["body", "lines"]
    for lines in ([], [{"product_id": 1, "quantity": 1}, {"product_id": 1, "quantity": 1}], [{"product_id": 1, "quantity": 0}]):
        assert sell(call, store, register, lines).status == 422


def test_largest_sale_fits_in_one_transaction_and_can_be_returned_whole(call, shop):
    from retail.logic.rules import MAX_SALE_LINES

    store, register = shop["stores"][1], shop["registers"][1]
    products = [new_product(call, shop, price="1.10", stock={store["store_id"]: 3}) for _ in range(MAX_SALE_LINES)]
    lines = [{"product_id": p["product_id"], "quantity": 2} for p in products]
    sale = sell(call, store, register, lines)
    assert sale.status == 201, sale.body
    assert sale.body["item_count"] == 2 * MAX_SALE_LINES and Decimal(sale.body["total"]) == Decimal("2.20") * MAX_SALE_LINES
    returned = call("POST", "/api/v1/returns", body={"sale_id": sale.body["sale_id"], "lines": lines})
    assert returned.status == 201, returned.body
    assert all(available(call, p["product_id"], store["store_id"]) == 3 for p in products[:3])


def test_metrics_of_a_sale(call, shop):
    store, register = shop["stores"][0], shop["registers"][0]
    product = new_product(call, shop, price="2.50", reorder_level=5, stock={store["store_id"]: 7})
    reply = sell(call, store, register, [{"product_id": product["product_id"], "quantity": 3}], capture=True)
    assert reply.status == 201
    emf = [json.loads(line) for line in reply.stdout.splitlines() if '"_aws"' in line]
    values = {name: record[name] for record in emf for name in ("SalesCreated", "ProductsSold", "SaleValue", "LowStockAlerts") if name in record}
    assert values == {"SalesCreated": [1.0], "ProductsSold": [3.0], "SaleValue": [7.5], "LowStockAlerts": [1.0]}


# ---------------------------------------------------------------- listings
def test_sales_listing_by_store_and_period(call, shop):
    from retail.dal.tables import SaleLine, SaleRecord

    store = call("POST", "/api/v1/stores", body={"name": unique("Listing")}).body
    register = call("POST", "/api/v1/cash-registers", body={"store_id": store["store_id"], "number": 1}).body
    today = datetime.now(UTC).date()
    # three older sales written directly (the API stamps sales with the current time)
    for days_ago, sale_id in ((3, 900_001), (2, 900_002), (1, 900_003)):
        day = today - timedelta(days=days_ago)
        SaleRecord(
            sale_id,
            store_id=store["store_id"],
            register_id=register["register_id"],
            created_at=f"{day}T12:00:00.000Z",
            sale_date=str(day),
            lines=[SaleLine(product_id=1, quantity=1, unit_price=Decimal("1.00"), line_total=Decimal("1.00"))],
            total=Decimal("1.00"),
            item_count=1,
        ).save()
    product = new_product(call, shop, stock={store["store_id"]: 5})
    fresh = sell(call, store, register, [{"product_id": product["product_id"], "quantity": 1}]).body

    everything, pages = all_pages(call, "/api/v1/sales", {"store_id": str(store["store_id"]), "limit": "1"})
    assert [s["sale_id"] for s in everything] == [fresh["sale_id"], 900_003, 900_002, 900_001]  # newest first
    assert pages == 4

    def ids(**query):
        return [s["sale_id"] for s in all_pages(call, "/api/v1/sales", {"store_id": str(store["store_id"]), **query})[0]]

    d = lambda n: str(today - timedelta(days=n))  # noqa: E731
    assert ids(**{"from": d(2), "to": d(1)}) == [900_003, 900_002]
    assert ids(**{"from": d(2), "to": d(2)}) == [900_002]
    assert ids(**{"from": d(1)}) == [fresh["sale_id"], 900_003]
    assert ids(to=d(3)) == [900_001]
    assert ids(**{"from": d(30), "to": d(10)}) == []

    # without a store: a scan, every store's sales of the period
    period, _ = all_pages(call, "/api/v1/sales", {"from": d(2), "to": d(2), "limit": "2"})
    assert 900_002 in {s["sale_id"] for s in period} and all(s["sale_date"] == d(2) for s in period)

    for query in ({"from": d(1), "to": d(2)}, {"from": "2026-02-30"}, {"to": "tomorrow"}, {"store_id": "0"}, {"limit": "0"}):
        reply = call("GET", "/api/v1/sales", query=query)
        assert reply.status == 422, query
    reply = call("GET", "/api/v1/sales", query={"from": d(1), "to": d(2)})
    assert reply.body["error"]["details"][0]["loc"] == ["query", "to"]
    unknown = call("GET", "/api/v1/sales", query={"store_id": "999999"})
    assert unknown.status == 404 and unknown.error_code == "invalid_reference"

    first = call("GET", "/api/v1/sales", query={"store_id": str(store["store_id"]), "limit": "1"}).body
    other_filters = call("GET", "/api/v1/sales", query={"store_id": str(store["store_id"]), "from": d(3), "next_token": first["next_token"]})
    assert other_filters.status == 400 and other_filters.error_code == "invalid_pagination_token"
    assert call("GET", "/api/v1/sales", query={"next_token": "%%%"}).status in (400, 422)

    assert call("GET", "/api/v1/sales/999999999").status == 404
    assert call("GET", "/api/v1/sales/abc").status == 422


# ---------------------------------------------------------------- returns
@pytest.fixture
def sold(call, shop) -> dict[str, Any]:
    """A sale of 3 x A (19.99) and 1 x B (5.00) at store 0."""
    store, register = shop["stores"][0], shop["registers"][0]
    a = new_product(call, shop, price="19.99", stock={store["store_id"]: 10})
    b = new_product(call, shop, price="5.00", stock={store["store_id"]: 4})
    sale = sell(call, store, register, [{"product_id": a["product_id"], "quantity": 3}, {"product_id": b["product_id"], "quantity": 1}])
    assert sale.status == 201
    return {"store": store, "a": a, "b": b, "sale": sale.body}


def test_return_restores_stock_and_refunds_at_sale_prices(call, sold):
    sid, a, b, sale = sold["store"]["store_id"], sold["a"], sold["b"], sold["sale"]
    # the catalogue price changes after the sale: refunds still use the sale's price
    assert call("PUT", f"/api/v1/products/{a['product_id']}", body={"price": "25.00"}).status == 200
    reply = call(
        "POST",
        "/api/v1/returns",
        body={"sale_id": sale["sale_id"], "lines": [{"product_id": a["product_id"], "quantity": 2}], "reason": "too big"},
        capture=True,
    )
    assert reply.status == 201, reply.body
    record = reply.body
    assert record["sale_id"] == sale["sale_id"] and record["store_id"] == sid and record["reason"] == "too big"
    assert record["lines"] == [{"product_id": a["product_id"], "quantity": 2, "refund_amount": "39.98"}]
    assert record["refund_total"] == "39.98" and record["return_date"] == record["created_at"][:10]
    assert '"ReturnsCreated"' in reply.stdout
    assert available(call, a["product_id"], sid) == 7 + 2
    movement = movements_of(a["product_id"])[-1]
    assert (movement.kind, movement.delta, movement.location_id) == ("return", 2, f"store-{sid}")

    assert call("GET", f"/api/v1/returns/{record['return_id']}").body == record
    raw = boto3.client("dynamodb").get_item(TableName=_env("RETURNS_TABLE"), Key={"return_id": {"N": str(record["return_id"])}})["Item"]
    assert set(raw) >= {"return_id", "sale_id", "store_id", "created_at", "return_date", "lines", "refund_total"}
    assert raw["lines"]["L"][0]["M"] == {"product_id": {"N": str(a["product_id"])}, "quantity": {"N": "2"}, "refund_amount": {"N": "39.98"}}

    # the rest of the sale can come back later; then nothing more
    rest = call("POST", "/api/v1/returns", body={"sale_id": sale["sale_id"], "lines": [{"product_id": a["product_id"], "quantity": 1}, {"product_id": b["product_id"], "quantity": 1}]})
    assert rest.status == 201 and rest.body["refund_total"] == "24.99"
    assert available(call, a["product_id"], sid) == 10 and available(call, b["product_id"], sid) == 4

    again = call("POST", "/api/v1/returns", body={"sale_id": sale["sale_id"], "lines": [{"product_id": b["product_id"], "quantity": 1}]})
    assert again.status == 409 and again.error_code == "return_exceeds_sale"
    assert again.body["error"]["details"][0] | {} == {
        "loc": ["body", "lines", 0, "quantity"],
        "type": "return_exceeds_sale",
        "product_id": b["product_id"],
        "sold": 1,
        "already_returned": 1,
        "requested": 1,
    }
    assert available(call, b["product_id"], sid) == 4

    listed, _ = all_pages(call, "/api/v1/returns", {"sale_id": str(sale["sale_id"])})
    assert [r["return_id"] for r in listed] == [record["return_id"], rest.body["return_id"]]
    by_store, _ = all_pages(call, "/api/v1/returns", {"store_id": str(sid), "limit": "1"})
    assert [r["return_id"] for r in by_store][:2] == [rest.body["return_id"], record["return_id"]]  # newest first
    both, _ = all_pages(call, "/api/v1/returns", {"store_id": str(sid), "sale_id": str(sale["sale_id"])})
    assert len(both) == 2
    everything, _ = all_pages(call, "/api/v1/returns", {"limit": "100"})
    assert record in everything


def test_over_return_and_bad_references_write_nothing(call, sold, shop):
    sid, a, b, sale = sold["store"]["store_id"], sold["a"], sold["b"], sold["sale"]
    over = call("POST", "/api/v1/returns", body={"sale_id": sale["sale_id"], "lines": [{"product_id": b["product_id"], "quantity": 1}, {"product_id": a["product_id"], "quantity": 4}]})
    assert over.status == 409 and over.error_code == "return_exceeds_sale"
    assert "product " + str(a["product_id"]) + ": 4 requested, 3 returnable" in over.body["error"]["message"]
    assert available(call, a["product_id"], sid) == 7 and available(call, b["product_id"], sid) == 3

    stranger = new_product(call, shop)
    reply = call("POST", "/api/v1/returns", body={"sale_id": sale["sale_id"], "lines": [{"product_id": stranger["product_id"], "quantity": 1}]})
    assert reply.status == 404 and reply.error_code == "invalid_reference"
    assert reply.body["error"]["details"][0]["loc"] == ["body", "lines", 0, "product_id"]
    reply = call("POST", "/api/v1/returns", body={"sale_id": 999999999, "lines": [{"product_id": a["product_id"], "quantity": 1}]})
    assert reply.status == 404 and reply.body["error"]["details"][0]["loc"] == ["body", "sale_id"]
    assert call("GET", "/api/v1/returns", query={"sale_id": str(sale["sale_id"])}).body["items"] == []
    for body in ({"sale_id": sale["sale_id"], "lines": []}, {"sale_id": sale["sale_id"]}, {"sale_id": sale["sale_id"], "lines": [{"product_id": a["product_id"], "quantity": 0}]}):
        assert call("POST", "/api/v1/returns", body=body).status == 422
    assert call("GET", "/api/v1/returns/999999999").status == 404
    assert call("GET", "/api/v1/returns", query={"sale_id": "999999999"}).error_code == "invalid_reference"
    assert call("GET", "/api/v1/returns", query={"store_id": "999999"}).error_code == "invalid_reference"


# ---------------------------------------------------------------- concurrency
def run_threads(count: int, target) -> list[Any]:
    results: list[Any] = []
    lock = threading.Lock()
    barrier = threading.Barrier(count)

    def worker(index: int) -> None:
        barrier.wait()
        result = target(index)
        with lock:
            results.append(result)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_sales_of_the_last_units(call, shop):
    """Several registers sell the last 5 units at once (logic layer, as concurrent Lambda
    invocations run it): exactly 5 sales succeed and the stock ends at 0, never below."""
    from retail.logic import sales as sales_logic
    from retail.schemas import SaleCreate
    from shared.errors import ConflictError

    store, register = shop["stores"][1], shop["registers"][1]
    sid = store["store_id"]
    last = new_product(call, shop, stock={sid: 5})
    other = new_product(call, shop, stock={sid: 100})
    before = len(sales_of_store(call, sid))

    def attempt(_index: int) -> str:
        request = SaleCreate(
            store_id=sid,
            register_id=register["register_id"],
            lines=[{"product_id": other["product_id"], "quantity": 1}, {"product_id": last["product_id"], "quantity": 1}],
        )
        try:
            sales_logic.create_sale(request)
            return "ok"
        except ConflictError as exc:
            return exc.code

    outcomes = run_threads(12, attempt)
    assert outcomes.count("ok") == 5, outcomes
    assert set(outcomes) == {"ok", "insufficient_stock"}
    assert available(call, last["product_id"], sid) == 0
    assert available(call, other["product_id"], sid) == 95  # the refused sales took nothing
    assert len(sales_of_store(call, sid)) == before + 5
    sale_movements = [m for m in movements_of(last["product_id"]) if m.kind == "sale"]
    assert len(sale_movements) == 5 and sum(m.delta for m in sale_movements) == -5


def test_concurrent_returns_of_the_same_units(call, sold):
    from retail.logic import returns as returns_logic
    from retail.schemas import ReturnCreate
    from shared.errors import ConflictError

    sid, a, sale = sold["store"]["store_id"], sold["a"], sold["sale"]

    def attempt(_index: int) -> str:
        try:
            returns_logic.create_return(ReturnCreate(sale_id=sale["sale_id"], lines=[{"product_id": a["product_id"], "quantity": 1}]))
            return "ok"
        except ConflictError as exc:
            return exc.code

    outcomes = run_threads(8, attempt)
    assert outcomes.count("ok") == 3 and set(outcomes) == {"ok", "return_exceeds_sale"}, outcomes
    assert available(call, a["product_id"], sid) == 10
    assert len(call("GET", "/api/v1/returns", query={"sale_id": str(sale["sale_id"])}).body["items"]) == 3



def test_transaction_conflicts_are_retried_then_reported(call, shop, monkeypatch):
    """DynamoDB cancels a transaction that collides with another one (TransactionConflict);
    DynamoDB Local serializes them, so the collision is simulated at the data-access seam of
    the inventory interface (which applies a sale's stock, answered in-process here)."""
    from inventory.logic import interface
    from shared.dynamo import TransactionConflictError

    store, register = shop["stores"][0], shop["registers"][0]
    product = new_product(call, shop, stock={store["store_id"]: 5})
    real = interface.dal.apply_changes
    attempts: list[int] = []

    def conflicting(*args, **kwargs):
        attempts.append(1)
        if len(attempts) < 3:
            raise TransactionConflictError()
        return real(*args, **kwargs)

    monkeypatch.setattr(interface.dal, "apply_changes", conflicting)
    reply = sell(call, store, register, [{"product_id": product["product_id"], "quantity": 2}])
    assert reply.status == 201 and len(attempts) == 3
    assert available(call, product["product_id"], store["store_id"]) == 3

    def always(*args, **kwargs):
        raise TransactionConflictError()

    monkeypatch.setattr(interface.dal, "apply_changes", always)
    monkeypatch.setattr(interface, "backoff", lambda attempt: 0)
    reply = sell(call, store, register, [{"product_id": product["product_id"], "quantity": 1}])
    assert reply.status == 409 and reply.error_code == "concurrent_modification"
    assert available(call, product["product_id"], store["store_id"]) == 3


# ---------------------------------------------------------------- inventory's view
def test_inventory_lists_sale_and_return_movements(call, sold):
    a, sale = sold["a"], sold["sale"]
    assert call("POST", "/api/v1/returns", body={"sale_id": sale["sale_id"], "lines": [{"product_id": a["product_id"], "quantity": 1}]}).status == 201
    reply = call("GET", f"/api/v1/stock/{a['product_id']}/movements")
    assert reply.status == 200
    assert [m["kind"] for m in reply.body["items"]][:3] == ["return", "sale", "set"]


# ---------------------------------------------------------------- misc
def test_nothing_a_client_sends_is_a_5xx(call):
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/api/v1/sales", {"query": {"limit": "9" * 50}}),
        ("GET", "/api/v1/sales", {"query": {"store_id": "1" * 40}}),
        ("GET", "/api/v1/sales", {"query": {"from": "9999-99-99"}}),
        ("GET", "/api/v1/sales", {"query": {"from": "\u0000"}}),
        ("GET", "/api/v1/returns", {"query": {"next_token": "e30"}}),
        ("GET", "/api/v1/stores", {"query": {"next_token": "%%%"}}),
        ("POST", "/api/v1/sales", {"raw_body": "{}"}),
        ("POST", "/api/v1/sales", {"raw_body": "not json"}),
        ("POST", "/api/v1/sales", {"raw_body": '{"store_id": 1, "register_id": 1, "lines": [{"product_id": 1, "quantity": 1e308}]}'}),
        ("POST", "/api/v1/sales", {"raw_body": '{"store_id": 1, "register_id": 1, "lines": {"a": 1}}'}),
        ("POST", "/api/v1/returns", {"raw_body": '{"sale_id": "x", "lines": null}'}),
        ("POST", "/api/v1/stores", {"raw_body": '{"name": "' + "x" * 100_000 + '"}'}),
        ("POST", "/api/v1/cash-registers", {"raw_body": '{"store_id": 99999999999999999999999, "number": 1}'}),
        ("GET", "/api/v1/returns/%20", {}),
    ]
    for method, path, kwargs in cases:
        assert call(method, path, **kwargs).status < 500  # `call` also checks the error shape
    reply = call("GET", "/api/v1/nothing-here", wired=False)
    assert reply.status == 404 and reply.error_code == "route_not_found"


# ---------------------------------------------------------------- demo data
def test_seed_is_idempotent_and_consistent(template, dynamodb_endpoint, call, monkeypatch):
    from infra.seed.inventory import seed as seed_inventory
    from infra.seed.retail import DAYS
    from infra.seed.retail import seed as seed_retail

    envs = create_tables(template, FUNCTIONS, dynamodb_endpoint)
    for env in envs.values():  # the inventory interface (in-process) and the API read these tables
        for name, value in env.items():
            if name != "POWERTOOLS_SERVICE_NAME":
                monkeypatch.setenv(name, value)
    seed_inventory(envs["InventoryFunction"])
    first = seed_retail(envs["RetailFunction"])  # its duration is measured by `make run`, not asserted here
    assert first["stores"] == 5 and 10 <= first["registers"] <= 20
    assert 5 * DAYS * 20 * 0.5 < first["sales"] <= 5 * DAYS * 60 and 0 < first["returns"] < first["sales"] * 0.05
    assert first["created"] == {"stores": 5, "registers": first["registers"], "sales": first["sales"], "returns": first["returns"]}

    second = seed_retail(envs["RetailFunction"])
    assert second["created"] == {"stores": 0, "registers": 0, "sales": 0, "returns": 0}
    assert {k: v for k, v in second.items() if k != "created"} == {k: v for k, v in first.items() if k != "created"}

    stores = call("GET", "/api/v1/stores").body["items"]
    locations = {loc["location_id"]: loc for loc in call("GET", "/api/v1/locations").body["items"]}
    assert sorted(s["store_id"] for s in stores) == [1, 2, 3, 4, 5]
    for store in stores:
        location = locations[f"store-{store['store_id']}"]
        assert (store["name"], store["address"]) == (location["name"], location["address"])
        registers = call("GET", "/api/v1/cash-registers", query={"store_id": str(store["store_id"])}).body["items"]
        assert 2 <= len(registers) <= 4
    assert call("POST", "/api/v1/stores", body={"name": unique("After seed")}).body["store_id"] == 6

    today = datetime.now(UTC).date()
    sales, _ = all_pages(call, "/api/v1/sales", {"store_id": "1", "from": str(today - timedelta(days=DAYS - 1)), "to": str(today), "limit": "100"})
    assert sales and [s["created_at"] for s in sales] == sorted((s["created_at"] for s in sales), reverse=True)
    assert len({s["sale_date"] for s in sales}) >= DAYS - 1
    prices = {p["product_id"]: p["price"] for p in all_pages(call, "/api/v1/products", {"limit": "100"})[0]}
    for sale in sales[:50]:
        assert 1 <= len(sale["lines"]) <= 5 and 9 <= int(sale["created_at"][11:13]) <= 20
        assert all(line["unit_price"] == prices[line["product_id"]] for line in sale["lines"])
        assert Decimal(sale["total"]) == sum(Decimal(line["line_total"]) for line in sale["lines"])
        assert sale["item_count"] == sum(line["quantity"] for line in sale["lines"])

    # seeded returns count against what can still be returned
    returns, _ = all_pages(call, "/api/v1/returns", {"limit": "100"})
    assert len(returns) == first["returns"]
    seeded = returns[0]
    sale = call("GET", f"/api/v1/sales/{seeded['sale_id']}").body
    line = next(line for line in sale["lines"] if line["product_id"] == seeded["lines"][0]["product_id"])
    left = line["quantity"] - seeded["lines"][0]["quantity"]
    reply = call("POST", "/api/v1/returns", body={"sale_id": sale["sale_id"], "lines": [{"product_id": line["product_id"], "quantity": left + 1}]})
    assert reply.status == 409 and reply.body["error"]["details"][0]["already_returned"] == seeded["lines"][0]["quantity"]


# ---------------------------------------------------------------- a store key's own stores
def store_key(*store_ids: int) -> dict[str, str]:
    """The context the API's authorizer passes for a store key of these stores."""
    return {"principalId": "key-of-stores", "role": "store", "stores": ",".join(map(str, store_ids))}


def test_a_store_key_sells_and_reads_at_its_own_stores_only(call, shop):
    (s1, s2), (r1, r2) = shop["stores"], shop["registers"]
    product = new_product(call, shop, stock={s1["store_id"]: 5, s2["store_id"]: 5})
    own = store_key(s1["store_id"])
    line = [{"product_id": product["product_id"], "quantity": 1}]

    refused = sell(call, s2, r2, line, authorizer=own)
    assert refused.status == 403 and refused.error_code == "store_forbidden", refused.body
    assert refused.body["error"]["details"] == [{"store_id": s2["store_id"], "own_stores": [s1["store_id"]]}]
    assert available(call, product["product_id"], s2["store_id"]) == 5          # nothing taken

    mine = sell(call, s1, r1, line, authorizer=own)
    assert mine.status == 201, mine.body
    theirs = sell(call, s2, r2, line)                                            # an admin sells at s2
    assert theirs.status == 201

    listed = call("GET", "/api/v1/sales", query={"limit": "100"}, authorizer=own)   # its one store by default
    assert listed.status == 200 and {s["store_id"] for s in listed.body["items"]} == {s1["store_id"]}
    assert call("GET", "/api/v1/sales", query={"store_id": str(s2["store_id"])}, authorizer=own).status == 403
    assert call("GET", f"/api/v1/sales/{mine.body['sale_id']}", authorizer=own).status == 200
    assert call("GET", f"/api/v1/sales/{theirs.body['sale_id']}", authorizer=own).error_code == "store_forbidden"

    back = {"sale_id": theirs.body["sale_id"], "lines": line, "reason": "changed mind"}
    assert call("POST", "/api/v1/returns", body=back, authorizer=own).error_code == "store_forbidden"
    assert available(call, product["product_id"], s2["store_id"]) == 4          # the refused return put nothing back
    returned = call("POST", "/api/v1/returns", body={**back, "sale_id": mine.body["sale_id"]}, authorizer=own)
    assert returned.status == 201, returned.body
    assert call("GET", f"/api/v1/returns/{returned.body['return_id']}", authorizer=own).status == 200
    assert call("GET", "/api/v1/returns", query={"sale_id": str(theirs.body["sale_id"])},
                authorizer=own).error_code == "store_forbidden"

    both = store_key(s1["store_id"], s2["store_id"])
    unsaid = call("GET", "/api/v1/sales", authorizer=both)
    assert unsaid.status == 422 and unsaid.error_code == "store_id_required"
    assert call("GET", "/api/v1/sales", query={"store_id": str(s2["store_id"])}, authorizer=both).status == 200
    every = call("GET", "/api/v1/sales", query={"limit": "1"}, authorizer={"principalId": "k", "role": "store"})
    assert every.status == 200                                                   # a key of every store
