"""The inventory Lambda handler against DynamoDB (AWS's DynamoDB Local, as in the embedded
cloud), called in-process with REST proxy v1 events.

The tables are created from template.yaml's own ``AWS::DynamoDB::Table`` definitions and the
function's environment is the one the template gives InventoryFunction, so a key, an index
or a variable missing from the template fails here.
"""

from __future__ import annotations

import base64
import re
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.handler_harness import (
    RestApi,
    all_pages,
    create_tables,
    environment,
    handler_module,
)

pytestmark = pytest.mark.integration

FUNCTION = "InventoryFunction"


# ---------------------------------------------------------------- template, AWS, tables
@pytest.fixture(scope="module")
def inventory_env(template: dict[str, Any], dynamodb_endpoint: str) -> Iterator[dict[str, str]]:
    """A fresh set of tables, with the function's environment applied to os.environ."""
    yield from environment(create_tables(template, [FUNCTION], dynamodb_endpoint).values())


@pytest.fixture(scope="module")
def handler(inventory_env: dict[str, str]):
    from inventory.dal import catalog

    for location_id, name, kind in (
        ("warehouse", "Central warehouse", "warehouse"),
        ("store-1", "Store 1", "store"),
        ("store-2", "Store 2", "store"),
    ):
        catalog.put_location(location_id, name, kind, None)
    return handler_module("inventory.handlers.api").lambda_handler


@pytest.fixture(scope="module")
def call(handler, template) -> RestApi:
    return RestApi(template, {FUNCTION: handler})


# ---------------------------------------------------------------- data helpers
def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}".upper()


@pytest.fixture(scope="module")
def category(call) -> dict[str, Any]:
    return call("POST", "/api/v1/categories", body={"name": unique("Cat"), "description": "test"}).body


@pytest.fixture(scope="module")
def supplier(call) -> dict[str, Any]:
    return call("POST", "/api/v1/suppliers", body={"name": unique("Sup"), "contact_email": "a@b.example"}).body


def new_product(call, category, supplier=None, **overrides: Any) -> dict[str, Any]:
    body = {"sku": unique("T"), "name": "Test product", "category_id": category["category_id"], "price": "19.99"}
    if supplier:
        body["supplier_id"] = supplier["supplier_id"]
    body.update(overrides)
    reply = call("POST", "/api/v1/products", body=body)
    assert reply.status == 201, reply.body
    return reply.body


# ---------------------------------------------------------------- categories, suppliers, locations
def test_categories_create_list_and_unique_names(call):
    name = unique("Garden")
    created = call("POST", "/api/v1/categories", body={"name": f"  {name} ", "description": "Outdoor"})
    assert created.status == 201
    assert created.body["name"] == name and created.body["category_id"] >= 1

    duplicate = call("POST", "/api/v1/categories", body={"name": name.lower()})
    assert duplicate.status == 409 and duplicate.error_code == "already_exists"

    items, _ = all_pages(call, "/api/v1/categories", {"limit": "100"})
    assert created.body in items

    for bad in ({}, {"name": ""}, {"name": "x" * 101}, {"name": "ok", "colour": "red"}, {"name": 5}):
        reply = call("POST", "/api/v1/categories", body=bad)
        assert reply.status == 422 and reply.error_code == "validation_error", bad


def test_suppliers_create_validate_and_list(call):
    created = call(
        "POST",
        "/api/v1/suppliers",
        body={"name": unique("Acme"), "contact_email": "sales@acme.example", "phone": "+1 514-555-0000"},
    )
    assert created.status == 201 and created.body["contact_email"] == "sales@acme.example"
    bad = call("POST", "/api/v1/suppliers", body={"name": unique("Bad"), "contact_email": "not-an-email"})
    assert bad.status == 422 and bad.body["error"]["details"][0]["loc"] == ["body", "contact_email"]
    items, _ = all_pages(call, "/api/v1/suppliers", {"limit": "1"})
    assert created.body in items


def test_locations_are_listed(call):
    reply = call("GET", "/api/v1/locations")
    assert reply.status == 200
    assert {"warehouse", "store-1", "store-2"} <= {item["location_id"] for item in reply.body["items"]}


