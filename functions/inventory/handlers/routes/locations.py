"""/api/v1/locations: where stock is held (the central warehouse and the stores)."""

from aws_lambda_powertools.event_handler.api_gateway import Router

from inventory.logic import catalog
from inventory.schemas import LocationPage
from shared.api import error_responses
from shared.pagination import DEFAULT_LIMIT, Limit, NextToken

router = Router()


@router.get(
    "/locations",
    operation_id="listLocations",
    summary="List stock locations",
    description="The central warehouse (`warehouse`) and the stores (`store-1` ...): the valid `location_id`s.",
    tags=["stock"],
    responses={200: {"description": "A page of locations"}, **error_responses(400)},
)
def list_locations(limit: Limit = DEFAULT_LIMIT, next_token: NextToken = None) -> LocationPage:
    return catalog.list_locations(limit=limit, next_token=next_token)
