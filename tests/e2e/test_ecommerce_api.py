"""The e-commerce domain through the real gateway (keys, proxy events, the deployed function
and tables, the demo data) and its saga functions through the Lambda Invoke API."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest

pytestmark = pytest.mark.integration


def email() -> str:
    return f"e2e.{uuid.uuid4().hex[:10]}@example.com"


ADDRESS = {"line1": "85 Rue Dalhousie", "city": "Québec", "region": "QC", "postal_code": "G1K 8M5"}


@pytest.fixture(scope="module")
def products(admin) -> list[dict]:
    response = admin.get("/api/v1/products", params={"limit": "5"})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert len(items) >= 2, "inventory's demo data is missing"
    return items


@pytest.fixture(scope="module")
def customer(admin) -> dict:
    response = admin.post(
        "/api/v1/customers",
        json={"email": email(), "first_name": "Émile", "last_name": "Nelligan", "addresses": [ADDRESS]},
    )
    assert response.status_code == 201, response.text
    return response.json()


def invoke(aws, session_stack, logical_id: str, event: dict) -> tuple[str | None, dict]:
    response = aws("lambda").invoke(
        FunctionName=session_stack.stack.physical_id(logical_id), Payload=json.dumps(event).encode()
    )
    return response.get("FunctionError"), json.loads(response["Payload"].read())


def test_demo_data_is_there(admin, frontend, session_stack):
    summary = session_stack.seed_summary["EcommerceFunction"]
    assert summary["customers"] == 50 and summary["orders"] > 100
    first = admin.get("/api/v1/customers/1")
    assert first.status_code == 200 and first.json()["addresses"], first.text
    confirmed = frontend.get("/api/v1/orders", params={"status": "confirmed", "limit": "5"})
    assert confirmed.status_code == 200 and len(confirmed.json()["items"]) == 5
    order = confirmed.json()["items"][0]
    assert order["order_date"] == order["created_at"][:10] and order["created_at"].endswith("Z")
    payments = admin.get("/api/v1/payments", params={"order_id": str(order["order_id"])}).json()["items"]
    assert [payment["status"] for payment in payments] == ["captured"] and payments[0]["amount"] == order["total"]


def test_keys_are_required(anonymous):
    for path in ("/api/v1/customers", "/api/v1/orders", "/api/v1/carts", "/api/v1/payments"):
        response = anonymous.get(path)
        assert response.status_code == 401 and response.json() == {"message": "Unauthorized"}   # the role authorizer


def test_customer_email_is_unique(admin, customer):
    duplicate = admin.post(
        "/api/v1/customers",
        json={"email": customer["email"].upper(), "first_name": "X", "last_name": "Y"},
    )
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "already_exists"
    found = admin.get("/api/v1/customers", params={"email": customer["email"]})
    assert found.json()["items"] == [customer]
    missing = admin.get("/api/v1/customers/99999")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_cart_order_and_payment(admin, frontend, customer, products):
    first, second = products[0], products[1]
    cart = frontend.post(
        "/api/v1/carts",
        json={"customer_id": customer["customer_id"], "items": [{"product_id": first["product_id"], "quantity": 2}]},
    )
    assert cart.status_code == 201, cart.text
    assert cart.json()["items"][0]["unit_price"] == first["price"]
    bad = frontend.post("/api/v1/carts", json={"items": [{"product_id": 999999, "quantity": 1}]})
    assert bad.status_code == 404 and bad.json()["error"]["code"] == "invalid_reference"
    zero = frontend.post("/api/v1/carts", json={"items": [{"product_id": first["product_id"], "quantity": 0}]})
    assert zero.status_code == 422 and zero.json()["error"]["code"] == "validation_error"

    updated = frontend.put(
        f"/api/v1/carts/{cart.json()['cart_id']}",
        json={"items": [{"product_id": first["product_id"], "quantity": 1}, {"product_id": second["product_id"], "quantity": 3}]},
    )
    assert updated.status_code == 200 and updated.json()["item_count"] == 4
    subtotal = Decimal(first["price"]) + 3 * Decimal(second["price"])
    assert Decimal(updated.json()["subtotal"]) == subtotal

    order = frontend.post("/api/v1/orders", json={"customer_id": customer["customer_id"], "cart_id": updated.json()["cart_id"]})
    assert order.status_code == 201, order.text
    order = order.json()
    assert order["status"] == "pending" and order["total"] == updated.json()["total"]
    assert order["shipping_address"]["city"] == "Québec"

    declined = frontend.post(
        "/api/v1/payments", json={"order_id": order["order_id"], "amount": order["total"], "payment_method": "declined_card"}
    )
    assert declined.status_code == 402 and declined.json()["error"]["code"] == "payment_declined"
    paid = frontend.post(
        "/api/v1/payments",
        json={"order_id": order["order_id"], "amount": order["total"], "payment_method": "credit_card", "card_token": "tok_visa"},
    )
    assert paid.status_code == 201 and paid.json()["status"] == "captured", paid.text
    listed = admin.get("/api/v1/payments", params={"order_id": str(order["order_id"])}).json()["items"]
    assert [payment["status"] for payment in listed] == ["declined", "captured"]
    assert admin.get(f"/api/v1/payments/{paid.json()['payment_id']}").json() == paid.json()
    mine = admin.get("/api/v1/orders", params={"customer_id": str(customer["customer_id"])}).json()["items"]
    assert [o["order_id"] for o in mine] == [order["order_id"]]


def test_unknown_customer_order_is_422(admin, products):
    response = admin.post(
        "/api/v1/orders", json={"customer_id": 99999, "lines": [{"product_id": products[0]["product_id"], "quantity": 1}]}
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "invalid_reference"


def test_saga_functions_through_the_lambda_invoke_api(aws, session_stack, admin, customer, products):
    key = f"e2e-saga-{uuid.uuid4()}"
    event = {
        "idempotency_key": key,
        "customer_id": customer["customer_id"],
        "lines": [{"product_id": products[0]["product_id"], "quantity": 1}],
    }
    error, created = invoke(aws, session_stack, "EcommerceCreateOrderFunction", event)
    assert error is None, created
    assert created["status"] == "pending" and created["order_id"] >= 1
    error, again = invoke(aws, session_stack, "EcommerceCreateOrderFunction", event)
    assert error is None and again == created  # a retry returns the first result

    error, failure = invoke(aws, session_stack, "EcommerceCreateOrderFunction", {**event, "idempotency_key": f"{key}-x", "customer_id": 99999})
    assert error == "Unhandled" and failure["errorType"] == "CustomerNotFound", failure

    payment = {"idempotency_key": key, "order_id": created["order_id"], "amount": created["total"], "payment_method": "declined_card"}
    error, declined = invoke(aws, session_stack, "EcommerceProcessPaymentFunction", payment)
    assert error == "Unhandled" and declined["errorType"] == "PaymentDeclined", declined

    error, refunded = invoke(aws, session_stack, "EcommerceRefundPaymentFunction", {"idempotency_key": key})
    assert error is None and refunded["status"] == "declined"
    error, cancelled = invoke(aws, session_stack, "EcommerceCancelOrderFunction", {"idempotency_key": key, "reason": "payment declined"})
    assert error is None and cancelled == {"order_id": created["order_id"], "status": "cancelled", "reason": "payment declined"}
    order = admin.get(f"/api/v1/orders/{created['order_id']}").json()
    assert order["status"] == "cancelled"