# ---------------------------------------------------------------- products
def test_product_create_get_and_money(call, category, supplier):
    sku = unique("abc").lower()
    created = call(
        "POST",
        "/api/v1/products",
        body={
            "sku": sku.lower(),  # stored upper-case; checked as sent (no padding)
            "name": "Cast Iron Skillet",
            "category_id": category["category_id"],
            "supplier_id": supplier["supplier_id"],
            "price": 49.9,
            "reorder_level": 3,
        },
    )
    assert created.status == 201
    product = created.body
    assert product["sku"] == sku.upper()
    assert product["price"] == "49.90"  # money is a decimal string, never a float
    assert product["reorder_level"] == 3 and product["description"] is None

    fetched = call("GET", f"/api/v1/products/{product['product_id']}")
    assert fetched.status == 200 and fetched.body == product

    # a new product has an empty stock row at every location, reported as low stock
    stock = call("GET", "/api/v1/stock", query={"product_id": str(product["product_id"])}).body["items"]
    assert {row["location_id"] for row in stock} == {"warehouse", "store-1", "store-2"}
    assert all(row["available"] == 0 and row["reserved"] == 0 and row["low_stock"] for row in stock)


def test_product_ids_are_increasing_integers(call, category):
    first = new_product(call, category)["product_id"]
    second = new_product(call, category)["product_id"]
    assert isinstance(first, int) and second > first


def test_product_not_found_and_bad_ids(call):
    missing = call("GET", "/api/v1/products/999999")
    assert missing.status == 404 and missing.error_code == "not_found"
    for bad in ("abc", "0", "-1", "1.5", "99999999999999999999999999999", "1e3"):
        reply = call("GET", f"/api/v1/products/{bad}")
        assert reply.status == 422, bad
        assert reply.body["error"]["details"][0]["loc"] == ["path", "product_id"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"price": 0},
        {"price": "-1.00"},
        {"price": "1.999"},
        {"price": "abc"},
        {"price": True},
        {"price": "1e999"},
        {"price": "NaN"},
        {"price": "10000000.00"},
        {"name": ""},
        {"name": "   "},
        {"sku": "a"},
        {"sku": "bad sku!"},
        {"sku": None},
        {"category_id": "x"},
        {"category_id": 0},
        {"category_id": True},
        {"category_id": 2**70},
        {"reorder_level": -1},
        {"colour": "red"},
    ],
)
def test_product_create_validation(call, category, overrides):
    body = {"sku": unique("V"), "name": "Valid", "category_id": category["category_id"], "price": "1.00"}
    body.update(overrides)
    reply = call("POST", "/api/v1/products", body=body)
    assert reply.status == 422 and reply.error_code == "validation_error", reply.body
    assert reply.body["error"]["details"], reply.body


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        ("not json", 400, "bad_request"),
        ("{", 400, "bad_request"),
        ('{"price": Infinity}', 400, "bad_request"),
        ('{"price": NaN}', 400, "bad_request"),
        ('{"price": 1' + "0" * 5000 + "}", 400, "bad_request"),
        ("[" * 5000 + "]" * 5000, 400, "bad_request"),
        ("[1, 2]", 422, "validation_error"),
        ('"a string"', 422, "validation_error"),
        ("null", 422, "validation_error"),
        ("", 422, "validation_error"),
    ],
)
def test_malformed_bodies_are_400_and_wrong_shapes_422(call, raw, status, code):
    """Not JSON (as Python's parser reads it, within our number and depth limits): 400, the body
    cannot be read. JSON that is not a product: 422, it does not match the document."""
    reply = call("POST", "/api/v1/products", raw_body=raw)
    assert reply.status == status and reply.error_code == code


def test_undecodable_and_unsupported_bodies(call):
    reply = call("POST", "/api/v1/categories", raw_body="%%%not base64", base64_body=False)
    assert reply.status == 400 and reply.error_code == "bad_request"
    event_reply = call("POST", "/api/v1/categories", body={"name": unique("b64")}, base64_body=True)
    assert event_reply.status == 201  # base64 bodies (binary media types) are decoded
    reply = call("POST", "/api/v1/categories", raw_body="name=x", headers={"Content-Type": "text/plain"})
    assert reply.status == 415 and reply.error_code == "unsupported_media_type"


