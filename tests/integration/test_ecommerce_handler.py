"""The e-commerce Lambda handlers against DynamoDB (AWS's DynamoDB Local, as in the embedded
cloud), called in-process: the API with REST proxy v1 events, the saga participant functions
with the JSON events a state machine sends.

The tables are created from template.yaml's own ``AWS::DynamoDB::Table`` definitions and the
functions' environment is the one the template gives EcommerceFunction, so a key, an index or a
variable missing from the template fails here. The catalogue is inventory's: e-commerce reads
it through the inventory interface function (``INVENTORY_FUNCTION``), whose Lambda invokes are
answered in-process by its handler, on its own tables (the products are written into
inventory's table directly).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3
import pytest

from tests.integration.handler_harness import (
    REGION,
    InProcessInvokes,
    RestApi,
    all_pages,
    create_tables,
    environment,
    handler_module,
    invoke_as_lambda,
)

pytestmark = pytest.mark.integration

FUNCTION = "EcommerceFunction"
INTERFACE = "InventoryInterfaceFunction"  # the catalogue, answered in-process
SAGA_FUNCTIONS = {
    "EcommerceCreateOrderFunction": "create_order_handler",
    "EcommerceCancelOrderFunction": "cancel_order_handler",
    "EcommerceConfirmOrderFunction": "confirm_order_handler",
    "EcommerceProcessPaymentFunction": "process_payment_handler",
    "EcommerceRefundPaymentFunction": "refund_payment_handler",
}
TAX = Decimal("0.14975")
CENT = Decimal("0.01")


# ---------------------------------------------------------------- template, AWS, tables
@pytest.fixture(scope="module")
def ecommerce_env(template: dict[str, Any], dynamodb_endpoint: str) -> Iterator[dict[str, str]]:
    """The tables EcommerceFunction's and the inventory interface's environments name, their
    union in os.environ (the e-commerce function's POWERTOOLS_SERVICE_NAME last), and the
    interface's invokes answered in-process."""
    envs = create_tables(template, (INTERFACE, FUNCTION), dynamodb_endpoint)
    for env in environment(envs.values()):
        with InProcessInvokes(template, {INTERFACE}).installed():
            yield env


@dataclass
class Product:
    product_id: int
    sku: str
    name: str
    price: Decimal


@pytest.fixture(scope="module")
def catalogue(ecommerce_env: dict[str, str]) -> dict[str, Product]:
    """Products written straight into inventory's products table: three live, one deleted."""
    from inventory.dal.tables import ProductRecord

    now = datetime.now(UTC)
    products = {
        "mug": Product(1, "HOM-00001", "Casa Nord Mug", Decimal("12.99")),
        "kettle": Product(2, "HOM-00002", "Ferro Kettle", Decimal("49.95")),
        "coffee": Product(3, "GRO-00003", "Ground Coffee 340 g", Decimal("8.49")),
        "gone": Product(4, "HOM-00004", "Discontinued Lamp", Decimal("30.00")),
    }
    for product in products.values():
        ProductRecord(
            product.product_id,
            sku=product.sku,
            name=product.name,
            category_id=1,
            price=product.price,
            reorder_level=10,
            search_text=f"{product.name} {product.sku}".lower(),
            created_at=now,
            updated_at=now,
            deleted_at=now if product.sku == "HOM-00004" else None,
        ).save()
    return products


# ---------------------------------------------------------------- events
@pytest.fixture(scope="module")
def call(ecommerce_env, catalogue, template) -> RestApi:
    return RestApi(template, {FUNCTION: handler_module("ecommerce.handlers.api").lambda_handler})


@pytest.fixture(scope="module")
def saga(ecommerce_env, catalogue, template):
    """saga("EcommerceCreateOrderFunction", event) -> output, as Lambda would run it."""

    def _invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        handler_path = template["Resources"][function]["Properties"]["Handler"]
        assert handler_path == f"ecommerce.handlers.saga.{SAGA_FUNCTIONS[function]}"
        return invoke_as_lambda(template, function, event)

    return _invoke


# ---------------------------------------------------------------- helpers
def unique_email(prefix: str = "client") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}@Example.com"


ADDRESS = {"line1": "1100 Rue Sainte-Catherine O", "city": "Montréal", "region": "QC", "postal_code": "H3B 1A7"}


def new_customer(call, *, addresses: list[dict[str, Any]] | None = None, **overrides: Any) -> dict[str, Any]:
    body = {
        "email": unique_email(),
        "first_name": "Marie",
        "last_name": "Tremblay",
        "phone": "+1 514-555-0199",
        "addresses": [ADDRESS] if addresses is None else addresses,
        **overrides,
    }
    reply = call("POST", "/api/v1/customers", body=body)
    assert reply.status == 201, reply.body
    return reply.body


def money(value: Decimal) -> str:
    return f"{value.quantize(CENT):.2f}"


def expected_totals(*lines: tuple[Product, int]) -> dict[str, str]:
    subtotal = sum((product.price * quantity for product, quantity in lines), Decimal("0"))
    tax = (subtotal * TAX).quantize(CENT, rounding="ROUND_HALF_UP")
    return {"subtotal": money(subtotal), "tax": money(tax), "total": money(subtotal + tax)}


def key() -> str:
    return f"saga-{uuid.uuid4()}"


