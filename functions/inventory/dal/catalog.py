"""Reads and writes of products, categories, suppliers and locations (takes and returns
:mod:`inventory.models`: ``Product``, ``Category``, ``Supplier``, ``Location``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition

from inventory.dal.tables import (
    CategoryRecord,
    InventoryRegistry,
    LocationRecord,
    ProductRecord,
    StockRecord,
    SupplierRecord,
)
from inventory.models import Category, Location, Product, Supplier
from shared.dynamo import (
    add_guard,
    allocate_ids,
    cancellation_codes,
    get_as,
    guard_owner,
    is_conditional_failure,
    record_of,
    release_guard,
    transact_write,
    utcnow,
)
from shared.errors import AlreadyExistsError, ConcurrentModificationError, NotFoundError
from shared.pagination import read_page, scope_of

TRANSACTION_MAX_ITEMS = 100

# guard kinds in the registry table
SKU = "sku"
CATEGORY_NAME = "category-name"
SUPPLIER_NAME = "supplier-name"


def next_id(counter: str, count: int = 1) -> range:
    return allocate_ids(InventoryRegistry, counter, count)


def guard_owner_of_sku(sku: str) -> int | None:
    """The product id owning ``sku`` (deleted products keep theirs), or ``None``."""
    return guard_owner(InventoryRegistry, SKU, sku)


def search_text(name: str, sku: str) -> str:
    return f"{name} {sku}".lower()


# ---------------------------------------------------------------- products
def get_product(product_id: int, *, consistent: bool = False, include_deleted: bool = False) -> Product | None:
    try:
        record = ProductRecord.get(product_id, consistent_read=consistent)
    except ProductRecord.DoesNotExist:
        return None
    if record.deleted_at is not None and not include_deleted:
        return None
    return Product.model_validate(record)


def product_record(product: Product) -> ProductRecord:
    """``product`` as stored (with its ``search_text``)."""
    return record_of(ProductRecord, product, search_text=search_text(product.name, product.sku))


def list_products(
    *,
    limit: int,
    next_token: str | None,
    category_id: int | None = None,
    supplier_id: int | None = None,
    search: str | None = None,
) -> tuple[list[Product], str | None]:
    """Live products of a category (Query ``category-index``) or of a supplier (Query
    ``supplier-index``), or all of them (Scan); ``search`` matches name or SKU while reading."""
    condition: Condition = ProductRecord.deleted_at.does_not_exist()
    if search:
        condition &= ProductRecord.search_text.contains(search.lower())
    if category_id is not None and supplier_id is not None:
        condition &= ProductRecord.supplier_id == supplier_id
    return read_page(
        Product,
        ProductRecord,
        scope=scope_of("products", category_id=category_id, supplier_id=supplier_id, search=search),
        limit=limit,
        next_token=next_token,
        hash_key=category_id if category_id is not None else supplier_id,
        index=ProductRecord.by_category if category_id is not None else ProductRecord.by_supplier if supplier_id is not None else None,
        filter_condition=condition,
        sparse=bool(search) or (category_id is not None and supplier_id is not None),
    )


def create_product(product: Product, location_ids: Iterable[str]) -> Product:
    """Write a new product, claim its SKU and open an empty stock row at every location."""
    now = product.created_at
    location_ids = list(location_ids)
    with_stock = len(location_ids) + 2 <= TRANSACTION_MAX_ITEMS
    try:
        with transact_write() as tx:
            tx.save(product_record(product), condition=ProductRecord.product_id.does_not_exist())
            add_guard(tx, InventoryRegistry, SKU, product.sku, product.product_id)
            if with_stock:
                for location_id in location_ids:
                    tx.save(_empty_stock(product, location_id, now), condition=StockRecord.product_id.does_not_exist())
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
            raise AlreadyExistsError("product", "sku", product.sku) from None
        raise
    if not with_stock:  # more locations than one transaction holds: open the rows one by one
        for location_id in location_ids:
            open_stock_row(product, location_id)
    return product


def _empty_stock(product: Product, location_id: str, now: datetime) -> StockRecord:
    return StockRecord(
        product.product_id,
        location_id,
        available=0,
        reserved=0,
        reorder_level=product.reorder_level,
        updated_at=now,
    )


def open_stock_row(product: Product, location_id: str) -> None:
    try:
        _empty_stock(product, location_id, utcnow()).save(condition=StockRecord.product_id.does_not_exist())
    except PutError as exc:
        if not is_conditional_failure(exc):
            raise


def update_product(current: Product, changes: dict[str, Any]) -> Product:
    """Apply ``changes`` (attribute -> value, ``None`` removes) to a live product.

    A new SKU is claimed and the old one released in the same transaction. Raises
    ``NotFoundError`` if the product was deleted meanwhile, ``AlreadyExistsError`` if the new
    SKU is taken, ``ConcurrentModificationError`` if the SKU changed meanwhile.
    """
    now = utcnow()
    actions = []
    for name, value in changes.items():
        attribute = getattr(ProductRecord, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    new_name = changes.get("name", current.name)
    new_sku = changes.get("sku", current.sku)
    actions.append(ProductRecord.search_text.set(search_text(new_name, new_sku)))
    actions.append(ProductRecord.updated_at.set(now))
    condition = (
        ProductRecord.product_id.exists() & ProductRecord.deleted_at.does_not_exist() & (ProductRecord.sku == current.sku)
    )
    target = ProductRecord(current.product_id)

    if new_sku == current.sku:
        try:
            target.update(actions=actions, condition=condition)
        except UpdateError as exc:
            if is_conditional_failure(exc):
                _raise_update_conflict(current.product_id)
            raise
        return Product.model_validate(target)

    try:
        with transact_write() as tx:  # item order: deletes, puts, updates
            release_guard(tx, InventoryRegistry, SKU, current.sku, current.product_id)
            add_guard(tx, InventoryRegistry, SKU, new_sku, current.product_id)
            tx.update(target, actions=actions, condition=condition)
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        if len(codes) == 3 and codes[1] == "ConditionalCheckFailed":
            raise AlreadyExistsError("product", "sku", new_sku) from None
        if "ConditionalCheckFailed" in codes:
            _raise_update_conflict(current.product_id)
        raise
    return Product.model_validate(ProductRecord.get(current.product_id, consistent_read=True))


def _raise_update_conflict(product_id: int) -> None:
    if get_product(product_id, consistent=True) is None:
        raise NotFoundError("product", product_id)
    raise ConcurrentModificationError(f"product {product_id} changed during the update; retry")


def delete_product(product_id: int) -> None:
    """Soft delete: mark the product deleted and its stock rows discontinued.

    The SKU stays claimed (SKUs are never recycled: sales and orders still refer to them).
    """
    now = utcnow()
    rows = list(StockRecord.query(product_id, consistent_read=True))
    target = ProductRecord(product_id)
    first, rest = rows[: TRANSACTION_MAX_ITEMS - 1], rows[TRANSACTION_MAX_ITEMS - 1 :]
    try:
        with transact_write() as tx:
            tx.update(
                target,
                actions=[ProductRecord.deleted_at.set(now), ProductRecord.updated_at.set(now)],
                condition=ProductRecord.product_id.exists() & ProductRecord.deleted_at.does_not_exist(),
            )
            for row in first:
                tx.update(row, actions=[StockRecord.discontinued.set(True)], add_version_condition=False)
    except TransactWriteError as exc:
        if cancellation_codes(exc)[:1] == ["ConditionalCheckFailed"]:
            raise NotFoundError("product", product_id) from None
        raise
    for row in rest:
        row.update(actions=[StockRecord.discontinued.set(True)])


# ---------------------------------------------------------------- categories and suppliers
def get_category(category_id: int) -> Category | None:
    return get_as(Category, CategoryRecord, category_id)


def create_category(name: str, description: str | None) -> Category:
    category = Category(category_id=next_id("category")[0], name=name, description=description, created_at=utcnow())
    _create_with_unique_name(
        record_of(CategoryRecord, category), CategoryRecord.category_id, CATEGORY_NAME, "category", name, category.category_id
    )
    return category


def find_category_by_name(name: str) -> Category | None:
    owner = guard_owner(InventoryRegistry, CATEGORY_NAME, name.casefold())
    return get_category(owner) if owner is not None else None


def list_categories(*, limit: int, next_token: str | None) -> tuple[list[Category], str | None]:
    return read_page(Category, CategoryRecord, scope=scope_of("categories"), limit=limit, next_token=next_token)


def get_supplier(supplier_id: int) -> Supplier | None:
    return get_as(Supplier, SupplierRecord, supplier_id)


def create_supplier(name: str, contact_email: str | None, phone: str | None, address: str | None) -> Supplier:
    supplier = Supplier(
        supplier_id=next_id("supplier")[0],
        name=name,
        contact_email=contact_email,
        phone=phone,
        address=address,
        created_at=utcnow(),
    )
    _create_with_unique_name(
        record_of(SupplierRecord, supplier), SupplierRecord.supplier_id, SUPPLIER_NAME, "supplier", name, supplier.supplier_id
    )
    return supplier


def find_supplier_by_name(name: str) -> Supplier | None:
    owner = guard_owner(InventoryRegistry, SUPPLIER_NAME, name.casefold())
    return get_supplier(owner) if owner is not None else None


def list_suppliers(*, limit: int, next_token: str | None) -> tuple[list[Supplier], str | None]:
    return read_page(Supplier, SupplierRecord, scope=scope_of("suppliers"), limit=limit, next_token=next_token)


def _create_with_unique_name(record: Any, key_attribute: Any, kind: str, resource: str, name: str, owner_id: int) -> None:
    try:
        with transact_write() as tx:
            tx.save(record, condition=key_attribute.does_not_exist())
            add_guard(tx, InventoryRegistry, kind, name.casefold(), owner_id)
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
            raise AlreadyExistsError(resource, "name", name) from None
        raise


# ---------------------------------------------------------------- locations
def get_location(location_id: str) -> Location | None:
    return get_as(Location, LocationRecord, location_id)


def all_location_ids() -> list[str]:
    return sorted(record.location_id for record in LocationRecord.scan(attributes_to_get=["location_id"]))


def list_locations(*, limit: int, next_token: str | None) -> tuple[list[Location], str | None]:
    return read_page(Location, LocationRecord, scope=scope_of("locations"), limit=limit, next_token=next_token)


def put_location(location_id: str, name: str, kind: str, address: str | None) -> Location:
    """Create or update a location (used by the seed; there is no public endpoint)."""
    existing = get_location(location_id)
    location = Location(
        location_id=location_id,
        name=name,
        kind=kind,
        address=address,
        created_at=existing.created_at if existing else utcnow(),
    )
    record_of(LocationRecord, location).save()
    return location
