"""Input and output of the order saga's participant functions (pydantic v2).

Each function receives one JSON event (the state machine shapes it with ``Parameters``) and
returns one JSON object. Unknown input fields are ignored (a state often carries more than a
step needs); a missing or invalid field raises ``InvalidInput``. Money is a string with 2
decimals on the way out and a string or a number on the way in.

| function                          | input                                             | output |
| --------------------------------- | ------------------------------------------------- | ------ |
| ``EcommerceCreateOrderFunction``  | :class:`CreateOrderInput`                         | :class:`CreateOrderOutput` |
| ``EcommerceCancelOrderFunction``  | :class:`CancelOrderInput`                         | :class:`CancelOrderOutput` |
| ``EcommerceConfirmOrderFunction`` | :class:`ConfirmOrderInput`                        | :class:`ConfirmOrderOutput` |
| ``EcommerceProcessPaymentFunction`` | :class:`ProcessPaymentInput`                    | :class:`ProcessPaymentOutput` |
| ``EcommerceRefundPaymentFunction`` | :class:`RefundPaymentInput`                      | :class:`RefundPaymentOutput` |
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from ecommerce.models import iso
from ecommerce.schemas import (
    CardToken,
    OrderAddress,
    IdempotencyKey,
    LineRequest,
    Lines,
    OrderStatus,
    PaymentMethod,
    distinct_products,
)
from shared.types import EntityId, Money, MoneyOut, text

Reason = text(500)
# a timestamp as stored (``2026-11-24T14:03:07.123Z``); a datetime is formatted so
IsoTimestamp = Annotated[str, BeforeValidator(lambda value: iso(value) if isinstance(value, datetime) else value)]


class _SagaInput(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _SagaOutput(BaseModel):
    # built from a domain model too (``CreateOrderOutput.model_validate(order)``)
    model_config = ConfigDict(extra="forbid", from_attributes=True)


# ---------------------------------------------------------------- orders
class CreateOrderInput(_SagaInput):
    idempotency_key: IdempotencyKey = Field(description="The saga's id: a retry returns the first order.")
    customer_id: EntityId
    lines: Lines = Field(min_length=1)
    shipping_address: OrderAddress | None = None
    billing_address: OrderAddress | None = None

    @model_validator(mode="after")
    def _distinct(self) -> CreateOrderInput:
        distinct_products(self.lines)
        return self

    def line_requests(self) -> list[LineRequest]:
        return list(self.lines)


class CreateOrderOutput(_SagaOutput):
    order_id: int
    customer_id: int
    status: OrderStatus
    item_count: int
    subtotal: MoneyOut
    tax: MoneyOut
    total: MoneyOut
    currency: str
    created_at: IsoTimestamp


class _OrderRef(_SagaInput):
    order_id: EntityId | None = None
    idempotency_key: IdempotencyKey | None = Field(
        default=None, description="The key the order was created with (when order_id is not known)."
    )

    @model_validator(mode="after")
    def _one_ref(self) -> _OrderRef:
        if self.order_id is None and self.idempotency_key is None:
            raise ValueError("give order_id or idempotency_key")
        return self


class CancelOrderInput(_OrderRef):
    reason: Reason = "cancelled by the order saga"


class CancelOrderOutput(_SagaOutput):
    order_id: int | None = Field(description="null when no order was ever created with the key (a no-op).")
    status: Literal["cancelled", "not_created"]
    reason: str


class ConfirmOrderInput(_OrderRef):
    reason: Reason | None = None


class ConfirmOrderOutput(_SagaOutput):
    order_id: int
    status: Literal["confirmed"]
    total: MoneyOut


# ---------------------------------------------------------------- payments
class ProcessPaymentInput(_SagaInput):
    idempotency_key: IdempotencyKey = Field(description="The saga's id: a retry never charges twice.")
    order_id: EntityId
    amount: Money
    payment_method: PaymentMethod
    card_token: CardToken | None = None


class ProcessPaymentOutput(_SagaOutput):
    payment_id: int
    order_id: int
    status: Literal["captured", "declined"]
    amount: MoneyOut
    currency: str
    payment_method: str
    provider_reference: str
    decline_reason: str | None = None


class RefundPaymentInput(_SagaInput):
    idempotency_key: IdempotencyKey = Field(description="The key given to ProcessPayment (the saga's id).")
    payment_id: EntityId | None = Field(default=None, description="Refund this payment (else: found by the key).")
    order_id: EntityId | None = Field(
        default=None, description="When no payment was made with the key: the captured payment of this order."
    )
    reason: Reason = "refunded by the order saga"


class RefundPaymentOutput(_SagaOutput):
    payment_id: int | None = Field(description="null when there was nothing to refund (a no-op).")
    order_id: int | None
    status: Literal["refunded", "declined", "not_charged"] = Field(
        description="refunded; declined (never charged, nothing to refund); not_charged (no payment: a no-op)."
    )
    amount: MoneyOut | None
