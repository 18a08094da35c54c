"""The e-commerce domain models (pydantic v2): what ``logic`` reasons on and ``dal`` returns
and takes.

``dal`` maps its pynamodb records to these with ``Model.model_validate(record)``
(``from_attributes``: nested maps and lists of maps included) and back with
``shared.dynamo.record_of``; ``logic`` maps these to the API's response models the same way
(``CustomerOut.model_validate(customer)``): one mapping, by pydantic, in both places. Nothing
here knows DynamoDB.

Timestamps are UTC with millisecond precision (what the tables store, see ``dal/tables.py``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field, field_validator

from shared.models import Domain, iso, now  # noqa: F401 - the e-commerce code imports them from here


class Address(Domain):
    label: str | None = None
    recipient: str | None = None
    line1: str
    line2: str | None = None
    city: str | None = None  # absent on one-line order addresses
    region: str | None = None
    postal_code: str | None = None
    country: str


class Line(Domain):
    """A priced line of a cart or an order."""

    product_id: int
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal


class StatusChange(Domain):
    status: str
    at: datetime
    reason: str | None = None


class Customer(Domain):
    customer_id: int
    email: str
    first_name: str
    last_name: str
    phone: str | None = None
    addresses: list[Address] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime

    @field_validator("addresses", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return [] if value is None else value

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Totals(Domain):
    item_count: int
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    currency: str


class Cart(Totals):
    cart_id: int
    customer_id: int | None = None
    status: str  # "open" | "ordered"
    items: list[Line]
    order_id: int | None = None
    created_at: datetime
    updated_at: datetime


class Order(Totals):
    order_id: int
    customer_id: int
    status: str  # "pending" | "confirmed" | "cancelled"
    lines: list[Line]
    shipping_address: Address
    billing_address: Address
    status_history: list[StatusChange]
    cart_id: int | None = None
    idempotency_key: str | None = None
    source: str  # "api" | "saga" | "seed"
    order_date: str  # YYYY-MM-DD (UTC day of created_at)
    created_at: datetime
    updated_at: datetime

    def reason_of(self, status: str) -> str | None:
        """The reason given when the order first reached ``status``."""
        for change in self.status_history:
            if change.status == status:
                return change.reason
        return None


class Payment(Domain):
    payment_id: int
    order_id: int
    amount: Decimal
    currency: str
    payment_method: str
    card_token: str | None = None
    status: str  # "captured" | "declined" | "refunded" ("authorized" in the history)
    provider_reference: str
    decline_reason: str | None = None
    status_history: list[StatusChange]
    idempotency_key: str
    created_at: datetime
    updated_at: datetime


class IdempotencyEntry(Domain):
    """The first outcome of an operation called with a caller-given key (``pk`` is
    ``<operation>#<key>``): ``completed`` (``result`` is the output as JSON, ``resource_id``
    the order or payment) or ``aborted`` (compensated before the forward step ran)."""

    pk: str
    operation: str
    idempotency_key: str
    state: str  # "completed" | "aborted"
    request_hash: str | None = None
    resource_id: int | None = None
    result: str | None = None
    created_at: datetime
