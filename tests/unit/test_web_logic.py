"""The back office's page logic without a browser or a stack: the session cookie, the point of
sale's cart and its error messages, forms, periods, charts, the operations queries, the saga
page, and how API answers become errors."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from web.dal.api import error_for
from web.errors import ApiForbidden, ApiNotFound, ApiRejected, ApiThrottled, ApiUnavailable, BadInput
from web.logic import operations, pos, reports, sagas
from web.logic.charts import Chart, Dataset
from web.logic.forms import OrderForm, SignInForm, StockAdjustForm, paired_lines, parse
from web.logic import access
from web.logic.session import COOKIE, Session, SessionSigner, clear_cookie, cookie_value

SECRET = "x" * 64


# ----------------------------------------------------------------------------- session
def test_a_signed_session_gives_back_its_key_and_role_and_nothing_else_does():
    signer = SessionSigner(SECRET, 3600)
    value = signer.sign(Session("admin-key-12345-local-dev", "admin"))
    assert signer.session(value) == Session("admin-key-12345-local-dev", "admin")
    # altered signature: a character inside it (the last base64 character may carry only padding bits)
    body, signature = value.rsplit(".", 1)
    altered = signature[:3] + ("A" if signature[3] != "A" else "B") + signature[4:]
    assert signer.session(f"{body}.{altered}") is None
    assert SessionSigner("y" * 64, 3600).session(value) is None                          # another stack's secret
    assert signer.session(None) is None and signer.session("") is None and signer.session("garbage") is None
    from itsdangerous import URLSafeTimedSerializer

    before_roles = URLSafeTimedSerializer(SECRET, salt="retail-web-session").dumps({"key": "k" * 20})
    assert signer.session(before_roles) is None                                          # sign in again
    scoped = signer.sign(Session("k" * 20, "store", frozenset({1, 2})))
    assert signer.session(scoped) == Session("k" * 20, "store", frozenset({1, 2}))
    assert access.own_stores([{"store_id": 1}, {"store_id": 3}], frozenset({1, 2})) == [{"store_id": 1}]


def test_a_session_expires(monkeypatch):
    signer = SessionSigner(SECRET, 60)
    value = signer.sign(Session("k" * 20, "shop"))
    import itsdangerous.timed

    now = itsdangerous.timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: now(self) + 61)
    assert signer.session(value) is None


def test_each_role_sees_the_pages_of_its_routes():
    assert [key for key, _, _ in access.nav("admin")] == list(access.PAGES)
    assert [key for key, _, _ in access.nav("store")] == ["dashboard", "stores", "pos", "stock", "reports"]
    assert [key for key, _, _ in access.nav("shop")] == ["orders"]
    assert access.home("shop") == "/ui/orders" and access.home("store") == "/ui"
    assert access.can("admin", "PUT /api/v1/stock/{product_id}")
    assert not access.can("store", "PUT /api/v1/stock/{product_id}")
    assert access.nav("nobody") == [] and access.home("nobody") == "/ui/signin"


def test_session_cookie_attributes():
    cookie = SessionSigner(SECRET, 3600).set_cookie(Session("k" * 20, "admin"), secure=False)
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Path=/" in cookie and "Max-Age=3600" in cookie and "Secure" not in cookie
    assert "Secure" in SessionSigner(SECRET, 3600).set_cookie(Session("k" * 20, "admin"), secure=True)
    cleared = clear_cookie(secure=False)
    assert cleared.startswith(f'{COOKIE}=""') and "Max-Age=0" in cleared
    assert cookie_value(f"other=1; {COOKIE}=abc.def; x=y") == "abc.def"
    assert cookie_value("other=1") is None and cookie_value(None) is None


# ----------------------------------------------------------------------------- point of sale
def test_cart_lines_round_trip_and_merge():
    lines = pos.parse_lines("1:2, 5:1,1:3")
    assert lines == [pos.CartLine(1, 5), pos.CartLine(5, 1)]
    assert pos.format_lines(lines) == "1:5,5:1"
    assert pos.with_line(lines, 7, 2) == "1:5,5:1,7:2" and pos.with_line(lines, 5) == "1:5,5:2"
    assert pos.without_line(lines, 1) == "5:1"
    assert pos.parse_lines(None) == [] and pos.parse_lines("") == []


@pytest.mark.parametrize("text", ["abc", "1:x", "0:1", "1:0", "1:-2", "1:10001",
                                  ",".join(f"{i}:1" for i in range(1, 52))])
def test_bad_cart_lines_are_bad_input(text):
    with pytest.raises(BadInput):
        pos.parse_lines(text)


PRODUCTS = {1: {"product_id": 1, "name": "Green Tea", "sku": "BEV-00008", "price": "19.00"},
            5: {"product_id": 5, "name": "Mug", "sku": "HOM-00001", "price": "7.35"}}


def test_cart_total_from_catalogue_prices():
    cart = pos.price(pos.parse_lines("1:2,5:3,9:1"), {**PRODUCTS, 9: None})
    assert cart.total == Decimal("60.05") and cart.unknown == [9]
    assert [line.line_total for line in cart.lines] == [Decimal("38.00"), Decimal("22.05"), None]
    assert pos.price([], PRODUCTS).empty


def test_insufficient_stock_says_which_line_and_why():
    error = error_for(409, json.dumps({"error": {
        "code": "insufficient_stock", "message": "not enough stock at store-1: product 5 has 3 available (9 requested)",
        "details": [{"loc": ["body", "lines", 1, "quantity"], "type": "insufficient_stock", "product_id": 5,
                     "location_id": "store-1", "available": 3, "requested": 9}]}}).encode())
    assert isinstance(error, ApiRejected) and error.status == 409
    problems = pos.sale_problems(error, pos.parse_lines("1:1,5:9"), PRODUCTS)
    assert problems == ["Line 2, Mug (HOM-00001): only 3 available at store-1, 9 asked"]


def test_other_sale_refusals_keep_the_api_words():
    error = error_for(422, json.dumps({"error": {"code": "invalid_reference", "message": "cash register 4 does not "
                                                 "exist at store 2", "details": [{"loc": ["body", "register_id"],
                                                                                  "type": "invalid_reference"}]}}).encode())
    assert pos.sale_problems(error, pos.parse_lines("1:1"), PRODUCTS) == ["cash register 4 does not exist at store 2"]


# ----------------------------------------------------------------------------- API errors
@pytest.mark.parametrize("status, body, kind, words", [
    (403, {"message": "Forbidden"}, ApiForbidden, "403 (Forbidden)"),
    (403, {"message": "Missing Authentication Token"}, ApiForbidden, "Missing Authentication Token"),
    (401, {"message": "Unauthorized"}, ApiForbidden, "401 (Unauthorized)"),   # the authorizer: no or unknown key
    (403, {"message": "User is not authorized to access this resource"}, ApiForbidden, "not authorized"),
    (500, {"message": None}, ApiUnavailable, "500"),   # a failing authorizer
    (429, {"message": "Too Many Requests"}, ApiThrottled, "request rate was exceeded"),
    (429, {"message": "Limit Exceeded"}, ApiThrottled, "quota for the period is used up"),
    (404, {"error": {"code": "not_found", "message": "sale 9 does not exist"}}, ApiNotFound, "sale 9 does not exist"),
    (502, {"message": "Internal server error"}, ApiUnavailable, "502 Internal server error"),
    (504, {"message": "Endpoint request timed out"}, ApiUnavailable, "did not answer in time"),
    (500, "<html>", ApiUnavailable, "500"),
])
def test_api_answers_become_errors_a_person_can_read(status, body, kind, words):
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    error = error_for(status, raw)
    assert type(error) is kind and words in error.message
    assert "Traceback" not in error.message


# ----------------------------------------------------------------------------- forms
def test_forms_say_which_field_is_wrong():
    with pytest.raises(BadInput) as caught:
        parse(OrderForm, {"customer_id": "0", "lines": [], "shipping_address": "", "payment_method": "cash",
                          "idempotency_key": "0123456789"})
    fields = {d["field"] for d in caught.value.details}
    assert fields == {"customer", "products", "shipping address", "payment method"}
    with pytest.raises(BadInput, match="API key: String should have at least 20 characters"):
        parse(SignInForm, {"api_key": "short"})


def test_order_form_lines_and_body():
    fields = {"product_id": ["1", "", "5"], "quantity": ["2", "", "1"]}
    form = parse(OrderForm, {"customer_id": "1", "lines": paired_lines(fields), "shipping_address": " 1 Main St ",
                             "payment_method": "declined_card", "idempotency_key": "0123456789"})
    assert form.body() == {"products": [{"product_id": 1, "quantity": 2}, {"product_id": 5, "quantity": 1}],
                           "shipping_address": "1 Main St", "billing_address": "1 Main St",
                           "payment_method": "declined_card"}
    with pytest.raises(BadInput, match="each product once"):
        parse(OrderForm, {"customer_id": "1", "lines": paired_lines({"product_id": ["1", "1"], "quantity": ["1", "2"]}),
                          "shipping_address": "x", "payment_method": "paypal", "idempotency_key": "0123456789"})


def test_stock_adjustment_body_is_a_delta_or_a_count():
    delta = parse(StockAdjustForm, {"location_id": "store-1", "mode": "delta", "amount": "-3", "reason": "damaged"})
    assert delta.body() == {"location_id": "store-1", "delta": -3, "reason": "damaged"}
    count = parse(StockAdjustForm, {"location_id": "store-1", "mode": "quantity", "amount": "40", "reason": "count"})
    assert count.body() == {"location_id": "store-1", "quantity": 40, "reason": "count"}


# ----------------------------------------------------------------------------- periods and charts
TODAY = dt.date(2026, 12, 3)


def test_periods():
    assert reports.period(None, None, None, TODAY) == reports.Period(dt.date(2026, 11, 4), TODAY)
    assert reports.period(None, None, "7", TODAY).days == 7
    assert reports.period("2026-11-01", "2026-11-30", "7", TODAY).query() == {"from": "2026-11-01", "to": "2026-11-30"}
    assert reports.week_start(TODAY) == dt.date(2026, 11, 30)      # a Thursday's Monday
    for args in (("2026-13-01", None, None), ("2026-12-02", "2026-12-01", None), (None, None, "0"),
                 (None, None, "x"), ("2024-01-01", "2026-01-01", None)):
        with pytest.raises(BadInput):
            reports.period(*args, TODAY)


def _day_report(values: dict[str, str]) -> dict:
    return {"groups": [{"date": d, "revenue": v} for d, v in values.items()]}


def test_sales_by_day_per_store_has_one_line_per_store_and_its_table():
    chart = reports.sales_by_day_chart({2: _day_report({"2026-12-01": "10.50", "2026-12-02": "0.00"}),
                                        1: _day_report({"2026-12-01": "3", "2026-12-02": "1234.5"})},
                                       {1: "Montréal", 2: "Québec"})
    assert chart.kind == "line" and chart.labels == ["2026-12-01", "2026-12-02"]
    assert [d["label"] for d in chart.spec()["datasets"]] == ["Montréal", "Québec"]
    assert chart.table() == {"header": ["Date", "Montréal", "Québec"],
                             "rows": [["2026-12-01", "3.00", "10.50"], ["2026-12-02", "1,234.50", "0.00"]]}
    assert not chart.empty and reports.sales_by_day_chart({}, {}).empty


def test_table_only_columns_stay_out_of_the_chart():
    chart = Chart("x", "X", "bar", ["a", "b"], [Dataset("Units", [1.0, 2.0]),
                                               Dataset("Revenue", [10.0, None], 2, in_chart=False)])
    assert [d["label"] for d in chart.spec()["datasets"]] == ["Units"]
    assert chart.table()["rows"] == [["a", "1", "10.00"], ["b", "2", "–"]]


def test_dashboard_chart_has_every_store_today_and_this_week():
    today = {"period": {"from": "2026-12-03", "to": "2026-12-03"}, "groups": [{"store_id": 2, "revenue": "5.00"}]}
    week = {"period": {"from": "2026-11-30", "to": "2026-12-03"}, "groups": [{"store_id": 1, "revenue": "9.00"},
                                                                             {"store_id": 2, "revenue": "7.00"}]}
    chart = reports.sales_per_store_chart(today, week, {1: "A", 2: "B", 3: "C"})
    assert chart.labels == ["A", "B", "C"]
    assert [d.data for d in chart.datasets] == [[0.0, 5.0, 0.0], [9.0, 7.0, 0.0]]


# ----------------------------------------------------------------------------- operations
NOW = dt.datetime(2026, 12, 3, 15, 30, 20, tzinfo=dt.timezone.utc)


def test_operations_window_and_queries():
    w = operations.window(None, NOW)
    assert (w.hours, w.period) == (1, 60) and w.end - w.start == dt.timedelta(hours=1)
    assert len(w.axis()) == 61
    assert operations.window("24", NOW).period == 900
    with pytest.raises(BadInput):
        operations.window("5", NOW)
    queries = operations.api_queries("retail-api", "prod", w)
    assert {q["Id"] for q in queries} == {"requests", "errors4xx", "errors5xx", "throttled", "latency_avg", "latency_max"}
    assert all(q["MetricStat"]["Period"] == 60 for q in queries)
    totals = operations.total_queries("RetailPlatform", ["retail-A"], ["completed"], ["RELEASE_STOCK"], w)
    compensation = next(q for q in totals if q["Id"] == "comp_0")["MetricStat"]["Metric"]
    assert compensation["Dimensions"] == [{"Name": "service", "Value": "sagas"},
                                          {"Name": "compensation_type", "Value": "RELEASE_STOCK"}]


def test_traffic_is_per_second_on_the_window_axis():
    w = operations.window("1", NOW)
    first = w.axis()[0]
    data = {"requests": [(first, 120.0), (first + dt.timedelta(minutes=2), 6.0)], "errors4xx": [(first, 3.0)],
            "errors5xx": [], "throttled": []}
    chart = operations.traffic_chart(data, w)
    assert chart.datasets[0].data[:3] == [2.0, 0.0, 0.1]
    assert chart.datasets[1].data[0] == 3.0 and chart.datasets[2].data == [0.0] * 61
    latency = operations.latency_chart({"latency_avg": [(first, 12.5)], "latency_max": [(first, 40.0)]}, w)
    assert [d.label for d in latency.datasets] == ["Average", "Maximum"]       # no p95 from this endpoint
    assert latency.datasets[0].data[1] is None                                 # no datum: a gap, not a zero


def test_functions_chart_names_without_the_stack_prefix():
    data = {"fn_invocations_0": [(NOW, 4.0), (NOW, 1.0)], "fn_errors_0": [], "fn_duration_0": [(NOW, 12.34)],
            "fn_duration_max_0": [(NOW, 30.0)]}
    chart = operations.functions_chart(data, ["retail-WebFunction"], "retail-")
    assert chart.labels == ["WebFunction"] and chart.datasets[0].data == [5.0] and chart.datasets[1].data == [0]


# ----------------------------------------------------------------------------- sagas
def test_saga_page_text():
    running = {"status": "RUNNING", "steps": [{"step": "CHECK_STOCK", "status": "SUCCESS"}], "compensations": []}
    assert not sagas.is_final("RUNNING") and sagas.summary(running).startswith("Running")
    compensated = {"status": "COMPENSATED", "failure": {"step": "CREATE_ORDER", "error": "CustomerNotFound",
                                                        "message": "customer 99999 does not exist"},
                   "steps": [{"step": "CHECK_STOCK"}, {"step": "RESERVE_STOCK"}, {"step": "CREATE_ORDER"}],
                   "compensations": [{"step": "RELEASE_STOCK", "compensates": "RESERVE_STOCK"}]}
    assert sagas.is_final("COMPENSATED")
    assert sagas.summary(compensated) == ("CREATE_ORDER failed (customer 99999 does not exist); the steps done "
                                          "before were undone: RELEASE_STOCK.")
    assert [(r["step"], r["kind"]) for r in sagas.timeline(compensated)][-1] == ("RELEASE_STOCK", "compensation")
