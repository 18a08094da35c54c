"""Reads and writes of payments, with the one-captured-payment-per-order guard (takes and
returns :class:`ecommerce.models.Payment`)."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import TransactWriteError, UpdateError

from ecommerce.dal import idempotency as idempotency_dal
from ecommerce.dal.idempotency import KeyTaken
from ecommerce.dal.tables import EcommerceRegistry, OrderRecord, PaymentRecord, StatusChangeMap
from ecommerce.models import IdempotencyEntry, Payment
from shared.dynamo import (
    add_guard,
    cancellation_codes,
    get_as,
    guard_owner,
    is_conditional_failure,
    record_of,
    transact_write,
)
from shared.pagination import read_page, scope_of

ORDER_PAYMENT = "order-payment"  # guard kind: unique#order-payment#<order_id> -> the captured payment


class OrderNotPending(Exception):
    """The order left ``pending`` between our read and the payment's write."""


class OrderPaid(Exception):
    """Another payment of the order was captured first."""


class StalePayment(Exception):
    """The payment's status changed since it was read."""


def get_payment(payment_id: int, *, consistent: bool = False) -> Payment | None:
    return get_as(Payment, PaymentRecord, payment_id, consistent_read=consistent)


def captured_payment_of(order_id: int) -> int | None:
    """The id of the order's captured (or since refunded) payment, if any."""
    return guard_owner(EcommerceRegistry, ORDER_PAYMENT, str(order_id))


def create_payment(payment: Payment, *, idempotency: IdempotencyEntry, captured: bool) -> Payment:
    """Write a payment and its idempotency record; a captured one also claims its order.

    The order must still be pending (``OrderNotPending``); ``KeyTaken``: a call with the same
    key won; ``OrderPaid``: another payment of the order was captured first.
    """
    try:
        with transact_write() as tx:  # condition check, then puts: payment, idempotency record, guard
            tx.condition_check(
                OrderRecord,
                payment.order_id,
                condition=OrderRecord.order_id.exists() & (OrderRecord.status == "pending"),
            )
            tx.save(record_of(PaymentRecord, payment), condition=PaymentRecord.payment_id.does_not_exist())
            idempotency_dal.save(tx, idempotency)
            if captured:
                add_guard(tx, EcommerceRegistry, ORDER_PAYMENT, str(payment.order_id), payment.payment_id)
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        if codes[2:3] == ["ConditionalCheckFailed"]:
            raise KeyTaken() from None
        if codes[:1] == ["ConditionalCheckFailed"]:
            raise OrderNotPending() from None
        if captured and codes[3:4] == ["ConditionalCheckFailed"]:
            raise OrderPaid() from None
        raise
    return payment


def refund(payment_id: int, *, at: datetime, reason: str | None) -> Payment:
    """captured -> refunded (``StalePayment`` if the payment is no longer captured)."""
    item = PaymentRecord(payment_id)
    try:
        item.update(
            actions=[
                PaymentRecord.status.set("refunded"),
                PaymentRecord.status_history.set(
                    PaymentRecord.status_history.append([StatusChangeMap(status="refunded", at=at, reason=reason)])
                ),
                PaymentRecord.updated_at.set(at),
            ],
            condition=PaymentRecord.payment_id.exists() & (PaymentRecord.status == "captured"),
        )
    except UpdateError as exc:
        if is_conditional_failure(exc):
            raise StalePayment() from None
        raise
    return Payment.model_validate(item)


def list_payments(
    *, limit: int, next_token: str | None, order_id: int | None, status: str | None
) -> tuple[list[Payment], str | None]:
    """An order's payments (Query ``order-index``) or all payments (Scan)."""
    return read_page(
        Payment,
        PaymentRecord,
        scope=scope_of("payments", order_id=order_id, status=status),
        limit=limit,
        next_token=next_token,
        hash_key=order_id,
        index=PaymentRecord.by_order if order_id is not None else None,
        filter_condition=(PaymentRecord.status == status) if status is not None else None,
    )
