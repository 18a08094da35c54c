"""Request and response models of the inventory API (pydantic v2).

Request models forbid unknown fields (a typo is a 422, not a silently ignored field) and
normalise what users type (SKUs upper-case, free text stripped, money to cents); the JSON schema
states what is accepted as sent (``shared.types.text``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from shared.pagination import Page
from shared.types import WHITESPACE, EntityId, schema_rules, LongText, Money, MoneyOut, Name, Output, Quantity, QuantityDelta, ShortText, text

SKU_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$"
LOCATION_ID_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$"
EMAIL_PATTERN = f"^[^@{WHITESPACE}]+@[^@{WHITESPACE}]+\\.[^@{WHITESPACE}]+$"  # (pydantic EmailStr needs email-validator, not a dependency)
PHONE_PATTERN = r"^[0-9+()\-. ]{3,30}$"
DEFAULT_REORDER_LEVEL = 10


Sku = Annotated[
    str,
    StringConstraints(min_length=3, max_length=40, pattern=SKU_PATTERN),
    AfterValidator(str.upper),
    Field(description="Stock keeping unit, unique; letters, digits and dashes (stored upper-case).", examples=["ELE-00042"]),
]
LocationId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=32, pattern=LOCATION_ID_PATTERN),
    Field(description="`warehouse` or a store (`store-1` ...); see GET /api/v1/locations.", examples=["store-1"]),
]
Reason = text(200)
Email = Annotated[str, StringConstraints(max_length=254, pattern=EMAIL_PATTERN)]
Phone = Annotated[str, StringConstraints(pattern=PHONE_PATTERN)]

class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- products
class ProductCreate(_Input):
    model_config = ConfigDict(json_schema_extra=schema_rules(examples=[
        {"sku": "TEA-EARL-100", "name": "Earl Grey 100 g", "price": "6.50", "category_id": 1, "supplier_id": 1,
         "reorder_level": 10},
    ]))

    sku: Sku
    name: Name
    description: LongText | None = None
    category_id: EntityId = Field(description="An existing category (GET /api/v1/categories).")
    supplier_id: EntityId | None = Field(default=None, description="An existing supplier (GET /api/v1/suppliers).")
    price: Money
    reorder_level: Quantity = Field(
        default=DEFAULT_REORDER_LEVEL,
        description="Stock at or below this level is reported by GET /api/v1/stock?low_stock=true.",
    )


class ProductUpdate(_Input):
    """Partial update: only the fields present are changed; `null` clears an optional field."""

    model_config = ConfigDict(json_schema_extra=schema_rules(
        not_null=("sku", "name", "category_id", "price", "reorder_level"), at_least_one=True,
    ))

    sku: Sku | None = None
    name: Name | None = None
    description: LongText | None = None
    category_id: EntityId | None = None
    supplier_id: EntityId | None = None
    price: Money | None = None
    reorder_level: Quantity | None = None

    @model_validator(mode="after")
    def _check(self) -> ProductUpdate:
        if not self.model_fields_set:
            raise ValueError("at least one field must be given")
        required = ("sku", "name", "category_id", "price", "reorder_level")
        nulls = [name for name in required if name in self.model_fields_set and getattr(self, name) is None]
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class ProductOut(Output):
    product_id: int
    sku: str
    name: str
    description: str | None = None
    category_id: int
    supplier_id: int | None = None
    price: MoneyOut = Field(description="Decimal string with 2 decimals.", examples=["19.99"])
    reorder_level: int
    created_at: datetime
    updated_at: datetime


class ProductPage(Page[ProductOut]):
    pass


# ---------------------------------------------------------------- categories, suppliers, locations
class CategoryCreate(_Input):
    model_config = ConfigDict(json_schema_extra=schema_rules(examples=[{"name": "Tea", "description": "Loose and bagged"}]))

    name: text(100) = Field(
        description="Unique (case-insensitive)."
    )
    description: ShortText | None = None


class CategoryOut(Output):
    category_id: int
    name: str
    description: str | None = None
    created_at: datetime


class CategoryPage(Page[CategoryOut]):
    pass


class SupplierCreate(_Input):
    model_config = ConfigDict(json_schema_extra=schema_rules(examples=[
        {"name": "Leaf & Co", "contact_email": "orders@leaf.example", "phone": "+1-514-555-0100"},
    ]))

    name: text(200) = Field(
        description="Unique (case-insensitive)."
    )
    contact_email: Email | None = None
    phone: Phone | None = None
    address: ShortText | None = None


class SupplierOut(Output):
    supplier_id: int
    name: str
    contact_email: str | None = None
    phone: str | None = None
    address: str | None = None
    created_at: datetime


class SupplierPage(Page[SupplierOut]):
    pass


class LocationOut(Output):
    location_id: str
    name: str
    kind: Literal["warehouse", "store"]
    address: str | None = None


class LocationPage(Page[LocationOut]):
    pass


# ---------------------------------------------------------------- stock
class StockUpdate(_Input):
    """Set (`quantity`) or adjust (`delta`) the available stock of a product at a location."""

    model_config = ConfigDict(json_schema_extra=schema_rules(
        exactly_one_of=("quantity", "delta"),
        examples=[{"location_id": "warehouse", "delta": 5, "reason": "delivery"}],
    ))

    location_id: LocationId
    quantity: Quantity | None = Field(default=None, description="New available quantity (absolute).")
    delta: QuantityDelta | None = Field(
        default=None,
        description="Signed change of the available quantity, not 0; may not make it negative.",
        json_schema_extra={"not": {"const": 0}},
    )
    reason: Reason = Field(description="Why the stock changes (recorded in the stock movement).", examples=["delivery"])

    @model_validator(mode="after")
    def _one_of(self) -> StockUpdate:
        if (self.quantity is None) == (self.delta is None):
            raise ValueError("give exactly one of quantity or delta")
        if self.delta == 0:
            raise ValueError("delta must not be zero")
        return self


class StockLevel(BaseModel):
    product_id: int
    location_id: str
    available: int = Field(description="Units that can be sold or reserved.")
    reserved: int = Field(description="Units held for orders in progress.")
    on_hand: int = Field(description="available + reserved.")
    reorder_level: int
    low_stock: bool = Field(description="available <= reorder_level.")
    updated_at: datetime


class StockPage(Page[StockLevel]):
    pass


class StockMovement(Output):
    movement_id: str
    product_id: int
    location_id: str
    kind: Literal["set", "adjust", "initial", "sale", "return", "reserve", "release", "commit"] = Field(
        description="set/adjust: PUT /stock; initial: demo data; sale/return: retail; "
        "reserve/release/commit: the order saga's stock reservations."
    )
    delta: int = Field(description="Change of the available units.")
    available_before: int
    available_after: int
    reserved_delta: int | None = Field(
        default=None,
        description="Change of the reserved units (reserve: +q, release: -q, commit: -q); null for other kinds.",
    )
    reason: str
    created_at: datetime


class StockMovementPage(Page[StockMovement]):
    pass


class StockUpdateResult(BaseModel):
    stock: StockLevel
    movement: StockMovement
