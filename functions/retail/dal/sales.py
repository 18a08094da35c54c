"""Reads and writes of sales: the one-transaction sale, lookups and listings."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from pynamodb.exceptions import TransactWriteError

from retail.dal.stock import Layout, StockChange, add_stock_change
from retail.dal.tables import SaleRecord
from shared.dynamo import transact_write
from shared.pagination import Key, paginate, scope_of


def write_sale(sale: SaleRecord, changes: Sequence[StockChange], *, location_id: str, now: datetime) -> None:
    """Put the sale and take every line's units from the store's stock, all or nothing.

    One TransactWriteItems: the sale put (``sale_id`` unused), then per line a stock movement
    put and a stock update conditioned on ``available >= quantity``. Raises
    ``ConditionFailedError`` (lines short of stock, with the rows as they were),
    ``TransactionConflictError`` (retry) or the original error.
    """
    layout = Layout(lines=len(changes), puts=1 + len(changes))
    try:
        with transact_write() as tx:
            tx.save(sale, condition=SaleRecord.sale_id.does_not_exist())
            for change in changes:
                add_stock_change(
                    tx,
                    change,
                    location_id=location_id,
                    kind="sale",
                    reason=f"sale {sale.sale_id} (store {sale.store_id}, register {sale.register_id})",
                    now=now,
                )
    except TransactWriteError as exc:
        raise layout.classify(exc) from None


def get_sale(sale_id: int) -> SaleRecord | None:
    try:
        return SaleRecord.get(sale_id, consistent_read=True)
    except SaleRecord.DoesNotExist:
        return None


def list_sales(
    *,
    limit: int,
    next_token: str | None,
    store_id: int | None,
    created_from: str | None,
    created_to: str | None,
) -> tuple[list[SaleRecord], str | None]:
    """A store's sales newest first (Query ``store-date-index``), or all sales (Scan, key order).

    ``created_from``/``created_to`` bound ``created_at`` (inclusive text bounds).
    """
    scope = scope_of("sales", store_id=store_id, created_from=created_from, created_to=created_to)
    bounded = created_from is not None and created_to is not None
    if store_id is not None:

        def run(start: Key | None, page_size: int) -> Iterator[SaleRecord]:
            return SaleRecord.by_store.query(
                store_id,
                SaleRecord.created_at.between(created_from, created_to) if bounded else None,
                scan_index_forward=False,
                last_evaluated_key=start,
                page_size=page_size,
            )

        return paginate(
            run, limit=limit, next_token=next_token, scope=scope, key_names=("sale_id", "store_id", "created_at")
        )

    def scan(start: Key | None, page_size: int) -> Iterator[SaleRecord]:
        return SaleRecord.scan(
            SaleRecord.created_at.between(created_from, created_to) if bounded else None,
            last_evaluated_key=start,
            page_size=page_size,
        )

    return paginate(
        scan,
        limit=limit,
        next_token=next_token,
        scope=scope,
        key_names=("sale_id",),
        page_size=max(limit + 1, 250) if bounded else None,
    )
