"""Reads and writes of sales (takes and returns :class:`retail.models.Sale`; the stock a sale
takes is inventory's: ``retail.dal.inventory``)."""

from __future__ import annotations


from retail.dal.tables import SaleRecord
from retail.models import Sale
from shared.dynamo import get_as, record_of
from shared.pagination import read_page, scope_of


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
    bounded = created_from is not None and created_to is not None
    in_period = SaleRecord.created_at.between(created_from, created_to) if bounded else None
    return read_page(
        Sale,
        SaleRecord,
        scope=scope_of("sales", store_id=store_id, created_from=created_from, created_to=created_to),
        limit=limit,
        next_token=next_token,
        hash_key=store_id,
        index=SaleRecord.by_store if store_id is not None else None,
        range_key_condition=in_period if store_id is not None else None,
        filter_condition=in_period if store_id is None else None,
        newest_first=True,
    )
