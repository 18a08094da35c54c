"""Request and response models of the e-commerce API (pydantic v2).

Request models forbid unknown fields (a typo is a 422, not a silently ignored field) and
normalise what users type (e-mail trimmed, country codes upper-case, money to cents). Prices
are never accepted from clients: lines carry a product id and a quantity, the server prices
them from the inventory catalogue.

The saga participant functions' input/output models are in ``ecommerce.saga_schemas``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from shared.contracts.orders import (  # noqa: F401  (the order types the saga API shares: shared.contracts)
    CardToken,
    CustomerAddress,
    OrderAddress,
    PaymentMethod,
)
from shared.pagination import Page
from shared.types import WHITESPACE, EntityId, Money, MoneyOut, Output, schema_rules, text

EMAIL_PATTERN = f"^[^@{WHITESPACE}]+@[^@{WHITESPACE}]+\\.[^@{WHITESPACE}]+$"  # (pydantic EmailStr needs email-validator, not a dependency)
PHONE_PATTERN = r"^[0-9+()\-. ]{3,30}$"
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]+$"  # printable ASCII, no spaces (execution ARNs fit)

MAX_LINES = 100  # distinct products in one cart or order
MAX_LINE_QUANTITY = 1000  # units of one product in one cart or order
MAX_ADDRESSES = 10

OrderStatus = Literal["pending", "confirmed", "cancelled"]
CartStatus = Literal["open", "ordered"]
PaymentStatus = Literal["authorized", "captured", "refunded", "declined"]


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):  # pydantic's lax mode reads True as 1
        raise ValueError("booleans are not numbers")
    return value


Email = Annotated[
    str,
    StringConstraints(min_length=3, max_length=254, pattern=EMAIL_PATTERN),
    Field(description="Unique among customers, case-insensitively.", examples=["marie.tremblay@example.com"]),
]
PersonName = text(100)
Phone = Annotated[str, StringConstraints(pattern=PHONE_PATTERN), Field(examples=["+1 514-555-0199"])]
LineQuantity = Annotated[
    int,
    Field(ge=1, le=MAX_LINE_QUANTITY, description=f"Units, 1..{MAX_LINE_QUANTITY}."),
    BeforeValidator(_not_bool),
]
IdempotencyKey = Annotated[
    str,
    StringConstraints(min_length=1, max_length=256, pattern=IDEMPOTENCY_KEY_PATTERN),
    Field(description="Repeat a request with the same key to get the first result instead of a duplicate."),
]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- addresses: shared.contracts.orders


# ---------------------------------------------------------------- lines (carts and orders)
class LineRequest(_Input):
    """A product and a quantity; the price comes from the catalogue."""

    product_id: EntityId = Field(description="A live product of the inventory catalogue (GET /api/v1/products).")
    quantity: LineQuantity


def distinct_products(lines: list[LineRequest] | None) -> list[LineRequest] | None:
    if lines is None:
        return None
    seen: set[int] = set()
    for line in lines:
        if line.product_id in seen:
            raise ValueError(f"product {line.product_id} appears twice; give one line per product")
        seen.add(line.product_id)
    return lines


Lines = Annotated[list[LineRequest], Field(max_length=MAX_LINES)]


class PricedLine(Output):
    """A line priced from the catalogue."""

    product_id: int
    sku: str
    name: str
    quantity: int
    unit_price: MoneyOut = Field(description="Catalogue price when the line was priced.", examples=["19.99"])
    line_total: MoneyOut = Field(description="unit_price x quantity.", examples=["39.98"])


class Totals(Output):
    item_count: int = Field(description="Sum of the quantities.")
    subtotal: MoneyOut = Field(description="Sum of the line totals.")
    tax: MoneyOut = Field(description="subtotal x the tax rate (14.975 %), rounded half-up to the cent.")
    total: MoneyOut = Field(description="subtotal + tax: the amount to pay.")
    currency: str = Field(examples=["CAD"])


# ---------------------------------------------------------------- customers
class CustomerCreate(_Input):
    model_config = ConfigDict(json_schema_extra=schema_rules(examples=[{
        "email": "ana.roy@example.com", "first_name": "Ana", "last_name": "Roy",
        "addresses": [{"line1": "1100 Rue Sainte-Catherine O", "city": "Montréal", "region": "QC",
                       "postal_code": "H3B 1A7"}],
    }]))

    email: Email
    first_name: PersonName
    last_name: PersonName
    phone: Phone | None = None
    addresses: Annotated[list[CustomerAddress], Field(max_length=MAX_ADDRESSES)] = Field(
        default_factory=list, description="The first address is the default shipping address."
    )


class CustomerUpdate(_Input):
    """Partial update: only the fields present change; `null` clears `phone`, `addresses: []` clears addresses."""

    model_config = ConfigDict(json_schema_extra=schema_rules(
        not_null=("email", "first_name", "last_name", "addresses"), at_least_one=True,
    ))

    email: Email | None = None
    first_name: PersonName | None = None
    last_name: PersonName | None = None
    phone: Phone | None = None
    addresses: Annotated[list[CustomerAddress], Field(max_length=MAX_ADDRESSES)] | None = None

    @model_validator(mode="after")
    def _check(self) -> CustomerUpdate:
        if not self.model_fields_set:
            raise ValueError("at least one field must be given")
        nulls = [
            name
            for name in ("email", "first_name", "last_name", "addresses")
            if name in self.model_fields_set and getattr(self, name) is None
        ]
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class CustomerOut(Output):
    customer_id: int
    email: str
    first_name: str
    last_name: str
    phone: str | None = None
    addresses: list[CustomerAddress]
    created_at: datetime
    updated_at: datetime


class CustomerPage(Page[CustomerOut]):
    pass


# ---------------------------------------------------------------- carts
class CartCreate(_Input):
    model_config = ConfigDict(json_schema_extra=schema_rules(examples=[
        {"customer_id": 1, "items": [{"product_id": 1, "quantity": 2}, {"product_id": 5, "quantity": 1}]},
    ]))

    customer_id: EntityId | None = Field(
        default=None, description="An existing customer; omit for a guest cart (attach it later with PUT)."
    )
    items: Lines = Field(default_factory=list, description="One line per product.")

    @model_validator(mode="after")
    def _distinct(self) -> CartCreate:
        distinct_products(self.items)
        return self


class CartUpdate(_Input):
    """Replace the cart's items (omit a product to remove it) and optionally attach a customer."""

    items: Lines = Field(description="The new content of the cart, one line per product.")
    customer_id: EntityId | None = Field(
        default=None, description="Attach a guest cart to a customer; a cart cannot change customer."
    )

    @model_validator(mode="after")
    def _distinct(self) -> CartUpdate:
        distinct_products(self.items)
        return self


