"""pynamodb models of the e-commerce tables (keys and indexes: see ../README.md).

Only ``dal/`` uses them: the rest of the domain sees the pydantic models of ``ecommerce.models``
(``Order.model_validate(record)`` here, ``shared.dynamo.record_of`` back).

Table names are read from the environment when a request needs them (``shared.dynamo.Lazy``),
so importing this module needs no environment.

Timestamps are stored as ISO-8601 UTC strings with a ``Z`` and milliseconds
(``2026-11-24T14:03:07.123Z``): they sort as strings (the ``created_at`` range keys) and the
reporting domain reads the orders table's stream as is.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import Attribute, ListAttribute, MapAttribute, UnicodeAttribute
from pynamodb.constants import STRING
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from ecommerce.models import iso, now  # noqa: F401 - the stored precision (now) and format (iso)
from ecommerce.settings import settings
from shared.dynamo import BaseMeta, DecimalAttribute, IntegerAttribute, Lazy, RegistryModel

CUSTOMER_INDEX = "customer-index"
STATUS_INDEX = "status-index"
ORDER_INDEX = "order-index"


class IsoDateTimeAttribute(Attribute[datetime]):
    """A UTC datetime stored as ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""

    attr_type = STRING

    def serialize(self, value: datetime) -> str:
        if value.tzinfo is None:
            raise ValueError("datetimes must be timezone-aware")
        return iso(value)

    def deserialize(self, value: str) -> datetime:
        return datetime.fromisoformat(value).astimezone(UTC)


# ---------------------------------------------------------------- nested maps
class AddressMap(MapAttribute):
    label = UnicodeAttribute(null=True)
    recipient = UnicodeAttribute(null=True)
    line1 = UnicodeAttribute()
    line2 = UnicodeAttribute(null=True)
    city = UnicodeAttribute(null=True)  # absent on one-line order addresses
    region = UnicodeAttribute(null=True)
    postal_code = UnicodeAttribute(null=True)
    country = UnicodeAttribute()


class LineMap(MapAttribute):
    """A priced line of a cart or an order (numbers are DynamoDB N)."""

    product_id = IntegerAttribute()
    sku = UnicodeAttribute()
    name = UnicodeAttribute()
    quantity = IntegerAttribute()
    unit_price = DecimalAttribute()
    line_total = DecimalAttribute()


class StatusChangeMap(MapAttribute):
    status = UnicodeAttribute()
    at = IsoDateTimeAttribute()
    reason = UnicodeAttribute(null=True)


# ---------------------------------------------------------------- customers
class CustomerRecord(Model):
    class Meta(BaseMeta):
        table_name = Lazy(lambda: settings().customers_table)

    customer_id = IntegerAttribute(hash_key=True)
    email = UnicodeAttribute()  # as given (trimmed); the registry guard holds the case-folded value
    first_name = UnicodeAttribute()
    last_name = UnicodeAttribute()
    phone = UnicodeAttribute(null=True)
    addresses = ListAttribute(of=AddressMap, null=True)
    created_at = IsoDateTimeAttribute()
    updated_at = IsoDateTimeAttribute()


# ---------------------------------------------------------------- carts
class CartsByCustomer(GlobalSecondaryIndex["CartRecord"]):
    class Meta:
        index_name = CUSTOMER_INDEX
        projection = AllProjection()

    customer_id = IntegerAttribute(hash_key=True)
    cart_id = IntegerAttribute(range_key=True)


class CartRecord(Model):
    """A cart: lines priced from the catalogue when they were last written."""

    class Meta(BaseMeta):
        table_name = Lazy(lambda: settings().carts_table)

    cart_id = IntegerAttribute(hash_key=True)
    customer_id = IntegerAttribute(null=True)  # guest carts are absent from customer-index
    status = UnicodeAttribute()  # "open" | "ordered"
    items = ListAttribute(of=LineMap)
    item_count = IntegerAttribute()
    subtotal = DecimalAttribute()
    tax = DecimalAttribute()
    total = DecimalAttribute()
    currency = UnicodeAttribute()
    order_id = IntegerAttribute(null=True)
    created_at = IsoDateTimeAttribute()
    updated_at = IsoDateTimeAttribute()

    by_customer = CartsByCustomer()


