"""Reads and writes of the order saga's stock reservations (one transaction per step).

pynamodb sends a transaction's items in this order: condition checks, deletes, puts, updates;
DynamoDB's ``CancellationReasons`` come back in the same order (``shared.dynamo``). These
transactions have no condition checks or deletes:

| step    | puts                                   | updates |
| ------- | -------------------------------------- | ------- |
| reserve | the reservation, one movement per line | one stock row per line |
| release | one movement per line                  | the reservation, one stock row per line |
| commit  | one movement per line                  | the reservation, one stock row per line |

A failed transaction is turned into one of the exceptions below (the logic decides what each
means); nothing was written. Takes and returns :class:`inventory.models.Reservation`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import PutError, TransactWriteError

from inventory.dal.stock import journal, stock_rows  # noqa: F401  (read by the logic as dal.stock_rows)
from inventory.dal.tables import ProductRecord, ReservationRecord, StockRecord
from inventory.models import Reservation
from shared.dynamo import (  # noqa: F401  (TransactionConflictError: raised here, caught by the logic)
    CONDITION_FAILED,
    TRANSACTION_CONFLICT,
    TransactionConflictError,
    cancellation_codes,
    get_as,
    is_conditional_failure,
    record_of,
    transact_write,
)

RESERVED, RELEASED, COMMITTED = "reserved", "released", "committed"


# ---------------------------------------------------------------- failures
class ReservationChanged(Exception):
    """The reservation item failed its condition: it exists already (reserve, tombstone) or its
    status is no longer ``reserved`` (release, commit). Re-read it."""


class StockConditionFailed(Exception):
    """Some stock rows failed their condition (reserve: short, missing or discontinued;
    release/commit: ``reserved`` below the quantity)."""

    def __init__(self, product_ids: list[int]) -> None:
        super().__init__(f"stock conditions failed for products {product_ids}")
        self.product_ids = product_ids


@dataclass(frozen=True)
class Layout:
    """Where each item of a transaction sits in its cancellation reasons."""

    reservation: int  # index of the reservation item
    first_stock: int  # index of the first stock update (then one per line)

    def classify(self, exc: TransactWriteError, product_ids: Sequence[int]) -> Exception:
        codes = cancellation_codes(exc)
        if len(codes) > self.reservation and codes[self.reservation] == CONDITION_FAILED:
            return ReservationChanged()
        failed = [
            product_id
            for line, product_id in enumerate(product_ids)
            if len(codes) > self.first_stock + line and codes[self.first_stock + line] == CONDITION_FAILED
        ]
        if failed:
            return StockConditionFailed(failed)
        if TRANSACTION_CONFLICT in codes:
            return TransactionConflictError()
        return exc


# ---------------------------------------------------------------- reads
def get_reservation(reservation_id: str) -> Reservation | None:
    return get_as(Reservation, ReservationRecord, reservation_id, consistent_read=True)


def live_products(product_ids: Iterable[int]) -> set[int]:
    """The ids among ``product_ids`` of products that exist and are not deleted."""
    return {
        record.product_id
        for record in ProductRecord.batch_get(sorted(set(product_ids)), consistent_read=True)
        if record.deleted_at is None
    }


# ---------------------------------------------------------------- writes
@dataclass(frozen=True)
class LineChange:
    """One line's effect on its stock row, with the row as read just before the transaction."""

    product_id: int
    quantity: int
    available_before: int


def write_reservation(reservation: Reservation, changes: Sequence[LineChange], *, reason: str) -> None:
    """Put the reservation (new) and move each line's units from ``available`` to ``reserved``.

    Each row must exist, not be discontinued and hold ``available >= q``.
    """
    now = reservation.created_at
    location_id = reservation.location_id
    try:
        with transact_write() as tx:
            tx.save(record_of(ReservationRecord, reservation), condition=ReservationRecord.reservation_id.does_not_exist())
            for change in changes:
                journal(tx, change.product_id, location_id=location_id, kind="reserve", delta=-change.quantity,
                        available_before=change.available_before, reserved_delta=change.quantity, reason=reason, now=now)
            for change in changes:
                tx.update(
                    StockRecord(change.product_id, location_id),
                    actions=[
                        StockRecord.available.set(StockRecord.available - change.quantity),
                        StockRecord.reserved.set(StockRecord.reserved + change.quantity),
                        StockRecord.updated_at.set(now),
                    ],
                    condition=StockRecord.product_id.exists()
                    & StockRecord.discontinued.does_not_exist()
                    & (StockRecord.available >= change.quantity),
                )
    except TransactWriteError as exc:
        raise Layout(reservation=0, first_stock=1 + len(changes)).classify(exc, [c.product_id for c in changes]) from None


def write_tombstone(tombstone: Reservation) -> None:
    """Put a ``released`` record with no lines where there is none (else ``ReservationChanged``)."""
    try:
        record_of(ReservationRecord, tombstone).save(condition=ReservationRecord.reservation_id.does_not_exist())
    except PutError as exc:
        if is_conditional_failure(exc):
            raise ReservationChanged() from None
        raise


def _settle(
    reservation: Reservation,
    changes: Sequence[LineChange],
    *,
    status: str,
    kind: str,
    available_delta: int,
    reason: str,
    now: datetime,
    release_reason: str | None = None,
) -> None:
    """Move a ``reserved`` reservation to ``status`` and take each line's units out of
    ``reserved`` (back to ``available`` when ``available_delta`` is 1, out of stock when 0)."""
    location_id = reservation.location_id
    actions = [ReservationRecord.status.set(status), ReservationRecord.updated_at.set(now)]
    if release_reason is not None:
        actions.append(ReservationRecord.reason.set(release_reason))
    try:
        with transact_write() as tx:
            for change in changes:
                journal(tx, change.product_id, location_id=location_id, kind=kind, delta=available_delta * change.quantity,
                        available_before=change.available_before, reserved_delta=-change.quantity, reason=reason, now=now)
            tx.update(
                ReservationRecord(reservation.reservation_id),
                actions=actions,
                condition=ReservationRecord.status == RESERVED,
            )
            for change in changes:
                stock_actions = [
                    StockRecord.reserved.set(StockRecord.reserved - change.quantity),
                    StockRecord.updated_at.set(now),
                ]
                if available_delta:
                    stock_actions.insert(0, StockRecord.available.set(StockRecord.available + available_delta * change.quantity))
                tx.update(
                    StockRecord(change.product_id, location_id),
                    actions=stock_actions,
                    condition=StockRecord.reserved >= change.quantity,
                )
    except TransactWriteError as exc:
        layout = Layout(reservation=len(changes), first_stock=len(changes) + 1)
        raise layout.classify(exc, [c.product_id for c in changes]) from None


def write_release(
    reservation: Reservation, changes: Sequence[LineChange], *, reason: str, release_reason: str, now: datetime
) -> None:
    """``reserved`` -> ``released``; per line ``reserved -= q``, ``available += q``."""
    _settle(reservation, changes, status=RELEASED, kind="release", available_delta=1, reason=reason, now=now,
            release_reason=release_reason)


def write_commit(reservation: Reservation, changes: Sequence[LineChange], *, reason: str, now: datetime) -> None:
    """``reserved`` -> ``committed``; per line ``reserved -= q`` (``available`` unchanged)."""
    _settle(reservation, changes, status=COMMITTED, kind="commit", available_delta=0, reason=reason, now=now)

