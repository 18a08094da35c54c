"""/api/v1/orders routes."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from ecommerce.logic import orders
from ecommerce.logic.orders import NewOrder
from ecommerce.schemas import OrderCreate, OrderOut, OrderPage, OrderStatus
from shared.api import error_responses
from shared.pagination import DEFAULT_LIMIT, Limit, NextToken
from shared.types import MAX_ID

router = Router()

OrderId = Annotated[int, Path(ge=1, le=MAX_ID, description="Order id.")]


@router.get(
    "/orders",
    operation_id="listOrders",
    summary="List orders",
    description="All orders (table order), or filtered by customer and/or status, newest first.",
    tags=["orders"],
    responses={200: {"description": "A page of orders"}, **error_responses(400)},
)
def list_orders(
    limit: Limit = DEFAULT_LIMIT,
    next_token: NextToken = None,
    customer_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    status: Annotated[OrderStatus | None, Query()] = None,
) -> OrderPage:
    return orders.list_orders(limit=limit, next_token=next_token, customer_id=customer_id, status=status)


@router.post(
    "/orders",
    operation_id="createOrder",
    summary="Create a pending order",
    description="From `lines` or an open `cart_id`, priced from the catalogue. Unknown customer, product "
    "or cart: 404 `invalid_reference`; an ordered cart: 409 `cart_closed`. With `idempotency_key`, a "
    "repeat returns the first order.",
    tags=["orders"],
    status_code=201,
    responses={201: {"description": "The created order"}, **error_responses(409)},
)
def create_order(order: OrderCreate) -> OrderOut:
    new = NewOrder(
        customer_id=order.customer_id,
        lines=tuple(order.lines) if order.lines is not None else None,
        cart_id=order.cart_id,
        shipping_address=order.shipping_address,
        billing_address=order.billing_address,
    )
    created, _ = orders.create_order(new, idempotency_key=order.idempotency_key, source="api")
    return OrderOut.model_validate(created)


@router.get(
    "/orders/<order_id>",
    operation_id="getOrder",
    summary="Get an order",
    tags=["orders"],
    responses={200: {"description": "The order, with its lines and status history"}, **error_responses(404)},
)
def get_order(order_id: OrderId) -> OrderOut:
    return orders.get_order(order_id)
