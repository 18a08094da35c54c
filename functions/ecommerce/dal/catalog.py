"""Reads of the inventory catalogue (inventory's products table, read only)."""

from __future__ import annotations

from collections.abc import Iterable

from ecommerce.dal.tables import CatalogProduct


def live_products(product_ids: Iterable[int]) -> dict[int, CatalogProduct]:
    """product id -> product, for the ids that name a live (not deleted) product."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    found: dict[int, CatalogProduct] = {}
    for record in CatalogProduct.batch_get(ids, attributes_to_get=["product_id", "sku", "name", "price", "deleted_at"]):
        if record.deleted_at is None:
            found[record.product_id] = record
    return found


def all_live_products() -> list[CatalogProduct]:
    """The whole live catalogue (demo data only: a scan)."""
    return sorted(
        (record for record in CatalogProduct.scan(CatalogProduct.deleted_at.does_not_exist())),
        key=lambda record: record.product_id,
    )
