"""/api/v1/returns routes."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from retail.logic import returns
from retail.schemas import ReturnCreate, ReturnOut, ReturnPage
from shared.api import error_responses
from shared.caller import Caller
from shared.pagination import DEFAULT_LIMIT, Limit, NextToken
from shared.types import MAX_ID

router = Router()

ReturnId = Annotated[int, Path(ge=1, le=MAX_ID, description="Return id.")]


@router.post(
    "/returns",
    operation_id="createReturn",
    summary="Return products of a sale",
    description="Refunds each line at the price it was sold at and puts the units back in the stock of "
    "the sale's store, in one transaction. Returning more than was sold, or the same units twice, "
    "is a 409 `return_exceeds_sale`.",
    tags=["returns"],
    status_code=201,
    responses={201: {"description": "The recorded return"}, **error_responses(403, 409)},
)
def create_return(return_: ReturnCreate) -> ReturnOut:
    return returns.create_return(return_, Caller.of(router.current_event))


@router.get(
    "/returns",
    operation_id="listReturns",
    summary="List returns",
    description="Of one sale (`sale_id`), of one store (`store_id`, newest first), or all.",
    tags=["returns"],
    responses={200: {"description": "A page of returns"}, **error_responses(400, 403)},
)
def list_returns(
    limit: Limit = DEFAULT_LIMIT,
    next_token: NextToken = None,
    sale_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    store_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> ReturnPage:
    return returns.list_returns(limit=limit, next_token=next_token, sale_id=sale_id, store_id=store_id,
                                caller=Caller.of(router.current_event))


@router.get(
    "/returns/<return_id>",
    operation_id="getReturn",
    summary="Get a return",
    tags=["returns"],
    responses={200: {"description": "The return"}, **error_responses(403, 404)},
)
def get_return(return_id: ReturnId) -> ReturnOut:
    return returns.get_return(return_id, Caller.of(router.current_event))
