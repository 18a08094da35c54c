"""The e-commerce domain models: records <-> domain models <-> responses, by pydantic alone
(``Model.model_validate(record)``, ``shared.dynamo.record_of``, ``XOut.model_validate(model)``),
with the JSON the API always answered (no AWS)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal as D

from ecommerce.dal.tables import AddressMap, CartRecord, CustomerRecord, LineMap, OrderRecord, PaymentRecord, StatusChangeMap
from ecommerce.models import Cart, Customer, Order, Payment
from ecommerce.saga_schemas import CreateOrderOutput
from ecommerce.schemas import CartOut, CustomerOut, OrderOut, PaymentOut
from shared.dynamo import record_of
from shared.pagination import page_as

AT = datetime(2026, 11, 24, 14, 3, 7, 123000, tzinfo=UTC)
STAMP = "2026-11-24T14:03:07.123000Z"
HOME = {"label": "home", "recipient": None, "line1": "1 rue Saint-Denis", "line2": None, "city": "Montréal",
        "region": "QC", "postal_code": "H2X 1Y4", "country": "CA"}
ONE_LINE = {"label": None, "recipient": "Marie Roy", "line1": "1 rue Saint-Denis, Montréal", "line2": None,
            "city": None, "region": None, "postal_code": None, "country": "CA"}
LINE = {"product_id": 1, "sku": "HOM-00001", "name": "Mug", "quantity": 2, "unit_price": D("12.5"), "line_total": D("25.00")}


def _order_record() -> OrderRecord:
    return OrderRecord(
        5, customer_id=1, status="confirmed", lines=[LineMap(**LINE)], item_count=2, subtotal=D("25.00"),
        tax=D("3.74"), total=D("28.74"), currency="CAD", shipping_address=AddressMap(**HOME),
        billing_address=AddressMap(**ONE_LINE),
        status_history=[StatusChangeMap(status="pending", at=AT, reason="order placed"),
                        StatusChangeMap(status="confirmed", at=AT)],
        cart_id=3, idempotency_key="k-1", source="api", order_date="2026-11-24", created_at=AT, updated_at=AT,
    )


def test_an_order_round_trips_record_model_record():
    record = _order_record()
    order = Order.model_validate(record)
    assert order.shipping_address.city == "Montréal" and order.lines[0].unit_price == D("12.5")
    assert order.reason_of("pending") == "order placed" and order.reason_of("cancelled") is None
    again = record_of(OrderRecord, order)
    assert again.serialize() == record.serialize()  # the same DynamoDB item, nested maps included


def test_an_order_answers_the_same_json():
    body = json.loads(OrderOut.model_validate(Order.model_validate(_order_record())).model_dump_json())
    assert body == {
        "order_id": 5, "customer_id": 1, "status": "confirmed",
        "lines": [{"product_id": 1, "sku": "HOM-00001", "name": "Mug", "quantity": 2, "unit_price": "12.50",
                   "line_total": "25.00"}],
        "item_count": 2, "subtotal": "25.00", "tax": "3.74", "total": "28.74", "currency": "CAD",
        "shipping_address": HOME, "billing_address": ONE_LINE,
        "status_history": [{"status": "pending", "at": STAMP, "reason": "order placed"},
                           {"status": "confirmed", "at": STAMP, "reason": None}],
        "cart_id": 3, "order_date": "2026-11-24", "created_at": STAMP, "updated_at": STAMP,
    }
    summary = CreateOrderOutput.model_validate(Order.model_validate(_order_record()))
    assert summary.model_dump(mode="json")["created_at"] == "2026-11-24T14:03:07.123Z"  # as the saga stores it


def test_a_customer_without_addresses_has_an_empty_list():
    record = CustomerRecord(2, email="a@b.example", first_name="Marie", last_name="Roy", created_at=AT, updated_at=AT)
    customer = Customer.model_validate(record)
    assert customer.addresses == [] and customer.full_name == "Marie Roy"
    assert CustomerOut.model_validate(customer).model_dump(mode="json")["addresses"] == []
    assert record_of(CustomerRecord, customer).addresses == []  # what creating one without addresses always stored


def test_carts_and_payments_answer_the_same_json():
    cart = CartRecord(3, status="open", items=[LineMap(**LINE)], item_count=2, subtotal=D("25"), tax=D("3.74"),
                      total=D("28.74"), currency="CAD", created_at=AT, updated_at=AT)
    body = CartOut.model_validate(Cart.model_validate(cart)).model_dump(mode="json")
    assert body["customer_id"] is None and body["order_id"] is None and body["subtotal"] == "25.00"
    assert body["items"][0]["unit_price"] == "12.50"
    payment = PaymentRecord(6, order_id=5, amount=D("28.74"), currency="CAD", payment_method="credit_card",
                            status="refunded", provider_reference="sim-1",
                            status_history=[StatusChangeMap(status="captured", at=AT, reason="captured"),
                                            StatusChangeMap(status="refunded", at=AT, reason="saga compensated")],
                            idempotency_key="k-1", created_at=AT, updated_at=AT)
    model = Payment.model_validate(payment)
    out = PaymentOut.model_validate(model).model_dump(mode="json")
    assert out["amount"] == "28.74" and [c["status"] for c in out["status_history"]] == ["captured", "refunded"]
    assert "card_token" not in out and "idempotency_key" not in out  # stored, never answered


def test_a_page_of_records_becomes_a_page_of_models():
    items, token = page_as(Order, ([_order_record()], "t"))
    assert token == "t" and isinstance(items[0], Order) and items[0].order_id == 5
