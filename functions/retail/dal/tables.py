"""pynamodb models of the retail tables (keys and indexes: see ../README.md).

Retail reads and writes no other domain's table: stock, prices and locations are inventory's,
reached through its interface (``retail.dal.inventory``).

Only ``dal/`` uses them: the rest of the domain sees the pydantic models of ``retail.models``
(``Sale.model_validate(record)`` here, ``shared.dynamo.record_of`` back).

Sale and return items are consumed by the reporting domain through the tables' streams: their
attribute names and types are a contract (README.md, "Stream contract").
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import ListAttribute, MapAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from retail.settings import settings
from shared.dynamo import BaseMeta, DecimalAttribute, IntegerAttribute, Lazy, RegistryModel
from shared.models import iso

STORE_DATE_INDEX = "store-date-index"
SALE_INDEX = "sale-index"


class TimestampAttribute(UnicodeAttribute):
    """A UTC moment as text, ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (``shared.models.iso``): it sorts by
    time (the ``created_at`` range keys). A datetime is written in that form; text as given (the
    open ends of a period's ``BETWEEN``: ``"0000"``, ``"9999"``). Read back as the text (the
    domain models parse it)."""

    def serialize(self, value: datetime | str) -> str:
        return iso(value) if isinstance(value, datetime) else super().serialize(value)


# ---------------------------------------------------------------- stores and registers
class StoreRecord(Model):
    """A store; store N holds its stock at inventory location ``store-N``."""

    class Meta(BaseMeta):
        table_name = Lazy(lambda: settings().stores_table)

    store_id = IntegerAttribute(hash_key=True)
    name = UnicodeAttribute()
    address = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    location_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class CashRegisterRecord(Model):
    class Meta(BaseMeta):
        table_name = Lazy(lambda: settings().cash_registers_table)

    store_id = IntegerAttribute(hash_key=True)
    register_id = IntegerAttribute(range_key=True)
    number = IntegerAttribute()
    name = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


# ---------------------------------------------------------------- sales
class SaleLine(MapAttribute):
    product_id = IntegerAttribute()
    quantity = IntegerAttribute()
    unit_price = DecimalAttribute()
    line_total = DecimalAttribute()


class SalesByStore(GlobalSecondaryIndex["SaleRecord"]):
    class Meta:
        index_name = STORE_DATE_INDEX
        projection = AllProjection()

    store_id = IntegerAttribute(hash_key=True)
    created_at = TimestampAttribute(range_key=True)


class SaleRecord(Model):
    """A sale (immutable once written: the stream only ever carries INSERTs)."""

    class Meta(BaseMeta):
        table_name = Lazy(lambda: settings().sales_table)

    sale_id = IntegerAttribute(hash_key=True)
    store_id = IntegerAttribute()
    register_id = IntegerAttribute()
    created_at = TimestampAttribute()
    sale_date = UnicodeAttribute()  # YYYY-MM-DD (UTC)
    lines = ListAttribute(of=SaleLine)
    total = DecimalAttribute()
    item_count = IntegerAttribute()

    by_store = SalesByStore()


# ---------------------------------------------------------------- returns
class ReturnLine(MapAttribute):
    product_id = IntegerAttribute()
    quantity = IntegerAttribute()
    refund_amount = DecimalAttribute()


class ReturnsByStore(GlobalSecondaryIndex["ReturnRecord"]):
    class Meta:
        index_name = STORE_DATE_INDEX
        projection = AllProjection()

    store_id = IntegerAttribute(hash_key=True)
    created_at = TimestampAttribute(range_key=True)


class ReturnsBySale(GlobalSecondaryIndex["ReturnRecord"]):
    class Meta:
        index_name = SALE_INDEX
        projection = AllProjection()

    sale_id = IntegerAttribute(hash_key=True)
    return_id = IntegerAttribute(range_key=True)


class ReturnRecord(Model):
    """A return of products from one sale (immutable once written)."""

    class Meta(BaseMeta):
        table_name = Lazy(lambda: settings().returns_table)

    return_id = IntegerAttribute(hash_key=True)
    sale_id = IntegerAttribute()
    store_id = IntegerAttribute()
    created_at = TimestampAttribute()
    return_date = UnicodeAttribute()
    lines = ListAttribute(of=ReturnLine)
    refund_total = DecimalAttribute()
    reason = UnicodeAttribute(null=True)

    by_store = ReturnsByStore()
    by_sale = ReturnsBySale()


class RetailRegistry(RegistryModel):
    """Id counters (store, register, sale, return), uniqueness guards (store names, register
    numbers) and the returned-quantity guards (``returned#<sale_id>#<product_id>``: ``counter``
    holds the units of that sale line already returned)."""

    class Meta(BaseMeta):
        table_name = Lazy(lambda: settings().registry_table)


ALL_MODELS: tuple[type[Model], ...] = (StoreRecord, CashRegisterRecord, SaleRecord, ReturnRecord, RetailRegistry)
