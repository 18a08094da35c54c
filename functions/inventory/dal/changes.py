"""Writes of the inventory interface: a set of stock changes at one location in ONE transaction,
and opening or closing a location for another domain (``logic/interface.py``).

The apply transaction's items, in the order pynamodb sends them and DynamoDB reports their
``CancellationReasons`` (puts, then updates): the "applied" record (``attribute_not_exists``),
one movement per line, then one conditional stock update per line.

Takes and returns :mod:`inventory.models` (``Product``, ``Location``, ``AppliedChanges``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DeleteError, PutError, TransactWriteError

from inventory.dal.stock import journal, stock_rows  # noqa: F401  (stock_rows: read by the logic as dal.stock_rows)
from inventory.dal.tables import AppliedChangesRecord, LocationRecord, ProductRecord, StockRecord
from inventory.models import AppliedChanges, Location, Product
from shared.dynamo import (
    CONDITION_FAILED,
    TRANSACTION_CONFLICT,
    TransactionConflictError,
    cancellation_codes,
    get_as,
    is_conditional_failure,
    record_of,
    transact_write,
)

APPLIED_PREFIX = "applied#"


def applied_key(reference: str) -> str:
    return f"{APPLIED_PREFIX}{reference}"


# ---------------------------------------------------------------- failures
class AlreadyApplied(Exception):
    """The reference's "applied" record exists: a retry (read it)."""


@dataclass(frozen=True)
class FailedRow:
    product_id: int
    old_item: dict[str, Any] | None  # the row as it was (ReturnValuesOnConditionCheckFailure=ALL_OLD)


class RowsRefused(Exception):
    """Some stock rows failed their condition (short, discontinued or missing)."""

    def __init__(self, rows: list[FailedRow]) -> None:
        super().__init__(f"stock conditions failed for products {[row.product_id for row in rows]}")
        self.rows = rows


# ---------------------------------------------------------------- reads
def products(product_ids: Iterable[int]) -> dict[int, Product]:
    """Products by id (deleted ones included: ``deleted_at`` says so; unknown ones left out)."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    return {record.product_id: Product.model_validate(record) for record in ProductRecord.batch_get(ids, consistent_read=True)}


def live_products() -> list[Product]:
    """The whole live catalogue (a scan: demo data)."""
    records = ProductRecord.scan(ProductRecord.deleted_at.does_not_exist())
    return sorted((Product.model_validate(record) for record in records), key=lambda product: product.product_id)


def get_applied(reference: str) -> AppliedChanges | None:
    try:
        record = AppliedChangesRecord.get(applied_key(reference), consistent_read=True)
    except AppliedChangesRecord.DoesNotExist:
        return None
    return AppliedChanges(
        reference=reference, request_hash=record.request_hash, result=record.result, created_at=record.created_at
    )


def get_location(location_id: str) -> Location | None:
    return get_as(Location, LocationRecord, location_id, consistent_read=True)


# ---------------------------------------------------------------- writes
@dataclass(frozen=True)
class RowChange:
    product_id: int
    delta: int
    available_before: int  # as read just before the transaction (the movement's before/after)


def apply_changes(
    applied: AppliedChanges,
    changes: Sequence[RowChange],
    *,
    location_id: str,
    kind: str,
    reason: str,
    now: datetime,
) -> None:
    """Put the "applied" record (``applied#<reference>``) and apply every change, all or nothing.

    A decrement requires ``available >= units`` on a live (not discontinued) row; an increment
    requires the row to exist. Raises :class:`AlreadyApplied`, :class:`RowsRefused` (with each
    refused row as it was), :class:`TransactionConflictError` (retry) or the original error.
    """
    try:
        with transact_write() as tx:
            marker = record_of(AppliedChangesRecord, applied, pk=applied_key(applied.reference))
            tx.save(marker, condition=AppliedChangesRecord.pk.does_not_exist())
            for change in changes:
                journal(tx, change.product_id, location_id=location_id, kind=kind, delta=change.delta,
                        available_before=change.available_before, reason=reason, now=now)
            for change in changes:
                if change.delta < 0:
                    condition = (StockRecord.available >= -change.delta) & StockRecord.discontinued.does_not_exist()
                else:
                    condition = StockRecord.product_id.exists()
                tx.update(
                    StockRecord(change.product_id, location_id),
                    actions=[StockRecord.available.add(change.delta), StockRecord.updated_at.set(now)],
                    condition=condition,
                    return_values="ALL_OLD",
                )
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        reasons = exc.cancellation_reasons or []
        if codes[:1] == [CONDITION_FAILED]:
            raise AlreadyApplied() from None
        first_row = 1 + len(changes)
        refused = [
            FailedRow(change.product_id, reasons[first_row + line].raw_item if reasons[first_row + line] else None)
            for line, change in enumerate(changes)
            if first_row + line < len(codes) and codes[first_row + line] == CONDITION_FAILED
        ]
        if refused:
            raise RowsRefused(refused) from None
        if TRANSACTION_CONFLICT in codes:
            raise TransactionConflictError() from None
        raise


def put_location(location: Location) -> bool:
    """Create ``location`` where no location has its id; False if one exists."""
    try:
        record_of(LocationRecord, location).save(condition=LocationRecord.location_id.does_not_exist())
        return True
    except PutError as exc:
        if is_conditional_failure(exc):
            return False
        raise


def delete_location(location_id: str, opened_by: str) -> bool:
    """Delete the location if ``opened_by`` opened it; False if it is gone or someone else's."""
    try:
        LocationRecord(location_id).delete(condition=LocationRecord.opened_by == opened_by)
        return True
    except DeleteError as exc:
        if is_conditional_failure(exc):
            return False
        raise
