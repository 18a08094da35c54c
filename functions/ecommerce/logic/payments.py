"""Payments: the business rules (the REST API and the saga functions share them).

- A payment pays one pending order (unknown order: ``OrderNotFound``, 422; not pending:
  ``InvalidOrderState``, 409) for exactly its total (``AmountMismatch``, 422), at most once
  (a captured payment claims the order: ``OrderAlreadyPaid``, 409).
- The provider is simulated (``logic.provider``): ``declined_card`` / ``tok_declined`` are
  declined, anything else is authorized and captured. A declined attempt is recorded
  (``status: declined``) and answered with ``PaymentDeclined`` (402).
- Every attempt has an idempotency key (the caller's, or a fresh one for an API call without
  one): the ``process-payment`` record is written in the payment's transaction, so a retry
  returns the first outcome (the same payment, or the same ``PaymentDeclined``) and never
  charges twice.
- A refund turns a captured payment into ``refunded`` (conditional write); refunding again
  returns the same result; a declined payment or no payment at all is a no-op that succeeds
  (with no payment, the key is retired so a late charge with it is refused).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from decimal import Decimal

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from ecommerce.dal import idempotency as idem_dal
from ecommerce.dal import orders as orders_dal
from ecommerce.dal import payments as dal
from ecommerce.dal.registry import next_id
from ecommerce.errors import AmountMismatch, OrderAlreadyPaid, OrderNotFound, PaymentDeclined, PaymentNotFound
from ecommerce.logic import lifecycle, provider
from ecommerce.logic.idempotency import PROCESS_PAYMENT, check_replay, request_hash
from ecommerce.models import Payment, StatusChange, now
from ecommerce.saga_schemas import ProcessPaymentOutput, RefundPaymentOutput
from ecommerce.schemas import PaymentOut, PaymentPage
from shared.errors import ConcurrentModificationError, NotFoundError

MAX_ATTEMPTS = 3

logger = Logger(child=True)
metrics = Metrics()


@dataclass(frozen=True)
class PaymentRequest:
    order_id: int
    amount: Decimal
    payment_method: str
    card_token: str | None = None

    def fingerprint(self) -> dict[str, object]:
        return {
            "order_id": self.order_id,
            "amount": f"{self.amount:.2f}",
            "payment_method": self.payment_method,
            "card_token": self.card_token,
        }


def new_api_key() -> str:
    return f"api-{uuid.uuid4()}"


# ---------------------------------------------------------------- reads
def get_payment(payment_id: int) -> PaymentOut:
    payment = dal.get_payment(payment_id)
    if payment is None:
        raise NotFoundError("payment", payment_id)
    return PaymentOut.model_validate(payment)


def list_payments(*, limit: int, next_token: str | None, order_id: int | None, status: str | None) -> PaymentPage:
    if order_id is not None and orders_dal.get_order(order_id) is None:
        raise OrderNotFound(order_id, ["query", "order_id"])
    payments, token = dal.list_payments(limit=limit, next_token=next_token, order_id=order_id, status=status)
    return PaymentPage(items=payments, next_token=token)


# ---------------------------------------------------------------- charge
def output_of(payment: Payment) -> ProcessPaymentOutput:
    """The charge's outcome: captured (even if refunded since) or declined."""
    status = "declined" if payment.status == lifecycle.DECLINED else "captured"
    return ProcessPaymentOutput.model_validate(payment.model_copy(update={"status": status}))


def _answer(payment: Payment, output: ProcessPaymentOutput) -> tuple[Payment, ProcessPaymentOutput]:
    if output.status == "declined":
        raise PaymentDeclined(output.payment_id, output.order_id, output.decline_reason or provider.DECLINE_REASON)
    return payment, output


def _replay(key: str, digest: str) -> tuple[Payment, ProcessPaymentOutput] | None:
    stored = idem_dal.get(PROCESS_PAYMENT, key)
    if stored is None:
        return None
    check_replay(operation=PROCESS_PAYMENT, key=key, state=stored.state, stored_hash=stored.request_hash, request_digest=digest)
    payment = dal.get_payment(stored.resource_id, consistent=True)
    if payment is None:  # pragma: no cover - written in the same transaction
        raise PaymentNotFound(stored.resource_id)
    logger.info("payment replayed", extra={"payment_id": payment.payment_id, "idempotency_key": key})
    return _answer(payment, ProcessPaymentOutput.model_validate(json.loads(stored.result)))


