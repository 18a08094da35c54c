"""The inventory interface: what other domains ask of inventory (``shared.contracts.inventory``).

- **Catalogue reads** answer live products only (unknown and deleted ones are left out;
  ``get_products`` with ``include_deleted`` answers deleted ones too: names of past sales).
- **Report reads** (``stock_report``, ``count_low_stock``, the reporting function's): live
  stock rows page by page with their products' SKU, name and price and, on the first page, the
  locations; the low-stock count (``available <= reorder_level``). ``LocationNotFound`` for
  a report of a location that does not exist.
- **apply_stock_changes** takes or puts back units at one location, every line in ONE
  transaction, all or nothing; stock never goes below zero (each decrement is conditioned on
  ``available >= units`` on a live row, so concurrent callers cannot both take the last units).
  Before the transaction, one consistent read of the products (decrements: live, and their
  price) and of the rows answers the refusals naming every line: ``ProductNotFound`` (unknown
  or deleted product, discontinued row), ``LocationNotFound`` (rows missing at a location that
  does not exist), ``InsufficientStock`` (a decrement over ``available``; a missing row has 0),
  ``StockRowMissing`` (an increment without a row). The transaction's conditions decide; a row
  refused by them is reported the same way from the row as it was. A transaction cancelled by a
  concurrent one is retried with jittered backoff, then ``ConcurrentModificationError``.
- **Idempotent by reference**: the transaction puts ``applied#<reference>`` (with the answer);
  a call whose reference was applied answers that with ``replayed: true`` and applies nothing
  (the same reference for other lines or another location: ``ReferenceConflict``).
- **cancel_stock_changes** is how a caller takes back a reference whose outcome it does not
  know (its invoke timed out) or whose work failed afterwards (the sale could not be written):
  the changes applied under it are reversed in one transaction (journaled ``<kind>-undo``,
  the same row conditions), or, if none were, the reference is recorded as cancelled so that a
  late apply of it is refused (``ReferenceCancelled``); a second cancel answers the first.
- **Locations**: ``open_location`` creates one (``LocationExists`` if it exists and another
  reference opened it; the same reference: the same answer again); ``close_location`` deletes
  one this reference opened (the compensation of a store that could not be created).
"""

from __future__ import annotations

import hashlib
import json
import time

from aws_lambda_powertools import Logger

from inventory.dal import changes as dal
from inventory.dal import report as report_dal
from inventory.errors import LocationExists, LocationNotFound, ProductNotFound, ReferenceCancelled, ReferenceConflict
from inventory.logic.reservations import find_shortages
from inventory.models import AppliedChanges, Stock
from inventory.models import Location as StockLocation
from inventory.models import Product as StockProduct
from shared.contracts.inventory import (
    AppliedLine,
    AppliedStockChanges,
    ApplyStockChanges,
    CancelledStockChanges,
    CancelStockChanges,
    CloseLocation,
    CountLowStock,
    GetProducts,
    GetStock,
    Location,
    LowStockCount,
    OpenLocation,
    Product,
    Products,
    ReportRow,
    StockReport,
    StockReportPage,
    StockRow,
    StockRows,
)
from shared.dynamo import TransactionConflictError, backoff, raw_number, utcnow
from shared.errors import AppError, ConcurrentModificationError, InsufficientStock, Shortage, StockRowMissing

MAX_ATTEMPTS = 8  # transactions cancelled by a concurrent one (TransactionConflict)

logger = Logger(child=True)


# ---------------------------------------------------------------- catalogue
def product_of(product: StockProduct) -> Product:
    return Product(product_id=product.product_id, sku=product.sku, name=product.name, price=product.price)


def get_products(request: GetProducts) -> Products:
    found = dal.products(request.product_ids)
    return Products(products=[product_of(product) for product in found.values()
                              if request.include_deleted or product.deleted_at is None])


def list_products() -> Products:
    return Products(products=[product_of(product) for product in dal.live_products()])


def _require_location(location_id: str) -> None:
    if dal.get_location(location_id) is None:
        raise LocationNotFound(location_id)


def get_stock(request: GetStock) -> StockRows:
    rows = dal.stock_rows(request.location_id, request.product_ids)
    if len(rows) < len(set(request.product_ids)):  # rows missing: is it the location?
        _require_location(request.location_id)
    return StockRows(
        location_id=request.location_id,
        rows=[
            StockRow(product_id=row.product_id, available=max(row.available, 0), reserved=max(row.reserved, 0),
                     reorder_level=row.reorder_level, discontinued=bool(row.discontinued))
            for row in rows.values()
        ],
    )


