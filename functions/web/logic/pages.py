"""What each page shows: the API calls it makes (in parallel, each part with its own error
state) and the figures it derives. app.py turns these into HTML; nothing here knows HTTP."""
from __future__ import annotations

import datetime as dt
from typing import Any

from web.dal import cloudwatch
from web.dal.api import ApiClient, Section, fetch_sections
from web.errors import ApiNotFound, ApiUnavailable, NotForYourStores
from web.logic import access, operations, pos, reports, sagas
from web.logic.forms import StockAdjustForm


def today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def _period(start: dt.date, end: dt.date) -> dict[str, str]:
    return {"from": start.isoformat(), "to": end.isoformat()}


def product_index(api: ApiClient) -> dict[int, dict[str, Any]]:
    """The catalogue by id (a stage-cached read)."""
    return {p["product_id"]: p for p in api.items("/products", max_items=1000)}


def _product_or_none(api: ApiClient, product_id: int) -> dict[str, Any] | None:
    try:
        return api.get(f"/products/{product_id}")
    except ApiNotFound:
        return None


# ----------------------------------------------------------------------------- dashboard
def dashboard(api: ApiClient, role: str) -> dict[str, Any]:
    """The dashboard's sections; the order sagas only for a role that may read them, the health's
    dependencies only for an admin (``shared/roles.py``)."""
    day = today()
    sections = {
        "stores": lambda: api.items("/stores"),
        "today": lambda: api.get("/reports/sales", group_by="store", **_period(day, day)),
        "week": lambda: api.get("/reports/sales", group_by="store", **_period(reports.week_start(day), day)),
        "inventory": lambda: api.get("/reports/inventory", limit=15),
        "health": lambda: api.health(details=access.can(role, "GET /api/v1/health/details")),
    }
    if access.can(role, "GET /api/v1/sagas"):
        sections["sagas"] = lambda: api.get("/sagas", limit=10)["items"]
    s = fetch_sections(sections)
    chart = None
    if s["stores"].ok and s["today"].ok and s["week"].ok:
        chart = reports.sales_per_store_chart(s["today"].value, s["week"].value,
                                              reports.store_names(s["stores"].value))
    return {"s": s, "chart_section": Section(chart), "today": day}


# ----------------------------------------------------------------------------- stores
def stores(api: ApiClient) -> dict[str, Any]:
    return {"s": fetch_sections({"stores": lambda: api.items("/stores"),
                                 "inventory": lambda: api.get("/reports/inventory", limit=1)})}


def store(api: ApiClient, store_id: int) -> dict[str, Any]:
    found = api.get(f"/stores/{store_id}")
    s = fetch_sections({
        "registers": lambda: api.items("/cash-registers", store_id=store_id),
        "sales": lambda: api.get("/sales", store_id=store_id, limit=15)["items"],
        "stock": lambda: api.get("/stock", location_id=found["location_id"], limit=50)["items"],
        "products": lambda: product_index(api),
    })
    return {"store": found, "s": s}


# ----------------------------------------------------------------------------- point of sale
def point_of_sale(api: ApiClient, store_id: int | None, register_id: int | None, lines: list[pos.CartLine],
                  search: str | None, scope: frozenset[int] | None = None) -> dict[str, Any]:
    """``scope``: a store key's own stores, the only ones it may sell at (None: every store)."""
    all_stores = access.own_stores(api.items("/stores"), scope)
    chosen = next((st for st in all_stores if st["store_id"] == store_id), all_stores[0] if all_stores else None)
    loaders: dict[str, Any] = {}
    if chosen is not None:
        loaders["registers"] = lambda: api.items("/cash-registers", store_id=chosen["store_id"])
    if search:
        loaders["results"] = lambda: api.get("/products", search=search, limit=20)["items"]
    for line in lines:
        loaders[f"product-{line.product_id}"] = (lambda pid=line.product_id: _product_or_none(api, pid))
        if chosen is not None:
            loaders[f"stock-{line.product_id}"] = (lambda pid=line.product_id: api.get(
                "/stock", product_id=pid, location_id=chosen["location_id"])["items"])
    s = fetch_sections(loaders)
    registers = s["registers"].value if "registers" in s and s["registers"].ok else []
    register = next((r for r in registers if r["register_id"] == register_id), registers[0] if registers else None)
    products = {line.product_id: s[f"product-{line.product_id}"].value for line in lines
                if s[f"product-{line.product_id}"].ok}
    available = {}
    for line in lines:
        section = s.get(f"stock-{line.product_id}")
        if section is not None and section.ok:
            available[line.product_id] = section.value[0]["available"] if section.value else 0
    return {"stores": all_stores, "store": chosen, "register": register, "s": s, "lines": lines,
            "cart": pos.price(lines, products), "products": products, "available": available, "search": search,
            "cart_lines": pos.format_lines(lines)}


