"""pynamodb models: reporting's own tables (inventory's are reached through its interface).

Table names are read from the environment when a request needs them (``shared.dynamo.Lazy``),
so importing this module needs no environment. The keys are described in ../README.md.
"""

from __future__ import annotations

from pynamodb.attributes import TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from reporting.settings import AggregatesSettings, ProcessedEventsSettings
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
