"""pynamodb models of the inventory tables (keys and indexes: see ../README.md).

Table names are read from the environment when a request needs them (``shared.dynamo.Lazy``),
so importing this module needs no environment.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, ListAttribute, MapAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from inventory.settings import registry_settings, reservation_settings, settings, stock_settings
from shared.dynamo import BaseMeta, DecimalAttribute, IntegerAttribute, Lazy, RegistryModel

CATEGORY_INDEX = "category-index"
SUPPLIER_INDEX = "supplier-index"
LOCATION_INDEX = "location-index"


class ProductsByCategory(GlobalSecondaryIndex["ProductRecord"]):
    class Meta:
        index_name = CATEGORY_INDEX
        projection = AllProjection()

    category_id = IntegerAttribute(hash_key=True)
    product_id = IntegerAttribute(range_key=True)


class ProductsBySupplier(GlobalSecondaryIndex["ProductRecord"]):
    class Meta:
        index_name = SUPPLIER_INDEX
        projection = AllProjection()

    supplier_id = IntegerAttribute(hash_key=True)
    product_id = IntegerAttribute(range_key=True)


class ProductRecord(Model):
    class Meta(BaseMeta):
        table_name = Lazy(lambda: stock_settings().products_table)

    product_id = IntegerAttribute(hash_key=True)
    sku = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    category_id = IntegerAttribute()
    supplier_id = IntegerAttribute(null=True)
    price = DecimalAttribute()
    reorder_level = IntegerAttribute()
    search_text = UnicodeAttribute()  # lower-case name and SKU, for `contains` filters
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    deleted_at = UTCDateTimeAttribute(null=True)  # soft delete (DELETE /products/{id})

    by_category = ProductsByCategory()
    by_supplier = ProductsBySupplier()


class CategoryRecord(Model):
    class Meta(BaseMeta):
        table_name = Lazy(lambda: settings().categories_table)

    category_id = IntegerAttribute(hash_key=True)
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()


class SupplierRecord(Model):
    class Meta(BaseMeta):
        table_name = Lazy(lambda: settings().suppliers_table)

    supplier_id = IntegerAttribute(hash_key=True)
    name = UnicodeAttribute()
    contact_email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    address = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()


class LocationRecord(Model):
    """A place that holds stock: the central warehouse or a store."""

    class Meta(BaseMeta):
        table_name = Lazy(lambda: stock_settings().locations_table)

    location_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    kind = UnicodeAttribute()  # "warehouse" | "store"
    address = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    opened_by = UnicodeAttribute(null=True)  # the interface's reference that opened it (e.g. "store-7")


class StockByLocation(GlobalSecondaryIndex["StockRecord"]):
    class Meta:
        index_name = LOCATION_INDEX
        projection = AllProjection()

    location_id = UnicodeAttribute(hash_key=True)
    product_id = IntegerAttribute(range_key=True)


class StockRecord(Model):
    """Stock of one product at one location.

    ``available`` can be sold or reserved; ``reserved`` is held for orders in flight (the
    saga) until confirmed (removed) or released (back to ``available``). Neither goes below
    zero: every writer uses a condition expression. ``reorder_level`` is the product's,
    copied here so that ``available <= reorder_level`` is a filter on this item alone.
    """

    class Meta(BaseMeta):
        table_name = Lazy(lambda: stock_settings().stock_table)

    product_id = IntegerAttribute(hash_key=True)
    location_id = UnicodeAttribute(range_key=True)
    available = IntegerAttribute()
    reserved = IntegerAttribute()
    reorder_level = IntegerAttribute()
    discontinued = BooleanAttribute(null=True)  # set when the product is deleted
    updated_at = UTCDateTimeAttribute()

    by_location = StockByLocation()


class StockMovementRecord(Model):
    """An append-only journal of stock changes (newest last in the sort key)."""

    class Meta(BaseMeta):
        table_name = Lazy(lambda: stock_settings().stock_movements_table)

    product_id = IntegerAttribute(hash_key=True)
    movement_id = UnicodeAttribute(range_key=True)  # <UTC timestamp>-<random>, sorts by time
    location_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # "set" | "adjust" | "initial"; interface: "sale" | "return", a cancellation "<kind>-undo"; saga: "reserve" | "release" | "commit"
    delta = IntegerAttribute()  # change of `available`
    available_before = IntegerAttribute()
    available_after = IntegerAttribute()
    reserved_delta = IntegerAttribute(null=True)  # change of `reserved` (saga movements only)
    reason = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class InventoryRegistry(RegistryModel):
    """Id counters (product, category, supplier) and uniqueness guards (SKU, names)."""

    class Meta(BaseMeta):
        table_name = Lazy(lambda: registry_settings().registry_table)


class AppliedChangesRecord(Model):
    """The inventory interface's record of a set of stock changes it applied (``pk``
    ``applied#<reference>``, in the registry table), put in the same transaction as the changes
    with ``attribute_not_exists``: a second apply with the same reference finds it and answers
    what the first one did (``result``) without applying anything. ``cancelled_at`` is set in the
    transaction that undoes the changes, or on a record put by a cancellation that found none
    (``result`` ""), so that a late apply of that reference is refused."""

    class Meta(BaseMeta):
        table_name = Lazy(lambda: registry_settings().registry_table)

    pk = UnicodeAttribute(hash_key=True)
    request_hash = UnicodeAttribute()
    result = UnicodeAttribute()  # the AppliedStockChanges answer, JSON ("" for a cancellation that found nothing)
    created_at = UTCDateTimeAttribute()
    kind = UnicodeAttribute(null=True)
    cancelled_at = UTCDateTimeAttribute(null=True)


class ReservationLine(MapAttribute):
    product_id = IntegerAttribute()
    quantity = IntegerAttribute()


class ReservationRecord(Model):
    """A stock reservation of the order saga, keyed by the saga id.

    ``status`` is ``reserved`` (the units moved from ``available`` to ``reserved``),
    ``committed`` (the units left ``reserved``: the order is confirmed) or ``released`` (the
    units went back to ``available``). A *tombstone* is a ``released`` record with no lines,
    written when the release ran before any reservation: it refuses a late reservation.
    """

    class Meta(BaseMeta):
        table_name = Lazy(lambda: reservation_settings().reservations_table)

    reservation_id = UnicodeAttribute(hash_key=True)  # the saga id
    status = UnicodeAttribute()  # "reserved" | "released" | "committed"
    location_id = UnicodeAttribute(null=True)  # null on a tombstone
    lines = ListAttribute(of=ReservationLine)  # [] on a tombstone
    tombstone = BooleanAttribute(null=True)
    reason = UnicodeAttribute(null=True)  # why it was released
    correlation_id = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


# the REST API's tables (InventoryFunction); the saga functions' extra table is in SAGA_MODELS
ALL_MODELS: tuple[type[Model], ...] = (
    ProductRecord,
    CategoryRecord,
    SupplierRecord,
    LocationRecord,
    StockRecord,
    StockMovementRecord,
    InventoryRegistry,
)
SAGA_MODELS: tuple[type[Model], ...] = (ProductRecord, LocationRecord, StockRecord, StockMovementRecord, ReservationRecord)
