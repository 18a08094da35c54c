"""/api/v1/stock routes."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from inventory.logic import stock
from inventory.schemas import LOCATION_ID_PATTERN, StockMovementPage, StockPage, StockUpdate, StockUpdateResult
from shared.api import error_responses
from shared.pagination import DEFAULT_LIMIT, Limit, NextToken
from shared.types import MAX_ID

router = Router()

ProductId = Annotated[int, Path(ge=1, le=MAX_ID, description="Product id.")]


@router.get(
    "/stock",
    operation_id="listStock",
    summary="List stock levels",
    description="One item per product and location. `low_stock=true` keeps the items whose available "
    "quantity is at or below the product's reorder level.",
    tags=["stock"],
    responses={200: {"description": "A page of stock levels"}, **error_responses(400)},
)
def list_stock(
    limit: Limit = DEFAULT_LIMIT,
    next_token: NextToken = None,
    product_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    location_id: Annotated[str | None, Query(max_length=32, pattern=LOCATION_ID_PATTERN)] = None,
    low_stock: Annotated[bool, Query(description="Only items at or below their reorder level.")] = False,
) -> StockPage:
    return stock.list_stock(
        limit=limit, next_token=next_token, product_id=product_id, location_id=location_id, low_stock=low_stock
    )


@router.put(
    "/stock/<product_id>",
    operation_id="updateStock",
    summary="Set or adjust the stock of a product at a location",
    description="Give `quantity` (set) or `delta` (adjust), and a `reason`. The available quantity never "
    "goes below zero (409 `insufficient_stock`). The change is journaled as a stock movement.",
    tags=["stock"],
    responses={200: {"description": "The new stock level and the movement recorded"}, **error_responses(404, 409)},
)
def update_stock(product_id: ProductId, change: StockUpdate) -> StockUpdateResult:
    return stock.update_stock(product_id, change)


@router.get(
    "/stock/<product_id>/movements",
    operation_id="listStockMovements",
    summary="List the stock movements of a product",
    description="Newest first.",
    tags=["stock"],
    responses={200: {"description": "A page of stock movements"}, **error_responses(400, 404)},
)
def list_movements(product_id: ProductId, limit: Limit = DEFAULT_LIMIT, next_token: NextToken = None) -> StockMovementPage:
    return stock.list_movements(product_id, limit=limit, next_token=next_token)