def test_product_references_must_exist(call, category, supplier):
    body = {"sku": unique("R"), "name": "Ref", "category_id": 987654, "price": "2.00"}
    reply = call("POST", "/api/v1/products", body=body)
    assert reply.status == 404 and reply.error_code == "invalid_reference"
    assert reply.body["error"]["details"][0]["loc"] == ["body", "category_id"]
    body.update(category_id=category["category_id"], supplier_id=987654)
    reply = call("POST", "/api/v1/products", body=body)
    assert reply.status == 404 and reply.body["error"]["details"][0]["loc"] == ["body", "supplier_id"]


def test_duplicate_sku_is_409(call, category):
    product = new_product(call, category)
    reply = call(
        "POST",
        "/api/v1/products",
        body={"sku": product["sku"].lower(), "name": "Other", "category_id": category["category_id"], "price": "1.00"},
    )
    assert reply.status == 409 and reply.error_code == "already_exists"


def test_product_partial_update(call, category, supplier):
    product = new_product(call, category, supplier, description="first")
    path = f"/api/v1/products/{product['product_id']}"

    reply = call("PUT", path, body={"price": "24.50"})
    assert reply.status == 200
    assert reply.body["price"] == "24.50"
    assert {k: v for k, v in reply.body.items() if k not in ("price", "updated_at")} == {
        k: v for k, v in product.items() if k not in ("price", "updated_at")
    }

    reply = call("PUT", path, body={"description": None, "supplier_id": None, "name": " Renamed "})
    assert reply.status == 200
    assert reply.body["description"] is None and reply.body["supplier_id"] is None and reply.body["name"] == "Renamed"
    assert call("GET", path).body == reply.body

    for bad in ({}, {"name": None}, {"price": None}, {"price": "0"}, {"unknown": 1}, {"category_id": None}):
        bad_reply = call("PUT", path, body=bad)
        assert bad_reply.status == 422, bad
    bad_ref = call("PUT", path, body={"category_id": 987654})
    assert bad_ref.status == 404 and bad_ref.error_code == "invalid_reference"
    assert call("PUT", "/api/v1/products/999999", body={"name": "x"}).status == 404


def test_sku_change_claims_new_and_frees_old(call, category):
    first = new_product(call, category)
    second = new_product(call, category)
    taken = call("PUT", f"/api/v1/products/{second['product_id']}", body={"sku": first["sku"]})
    assert taken.status == 409 and taken.error_code == "already_exists"

    new_sku = unique("NEW")
    moved = call("PUT", f"/api/v1/products/{first['product_id']}", body={"sku": new_sku})
    assert moved.status == 200 and moved.body["sku"] == new_sku
    # the old SKU is free again, the new one is taken
    reuse = call("PUT", f"/api/v1/products/{second['product_id']}", body={"sku": first["sku"]})
    assert reuse.status == 200
    dup = call(
        "POST",
        "/api/v1/products",
        body={"sku": new_sku, "name": "dup", "category_id": category["category_id"], "price": "1.00"},
    )
    assert dup.status == 409
    # setting the same SKU again is a no-op, not a conflict
    assert call("PUT", f"/api/v1/products/{first['product_id']}", body={"sku": new_sku}).status == 200


def test_reorder_level_change_reaches_stock_rows(call, category):
    product = new_product(call, category, reorder_level=5)
    pid = str(product["product_id"])
    call("PUT", f"/api/v1/stock/{pid}", body={"location_id": "store-1", "quantity": 8, "reason": "count"})
    row = call("GET", "/api/v1/stock", query={"product_id": pid, "location_id": "store-1"}).body["items"][0]
    assert row["reorder_level"] == 5 and row["low_stock"] is False
    call("PUT", f"/api/v1/products/{pid}", body={"reorder_level": 8})
    row = call("GET", "/api/v1/stock", query={"product_id": pid, "location_id": "store-1"}).body["items"][0]
    assert row["reorder_level"] == 8 and row["low_stock"] is True


