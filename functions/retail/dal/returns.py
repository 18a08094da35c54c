"""Reads and writes of returns and of the per-sale-line returned-quantity guards."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import TransactWriteError

from retail.dal.stock import Layout, StockChange, add_stock_change
from retail.dal.tables import RetailRegistry, ReturnRecord
from shared.dynamo import transact_write
from shared.pagination import Key, paginate, scope_of

RETURNED_PREFIX = "returned#"


def returned_key(sale_id: int, product_id: int) -> str:
    return f"{RETURNED_PREFIX}{sale_id}#{product_id}"


@dataclass(frozen=True)
class ReturnedGuard:
    """``units`` of ``product_id`` come back from a sale line of ``sold`` units."""

    product_id: int
    units: int
    sold: int


def returned_quantities(sale_id: int, product_ids: Iterable[int]) -> dict[int, int]:
    """Units of each product of the sale already returned (consistent read)."""
    keys = {returned_key(sale_id, pid): pid for pid in set(product_ids)}
    found = {pid: 0 for pid in keys.values()}
    for item in RetailRegistry.batch_get(list(keys), consistent_read=True):
        found[keys[item.pk]] = int(item.counter or 0)
    return found


def write_return(
    record: ReturnRecord,
    changes: Sequence[StockChange],
    guards: Sequence[ReturnedGuard],
    *,
    location_id: str,
    now: datetime,
) -> None:
    """Put the return, put the units back in stock and count them as returned, all or nothing.

    Per line: a stock movement put, a stock increment (the row must exist) and the guard update
    ``ADD counter :units`` conditioned on ``counter <= sold - units`` (or no guard yet): two
    concurrent returns of the same units cannot both pass it. Raises ``ConditionFailedError``
    (``guards`` lists the lines over the sold quantity, with the guard as it was),
    ``TransactionConflictError`` (retry) or the original error.
    """
    layout = Layout(lines=len(changes), puts=1 + len(changes))
    try:
        with transact_write() as tx:
            tx.save(record, condition=ReturnRecord.return_id.does_not_exist())
            for change in changes:
                add_stock_change(
                    tx,
                    change,
                    location_id=location_id,
                    kind="return",
                    reason=f"return {record.return_id} of sale {record.sale_id}",
                    now=now,
                )
            for guard in guards:  # updates after the stock updates (Layout.guard_index)
                tx.update(
                    RetailRegistry(returned_key(record.sale_id, guard.product_id)),
                    actions=[RetailRegistry.counter.add(guard.units), RetailRegistry.owner_id.set(record.sale_id)],
                    condition=RetailRegistry.counter.does_not_exist() | (RetailRegistry.counter <= guard.sold - guard.units),
                    return_values="ALL_OLD",
                )
    except TransactWriteError as exc:
        raise layout.classify(exc, with_guards=True) from None


def get_return(return_id: int) -> ReturnRecord | None:
    try:
        return ReturnRecord.get(return_id, consistent_read=True)
    except ReturnRecord.DoesNotExist:
        return None


def list_returns(
    *, limit: int, next_token: str | None, sale_id: int | None, store_id: int | None
) -> tuple[list[ReturnRecord], str | None]:
    """Returns of a sale (Query ``sale-index``), of a store newest first (Query
    ``store-date-index``), or all of them (Scan)."""
    scope = scope_of("returns", sale_id=sale_id, store_id=store_id)
    if sale_id is not None:

        def by_sale(start: Key | None, page_size: int) -> Iterator[ReturnRecord]:
            return ReturnRecord.by_sale.query(
                sale_id,
                filter_condition=(ReturnRecord.store_id == store_id) if store_id is not None else None,
                last_evaluated_key=start,
                page_size=page_size,
            )

        return paginate(by_sale, limit=limit, next_token=next_token, scope=scope, key_names=("return_id", "sale_id"))
    if store_id is not None:

        def by_store(start: Key | None, page_size: int) -> Iterator[ReturnRecord]:
            return ReturnRecord.by_store.query(
                store_id, scan_index_forward=False, last_evaluated_key=start, page_size=page_size
            )

        return paginate(
            by_store, limit=limit, next_token=next_token, scope=scope, key_names=("return_id", "store_id", "created_at")
        )
    return paginate(
        lambda start, size: ReturnRecord.scan(last_evaluated_key=start, page_size=size),
        limit=limit,
        next_token=next_token,
        scope=scope,
        key_names=("return_id",),
    )
