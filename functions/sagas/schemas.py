"""Request and response models of the saga API (pydantic v2).

The request is the reference system's order-processing payload. Its addresses and payment
fields are the types the e-commerce API uses too (``shared.contracts.orders``), so a request the order step would
refuse is refused here with a 422 before a saga starts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from sagas.logic.history import COMPENSATIONS, SAGA_STATUSES, STEPS
from shared.contracts.orders import CardToken, OrderAddress, PaymentMethod
from shared.pagination import Page
from shared.types import EntityId

MAX_SAGA_LINES = 25  # one TransactWriteItems reserves every line (with its movement) at once
MAX_SAGA_QUANTITY = 1000
SAGA_ID_PATTERN = r"^saga-[A-Za-z0-9-]{1,75}$"

SagaStatus = Literal["RUNNING", "COMPLETED", "COMPENSATED", "FAILED"]
assert set(SagaStatus.__args__) == set(SAGA_STATUSES)  # type: ignore[attr-defined]
StepName = Literal[
    "CHECK_STOCK", "RESERVE_STOCK", "CREATE_ORDER", "PROCESS_PAYMENT", "CONFIRM_ORDER", "COMMIT_STOCK",
    "REFUND_PAYMENT", "CANCEL_ORDER", "RELEASE_STOCK",
]
assert set(StepName.__args__) == set(STEPS + COMPENSATIONS)  # type: ignore[attr-defined]


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("booleans are not numbers")
    return value


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProductQuantity(_Input):
    product_id: EntityId = Field(description="A live product of the inventory catalogue.")
    quantity: Annotated[int, Field(ge=1, le=MAX_SAGA_QUANTITY), BeforeValidator(_not_bool)] = Field(
        description=f"Units, 1..{MAX_SAGA_QUANTITY}."
    )


class Fault(_Input):
    """Test hook (local stack only): make a step fail. See statemachines/README.md."""

    step: StepName
    mode: Literal["permanent", "transient"] = Field(
        default="permanent", description="permanent: not retried; transient: fails `times` attempts, then works."
    )
    times: int = Field(default=1, ge=1, le=10, description="transient only: how many attempts fail.")
    when: Literal["before", "after"] = Field(
        default="before", description="after: the step does its work, then reports a failure (a lost answer)."
    )


class OrderProcessingRequest(_Input):
    products: list[ProductQuantity] = Field(min_length=1, max_length=MAX_SAGA_LINES)
    shipping_address: OrderAddress | None = Field(
        default=None,
        description='One line of text ("123 Main St") or a structured address; defaults to the customer\'s first address.',
    )
    billing_address: OrderAddress | None = Field(default=None, description="Defaults to the shipping address.")
    payment_method: PaymentMethod
    card_token: CardToken | None = None
    faults: list[Fault] | None = Field(
        default=None,
        max_length=9,
        description="Test hook, accepted only where the stage enables it (the local stack): steps to fail.",
    )

    @model_validator(mode="after")
    def _distinct(self) -> OrderProcessingRequest:
        seen: set[int] = set()
        for line in self.products:
            if line.product_id in seen:
                raise ValueError(f"product {line.product_id} appears twice; give one line per product")
            seen.add(line.product_id)
        return self


class SagaStarted(BaseModel):
    saga_id: str
    status: Literal["started"] = "started"
    message: str


class SagaStep(BaseModel):
    step: StepName
    status: Literal["SUCCESS", "FAILURE", "RUNNING"]
    duration: float = Field(description="Seconds from entering the step to leaving it (so far, while running).")
    attempts: int = Field(description="Invocations of the participant (1 + retries).")
    started_at: datetime
    ended_at: datetime | None
    error: str | None = Field(default=None, description="errorType of the last failed attempt.")
    message: str | None = None


class SagaCompensation(SagaStep):
    compensates: StepName


class SagaFailure(BaseModel):
    step: StepName | None
    error: str | None
    message: str | None


class SagaOut(BaseModel):
    saga_id: str
    status: SagaStatus
    customer_id: int | None
    created_at: datetime
    updated_at: datetime
    duration: float = Field(description="Seconds from start to end (so far, while RUNNING).")
    steps: list[SagaStep]
    compensations: list[SagaCompensation] = Field(description="Compensations run, in the order they ran.")
    failure: SagaFailure | None = Field(description="The forward step that failed, and why.")
    compensation_failure: SagaFailure | None = Field(description="FAILED only: what still failed and needs a person.")
    order_id: int | None
    payment_id: int | None
    total: str | None
    products: list[dict[str, int]]
    execution_arn: str


class SagaSummary(BaseModel):
    saga_id: str
    status: SagaStatus
    customer_id: int | None
    created_at: datetime
    updated_at: datetime
    duration: float


class SagaPage(Page[SagaSummary]):
    pass
