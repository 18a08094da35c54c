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


class AlreadyCancelled(Exception):
    """The reference's "applied" record is cancelled already (or gone): read it again."""


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
        reference=reference, request_hash=record.request_hash, result=record.result, created_at=record.created_at,
        kind=record.kind, cancelled_at=record.cancelled_at,
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
            _journal_and_update(tx, changes, location_id=location_id, kind=kind, reason=reason, now=now)
    except TransactWriteError as exc:
        raise _failure(exc, changes, marker_failed=AlreadyApplied()) from None


def put_cancelled(reference: str, now: datetime) -> None:
    """Put a cancelled "applied" record with nothing applied (a later apply of ``reference`` is
    refused); :class:`AlreadyApplied` if the reference has a record already."""
    try:
        AppliedChangesRecord(applied_key(reference), request_hash="", result="", created_at=now, cancelled_at=now).save(
            condition=AppliedChangesRecord.pk.does_not_exist()
        )
    except PutError as exc:
        if is_conditional_failure(exc):
            raise AlreadyApplied() from None
        raise


def undo_changes(reference: str, changes: Sequence[RowChange], *, location_id: str, kind: str, reason: str,
                 now: datetime) -> None:
    """Mark the reference's "applied" record cancelled and apply ``changes`` (the reverse of
    what it applied), all or nothing, with the same row conditions as :func:`apply_changes`.
    Raises :class:`AlreadyCancelled`, :class:`RowsRefused`, :class:`TransactionConflictError`
    or the original error."""
    try:
        with transact_write() as tx:
            tx.update(
                AppliedChangesRecord(applied_key(reference)),
                actions=[AppliedChangesRecord.cancelled_at.set(now)],
                condition=AppliedChangesRecord.pk.exists() & AppliedChangesRecord.cancelled_at.does_not_exist(),
            )
            _journal_and_update(tx, changes, location_id=location_id, kind=kind, reason=reason, now=now)
    except TransactWriteError as exc:
        raise _failure(exc, changes, marker_failed=AlreadyCancelled()) from None


def _failure(exc: TransactWriteError, changes: Sequence[RowChange], *, marker_failed: Exception) -> Exception:
    """What a cancelled transaction of [marker, movements..., rows...] means."""
    codes = cancellation_codes(exc)
    reasons = exc.cancellation_reasons or []
    if codes[:1] == [CONDITION_FAILED]:
        return marker_failed
    first_row = 1 + len(changes)
    refused = [
        FailedRow(change.product_id, reasons[first_row + line].raw_item if reasons[first_row + line] else None)
        for line, change in enumerate(changes)
        if first_row + line < len(codes) and codes[first_row + line] == CONDITION_FAILED
    ]
    if refused:
        return RowsRefused(refused)
    if TRANSACTION_CONFLICT in codes:
        return TransactionConflictError()
    return exc


def _journal_and_update(tx: Any, changes: Sequence[RowChange], *, location_id: str, kind: str, reason: str,
                        now: datetime) -> None:
    """Each change's journal entry, then its row update: a decrement requires ``available >=
    units`` on a live (not discontinued) row, an increment requires the row to exist."""
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