def test_delete_is_a_soft_delete(call, category):
    product = new_product(call, category)
    pid = product["product_id"]
    path = f"/api/v1/products/{pid}"
    call("PUT", f"/api/v1/stock/{pid}", body={"location_id": "warehouse", "quantity": 4, "reason": "count"})

    deleted = call("DELETE", path)
    assert deleted.status == 204 and deleted.body is None
    assert call("GET", path).status == 404
    assert call("PUT", path, body={"name": "x"}).status == 404
    assert call("DELETE", path).status == 404
    listed, _ = all_pages(call, "/api/v1/products", {"category_id": str(category["category_id"]), "limit": "100"})
    assert pid not in {item["product_id"] for item in listed}
    assert call("GET", "/api/v1/stock", query={"product_id": str(pid)}).body["items"] == []
    stock = call("PUT", f"/api/v1/stock/{pid}", body={"location_id": "warehouse", "delta": 1, "reason": "x"})
    assert stock.status == 404
    # the SKU is not recycled, the history is kept
    reuse = call(
        "POST",
        "/api/v1/products",
        body={"sku": product["sku"], "name": "again", "category_id": category["category_id"], "price": "1.00"},
    )
    assert reuse.status == 409
    assert call("GET", f"/api/v1/stock/{pid}/movements").status == 200


# ---------------------------------------------------------------- product listings
@pytest.fixture(scope="module")
def catalogue(call):
    """A category with 7 products (3 from supplier A), another category with 2."""
    cat_a = call("POST", "/api/v1/categories", body={"name": unique("ListA")}).body
    cat_b = call("POST", "/api/v1/categories", body={"name": unique("ListB")}).body
    sup_a = call("POST", "/api/v1/suppliers", body={"name": unique("SupA")}).body
    sup_b = call("POST", "/api/v1/suppliers", body={"name": unique("SupB")}).body
    names = ["Red Kettle", "Blue Kettle", "Green Mug", "Red Mug", "Teapot", "Cup", "Saucer"]
    products_a = [
        new_product(call, cat_a, sup_a if index < 3 else sup_b, name=name) for index, name in enumerate(names)
    ]
    products_b = [new_product(call, cat_b, sup_a, name=f"Kettle {index}") for index in range(2)]
    return {"cat_a": cat_a, "cat_b": cat_b, "sup_a": sup_a, "sup_b": sup_b, "a": products_a, "b": products_b}


def test_list_by_category_paginates_in_id_order(call, catalogue):
    items, pages = all_pages(call, "/api/v1/products", {"category_id": str(catalogue["cat_a"]["category_id"]), "limit": "2"})
    assert [item["product_id"] for item in items] == [product["product_id"] for product in catalogue["a"]]
    assert pages == 4  # 2 + 2 + 2 + 1, full pages until the last


def test_list_filters_combine(call, catalogue):
    query = {
        "category_id": str(catalogue["cat_a"]["category_id"]),
        "supplier_id": str(catalogue["sup_a"]["supplier_id"]),
        "limit": "2",
    }
    items, _ = all_pages(call, "/api/v1/products", query)
    assert [item["product_id"] for item in items] == [product["product_id"] for product in catalogue["a"][:3]]

    items, _ = all_pages(call, "/api/v1/products", {"supplier_id": str(catalogue["sup_a"]["supplier_id"])})
    assert len(items) == 5

    items, _ = all_pages(
        call, "/api/v1/products", {"search": "KETTLE", "category_id": str(catalogue["cat_a"]["category_id"])}
    )
    assert sorted(item["name"] for item in items) == ["Blue Kettle", "Red Kettle"]


def test_list_everything_with_search_and_pagination(call, catalogue):
    items, pages = all_pages(call, "/api/v1/products", {"search": "kettle", "limit": "1"})
    names = [item["name"] for item in items]
    assert {"Red Kettle", "Blue Kettle", "Kettle 0", "Kettle 1"} <= set(names)
    assert len(names) == len(set(item["product_id"] for item in items))  # no duplicates across pages
    everything, _ = all_pages(call, "/api/v1/products", {"limit": "100"})
    assert len(everything) == len({item["product_id"] for item in everything}) >= 9


