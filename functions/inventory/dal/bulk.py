"""Bulk imports (the demo data loader): batch writes, no per-item conditions.

Callers check what exists first (:func:`existing_sku_owners`) and only import the rest, which
keeps an import idempotent. Not for request paths: concurrent API writes are not guarded here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from inventory.dal.catalog import SKU, product_record
from inventory.dal.tables import InventoryRegistry, ProductRecord, StockMovementRecord, StockRecord
from inventory.models import Movement, Product, Stock
from shared.dynamo import guard_item, save_all, unique_key


def existing_sku_owners(skus: Iterable[str]) -> dict[str, int]:
    """SKU -> product id for the SKUs already claimed."""
    prefix = unique_key(SKU, "")
    keys = [unique_key(SKU, sku) for sku in skus]
    owners: dict[str, int] = {}
    for item in InventoryRegistry.batch_get(keys):
        owners[item.pk[len(prefix) :]] = item.owner_id
    return owners


def import_products(
    products: Sequence[Product],
    stock_rows: Sequence[Stock],
    movements: Sequence[Movement],
) -> None:
    """Write products with their SKU guards, stock rows and movements (25 items per request)."""
    with InventoryRegistry.batch_write() as batch:
        for product in products:
            batch.save(guard_item(InventoryRegistry, SKU, product.sku, product.product_id))
    with ProductRecord.batch_write() as batch:
        for product in products:
            batch.save(product_record(product))
    save_all(StockRecord, stock_rows)
    save_all(StockMovementRecord, movements)