def create_order(call, customer: dict[str, Any], *lines: tuple[Product, int], **extra: Any) -> dict[str, Any]:
    body = {
        "customer_id": customer["customer_id"],
        "lines": [{"product_id": product.product_id, "quantity": quantity} for product, quantity in lines],
        **extra,
    }
    reply = call("POST", "/api/v1/orders", body=body)
    assert reply.status == 201, reply.body
    return reply.body


# ---------------------------------------------------------------- customers
def test_customer_create_get_list_and_email_filter(call):
    email = unique_email("anne")
    created = call(
        "POST",
        "/api/v1/customers",
        body={"email": email, "first_name": " Anne ", "last_name": "Gagnon", "addresses": [ADDRESS]},
    )
    assert created.status == 201, created.body
    customer = created.body
    assert customer["email"] == email and customer["first_name"] == "Anne" and customer["phone"] is None
    assert customer["customer_id"] >= 1
    assert customer["addresses"][0] == {**ADDRESS, "label": None, "recipient": None, "line2": None, "country": "CA"}
    assert customer["created_at"].endswith("Z")

    assert call("GET", f"/api/v1/customers/{customer['customer_id']}").body == customer
    found = call("GET", "/api/v1/customers", query={"email": email.upper()})
    assert found.status == 200 and found.body == {"items": [customer], "next_token": None}
    assert call("GET", "/api/v1/customers", query={"email": "nobody@nowhere.example"}).body["items"] == []

    other = new_customer(call)
    items = all_pages(call, "/api/v1/customers", {"limit": "1"})[0]
    ids = [item["customer_id"] for item in items]
    assert customer["customer_id"] in ids and other["customer_id"] in ids and len(ids) == len(set(ids))


def test_customer_email_is_unique_case_insensitively(call):
    customer = new_customer(call)
    duplicate = call(
        "POST",
        "/api/v1/customers",
        body={"email": customer["email"].upper(), "first_name": "Other", "last_name": "Person"},
    )
    assert duplicate.status == 409 and duplicate.error_code == "already_exists"
    assert duplicate.details[0]["field"] == "email"


def test_customer_validation(call):
    good = {"email": unique_email(), "first_name": "A", "last_name": "B"}
    for bad, loc in (
        ({**good, "email": "not-an-email"}, ["body", "email"]),
        ({**good, "first_name": ""}, ["body", "first_name"]),
        ({**good, "phone": "call me"}, ["body", "phone"]),
        ({**good, "addresses": [{"city": "Laval"}]}, ["body", "addresses", 0, "line1"]),
        ({**good, "addresses": [{**ADDRESS, "country": "Canada"}]}, ["body", "addresses", 0, "country"]),
        ({**good, "loyalty": 3}, ["body", "loyalty"]),
    ):
        reply = call("POST", "/api/v1/customers", body=bad)
        assert reply.status == 422 and reply.error_code == "validation_error", bad
        assert loc in [detail["loc"] for detail in reply.details], (bad, reply.details)
    reply = call("POST", "/api/v1/customers", raw_body="{not json")
    assert reply.status == 400 and reply.error_code == "bad_request"
    padded = call("POST", "/api/v1/customers", body={**good, "email": f"  {good['email']} "})
    assert padded.status == 422, "an e-mail is checked as sent: its pattern has no room for spaces"


def test_customer_update(call):
    customer = new_customer(call)
    cid = customer["customer_id"]
    reply = call("PUT", f"/api/v1/customers/{cid}", body={"phone": None, "last_name": "Roy"})
    assert reply.status == 200, reply.body
    assert reply.body["phone"] is None and reply.body["last_name"] == "Roy"
    assert reply.body["email"] == customer["email"] and reply.body["updated_at"] >= customer["updated_at"]

    # an e-mail change frees the old one and claims the new one
    new_email = unique_email("moved")
    assert call("PUT", f"/api/v1/customers/{cid}", body={"email": new_email}).body["email"] == new_email
    assert call("GET", "/api/v1/customers", query={"email": new_email}).body["items"][0]["customer_id"] == cid
    reuse = new_customer(call, email=customer["email"])
    assert reuse["customer_id"] != cid

    taken = call("PUT", f"/api/v1/customers/{cid}", body={"email": reuse["email"].upper()})
    assert taken.status == 409 and taken.error_code == "already_exists"
    same_but_case = call("PUT", f"/api/v1/customers/{cid}", body={"email": new_email.upper()})
    assert same_but_case.status == 200 and same_but_case.body["email"] == new_email.upper()

    cleared = call("PUT", f"/api/v1/customers/{cid}", body={"addresses": []})
    assert cleared.status == 200 and cleared.body["addresses"] == []
    for bad in ({}, {"email": None}, {"first_name": None}, {"nickname": "x"}):
        reply = call("PUT", f"/api/v1/customers/{cid}", body=bad)
        assert reply.status == 422 and reply.error_code == "validation_error", bad


def test_customer_not_found_and_bad_ids(call):
    assert call("GET", "/api/v1/customers/99999").status == 404
    missing = call("PUT", "/api/v1/customers/99999", body={"first_name": "X"})
    assert missing.status == 404 and missing.error_code == "not_found"
    bad = call("GET", "/api/v1/customers/abc")
    assert bad.status == 422 and bad.details[0]["loc"] == ["path", "customer_id"]
    token = call("GET", "/api/v1/customers", query={"next_token": "garbage"})
    assert token.status == 400 and token.error_code == "invalid_pagination_token"