def process_payment(request: PaymentRequest, *, idempotency_key: str) -> tuple[Payment, ProcessPaymentOutput]:
    """Charge an order once per key; raises ``PaymentDeclined`` when the provider declines."""
    digest = request_hash(request.fingerprint())
    replayed = _replay(idempotency_key, digest)
    if replayed is not None:
        return replayed

    order = orders_dal.get_order(request.order_id, consistent=True)
    if order is None:
        raise OrderNotFound(request.order_id)
    lifecycle.check_payable(order.order_id, order.status)
    if request.amount != order.total:
        raise AmountMismatch(order.order_id, request.amount, order.total)
    paid_by = dal.captured_payment_of(order.order_id)
    if paid_by is not None:
        # a duplicate of the call that captured it (racing us) gets that call's result
        replayed = _replay(idempotency_key, digest)
        if replayed is not None:
            return replayed
        raise OrderAlreadyPaid(order.order_id, paid_by)

    decision = provider.authorize_and_capture(
        payment_method=request.payment_method,
        card_token=request.card_token,
        amount=request.amount,
        idempotency_key=idempotency_key,
    )
    at = now()
    if decision.approved:
        history = [
            StatusChange(status=lifecycle.AUTHORIZED, at=at, reason="authorized by the provider"),
            StatusChange(status=lifecycle.CAPTURED, at=at, reason="captured"),
        ]
    else:
        history = [StatusChange(status=lifecycle.DECLINED, at=at, reason=decision.decline_reason)]
    payment = Payment(
        payment_id=next_id("payment")[0],
        order_id=order.order_id,
        amount=order.total,
        currency=order.currency,
        payment_method=request.payment_method,
        card_token=request.card_token,
        status=lifecycle.CAPTURED if decision.approved else lifecycle.DECLINED,
        provider_reference=decision.reference,
        decline_reason=decision.decline_reason,
        status_history=history,
        idempotency_key=idempotency_key,
        created_at=at,
        updated_at=at,
    )
    output = output_of(payment)
    stored = idem_dal.completed(PROCESS_PAYMENT, idempotency_key, digest, payment.payment_id, output.model_dump(mode="json"))
    try:
        dal.create_payment(payment, idempotency=stored, captured=decision.approved)
    except idem_dal.KeyTaken:
        replayed = _replay(idempotency_key, digest)
        if replayed is None:  # pragma: no cover
            raise ConcurrentModificationError("payment raced; retry") from None
        return replayed
    except dal.OrderNotPending:
        current = orders_dal.get_order(order.order_id, consistent=True)
        lifecycle.check_payable(order.order_id, current.status if current else "unknown")
        raise ConcurrentModificationError(f"order {order.order_id} changed during the payment; retry") from None
    except dal.OrderPaid:
        replayed = _replay(idempotency_key, digest)
        if replayed is not None:
            return replayed
        raise OrderAlreadyPaid(order.order_id, dal.captured_payment_of(order.order_id)) from None

    if decision.approved:
        metrics.add_metric(name="PaymentsCaptured", unit=MetricUnit.Count, value=1)
        logger.info("payment captured", extra={"payment_id": payment.payment_id, "order_id": order.order_id})
    else:
        metrics.add_metric(name="PaymentsDeclined", unit=MetricUnit.Count, value=1)
        logger.info("payment declined", extra={"payment_id": payment.payment_id, "order_id": order.order_id})
    return _answer(payment, output)


# ---------------------------------------------------------------- refund
def _find_payment(idempotency_key: str, payment_id: int | None, order_id: int | None) -> Payment | None:
    if payment_id is not None:
        payment = dal.get_payment(payment_id, consistent=True)
        if payment is None:
            raise PaymentNotFound(payment_id, ["payment_id"])
        return payment
    stored = idem_dal.get(PROCESS_PAYMENT, idempotency_key)
    if stored is None and order_id is not None:
        owner = dal.captured_payment_of(order_id)
        if owner is not None:
            return dal.get_payment(owner, consistent=True)
    if stored is None:
        stored = idem_dal.put_aborted(PROCESS_PAYMENT, idempotency_key)
    if stored.state != idem_dal.COMPLETED:
        return None
    return dal.get_payment(stored.resource_id, consistent=True)


def refund_payment(
    *, idempotency_key: str, payment_id: int | None, order_id: int | None, reason: str
) -> RefundPaymentOutput:
    """Refund the payment made with ``idempotency_key`` (or ``payment_id``, or the captured
    payment of ``order_id``). Idempotent; nothing to refund is a no-op that succeeds."""
    payment = _find_payment(idempotency_key, payment_id, order_id)
    if payment is None:
        logger.info("refund: nothing was charged", extra={"idempotency_key": idempotency_key, "order_id": order_id})
        return RefundPaymentOutput(payment_id=None, order_id=order_id, status="not_charged", amount=None)
    for _attempt in range(MAX_ATTEMPTS):
        if payment.status == lifecycle.DECLINED:
            return RefundPaymentOutput(payment_id=payment.payment_id, order_id=payment.order_id, status="declined", amount=None)
        if payment.status == lifecycle.REFUNDED:
            return RefundPaymentOutput(
                payment_id=payment.payment_id, order_id=payment.order_id, status="refunded", amount=payment.amount
            )
        try:
            payment = dal.refund(payment.payment_id, at=now(), reason=reason)
        except dal.StalePayment:
            payment = dal.get_payment(payment.payment_id, consistent=True)  # type: ignore[assignment]
            continue
        metrics.add_metric(name="PaymentsRefunded", unit=MetricUnit.Count, value=1)
        logger.info("payment refunded", extra={"payment_id": payment.payment_id, "order_id": payment.order_id})
        return RefundPaymentOutput(payment_id=payment.payment_id, order_id=payment.order_id, status="refunded", amount=payment.amount)
    raise ConcurrentModificationError(f"payment {payment.payment_id} keeps changing; retry")
