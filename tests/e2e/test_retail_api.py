"""The retail API over real HTTP through the gateway, on the whole local stack (deployed
template, demo data): a sale takes units from the store's stock, a return puts them back,
and a sale the stock cannot serve is a 409 that changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

pytestmark = pytest.mark.integration  # starts the whole stack (the session's session_stack)


def stock_at(admin, product_id: int, location_id: str) -> int:
    response = admin.get("/api/v1/stock", params={"product_id": product_id, "location_id": location_id})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert len(items) == 1, items
    return items[0]["available"]


@pytest.fixture(scope="module")
def store_1(admin):
    store = admin.get("/api/v1/stores/1")
    assert store.status_code == 200, store.text
    registers = admin.get("/api/v1/cash-registers", params={"store_id": 1})
    assert registers.status_code == 200 and registers.json()["items"], registers.text
    return {"store": store.json(), "register": registers.json()["items"][0]}


@pytest.fixture(scope="module")
def product(admin):
    categories = admin.get("/api/v1/categories").json()["items"]
    created = admin.post(
        "/api/v1/products",
        json={
            "sku": f"E2E-{uuid.uuid4().hex[:8]}".upper(),
            "name": "E2E retail product",
            "category_id": categories[0]["category_id"],
            "price": "12.40",
            "reorder_level": 1,
        },
    )
    assert created.status_code == 201, created.text
    product = created.json()
    stocked = admin.put(
        f"/api/v1/stock/{product['product_id']}",
        json={"location_id": "store-1", "quantity": 5, "reason": "e2e delivery"},
    )
    assert stocked.status_code == 200, stocked.text
    return product


def test_seeded_stores_are_inventory_store_locations(admin, store):
    stores = store.get("/api/v1/stores", params={"limit": 100})
    assert stores.status_code == 200, stores.text
    by_id = {store["store_id"]: store for store in stores.json()["items"]}
    assert {1, 2, 3, 4, 5} <= set(by_id)
    locations = {loc["location_id"]: loc for loc in admin.get("/api/v1/locations").json()["items"]}
    for store_id in range(1, 6):
        assert by_id[store_id]["location_id"] == f"store-{store_id}"
        assert by_id[store_id]["name"] == locations[f"store-{store_id}"]["name"]
    history = admin.get("/api/v1/sales", params={"store_id": 1, "limit": 5})
    assert history.status_code == 200 and len(history.json()["items"]) == 5


def test_sale_lowers_stock_and_return_restores_it(admin, store_1, product):
    pid = product["product_id"]
    assert stock_at(admin, pid, "store-1") == 5

    sale = admin.post(
        "/api/v1/sales",
        json={"store_id": 1, "register_id": store_1["register"]["register_id"], "lines": [{"product_id": pid, "quantity": 3}]},
    )
    assert sale.status_code == 201, sale.text
    body = sale.json()
    assert body["lines"] == [{"product_id": pid, "quantity": 3, "unit_price": "12.40", "line_total": "37.20"}]
    assert body["total"] == "37.20" and body["item_count"] == 3
    assert stock_at(admin, pid, "store-1") == 2
    assert stock_at(admin, pid, "warehouse") == 0  # only the store's row moves

    assert admin.get(f"/api/v1/sales/{body['sale_id']}").json() == body
    today = datetime.now(UTC).date().isoformat()
    listed = admin.get("/api/v1/sales", params={"store_id": 1, "from": today, "to": today, "limit": 100})
    assert listed.status_code == 200 and body["sale_id"] in {s["sale_id"] for s in listed.json()["items"]}

    returned = admin.post("/api/v1/returns", json={"sale_id": body["sale_id"], "lines": [{"product_id": pid, "quantity": 2}]})
    assert returned.status_code == 201, returned.text
    assert returned.json()["refund_total"] == "24.80"
    assert stock_at(admin, pid, "store-1") == 4

    again = admin.post("/api/v1/returns", json={"sale_id": body["sale_id"], "lines": [{"product_id": pid, "quantity": 2}]})
    assert again.status_code == 409 and again.json()["error"]["code"] == "return_exceeds_sale"
    assert stock_at(admin, pid, "store-1") == 4


def test_insufficient_stock_is_409_and_changes_nothing(admin, store_1, product):
    pid = product["product_id"]
    before = stock_at(admin, pid, "store-1")
    response = admin.post(
        "/api/v1/sales",
        json={
            "store_id": 1,
            "register_id": store_1["register"]["register_id"],
            "lines": [{"product_id": 1, "quantity": 1}, {"product_id": pid, "quantity": before + 1}],
        },
    )
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "insufficient_stock" and f"product {pid} has {before} available" in error["message"]
    assert error["details"][0]["available"] == before
    assert stock_at(admin, pid, "store-1") == before


def test_unknown_references_are_422(admin, store_1):
    other_store_register = admin.get("/api/v1/cash-registers", params={"store_id": 2}).json()["items"][0]
    response = admin.post(
        "/api/v1/sales",
        json={"store_id": 1, "register_id": other_store_register["register_id"], "lines": [{"product_id": 1, "quantity": 1}]},
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "invalid_reference"
    assert admin.get("/api/v1/stores/99999").status_code == 404


def test_sales_and_returns_tables_stream_changes(aws, session_stack):
    dynamodb = aws("dynamodb")
    for logical_id in ("RetailSalesTable", "RetailReturnsTable"):
        table = dynamodb.describe_table(TableName=session_stack.stack.physical_id(logical_id))["Table"]
        assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        assert table.get("LatestStreamArn")
