"""The inventory function's environment (set in template.yaml from the tables' ``!Ref``)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import EnvSettings


class InventorySettings(EnvSettings):
    products_table: str = Field(alias="PRODUCTS_TABLE", min_length=1)
    categories_table: str = Field(alias="CATEGORIES_TABLE", min_length=1)
    suppliers_table: str = Field(alias="SUPPLIERS_TABLE", min_length=1)
    locations_table: str = Field(alias="LOCATIONS_TABLE", min_length=1)
    stock_table: str = Field(alias="STOCK_TABLE", min_length=1)
    stock_movements_table: str = Field(alias="STOCK_MOVEMENTS_TABLE", min_length=1)
    registry_table: str = Field(alias="INVENTORY_REGISTRY_TABLE", min_length=1)


def settings() -> InventorySettings:
    return InventorySettings.current()
