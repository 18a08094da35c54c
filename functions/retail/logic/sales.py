"""Sales: the business rules.

- A sale happens at a store's cash register: the store must exist and the register must belong
  to it (422 ``invalid_reference``); every product must exist and not be deleted (422
  ``invalid_reference``, naming the lines).
- Unit prices are the catalogue's at the time of the sale, never the client's; line totals and
  the total are exact decimals (2 places). There are no discounts.
- Stock is inventory's: the sale asks inventory's interface to take every line's units from the
  store's location (``store-N``) in ONE inventory transaction, each line conditioned on
  ``available >= quantity``: all lines or none (the same call answers the catalogue prices it
  used: one invoke per sale). A line short of stock is a 409 ``insufficient_stock`` naming every
  short product and what is available, and nothing is written. The stock change is idempotent by
  its reference ``sale-<sale_id>`` (an invoke the SDK retries takes the units once).
- Then the sale is written (retail's table). If that fails, or if inventory never answered (a
  timeout: the units may or may not have been taken), the reference is cancelled (the units come
  back if they were taken; a late take is refused) and the error is answered: a failed sale
  leaves nothing behind.
- Metrics: ``SalesCreated``, ``ProductsSold`` (units), ``SaleValue`` (the total), and
  ``LowStockAlerts`` for each stock row the sale takes to or below its reorder level.
"""

from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from retail.dal import inventory as inventory_dal
from retail.dal import sales as dal
from retail.dal import stores as stores_dal
from retail.errors import RegisterNotInStoreError, unknown_products_error
from retail.logic import rules
from retail.logic.stores import require_store
from retail.models import Sale, SaleLine
from retail.schemas import SaleCreate, SaleOut, SalePage
from shared.caller import EVERY_STORE, Caller
from shared.contracts.inventory import AppliedStockChanges, InventoryRefusal, InventoryUnavailable, MovementKind
from shared.errors import AppError, InsufficientStock, NotFoundError, Shortage
from shared.models import now

logger = Logger(child=True)
metrics = Metrics()


def refusal_of_lines(exc: InventoryRefusal, requested: list[tuple[int, int]]) -> Exception:
    """The API error an inventory refusal of a request's lines is (unknown or deleted products
    name their lines; anything else is not the client's doing)."""
    if exc.error_type == "ProductNotFound":
        gone = set(exc.product_ids())
        return unknown_products_error([(index, pid) for index, (pid, _) in enumerate(requested) if pid in gone])
    return InventoryUnavailable(str(exc))


def shortage_of_lines(exc: InsufficientStock, requested: list[tuple[int, int]]) -> InsufficientStock:
    """Inventory's refusal with the request's line numbers (``details[].loc``)."""
    line_of = {pid: index for index, (pid, _) in enumerate(requested)}
    return InsufficientStock(
        exc.location_id,
        [Shortage(s.product_id, s.requested, s.available, line=line_of.get(s.product_id)) for s in exc.shortages],
    )


def take_stock(sale_id: int, store_id: int, register_id: int, location_id: str,
               requested: list[tuple[int, int]]) -> AppliedStockChanges:
    """Take every line's units at ``location_id`` (one inventory transaction, reference ``sale-<id>``)."""
    try:
        return change_stock(
            f"sale-{sale_id}", location_id, [(pid, -qty) for pid, qty in requested], kind="sale",
            reason=f"sale {sale_id} (store {store_id}, register {register_id})",
        )
    except InsufficientStock as exc:
        raise shortage_of_lines(exc, requested) from None
    except InventoryRefusal as exc:
        raise refusal_of_lines(exc, requested) from None


def change_stock(reference: str, location_id: str, lines: list[tuple[int, int]], *, kind: MovementKind,
                 reason: str) -> AppliedStockChanges:
    """Apply ``lines`` under ``reference`` through inventory's interface. An answer (applied, or
    refused: nothing was applied) goes back to the caller; without one (a timeout, throttling)
    the changes may or may not stand, so the reference is taken back before the error goes on."""
    try:
        return inventory_dal.change_stock(reference, location_id, lines, kind=kind, reason=reason)
    except (AppError, InventoryRefusal):
        raise
    except Exception:
        take_back(reference, f"{reference}: inventory did not answer")
        raise


