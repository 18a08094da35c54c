"""E-commerce business rules that need no AWS: pricing and totals, the simulated payment
provider, the order and payment lifecycles, idempotency decisions, request validation and
the saga functions' error types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from ecommerce import errors
from ecommerce.logic import idempotency, lifecycle, pricing, provider
from ecommerce.logic.pricing import CatalogEntry, Line
from ecommerce.saga_schemas import CancelOrderInput, CreateOrderInput, ProcessPaymentInput, RefundPaymentInput
from ecommerce.schemas import CartCreate, CartUpdate, CustomerCreate, CustomerUpdate, OrderCreate, PaymentCreate

D = Decimal
RATE = D("0.14975")
CATALOGUE = {
    1: CatalogEntry(1, "HOM-00001", "Mug", D("12.99")),
    2: CatalogEntry(2, "HOM-00002", "Kettle", D("49.95")),
    3: CatalogEntry(3, "GRO-00003", "Coffee", D("8.49")),
}


# ---------------------------------------------------------------- pricing
def test_lines_are_priced_from_the_catalogue():
    lines = pricing.price_lines([(1, 3), (3, 2)], CATALOGUE)
    assert lines == [
        Line(product_id=1, sku="HOM-00001", name="Mug", quantity=3, unit_price=D("12.99"), line_total=D("38.97")),
        Line(product_id=3, sku="GRO-00003", name="Coffee", quantity=2, unit_price=D("8.49"), line_total=D("16.98")),
    ]


def test_unknown_product_names_the_offending_line():
    with pytest.raises(errors.ProductNotFound) as caught:
        pricing.price_lines([(1, 1), (99, 1)], CATALOGUE)
    assert caught.value.details[0]["loc"] == ["body", "lines", 1, "product_id"]
    assert caught.value.status == 404 and caught.value.code == "invalid_reference"
    with pytest.raises(errors.ProductNotFound) as caught:
        pricing.price_lines([(99, 1)], CATALOGUE, loc_of=lambda index: ["body", "items", index, "product_id"])
    assert caught.value.details[0]["loc"] == ["body", "items", 0, "product_id"]


def test_totals_subtotal_tax_half_up_and_total():
    lines = pricing.price_lines([(1, 3), (2, 1)], CATALOGUE)
    summary = pricing.summarize(lines, RATE)
    assert summary.subtotal == D("88.92")
    assert summary.tax == D("13.32")  # 88.92 x 0.14975 = 13.31577 -> 13.32
    assert summary.total == D("102.24") and summary.item_count == 4 and summary.currency == "CAD"
    assert pricing.tax_of(D("10.00"), D("0.125")) == D("1.25")
    assert pricing.tax_of(D("0.10"), D("0.05")) == D("0.01")  # 0.005 rounds half-up
    empty = pricing.summarize([], RATE)
    assert (empty.subtotal, empty.tax, empty.total, empty.item_count) == (D("0.00"), D("0.00"), D("0.00"), 0)
    assert pricing.summarize(lines, D("0")).total == D("88.92")


def test_totals_are_exact_decimals_for_many_lines():
    entry = CatalogEntry(9, "X", "Penny candy", D("0.10"))
    lines = [pricing.price_line(entry, 1) for _ in range(3)]
    assert pricing.summarize(lines, D("0")).total == D("0.30")  # never 0.30000000000000004
    with pytest.raises(ValueError):
        pricing.price_line(entry, 0)


# ---------------------------------------------------------------- payment provider
@pytest.mark.parametrize(
    ("method", "token", "approved"),
    [
        ("credit_card", None, True),
        ("credit_card", "tok_visa", True),
        ("paypal", None, True),
        ("debit_card", "tok_mastercard", True),
        ("declined_card", None, False),
        ("declined_card", "tok_visa", False),
        ("credit_card", "tok_declined", False),
    ],
)
def test_simulated_provider_is_deterministic(method, token, approved):
    decision = provider.authorize_and_capture(payment_method=method, card_token=token, amount=D("10.00"), idempotency_key="k1")
    again = provider.authorize_and_capture(payment_method=method, card_token=token, amount=D("10.00"), idempotency_key="k1")
    assert decision == again and decision.approved is approved
    assert decision.reference.startswith("sim_") and decision.reference == provider.reference_for("k1")
    assert decision.decline_reason == (None if approved else "card_declined")
    other = provider.authorize_and_capture(payment_method=method, card_token=token, amount=D("10.00"), idempotency_key="k2")
    assert other.reference != decision.reference


def test_provider_refuses_non_positive_amounts():
    with pytest.raises(ValueError):
        provider.authorize_and_capture(payment_method="credit_card", card_token=None, amount=D("0"), idempotency_key="k")


# ---------------------------------------------------------------- lifecycles
def test_order_transitions():
    assert lifecycle.needs_transition(1, "pending", "confirmed") is True
    assert lifecycle.needs_transition(1, "pending", "cancelled") is True
    assert lifecycle.needs_transition(1, "confirmed", "cancelled") is True
    # repeating the current status is a no-op (idempotent saga steps)
    assert lifecycle.needs_transition(1, "confirmed", "confirmed") is False
    assert lifecycle.needs_transition(1, "cancelled", "cancelled") is False
    for current, target in (("cancelled", "confirmed"), ("cancelled", "pending"), ("confirmed", "pending")):
        with pytest.raises(errors.InvalidOrderState) as caught:
            lifecycle.needs_transition(7, current, target)
        assert caught.value.status == 409 and caught.value.code == "invalid_order_state"
    assert set(lifecycle.ORDER_TRANSITIONS) == set(lifecycle.ORDER_STATUSES)


def test_only_pending_orders_can_be_paid():
    lifecycle.check_payable(1, "pending")
    for status in ("confirmed", "cancelled"):
        with pytest.raises(errors.InvalidOrderState):
            lifecycle.check_payable(1, status)


def test_payment_transitions():
    assert lifecycle.can_transition_payment("authorized", "captured")
    assert lifecycle.can_transition_payment("authorized", "declined")
    assert lifecycle.can_transition_payment("captured", "refunded")
    assert not lifecycle.can_transition_payment("declined", "refunded")
    assert not lifecycle.can_transition_payment("refunded", "captured")
    assert not lifecycle.can_transition_payment("captured", "declined")


# ---------------------------------------------------------------- idempotency
def test_request_hash_is_canonical():
    a = idempotency.request_hash({"order_id": 1, "amount": D("10.5"), "method": "x"})
    b = idempotency.request_hash({"method": "x", "amount": D("10.50"), "order_id": 1})
    assert a == b
    assert a != idempotency.request_hash({"order_id": 1, "amount": D("10.51"), "method": "x"})


def test_replay_decisions():
    digest = idempotency.request_hash({"a": 1})
    idempotency.check_replay(operation="create-order", key="k", state="completed", stored_hash=digest, request_digest=digest)
    with pytest.raises(errors.IdempotencyConflict) as conflict:
        idempotency.check_replay(operation="create-order", key="k", state="completed", stored_hash="other", request_digest=digest)
    assert conflict.value.status == 409 and conflict.value.code == "idempotency_conflict"
    with pytest.raises(errors.OperationAborted):
        idempotency.check_replay(operation="create-order", key="k", state="aborted", stored_hash=None, request_digest=digest)


def test_order_fingerprint_ignores_how_lines_were_given():
    from ecommerce.logic.orders import NewOrder

    api = OrderCreate.model_validate({"customer_id": 1, "lines": [{"product_id": 2, "quantity": 1}], "idempotency_key": "k"})
    saga = CreateOrderInput.model_validate({"idempotency_key": "k", "customer_id": 1, "lines": [{"product_id": 2, "quantity": 1}]})
    first = NewOrder(customer_id=api.customer_id, lines=tuple(api.lines))
    second = NewOrder(customer_id=saga.customer_id, lines=tuple(saga.lines))
    assert idempotency.request_hash(first.fingerprint()) == idempotency.request_hash(second.fingerprint())


# ---------------------------------------------------------------- request validation
def test_order_create_needs_exactly_one_source():
    line = {"product_id": 1, "quantity": 1}
    OrderCreate.model_validate({"customer_id": 1, "lines": [line]})
    OrderCreate.model_validate({"customer_id": 1, "cart_id": 3})
    for bad in (
        {"customer_id": 1},
        {"customer_id": 1, "lines": [line], "cart_id": 3},
        {"customer_id": 1, "lines": []},
        {"customer_id": 1, "lines": [line, line]},
        {"customer_id": 1, "lines": [{**line, "unit_price": "1.00"}]},
        {"customer_id": 0, "lines": [line]},
        {"customer_id": True, "lines": [line]},
        {"customer_id": 1, "lines": [{"product_id": 1, "quantity": 1001}]},
        {"customer_id": 1, "lines": [line], "idempotency_key": "with space"},
    ):
        with pytest.raises(ValidationError):
            OrderCreate.model_validate(bad)


def test_cart_models():
    assert CartCreate.model_validate({}).items == [] and CartCreate.model_validate({}).customer_id is None
    with pytest.raises(ValidationError):
        CartUpdate.model_validate({})  # items are required: PUT replaces them
    for quantity in (0, -1, 1001, True, "many", 1.5):
        with pytest.raises(ValidationError):
            CartCreate.model_validate({"items": [{"product_id": 1, "quantity": quantity}]})
    with pytest.raises(ValidationError):
        CartCreate.model_validate({"items": [{"product_id": i, "quantity": 1} for i in range(1, 102)]})


def test_customer_models_normalise_and_validate():
    customer = CustomerCreate.model_validate(
        {"email": "Marie@Example.com", "first_name": " Marie ", "last_name": "Roy",
         "addresses": [{"line1": "1 Rue X", "city": "Laval", "postal_code": "H7N 1A1", "country": "ca"}]}
    )
    assert customer.email == "Marie@Example.com" and customer.first_name == "Marie"
    assert customer.addresses[0].country == "CA"
    for bad in ({"email": "nope"}, {"phone": "call me"}, {"first_name": ""}, {"addresses": [{"line1": "x"}]}):
        with pytest.raises(ValidationError):
            CustomerCreate.model_validate({"email": "a@b.example", "first_name": "A", "last_name": "B", **bad})
    assert CustomerUpdate.model_validate({"phone": None}).changes() == {"phone": None}
    for bad in ({}, {"email": None}, {"addresses": None}):
        with pytest.raises(ValidationError):
            CustomerUpdate.model_validate(bad)


def test_payment_create_money_and_method():
    payment = PaymentCreate.model_validate({"order_id": 1, "amount": "10.5", "payment_method": "credit_card", "card_token": "tok_visa"})
    assert payment.amount == D("10.50")
    assert PaymentCreate.model_validate({"order_id": 1, "amount": 10.25, "payment_method": "paypal"}).amount == D("10.25")
    for bad in (
        {"amount": "0"},
        {"amount": "-5"},
        {"amount": "1.234"},
        {"payment_method": "Credit Card"},
        {"card_token": "4111111111111111"},
        {"amount": True},
    ):
        with pytest.raises(ValidationError):
            PaymentCreate.model_validate({"order_id": 1, "amount": "1.00", "payment_method": "credit_card", **bad})


# ---------------------------------------------------------------- saga inputs and error types
def test_saga_inputs_ignore_extra_state_and_need_a_reference():
    event = {"idempotency_key": "arn:aws:states:us-east-1:123:execution:saga:abc-1", "customer_id": 1,
             "lines": [{"product_id": 1, "quantity": 2}], "saga": {"anything": True}}
    assert CreateOrderInput.model_validate(event).customer_id == 1
    assert ProcessPaymentInput.model_validate(
        {"idempotency_key": "k", "order_id": 1, "amount": 114.85, "payment_method": "credit_card"}
    ).amount == D("114.85")
    with pytest.raises(ValidationError):
        CancelOrderInput.model_validate({"reason": "x"})
    assert CancelOrderInput.model_validate({"idempotency_key": "k"}).reason == "cancelled by the order saga"
    with pytest.raises(ValidationError):
        RefundPaymentInput.model_validate({"payment_id": 3})  # the key is required
    with pytest.raises(ValidationError):
        CreateOrderInput.model_validate({**event, "lines": []})


def test_saga_handler_turns_bad_input_into_invalid_input(monkeypatch):
    # what Lambda gives the module at import (powertools' Metrics keeps the namespace it sees then)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "ecommerce")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "RetailPlatform")
    from ecommerce.handlers.saga import parse_event

    with pytest.raises(errors.InvalidInput) as caught:
        parse_event(CreateOrderInput, {"customer_id": "x"}, "CreateOrder")
    assert "idempotency_key" in str(caught.value) and type(caught.value).__name__ == "InvalidInput"
    assert not isinstance(caught.value, errors.EcommerceBusinessError)  # a bug, not a refusal


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (errors.CustomerNotFound(5), 404, "invalid_reference"),
        (errors.ProductNotFound(5), 404, "invalid_reference"),
        (errors.OrderNotFound(5), 404, "invalid_reference"),
        (errors.PaymentDeclined(1, 2, "card_declined"), 402, "payment_declined"),
        (errors.AmountMismatch(1, D("1.00"), D("2.00")), 409, "amount_mismatch"),
        (errors.OrderAlreadyPaid(1, 2), 409, "already_paid"),
        (errors.InvalidOrderState(1, "cancelled", "pay"), 409, "invalid_order_state"),
        (errors.CartClosed(1, 2), 409, "cart_closed"),
        (errors.IdempotencyConflict("create-order", "k"), 409, "idempotency_conflict"),
        (errors.OperationAborted("create-order", "k"), 409, "operation_aborted"),
        (errors.MissingAddress(1), 409, "missing_address"),
    ],
)
def test_business_errors_map_to_http_and_keep_their_class_names(error, status, code):
    assert error.status == status and error.code == code
    assert isinstance(error, errors.EcommerceBusinessError)
    body = error.to_body()["error"]
    assert body["code"] == code and body["message"] and isinstance(body["details"], list)


def test_saga_error_type_names_are_stable():
    # the state machine's Catch clauses match these names (Lambda's errorType is the class name)
    for name in ("CustomerNotFound", "PaymentDeclined", "ProductNotFound", "OrderNotFound", "InvalidOrderState",
                 "AmountMismatch", "OrderAlreadyPaid", "IdempotencyConflict", "OperationAborted", "InvalidInput"):
        assert getattr(errors, name).__name__ == name


# ---------------------------------------------------------------- stored timestamps
def test_iso_timestamps_sort_and_round_trip():
    from ecommerce.dal.tables import IsoDateTimeAttribute, iso, now

    attribute = IsoDateTimeAttribute()
    moment = datetime(2026, 11, 24, 14, 3, 7, 123000, tzinfo=UTC)
    assert attribute.serialize(moment) == "2026-11-24T14:03:07.123Z" == iso(moment)
    assert attribute.deserialize("2026-11-24T14:03:07.123Z") == moment
    eastern = moment.astimezone(timezone(timedelta(hours=-5)))
    assert attribute.serialize(eastern) == "2026-11-24T14:03:07.123Z"
    with pytest.raises(ValueError):
        attribute.serialize(datetime(2026, 1, 1))
    stamp = now()
    assert stamp.microsecond % 1000 == 0 and attribute.deserialize(attribute.serialize(stamp)) == stamp
    assert iso(moment) < iso(moment + timedelta(milliseconds=1)) < iso(moment + timedelta(days=1))
