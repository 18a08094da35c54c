"""Request and response models of the retail API (pydantic v2).

Request models forbid unknown fields. Sale lines carry no price: unit prices always come from
inventory's product catalogue. Money is returned as a string with 2 decimals.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, field_validator

from retail.logic.rules import MAX_LINE_QUANTITY, MAX_RETURN_LINES, MAX_SALE_LINES, duplicate_products
from shared.pagination import Page
from shared.types import DATE_FORMAT, DATE_PATTERN, EntityId, schema_rules, MoneyOut, Name, Output, ShortText, text

PHONE_PATTERN = r"^[0-9+()\-. ]{3,30}$"
MAX_REGISTER_NUMBER = 999



def _not_bool(value: object) -> object:
    # pydantic's lax mode reads True as 1; for a quantity that is always a client bug
    if isinstance(value, bool):
        raise ValueError("booleans are not numbers")
    return value


LineQuantity = Annotated[int, Field(ge=1, le=MAX_LINE_QUANTITY), BeforeValidator(_not_bool)]
Phone = Annotated[str, StringConstraints(pattern=PHONE_PATTERN)]
RegisterNumber = Annotated[int, Field(ge=1, le=MAX_REGISTER_NUMBER), BeforeValidator(_not_bool)]
Reason = text(200)


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- stores
class StoreCreate(_Input):
    model_config = ConfigDict(json_schema_extra=schema_rules(
        examples=[{"name": "Québec Vieux-Port", "address": "84 Rue Dalhousie, Québec, QC"}],
    ))

    name: Name = Field(description="Unique (case-insensitive).", examples=["Sherbrooke Centre"])
    address: ShortText | None = None
    phone: Phone | None = None


class StoreOut(Output):
    store_id: int
    name: str
    address: str | None = None
    phone: str | None = None
    location_id: str = Field(description="The store's inventory stock location (`store-<store_id>`).")
    created_at: datetime


class StorePage(Page[StoreOut]):
    pass


# ---------------------------------------------------------------- cash registers
class CashRegisterCreate(_Input):
    model_config = ConfigDict(json_schema_extra=schema_rules(examples=[{"store_id": 1, "number": 9, "name": "Express"}]))

    store_id: EntityId = Field(description="An existing store (GET /api/v1/stores).")
    number: RegisterNumber = Field(description="The register's number in its store, unique per store.")
    name: Name | None = Field(default=None, description="Defaults to `Register <number>`.")


class CashRegisterOut(Output):
    register_id: int
    store_id: int
    number: int
    name: str
    created_at: datetime


class CashRegisterPage(Page[CashRegisterOut]):
    pass


# ---------------------------------------------------------------- sales
class SaleLineIn(_Input):
    product_id: EntityId
    quantity: LineQuantity


def _distinct_products(lines: list[SaleLineIn] | list[ReturnLineIn]) -> list:
    problem = duplicate_products([line.product_id for line in lines])
    if problem:
        raise ValueError(problem)
    return lines


class SaleCreate(_Input):
    """A sale at a store's cash register; prices come from the product catalogue."""

    model_config = ConfigDict(json_schema_extra=schema_rules(examples=[
        {"store_id": 1, "register_id": 1, "lines": [{"product_id": 1, "quantity": 1}, {"product_id": 2, "quantity": 1}]},
    ]))

    store_id: EntityId
    register_id: EntityId = Field(description="A cash register of that store.")
    lines: list[SaleLineIn] = Field(
        min_length=1,
        max_length=MAX_SALE_LINES,
        description=f"1 to {MAX_SALE_LINES} lines, one per product (the limit keeps the sale, and a "
        "return of all of it, within one DynamoDB transaction).",
    )

    _check_lines = field_validator("lines")(_distinct_products)


class SaleLineOut(Output):
    product_id: int
    quantity: int
    unit_price: MoneyOut = Field(description="The catalogue price when sold.", examples=["19.99"])
    line_total: MoneyOut = Field(examples=["39.98"])


class SaleOut(Output):
    sale_id: int
    store_id: int
    register_id: int
    created_at: datetime
    sale_date: date = Field(description="UTC date of created_at.")
    lines: list[SaleLineOut]
    total: MoneyOut = Field(examples=["39.98"])
    item_count: int = Field(description="Units sold (sum of the quantities).")


class SalePage(Page[SaleOut]):
    pass


# ---------------------------------------------------------------- returns
class ReturnLineIn(_Input):
    product_id: EntityId = Field(description="A product sold on the sale.")
    quantity: LineQuantity


class ReturnCreate(_Input):
    """Products brought back from a sale; refunded at the price they were sold at."""

    sale_id: EntityId
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=MAX_RETURN_LINES)
    reason: Reason | None = Field(default=None, examples=["damaged packaging"])

    _check_lines = field_validator("lines")(_distinct_products)


class ReturnLineOut(Output):
    product_id: int
    quantity: int
    refund_amount: MoneyOut = Field(examples=["19.99"])


class ReturnOut(Output):
    return_id: int
    sale_id: int
    store_id: int
    created_at: datetime
    return_date: date = Field(description="UTC date of created_at.")
    lines: list[ReturnLineOut]
    refund_total: MoneyOut = Field(examples=["19.99"])
    reason: str | None = None


class ReturnPage(Page[ReturnOut]):
    pass