def sale(api: ApiClient, sale_id: int) -> dict[str, Any]:
    found = api.get(f"/sales/{sale_id}")
    loaders: dict[str, Any] = {"returns": lambda: api.items("/returns", sale_id=sale_id),
                               "store": lambda: api.get(f"/stores/{found['store_id']}")}
    for line in found["lines"]:
        loaders[f"product-{line['product_id']}"] = (lambda pid=line["product_id"]: _product_or_none(api, pid))
    s = fetch_sections(loaders)
    products = {line["product_id"]: s[f"product-{line['product_id']}"].value for line in found["lines"]}
    returned: dict[int, int] = {}
    for ret in s["returns"].value or []:
        for line in ret["lines"]:
            returned[line["product_id"]] = returned.get(line["product_id"], 0) + line["quantity"]
    return {"sale": found, "s": s, "products": products, "returned_units": returned}


# ----------------------------------------------------------------------------- stock
def stock(api: ApiClient, location_id: str | None, low_stock: bool, product_id: int | None,
          next_token: str | None) -> dict[str, Any]:
    s = fetch_sections({
        "stock": lambda: api.get("/stock", location_id=location_id, product_id=product_id,
                                 low_stock="true" if low_stock else None, limit=50, next_token=next_token),
        "locations": lambda: api.items("/locations"),
        "products": lambda: product_index(api),
    })
    return {"s": s, "location_id": location_id, "low_stock": low_stock, "product_id": product_id}


def product_stock(api: ApiClient, product_id: int, next_token: str | None) -> dict[str, Any]:
    product = api.get(f"/products/{product_id}")
    s = fetch_sections({
        "levels": lambda: api.items("/stock", product_id=product_id),
        "movements": lambda: api.get(f"/stock/{product_id}/movements", limit=50, next_token=next_token),
        "locations": lambda: api.items("/locations"),
    })
    return {"product": product, "s": s}


def adjust_stock(api: ApiClient, product_id: int, form: StockAdjustForm) -> dict[str, Any]:
    return api.call("PUT", f"/stock/{product_id}", body=form.body())


# ----------------------------------------------------------------------------- online orders
def orders(api: ApiClient, status: str | None) -> dict[str, Any]:
    return {"s": fetch_sections({
        "customers": lambda: api.get("/customers", limit=50)["items"],
        "orders": lambda: api.get("/orders", limit=25, status=status)["items"],
        "sagas": lambda: api.get("/sagas", limit=10)["items"],
    }), "status_filter": status}


def saga_list(api: ApiClient, status: str | None, next_token: str | None) -> dict[str, Any]:
    return {"s": fetch_sections({"sagas": lambda: api.get("/sagas", limit=25, status=status, next_token=next_token)}),
            "status_filter": status}


def saga(api: ApiClient, saga_id: str) -> dict[str, Any]:
    found = api.get(f"/sagas/{saga_id}")
    return {"saga": found, "rows": sagas.timeline(found), "final": sagas.is_final(found.get("status")),
            "summary": sagas.summary(found)}