class CartOut(Totals):
    cart_id: int
    customer_id: int | None = None
    status: CartStatus = Field(description="`open` until the cart is ordered, then `ordered` (read only).")
    items: list[PricedLine]
    order_id: int | None = Field(default=None, description="The order made from this cart.")
    created_at: datetime
    updated_at: datetime


class CartPage(Page[CartOut]):
    pass


# ---------------------------------------------------------------- orders
class OrderCreate(_Input):
    """Give `lines` or a `cart_id` (exactly one). Prices come from the catalogue at order time."""

    model_config = ConfigDict(json_schema_extra=schema_rules(exactly_one_of=("lines", "cart_id"), examples=[
        {"customer_id": 1, "lines": [{"product_id": 1, "quantity": 1}],
         "shipping_address": {"line1": "123 Main St", "city": "Montréal", "postal_code": "H2X 1Y4"}},
    ]))

    customer_id: EntityId = Field(description="An existing customer (404 `invalid_reference` otherwise).")
    lines: Annotated[Lines, Field(min_length=1)] | None = Field(default=None, description="One line per product.")
    cart_id: EntityId | None = Field(default=None, description="An open cart of this customer (or a guest cart).")
    shipping_address: OrderAddress | None = Field(
        default=None, description="Defaults to the customer's first address."
    )
    billing_address: OrderAddress | None = Field(default=None, description="Defaults to the shipping address.")
    idempotency_key: IdempotencyKey | None = None

    @model_validator(mode="after")
    def _one_source(self) -> OrderCreate:
        if (self.lines is None) == (self.cart_id is None):
            raise ValueError("give exactly one of lines or cart_id")
        if self.lines is not None and not self.lines:
            raise ValueError("lines must not be empty")
        distinct_products(self.lines)
        return self


class OrderStatusChange(Output):
    status: OrderStatus
    at: datetime
    reason: str | None = None


class OrderOut(Totals):
    order_id: int
    customer_id: int
    status: OrderStatus = Field(description="pending -> confirmed | cancelled (see the e-commerce README).")
    lines: list[PricedLine]
    shipping_address: OrderAddress
    billing_address: OrderAddress
    status_history: list[OrderStatusChange] = Field(description="Every status the order went through, oldest first.")
    cart_id: int | None = None
    order_date: date = Field(description="UTC day of created_at.")
    created_at: datetime
    updated_at: datetime


class OrderPage(Page[OrderOut]):
    pass


# ---------------------------------------------------------------- payments
class PaymentCreate(_Input):
    """Pays a pending order: its id and total come from POST /orders (the document's `PayOrder` link)."""

    order_id: EntityId = Field(description="A pending order.")
    amount: Money = Field(description="Must equal the order total.")
    payment_method: PaymentMethod
    card_token: CardToken | None = None
    idempotency_key: IdempotencyKey | None = None


class PaymentStatusChange(Output):
    status: PaymentStatus
    at: datetime
    reason: str | None = None


class PaymentOut(Output):
    payment_id: int
    order_id: int
    amount: MoneyOut
    currency: str
    payment_method: str
    status: PaymentStatus = Field(description="captured, declined or refunded (authorized only in the history).")
    provider_reference: str = Field(description="The simulated provider's transaction reference.")
    decline_reason: str | None = None
    status_history: list[PaymentStatusChange]
    created_at: datetime
    updated_at: datetime


class PaymentPage(Page[PaymentOut]):
    pass
