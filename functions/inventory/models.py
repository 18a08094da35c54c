"""The inventory domain models (pydantic v2): what ``logic`` reasons on and ``dal`` returns
and takes.

``dal`` maps its pynamodb records to these with ``Model.model_validate(record)``
(``from_attributes``: the reservation's lines included) and back with
``shared.dynamo.record_of``; ``logic`` maps these to the responses the same way
(``ProductOut.model_validate(product)``). Nothing here knows DynamoDB: storage-only
attributes (a product's ``search_text``, the ``applied#<reference>`` key) are the dal's.

Timestamps are UTC datetimes with microseconds (``shared.dynamo.utcnow``, what the tables'
``UTCDateTimeAttribute`` stores), not ``shared.models.now``'s milliseconds.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field, field_validator

from shared.models import Domain


# ---------------------------------------------------------------- catalogue
class Product(Domain):
    product_id: int
    sku: str
    name: str
    description: str | None = None
    category_id: int
    supplier_id: int | None = None
    price: Decimal
    reorder_level: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None  # soft delete (DELETE /products/{id})


class Category(Domain):
    category_id: int
    name: str
    description: str | None = None
    created_at: datetime


class Supplier(Domain):
    supplier_id: int
    name: str
    contact_email: str | None = None
    phone: str | None = None
    address: str | None = None
    created_at: datetime


class Location(Domain):
    """A place that holds stock: the central warehouse or a store."""

    location_id: str
    name: str
    kind: str  # "warehouse" | "store"
    address: str | None = None
    created_at: datetime
    opened_by: str | None = None  # the interface's reference that opened it (e.g. "store-7")


# ---------------------------------------------------------------- stock
class Stock(Domain):
    """Stock of one product at one location (``available`` never below zero; ``reserved``:
    held for orders in flight; ``reorder_level``: the product's)."""

    product_id: int
    location_id: str
    available: int
    reserved: int
    reorder_level: int
    discontinued: bool | None = None  # set when the product is deleted
    updated_at: datetime


class StockFigures(Domain):
    """A stock row's figures as the interface's report reads them (a projection: no timestamps,
    no flags; a figure the row lacks is None)."""

    product_id: int
    location_id: str
    available: int | None = None
    reserved: int | None = None
    reorder_level: int | None = None


class Movement(Domain):
    """One entry of the stock journal."""

    product_id: int
    movement_id: str  # <UTC timestamp>-<random>, sorts by time
    location_id: str
    kind: str  # "set" | "adjust" | "initial" | "sale" | "return" | ... | "reserve" | "release" | "commit"
    delta: int  # change of `available`
    available_before: int
    available_after: int
    reserved_delta: int | None = None  # change of `reserved` (saga movements only)
    reason: str
    created_at: datetime


# ---------------------------------------------------------------- the saga's reservations
class ReservationLine(Domain):
    product_id: int
    quantity: int


class Reservation(Domain):
    """A stock reservation of the order saga, keyed by the saga id (a *tombstone* is a
    ``released`` reservation with no lines: the release ran before any reserve)."""

    reservation_id: str  # the saga id
    status: str  # "reserved" | "released" | "committed"
    location_id: str | None = None  # None on a tombstone
    lines: list[ReservationLine] = Field(default_factory=list)  # [] on a tombstone
    tombstone: bool | None = None
    reason: str | None = None  # why it was released
    correlation_id: str | None = None
    created_at: datetime
    updated_at: datetime

    @field_validator("lines", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return [] if value is None else value

    def pairs(self) -> list[tuple[int, int]]:
        """The lines as (product_id, quantity)."""
        return [(line.product_id, line.quantity) for line in self.lines]


# ---------------------------------------------------------------- the interface
class AppliedChanges(Domain):
    """The interface's record of a set of stock changes it applied under ``reference``:
    ``result`` is the answer it gave (JSON), ``request_hash`` what makes a retry "the same";
    ``cancelled_at`` once they were undone (or the reference was cancelled before any apply)."""

    reference: str
    request_hash: str
    result: str  # "" for a cancellation that found nothing applied
    created_at: datetime
    kind: str | None = None  # the movements' kind (None: recorded before it was kept)
    cancelled_at: datetime | None = None  # cancelled: undone, or refused before it was ever applied
