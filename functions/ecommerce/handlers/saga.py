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

from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ValidationError

from ecommerce.errors import InvalidInput
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

logger = Logger()
tracer = Tracer()
metrics = Metrics()

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], event: Any, function: str) -> M:
    try:
        request = model.model_validate(event)
    except ValidationError as exc:
        errors = [{"loc": list(error["loc"]), "msg": error["msg"]} for error in exc.errors()]
        logger.warning("invalid saga input", extra={"function": function, "errors": errors})
        raise InvalidInput(function, errors) from None
    key = getattr(request, "idempotency_key", None)
    if key:
        logger.append_keys(idempotency_key=key)
    return request


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def create_order_handler(event: dict, context: LambdaContext) -> dict:
    """CreateOrderInput -> CreateOrderOutput; ``CustomerNotFound``, ``ProductNotFound``,
    ``MissingAddress``, ``IdempotencyConflict``, ``OperationAborted``."""
    request = parse(CreateOrderInput, event, "CreateOrder")
    new = NewOrder(
        customer_id=request.customer_id,
        lines=tuple(request.lines),
        shipping_address=request.shipping_address,
        billing_address=request.billing_address,
    )
    _, output = orders.create_order(new, idempotency_key=request.idempotency_key, source="saga")
    return output.model_dump(mode="json")


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def cancel_order_handler(event: dict, context: LambdaContext) -> dict:
    """CancelOrderInput -> CancelOrderOutput (compensation: no order is a no-op)."""
    request = parse(CancelOrderInput, event, "CancelOrder")
    output = orders.cancel_order(order_id=request.order_id, idempotency_key=request.idempotency_key, reason=request.reason)
    return output.model_dump(mode="json")


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def confirm_order_handler(event: dict, context: LambdaContext) -> dict:
    """ConfirmOrderInput -> ConfirmOrderOutput; ``OrderNotFound``, ``InvalidOrderState``."""
    request = parse(ConfirmOrderInput, event, "ConfirmOrder")
    output = orders.confirm_order(order_id=request.order_id, idempotency_key=request.idempotency_key, reason=request.reason)
    return output.model_dump(mode="json")


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def process_payment_handler(event: dict, context: LambdaContext) -> dict:
    """ProcessPaymentInput -> ProcessPaymentOutput; ``PaymentDeclined``, ``OrderNotFound``,
    ``InvalidOrderState``, ``AmountMismatch``, ``OrderAlreadyPaid``, ``IdempotencyConflict``,
    ``OperationAborted``."""
    request = parse(ProcessPaymentInput, event, "ProcessPayment")
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


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def refund_payment_handler(event: dict, context: LambdaContext) -> dict:
    """RefundPaymentInput -> RefundPaymentOutput (compensation: nothing charged is a no-op)."""
    request = parse(RefundPaymentInput, event, "RefundPayment")
    output = payments.refund_payment(
        idempotency_key=request.idempotency_key,
        payment_id=request.payment_id,
        order_id=request.order_id,
        reason=request.reason,
    )
    return output.model_dump(mode="json")
