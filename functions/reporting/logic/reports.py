"""The reports: sums of daily aggregates over a period (use cases).

Every report is a few Queries of the aggregate table (one per month partition the period
touches) and arithmetic; no report reads a raw sale. A store or product with no activity in a
period has no aggregate items, so an unknown ``store_id`` gives zeros, exactly like a known
store that sold nothing (the report does not depend on retail's store registry).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from reporting.dal import aggregates as dal
from reporting.dal import inventory as inventory_dal
from reporting.logic.aggregation import GLOBAL, PRODUCT, STORE, parse_sort_key
from reporting.logic.figures import OnlineFigures, ProductFigures, SalesFigures, change_ratio, ratio
from reporting.logic.periods import Period
from shared.caller import EVERY_STORE, Caller
from reporting.schemas import (
    Dashboard,
    DayChange,
    DayFigures,
    OnlineFiguresOut,
    PerformanceRankBy,
    PerformanceReport,
    PeriodFigures,
    ProductRankBy,
    ProductTrend,
    ReportPeriod,
    SalesFiguresOut,
    SalesGroup,
    SalesGroupBy,
    SalesReport,
    StorePerformance,
    StoreRanking,
    TrendPoint,
    TrendsReport,
    TrendTotals,
)

metrics = Metrics()

DASHBOARD_DAYS = 7
DASHBOARD_TOP = 5


def served(report: str) -> None:
    """Count a report answered (metric ``ReportsServed``, dimension ``report``)."""
    metrics.add_dimension(name="report", value=report)
    metrics.add_metric(name="ReportsServed", unit=MetricUnit.Count, value=1)


# ---------------------------------------------------------------- reading aggregates
def _items(kind: str, period: Period, counters: tuple[str, ...]):
    return dal.query_counters(kind, period.start, period.end, months=period.months(), counters=counters)


def store_days(period: Period, store_id: int | None = None,
               only: frozenset[int] | None = None) -> dict[tuple[date, int], SalesFigures]:
    """Per (day, store) figures: of every store, of ``store_id``, or of the stores in ``only``."""
    out: dict[tuple[date, int], SalesFigures] = {}
    for sk, item in _items(STORE, period, SalesFigures.counters()):
        day, entity = parse_sort_key(sk)
        if entity is None or (store_id is not None and entity != store_id) or (only is not None and entity not in only):
            continue
        figures = out.setdefault((day, entity), SalesFigures())
        figures.add_item(item)
    return out


def global_days(period: Period) -> dict[date, tuple[SalesFigures, OnlineFigures]]:
    out: dict[date, tuple[SalesFigures, OnlineFigures]] = {}
    for sk, item in _items(GLOBAL, period, SalesFigures.counters() + OnlineFigures.counters()):
        day, _ = parse_sort_key(sk)
        sales, online = out.setdefault(day, (SalesFigures(), OnlineFigures()))
        sales.add_item(item)
        online.add_item(item)
    return out


def product_totals(period: Period) -> dict[int, ProductFigures]:
    out: dict[int, ProductFigures] = {}
    for sk, item in _items(PRODUCT, period, ProductFigures.counters()):
        _, product_id = parse_sort_key(sk)
        if product_id is None:
            continue
        out.setdefault(product_id, ProductFigures()).add_item(item)
    return out


# ---------------------------------------------------------------- mapping
def period_out(period: Period) -> ReportPeriod:
    return ReportPeriod(from_=period.start, to=period.end, days=period.days)


def _sum(figures: Iterable[SalesFigures]) -> SalesFigures:
    total = SalesFigures()
    for item in figures:
        total.merge(item)
    return total


def _sum_online(figures: Iterable[OnlineFigures]) -> OnlineFigures:
    total = OnlineFigures()
    for item in figures:
        total.merge(item)
    return total


def _per_store(days: dict[tuple[date, int], SalesFigures]) -> dict[int, SalesFigures]:
    stores: dict[int, SalesFigures] = {}
    for (_, store_id), figures in days.items():
        stores.setdefault(store_id, SalesFigures()).merge(figures)
    return stores


def _series(period: Period, days: dict[date, tuple[SalesFigures, OnlineFigures]]) -> list[TrendPoint]:
    empty = (SalesFigures(), OnlineFigures())
    points = []
    for day in period.dates():
        sales, online = days.get(day, empty)
        points.append(TrendPoint(date=day, **SalesFiguresOut.values_of(sales), **OnlineFiguresOut.values_of(online)))
    return points


# ---------------------------------------------------------------- ranking (pure)
PERFORMANCE_KEYS = {
    "revenue": lambda f: f.revenue,
    "net_revenue": lambda f: f.net_revenue,
    "sales_count": lambda f: f.sales_count,
    "units": lambda f: f.units,
    "average_basket": lambda f: f.average_basket,
}


def rank_stores(stores: dict[int, SalesFigures], rank_by: str) -> list[tuple[int, SalesFigures]]:
    """Best first; ties broken by store_id (ascending)."""
    key = PERFORMANCE_KEYS[rank_by]
    return sorted(stores.items(), key=lambda entry: (-key(entry[1]), entry[0]))


def rank_products(products: dict[int, ProductFigures], rank_by: str, top: int) -> list[tuple[int, ProductFigures]]:
    """Best first by total units or total revenue; ties by product_id; only products that sold."""
    if rank_by == "revenue":
        def key(entry):
            return (-entry[1].total_revenue, -entry[1].total_units, entry[0])
    else:
        def key(entry):
            return (-entry[1].total_units, -entry[1].total_revenue, entry[0])
    sold = [entry for entry in products.items() if entry[1].total_units > 0 or entry[1].total_revenue > 0]
    return sorted(sold, key=key)[:top]


def product_trends(ranked: list[tuple[int, ProductFigures]]) -> list[ProductTrend]:
    catalogue = inventory_dal.products_by_id(product_id for product_id, _ in ranked) if ranked else {}
    out = []
    for rank, (product_id, figures) in enumerate(ranked, start=1):
        product = catalogue.get(product_id)
        out.append(
            ProductTrend(
                rank=rank,
                product_id=product_id,
                sku=product.sku if product else None,
                name=product.name if product else None,
                units=figures.units,
                revenue=figures.revenue,
                online_units=figures.online_units,
                online_revenue=figures.online_revenue,
                total_units=figures.total_units,
                total_revenue=figures.total_revenue,
                returned_units=figures.returned_units,
                refunds=figures.refunds,
            )
        )
    return out


# ---------------------------------------------------------------- use cases
def sales_report(period: Period, *, store_id: int | None, group_by: SalesGroupBy,
                 caller: Caller = EVERY_STORE) -> SalesReport:
    """A store key's report covers its own stores (``shared/caller.py``)."""
    if store_id is not None:
        caller.check_store(store_id)
    days = store_days(period, store_id, caller.stores)
    totals = _sum(days.values())
    if group_by == "day":
        per_day: dict[date, SalesFigures] = {}
        for (day, _), figures in days.items():
            per_day.setdefault(day, SalesFigures()).merge(figures)
        groups = [SalesGroup(date=day, **SalesFiguresOut.values_of(per_day.get(day, SalesFigures()))) for day in period.dates()]
    else:
        groups = [
            SalesGroup(store_id=store, **SalesFiguresOut.values_of(figures)) for store, figures in sorted(_per_store(days).items())
        ]
    served("sales")
    return SalesReport(
        period=period_out(period),
        store_id=store_id,
        group_by=group_by,
        totals=SalesFiguresOut.model_validate(totals),
        groups=groups,
    )


