"""/api/v1/stores routes."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from retail.logic import stores
from retail.schemas import StoreCreate, StoreOut, StorePage
from shared.api import error_responses
from shared.pagination import DEFAULT_LIMIT, Limit, NextToken
from shared.types import MAX_ID

router = Router()

StoreId = Annotated[int, Path(ge=1, le=MAX_ID, description="Store id.")]


@router.get(
    "/stores",
    operation_id="listStores",
    summary="List stores",
    tags=["stores"],
    responses={200: {"description": "A page of stores"}, **error_responses(400)},
)
def list_stores(limit: Limit = DEFAULT_LIMIT, next_token: NextToken = None) -> StorePage:
    return stores.list_stores(limit=limit, next_token=next_token)


@router.post(
    "/stores",
    operation_id="createStore",
    summary="Open a store",
    description="Names are unique (case-insensitive). The store's inventory stock location "
    "`store-<store_id>` is created in the same transaction; it starts with no stock rows "
    "(PUT /api/v1/stock/{product_id} with that location_id stocks it).",
    tags=["stores"],
    status_code=201,
    responses={201: {"description": "The created store"}, **error_responses(409)},
)
def create_store(store: StoreCreate) -> StoreOut:
    return stores.create_store(store)


@router.get(
    "/stores/<store_id>",
    operation_id="getStore",
    summary="Get a store",
    tags=["stores"],
    responses={200: {"description": "The store"}, **error_responses(404)},
)
def get_store(store_id: StoreId) -> StoreOut:
    return stores.get_store(store_id)