# ---------------------------------------------------------------- carts
def test_cart_is_priced_from_the_catalogue(call, catalogue):
    customer = new_customer(call)
    mug, kettle = catalogue["mug"], catalogue["kettle"]
    reply = call(
        "POST",
        "/api/v1/carts",
        body={"customer_id": customer["customer_id"], "items": [{"product_id": 1, "quantity": 3}, {"product_id": 2, "quantity": 1}]},
    )
    assert reply.status == 201, reply.body
    cart = reply.body
    assert cart["status"] == "open" and cart["customer_id"] == customer["customer_id"] and cart["order_id"] is None
    assert cart["items"] == [
        {"product_id": 1, "sku": mug.sku, "name": mug.name, "quantity": 3, "unit_price": "12.99", "line_total": "38.97"},
        {"product_id": 2, "sku": kettle.sku, "name": kettle.name, "quantity": 1, "unit_price": "49.95", "line_total": "49.95"},
    ]
    assert {k: cart[k] for k in ("subtotal", "tax", "total")} == expected_totals((mug, 3), (kettle, 1))
    assert cart["item_count"] == 4 and cart["currency"] == "CAD"
    assert call("GET", f"/api/v1/carts/{cart['cart_id']}").body == cart


def test_cart_refuses_bad_items(call, catalogue):
    customer = new_customer(call)
    cases = [
        ({"items": [{"product_id": 999, "quantity": 1}]}, "invalid_reference", ["body", "items", 0, "product_id"]),
        ({"items": [{"product_id": 1, "quantity": 1}, {"product_id": 4, "quantity": 1}]}, "invalid_reference",
         ["body", "items", 1, "product_id"]),
        ({"items": [{"product_id": 1, "quantity": 0}]}, "validation_error", ["body", "items", 0, "quantity"]),
        ({"items": [{"product_id": 1, "quantity": -2}]}, "validation_error", ["body", "items", 0, "quantity"]),
        ({"items": [{"product_id": 1, "quantity": 1001}]}, "validation_error", ["body", "items", 0, "quantity"]),
        ({"items": [{"product_id": 1, "quantity": True}]}, "validation_error", ["body", "items", 0, "quantity"]),
        ({"items": [{"product_id": 1, "quantity": 1, "unit_price": "0.01"}]}, "validation_error",
         ["body", "items", 0, "unit_price"]),
        ({"items": [{"product_id": 1, "quantity": 1}, {"product_id": 1, "quantity": 2}]}, "validation_error", None),
        ({"customer_id": 99999, "items": []}, "invalid_reference", ["body", "customer_id"]),
    ]
    for body, code, loc in cases:
        reply = call("POST", "/api/v1/carts", body={"customer_id": customer["customer_id"], **body})
        status = 404 if code == "invalid_reference" else 422  # an unknown id is a 404, a bad value a 422
        assert reply.status == status and reply.error_code == code, (body, reply.body)
        if loc:
            assert loc in [detail["loc"] for detail in reply.details], (body, reply.details)


def test_guest_cart_update_attach_and_list(call, catalogue):
    guest = call("POST", "/api/v1/carts", body={}).body
    assert guest["customer_id"] is None and guest["items"] == [] and guest["total"] == "0.00"
    customer = new_customer(call)
    cid = customer["customer_id"]

    updated = call(
        "PUT",
        f"/api/v1/carts/{guest['cart_id']}",
        body={"customer_id": cid, "items": [{"product_id": 3, "quantity": 2}]},
    )
    assert updated.status == 200, updated.body
    assert updated.body["customer_id"] == cid and updated.body["items"][0]["line_total"] == "16.98"
    assert {k: updated.body[k] for k in ("subtotal", "tax", "total")} == expected_totals((catalogue["coffee"], 2))

    replaced = call("PUT", f"/api/v1/carts/{guest['cart_id']}", body={"items": [{"product_id": 1, "quantity": 5}]})
    assert [item["product_id"] for item in replaced.body["items"]] == [1] and replaced.body["item_count"] == 5
    assert replaced.body["customer_id"] == cid

    other = new_customer(call)
    steal = call("PUT", f"/api/v1/carts/{guest['cart_id']}", body={"customer_id": other["customer_id"], "items": []})
    assert steal.status == 409
    bad = call("PUT", f"/api/v1/carts/{guest['cart_id']}", body={"items": [{"product_id": 4, "quantity": 1}]})
    assert bad.status == 404 and bad.error_code == "invalid_reference"
    assert call("PUT", f"/api/v1/carts/{guest['cart_id']}", body={}).status == 422
    assert call("PUT", "/api/v1/carts/99999", body={"items": []}).status == 404
    assert call("GET", "/api/v1/carts/99999").status == 404

    second = call("POST", "/api/v1/carts", body={"customer_id": cid}).body
    listed = all_pages(call, "/api/v1/carts", {"customer_id": str(cid), "limit": "1"})[0]
    assert [cart["cart_id"] for cart in listed] == [second["cart_id"], guest["cart_id"]]  # newest first
    everything = all_pages(call, "/api/v1/carts", {"limit": "2"})[0]
    assert {guest["cart_id"], second["cart_id"]} <= {cart["cart_id"] for cart in everything}
    unknown = call("GET", "/api/v1/carts", query={"customer_id": "99999"})
    assert unknown.status == 404 and unknown.error_code == "invalid_reference"
    assert call("GET", "/api/v1/carts", query={"status": "lost"}).status == 422


