"""Reads and writes of stock rows and the stock movement journal (takes and returns
:class:`inventory.models.Stock` and :class:`inventory.models.Movement`)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from inventory.dal.tables import ProductRecord, StockMovementRecord, StockRecord
from inventory.models import Movement, Stock
from shared.dynamo import cancellation_codes, get_as, record_of, transact_write, utcnow
from shared.errors import NotFoundError
from shared.pagination import read_page, scope_of



class StaleStockError(Exception):
    """The stock row changed between our read and our conditional write (retry)."""


def get_stock(product_id: int, location_id: str, *, consistent: bool = False) -> Stock | None:
    return get_as(Stock, StockRecord, product_id, location_id, consistent_read=consistent)


def list_stock(
    *,
    limit: int,
    next_token: str | None,
    product_id: int | None = None,
    location_id: str | None = None,
    low_stock: bool = False,
) -> tuple[list[Stock], str | None]:
    """Live stock rows of a product (Query, optionally at one location), of a location (Query
    ``location-index``) or all of them (Scan); ``low_stock``: at or below the reorder level."""
    condition: Condition = StockRecord.discontinued.does_not_exist()
    if low_stock:
        condition &= StockRecord.available <= StockRecord.reorder_level
    return read_page(
        Stock,
        StockRecord,
        scope=scope_of("stock", product_id=product_id, location_id=location_id, low_stock=low_stock),
        limit=limit,
        next_token=next_token,
        hash_key=product_id if product_id is not None else location_id,
        index=StockRecord.by_location if product_id is None and location_id is not None else None,
        range_key_condition=(StockRecord.location_id == location_id) if product_id is not None and location_id is not None else None,
        filter_condition=condition,
        sparse=low_stock,
    )


def stock_rows(location_id: str, product_ids: Iterable[int]) -> dict[int, Stock]:
    """The stock rows of ``product_ids`` at ``location_id`` (consistent read; missing rows left out)."""
    keys = [(product_id, location_id) for product_id in sorted(set(product_ids))]
    if not keys:
        return {}
    return {row.product_id: Stock.model_validate(row) for row in StockRecord.batch_get(keys, consistent_read=True)}


def new_movement_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%S%f}Z-{secrets.token_hex(4)}"


def journal(
    tx: TransactWrite,
    product_id: int,
    *,
    location_id: str,
    kind: str,
    delta: int,
    available_before: int,
    reason: str,
    now: datetime,
    reserved_delta: int | None = None,
) -> Movement:
    """Put one entry of the stock journal in ``tx`` (a new id: it never overwrites) and return
    it: ``delta`` is the change of ``available`` (``available_before`` as read just before the
    transaction), ``reserved_delta`` the change of ``reserved`` (the saga's movements)."""
    movement = Movement(
        product_id=product_id,
        movement_id=new_movement_id(now),
        location_id=location_id,
        kind=kind,
        delta=delta,
        available_before=available_before,
        available_after=available_before + delta,
        reserved_delta=reserved_delta,
        reason=reason,
        created_at=now,
    )
    tx.save(record_of(StockMovementRecord, movement), condition=StockMovementRecord.movement_id.does_not_exist())
    return movement


def write_stock_change(
    *,
    product_id: int,
    location_id: str,
    current: Stock | None,
    new_available: int,
    reorder_level: int,
    kind: str,
    reason: str,
) -> tuple[Stock, Movement]:
    """Set ``available`` to ``new_available`` and journal the movement, atomically.

    The write only succeeds if the product is still live and the row still holds what
    ``current`` read (``available`` unchanged, or the row still absent): otherwise
    ``StaleStockError`` (re-read and retry) or ``NotFoundError`` (product deleted).
    """
    if new_available < 0:
        raise ValueError("stock cannot be negative")
    now = utcnow()
    before = current.available if current is not None else 0
    try:
        with transact_write() as tx:  # item order: condition checks, puts, updates
            tx.condition_check(
                ProductRecord,
                product_id,
                condition=ProductRecord.product_id.exists() & ProductRecord.deleted_at.does_not_exist(),
            )
            movement = journal(tx, product_id, location_id=location_id, kind=kind, delta=new_available - before,
                               available_before=before, reason=reason, now=now)
            if current is None:
                row = Stock(
                    product_id=product_id,
                    location_id=location_id,
                    available=new_available,
                    reserved=0,
                    reorder_level=reorder_level,
                    updated_at=now,
                )
                tx.save(record_of(StockRecord, row), condition=StockRecord.product_id.does_not_exist())
            else:
                row = current.model_copy(update={"available": new_available, "updated_at": now})
                tx.update(
                    StockRecord(product_id, location_id),
                    actions=[StockRecord.available.set(new_available), StockRecord.updated_at.set(now)],
                    condition=StockRecord.product_id.exists() & (StockRecord.available == current.available),
                )
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        if codes[:1] == ["ConditionalCheckFailed"]:
            raise NotFoundError("product", product_id) from None
        if "ConditionalCheckFailed" in codes[2:]:
            raise StaleStockError() from None
        raise
    if current is not None:
        # reserved may have moved concurrently (the saga); re-read for an exact answer
        row = get_stock(product_id, location_id, consistent=True) or row
    return row, movement


def set_reorder_level(product_id: int, reorder_level: int) -> None:
    """Copy a product's new reorder level onto its stock rows."""
    for row in StockRecord.query(product_id, consistent_read=True):
        if row.reorder_level != reorder_level:
            row.update(actions=[StockRecord.reorder_level.set(reorder_level)])


def list_movements(product_id: int, *, limit: int, next_token: str | None) -> tuple[list[Movement], str | None]:
    """Movements of a product, newest first."""
    return read_page(
        Movement,
        StockMovementRecord,
        scope=scope_of("movements", product_id=product_id),
        limit=limit,
        next_token=next_token,
        hash_key=product_id,
        newest_first=True,
    )
