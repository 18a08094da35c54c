"""Response models of the report API (pydantic v2).

Money is a string with 2 decimals (``"1234.50"``, ``shared.types.MoneyOut``); ratios are JSON
numbers with at most 4 decimals (``0.0512`` = 5.12 %), ``null`` when undefined (no sales).
Dates are ``YYYY-MM-DD`` (UTC days).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, PlainSerializer

from shared.types import MoneyOut, Output


def _ratio(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


Ratio = Annotated[Decimal | None, PlainSerializer(_ratio, return_type=float | None, when_used="json")]

SalesGroupBy = Literal["day", "store"]
PerformanceRankBy = Literal["revenue", "net_revenue", "sales_count", "units", "average_basket"]
ProductRankBy = Literal["units", "revenue"]


class _Out(Output):
    model_config = ConfigDict(populate_by_name=True)


class ReportPeriod(_Out):
    from_: dt.date = Field(alias="from", description="First day of the period (UTC, included).")
    to: dt.date = Field(description="Last day of the period (UTC, included).")
    days: int


class SalesFiguresOut(_Out):
    """In-store sales and returns over a set of days (and stores)."""

    revenue: MoneyOut = Field(description="Sum of the sales' totals.")
    sales_count: int
    units: int = Field(description="Units sold (sum of the lines' quantities).")
    average_basket: MoneyOut = Field(description="revenue / sales_count (0.00 without sales).")
    returns_count: int
    returned_units: int
    refunds: MoneyOut
    net_revenue: MoneyOut = Field(description="revenue - refunds.")


class OnlineFiguresOut(_Out):
    """E-commerce orders, counted on the day they were placed."""

    online_orders: int
    online_value: MoneyOut = Field(description="Sum of the orders' totals (cancelled ones included).")
    cancellations: int = Field(description="Orders of these days cancelled since.")
    cancelled_value: MoneyOut
    net_online_value: MoneyOut = Field(description="online_value - cancelled_value.")


# ---------------------------------------------------------------- /reports/sales
class SalesGroup(SalesFiguresOut):
    date: dt.date | None = Field(default=None, description="The day (group_by=day).")
    store_id: int | None = Field(default=None, description="The store (group_by=store).")


class SalesReport(_Out):
    period: ReportPeriod
    store_id: int | None = Field(description="The store filter, or null for every store.")
    group_by: SalesGroupBy
    totals: SalesFiguresOut
    groups: list[SalesGroup] = Field(
        description="group_by=day: every day of the period, oldest first (zeros included); "
        "group_by=store: every store with sales or returns in the period, by store_id."
    )


# ---------------------------------------------------------------- /reports/performance
class StorePerformance(SalesFiguresOut):
    rank: int
    store_id: int
    returns_rate: Ratio = Field(description="returns_count / sales_count (null without sales).")
    revenue_share: Ratio = Field(description="This store's share of the period's revenue (null without revenue).")


class PerformanceReport(_Out):
    period: ReportPeriod
    rank_by: PerformanceRankBy
    totals: SalesFiguresOut
    returns_rate: Ratio
    stores: list[StorePerformance] = Field(description="Best first; ties by store_id.")


# ---------------------------------------------------------------- /analytics/trends
class TrendPoint(SalesFiguresOut, OnlineFiguresOut):
    date: dt.date


class ProductTrend(_Out):
    rank: int
    product_id: int
    sku: str | None = Field(description="From the catalogue; null if the product is unknown there.")
    name: str | None
    units: int = Field(description="Units sold in stores.")
    revenue: MoneyOut = Field(description="In-store revenue (sum of the line totals).")
    online_units: int = Field(description="Units ordered online, net of cancellations.")
    online_revenue: MoneyOut
    total_units: int
    total_revenue: MoneyOut
    returned_units: int
    refunds: MoneyOut


class TrendTotals(SalesFiguresOut, OnlineFiguresOut):
    pass


class TrendsReport(_Out):
    period: ReportPeriod
    rank_products_by: ProductRankBy
    totals: TrendTotals
    series: list[TrendPoint] = Field(description="Every day of the period, oldest first (zeros included).")
    top_products: list[ProductTrend] = Field(description="Best first by total units or revenue; ties by product_id.")


# ---------------------------------------------------------------- /reports/inventory
class LocationStock(_Out):
    location_id: str
    name: str | None
    kind: str | None = Field(description="warehouse | store")
    products: int = Field(description="Stock rows (products) held at the location.")
    units_available: int
    units_reserved: int
    stock_value: MoneyOut = Field(description="Sum of available x the product's current price.")
    low_stock_count: int = Field(description="Rows with available <= reorder_level.")


class LowStockAlert(_Out):
    product_id: int
    sku: str | None
    name: str | None
    location_id: str
    available: int
    reserved: int
    reorder_level: int
    shortfall: int = Field(description="reorder_level - available (0 when exactly at the level).")


class InventoryTotals(_Out):
    products: int
    units_available: int
    units_reserved: int
    stock_value: MoneyOut
    low_stock_count: int


class InventoryReport(_Out):
    generated_at: dt.datetime
    location_id: str | None = Field(description="The location filter, or null for every location.")
    totals: InventoryTotals
    locations: list[LocationStock] = Field(description="By location_id.")
    low_stock: list[LowStockAlert] = Field(
        description="Largest shortfall first (then product_id, location_id); at most `limit` of "
        "`totals.low_stock_count`."
    )


# ---------------------------------------------------------------- /dashboards
class DayFigures(SalesFiguresOut, OnlineFiguresOut):
    date: dt.date


class PeriodFigures(SalesFiguresOut, OnlineFiguresOut):
    period: ReportPeriod


class DayChange(_Out):
    revenue: Ratio = Field(description="(today - yesterday) / yesterday; null when yesterday is zero.")
    sales_count: Ratio
    online_orders: Ratio


class StoreRanking(_Out):
    rank: int
    store_id: int
    revenue: MoneyOut
    sales_count: int
    average_basket: MoneyOut


class Dashboard(_Out):
    generated_at: dt.datetime
    today: DayFigures
    yesterday: DayFigures
    change: DayChange
    last_7_days: PeriodFigures
    series_7_days: list[TrendPoint]
    top_stores: list[StoreRanking] = Field(description="Last 7 days, by revenue.")
    top_products: list[ProductTrend] = Field(description="Last 7 days, by total units.")
    low_stock_count: int = Field(description="Stock rows at or below their reorder level, now.")