def take_back(reference: str, reason: str) -> None:
    """Compensation: cancel the stock changes of ``reference`` (reversed if they were applied, a
    late apply refused if not); a failure is logged (the original error is what the client
    gets), with what a person must put right."""
    try:
        inventory_dal.cancel_stock_changes(reference, reason)
    except Exception:
        logger.exception("compensation failed: the stock changes of this reference may stand",
                         extra={"reference": reference})


def new_sale(sale_id: int, store_id: int, register_id: int, priced: list[rules.PricedLine], at: datetime) -> Sale:
    """The sale of ``priced`` lines made ``at`` (UTC, milliseconds: ``shared.models.now``)."""
    return Sale(
        sale_id=sale_id,
        store_id=store_id,
        register_id=register_id,
        created_at=at,
        sale_date=rules.day(at),
        lines=[SaleLine.model_validate(line) for line in priced],
        total=rules.sale_total(priced),
        item_count=rules.item_count(priced),
    )


def create_sale(request: SaleCreate, caller: Caller = EVERY_STORE) -> SaleOut:
    caller.check_store(request.store_id)
    store = require_store(request.store_id, ["body", "store_id"])
    if stores_dal.get_register(store.store_id, request.register_id) is None:
        raise RegisterNotInStoreError(request.register_id, store.store_id)
    requested = [(line.product_id, line.quantity) for line in request.lines]
    location_id = store.location_id
    sale_id = stores_dal.next_id("sale")[0]

    applied = take_stock(sale_id, store.store_id, request.register_id, location_id, requested)
    priced = rules.price_lines(requested, {line.product_id: line.unit_price for line in applied.lines})
    sale = new_sale(sale_id, store.store_id, request.register_id, priced, now())
    try:
        dal.put_sale(sale)
    except Exception:
        take_back(f"sale-{sale_id}", f"sale {sale_id} could not be recorded: units back")
        raise

    metrics.add_metric(name="SalesCreated", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ProductsSold", unit=MetricUnit.Count, value=sale.item_count)
    metrics.add_metric(name="SaleValue", unit=MetricUnit.NoUnit, value=float(sale.total))
    for line in applied.lines:
        if rules.crossed_into_low_stock(line.available_before, line.available_after, line.reorder_level):
            metrics.add_metric(name="LowStockAlerts", unit=MetricUnit.Count, value=1)
            logger.warning(
                "low stock",
                extra={"product_id": line.product_id, "location_id": location_id, "available": line.available_after},
            )
    logger.info(
        "sale created",
        extra={"sale_id": sale_id, "store_id": store.store_id, "total": str(sale.total), "lines": len(priced)},
    )
    return SaleOut.model_validate(sale)


def get_sale(sale_id: int, caller: Caller = EVERY_STORE) -> SaleOut:
    sale = dal.get_sale(sale_id)
    if sale is None:
        raise NotFoundError("sale", sale_id)
    caller.check_store(sale.store_id)
    return SaleOut.model_validate(sale)


def list_sales(
    *, limit: int, next_token: str | None, store_id: int | None, date_from: str | None, date_to: str | None,
    caller: Caller = EVERY_STORE,
) -> SalePage:
    period = rules.parse_period(date_from, date_to)
    store_id = caller.store_filter(store_id)
    if store_id is not None:
        require_store(store_id, ["query", "store_id"])
    created_from, created_to = period.created_at_bounds() if period.bounded else (None, None)
    sales, token = dal.list_sales(
        limit=limit, next_token=next_token, store_id=store_id, created_from=created_from, created_to=created_to
    )
    return SalePage(items=[SaleOut.model_validate(sale) for sale in sales], next_token=token)
