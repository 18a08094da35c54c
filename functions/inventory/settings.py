"""The inventory functions' environment (set in template.yaml from the tables' ``!Ref``).

Each function names only the tables it uses:

| settings class            | variables | functions |
| ------------------------- | --------- | --------- |
| :class:`StockSettings`    | ``PRODUCTS_TABLE``, ``LOCATIONS_TABLE``, ``STOCK_TABLE``, ``STOCK_MOVEMENTS_TABLE`` | every inventory function (no other domain names these tables) |
| :class:`RegistrySettings` | the above + ``INVENTORY_REGISTRY_TABLE`` | ``InventoryInterfaceFunction`` (other domains' calls: its "applied" markers live in the registry) |
| :class:`InventorySettings`| the above + ``CATEGORIES_TABLE``, ``SUPPLIERS_TABLE`` | ``InventoryFunction`` (the REST API) |
| :class:`ReservationSettings` | the above four + ``RESERVATIONS_TABLE`` | the order saga's stock functions (check, reserve, release, commit) |

A model reads its table name from the smallest class that holds it (``dal/tables.py``), so a
function whose environment lacks a variable fails only when it touches that table, with a
``ConfigurationError`` naming the variable.
"""

from __future__ import annotations

from pydantic import Field

from shared.settings import EnvSettings


class StockSettings(EnvSettings):
    products_table: str = Field(alias="PRODUCTS_TABLE", min_length=1)
    locations_table: str = Field(alias="LOCATIONS_TABLE", min_length=1)
    stock_table: str = Field(alias="STOCK_TABLE", min_length=1)
    stock_movements_table: str = Field(alias="STOCK_MOVEMENTS_TABLE", min_length=1)


class RegistrySettings(StockSettings):
    registry_table: str = Field(alias="INVENTORY_REGISTRY_TABLE", min_length=1)


class InventorySettings(RegistrySettings):
    categories_table: str = Field(alias="CATEGORIES_TABLE", min_length=1)
    suppliers_table: str = Field(alias="SUPPLIERS_TABLE", min_length=1)


class ReservationSettings(StockSettings):
    reservations_table: str = Field(alias="RESERVATIONS_TABLE", min_length=1)


def settings() -> InventorySettings:
    return InventorySettings.current()


def registry_settings() -> RegistrySettings:
    return RegistrySettings.current()


def stock_settings() -> StockSettings:
    return StockSettings.current()


def reservation_settings() -> ReservationSettings:
    return ReservationSettings.current()
