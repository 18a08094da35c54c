"""Sales: the business rules.

- A sale happens at a store's cash register: the store must exist and the register must belong
  to it (422 ``invalid_reference``); every product must exist and not be deleted (422
  ``invalid_reference``, naming the lines).
- Unit prices are the catalogue's at the time of the sale, never the client's; line totals and
  the total are exact decimals (2 places). There are no discounts.
- Stock is taken from the store's location (``store-N``) for every line in ONE transaction,
  each line conditioned on ``available >= quantity``: all lines or none. A line short of stock
  is a 409 ``insufficient_stock`` naming every short product and what is available, and
  nothing is written. A transaction that collides with a concurrent one is retried.
- Metrics: ``SalesCreated``, ``ProductsSold`` (units), ``SaleValue`` (the total), and
  ``LowStockAlerts`` for each stock row the sale takes to or below its reorder level.
"""

from __future__ import annotations

import random
import time

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from retail.dal import inventory as inventory_dal
from retail.dal import sales as dal
from retail.dal import stores as stores_dal
from retail.dal.stock import ConditionFailedError, StockChange, TransactionConflictError, number
from retail.dal.tables import SaleLine, SaleRecord
from retail.errors import InsufficientStockError, RegisterNotInStoreError, Shortage, unknown_products_error
from retail.logic import rules
from retail.logic.stores import require_store
from retail.schemas import SaleCreate, SaleOut, SalePage
from shared.caller import EVERY_STORE, Caller
from shared.dynamo import utcnow
from shared.errors import ConcurrentModificationError, NotFoundError

MAX_ATTEMPTS = 8  # transactions cancelled by a concurrent one (TransactionConflict)

logger = Logger(child=True)
metrics = Metrics()


def backoff(attempt: int) -> float:
    """Seconds to wait before retrying a conflicting transaction (full jitter)."""
    return random.uniform(0, min(0.2, 0.01 * 2**attempt))


def sale_record(
    sale_id: int, store_id: int, register_id: int, priced: list[rules.PricedLine], created_at: str, sale_date: str
) -> SaleRecord:
    return SaleRecord(
        sale_id,
        store_id=store_id,
        register_id=register_id,
        created_at=created_at,
        sale_date=sale_date,
        lines=[
            SaleLine(
                product_id=line.product_id,
                quantity=line.quantity,
                unit_price=line.unit_price,
                line_total=line.line_total,
            )
            for line in priced
        ],
        total=rules.sale_total(priced),
        item_count=rules.item_count(priced),
    )


def create_sale(request: SaleCreate, caller: Caller = EVERY_STORE) -> SaleOut:
    caller.check_store(request.store_id)
    store = require_store(request.store_id, ["body", "store_id"])
    if stores_dal.get_register(store.store_id, request.register_id) is None:
        raise RegisterNotInStoreError(request.register_id, store.store_id)
    requested = [(line.product_id, line.quantity) for line in request.lines]
    products = inventory_dal.live_products(pid for pid, _ in requested)
    unknown = [(index, pid) for index, (pid, _) in enumerate(requested) if pid not in products]
    if unknown:
        raise unknown_products_error(unknown)
    priced = rules.price_lines(requested, {pid: product.price for pid, product in products.items()})
    location_id = store.location_id
    sale_id = stores_dal.next_id("sale")[0]

    for attempt in range(MAX_ATTEMPTS):
        rows = inventory_dal.stock_rows(location_id, list(products))
        shortages = rules.find_shortages(requested, {pid: row.available for pid, row in rows.items()})
        if shortages:  # early answer naming every short line; the transaction's conditions decide
            raise InsufficientStockError(location_id, shortages)
        changes = [StockChange(pid, -qty, rows[pid].available, rows[pid].reorder_level) for pid, qty in requested]
        now = utcnow()
        record = sale_record(sale_id, store.store_id, request.register_id, priced, rules.timestamp(now), rules.day(now))
        try:
            dal.write_sale(record, changes, location_id=location_id, now=now)
            break
        except ConditionFailedError as exc:  # the stock changed between our read and the write
            deleted = [(f.line, requested[f.line][0]) for f in exc.stock if f.old_item and "discontinued" in f.old_item]
            if deleted:
                raise unknown_products_error(deleted) from None
            raise InsufficientStockError(
                location_id,
                [
                    Shortage(f.line, requested[f.line][0], requested[f.line][1], number(f.old_item, "available"))
                    for f in exc.stock
                ],
            ) from None
        except TransactionConflictError:
            logger.info("sale transaction conflicted, retrying", extra={"sale_id": sale_id, "attempt": attempt})
            time.sleep(backoff(attempt))
    else:
        raise ConcurrentModificationError(f"the stock of store {store.store_id} keeps changing; retry the sale")

    metrics.add_metric(name="SalesCreated", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ProductsSold", unit=MetricUnit.Count, value=record.item_count)
    metrics.add_metric(name="SaleValue", unit=MetricUnit.NoUnit, value=float(record.total))
    for change in changes:
        if rules.crossed_into_low_stock(change.available_before, change.available_after, change.reorder_level):
            metrics.add_metric(name="LowStockAlerts", unit=MetricUnit.Count, value=1)
            logger.warning(
                "low stock",
                extra={"product_id": change.product_id, "location_id": location_id, "available": change.available_after},
            )
    logger.info(
        "sale created",
        extra={"sale_id": sale_id, "store_id": store.store_id, "total": str(record.total), "lines": len(priced)},
    )
    return SaleOut.model_validate(record)


def get_sale(sale_id: int, caller: Caller = EVERY_STORE) -> SaleOut:
    record = dal.get_sale(sale_id)
    if record is None:
        raise NotFoundError("sale", sale_id)
    caller.check_store(record.store_id)
    return SaleOut.model_validate(record)


def list_sales(
    *, limit: int, next_token: str | None, store_id: int | None, date_from: str | None, date_to: str | None,
    caller: Caller = EVERY_STORE,
) -> SalePage:
    period = rules.parse_period(date_from, date_to)
    store_id = caller.store_filter(store_id)
    if store_id is not None:
        require_store(store_id, ["query", "store_id"])
    created_from, created_to = period.created_at_bounds() if period.bounded else (None, None)
    records, token = dal.list_sales(
        limit=limit, next_token=next_token, store_id=store_id, created_from=created_from, created_to=created_to
    )
    return SalePage(items=[SaleOut.model_validate(record) for record in records], next_token=token)