def test_pagination_token_errors(call, catalogue):
    query = {"category_id": str(catalogue["cat_a"]["category_id"]), "limit": "2"}
    first = call("GET", "/api/v1/products", query=query).body
    token = first["next_token"]
    assert token

    other_filters = {"category_id": str(catalogue["cat_b"]["category_id"]), "limit": "2", "next_token": token}
    reply = call("GET", "/api/v1/products", query=other_filters)
    assert reply.status == 400 and reply.error_code == "invalid_pagination_token"

    forged = base64.urlsafe_b64encode(b'{"v":1,"s":"x","k":{"product_id":{"N":"1"}}}').decode().rstrip("=")
    for bad in ("garbage!", "e30", token[:-3], token + "AA", forged, "x" * 3000):
        reply = call("GET", "/api/v1/products", query={**query, "next_token": bad})
        assert reply.status in (400, 422), (bad, reply.body)

    for bad_limit in ("0", "101", "abc", "-5", "1.5"):
        reply = call("GET", "/api/v1/products", query={"limit": bad_limit})
        assert reply.status == 422 and reply.body["error"]["details"][0]["loc"] == ["query", "limit"]

    unknown = call("GET", "/api/v1/products", query={"category_id": "987654"})
    assert unknown.status == 404 and unknown.error_code == "invalid_reference"


# ---------------------------------------------------------------- stock
def test_stock_set_adjust_and_never_negative(call, category):
    product = new_product(call, category)
    pid = product["product_id"]
    path = f"/api/v1/stock/{pid}"

    reply = call("PUT", path, body={"location_id": "store-1", "quantity": 50, "reason": "delivery"})
    assert reply.status == 200
    assert reply.body["stock"]["available"] == 50 and reply.body["stock"]["on_hand"] == 50
    assert reply.body["movement"]["delta"] == 50 and reply.body["movement"]["kind"] == "set"

    reply = call("PUT", path, body={"location_id": "store-1", "delta": -20, "reason": "sale"})
    assert reply.status == 200 and reply.body["stock"]["available"] == 30
    assert reply.body["movement"]["available_before"] == 50 and reply.body["movement"]["available_after"] == 30

    refused = call("PUT", path, body={"location_id": "store-1", "delta": -31, "reason": "sale"})
    assert refused.status == 409 and refused.error_code == "insufficient_stock"
    assert refused.body["error"]["details"][0]["available"] == 30
    row = call("GET", "/api/v1/stock", query={"product_id": str(pid), "location_id": "store-1"}).body["items"][0]
    assert row["available"] == 30

    reply = call("PUT", path, body={"location_id": "store-1", "delta": -30, "reason": "sale"})
    assert reply.status == 200 and reply.body["stock"]["available"] == 0

    movements = call("GET", f"{path}/movements").body["items"]
    assert [m["reason"] for m in movements] == ["sale", "sale", "delivery"]  # newest first
    assert [m["delta"] for m in movements] == [-30, -20, 50]


@pytest.fixture(scope="module")
def stock_product(call, category) -> dict[str, Any]:
    return new_product(call, category)


@pytest.mark.parametrize(
    "body",
    [
        {"location_id": "store-1", "reason": "x"},
        {"location_id": "store-1", "quantity": 1, "delta": 1, "reason": "x"},
        {"location_id": "store-1", "quantity": 1},
        {"location_id": "store-1", "quantity": 1, "reason": ""},
        {"location_id": "store-1", "delta": 0, "reason": "x"},
        {"location_id": "store-1", "quantity": -1, "reason": "x"},
        {"location_id": "store-1", "quantity": 10**12, "reason": "x"},
        {"location_id": "store-1", "quantity": 1.5, "reason": "x"},
        {"location_id": "store-1", "quantity": "lots", "reason": "x"},
        {"location_id": "Store 1", "quantity": 1, "reason": "x"},
        {"quantity": 1, "reason": "x"},
        {"location_id": "store-1", "quantity": 1, "reason": "x", "extra": True},
    ],
)
def test_stock_update_validation(call, stock_product, body):
    reply = call("PUT", f"/api/v1/stock/{stock_product['product_id']}", body=body)
    assert reply.status == 422 and reply.error_code == "validation_error", reply.body