# ----------------------------------------------------------------------------- reports
def report_pages(api: ApiClient, period: reports.Period, scope: frozenset[int] | None = None) -> dict[str, Any]:
    """The reports of every store, or of a store key's own stores (``scope``) without the chain-wide trends."""
    all_stores = access.own_stores(api.items("/stores"), scope)
    names = reports.store_names(all_stores)
    loaders: dict[str, Any] = {f"store-{i}": (lambda sid=i: api.get("/reports/sales", store_id=sid, group_by="day",
                                                                      **period.query())) for i in names}
    loaders |= {
        "totals": lambda: api.get("/reports/sales", group_by="store", **period.query()),
        "performance": lambda: api.get("/reports/performance", **period.query()),
        "inventory": lambda: api.get("/reports/inventory", limit=20),
    }
    if scope is None:
        loaders["trends"] = lambda: api.get("/analytics/trends", top=10, **period.query())
    s = fetch_sections(loaders)
    if scope is not None:
        s["trends"] = Section(error=NotForYourStores("The chain's trends and top products (online orders "
                                                     "included) are for a key of every store."))
    per_store = {i: s[f"store-{i}"].value for i in names if s[f"store-{i}"].ok}
    failed = [s[f"store-{i}"].error for i in names if not s[f"store-{i}"].ok]
    charts = {
        "sales": Section(reports.sales_by_day_chart(per_store, names)) if not failed else Section(error=failed[0]),
        "top": _chart(s["trends"], reports.top_products_chart),
        "trends": _chart(s["trends"], reports.trends_chart),
        "performance": _chart(s["performance"], lambda v: reports.performance_chart(v, names)),
        "inventory": _chart(s["inventory"], reports.inventory_chart),
    }
    return {"s": s, "charts": charts, "period": period, "names": names}


def _chart(section: Section, build: Any) -> Section:
    return Section(build(section.value)) if section.ok else section


# ----------------------------------------------------------------------------- operations
def operations_page(api_name: str, stage: str, namespace: str, prefix: str, hours: str | None) -> dict[str, Any]:
    w = operations.window(hours, dt.datetime.now(dt.timezone.utc))
    found = fetch_sections({
        "functions": lambda: [f for f in cloudwatch.dimension_values(operations.LAMBDA, "Invocations", "FunctionName")
                              if f.startswith(prefix)],
        "statuses": lambda: cloudwatch.dimension_values(namespace, "Sagas", "status"),
        "compensations": lambda: cloudwatch.dimension_values(namespace, "SagaCompensations", "compensation_type"),
        "alarms": lambda: operations.alarm_rows(cloudwatch.alarms(prefix)),
        "p95": lambda: cloudwatch.metric_data(operations.p95_query(api_name, stage, w), w.start, w.end, attempts=1),
    })
    functions = found["functions"].value or []
    statuses = found["statuses"].value or []
    kinds = found["compensations"].value or []
    queries = operations.api_queries(api_name, stage, w) + operations.total_queries(
        namespace, functions, statuses, kinds, w)
    charts: dict[str, Section] = {}
    try:
        data = cloudwatch.metric_data(queries, w.start, w.end)
    except ApiUnavailable as exc:
        charts = {name: Section(error=exc) for name in ("traffic", "latency", "functions", "sagas", "compensations")}
    else:
        p95_note = None
        if found["p95"].ok:
            data |= found["p95"].value
        else:
            p95_note = "This CloudWatch endpoint computes no percentiles: p95 is not shown, average and maximum are."
        charts = {"traffic": Section(operations.traffic_chart(data, w)),
                  "latency": Section(operations.latency_chart(data, w)),
                  "functions": Section(operations.functions_chart(data, functions, prefix)),
                  "sagas": Section(operations.sagas_chart(data, statuses)),
                  "compensations": Section(operations.compensations_chart(data, kinds))}
        charts["latency"].note = p95_note
    return {"window": w, "windows": operations.WINDOWS, "charts": charts, "alarms": found["alarms"],
            "lookup_errors": [sec.error for key, sec in found.items()
                              if key in ("functions", "statuses", "compensations") and not sec.ok]}

