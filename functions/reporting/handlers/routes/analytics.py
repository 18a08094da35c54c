"""/api/v1/analytics routes: daily trends and top products."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from reporting.handlers.routes.params import From, To
from reporting.logic import reports
from reporting.logic.periods import period_from_query
from reporting.schemas import ProductRankBy, TrendsReport
from shared.api import error_responses
from shared.caller import Caller

router = Router()


@router.get(
    "/analytics/trends",
    operation_id="getTrends",
    summary="Daily trends and top products",
    description="For a period (default: the last 30 days): one point per day (in-store revenue, sales, units, "
    "returns; online orders and cancellations) and the best-selling products (in store + online, net of "
    "cancellations) by units or revenue.",
    tags=["analytics"],
    responses={200: {"description": "The series and the top products"}, **error_responses(403)},
)
def trends(
    from_: From = None,
    to: To = None,
    top: Annotated[int, Query(ge=1, le=100, description="How many products (default 10).")] = 10,
    rank_products_by: Annotated[ProductRankBy, Query(description="Rank products by total units or revenue.")] = "units",
) -> TrendsReport:
    return reports.trends_report(period_from_query(from_, to), top=top, rank_products_by=rank_products_by,
                                 caller=Caller.of(router.current_event))
