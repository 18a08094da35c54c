"""Input and output of the order saga's stock functions (pydantic v2).

Every event carries the saga envelope (``shared.saga``): ``saga_id`` (the reservation id),
``correlation_id``, ``attempt`` and ``faults`` (the fault-injection hook reads those itself).
Unknown fields are ignored (a state often carries more than a step needs); ``null`` for an
optional field means its default (the state machine passes ``$.location_id`` as it is). A
missing or invalid field raises ``InvalidInput``.

| function (template logical id)     | input                        | output |
| ---------------------------------- | ---------------------------- | ------ |
| ``InventoryCheckStockFunction``    | :class:`CheckStockInput`     | :class:`CheckStockOutput` |
| ``InventoryReserveStockFunction``  | :class:`ReserveStockInput`   | :class:`ReserveStockOutput` |
| ``InventoryReleaseStockFunction``  | :class:`ReleaseStockInput`   | :class:`ReleaseStockOutput` |
| ``InventoryCommitStockFunction``   | :class:`CommitStockInput`    | :class:`CommitStockOutput` |
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from inventory.schemas import LocationId
from shared.types import EntityId, Quantity, text

SAGA_ID_PATTERN = r"^[A-Za-z0-9_-]+$"
DEFAULT_LOCATION = "warehouse"
MAX_LINES = 25  # one reserve transaction: 1 reservation + 2 items per line <= 100
MAX_LINE_QUANTITY = 1000
DEFAULT_RELEASE_REASON = "released by the order saga"

SagaId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=80, pattern=SAGA_ID_PATTERN),
    Field(description="The saga (Step Functions execution name); it is the reservation id."),
]
LineQuantity = Annotated[Quantity, Field(ge=1, le=MAX_LINE_QUANTITY)]
Reason = text(200)


class _SagaInput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    saga_id: SagaId
    correlation_id: str | None = None
    attempt: int | None = Field(default=None, ge=0)
    faults: list[Any] | None = Field(default=None, description="Test hook, read by shared.saga; ignored here.")


class _SagaOutput(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StockLine(BaseModel):
    model_config = ConfigDict(extra="ignore")

    product_id: EntityId
    quantity: LineQuantity


def duplicate_products(lines: list[StockLine]) -> list[int]:
    counts = Counter(line.product_id for line in lines)
    return sorted(product_id for product_id, count in counts.items() if count > 1)


class _StockLinesInput(_SagaInput):
    location_id: LocationId = DEFAULT_LOCATION
    lines: list[StockLine] = Field(min_length=1, max_length=MAX_LINES)

    @field_validator("location_id", mode="before")
    @classmethod
    def _default_location(cls, value: Any) -> Any:
        # a saga participant's input comes from the state machine, not a client: padding is forgiven
        return DEFAULT_LOCATION if value is None else value.strip() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _distinct(self) -> _StockLinesInput:
        repeated = duplicate_products(self.lines)
        if repeated:
            raise ValueError(f"each product may appear on one line only (repeated: {', '.join(map(str, repeated))})")
        return self

    def requested(self) -> list[tuple[int, int]]:
        return [(line.product_id, line.quantity) for line in self.lines]


class CheckStockInput(_StockLinesInput):
    pass


class ReserveStockInput(_StockLinesInput):
    pass


class ReleaseStockInput(_SagaInput):
    reason: Reason = DEFAULT_RELEASE_REASON

    @field_validator("reason", mode="before")
    @classmethod
    def _default_reason(cls, value: Any) -> Any:
        return DEFAULT_RELEASE_REASON if value is None else value


class CommitStockInput(_SagaInput):
    pass


# ---------------------------------------------------------------- outputs
class CheckedLine(_SagaOutput):
    product_id: int
    requested: int
    available: int


class CheckStockOutput(_SagaOutput):
    location_id: str
    lines: list[CheckedLine]


class ReservedLine(_SagaOutput):
    product_id: int
    quantity: int


class ReserveStockOutput(_SagaOutput):
    reservation_id: str
    status: Literal["reserved"] = Field(description="Also the answer of a retry after the reservation was committed.")
    location_id: str
    lines: list[ReservedLine]
    created_at: str = Field(description="UTC, ISO 8601 (YYYY-MM-DDTHH:MM:SS.ffffffZ).")


class ReleaseStockOutput(_SagaOutput):
    reservation_id: str
    status: Literal["released", "not_reserved"] = Field(
        description="released; not_reserved (no reservation existed: a no-op, and the saga id is now refused by reserve)."
    )
    lines: list[ReservedLine]


class CommitStockOutput(_SagaOutput):
    reservation_id: str
    status: Literal["committed"]
    lines: list[ReservedLine]
