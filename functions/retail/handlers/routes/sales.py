"""/api/v1/sales routes."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from retail.logic import sales
from retail.logic.rules import MAX_SALE_LINES
from retail.schemas import DATE_FORMAT, DATE_PATTERN, SaleCreate, SaleOut, SalePage
from shared.api import error_responses
from shared.caller import Caller
from shared.pagination import DEFAULT_LIMIT, Limit, NextToken
from shared.types import MAX_ID

router = Router()

SaleId = Annotated[int, Path(ge=1, le=MAX_ID, description="Sale id.")]
StoreFilter = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this store's sales (newest first).")]
DateFrom = Annotated[
    str | None,
    Query(alias="from", pattern=DATE_PATTERN, json_schema_extra=DATE_FORMAT, description="First day (UTC, YYYY-MM-DD, inclusive).", examples=["2026-11-01"]),
]
DateTo = Annotated[
    str | None,
    Query(alias="to", pattern=DATE_PATTERN, json_schema_extra=DATE_FORMAT, description="Last day (UTC, YYYY-MM-DD, inclusive).", examples=["2026-11-30"]),
]


@router.post(
    "/sales",
    operation_id="createSale",
    summary="Record a sale at a store's cash register",
    description="Prices come from the product catalogue. Every line's units leave the store's stock "
    "in one transaction: all lines or none (409 `insufficient_stock` names the short products and "
    f"what is available). At most {MAX_SALE_LINES} lines, one per product.",
    tags=["sales"],
    status_code=201,
    responses={201: {"description": "The recorded sale"}, **error_responses(403, 409)},
)
def create_sale(sale: SaleCreate) -> SaleOut:
    return sales.create_sale(sale, Caller.of(router.current_event))


@router.get(
    "/sales",
    operation_id="listSales",
    summary="List sales",
    description="With `store_id`: that store's sales, newest first. Without: every sale, in no particular "
    "order. `from`/`to` keep the sales of those UTC days (inclusive).",
    tags=["sales"],
    responses={200: {"description": "A page of sales"}, **error_responses(400, 403)},
)
def list_sales(
    limit: Limit = DEFAULT_LIMIT,
    next_token: NextToken = None,
    store_id: StoreFilter = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
) -> SalePage:
    return sales.list_sales(
        limit=limit, next_token=next_token, store_id=store_id, date_from=date_from, date_to=date_to,
        caller=Caller.of(router.current_event),
    )


@router.get(
    "/sales/<sale_id>",
    operation_id="getSale",
    summary="Get a sale",
    tags=["sales"],
    responses={200: {"description": "The sale"}, **error_responses(403, 404)},
)
def get_sale(sale_id: SaleId) -> SaleOut:
    return sales.get_sale(sale_id, Caller.of(router.current_event))