def performance_report(period: Period, *, rank_by: PerformanceRankBy, limit: int,
                       caller: Caller = EVERY_STORE) -> PerformanceReport:
    """A store key ranks its own stores (totals and shares are theirs)."""
    stores = _per_store(store_days(period, only=caller.stores))
    totals = _sum(stores.values())
    ranked = rank_stores(stores, rank_by)[:limit]
    served("performance")
    return PerformanceReport(
        period=period_out(period),
        rank_by=rank_by,
        totals=SalesFiguresOut.model_validate(totals),
        returns_rate=totals.returns_rate,
        stores=[
            StorePerformance(
                rank=rank,
                store_id=store_id,
                returns_rate=figures.returns_rate,
                revenue_share=ratio(figures.revenue, totals.revenue) if totals.revenue > 0 else None,
                **SalesFiguresOut.values_of(figures),
            )
            for rank, (store_id, figures) in enumerate(ranked, start=1)
        ],
    )


def trends_report(period: Period, *, top: int, rank_products_by: ProductRankBy,
                  caller: Caller = EVERY_STORE) -> TrendsReport:
    caller.check_chain_wide()  # the whole chain, online orders included
    days, products = global_days(period), product_totals(period)
    sales = _sum(figures for figures, _ in days.values())
    online = _sum_online(figures for _, figures in days.values())
    served("trends")
    return TrendsReport(
        period=period_out(period),
        rank_products_by=rank_products_by,
        totals=TrendTotals(**SalesFiguresOut.values_of(sales), **OnlineFiguresOut.values_of(online)),
        series=_series(period, days),
        top_products=product_trends(rank_products(products, rank_products_by, top)),
    )


def dashboard(today: date, caller: Caller = EVERY_STORE) -> Dashboard:
    caller.check_chain_wide()
    week = Period.last_days(DASHBOARD_DAYS, ending=today)
    yesterday = today - timedelta(days=1)
    days = global_days(week)
    stores = _per_store(store_days(week))
    products = product_totals(week)
    low_stock = inventory_dal.low_stock_count()

    empty = (SalesFigures(), OnlineFigures())
    today_sales, today_online = days.get(today, empty)
    prev_sales, prev_online = days.get(yesterday, empty)
    week_sales = _sum(figures for figures, _ in days.values())
    week_online = _sum_online(figures for _, figures in days.values())
    served("dashboard")
    return Dashboard(
        generated_at=datetime.now(UTC),
        today=DayFigures(date=today, **SalesFiguresOut.values_of(today_sales), **OnlineFiguresOut.values_of(today_online)),
        yesterday=DayFigures(date=yesterday, **SalesFiguresOut.values_of(prev_sales), **OnlineFiguresOut.values_of(prev_online)),
        change=DayChange(
            revenue=change_ratio(today_sales.revenue, prev_sales.revenue),
            sales_count=change_ratio(today_sales.sales_count, prev_sales.sales_count),
            online_orders=change_ratio(today_online.online_orders, prev_online.online_orders),
        ),
        last_7_days=PeriodFigures(period=period_out(week), **SalesFiguresOut.values_of(week_sales), **OnlineFiguresOut.values_of(week_online)),
        series_7_days=_series(week, days),
        top_stores=[
            StoreRanking(
                rank=rank,
                store_id=store_id,
                revenue=figures.revenue,
                sales_count=figures.sales_count,
                average_basket=figures.average_basket,
            )
            for rank, (store_id, figures) in enumerate(rank_stores(stores, "revenue")[:DASHBOARD_TOP], start=1)
        ],
        top_products=product_trends(rank_products(products, "units", DASHBOARD_TOP)),
        low_stock_count=low_stock,
    )