# ---------------------------------------------------------------- orders
def test_order_from_lines(call, catalogue):
    customer = new_customer(call)
    mug, coffee = catalogue["mug"], catalogue["coffee"]
    order = create_order(call, customer, (mug, 2), (coffee, 3))
    assert order["status"] == "pending" and order["customer_id"] == customer["customer_id"]
    assert [(line["product_id"], line["quantity"], line["unit_price"], line["line_total"]) for line in order["lines"]] == [
        (1, 2, "12.99", "25.98"),
        (3, 3, "8.49", "25.47"),
    ]
    assert {k: order[k] for k in ("subtotal", "tax", "total")} == expected_totals((mug, 2), (coffee, 3))
    assert order["shipping_address"] == {**ADDRESS, "label": None, "line2": None, "country": "CA", "recipient": "Marie Tremblay"}
    assert order["billing_address"] == order["shipping_address"]
    assert [change["status"] for change in order["status_history"]] == ["pending"]
    assert order["order_date"] == order["created_at"][:10] and order["created_at"].endswith("Z")
    assert call("GET", f"/api/v1/orders/{order['order_id']}").body == order

    billing = {**ADDRESS, "line1": "5 Quai Saint-André", "city": "Québec", "recipient": "Accounts"}
    explicit = create_order(call, customer, (mug, 1), billing_address=billing)
    assert explicit["billing_address"]["city"] == "Québec" and explicit["shipping_address"]["city"] == "Montréal"


