"""/api/v1/reports routes: sales, performance and inventory reports."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from reporting.handlers.routes.params import From, To
from reporting.logic import inventory_report, reports
from reporting.logic.periods import period_from_query
from reporting.schemas import InventoryReport, PerformanceRankBy, PerformanceReport, SalesGroupBy, SalesReport
from shared.api import error_responses
from shared.caller import Caller
from shared.types import MAX_ID

router = Router()

LOCATION_ID_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$"  # inventory's location ids


@router.get(
    "/reports/sales",
    operation_id="getSalesReport",
    summary="Sales report",
    description="In-store sales and returns over a period (default: the last 30 days), for every store or "
    "one: totals (revenue, sales, units, average basket, refunds, net) and one group per day or per store. "
    "A store without sales in the period (or unknown) reports zeros.",
    tags=["reports"],
    responses={200: {"description": "The sales report"}, **error_responses(403)},
)
def sales_report(
    from_: From = None,
    to: To = None,
    store_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this store.")] = None,
    group_by: Annotated[SalesGroupBy, Query(description="One group per day (default) or per store.")] = "day",
) -> SalesReport:
    return reports.sales_report(period_from_query(from_, to), store_id=store_id, group_by=group_by,
                                caller=Caller.of(router.current_event))


@router.get(
    "/reports/performance",
    operation_id="getPerformanceReport",
    summary="Store performance ranking",
    description="Per store over a period (default: the last 30 days): revenue, sales, average basket, units, "
    "returns rate and share of revenue, best first.",
    tags=["reports"],
    responses={200: {"description": "The stores, ranked"}, **error_responses()},
)
def performance_report(
    from_: From = None,
    to: To = None,
    rank_by: Annotated[PerformanceRankBy, Query(description="The figure stores are ranked by.")] = "revenue",
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many stores (default 100).")] = 100,
) -> PerformanceReport:
    return reports.performance_report(period_from_query(from_, to), rank_by=rank_by, limit=limit,
                                      caller=Caller.of(router.current_event))


@router.get(
    "/reports/inventory",
    operation_id="getInventoryReport",
    summary="Inventory report",
    description="Stock now, per location: rows, units available and reserved, stock value (available x "
    "current price), and the low-stock alerts (available <= reorder level), largest shortfall first. "
    "An unknown `location_id` is a 404 `invalid_reference`.",
    tags=["reports"],
    responses={200: {"description": "The inventory report"}, **error_responses()},
)
def inventory(
    location_id: Annotated[str | None, Query(max_length=32, pattern=LOCATION_ID_PATTERN, description="Only this location.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many low-stock alerts (default 100).")] = 100,
) -> InventoryReport:
    return inventory_report.inventory_report(location_id=location_id, limit=limit)
