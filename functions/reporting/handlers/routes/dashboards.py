"""/api/v1/dashboards: the management dashboard in one call."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from reporting.logic import reports
from reporting.logic.periods import DATE_FORMAT, DATE_PATTERN, parse_day, today_utc
from reporting.schemas import Dashboard
from shared.api import error_responses
from shared.caller import Caller

router = Router()


@router.get(
    "/dashboards",
    operation_id="getDashboard",
    summary="Management dashboard",
    description="Today vs yesterday, the last 7 days (totals and series), the top 5 stores and products of "
    "those 7 days, online orders, and the number of stock rows at or below their reorder level.",
    tags=["dashboards"],
    responses={200: {"description": "The dashboard"}, **error_responses(403)},
)
def dashboard(
    date: Annotated[
        str | None,
        Query(pattern=DATE_PATTERN, json_schema_extra=DATE_FORMAT, description="The day taken as 'today' (UTC, YYYY-MM-DD). Default: today."),
    ] = None,
) -> Dashboard:
    return reports.dashboard(parse_day(date, ["query", "date"]) or today_utc(), Caller.of(router.current_event))
