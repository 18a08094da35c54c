"""/api/v1/payments routes."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from ecommerce.logic import payments
from ecommerce.logic.payments import PaymentRequest
from ecommerce.schemas import PaymentCreate, PaymentOut, PaymentPage, PaymentStatus
from shared.api import error_responses
from shared.pagination import DEFAULT_LIMIT, Limit, NextToken
from shared.types import MAX_ID

router = Router()

PaymentId = Annotated[int, Path(ge=1, le=MAX_ID, description="Payment id.")]


@router.get(
    "/payments",
    operation_id="listPayments",
    summary="List payments",
    description="All payments (table order), or the payments of one order (`order_id`), oldest first.",
    tags=["payments"],
    responses={200: {"description": "A page of payments"}, **error_responses(400)},
)
def list_payments(
    limit: Limit = DEFAULT_LIMIT,
    next_token: NextToken = None,
    order_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    status: Annotated[PaymentStatus | None, Query()] = None,
) -> PaymentPage:
    return payments.list_payments(limit=limit, next_token=next_token, order_id=order_id, status=status)


@router.post(
    "/payments",
    operation_id="createPayment",
    summary="Pay an order",
    description="Pays a pending order for exactly its total with the simulated provider: "
    "`payment_method: declined_card` or `card_token: tok_declined` is declined (402 `payment_declined`, "
    "the attempt is recorded), anything else is captured. With `idempotency_key`, a repeat returns the "
    "first outcome and never charges twice.",
    tags=["payments"],
    status_code=201,
    responses={201: {"description": "The captured payment"}, **error_responses(402, 409)},
)
def create_payment(payment: PaymentCreate) -> PaymentOut:
    charged, _ = payments.process_payment(
        PaymentRequest(
            order_id=payment.order_id,
            amount=payment.amount,
            payment_method=payment.payment_method,
            card_token=payment.card_token,
        ),
        idempotency_key=payment.idempotency_key or payments.new_api_key(),
    )
    return PaymentOut.model_validate(charged)


@router.get(
    "/payments/<payment_id>",
    operation_id="getPayment",
    summary="Get a payment",
    tags=["payments"],
    responses={200: {"description": "The payment, with its status history"}, **error_responses(404)},
)
def get_payment(payment_id: PaymentId) -> PaymentOut:
    return payments.get_payment(payment_id)
