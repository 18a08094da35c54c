"""The retail function's environment (set in template.yaml from the tables' ``!Ref``).

Retail owns its stores, cash registers, sales, returns and registry tables, and writes four of
inventory's tables (stock levels and movements on a sale or a return, locations when a store
opens, products read for their prices): their variables carry inventory's names.
"""

from __future__ import annotations

from pydantic import Field

from shared.settings import EnvSettings


class RetailSettings(EnvSettings):
    stores_table: str = Field(alias="STORES_TABLE", min_length=1)
    cash_registers_table: str = Field(alias="CASH_REGISTERS_TABLE", min_length=1)
    sales_table: str = Field(alias="SALES_TABLE", min_length=1)
    returns_table: str = Field(alias="RETURNS_TABLE", min_length=1)
    registry_table: str = Field(alias="RETAIL_REGISTRY_TABLE", min_length=1)
    # inventory's tables, under the names inventory's own function uses
    products_table: str = Field(alias="PRODUCTS_TABLE", min_length=1)
    locations_table: str = Field(alias="LOCATIONS_TABLE", min_length=1)
    stock_table: str = Field(alias="STOCK_TABLE", min_length=1)
    stock_movements_table: str = Field(alias="STOCK_MOVEMENTS_TABLE", min_length=1)


def settings() -> RetailSettings:
    return RetailSettings.current()
