"""The e-commerce functions' environment (set in template.yaml from the tables' ``!Ref``)."""

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
    products_table: str = Field(alias="PRODUCTS_TABLE", min_length=1)  # inventory's, read only
    tax_rate: Decimal = Field(alias="TAX_RATE", default=DEFAULT_TAX_RATE, ge=0, lt=1, max_digits=8)


def settings() -> EcommerceSettings:
    return EcommerceSettings.current()
