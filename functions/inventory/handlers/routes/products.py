"""/api/v1/products routes: parse, validate, delegate to inventory.logic.catalog."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from inventory.logic import catalog
from inventory.schemas import ProductCreate, ProductOut, ProductPage, ProductUpdate
from shared.api import error_responses
from shared.pagination import DEFAULT_LIMIT, Limit, NextToken
from shared.types import MAX_ID

router = Router()

ProductId = Annotated[int, Path(ge=1, le=MAX_ID, description="Product id.")]
IdFilter = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Search = Annotated[
    str | None,
    Query(min_length=1, max_length=100, description="Case-insensitive text found in the name or the SKU."),
]


@router.get(
    "/products",
    operation_id="listProducts",
    summary="List products",
    description="Products by id order, optionally filtered by category, supplier and text. Deleted products are omitted.",
    tags=["products"],
    responses={200: {"description": "A page of products"}, **error_responses(400)},
)
def list_products(
    limit: Limit = DEFAULT_LIMIT,
    next_token: NextToken = None,
    category_id: IdFilter = None,
    supplier_id: IdFilter = None,
    search: Search = None,
) -> ProductPage:
    return catalog.list_products(
        limit=limit, next_token=next_token, category_id=category_id, supplier_id=supplier_id, search=search
    )


@router.post(
    "/products",
    operation_id="createProduct",
    summary="Create a product",
    description="The SKU must be unique; the category (and supplier, if given) must exist. "
    "An empty stock row is opened at every location.",
    tags=["products"],
    status_code=201,
    responses={201: {"description": "The created product"}, **error_responses(409)},
)
def create_product(product: ProductCreate) -> ProductOut:
    return catalog.create_product(product)


@router.get(
    "/products/<product_id>",
    operation_id="getProduct",
    summary="Get a product",
    tags=["products"],
    responses={200: {"description": "The product"}, **error_responses(404)},
)
def get_product(product_id: ProductId) -> ProductOut:
    return catalog.get_product(product_id)


@router.put(
    "/products/<product_id>",
    operation_id="updateProduct",
    summary="Update a product (partial)",
    description="Only the fields present change; `null` clears `description` or `supplier_id`.",
    tags=["products"],
    responses={200: {"description": "The updated product"}, **error_responses(404, 409)},
)
def update_product(product_id: ProductId, changes: ProductUpdate) -> ProductOut:
    return catalog.update_product(product_id, changes)


@router.delete(
    "/products/<product_id>",
    operation_id="deleteProduct",
    summary="Delete (discontinue) a product",
    description="Soft delete: the product is no longer returned (404 afterwards), its stock rows leave "
    "the stock listings, its SKU stays reserved, its history is kept.",
    tags=["products"],
    status_code=204,
    responses={204: {"description": "Deleted (no body)", "content": {}}, **error_responses(404)},
)
def delete_product(product_id: ProductId) -> None:
    catalog.delete_product(product_id)
