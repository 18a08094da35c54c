"""Reporting rules without AWS: report periods, figures and rankings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from reporting.errors import InvalidPeriodError
from reporting.logic.aggregation import parse_sort_key, product_key, sort_key_range, store_key
from reporting.logic.figures import ProductFigures, SalesFigures, change_ratio, ratio
from reporting.logic.periods import MAX_PERIOD_DAYS, Period, period_from_query, resolve_period
from reporting.logic.reports import rank_products, rank_stores

TODAY = date(2026, 11, 24)


# ---------------------------------------------------------------- periods
def test_default_period_is_the_last_30_days_including_today():
    period = resolve_period(None, None, today=TODAY)
    assert (period.start, period.end, period.days) == (date(2026, 10, 26), TODAY, 30)


def test_only_to_or_only_from():
    assert resolve_period(None, date(2026, 3, 31), today=TODAY) == Period(date(2026, 3, 2), date(2026, 3, 31))
    assert resolve_period(date(2026, 11, 1), None, today=TODAY) == Period(date(2026, 11, 1), TODAY)


def test_single_day_and_longest_period_are_fine():
    assert resolve_period(TODAY, TODAY, today=TODAY).days == 1
    longest = resolve_period(date(2025, 11, 24), TODAY, today=TODAY)
    assert longest.days == MAX_PERIOD_DAYS


@pytest.mark.parametrize(
    ("start", "end", "loc", "words"),
    [
        ("2026-11-24", "2026-11-01", ["query", "from"], "must not be after"),
        ("2025-11-23", "2026-11-24", ["query", "from"], "at most 366"),
        ("2026-02-30", None, ["query", "from"], "not a calendar date"),
        (None, "2026-13-01", ["query", "to"], "not a calendar date"),
        ("1999-12-31", "2000-01-01", ["query", "from"], "between"),
        ("2026-11-01", None, None, None),  # from in the past, to = today: fine
        ("2026-12-01", None, ["query", "from"], "must not be after"),  # from in the future, to = today
    ],
)
def test_invalid_periods_are_422_with_the_query_parameter(start, end, loc, words):
    if loc is None:
        period_from_query(start, end, today=TODAY)
        return
    with pytest.raises(InvalidPeriodError) as caught:
        period_from_query(start, end, today=TODAY)
    error = caught.value
    assert error.status == 422 and error.code == "validation_error"
    assert error.details[0]["loc"] == loc and words in error.message


def test_months_of_a_period_cross_years():
    assert Period(date(2025, 12, 15), date(2026, 2, 1)).months() == ["2025-12", "2026-01", "2026-02"]
    assert Period(TODAY, TODAY).months() == ["2026-11"]
    assert list(Period(date(2026, 2, 27), date(2026, 3, 1)).dates()) == [date(2026, 2, 27), date(2026, 2, 28), date(2026, 3, 1)]


def test_sort_keys_select_exactly_the_days_of_the_period():
    low, high = sort_key_range(date(2026, 11, 2), date(2026, 11, 3))
    inside = [store_key(date(2026, 11, 2), 1)[1], product_key(date(2026, 11, 3), 99)[1], "2026-11-03"]
    outside = [store_key(date(2026, 11, 1), 9_999_999)[1], store_key(date(2026, 11, 4), 1)[1], "2026-11-01"]
    assert all(low <= key <= high for key in inside)
    assert not any(low <= key <= high for key in outside)
    assert parse_sort_key(store_key(TODAY, 42)[1]) == (TODAY, 42)
    assert parse_sort_key("2026-11-24") == (TODAY, None)


# ---------------------------------------------------------------- figures
def test_average_basket_net_revenue_and_returns_rate():
    figures = SalesFigures()
    figures.add_item({"sales_count": 3, "revenue": Decimal("10.00"), "units": 7, "returns_count": 1, "refunds": Decimal("2.50")})
    figures.add_item({"sales_count": None, "revenue": None})  # an item with other counters only
    assert figures.average_basket == Decimal("3.33") and str(figures.average_basket) == "3.33"
    assert figures.net_revenue == Decimal("7.50")
    assert figures.returns_rate == Decimal("0.3333")
    empty = SalesFigures()
    assert empty.average_basket == Decimal("0.00") and empty.returns_rate is None


def test_money_stays_decimal_and_rounds_half_even():
    figures = SalesFigures(sales_count=2, revenue=Decimal("0.05"))
    assert figures.average_basket == Decimal("0.02")  # 0.025 -> 0.02 (half-even)
    assert isinstance(figures.revenue, Decimal)
    assert ratio(1, 3) == Decimal("0.3333") and ratio(1, 0) is None
    assert change_ratio(Decimal("150"), Decimal("100")) == Decimal("0.5000")
    assert change_ratio(5, 0) is None and change_ratio(0, 4) == Decimal("-1.0000")


# ---------------------------------------------------------------- rankings
def test_stores_rank_best_first_with_ties_by_store_id():
    stores = {
        3: SalesFigures(sales_count=1, revenue=Decimal("50")),
        1: SalesFigures(sales_count=5, revenue=Decimal("50")),
        2: SalesFigures(sales_count=2, revenue=Decimal("80")),
    }
    assert [store for store, _ in rank_stores(stores, "revenue")] == [2, 1, 3]
    assert [store for store, _ in rank_stores(stores, "sales_count")] == [1, 2, 3]
    assert [store for store, _ in rank_stores(stores, "average_basket")] == [3, 2, 1]


def test_products_rank_by_total_units_or_revenue_in_store_and_online():
    products = {
        10: ProductFigures(units=5, revenue=Decimal("5")),
        11: ProductFigures(units=1, revenue=Decimal("100"), online_units=5, online_revenue=Decimal("20")),
        12: ProductFigures(units=0, online_units=0, returned_units=3),  # only returns: not a top seller
        13: ProductFigures(units=2, revenue=Decimal("7"), online_units=4, online_revenue=Decimal("1")),
    }
    assert [p for p, _ in rank_products(products, "units", 10)] == [11, 13, 10]
    assert [p for p, _ in rank_products(products, "revenue", 2)] == [11, 13]