# ---------------------------------------------------------------- orders
class OrdersByCustomer(GlobalSecondaryIndex["OrderRecord"]):
    class Meta:
        index_name = CUSTOMER_INDEX
        projection = AllProjection()

    customer_id = IntegerAttribute(hash_key=True)
    created_at = IsoDateTimeAttribute(range_key=True)


class OrdersByStatus(GlobalSecondaryIndex["OrderRecord"]):
    class Meta:
        index_name = STATUS_INDEX
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    created_at = IsoDateTimeAttribute(range_key=True)


class OrderRecord(Model):
    """An order. The reporting domain reads these items from the table's stream: keep
    ``order_id``, ``customer_id``, ``status``, ``created_at``, ``order_date``, ``lines`` and
    ``total`` with their types."""

    class Meta(BaseMeta):
        table_name = Lazy(lambda: settings().orders_table)

    order_id = IntegerAttribute(hash_key=True)
    customer_id = IntegerAttribute()
    status = UnicodeAttribute()  # "pending" | "confirmed" | "cancelled"
    lines = ListAttribute(of=LineMap)
    item_count = IntegerAttribute()
    subtotal = DecimalAttribute()
    tax = DecimalAttribute()
    total = DecimalAttribute()
    currency = UnicodeAttribute()
    shipping_address = AddressMap()
    billing_address = AddressMap()
    status_history = ListAttribute(of=StatusChangeMap)
    cart_id = IntegerAttribute(null=True)
    idempotency_key = UnicodeAttribute(null=True)
    source = UnicodeAttribute()  # "api" | "saga" | "seed"
    order_date = UnicodeAttribute()  # YYYY-MM-DD (UTC day of created_at)
    created_at = IsoDateTimeAttribute()
    updated_at = IsoDateTimeAttribute()

    by_customer = OrdersByCustomer()
    by_status = OrdersByStatus()


# ---------------------------------------------------------------- payments
class PaymentsByOrder(GlobalSecondaryIndex["PaymentRecord"]):
    class Meta:
        index_name = ORDER_INDEX
        projection = AllProjection()

    order_id = IntegerAttribute(hash_key=True)
    payment_id = IntegerAttribute(range_key=True)


class PaymentRecord(Model):
    class Meta(BaseMeta):
        table_name = Lazy(lambda: settings().payments_table)

    payment_id = IntegerAttribute(hash_key=True)
    order_id = IntegerAttribute()
    amount = DecimalAttribute()
    currency = UnicodeAttribute()
    payment_method = UnicodeAttribute()
    card_token = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # "captured" | "declined" | "refunded" ("authorized" in the history)
    provider_reference = UnicodeAttribute()
    decline_reason = UnicodeAttribute(null=True)
    status_history = ListAttribute(of=StatusChangeMap)
    idempotency_key = UnicodeAttribute()
    created_at = IsoDateTimeAttribute()
    updated_at = IsoDateTimeAttribute()

    by_order = PaymentsByOrder()


# ---------------------------------------------------------------- registry and idempotency
class EcommerceRegistry(RegistryModel):
    """Id counters (customer, cart, order, payment) and uniqueness guards (e-mail, one captured
    payment per order)."""

    class Meta(BaseMeta):
        table_name = Lazy(lambda: settings().registry_table)


class IdempotencyRecord(Model):
    """The first outcome of an operation called with a caller-given key.

    ``pk`` is ``<operation>#<key>`` (``create-order#saga-42``). ``state`` is ``completed``
    (``result`` holds the operation's output as JSON, ``resource_id`` the order or payment) or
    ``aborted`` (a compensation ran before the forward step: the key can no longer be used).
    Written with ``attribute_not_exists(pk)`` in the same transaction as what it protects.
    """

    class Meta(BaseMeta):
        table_name = Lazy(lambda: settings().idempotency_table)

    pk = UnicodeAttribute(hash_key=True)
    operation = UnicodeAttribute()
    idempotency_key = UnicodeAttribute()
    state = UnicodeAttribute()  # "completed" | "aborted"
    request_hash = UnicodeAttribute(null=True)
    resource_id = IntegerAttribute(null=True)
    result = UnicodeAttribute(null=True)
    created_at = IsoDateTimeAttribute()


ALL_MODELS: tuple[type[Model], ...] = (
    CustomerRecord,
    CartRecord,
    OrderRecord,
    PaymentRecord,
    EcommerceRegistry,
    IdempotencyRecord,
)
