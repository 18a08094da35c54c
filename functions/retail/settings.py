"""The retail function's environment (set in template.yaml from the tables' and functions' ``!Ref``).

Retail owns its stores, cash registers, sales, returns and registry tables. Inventory's data
(prices, stock, locations) it reaches only through the inventory interface function, named by
``INVENTORY_FUNCTION`` (``shared.contracts.inventory``).
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
    inventory_function: str = Field(alias="INVENTORY_FUNCTION", min_length=1)


def settings() -> RetailSettings:
    return RetailSettings.current()
