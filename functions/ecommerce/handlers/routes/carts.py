"""/api/v1/carts routes."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from ecommerce.logic import carts
from ecommerce.schemas import CartCreate, CartOut, CartPage, CartStatus, CartUpdate
from shared.api import error_responses
from shared.pagination import DEFAULT_LIMIT, Limit, NextToken
from shared.types import MAX_ID

router = Router()

CartId = Annotated[int, Path(ge=1, le=MAX_ID, description="Cart id.")]


@router.get(
    "/carts",
    operation_id="listCarts",
    summary="List carts",
    description="All carts (table order), or a customer's carts newest first; `status` filters open/ordered.",
    tags=["carts"],
    responses={200: {"description": "A page of carts"}, **error_responses(400)},
)
def list_carts(
    limit: Limit = DEFAULT_LIMIT,
    next_token: NextToken = None,
    customer_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    status: Annotated[CartStatus | None, Query()] = None,
) -> CartPage:
    return carts.list_carts(limit=limit, next_token=next_token, customer_id=customer_id, status=status)


@router.post(
    "/carts",
    operation_id="createCart",
    summary="Create a cart",
    description="Items are priced from the inventory catalogue; unknown or deleted products are 422 "
    "`invalid_reference`. `customer_id` is optional (guest cart).",
    tags=["carts"],
    status_code=201,
    responses={201: {"description": "The created cart"}, **error_responses()},
)
def create_cart(cart: CartCreate) -> CartOut:
    return carts.create_cart(cart)


@router.get(
    "/carts/<cart_id>",
    operation_id="getCart",
    summary="Get a cart",
    tags=["carts"],
    responses={200: {"description": "The cart"}, **error_responses(404)},
)
def get_cart(cart_id: CartId) -> CartOut:
    return carts.get_cart(cart_id)


@router.put(
    "/carts/<cart_id>",
    operation_id="updateCart",
    summary="Replace the items of a cart",
    description="`items` replaces the whole content (omit a product to remove it) and is priced again. "
    "An ordered cart is read only (409 `cart_closed`).",
    tags=["carts"],
    responses={200: {"description": "The updated cart"}, **error_responses(404, 409)},
)
def update_cart(cart_id: CartId, changes: CartUpdate) -> CartOut:
    return carts.update_cart(cart_id, changes)
