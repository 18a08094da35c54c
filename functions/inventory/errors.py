"""Business errors of the inventory domain.

Each class carries its HTTP status and code (``shared.errors``), so the REST API maps it in one
place. The errors of the order saga's stock functions (``handlers/saga.py``) are raised by
class: Lambda reports the *class name* as ``errorType``, which is what the state machine's
``Retry``/``Catch`` match (``"ErrorEquals": ["InsufficientStock"]``). They are final: retrying
the same input gives the same answer. Anything else a saga function raises (botocore errors,
``ConcurrentModificationError`` after repeated ``TransactionConflict``, ``Sandbox.Timedout`` ...)
is transient and worth a retry.

| errorType                 | HTTP | code                      | when |
| ------------------------- | ---- | ------------------------- | ---- |
| ``InsufficientStock``     | 409  | ``insufficient_stock``    | REST: PUT /stock would take ``available`` below zero; saga check/reserve and the interface's apply: a line asks for more than is available (every short line is named; nothing written). One type for the rule in every domain: ``shared.errors`` |
| ``ProductNotFound``       | 422  | ``invalid_reference``     | saga check/reserve: unknown or deleted product, or no live (non-discontinued) stock row at the location |
| ``LocationNotFound``      | 422  | ``invalid_reference``     | saga check/reserve: unknown ``location_id`` |
| ``ReservationConflict``   | 409  | ``reservation_conflict``  | reserve: the saga id already reserved other lines or another location |
| ``ReservationAborted``    | 409  | ``reservation_aborted``   | reserve: the saga's reservation was already released (or the release ran first: tombstone) |
| ``ReservationNotFound``   | 422  | ``invalid_reference``     | commit: no reservation with the saga id |
| ``ReservationReleased``   | 409  | ``reservation_released``  | commit: the reservation was released (the units are back in ``available``) |
| ``ReservationCommitted``  | 409  | ``reservation_committed`` | release: the reservation was committed (the units left the warehouse) |
| ``StockRowMissing``       | 409  | ``stock_row_missing``     | interface apply: units come back to a location without a stock row for the product (``shared.errors``) |
| ``LocationExists``        | 409  | ``location_exists``       | interface open_location: the location exists, opened by another reference |
| ``ReferenceConflict``     | 409  | ``reference_conflict``    | interface apply/open: the reference was already used for other changes |
| ``InvalidInput``          | -    | -                         | a saga or interface function's input failed validation (a caller bug) |
"""

from __future__ import annotations

from typing import Any

from shared.errors import AppError, ConflictError, InvalidReferenceError
from shared.errors import InsufficientStock, Shortage, StockRowMissing  # noqa: F401  (one type per rule: shared)
from shared.saga import InvalidInput  # noqa: F401  (re-exported: saga functions raise it)


# ---------------------------------------------------------------- order saga (stock reservations)
class InventoryBusinessError(AppError):
    """Base of the saga's business errors (final answers, never worth a retry)."""


class ProductNotFound(InvalidReferenceError, InventoryBusinessError):
    def __init__(self, product_ids: list[int], location_id: str) -> None:
        InventoryBusinessError.__init__(
            self,
            f"{'product' if len(product_ids) == 1 else 'products'} {', '.join(map(str, product_ids))} "
            f"not found (unknown, deleted, or not stocked at {location_id})",
            details=[
                {"loc": ["lines"], "type": "invalid_reference", "resource": "product", "id": product_id, "location_id": location_id}
                for product_id in product_ids
            ],
        )
        self.product_ids = product_ids


class LocationNotFound(InvalidReferenceError, InventoryBusinessError):
    def __init__(self, location_id: str) -> None:
        super().__init__(["location_id"], "location", location_id)
        self.location_id = location_id


class ReservationNotFound(InvalidReferenceError, InventoryBusinessError):
    def __init__(self, reservation_id: str) -> None:
        super().__init__(["saga_id"], "reservation", reservation_id)
        self.reservation_id = reservation_id


class _ReservationState(ConflictError, InventoryBusinessError):
    code = "reservation_state"
    template = "reservation {id} ..."

    def __init__(self, reservation_id: str, **extra: Any) -> None:
        super().__init__(self.template.format(id=reservation_id), details=[{"reservation_id": reservation_id, **extra}])
        self.reservation_id = reservation_id


class ReservationConflict(_ReservationState):
    code = "reservation_conflict"
    template = "saga {id} already reserved other lines or another location; use a new saga id"


class ReservationAborted(_ReservationState):
    code = "reservation_aborted"
    template = "the stock reservation of saga {id} was released before it ran (or already released); use a new saga id"


class ReservationReleased(_ReservationState):
    code = "reservation_released"
    template = "the stock reservation of saga {id} was released: nothing to commit"


class ReservationCommitted(_ReservationState):
    code = "reservation_committed"
    template = "the stock reservation of saga {id} was committed: it cannot be released"


# ---------------------------------------------------------------- the inventory interface (handlers/interface.py)
class LocationExists(ConflictError, InventoryBusinessError):
    code = "location_exists"

    def __init__(self, location_id: str) -> None:
        super().__init__(f"location {location_id} already exists", details=[{"location_id": location_id}])
        self.location_id = location_id


class ReferenceConflict(ConflictError, InventoryBusinessError):
    code = "reference_conflict"

    def __init__(self, reference: str) -> None:
        super().__init__(
            f"reference {reference} was already used for other stock changes; use a new reference",
            details=[{"reference": reference}],
        )
        self.reference = reference


class ReferenceCancelled(ConflictError, InventoryBusinessError):
    code = "reference_cancelled"

    def __init__(self, reference: str) -> None:
        super().__init__(
            f"the stock changes of reference {reference} were cancelled; use a new reference",
            details=[{"reference": reference}],
        )
        self.reference = reference
