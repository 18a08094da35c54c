"""pynamodb models: reporting's own tables, and read-only views of inventory's tables.

Table names are read from the environment when a request needs them (``shared.dynamo.Lazy``),
so importing this module needs no environment. The keys are described in ../README.md.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from reporting.settings import AggregatesSettings, InventoryTablesSettings, ProcessedEventsSettings
from shared.dynamo import BaseMeta, DecimalAttribute, IntegerAttribute, Lazy


class AggregateRecord(Model):
    """A store-day, product-day or global-day aggregate (only counters of its kind are set)."""

    class Meta(BaseMeta):
        table_name = Lazy(lambda: AggregatesSettings.current().aggregates_table)

    pk = UnicodeAttribute(hash_key=True)  # <KIND>#YYYY-MM
    sk = UnicodeAttribute(range_key=True)  # YYYY-MM-DD[#<entity id>]
    day = UnicodeAttribute(null=True)
    store_id = IntegerAttribute(null=True)
    product_id = IntegerAttribute(null=True)

    sales_count = IntegerAttribute(null=True)
    revenue = DecimalAttribute(null=True)
    units = IntegerAttribute(null=True)
    returns_count = IntegerAttribute(null=True)
    returned_units = IntegerAttribute(null=True)
    refunds = DecimalAttribute(null=True)
    online_orders = IntegerAttribute(null=True)
    online_value = DecimalAttribute(null=True)
    online_units = IntegerAttribute(null=True)
    online_revenue = DecimalAttribute(null=True)
    cancellations = IntegerAttribute(null=True)
    cancelled_value = DecimalAttribute(null=True)


class ProcessedEvent(Model):
    """An idempotency marker: this business event is already in the aggregates."""

    class Meta(BaseMeta):
        table_name = Lazy(lambda: ProcessedEventsSettings.current().processed_events_table)

    event_key = UnicodeAttribute(hash_key=True)  # sale#12, return#4, order#7, order#7#cancelled
    event_id = UnicodeAttribute(null=True)  # the stream record that brought it (for tracing)
    processed_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()  # DynamoDB TTL: markers only need to outlive the stream's 24 h


# ---------------------------------------------------------------- inventory's tables (read only)
class StockRow(Model):
    """A row of inventory's stock table (contract: functions/inventory/README.md)."""

    class Meta(BaseMeta):
        table_name = Lazy(lambda: InventoryTablesSettings.current().stock_table)

    product_id = IntegerAttribute(hash_key=True)
    location_id = UnicodeAttribute(range_key=True)
    available = IntegerAttribute(null=True)
    reserved = IntegerAttribute(null=True)
    reorder_level = IntegerAttribute(null=True)
    discontinued = BooleanAttribute(null=True)


class ProductRow(Model):
    class Meta(BaseMeta):
        table_name = Lazy(lambda: InventoryTablesSettings.current().products_table)

    product_id = IntegerAttribute(hash_key=True)
    sku = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    price = DecimalAttribute(null=True)
    deleted_at = UTCDateTimeAttribute(null=True)


class LocationRow(Model):
    class Meta(BaseMeta):
        table_name = Lazy(lambda: InventoryTablesSettings.current().locations_table)

    location_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(null=True)