def test_order_item_has_the_shape_reporting_reads(call, ecommerce_env, dynamodb_endpoint):
    order = create_order(call, new_customer(call), (Product(2, "", "", Decimal("49.95")), 2))
    client = boto3.client("dynamodb", endpoint_url=dynamodb_endpoint, region_name=REGION)
    item = client.get_item(TableName=ecommerce_env["ORDERS_TABLE"], Key={"order_id": {"N": str(order["order_id"])}})["Item"]
    assert item["order_id"] == {"N": str(order["order_id"])}
    assert item["customer_id"] == {"N": str(order["customer_id"])}
    assert item["status"] == {"S": "pending"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", item["created_at"]["S"])
    assert item["order_date"] == {"S": item["created_at"]["S"][:10]}
    line = item["lines"]["L"][0]["M"]
    assert line["product_id"] == {"N": "2"} and line["quantity"] == {"N": "2"}
    assert Decimal(line["unit_price"]["N"]) == Decimal("49.95") and Decimal(line["line_total"]["N"]) == Decimal("99.90")
    assert Decimal(item["total"]["N"]) == Decimal(order["total"])
    description = client.describe_table(TableName=ecommerce_env["ORDERS_TABLE"])["Table"]
    assert description["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"


def test_order_refusals(call, catalogue):
    customer = new_customer(call)
    cid = customer["customer_id"]
    unknown = call("POST", "/api/v1/orders", body={"customer_id": 99999, "lines": [{"product_id": 1, "quantity": 1}]})
    assert unknown.status == 404 and unknown.error_code == "invalid_reference"
    assert unknown.details[0]["loc"] == ["body", "customer_id"] and unknown.details[0]["resource"] == "customer"

    deleted = call("POST", "/api/v1/orders", body={"customer_id": cid, "lines": [{"product_id": 4, "quantity": 1}]})
    assert deleted.status == 404 and deleted.details[0]["loc"] == ["body", "lines", 0, "product_id"]

    homeless = new_customer(call, addresses=[])
    no_address = call("POST", "/api/v1/orders", body={"customer_id": homeless["customer_id"], "lines": [{"product_id": 1, "quantity": 1}]})
    assert no_address.status == 409 and no_address.error_code == "missing_address"

    for bad in (
        {"customer_id": cid},
        {"customer_id": cid, "lines": []},
        {"customer_id": cid, "lines": [{"product_id": 1, "quantity": 1}], "cart_id": 1},
        {"customer_id": cid, "lines": [{"product_id": 1, "quantity": 1}], "total": "0.01"},
        {"customer_id": cid, "lines": [{"product_id": 1, "quantity": 1, "unit_price": "1.00"}]},
    ):
        reply = call("POST", "/api/v1/orders", body=bad)
        assert reply.status == 422 and reply.error_code == "validation_error", bad

    assert call("GET", "/api/v1/orders/99999").status == 404
    assert call("GET", "/api/v1/orders", query={"customer_id": "99999"}).error_code == "invalid_reference"
    assert call("GET", "/api/v1/orders", query={"status": "shipped"}).status == 422


def test_order_from_cart_closes_the_cart(call, catalogue):
    customer = new_customer(call)
    cid = customer["customer_id"]
    cart = call(
        "POST", "/api/v1/carts", body={"customer_id": cid, "items": [{"product_id": 2, "quantity": 1}, {"product_id": 3, "quantity": 4}]}
    ).body
    order = call("POST", "/api/v1/orders", body={"customer_id": cid, "cart_id": cart["cart_id"]})
    assert order.status == 201, order.body
    assert order.body["cart_id"] == cart["cart_id"] and order.body["total"] == cart["total"]
    assert [line["product_id"] for line in order.body["lines"]] == [2, 3]

    closed = call("GET", f"/api/v1/carts/{cart['cart_id']}").body
    assert closed["status"] == "ordered" and closed["order_id"] == order.body["order_id"]
    again = call("POST", "/api/v1/orders", body={"customer_id": cid, "cart_id": cart["cart_id"]})
    assert again.status == 409 and again.error_code == "cart_closed"
    edit = call("PUT", f"/api/v1/carts/{cart['cart_id']}", body={"items": []})
    assert edit.status == 409 and edit.error_code == "cart_closed"
    assert call("GET", "/api/v1/carts", query={"customer_id": str(cid), "status": "ordered"}).body["items"][0]["cart_id"] == cart["cart_id"]

    other = new_customer(call)
    foreign = call("POST", "/api/v1/carts", body={"customer_id": other["customer_id"], "items": [{"product_id": 1, "quantity": 1}]}).body
    mismatch = call("POST", "/api/v1/orders", body={"customer_id": cid, "cart_id": foreign["cart_id"]})
    assert mismatch.status == 409 and mismatch.error_code == "cart_customer_mismatch"
    empty = call("POST", "/api/v1/carts", body={"customer_id": cid}).body
    assert call("POST", "/api/v1/orders", body={"customer_id": cid, "cart_id": empty["cart_id"]}).error_code == "empty_cart"
    missing = call("POST", "/api/v1/orders", body={"customer_id": cid, "cart_id": 99999})
    assert missing.status == 404 and missing.error_code == "invalid_reference"

    guest = call("POST", "/api/v1/carts", body={"items": [{"product_id": 1, "quantity": 1}]}).body
    from_guest = call("POST", "/api/v1/orders", body={"customer_id": cid, "cart_id": guest["cart_id"]})
    assert from_guest.status == 201
    assert call("GET", f"/api/v1/carts/{guest['cart_id']}").body["customer_id"] == cid


def test_order_idempotency_key_over_the_api(call, catalogue):
    customer = new_customer(call)
    body = {"customer_id": customer["customer_id"], "lines": [{"product_id": 1, "quantity": 1}], "idempotency_key": key()}
    first = call("POST", "/api/v1/orders", body=body)
    second = call("POST", "/api/v1/orders", body=body)
    assert first.status == second.status == 201 and first.body == second.body
    assert len(all_pages(call, "/api/v1/orders", {"customer_id": str(customer["customer_id"])})[0]) == 1
    conflict = call("POST", "/api/v1/orders", body={**body, "lines": [{"product_id": 1, "quantity": 2}]})
    assert conflict.status == 409 and conflict.error_code == "idempotency_conflict"


def test_order_listings(call, catalogue):
    customer = new_customer(call)
    cid = str(customer["customer_id"])
    orders = [create_order(call, customer, (catalogue["mug"], n)) for n in (1, 2, 3)]
    listed = all_pages(call, "/api/v1/orders", {"customer_id": cid, "limit": "2"})[0]
    assert [o["order_id"] for o in listed] == [o["order_id"] for o in reversed(orders)]  # newest first
    pending = all_pages(call, "/api/v1/orders", {"customer_id": cid, "status": "pending", "limit": "1"})[0]
    assert len(pending) == 3
    assert call("GET", "/api/v1/orders", query={"customer_id": cid, "status": "confirmed"}).body["items"] == []
    by_status = all_pages(call, "/api/v1/orders", {"status": "pending", "limit": "50"})[0]
    assert {o["order_id"] for o in orders} <= {o["order_id"] for o in by_status}
    assert all(o["status"] == "pending" for o in by_status)
    stamps = [datetime.fromisoformat(o["created_at"]) for o in by_status]
    assert stamps == sorted(stamps, reverse=True)
    everything = all_pages(call, "/api/v1/orders", {"limit": "100"})[0]
    assert {o["order_id"] for o in orders} <= {o["order_id"] for o in everything}
    token = call("GET", "/api/v1/orders", query={"customer_id": cid, "limit": "1"}).body["next_token"]
    other_scope = call("GET", "/api/v1/orders", query={"status": "pending", "limit": "1", "next_token": token})
    assert other_scope.status == 400


# ---------------------------------------------------------------- payments (API)
def test_pay_an_order(call, catalogue):
    order = create_order(call, new_customer(call), (catalogue["kettle"], 1))
    paid = call(
        "POST", "/api/v1/payments", body={"order_id": order["order_id"], "amount": order["total"], "payment_method": "credit_card", "card_token": "tok_visa"}
    )
    assert paid.status == 201, paid.body
    payment = paid.body
    assert payment["status"] == "captured" and payment["amount"] == order["total"] and payment["currency"] == "CAD"
    assert [change["status"] for change in payment["status_history"]] == ["authorized", "captured"]
    assert payment["provider_reference"].startswith("sim_") and "card_token" not in payment
    assert call("GET", f"/api/v1/payments/{payment['payment_id']}").body == payment
    assert call("GET", "/api/v1/payments", query={"order_id": str(order["order_id"])}).body == {"items": [payment], "next_token": None}

    twice = call("POST", "/api/v1/payments", body={"order_id": order["order_id"], "amount": order["total"], "payment_method": "paypal"})
    assert twice.status == 409 and twice.error_code == "already_paid"
    captured = all_pages(call, "/api/v1/payments", {"status": "captured", "limit": "100"})[0]
    assert payment["payment_id"] in {p["payment_id"] for p in captured}


def test_payment_refusals(call, catalogue, saga):
    order = create_order(call, new_customer(call), (catalogue["mug"], 1))
    oid = order["order_id"]
    wrong = call("POST", "/api/v1/payments", body={"order_id": oid, "amount": "1.00", "payment_method": "credit_card"})
    assert wrong.status == 409 and wrong.error_code == "amount_mismatch" and wrong.details[0]["expected"] == order["total"]
    unknown = call("POST", "/api/v1/payments", body={"order_id": 99999, "amount": "1.00", "payment_method": "credit_card"})
    assert unknown.status == 404 and unknown.error_code == "invalid_reference"
    for bad in (
        {"order_id": oid, "amount": "-1", "payment_method": "credit_card"},
        {"order_id": oid, "amount": "1.001", "payment_method": "credit_card"},
        {"order_id": oid, "amount": order["total"], "payment_method": "Credit Card!"},
        {"order_id": oid, "amount": order["total"], "payment_method": "credit_card", "card_token": "4111111111111111"},
    ):
        reply = call("POST", "/api/v1/payments", body=bad)
        assert reply.status == 422 and reply.error_code == "validation_error", bad

    for declined_body in (
        {"payment_method": "declined_card"},
        {"payment_method": "credit_card", "card_token": "tok_declined"},
    ):
        reply = call("POST", "/api/v1/payments", body={"order_id": oid, "amount": order["total"], **declined_body})
        assert reply.status == 402 and reply.error_code == "payment_declined", reply.body
        assert reply.details[0]["order_id"] == oid and reply.details[0]["reason"] == "card_declined"
    attempts = call("GET", "/api/v1/payments", query={"order_id": str(oid)}).body["items"]
    assert [p["status"] for p in attempts] == ["declined", "declined"]
    assert all(p["decline_reason"] == "card_declined" for p in attempts)

    saga("EcommerceCancelOrderFunction", {"order_id": oid, "reason": "customer changed their mind"})
    late = call("POST", "/api/v1/payments", body={"order_id": oid, "amount": order["total"], "payment_method": "credit_card"})
    assert late.status == 409 and late.error_code == "invalid_order_state"
    assert call("GET", "/api/v1/payments/99999").status == 404
    assert call("GET", "/api/v1/payments", query={"order_id": "99999"}).error_code == "invalid_reference"


def test_payment_idempotency_key_over_the_api(call, catalogue):
    order = create_order(call, new_customer(call), (catalogue["coffee"], 1))
    body = {"order_id": order["order_id"], "amount": order["total"], "payment_method": "debit_card", "idempotency_key": key()}
    first, second = call("POST", "/api/v1/payments", body=body), call("POST", "/api/v1/payments", body=body)
    assert first.status == second.status == 201 and first.body == second.body
    assert len(call("GET", "/api/v1/payments", query={"order_id": str(order["order_id"])}).body["items"]) == 1


# ---------------------------------------------------------------- saga participant functions
def orders_of(call, customer: dict[str, Any]) -> list[dict[str, Any]]:
    return all_pages(call, "/api/v1/orders", {"customer_id": str(customer["customer_id"])})[0]


def test_saga_happy_path(call, saga, catalogue):
    customer = new_customer(call)
    saga_id = key()
    created = saga(
        "EcommerceCreateOrderFunction",
        {"idempotency_key": saga_id, "customer_id": customer["customer_id"], "lines": [{"product_id": 2, "quantity": 2}],
         "shipping_address": ADDRESS, "billing_address": None, "extra_state": {"ignored": True}},
    )
    assert set(created) == {"order_id", "customer_id", "status", "item_count", "subtotal", "tax", "total", "currency", "created_at"}
    assert created["status"] == "pending" and created["total"] == expected_totals((catalogue["kettle"], 2))["total"]

    paid = saga(
        "EcommerceProcessPaymentFunction",
        {"idempotency_key": saga_id, "order_id": created["order_id"], "amount": float(created["total"]), "payment_method": "credit_card"},
    )
    assert paid["status"] == "captured" and paid["amount"] == created["total"] and paid["order_id"] == created["order_id"]

    confirmed = saga("EcommerceConfirmOrderFunction", {"order_id": created["order_id"]})
    assert confirmed == {"order_id": created["order_id"], "status": "confirmed", "total": created["total"]}
    order = call("GET", f"/api/v1/orders/{created['order_id']}").body
    assert order["status"] == "confirmed" and [c["status"] for c in order["status_history"]] == ["pending", "confirmed"]
    assert saga("EcommerceConfirmOrderFunction", {"idempotency_key": saga_id}) == confirmed  # idempotent, by key too


def test_saga_create_order_is_idempotent(call, saga, catalogue):
    customer = new_customer(call)
    event = {"idempotency_key": key(), "customer_id": customer["customer_id"], "lines": [{"product_id": 1, "quantity": 2}]}
    first = saga("EcommerceCreateOrderFunction", event)
    second = saga("EcommerceCreateOrderFunction", event)
    assert first == second
    assert [o["order_id"] for o in orders_of(call, customer)] == [first["order_id"]]
    from ecommerce.errors import IdempotencyConflict

    with pytest.raises(IdempotencyConflict):
        saga("EcommerceCreateOrderFunction", {**event, "lines": [{"product_id": 1, "quantity": 3}]})


def test_saga_create_order_business_errors(call, saga):
    from ecommerce.errors import CustomerNotFound, InvalidInput, MissingAddress, ProductNotFound

    with pytest.raises(CustomerNotFound) as caught:
        saga("EcommerceCreateOrderFunction", {"idempotency_key": key(), "customer_id": 99999, "lines": [{"product_id": 1, "quantity": 1}]})
    assert type(caught.value).__name__ == "CustomerNotFound"  # Lambda's errorType
    customer = new_customer(call)
    with pytest.raises(ProductNotFound):
        saga("EcommerceCreateOrderFunction", {"idempotency_key": key(), "customer_id": customer["customer_id"], "lines": [{"product_id": 4, "quantity": 1}]})
    homeless = new_customer(call, addresses=[])
    with pytest.raises(MissingAddress):
        saga("EcommerceCreateOrderFunction", {"idempotency_key": key(), "customer_id": homeless["customer_id"], "lines": [{"product_id": 1, "quantity": 1}]})
    for bad in (
        {"customer_id": customer["customer_id"], "lines": [{"product_id": 1, "quantity": 1}]},  # no key
        {"idempotency_key": key(), "customer_id": customer["customer_id"], "lines": []},
        {"idempotency_key": key(), "customer_id": customer["customer_id"], "lines": [{"product_id": 1, "quantity": 0}]},
        {"idempotency_key": "has space", "customer_id": customer["customer_id"], "lines": [{"product_id": 1, "quantity": 1}]},
    ):
        with pytest.raises(InvalidInput):
            saga("EcommerceCreateOrderFunction", bad)
    assert orders_of(call, customer) == []


def test_saga_payment_is_idempotent_and_refund_too(call, saga, catalogue):
    customer = new_customer(call)
    saga_id = key()
    order = saga("EcommerceCreateOrderFunction", {"idempotency_key": saga_id, "customer_id": customer["customer_id"], "lines": [{"product_id": 3, "quantity": 1}]})
    event = {"idempotency_key": saga_id, "order_id": order["order_id"], "amount": order["total"], "payment_method": "credit_card", "card_token": "tok_visa"}
    first = saga("EcommerceProcessPaymentFunction", event)
    second = saga("EcommerceProcessPaymentFunction", event)
    assert first == second and first["status"] == "captured"
    payments = call("GET", "/api/v1/payments", query={"order_id": str(order["order_id"])}).body["items"]
    assert [p["payment_id"] for p in payments] == [first["payment_id"]]

    from ecommerce.errors import AmountMismatch, IdempotencyConflict, OrderAlreadyPaid

    with pytest.raises(IdempotencyConflict):
        saga("EcommerceProcessPaymentFunction", {**event, "payment_method": "paypal"})
    with pytest.raises(OrderAlreadyPaid):
        saga("EcommerceProcessPaymentFunction", {**event, "idempotency_key": key()})
    with pytest.raises(AmountMismatch):
        saga("EcommerceProcessPaymentFunction", {**event, "idempotency_key": key(), "amount": "0.50"})

    refund = {"idempotency_key": saga_id, "reason": "stock reservation failed"}
    refunded = saga("EcommerceRefundPaymentFunction", refund)
    assert refunded == {"payment_id": first["payment_id"], "order_id": order["order_id"], "status": "refunded", "amount": order["total"]}
    assert saga("EcommerceRefundPaymentFunction", refund) == refunded
    assert saga("EcommerceRefundPaymentFunction", {"idempotency_key": key(), "payment_id": first["payment_id"]}) == refunded
    payment = call("GET", f"/api/v1/payments/{first['payment_id']}").body
    assert payment["status"] == "refunded"
    assert [(c["status"], c["reason"]) for c in payment["status_history"]][-1] == ("refunded", "stock reservation failed")
    # the payment's retry after the refund still answers with the first outcome, and charges nothing
    assert saga("EcommerceProcessPaymentFunction", event) == first
    assert len(call("GET", "/api/v1/payments", query={"order_id": str(order["order_id"])}).body["items"]) == 1


def test_saga_declined_payment_and_compensations(call, saga, catalogue):
    from ecommerce.errors import InvalidOrderState, PaymentDeclined

    customer = new_customer(call)
    saga_id = key()
    order = saga("EcommerceCreateOrderFunction", {"idempotency_key": saga_id, "customer_id": customer["customer_id"], "lines": [{"product_id": 1, "quantity": 1}]})
    event = {"idempotency_key": saga_id, "order_id": order["order_id"], "amount": order["total"], "payment_method": "declined_card"}
    with pytest.raises(PaymentDeclined) as first:
        saga("EcommerceProcessPaymentFunction", event)
    with pytest.raises(PaymentDeclined) as second:
        saga("EcommerceProcessPaymentFunction", event)
    assert type(first.value).__name__ == "PaymentDeclined"
    assert first.value.payment_id == second.value.payment_id and str(first.value) == str(second.value)
    payments = call("GET", "/api/v1/payments", query={"order_id": str(order["order_id"])}).body["items"]
    assert [p["status"] for p in payments] == ["declined"]

    # compensations: refund (nothing captured) and cancel, each twice
    refund = saga("EcommerceRefundPaymentFunction", {"idempotency_key": saga_id})
    assert refund == {"payment_id": payments[0]["payment_id"], "order_id": order["order_id"], "status": "declined", "amount": None}
    assert saga("EcommerceRefundPaymentFunction", {"idempotency_key": saga_id}) == refund
    cancel = {"idempotency_key": saga_id, "reason": "payment declined"}
    cancelled = saga("EcommerceCancelOrderFunction", cancel)
    assert cancelled == {"order_id": order["order_id"], "status": "cancelled", "reason": "payment declined"}
    assert saga("EcommerceCancelOrderFunction", {**cancel, "reason": "another reason"}) == cancelled
    stored = call("GET", f"/api/v1/orders/{order['order_id']}").body
    assert stored["status"] == "cancelled" and [c["status"] for c in stored["status_history"]] == ["pending", "cancelled"]
    with pytest.raises(InvalidOrderState):
        saga("EcommerceConfirmOrderFunction", {"order_id": order["order_id"]})


def test_compensations_without_a_forward_step_are_no_ops(call, saga):
    from ecommerce.errors import InvalidInput, OperationAborted, OrderNotFound, PaymentNotFound

    customer = new_customer(call)
    never = key()
    cancelled = saga("EcommerceCancelOrderFunction", {"idempotency_key": never})
    assert cancelled == {"order_id": None, "status": "not_created", "reason": "cancelled by the order saga"}
    assert saga("EcommerceCancelOrderFunction", {"idempotency_key": never}) == cancelled
    # the key is retired: a late creation with it is refused, nothing is created
    with pytest.raises(OperationAborted):
        saga("EcommerceCreateOrderFunction", {"idempotency_key": never, "customer_id": customer["customer_id"], "lines": [{"product_id": 1, "quantity": 1}]})
    assert orders_of(call, customer) == []

    refunded = saga("EcommerceRefundPaymentFunction", {"idempotency_key": never})
    assert refunded == {"payment_id": None, "order_id": None, "status": "not_charged", "amount": None}
    assert saga("EcommerceRefundPaymentFunction", {"idempotency_key": never}) == refunded
    order = create_order(call, customer, (Product(1, "", "", Decimal("12.99")), 1))
    with pytest.raises(OperationAborted):
        saga("EcommerceProcessPaymentFunction", {"idempotency_key": never, "order_id": order["order_id"], "amount": order["total"], "payment_method": "credit_card"})
    assert call("GET", "/api/v1/payments", query={"order_id": str(order["order_id"])}).body["items"] == []
    by_order = saga("EcommerceRefundPaymentFunction", {"idempotency_key": key(), "order_id": order["order_id"]})
    assert by_order["status"] == "not_charged"

    with pytest.raises(OrderNotFound):
        saga("EcommerceConfirmOrderFunction", {"idempotency_key": key()})
    with pytest.raises(OrderNotFound):
        saga("EcommerceCancelOrderFunction", {"order_id": 99999})
    with pytest.raises(PaymentNotFound):
        saga("EcommerceRefundPaymentFunction", {"idempotency_key": key(), "payment_id": 99999})
    with pytest.raises(InvalidInput):
        saga("EcommerceCancelOrderFunction", {"reason": "no reference"})


def test_cancel_by_key_after_creation_and_confirmed_orders(call, saga, catalogue):
    customer = new_customer(call)
    saga_id = key()
    order = saga("EcommerceCreateOrderFunction", {"idempotency_key": saga_id, "customer_id": customer["customer_id"], "lines": [{"product_id": 1, "quantity": 1}]})
    saga("EcommerceConfirmOrderFunction", {"order_id": order["order_id"]})
    # a later step failed: the saga compensates a confirmed order too
    cancelled = saga("EcommerceCancelOrderFunction", {"idempotency_key": saga_id, "reason": "shipping failed"})
    assert cancelled == {"order_id": order["order_id"], "status": "cancelled", "reason": "shipping failed"}
    history = call("GET", f"/api/v1/orders/{order['order_id']}").body["status_history"]
    assert [(c["status"], c["reason"]) for c in history] == [
        ("pending", "order placed"), ("confirmed", "order confirmed"), ("cancelled", "shipping failed")
    ]


def test_concurrent_retries_create_one_order_and_charge_once(call, ecommerce_env):
    """Duplicates racing each other (a retry while the first call is still running): the
    conditional writes let exactly one win and the others answer with its result."""
    from concurrent.futures import ThreadPoolExecutor

    from ecommerce.errors import OrderAlreadyPaid
    from ecommerce.logic import orders, payments
    from ecommerce.logic.orders import NewOrder
    from ecommerce.logic.payments import PaymentRequest
    from ecommerce.schemas import LineRequest

    customer = new_customer(call)
    saga_id = key()
    new = NewOrder(customer_id=customer["customer_id"], lines=(LineRequest(product_id=1, quantity=2),))
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: orders.create_order(new, idempotency_key=saga_id, source="saga")[1], range(6)))
    assert len({result.order_id for result in results}) == 1
    assert [o["order_id"] for o in orders_of(call, customer)] == [results[0].order_id]

    request = PaymentRequest(order_id=results[0].order_id, amount=results[0].total, payment_method="credit_card")
    with ThreadPoolExecutor(6) as pool:
        charged = list(pool.map(lambda _: payments.process_payment(request, idempotency_key=saga_id)[1], range(6)))
    assert len({result.payment_id for result in charged}) == 1

    cart = call("POST", "/api/v1/carts", body={"customer_id": customer["customer_id"], "items": [{"product_id": 3, "quantity": 1}]}).body
    from_cart = NewOrder(customer_id=customer["customer_id"], cart_id=cart["cart_id"])
    cart_key = key()
    with ThreadPoolExecutor(6) as pool:
        ordered = list(pool.map(lambda _: orders.create_order(from_cart, idempotency_key=cart_key, source="api")[1], range(6)))
    assert len({result.order_id for result in ordered}) == 1

    def other_key(_: int) -> str:
        try:
            payments.process_payment(request, idempotency_key=key())
            return "captured"
        except OrderAlreadyPaid:
            return "already_paid"

    with ThreadPoolExecutor(4) as pool:
        assert set(pool.map(other_key, range(4))) == {"already_paid"}
    listed = call("GET", "/api/v1/payments", query={"order_id": str(results[0].order_id)}).body["items"]
    assert [p["status"] for p in listed] == ["captured"]