# ---------------------------------------------------------------- reports
def stock_report(request: StockReport) -> StockReportPage:
    location_id = request.location_id
    if location_id is not None:
        location = dal.get_location(location_id)
        if location is None:
            raise LocationNotFound(location_id)
    rows, token = report_dal.live_stock_page(location_id, limit=request.limit, page_token=request.page_token)
    catalogue = dal.products(row.product_id for row in rows)
    locations: list[Location] = []
    if request.page_token is None:
        locations = [location_of(location)] if location_id is not None else [
            location_of(location) for location in report_dal.all_locations()
        ]
    return StockReportPage(
        location_id=location_id,
        locations=locations,
        rows=[
            ReportRow(
                product_id=row.product_id, location_id=row.location_id, available=row.available or 0,
                reserved=row.reserved or 0, reorder_level=row.reorder_level or 0,
                **({"sku": product.sku, "name": product.name, "price": product.price}
                   if (product := catalogue.get(row.product_id)) is not None else {}),
            )
            for row in rows
        ],
        next_page_token=token,
    )


def count_low_stock(request: CountLowStock) -> LowStockCount:
    return LowStockCount(count=report_dal.low_stock_count())


# ---------------------------------------------------------------- stock changes
def request_hash(request: ApplyStockChanges) -> str:
    """What makes two applies "the same" (the reason may be worded differently on a retry)."""
    canonical = json.dumps(
        [request.location_id, request.kind, sorted((line.product_id, line.delta) for line in request.lines)]
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def replay(request: ApplyStockChanges, digest: str) -> AppliedStockChanges | None:
    """The answer of an earlier apply of the same reference, or None if there was none."""
    marker = dal.get_applied(request.reference)
    if marker is None:
        return None
    if marker.cancelled_at is not None:
        raise ReferenceCancelled(request.reference)
    if marker.request_hash != digest:
        raise ReferenceConflict(request.reference)
    logger.info("stock changes already applied", extra={"reference": request.reference})
    return AppliedStockChanges.model_validate_json(marker.result).model_copy(update={"replayed": True})


def refusal(request: ApplyStockChanges, catalogue: dict, rows: dict[int, Stock]) -> AppError | None:
    """Why the lines cannot be applied as read (every line named), or None."""
    location_id = request.location_id
    decrements = [line for line in request.lines if line.delta < 0]
    gone = [
        line.product_id for line in decrements
        if line.product_id not in catalogue or catalogue[line.product_id].deleted_at is not None
        or (line.product_id in rows and rows[line.product_id].discontinued)
    ]
    if gone:
        return ProductNotFound(gone, location_id)
    missing = [line.product_id for line in request.lines if line.product_id not in rows]
    if missing and dal.get_location(location_id) is None:
        return LocationNotFound(location_id)
    shortages = find_shortages([(line.product_id, -line.delta) for line in decrements],
                               {pid: row.available for pid, row in rows.items()})
    if shortages:
        return InsufficientStock(location_id, shortages)
    no_row = [line.product_id for line in request.lines if line.delta > 0 and line.product_id not in rows]
    if no_row:
        return StockRowMissing(f"{location_id} has no stock row for product(s) {no_row}")
    return None


def refused_rows(location_id: str, wanted: dict[int, int], failed: list[dal.FailedRow]) -> AppError:
    """The refusal the transaction's failed conditions mean (rows as they were); ``wanted``:
    product id -> delta."""
    gone = [row.product_id for row in failed if row.old_item and "discontinued" in row.old_item and wanted[row.product_id] < 0]
    if gone:
        return ProductNotFound(gone, location_id)
    shortages = [
        Shortage(row.product_id, -wanted[row.product_id], raw_number(row.old_item, "available"))
        for row in failed if wanted[row.product_id] < 0
    ]
    if shortages:
        return InsufficientStock(location_id, shortages)
    return StockRowMissing(f"{location_id} has no stock row for product(s) {[row.product_id for row in failed]}")


def apply_stock_changes(request: ApplyStockChanges) -> AppliedStockChanges:
    digest = request_hash(request)
    product_ids = [line.product_id for line in request.lines]
    decremented = [line.product_id for line in request.lines if line.delta < 0]
    for attempt in range(MAX_ATTEMPTS):
        catalogue = dal.products(decremented)
        rows = dal.stock_rows(request.location_id, product_ids)
        problem = refusal(request, catalogue, rows)
        if problem is not None:
            earlier = replay(request, digest)  # a retry of what was applied: its answer, not a refusal
            if earlier is not None:
                return earlier
            raise problem
        lines = [
            AppliedLine(
                product_id=line.product_id,
                delta=line.delta,
                available_before=rows[line.product_id].available,
                available_after=rows[line.product_id].available + line.delta,
                reorder_level=rows[line.product_id].reorder_level,
                **(
                    {"unit_price": catalogue[line.product_id].price, "name": catalogue[line.product_id].name,
                     "sku": catalogue[line.product_id].sku}
                    if line.delta < 0 else {}
                ),
            )
            for line in request.lines
        ]
        answer = AppliedStockChanges(reference=request.reference, location_id=request.location_id, lines=lines)
        now = utcnow()
        applied = AppliedChanges(
            reference=request.reference, request_hash=digest, result=answer.model_dump_json(), created_at=now,
            kind=request.kind,
        )
        changes = [dal.RowChange(line.product_id, line.delta, line.available_before) for line in lines]
        try:
            dal.apply_changes(applied, changes, location_id=request.location_id, kind=request.kind,
                              reason=request.reason, now=now)
        except dal.AlreadyApplied:
            earlier = replay(request, digest)
            if earlier is None:  # the record was there a moment ago: it cannot vanish
                raise RuntimeError(f"applied#{request.reference} refused the write but cannot be read") from None
            return earlier
        except dal.RowsRefused as exc:  # the stock changed between our read and the write
            raise refused_rows(request.location_id, {line.product_id: line.delta for line in request.lines}, exc.rows) from None
        except TransactionConflictError:
            logger.info("stock transaction conflicted, retrying", extra={"reference": request.reference, "attempt": attempt})
            time.sleep(backoff(attempt))
            continue
        logger.info("stock changes applied", extra={"reference": request.reference, "location_id": request.location_id,
                                                    "kind": request.kind, "lines": len(lines)})
        return answer
    raise ConcurrentModificationError(f"the stock at {request.location_id} keeps changing; retry")


def cancel_stock_changes(request: CancelStockChanges) -> CancelledStockChanges:
    """Undo what ``reference`` applied (one transaction: the reverse of each line, journaled as
    ``<kind>-undo``), or, when nothing was applied under it, record the reference as cancelled so
    that an apply arriving later (an invoke that timed out on the caller's side but still runs)
    is refused. Cancelling twice answers the first cancellation again (``replayed``)."""
    reference = request.reference
    for attempt in range(MAX_ATTEMPTS):
        marker = dal.get_applied(reference)
        if marker is None:
            try:
                dal.put_cancelled(reference, utcnow())
            except dal.AlreadyApplied:  # the apply got there first: undo it
                continue
            logger.info("stock changes cancelled before any apply", extra={"reference": reference})
            return CancelledStockChanges(reference=reference, outcome="never_applied")
        if marker.cancelled_at is not None:
            return CancelledStockChanges(reference=reference, outcome="undone" if marker.result else "never_applied",
                                         replayed=True)
        applied = AppliedStockChanges.model_validate_json(marker.result)
        location_id = applied.location_id
        rows = dal.stock_rows(location_id, [line.product_id for line in applied.lines])
        lines = []
        for line in applied.lines:
            row = rows.get(line.product_id)  # a missing row: the transaction's condition refuses it
            before = row.available if row is not None else 0
            lines.append(AppliedLine(product_id=line.product_id, delta=-line.delta, available_before=before,
                                     available_after=before - line.delta,
                                     reorder_level=row.reorder_level if row is not None else line.reorder_level))
        changes = [dal.RowChange(line.product_id, line.delta, line.available_before) for line in lines]
        try:
            dal.undo_changes(reference, changes, location_id=location_id, kind=f"{marker.kind or 'stock'}-undo",
                             reason=request.reason, now=utcnow())
        except dal.AlreadyCancelled:  # cancelled concurrently: answer from the record
            continue
        except dal.RowsRefused as exc:  # e.g. the units a return put back were sold since
            raise refused_rows(location_id, {line.product_id: line.delta for line in lines}, exc.rows) from None
        except TransactionConflictError:
            logger.info("undo transaction conflicted, retrying", extra={"reference": reference, "attempt": attempt})
            time.sleep(backoff(attempt))
            continue
        logger.info("stock changes undone", extra={"reference": reference, "location_id": location_id,
                                                   "lines": len(lines)})
        return CancelledStockChanges(reference=reference, outcome="undone", location_id=location_id, lines=lines)
    raise ConcurrentModificationError(f"the stock changes of {reference} keep changing; retry the cancellation")


# ---------------------------------------------------------------- locations
def location_of(location: StockLocation, *, replayed: bool = False) -> Location:
    return Location(location_id=location.location_id, name=location.name, kind=location.kind, address=location.address,
                    replayed=replayed)


def open_location(request: OpenLocation) -> Location:
    location = StockLocation(
        location_id=request.location_id, name=request.name, kind=request.kind, address=request.address,
        created_at=utcnow(), opened_by=request.reference,
    )
    if dal.put_location(location):
        logger.info("location opened", extra={"location_id": request.location_id, "reference": request.reference})
        return location_of(location)
    existing = dal.get_location(request.location_id)
    if existing is not None and existing.opened_by == request.reference:
        return location_of(existing, replayed=True)
    raise LocationExists(request.location_id)


def close_location(request: CloseLocation) -> Location:
    if dal.delete_location(request.location_id, request.reference):
        logger.info("location closed", extra={"location_id": request.location_id, "reference": request.reference})
        return Location(location_id=request.location_id)
    if dal.get_location(request.location_id) is None:
        return Location(location_id=request.location_id, replayed=True)
    raise ReferenceConflict(request.reference)
