"""The inventory catalogue as e-commerce reads it: through the inventory interface function
(``shared.contracts.inventory``), never inventory's tables."""

from __future__ import annotations

from collections.abc import Iterable

from ecommerce.settings import catalog_settings
from shared.contracts.inventory import InventoryClient, Product


def client() -> InventoryClient:
    return InventoryClient(catalog_settings().inventory_function)


def live_products(product_ids: Iterable[int]) -> dict[int, Product]:
    """product id -> product, for the ids that name a live (not deleted) product."""
    return client().get_products(list(product_ids))


def all_live_products() -> list[Product]:
    """The whole live catalogue (demo data)."""
    return client().list_products()
