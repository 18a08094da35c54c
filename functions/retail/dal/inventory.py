"""Reads of inventory's tables: product prices and a store's stock rows."""

from __future__ import annotations

from collections.abc import Iterable

from retail.dal.tables import CatalogueProduct, StoreStock


def live_products(product_ids: Iterable[int]) -> dict[int, CatalogueProduct]:
    """Products by id, leaving out unknown and deleted (discontinued) ones."""
    found: dict[int, CatalogueProduct] = {}
    for record in CatalogueProduct.batch_get(sorted(set(product_ids)), consistent_read=True):
        if record.deleted_at is None:
            found[record.product_id] = record
    return found


def stock_rows(location_id: str, product_ids: Iterable[int]) -> dict[int, StoreStock]:
    """The stock rows of ``product_ids`` at ``location_id`` (consistent read; missing rows left out)."""
    keys = [(product_id, location_id) for product_id in sorted(set(product_ids))]
    return {row.product_id: row for row in StoreStock.batch_get(keys, consistent_read=True)}
