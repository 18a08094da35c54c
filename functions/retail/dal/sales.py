"""Reads and writes of sales (takes and returns :class:`retail.models.Sale`; the stock a sale
takes is inventory's: ``retail.dal.inventory``)."""

from __future__ import annotations

from collections.abc import Iterator

from retail.dal.tables import SaleRecord
from retail.models import Sale
from shared.dynamo import get_as, record_of
from shared.pagination import Key, page_as, paginate, scope_of


def put_sale(sale: Sale) -> Sale:
    """Write the sale (its ``sale_id`` unused: it was just allocated)."""
    record_of(SaleRecord, sale).save(condition=SaleRecord.sale_id.does_not_exist())
    return sale


def get_sale(sale_id: int) -> Sale | None:
    return get_as(Sale, SaleRecord, sale_id, consistent_read=True)


def list_sales(
    *,
    limit: int,
    next_token: str | None,
    store_id: int | None,
    created_from: str | None,
    created_to: str | None,
) -> tuple[list[Sale], str | None]:
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

        return page_as(Sale, paginate(
            run, limit=limit, next_token=next_token, scope=scope, key_names=("sale_id", "store_id", "created_at")
        ))

    def scan(start: Key | None, page_size: int) -> Iterator[SaleRecord]:
        return SaleRecord.scan(
            SaleRecord.created_at.between(created_from, created_to) if bounded else None,
            last_evaluated_key=start,
            page_size=page_size,
        )

    return page_as(Sale, paginate(
        scan,
        limit=limit,
        next_token=next_token,
        scope=scope,
        key_names=("sale_id",),
        page_size=max(limit + 1, 250) if bounded else None,
    ))
