"""Stock levels: the business rules.

- Stock lives per (product, location). ``available`` never goes below zero: an adjustment
  that would is refused with 409 ``insufficient_stock``; the write itself is conditional on
  the value it was computed from (optimistic concurrency, retried a few times, then 409
  ``concurrent_modification``).
- Every change is journaled as a stock movement with the caller's reason, in the same
  transaction as the change.
- ``reserved`` (units held for orders in flight) is never touched by PUT /stock; the order
  saga's stock functions move units between ``available`` and ``reserved``
  (``logic/reservations.py``).
- Low stock means ``available <= reorder_level``; crossing that line emits the
  ``LowStockAlerts`` metric.
- The location must exist (422 ``invalid_reference``); the product must exist (404).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from inventory.dal import catalog as catalog_dal
from inventory.dal import stock as dal
from inventory.logic.catalog import require_location, require_product
from inventory.models import Stock
from inventory.schemas import StockLevel, StockMovement, StockMovementPage, StockPage, StockUpdate, StockUpdateResult
from shared.errors import ConcurrentModificationError, InsufficientStock, NotFoundError

MAX_ATTEMPTS = 5

logger = Logger(child=True)
metrics = Metrics()


# ---------------------------------------------------------------- pure rules
def new_available(
    current: int, *, quantity: int | None, delta: int | None, product_id: int = 0, location_id: str = ""
) -> int:
    """The available quantity after setting ``quantity`` or applying ``delta`` (never negative)."""
    if (quantity is None) == (delta is None):
        raise ValueError("exactly one of quantity and delta")
    if quantity is not None:
        if quantity < 0:
            raise ValueError("quantity cannot be negative")
        return quantity
    result = current + delta  # type: ignore[operator]
    if result < 0:
        raise InsufficientStock.adjustment(product_id, location_id, current, delta)  # type: ignore[arg-type]
    return result


def is_low(available: int, reorder_level: int) -> bool:
    return available <= reorder_level


def crossed_into_low_stock(before: int, after: int, reorder_level: int) -> bool:
    return not is_low(before, reorder_level) and is_low(after, reorder_level)


# ---------------------------------------------------------------- mapping
def stock_level(row: Stock) -> StockLevel:
    return StockLevel(
        product_id=row.product_id,
        location_id=row.location_id,
        available=row.available,
        reserved=row.reserved,
        on_hand=row.available + row.reserved,
        reorder_level=row.reorder_level,
        low_stock=is_low(row.available, row.reorder_level),
        updated_at=row.updated_at,
    )


# ---------------------------------------------------------------- use cases
def list_stock(
    *, limit: int, next_token: str | None, product_id: int | None, location_id: str | None, low_stock: bool
) -> StockPage:
    if location_id is not None:
        require_location(location_id, ["query", "location_id"])
    rows, token = dal.list_stock(
        limit=limit, next_token=next_token, product_id=product_id, location_id=location_id, low_stock=low_stock
    )
    return StockPage(items=[stock_level(row) for row in rows], next_token=token)


def update_stock(product_id: int, request: StockUpdate) -> StockUpdateResult:
    product = require_product(product_id, consistent=True)
    require_location(request.location_id, ["body", "location_id"])
    kind = "set" if request.quantity is not None else "adjust"
    for _attempt in range(MAX_ATTEMPTS):
        current = dal.get_stock(product_id, request.location_id, consistent=True)
        before = current.available if current is not None else 0
        after = new_available(
            before,
            quantity=request.quantity,
            delta=request.delta,
            product_id=product_id,
            location_id=request.location_id,
        )
        try:
            row, movement = dal.write_stock_change(
                product_id=product_id,
                location_id=request.location_id,
                current=current,
                new_available=after,
                reorder_level=product.reorder_level,
                kind=kind,
                reason=request.reason,
            )
            break
        except dal.StaleStockError:
            logger.info("stock changed concurrently, retrying", extra={"product_id": product_id})
            continue
    else:
        raise ConcurrentModificationError(
            f"stock of product {product_id} at {request.location_id} keeps changing; retry"
        )
    metrics.add_metric(name="StockAdjustments", unit=MetricUnit.Count, value=1)
    if crossed_into_low_stock(before, after, row.reorder_level):
        metrics.add_metric(name="LowStockAlerts", unit=MetricUnit.Count, value=1)
        logger.warning(
            "low stock",
            extra={"product_id": product_id, "location_id": request.location_id, "available": after},
        )
    return StockUpdateResult(stock=stock_level(row), movement=StockMovement.model_validate(movement))


def list_movements(product_id: int, *, limit: int, next_token: str | None) -> StockMovementPage:
    """The journal of a product (deleted products keep theirs), newest first."""
    if catalog_dal.get_product(product_id, include_deleted=True) is None:
        raise NotFoundError("product", product_id)
    movements, token = dal.list_movements(product_id, limit=limit, next_token=next_token)
    return StockMovementPage(items=[StockMovement.model_validate(movement) for movement in movements], next_token=token)