def test_stock_unknown_location_and_product(call, category):
    product = new_product(call, category)
    reply = call("PUT", f"/api/v1/stock/{product['product_id']}", body={"location_id": "store-99", "quantity": 1, "reason": "x"})
    assert reply.status == 404 and reply.error_code == "invalid_reference"
    assert reply.body["error"]["details"][0]["loc"] == ["body", "location_id"]
    reply = call("PUT", "/api/v1/stock/999999", body={"location_id": "store-1", "quantity": 1, "reason": "x"})
    assert reply.status == 404 and reply.error_code == "not_found"
    assert call("GET", "/api/v1/stock/999999/movements").status == 404
    reply = call("GET", "/api/v1/stock", query={"location_id": "store-99"})
    assert reply.status == 404 and reply.error_code == "invalid_reference"
    assert call("GET", "/api/v1/stock", query={"low_stock": "maybe"}).status == 422
    assert call("GET", "/api/v1/stock", query={"location_id": "BAD ID"}).status == 422


def test_stock_listing_filters_and_low_stock(call):
    category = call("POST", "/api/v1/categories", body={"name": unique("Stock")}).body
    products = [new_product(call, category, reorder_level=10) for _ in range(4)]
    levels = {"warehouse": 100, "store-1": 5, "store-2": 10}
    for product in products:
        for location_id, quantity in levels.items():
            reply = call(
                "PUT",
                f"/api/v1/stock/{product['product_id']}",
                body={"location_id": location_id, "quantity": quantity, "reason": "count"},
            )
            assert reply.status == 200
    ids = {product["product_id"] for product in products}

    rows, _ = all_pages(call, "/api/v1/stock", {"location_id": "store-1", "limit": "3"})
    ours = [row for row in rows if row["product_id"] in ids]
    assert len(ours) == 4 and all(row["available"] == 5 and row["low_stock"] for row in ours)
    assert [row["product_id"] for row in rows] == sorted(row["product_id"] for row in rows)

    low, pages = all_pages(call, "/api/v1/stock", {"low_stock": "true", "limit": "2"})
    assert all(row["available"] <= row["reorder_level"] and row["low_stock"] for row in low)
    low_ours = {(row["product_id"], row["location_id"]) for row in low if row["product_id"] in ids}
    assert low_ours == {(pid, loc) for pid in ids for loc in ("store-1", "store-2")}  # 10 <= 10 counts as low
    assert len(low) == len({(row["product_id"], row["location_id"]) for row in low})

    warehouse_low, _ = all_pages(call, "/api/v1/stock", {"low_stock": "true", "location_id": "warehouse"})
    assert not [row for row in warehouse_low if row["product_id"] in ids]

    everything, _ = all_pages(call, "/api/v1/stock", {"limit": "100"})
    assert {(pid, loc) for pid in ids for loc in levels} <= {(row["product_id"], row["location_id"]) for row in everything}

    one = call("GET", "/api/v1/stock", query={"product_id": str(products[0]["product_id"]), "location_id": "warehouse"})
    assert [row["available"] for row in one.body["items"]] == [100]


def test_stock_never_negative_under_concurrency(handler, call, category):
    """Concurrent decrements (logic layer, as concurrent Lambda invocations would run it)."""
    from inventory.logic import stock as stock_logic
    from inventory.schemas import StockUpdate
    from shared.errors import ConflictError

    product = new_product(call, category)
    pid = product["product_id"]
    call("PUT", f"/api/v1/stock/{pid}", body={"location_id": "warehouse", "quantity": 10, "reason": "delivery"})

    outcomes: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(3):
            try:
                stock_logic.update_stock(pid, StockUpdate(location_id="warehouse", delta=-1, reason="sale"))
                result = "ok"
            except ConflictError as exc:
                result = exc.code
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    successes = outcomes.count("ok")
    assert set(outcomes) <= {"ok", "insufficient_stock", "concurrent_modification"}
    row = call("GET", "/api/v1/stock", query={"product_id": str(pid), "location_id": "warehouse"}).body["items"][0]
    assert row["available"] == 10 - successes >= 0
    movements, _ = all_pages(call, f"/api/v1/stock/{pid}/movements", {"limit": "100"})
    warehouse = [m for m in movements if m["location_id"] == "warehouse"]
    assert len(warehouse) == successes + 1  # every change journaled exactly once
    assert sum(m["delta"] for m in warehouse) == row["available"]


