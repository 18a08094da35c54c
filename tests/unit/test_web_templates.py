"""The pages' empty and error states say what happened (templates rendered without a stack)."""
from __future__ import annotations

import html
import re

from web.app import templates
from web.logic import access
from web.dal.api import Section
from web.errors import ApiUnavailable, BadInput
from web.logic.charts import Chart, Dataset

DOWN = ApiUnavailable("The API failed to answer (502 Internal server error).", 502)


def render(name: str, **context) -> str:
    context.setdefault("role", "admin")
    page = templates.get_template(name).render(base="/prod", nav=access.nav(context["role"]), version="t",
                                               request_id="r-1", can=lambda route: access.can(context["role"], route),
                                               url=lambda path, **params: "/prod" + path, new_key=lambda: "k" * 32,
                                               **context)
    return html.unescape(page)


def text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))


def test_dashboard_empty_states():
    empty_report = {"period": {"from": "2026-12-01", "to": "2026-12-03"},
                    "totals": {"revenue": "0.00", "sales_count": 0}, "groups": []}
    chart = Chart("sales-per-store", "Revenue per store", "bar", ["A"], [Dataset("Today", [0.0])])
    page = render("dashboard.html", active="dashboard", today="2026-12-03", chart_section=Section(chart), s={
        "stores": Section([{"store_id": 1, "name": "A"}]), "today": Section(empty_report), "week": Section(empty_report),
        "inventory": Section({"low_stock": [], "totals": {"low_stock_count": 0}}), "sagas": Section([]),
        "health": Section((200, {"status": "healthy", "version": "1", "stage": "prod", "dependencies": []}))})
    assert "No sales today or this week yet." in page and "<canvas" not in page
    assert "No product is below its reorder level." in page and "No order saga has run yet." in page
    assert 'aria-current="page">Dashboard' in page and 'href="/prod/ui/stores"' in page


def test_dashboard_error_states_are_per_section():
    page = render("dashboard.html", active="dashboard", today="2026-12-03", chart_section=Section(), s={
        "stores": Section([]), "today": Section(error=DOWN), "week": Section(error=DOWN),
        "inventory": Section(error=DOWN), "sagas": Section(error=DOWN), "health": Section(error=DOWN)})
    for what in ("Today's sales", "The inventory report", "The sagas", "The API's health"):
        assert f"{what} could not be loaded. The API failed to answer (502 Internal server error)." in text(page)


def test_error_page_for_bad_input_lists_the_fields():
    error = BadInput("Please check the form: reason: Field required.", details=[{"field": "reason", "msg": "Field required"}])
    page = render("error.html", active="stock", error=error)
    assert "Check what you entered" in page and "reason: Field required" in page and "Traceback" not in page


def test_chart_has_its_figures_under_it_and_a_label():
    chart = Chart("trends", "Trends", "line", ["2026-12-01"], [Dataset("Revenue", [12.5], 2)])
    page = render("reports.html", active="reports", presets={"30": "Last 30 days"}, days=None,
                  period=type("P", (), {"start": "2026-11-04", "end": "2026-12-03", "days": 30})(),
                  s={"totals": Section(error=DOWN), "performance": Section(error=DOWN), "inventory": Section(error=DOWN)},
                  charts={"sales": Section(chart), "top": Section(error=DOWN), "trends": Section(chart),
                          "performance": Section(error=DOWN), "inventory": Section(error=DOWN)})
    assert 'aria-label="Trends (the figures are in the table below)"' in page
    assert "<td class=\"num\">12.50</td>" in page and "Drawing the chart…" in page
    assert "This chart could not be loaded." in page


def test_saga_fragment_polls_until_final():
    saga = {"saga_id": "saga-1", "status": "RUNNING", "duration": 1.0, "steps": [], "compensations": [], "products": []}
    running = render("_saga_live.html", saga=saga, rows=[], final=False, summary="Running")
    assert 'hx-get="/prod/ui/sagas/saga-1/live"' in running and "No step has started yet." in running
    done = render("_saga_live.html", saga={**saga, "status": "COMPLETED"}, rows=[], final=True, summary="Done")
    assert "hx-get" not in done and 'data-status="COMPLETED"' in done
    failing = render("_saga_live.html", error=DOWN, saga_id="saga-1")
    assert "Trying again" in failing and 'hx-get="/prod/ui/sagas/saga-1/live"' in failing


def test_a_store_dashboard_has_no_sagas_and_a_public_health():
    report = {"period": {"from": "2026-12-01", "to": "2026-12-03"}, "totals": {"revenue": "0.00", "sales_count": 0},
              "groups": []}
    chart = Chart("sales-per-store", "Revenue per store", "bar", ["A"], [Dataset("Today", [0.0])])
    page = render("dashboard.html", role="store", active="dashboard", today="2026-12-03", chart_section=Section(chart), s={
        "stores": Section([]), "today": Section(report), "week": Section(report),
        "inventory": Section({"low_stock": [], "totals": {"low_stock_count": 0}}),
        "health": Section((200, {"status": "healthy", "version": "1"}))})
    assert "Last order sagas" not in page and "dependencies" not in page and "HEALTHY" in page
    assert 'href="/prod/ui/operations"' not in page and 'href="/prod/ui/orders"' not in page
    assert "role: store" in text(page)
