"""The e-commerce functions' environment (set in template.yaml from the tables' and functions' ``!Ref``).

E-commerce owns its tables; inventory's catalogue it reads through the inventory interface
(:class:`CatalogSettings`), never inventory's tables.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from shared.settings import EnvSettings

DEFAULT_TAX_RATE = Decimal("0.14975")  # Québec: GST 5 % + QST 9.975 %


class EcommerceSettings(EnvSettings):
    customers_table: str = Field(alias="CUSTOMERS_TABLE", min_length=1)
    carts_table: str = Field(alias="CARTS_TABLE", min_length=1)
    orders_table: str = Field(alias="ORDERS_TABLE", min_length=1)
    payments_table: str = Field(alias="PAYMENTS_TABLE", min_length=1)
    registry_table: str = Field(alias="ECOMMERCE_REGISTRY_TABLE", min_length=1)
    idempotency_table: str = Field(alias="ECOMMERCE_IDEMPOTENCY_TABLE", min_length=1)
    tax_rate: Decimal = Field(alias="TAX_RATE", default=DEFAULT_TAX_RATE, ge=0, lt=1, max_digits=8)


class CatalogSettings(EnvSettings):
    """The functions that price lines (the REST API, the saga's order step) read inventory's
    catalogue through the inventory interface function (``shared.contracts.inventory``)."""

    inventory_function: str = Field(alias="INVENTORY_FUNCTION", min_length=1)


def settings() -> EcommerceSettings:
    return EcommerceSettings.current()


def catalog_settings() -> CatalogSettings:
    return CatalogSettings.current()