# ---------------------------------------------------------------- misc
def test_unknown_routes_and_openapi(call):
    reply = call("GET", "/api/v1/nothing-here", wired=False)
    assert reply.status == 404 and reply.error_code == "route_not_found"
    reply = call("PATCH", "/api/v1/products", wired=False)
    assert 400 <= reply.status < 500

    document = call("GET", "/api/v1/openapi.json")
    assert document.status == 200
    assert {"/api/v1/products", "/api/v1/products/{product_id}", "/api/v1/stock"} <= set(document.body["paths"])
    assert document.body["components"]["securitySchemes"]["api_key"]["name"] == "x-api-key"


def test_nothing_a_client_sends_is_a_5xx(call):
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/api/v1/products", {"query": {"limit": "9" * 50}}),
        ("GET", "/api/v1/products", {"query": {"search": "x" * 500}}),
        ("GET", "/api/v1/products", {"query": {"search": "\u0000\ud7ff%00'\"<>"}}),
        ("GET", "/api/v1/products", {"query": {"supplier_id": "1" * 40}}),
        ("GET", "/api/v1/stock", {"query": {"product_id": "-1"}}),
        ("GET", "/api/v1/stock", {"query": {"next_token": "%%%"}}),
        ("PUT", "/api/v1/stock/1", {"raw_body": "{}"}),
        ("PUT", "/api/v1/stock/1", {"raw_body": '{"location_id": {"a": 1}, "quantity": [], "reason": null}'}),
        ("POST", "/api/v1/suppliers", {"raw_body": '{"name": "' + "x" * 100_000 + '"}'}),
        ("POST", "/api/v1/products", {"body": {"sku": "ABC", "name": "n", "category_id": 1, "price": "1e-400"}}),
        ("POST", "/api/v1/products", {"body": {"sku": "ABC", "name": "n", "category_id": 1, "price": 1e308}}),
        ("PUT", "/api/v1/products/1", {"raw_body": '{"price": "9' + "9" * 60 + '"}'}),
        ("DELETE", "/api/v1/products/%20", {}),
    ]
    for method, path, kwargs in cases:
        reply = call(method, path, **kwargs)  # `call` asserts < 500 and the error shape
        assert reply.status < 500


# ---------------------------------------------------------------- demo data
def test_seed_is_idempotent_and_useful(template, dynamodb_endpoint, call, monkeypatch):
    from infra.seed.inventory import seed

    env = create_tables(template, [FUNCTION], dynamodb_endpoint)[FUNCTION]
    first = seed(env)  # how long it takes is `make run`'s readiness figure (README, Performance), not a test
    assert first["products"] == 200 and first["locations"] == 6 and first["stock_rows"] == 1200
    assert first["created"] == {"categories": first["categories"], "suppliers": first["suppliers"], "products": 200}
    assert first["low_stock_rows"] > 0

    second = seed(env)
    assert second["created"] == {"categories": 0, "suppliers": 0, "products": 0}
    assert {k: v for k, v in second.items() if k != "created"} == {k: v for k, v in first.items() if k != "created"}

    # the handler sees the seeded tables through the same environment
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    products, pages = all_pages(call, "/api/v1/products", {"limit": "100"})
    assert len(products) == 200 and pages == 2
    assert sorted(product["product_id"] for product in products) == list(range(1, 201))
    assert len({product["sku"] for product in products}) == 200
    assert all(re.fullmatch(r"\d+\.\d{2}", product["price"]) for product in products)
    locations = call("GET", "/api/v1/locations").body["items"]
    assert sorted(location["location_id"] for location in locations) == [
        "store-1", "store-2", "store-3", "store-4", "store-5", "warehouse"
    ]
    low, _ = all_pages(call, "/api/v1/stock", {"low_stock": "true", "limit": "100"})
    assert len(low) == first["low_stock_rows"]
    categories = call("GET", "/api/v1/categories", query={"limit": "100"}).body["items"]
    assert len(categories) == first["categories"]
