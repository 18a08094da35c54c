"""The order saga's participant functions (one Lambda each, no API event).

Each handler validates its event with the models in ``ecommerce.saga_schemas`` (failure:
``InvalidInput``), calls the shared business logic and returns a JSON object. Business
refusals are raised as the exception classes of ``ecommerce.errors``; Lambda reports their
class name as ``errorType`` (``CustomerNotFound``, ``PaymentDeclined`` ...), which is what the
state machine's ``Catch`` matches. Every other error is transient (retry).

| function (template logical id)      | handler |
| ----------------------------------- | ------- |
| ``EcommerceCreateOrderFunction``    | ``ecommerce.handlers.saga.create_order_handler`` |
| ``EcommerceCancelOrderFunction``    | ``ecommerce.handlers.saga.cancel_order_handler`` |
| ``EcommerceConfirmOrderFunction``   | ``ecommerce.handlers.saga.confirm_order_handler`` |
| ``EcommerceProcessPaymentFunction`` | ``ecommerce.handlers.saga.process_payment_handler`` |
| ``EcommerceRefundPaymentFunction``  | ``ecommerce.handlers.saga.refund_payment_handler`` |
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecommerce.logic import orders, payments
from ecommerce.logic.orders import NewOrder
from ecommerce.logic.payments import PaymentRequest
from ecommerce.saga_schemas import (
    CancelOrderInput,
    ConfirmOrderInput,
    CreateOrderInput,
    ProcessPaymentInput,
    RefundPaymentInput,
)
from ecommerce.settings import CatalogSettings, EcommerceSettings
from shared.saga import parse_event, participant_decorator

logger = Logger()
tracer = Tracer()
metrics = Metrics()
participant = participant_decorator(logger, metrics, tracer)  # the decorators every participant wears (shared.saga)


@participant("CREATE_ORDER", EcommerceSettings, CatalogSettings)  # prices lines: the inventory interface
def create_order_handler(event: dict, context: LambdaContext) -> dict:
    """CreateOrderInput -> CreateOrderOutput; ``CustomerNotFound``, ``ProductNotFound``,
    ``MissingAddress``, ``IdempotencyConflict``, ``OperationAborted``."""
    request = parse_event(CreateOrderInput, event, "CreateOrder")
    new = NewOrder(
        customer_id=request.customer_id,
        lines=tuple(request.lines),
        shipping_address=request.shipping_address,
        billing_address=request.billing_address,
    )
    _, output = orders.create_order(new, idempotency_key=request.idempotency_key, source="saga")
    return output.model_dump(mode="json")


@participant("CANCEL_ORDER", EcommerceSettings)
def cancel_order_handler(event: dict, context: LambdaContext) -> dict:
    """CancelOrderInput -> CancelOrderOutput (compensation: no order is a no-op)."""
    request = parse_event(CancelOrderInput, event, "CancelOrder")
    output = orders.cancel_order(order_id=request.order_id, idempotency_key=request.idempotency_key, reason=request.reason)
    return output.model_dump(mode="json")


@participant("CONFIRM_ORDER", EcommerceSettings)
def confirm_order_handler(event: dict, context: LambdaContext) -> dict:
    """ConfirmOrderInput -> ConfirmOrderOutput; ``OrderNotFound``, ``InvalidOrderState``."""
    request = parse_event(ConfirmOrderInput, event, "ConfirmOrder")
    output = orders.confirm_order(order_id=request.order_id, idempotency_key=request.idempotency_key, reason=request.reason)
    return output.model_dump(mode="json")


@participant("PROCESS_PAYMENT", EcommerceSettings)
def process_payment_handler(event: dict, context: LambdaContext) -> dict:
    """ProcessPaymentInput -> ProcessPaymentOutput; ``PaymentDeclined``, ``OrderNotFound``,
    ``InvalidOrderState``, ``AmountMismatch``, ``OrderAlreadyPaid``, ``IdempotencyConflict``,
    ``OperationAborted``."""
    request = parse_event(ProcessPaymentInput, event, "ProcessPayment")
    _, output = payments.process_payment(
        PaymentRequest(
            order_id=request.order_id,
            amount=request.amount,
            payment_method=request.payment_method,
            card_token=request.card_token,
        ),
        idempotency_key=request.idempotency_key,
    )
    return output.model_dump(mode="json")


@participant("REFUND_PAYMENT", EcommerceSettings)
def refund_payment_handler(event: dict, context: LambdaContext) -> dict:
    """RefundPaymentInput -> RefundPaymentOutput (compensation: nothing charged is a no-op)."""
    request = parse_event(RefundPaymentInput, event, "RefundPayment")
    output = payments.refund_payment(
        idempotency_key=request.idempotency_key,
        payment_id=request.payment_id,
        order_id=request.order_id,
        reason=request.reason,
    )
    return output.model_dump(mode="json")
