"""Returns: the business rules.

- A return names an existing sale (422 ``invalid_reference``) and products sold on it (422
  ``invalid_reference`` for a product not on the sale); each product once.
- Each line is refunded at the unit price of the sale line (``refund_amount = unit_price *
  quantity``); ``refund_total`` is their sum.
- Returning more than was sold, or the same units twice (even by two concurrent requests), is a
  409 ``return_exceeds_sale`` and nothing is written: per sale line a "returned quantity" guard
  (retail's registry) is raised first, every line in ONE transaction, each conditioned on
  ``returned + quantity <= sold``.
- Then the units go back to the stock of the sale's store through inventory's interface (one
  inventory transaction, reference ``return-<return_id>``; a store without the product's stock
  row: 409 ``stock_row_missing``), then the return is written. A step that fails undoes the
  ones before it (the guards come down; the reference ``return-<return_id>`` is cancelled: the
  units leave again if they came back, and if inventory never answered a late apply is
  refused): a failed return leaves nothing behind.
- Metrics: ``ReturnsCreated``, ``ProductsReturned`` (units), ``RefundValue``.
"""

from __future__ import annotations

import time
from datetime import datetime

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from retail.dal import returns as dal
from retail.dal import sales as sales_dal
from retail.dal import stores as stores_dal
from retail.dal.returns import GuardsRefused, ReturnedGuard
from retail.errors import Excess, ReturnExceedsSaleError
from retail.logic import rules
from retail.logic.sales import change_stock, refusal_of_lines, take_back
from retail.logic.stores import require_store
from retail.models import Return, ReturnLine, Sale
from retail.schemas import ReturnCreate, ReturnOut, ReturnPage
from shared.caller import EVERY_STORE, Caller
from shared.contracts.inventory import InventoryRefusal
from shared.dynamo import TransactionConflictError, backoff, raw_number
from shared.errors import ConcurrentModificationError, InvalidReferenceError, NotFoundError
from shared.models import now

MAX_ATTEMPTS = 8  # guard transactions cancelled by a concurrent one (TransactionConflict)

logger = Logger(child=True)
metrics = Metrics()


def sold_lines(sale: Sale) -> list[rules.SoldLine]:
    return [rules.SoldLine(line.product_id, line.quantity, line.unit_price) for line in sale.lines]


def new_return(return_id: int, sale: Sale, refunds: list[rules.RefundLine], reason: str | None, at: datetime) -> Return:
    """The return of ``refunds`` from ``sale`` made ``at`` (UTC, milliseconds: ``shared.models.now``)."""
    return Return(
        return_id=return_id,
        sale_id=sale.sale_id,
        store_id=sale.store_id,
        created_at=at,
        return_date=rules.day(at),
        lines=[ReturnLine.model_validate(line) for line in refunds],
        refund_total=rules.refund_total(refunds),
        reason=reason,
    )


def claim_returned(sale: Sale, request: ReturnCreate) -> list[rules.RefundLine]:
    """Raise the returned-quantity guards of every line (all or none); the refund lines."""
    sold = sold_lines(sale)
    requested = [(line.product_id, line.quantity) for line in request.lines]
    for attempt in range(MAX_ATTEMPTS):
        already = dal.returned_quantities(sale.sale_id, [pid for pid, _ in requested])
        refunds = rules.compute_refund(sale.sale_id, sold, requested, already)  # 422 / 409 early answers
        try:
            dal.claim_returned(sale.sale_id, guards_of(refunds))
            return refunds
        except GuardsRefused as exc:  # a concurrent return took these units back first
            raise ReturnExceedsSaleError(
                sale.sale_id,
                [
                    Excess(line, refunds[line].product_id, refunds[line].sold, raw_number(old, "counter"), refunds[line].quantity)
                    for line, old in exc.lines
                ],
            ) from None
        except TransactionConflictError:
            logger.info("return guards conflicted, retrying", extra={"sale_id": sale.sale_id, "attempt": attempt})
            time.sleep(backoff(attempt))
    raise ConcurrentModificationError(f"the returns of sale {sale.sale_id} keep changing; retry the return")


def guards_of(refunds: list[rules.RefundLine]) -> list[ReturnedGuard]:
    return [ReturnedGuard(r.product_id, r.quantity, r.sold) for r in refunds]


def unclaim_returned(sale: Sale, refunds: list[rules.RefundLine]) -> None:
    """Compensation: the guards come down again (a failure is logged; the original error is answered)."""
    try:
        dal.unclaim_returned(sale.sale_id, guards_of(refunds))
    except Exception:
        logger.exception("compensation failed: returned quantities not restored",
                         extra={"sale_id": sale.sale_id, "lines": [(r.product_id, r.quantity) for r in refunds]})


def create_return(request: ReturnCreate, caller: Caller = EVERY_STORE) -> ReturnOut:
    sale = sales_dal.get_sale(request.sale_id)
    if sale is None:
        raise InvalidReferenceError(["body", "sale_id"], "sale", request.sale_id)
    caller.check_store(sale.store_id)
    store = stores_dal.get_store(sale.store_id)
    location_id = store.location_id if store is not None else rules.location_of_store(sale.store_id)

    refunds = claim_returned(sale, request)
    lines = [(r.product_id, r.quantity) for r in refunds]
    return_id = stores_dal.next_id("return")[0]
    reference = f"return-{return_id}"
    try:
        change_stock(reference, location_id, lines, kind="return", reason=f"return {return_id} of sale {sale.sale_id}")
    except Exception as exc:
        unclaim_returned(sale, refunds)
        if isinstance(exc, InventoryRefusal):
            raise refusal_of_lines(exc, lines) from None
        raise
    returned = new_return(return_id, sale, refunds, request.reason, now())
    try:
        dal.put_return(returned)
    except Exception:
        take_back(reference, f"return {return_id} could not be recorded: units out again")
        unclaim_returned(sale, refunds)
        raise

    units = sum(line.quantity for line in refunds)
    metrics.add_metric(name="ReturnsCreated", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ProductsReturned", unit=MetricUnit.Count, value=units)
    metrics.add_metric(name="RefundValue", unit=MetricUnit.NoUnit, value=float(returned.refund_total))
    logger.info(
        "return created",
        extra={"return_id": returned.return_id, "sale_id": sale.sale_id, "refund_total": str(returned.refund_total)},
    )
    return ReturnOut.model_validate(returned)


def get_return(return_id: int, caller: Caller = EVERY_STORE) -> ReturnOut:
    returned = dal.get_return(return_id)
    if returned is None:
        raise NotFoundError("return", return_id)
    caller.check_store(returned.store_id)
    return ReturnOut.model_validate(returned)


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
    returns, token = dal.list_returns(limit=limit, next_token=next_token, sale_id=sale_id, store_id=store_id)
    return ReturnPage(items=[ReturnOut.model_validate(returned) for returned in returns], next_token=token)
