"""/api/v1/categories routes."""

from aws_lambda_powertools.event_handler.api_gateway import Router

from inventory.logic import catalog
from inventory.schemas import CategoryCreate, CategoryOut, CategoryPage
from shared.api import error_responses
from shared.pagination import DEFAULT_LIMIT, Limit, NextToken

router = Router()


@router.get(
    "/categories",
    operation_id="listCategories",
    summary="List categories",
    tags=["categories"],
    responses={200: {"description": "A page of categories"}, **error_responses(400)},
)
def list_categories(limit: Limit = DEFAULT_LIMIT, next_token: NextToken = None) -> CategoryPage:
    return catalog.list_categories(limit=limit, next_token=next_token)


@router.post(
    "/categories",
    operation_id="createCategory",
    summary="Create a category",
    description="Names are unique, case-insensitively.",
    tags=["categories"],
    status_code=201,
    responses={201: {"description": "The created category"}, **error_responses(409)},
)
def create_category(category: CategoryCreate) -> CategoryOut:
    return catalog.create_category(category)
