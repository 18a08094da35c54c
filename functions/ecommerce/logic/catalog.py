"""The inventory catalogue as the e-commerce domain sees it: live products and their prices."""

from __future__ import annotations

from collections.abc import Iterable

from ecommerce.dal import catalog as dal
from ecommerce.logic.pricing import CatalogEntry


def lookup(product_ids: Iterable[int]) -> dict[int, CatalogEntry]:
    """product id -> catalogue entry for the live products among ``product_ids``."""
    return {
        product_id: CatalogEntry(product_id, record.sku, record.name, record.price)
        for product_id, record in dal.live_products(product_ids).items()
    }
