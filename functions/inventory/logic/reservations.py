"""Stock reservations of the order saga: the business rules.

The saga id is the reservation id. A reservation moves units from ``available`` to
``reserved`` at one location, all lines or none, until the order is confirmed (commit: the
units leave ``reserved``) or the saga compensates (release: back to ``available``)::

    (none) --reserve--> reserved --commit--> committed
       |                   |
       +--release--> released (tombstone: no lines)
                           ^
                reserved --release

- **Check** is read-only: the location must exist (``LocationNotFound``), every product must be
  live and stocked there (``ProductNotFound``), and every line must fit (``InsufficientStock``,
  naming every short line).
- **Reserve** is one transaction: the reservation record (``attribute_not_exists``), per line
  ``available -= q, reserved += q`` under ``available >= q`` on a live row, and a ``reserve``
  movement. Never negative, even under concurrency: the condition decides, and a refused
  transaction writes nothing. A retry with the same location and lines answers with the
  existing reservation (no second decrement); other lines or location: ``ReservationConflict``;
  released (or a tombstone): ``ReservationAborted``.
- **Release** (compensation): no reservation -> a tombstone (``released``, no lines) so that a
  late reserve is refused, answer ``not_reserved``; ``reserved`` -> ``released`` with the units
  back in ``available`` (``release`` movements); ``released`` -> the same answer again;
  ``committed`` -> ``ReservationCommitted``.
- **Commit**: ``reserved`` -> ``committed``, per line ``reserved -= q`` (``commit`` movements,
  ``available`` unchanged); ``committed`` -> the same answer; missing ->
  ``ReservationNotFound``; released -> ``ReservationReleased``.
- A transaction cancelled by a concurrent one (``TransactionConflict``) is retried a few times
  with jittered backoff, then ``ConcurrentModificationError`` (transient: the state machine
  retries). Movements: ``delta`` and ``reserved_delta`` are exact; ``available_before/after``
  come from the consistent read just before the transaction (as retail's sales).
- Metrics: ``StockReserved``, ``StockReleased``, ``StockCommitted`` (reservations),
  ``InsufficientStockRefusals``, and ``LowStockAlerts`` when a reservation takes a row to or
  below its reorder level.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from inventory.dal import catalog as catalog_dal
from inventory.dal import reservations as dal
from inventory.dal.reservations import COMMITTED, RELEASED, RESERVED, LineChange
from inventory.errors import (
    InsufficientStock,
    LocationNotFound,
    ProductNotFound,
    ReservationAborted,
    ReservationCommitted,
    ReservationConflict,
    ReservationNotFound,
    ReservationReleased,
    Shortage,
)
from inventory.logic.stock import crossed_into_low_stock
from inventory.models import Reservation, ReservationLine, Stock
from inventory.saga_schemas import (
    CheckedLine,
    CheckStockInput,
    CheckStockOutput,
    CommitStockOutput,
    ReleaseStockOutput,
    ReservedLine,
    ReserveStockInput,
    ReserveStockOutput,
)
from shared.dynamo import backoff, utcnow
from shared.errors import ConcurrentModificationError

MAX_ATTEMPTS = 8  # transactions cancelled by a concurrent one, or by a row that changed since the read

logger = Logger(child=True)
metrics = Metrics()


class StockInvariantError(RuntimeError):
    """A stock row holds fewer ``reserved`` units than a reservation took (never expected:
    only the saga's transactions change ``reserved``). Not a business answer: the state
    machine retries, then fails the saga for a person to look at."""


# ---------------------------------------------------------------- pure rules
Lines = Sequence[tuple[int, int]]  # (product_id, quantity)


def missing_products(requested: Lines, live: set[int], rows: dict[int, Stock]) -> list[int]:
    """Products of ``requested`` that are unknown, deleted, or without a live row at the location."""
    return [
        product_id
        for product_id, _ in requested
        if product_id not in live or product_id not in rows or rows[product_id].discontinued
    ]


def find_shortages(requested: Lines, available: dict[int, int]) -> list[Shortage]:
    """Every line asking for more than is available, in the request's order."""
    return [
        Shortage(product_id, quantity, available.get(product_id, 0))
        for product_id, quantity in requested
        if available.get(product_id, 0) < quantity
    ]


def normalized(lines: Lines) -> list[tuple[int, int]]:
    return sorted((int(product_id), int(quantity)) for product_id, quantity in lines)


def same_request(reservation: Reservation, location_id: str, lines: Lines) -> bool:
    """Is ``reservation`` the one of this request (same location, same lines in any order)?"""
    return reservation.location_id == location_id and normalized(reservation.pairs()) == normalized(lines)


def timestamp(reservation: Reservation) -> str:
    return reservation.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def movement_reason(kind: str, saga_id: str, detail: str | None = None) -> str:
    verb = {"reserve": "reserved", "release": "released", "commit": "committed"}[kind]
    text = f"{verb} for saga {saga_id}"
    return f"{text}: {detail}"[:200] if detail else text


# ---------------------------------------------------------------- mapping
def _lines_out(reservation: Reservation) -> list[ReservedLine]:
    return [ReservedLine(product_id=product_id, quantity=quantity) for product_id, quantity in reservation.pairs()]


def reserve_output(reservation: Reservation) -> ReserveStockOutput:
    return ReserveStockOutput(
        reservation_id=reservation.reservation_id,
        status="reserved",
        location_id=reservation.location_id or "",
        lines=_lines_out(reservation),
        created_at=timestamp(reservation),
    )


def release_output(reservation: Reservation) -> ReleaseStockOutput:
    if reservation.tombstone:
        return ReleaseStockOutput(reservation_id=reservation.reservation_id, status="not_reserved", lines=[])
    return ReleaseStockOutput(reservation_id=reservation.reservation_id, status="released", lines=_lines_out(reservation))


def commit_output(reservation: Reservation) -> CommitStockOutput:
    return CommitStockOutput(reservation_id=reservation.reservation_id, status="committed", lines=_lines_out(reservation))


# ---------------------------------------------------------------- reads shared by check and reserve
def _require_location(location_id: str) -> None:
    if catalog_dal.get_location(location_id) is None:
        raise LocationNotFound(location_id)


def _stock_of(location_id: str, requested: Lines) -> dict[int, Stock]:
    """The live rows of the requested products (``ProductNotFound`` naming every missing one)."""
    product_ids = [product_id for product_id, _ in requested]
    live = dal.live_products(product_ids)
    rows = dal.stock_rows(location_id, product_ids)
    missing = missing_products(requested, live, rows)
    if missing:
        raise ProductNotFound(missing, location_id)
    return rows


def _refuse_shortages(location_id: str, requested: Lines, rows: dict[int, Stock]) -> None:
    shortages = find_shortages(requested, {product_id: row.available for product_id, row in rows.items()})
    if shortages:
        metrics.add_metric(name="InsufficientStockRefusals", unit=MetricUnit.Count, value=1)
        raise InsufficientStock(location_id, shortages)


# ---------------------------------------------------------------- check
def check_stock(request: CheckStockInput) -> CheckStockOutput:
    requested = request.requested()
    _require_location(request.location_id)
    rows = _stock_of(request.location_id, requested)
    _refuse_shortages(request.location_id, requested, rows)
    return CheckStockOutput(
        location_id=request.location_id,
        lines=[
            CheckedLine(product_id=product_id, requested=quantity, available=rows[product_id].available)
            for product_id, quantity in requested
        ],
    )


# ---------------------------------------------------------------- reserve
def _existing_reservation(existing: Reservation, location_id: str, requested: Lines) -> ReserveStockOutput:
    """The answer to a reserve whose saga id already has a reservation."""
    if existing.status == RELEASED:
        raise ReservationAborted(existing.reservation_id, status=existing.status)
    if not same_request(existing, location_id, requested):
        raise ReservationConflict(existing.reservation_id, status=existing.status, location_id=existing.location_id)
    logger.info("reservation exists, answering with it", extra={"reservation_id": existing.reservation_id, "status": existing.status})
    return reserve_output(existing)


def reserve_stock(request: ReserveStockInput) -> ReserveStockOutput:
    saga_id, location_id, requested = request.saga_id, request.location_id, request.requested()
    existing = dal.get_reservation(saga_id)
    if existing is not None:
        return _existing_reservation(existing, location_id, requested)
    _require_location(location_id)
    reason = movement_reason("reserve", saga_id)

    for attempt in range(MAX_ATTEMPTS):
        rows = _stock_of(location_id, requested)  # consistent reads: the early answer, and the movements' "before"
        _refuse_shortages(location_id, requested, rows)
        now = utcnow()
        reservation = Reservation(
            reservation_id=saga_id,
            status=RESERVED,
            location_id=location_id,
            lines=[ReservationLine(product_id=product_id, quantity=quantity) for product_id, quantity in requested],
            correlation_id=request.correlation_id,
            created_at=now,
            updated_at=now,
        )
        changes = [LineChange(product_id, quantity, rows[product_id].available) for product_id, quantity in requested]
        try:
            dal.write_reservation(reservation, changes, reason=reason)
            break
        except dal.ReservationChanged:  # a concurrent reserve or release with this saga id won
            existing = dal.get_reservation(saga_id)
            if existing is None:  # (not expected: the record that failed the condition is gone)
                raise ConcurrentModificationError(f"reservation {saga_id} changed concurrently; retry") from None
            return _existing_reservation(existing, location_id, requested)
        except dal.StockConditionFailed as exc:
            # the rows changed since the read: the next read names the short or missing lines
            # (or, if the stock came back meanwhile, the next transaction goes through)
            logger.info("stock changed before the reservation, re-reading", extra={"products": exc.product_ids, "attempt": attempt})
        except dal.TransactionConflictError:
            logger.info("reservation transaction conflicted, retrying", extra={"attempt": attempt})
            time.sleep(backoff(attempt))
    else:
        raise ConcurrentModificationError(f"the stock at {location_id} keeps changing; retry the reservation {saga_id}")

    metrics.add_metric(name="StockReserved", unit=MetricUnit.Count, value=1)
    for change in changes:
        row = rows[change.product_id]
        if crossed_into_low_stock(change.available_before, change.available_before - change.quantity, row.reorder_level):
            metrics.add_metric(name="LowStockAlerts", unit=MetricUnit.Count, value=1)
            logger.warning(
                "low stock",
                extra={"product_id": change.product_id, "location_id": location_id, "available": change.available_before - change.quantity},
            )
    logger.info("stock reserved", extra={"reservation_id": saga_id, "location_id": location_id, "lines": len(changes)})
    return reserve_output(reservation)


# ---------------------------------------------------------------- release and commit
def _changes_of(reservation: Reservation) -> list[LineChange]:
    lines = reservation.pairs()
    rows = dal.stock_rows(reservation.location_id or "", [product_id for product_id, _ in lines])
    return [LineChange(product_id, quantity, rows[product_id].available if product_id in rows else 0) for product_id, quantity in lines]


def _invariant_broken(reservation: Reservation, exc: dal.StockConditionFailed) -> StockInvariantError:
    logger.error(
        "stock rows hold fewer reserved units than the reservation",
        extra={"reservation_id": reservation.reservation_id, "products": exc.product_ids, "location_id": reservation.location_id},
    )
    return StockInvariantError(
        f"reservation {reservation.reservation_id}: products {exc.product_ids} hold fewer reserved units than it reserved"
    )


def _settled(reservation: Reservation, verb: str, attempt: int, write: Callable[[], None]) -> bool:
    """Run one release or commit transaction of ``reservation``: True when it is written; False
    when the reservation changed (committed or released concurrently: read it again and answer
    from its new state) or the transaction conflicted (after a backoff); a stock row holding
    fewer reserved units than the reservation is :class:`StockInvariantError`."""
    try:
        write()
    except dal.ReservationChanged:
        return False
    except dal.StockConditionFailed as exc:
        raise _invariant_broken(reservation, exc) from None
    except dal.TransactionConflictError:
        logger.info(f"{verb} transaction conflicted, retrying", extra={"attempt": attempt})
        time.sleep(backoff(attempt))
        return False
    return True


def release_stock(saga_id: str, *, reason: str, correlation_id: str | None = None) -> ReleaseStockOutput:
    for attempt in range(MAX_ATTEMPTS):
        reservation = dal.get_reservation(saga_id)
        if reservation is None:
            now = utcnow()
            tombstone = Reservation(
                reservation_id=saga_id,
                status=RELEASED,
                tombstone=True,
                lines=[],
                reason=reason,
                correlation_id=correlation_id,
                created_at=now,
                updated_at=now,
            )
            try:
                dal.write_tombstone(tombstone)
            except dal.ReservationChanged:  # the reserve got there first: release it
                continue
            logger.info("nothing reserved: tombstone written", extra={"reservation_id": saga_id})
            return release_output(tombstone)
        if reservation.status == RELEASED:
            return release_output(reservation)
        if reservation.status == COMMITTED:
            raise ReservationCommitted(saga_id, status=reservation.status)
        if not _settled(reservation, "release", attempt, lambda: dal.write_release(
            reservation, _changes_of(reservation), reason=movement_reason("release", saga_id, reason), release_reason=reason,
            now=utcnow(),
        )):
            continue
        metrics.add_metric(name="StockReleased", unit=MetricUnit.Count, value=1)
        logger.info("reservation released", extra={"reservation_id": saga_id, "reason": reason})
        return ReleaseStockOutput(reservation_id=saga_id, status="released", lines=_lines_out(reservation))
    raise ConcurrentModificationError(f"reservation {saga_id} keeps changing; retry the release")


def commit_stock(saga_id: str) -> CommitStockOutput:
    for attempt in range(MAX_ATTEMPTS):
        reservation = dal.get_reservation(saga_id)
        if reservation is None:
            raise ReservationNotFound(saga_id)
        if reservation.status == COMMITTED:
            return commit_output(reservation)
        if reservation.status == RELEASED:
            raise ReservationReleased(saga_id, status=reservation.status)
        if not _settled(reservation, "commit", attempt, lambda: dal.write_commit(
            reservation, _changes_of(reservation), reason=movement_reason("commit", saga_id), now=utcnow(),
        )):
            continue
        metrics.add_metric(name="StockCommitted", unit=MetricUnit.Count, value=1)
        logger.info("reservation committed", extra={"reservation_id": saga_id})
        return commit_output(reservation)
    raise ConcurrentModificationError(f"reservation {saga_id} keeps changing; retry the commit")
