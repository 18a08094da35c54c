"""Products, categories, suppliers and locations: the business rules.

- A SKU is unique (409 ``already_exists``) and never recycled, even after DELETE.
- A product references an existing category and, optionally, an existing supplier
  (422 ``invalid_reference`` otherwise); listing filters on unknown ids are 422 too.
- Creating a product opens an empty stock row at every location, so it shows up in stock
  listings (and as low stock) immediately.
- DELETE is a soft delete: the product disappears from GET and listings (404 afterwards),
  its stock rows are flagged discontinued and leave the stock listings; the records stay for
  history (orders and sales refer to them).
- Category and supplier names are unique, case-insensitively (409).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from inventory.dal import catalog as dal
from inventory.dal import stock as stock_dal
from inventory.models import Location, Product
from inventory.schemas import (
    CategoryCreate,
    CategoryOut,
    CategoryPage,
    LocationOut,
    LocationPage,
    ProductCreate,
    ProductOut,
    ProductPage,
    ProductUpdate,
    SupplierCreate,
    SupplierOut,
    SupplierPage,
)
from shared.dynamo import utcnow
from shared.errors import AlreadyExistsError, InvalidReferenceError, NotFoundError

logger = Logger(child=True)
metrics = Metrics()


# ---------------------------------------------------------------- references
def require_category(category_id: int, loc: list[str | int]) -> None:
    if dal.get_category(category_id) is None:
        raise InvalidReferenceError(loc, "category", category_id)


def require_supplier(supplier_id: int, loc: list[str | int]) -> None:
    if dal.get_supplier(supplier_id) is None:
        raise InvalidReferenceError(loc, "supplier", supplier_id)


def require_location(location_id: str, loc: list[str | int]) -> Location:
    location = dal.get_location(location_id)
    if location is None:
        raise InvalidReferenceError(loc, "location", location_id)
    return location


def require_product(product_id: int, *, consistent: bool = False) -> Product:
    product = dal.get_product(product_id, consistent=consistent)
    if product is None:
        raise NotFoundError("product", product_id)
    return product


# ---------------------------------------------------------------- products
def create_product(request: ProductCreate) -> ProductOut:
    require_category(request.category_id, ["body", "category_id"])
    if request.supplier_id is not None:
        require_supplier(request.supplier_id, ["body", "supplier_id"])
    if dal.guard_owner_of_sku(request.sku) is not None:  # cheap early answer; the transaction decides
        raise AlreadyExistsError("product", "sku", request.sku)
    now = utcnow()
    product = Product(
        product_id=dal.next_id("product")[0],
        sku=request.sku,
        name=request.name,
        description=request.description,
        category_id=request.category_id,
        supplier_id=request.supplier_id,
        price=request.price,
        reorder_level=request.reorder_level,
        created_at=now,
        updated_at=now,
    )
    dal.create_product(product, dal.all_location_ids())
    metrics.add_metric(name="ProductsCreated", unit=MetricUnit.Count, value=1)
    logger.info("product created", extra={"product_id": product.product_id, "sku": product.sku})
    return ProductOut.model_validate(product)


def get_product(product_id: int) -> ProductOut:
    return ProductOut.model_validate(require_product(product_id))


def list_products(
    *,
    limit: int,
    next_token: str | None,
    category_id: int | None,
    supplier_id: int | None,
    search: str | None,
) -> ProductPage:
    if category_id is not None:
        require_category(category_id, ["query", "category_id"])
    if supplier_id is not None:
        require_supplier(supplier_id, ["query", "supplier_id"])
    products, token = dal.list_products(
        limit=limit,
        next_token=next_token,
        category_id=category_id,
        supplier_id=supplier_id,
        search=search.strip() if search else None,
    )
    return ProductPage(items=[ProductOut.model_validate(product) for product in products], next_token=token)


def update_product(product_id: int, request: ProductUpdate) -> ProductOut:
    current = require_product(product_id, consistent=True)
    changes = request.changes()
    if changes.get("category_id") is not None:
        require_category(changes["category_id"], ["body", "category_id"])
    if changes.get("supplier_id") is not None:
        require_supplier(changes["supplier_id"], ["body", "supplier_id"])
    if "sku" in changes and changes["sku"] != current.sku:
        owner = dal.guard_owner_of_sku(changes["sku"])
        if owner is not None and owner != product_id:
            raise AlreadyExistsError("product", "sku", changes["sku"])
    updated = dal.update_product(current, changes)
    if "reorder_level" in changes and changes["reorder_level"] != current.reorder_level:
        stock_dal.set_reorder_level(product_id, changes["reorder_level"])
    logger.info("product updated", extra={"product_id": product_id, "fields": sorted(changes)})
    return ProductOut.model_validate(updated)


def delete_product(product_id: int) -> None:
    require_product(product_id, consistent=True)
    dal.delete_product(product_id)
    metrics.add_metric(name="ProductsDeleted", unit=MetricUnit.Count, value=1)
    logger.info("product deleted", extra={"product_id": product_id})


# ---------------------------------------------------------------- categories, suppliers, locations
def create_category(request: CategoryCreate) -> CategoryOut:
    if dal.find_category_by_name(request.name) is not None:
        raise AlreadyExistsError("category", "name", request.name)
    return CategoryOut.model_validate(dal.create_category(request.name, request.description))


def list_categories(*, limit: int, next_token: str | None) -> CategoryPage:
    categories, token = dal.list_categories(limit=limit, next_token=next_token)
    return CategoryPage(items=[CategoryOut.model_validate(category) for category in categories], next_token=token)


def create_supplier(request: SupplierCreate) -> SupplierOut:
    if dal.find_supplier_by_name(request.name) is not None:
        raise AlreadyExistsError("supplier", "name", request.name)
    supplier = dal.create_supplier(request.name, request.contact_email, request.phone, request.address)
    return SupplierOut.model_validate(supplier)


def list_suppliers(*, limit: int, next_token: str | None) -> SupplierPage:
    suppliers, token = dal.list_suppliers(limit=limit, next_token=next_token)
    return SupplierPage(items=[SupplierOut.model_validate(supplier) for supplier in suppliers], next_token=token)


def list_locations(*, limit: int, next_token: str | None) -> LocationPage:
    locations, token = dal.list_locations(limit=limit, next_token=next_token)
    return LocationPage(items=[LocationOut.model_validate(location) for location in locations], next_token=token)
