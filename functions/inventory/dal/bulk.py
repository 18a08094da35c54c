"""Bulk imports (the demo data loader): batch writes, no per-item conditions.

Callers check what exists first (:func:`existing_sku_owners`) and only import the rest, which
keeps an import idempotent. Not for request paths: concurrent API writes are not guarded here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from inventory.dal.catalog import SKU
from inventory.dal.tables import InventoryRegistry, ProductRecord, StockMovementRecord, StockRecord
from shared.dynamo import guard_item, unique_key


def existing_sku_owners(skus: Iterable[str]) -> dict[str, int]:
    """SKU -> product id for the SKUs already claimed."""
    prefix = unique_key(SKU, "")
    keys = [unique_key(SKU, sku) for sku in skus]
    owners: dict[str, int] = {}
    for item in InventoryRegistry.batch_get(keys):
        owners[item.pk[len(prefix) :]] = item.owner_id
    return owners


def import_products(
    products: Sequence[ProductRecord],
    stock_rows: Sequence[StockRecord],
    movements: Sequence[StockMovementRecord],
) -> None:
    """Write products with their SKU guards, stock rows and movements (25 items per request)."""
    with InventoryRegistry.batch_write() as batch:
        for product in products:
            batch.save(guard_item(InventoryRegistry, SKU, product.sku, product.product_id))
    with ProductRecord.batch_write() as batch:
        for product in products:
            batch.save(product)
    with StockRecord.batch_write() as batch:
        for row in stock_rows:
            batch.save(row)
    with StockMovementRecord.batch_write() as batch:
        for movement in movements:
            batch.save(movement)
