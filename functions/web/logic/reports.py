"""Periods and the report and dashboard charts, from the reporting API's answers."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from web.errors import BadInput
from web.logic.charts import Chart, Dataset, number

MAX_DAYS = 366
PRESETS = {"7": "Last 7 days", "30": "Last 30 days", "90": "Last 90 days"}


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def query(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def _date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"The {name} date {value!r} is not a date (YYYY-MM-DD).") from None


def period(start: str | None, end: str | None, days: str | None, today: dt.date) -> Period:
    """``from``/``to`` if given, else the last ``days`` days (30 by default), ending today."""
    if start or end:
        first = _date(start, "from") if start else today - dt.timedelta(days=29)
        last = _date(end, "to") if end else today
    else:
        try:
            count = int(days or 30)
        except ValueError:
            raise BadInput(f"{days!r} is not a number of days.") from None
        if not 1 <= count <= MAX_DAYS:
            raise BadInput(f"A period is 1 to {MAX_DAYS} days.")
        first, last = today - dt.timedelta(days=count - 1), today
    if first > last:
        raise BadInput(f"The period starts ({first}) after it ends ({last}).")
    if (last - first).days + 1 > MAX_DAYS:
        raise BadInput(f"A period is at most {MAX_DAYS} days.")
    return Period(first, last)


def week_start(today: dt.date) -> dt.date:
    return today - dt.timedelta(days=today.weekday())


def store_names(stores: list[dict[str, Any]]) -> dict[int, str]:
    return {s["store_id"]: s["name"] for s in stores}


def sales_per_store_chart(today_report: dict[str, Any], week_report: dict[str, Any],
                          names: dict[int, str]) -> Chart:
    """The dashboard's bar chart: revenue per store today and this week (group_by=store)."""
    today = {g["store_id"]: number(g["revenue"]) for g in today_report["groups"]}
    week = {g["store_id"]: number(g["revenue"]) for g in week_report["groups"]}
    ids = sorted(set(names) | set(today) | set(week))
    return Chart("sales-per-store", "Revenue per store", "bar",
                 [names.get(i, f"Store {i}") for i in ids],
                 [Dataset(f"Today ({today_report['period']['to']})", [today.get(i, 0.0) for i in ids], 2),
                  Dataset(f"This week (from {week_report['period']['from']})", [week.get(i, 0.0) for i in ids], 2)],
                 y_title="Revenue", label_title="Store")


def sales_by_day_chart(per_store: dict[int, dict[str, Any]], names: dict[int, str]) -> Chart:
    """Line chart: each store's revenue per day (one group_by=day report per store)."""
    days: list[str] = []
    for report in per_store.values():
        days = [g["date"] for g in report["groups"]]
        break
    datasets = []
    for store_id in sorted(per_store):
        by_day = {g["date"]: number(g["revenue"]) for g in per_store[store_id]["groups"]}
        datasets.append(Dataset(names.get(store_id, f"Store {store_id}"), [by_day.get(d, 0.0) for d in days], 2))
    return Chart("sales-by-day", "Revenue per day and store", "line", days, datasets,
                 y_title="Revenue", label_title="Date")


def top_products_chart(trends: dict[str, Any]) -> Chart:
    top = trends.get("top_products") or []
    return Chart("top-products", "Top products (units, stores and online)", "bar",
                 [f"{p['name']} ({p['sku']})" for p in top],
                 [Dataset("Units", [number(p["total_units"]) for p in top]),
                  Dataset("Revenue", [number(p["total_revenue"]) for p in top], 2, in_chart=False)],
                 y_title="Units", label_title="Product")


def trends_chart(trends: dict[str, Any]) -> Chart:
    series = trends.get("series") or []
    return Chart("trends", "Trends: store and online revenue per day", "line", [s["date"] for s in series],
                 [Dataset("Store revenue (net)", [number(s["net_revenue"]) for s in series], 2),
                  Dataset("Online orders (net)", [number(s["net_online_value"]) for s in series], 2)],
                 y_title="Revenue", label_title="Date")


def performance_chart(performance: dict[str, Any], names: dict[int, str]) -> Chart:
    stores = performance.get("stores") or []
    return Chart("performance", "Store performance (net revenue)", "bar",
                 [names.get(s["store_id"], f"Store {s['store_id']}") for s in stores],
                 [Dataset("Net revenue", [number(s["net_revenue"]) for s in stores], 2),
                  Dataset("Average basket", [number(s["average_basket"]) for s in stores], 2, in_chart=False),
                  Dataset("Sales", [number(s["sales_count"]) for s in stores], in_chart=False)],
                 y_title="Revenue", label_title="Store")


def inventory_chart(inventory: dict[str, Any]) -> Chart:
    locations = inventory.get("locations") or []
    return Chart("inventory", "Stock per location", "bar", [loc["name"] for loc in locations],
                 [Dataset("Units available", [number(loc["units_available"]) for loc in locations]),
                  Dataset("Rows below reorder level", [number(loc["low_stock_count"]) for loc in locations],
                          in_chart=False),
                  Dataset("Stock value", [number(loc["stock_value"]) for loc in locations], 2, in_chart=False)],
                 y_title="Units", label_title="Location")
