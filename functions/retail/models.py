"""The retail domain models (pydantic v2): what ``logic`` reasons on and ``dal`` returns and
takes.

``dal`` maps its pynamodb records to these with ``Model.model_validate(record)`` and back with
``shared.dynamo.record_of``; ``logic`` answers ``SaleOut.model_validate(sale)``. Nothing here
knows DynamoDB.

Sales and returns are stamped in UTC with millisecond precision (``shared.models.now``), stored
as text (``shared.models.iso``, see ``dal/tables.py``); stores and registers keep the moment as
``shared.dynamo.utcnow`` gives it (pynamodb's ``UTCDateTimeAttribute``, microseconds).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from shared.models import Domain


class Store(Domain):
    """Store N holds its stock at inventory's location ``store-N``."""

    store_id: int
    name: str
    address: str | None = None
    phone: str | None = None
    location_id: str
    created_at: datetime


class CashRegister(Domain):
    store_id: int
    register_id: int
    number: int  # unique within the store
    name: str
    created_at: datetime


class SaleLine(Domain):
    product_id: int
    quantity: int
    unit_price: Decimal  # the catalogue's when sold
    line_total: Decimal


class Sale(Domain):
    """Immutable once written."""

    sale_id: int
    store_id: int
    register_id: int
    created_at: datetime
    sale_date: str  # YYYY-MM-DD (UTC day of created_at)
    lines: list[SaleLine]
    total: Decimal
    item_count: int


class ReturnLine(Domain):
    product_id: int
    quantity: int
    refund_amount: Decimal  # at the sale line's unit price


class Return(Domain):
    """Products brought back from one sale (immutable once written)."""

    return_id: int
    sale_id: int
    store_id: int
    created_at: datetime
    return_date: str  # YYYY-MM-DD (UTC day of created_at)
    lines: list[ReturnLine]
    refund_total: Decimal
    reason: str | None = None


class SeedMarker(Domain):
    """A demo-data marker of the registry (``seed#<name>``): what ``infra/seed/retail.py``
    wrote, and when (its ``counter`` and ``owner_id`` say what, per marker)."""

    counter: int | None = None
    owner_id: int | None = None
    created_at: datetime | None = None
