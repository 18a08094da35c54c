"""Returns: the business rules.

- A return names an existing sale (422 ``invalid_reference``) and products sold on it (422
  ``invalid_reference`` for a product not on the sale); each product once.
- Each line is refunded at the unit price of the sale line (``refund_amount = unit_price *
  quantity``); ``refund_total`` is their sum.
- The units go back to the stock of the sale's store, in ONE transaction with the return
  record, the stock movements and a per-sale-line "returned quantity" guard conditioned on
  ``returned + quantity <= sold``: returning more than was sold, or the same units twice (even
  by two concurrent requests), is a 409 ``return_exceeds_sale`` and nothing is written.
- Metrics: ``ReturnsCreated``, ``ProductsReturned`` (units), ``RefundValue``.
"""

from __future__ import annotations

import time

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from retail.dal import inventory as inventory_dal
from retail.dal import returns as dal
from retail.dal import sales as sales_dal
from retail.dal import stores as stores_dal
from retail.dal.returns import ReturnedGuard
from retail.dal.stock import ConditionFailedError, StockChange, TransactionConflictError, number
from retail.dal.tables import ReturnLine, ReturnRecord, SaleRecord
from retail.errors import Excess, ReturnExceedsSaleError, StockRowMissingError
from retail.logic import rules
from retail.logic.sales import MAX_ATTEMPTS, backoff
from retail.logic.stores import require_store
from retail.schemas import ReturnCreate, ReturnOut, ReturnPage
from shared.caller import EVERY_STORE, Caller
from shared.dynamo import utcnow
from shared.errors import ConcurrentModificationError, InvalidReferenceError, NotFoundError

logger = Logger(child=True)
metrics = Metrics()


def sold_lines(sale: SaleRecord) -> list[rules.SoldLine]:
    return [rules.SoldLine(line.product_id, line.quantity, line.unit_price) for line in sale.lines]


def return_record(
    return_id: int, sale: SaleRecord, refunds: list[rules.RefundLine], reason: str | None, created_at: str, return_date: str
) -> ReturnRecord:
    return ReturnRecord(
        return_id,
        sale_id=sale.sale_id,
        store_id=sale.store_id,
        created_at=created_at,
        return_date=return_date,
        lines=[
            ReturnLine(product_id=line.product_id, quantity=line.quantity, refund_amount=line.refund_amount)
            for line in refunds
        ],
        refund_total=rules.refund_total(refunds),
        reason=reason,
    )


def create_return(request: ReturnCreate, caller: Caller = EVERY_STORE) -> ReturnOut:
    sale = sales_dal.get_sale(request.sale_id)
    if sale is None:
        raise InvalidReferenceError(["body", "sale_id"], "sale", request.sale_id)
    caller.check_store(sale.store_id)
    store = stores_dal.get_store(sale.store_id)
    location_id = store.location_id if store is not None else rules.location_of_store(sale.store_id)
    sold = sold_lines(sale)
    requested = [(line.product_id, line.quantity) for line in request.lines]
    product_ids = [pid for pid, _ in requested]
    return_id: int | None = None

    for attempt in range(MAX_ATTEMPTS):
        already = dal.returned_quantities(sale.sale_id, product_ids)
        refunds = rules.compute_refund(sale.sale_id, sold, requested, already)  # 422 / 409 early answers
        rows = inventory_dal.stock_rows(location_id, product_ids)
        missing = [pid for pid in product_ids if pid not in rows]
        if missing:
            raise StockRowMissingError(f"{location_id} has no stock row for product(s) {missing}")
        if return_id is None:
            return_id = stores_dal.next_id("return")[0]
        changes = [StockChange(r.product_id, r.quantity, rows[r.product_id].available, rows[r.product_id].reorder_level) for r in refunds]
        guards = [ReturnedGuard(r.product_id, r.quantity, r.sold) for r in refunds]
        now = utcnow()
        record = return_record(return_id, sale, refunds, request.reason, rules.timestamp(now), rules.day(now))
        try:
            dal.write_return(record, changes, guards, location_id=location_id, now=now)
            break
        except ConditionFailedError as exc:
            if exc.guards:  # a concurrent return took these units back first
                raise ReturnExceedsSaleError(
                    sale.sale_id,
                    [
                        Excess(
                            f.line,
                            refunds[f.line].product_id,
                            refunds[f.line].sold,
                            number(f.old_item, "counter"),
                            refunds[f.line].quantity,
                        )
                        for f in exc.guards
                    ],
                ) from None
            raise StockRowMissingError(
                f"{location_id} has no stock row for product(s) {[refunds[f.line].product_id for f in exc.stock]}"
            ) from None
        except TransactionConflictError:
            logger.info("return transaction conflicted, retrying", extra={"return_id": return_id, "attempt": attempt})
            time.sleep(backoff(attempt))
    else:
        raise ConcurrentModificationError(f"sale {sale.sale_id} or its store's stock keeps changing; retry the return")

    units = sum(line.quantity for line in refunds)
    metrics.add_metric(name="ReturnsCreated", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ProductsReturned", unit=MetricUnit.Count, value=units)
    metrics.add_metric(name="RefundValue", unit=MetricUnit.NoUnit, value=float(record.refund_total))
    logger.info(
        "return created",
        extra={"return_id": record.return_id, "sale_id": sale.sale_id, "refund_total": str(record.refund_total)},
    )
    return ReturnOut.model_validate(record)


def get_return(return_id: int, caller: Caller = EVERY_STORE) -> ReturnOut:
    record = dal.get_return(return_id)
    if record is None:
        raise NotFoundError("return", return_id)
    caller.check_store(record.store_id)
    return ReturnOut.model_validate(record)


def list_returns(*, limit: int, next_token: str | None, sale_id: int | None, store_id: int | None,
                 caller: Caller = EVERY_STORE) -> ReturnPage:
    if sale_id is not None:
        sale = sales_dal.get_sale(sale_id)
        if sale is None:
            raise InvalidReferenceError(["query", "sale_id"], "sale", sale_id)
        caller.check_store(sale.store_id)
        if store_id is not None:
            caller.check_store(store_id)
    else:
        store_id = caller.store_filter(store_id)
    if store_id is not None:
        require_store(store_id, ["query", "store_id"])
    records, token = dal.list_returns(limit=limit, next_token=next_token, sale_id=sale_id, store_id=store_id)
    return ReturnPage(items=[ReturnOut.model_validate(record) for record in records], next_token=token)
