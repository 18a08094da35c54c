"""The web back office: a Chalice app (its app object is the Lambda handler) behind the same
REST API as every other function, at ``/`` and ``/ui/...`` with no API key on those routes.

It renders HTML on the server and calls the platform's REST API, through the gateway, with the
key of the person signed in (kept in a signed, HttpOnly, SameSite=Strict cookie). Each route is
one ``Events`` entry of ``WebFunction`` in template.yaml (Chalice routes on the resource path).

    handler (this file: HTTP, cookies, forms, redirects, HTML)
      -> logic/pages.py (what a page shows) -> dal/api.py (the REST API), dal/cloudwatch.py
"""
from __future__ import annotations

import functools
import mimetypes
import uuid
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from chalice import Chalice, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from web.dal.api import ApiClient
from web.dal.secret import session_secret
from web.errors import (ApiError, ApiForbidden, ApiRejected, ApiThrottled, BadInput, NotSignedIn, PageForbidden,
                        WebError)
from web.logic import access, pages, pos
from web.logic.forms import (OrderForm, ReturnForm, SaleForm, SignInForm, StockAdjustForm, form_fields,
                             paired_lines, parse, single, PAYMENT_METHODS)
from web.logic.reports import PRESETS, period
from web.logic.session import Session, SessionSigner, clear_cookie, cookie_value
from web.settings import settings
from shared.version import __version__

HERE = Path(__file__).resolve().parent
FORM = ["application/x-www-form-urlencoded"]
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = Chalice(app_name="retail-web")
app.debug = False   # an unexpected error is a page that says so, never a stack trace
templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(),
                        trim_blocks=True, lstrip_blocks=True)
STATIC = {p.name: p for folder in (HERE / "static", HERE / "static" / "vendor") if folder.is_dir()
          for p in folder.iterdir() if p.is_file()}


# ----------------------------------------------------------------------------- request helpers
def _request() -> Any:
    return app.current_request


def _base_path() -> str:
    """The stage prefix the browser sees (``/prod`` on an execute-api URL; empty locally, where
    the stage is served at the root, and under ``chalice local``)."""
    request = _request()
    context = request.context or {}
    seen = context.get("path") or ""
    event_path = request.to_original_event().get("path") or seen
    return seen[: -len(event_path)] if event_path and seen.endswith(event_path) and seen != event_path else ""


def _secure() -> bool:
    return (_request().headers.get("x-forwarded-proto") or "").lower() == "https"


def _api_url() -> str:
    configured = settings().api_url
    if configured:
        return configured
    context = _request().context or {}
    return f"https://{context.get('domainName')}{_base_path()}"


def _signer() -> SessionSigner:
    config = settings()
    return SessionSigner(session_secret(config.session_secret_id), config.session_max_age)


def _session_or_none() -> Session | None:
    """The request's session, its cookie checked once per request (the page wrapper, the view and
    the page's menu all ask)."""
    request = _request()
    if not hasattr(request, "retail_session"):
        request.retail_session = _signer().session(cookie_value(request.headers.get("cookie")))
    return request.retail_session


def _session() -> Session:
    session = _session_or_none()
    if session is None:
        raise NotSignedIn("Sign in with your API key to use the back office.")
    return session


def _api() -> ApiClient:
    return ApiClient(_api_url(), _session().api_key)


def _query(name: str) -> str | None:
    params = _request().query_params or {}
    value = params.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _int(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise BadInput(f"The {name} {value!r} is not a number.") from None
    if number < 1:
        raise BadInput(f"The {name} must be 1 or more.")
    return number


def _form() -> dict[str, list[str]]:
    return form_fields(_request().raw_body)


# ----------------------------------------------------------------------------- responses
def _html(body: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body=body, status_code=status, headers={
        "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", **SECURITY_HEADERS, **(headers or {})})


def render(template: str, http_status: int = 200, *, headers: dict[str, str] | None = None, **context: Any) -> Response:
    base = _base_path()
    request = _request()
    session = _session_or_none() if context.get("active") != "signin" else None
    role = session.role if session else ""
    html = templates.get_template(template).render(
        base=base, nav=access.nav(role), role=role, can=lambda route: access.can(role, route), version=__version__, request_id=(request.context or {}).get("requestId", ""),
        url=lambda path, **params: base + path + ("?" + urlencode({k: v for k, v in params.items()
                                                                   if v not in (None, "")}) if params else ""),
        new_key=lambda: uuid.uuid4().hex, **context)
    return _html(html, http_status, headers)


def redirect(path: str, headers: dict[str, str] | None = None) -> Response:
    return Response(body="", status_code=303, headers={"Location": _base_path() + path, "Cache-Control": "no-store",
                                                       "Content-Type": "text/plain",
                                                       **(headers or {})})


def page(active: str) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """A route that answers HTML whatever happens: not signed in -> the sign-in page; a refused
    or throttled key, bad input, an API error -> a page that says what happened, with its status."""
    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            try:
                if active in access.PAGES:
                    role = _session().role
                    if not access.may_see(role, active):
                        if active == "dashboard":  # the landing page: the role's own first page
                            return redirect(access.home(role))
                        raise PageForbidden(f"Your key's role ({role}) does not include the "
                                            f"{access.PAGES[active][1]} page.")
                return view(*args, **kwargs)
            except NotSignedIn:
                path = _request().to_original_event().get("path") or _request().context.get("path") or "/ui"
                return redirect("/ui/signin" + ("?" + urlencode({"next": path}) if path.startswith("/ui/") else ""))
            except WebError as exc:
                if not isinstance(exc, (BadInput, ApiRejected)):
                    logger.warning("page failed", extra={"error": exc.__class__.__name__, "status": exc.status,
                                                         "api_status": getattr(exc, "api_status", None)})
                return render("error.html", exc.status, active=active, error=exc)
            except Exception:  # noqa: BLE001 - a page, never a stack trace; the log has it
                logger.exception("unexpected error")
                return render("error.html", 500, active=active,
                              error=WebError("Something went wrong on our side. The error is in the function's log "
                                             "under this page's request id."))
        return wrapper
    return decorate


# ----------------------------------------------------------------------------- sign in / out
@app.route("/")
def root() -> Response:
    return redirect("/ui")


@app.route("/ui/signin", methods=["GET"])
@page("signin")
def signin_form() -> Response:
    return render("signin.html", active="signin", next=_safe_next(_query("next")), signed_out=_query("signed_out"))


@app.route("/ui/signin", methods=["POST"], content_types=FORM)
@page("signin")
def signin() -> Response:
    fields = single(_form())
    target = _safe_next(fields.get("next"))
    try:
        form = parse(SignInForm, fields)
        caller = ApiClient(_api_url(), form.api_key).get("/me")   # the key works on the API: its role
    except (BadInput, ApiForbidden, ApiThrottled) as exc:
        status = exc.status if not isinstance(exc, ApiForbidden) else 403
        return render("signin.html", status, active="signin", next=target, error=exc)
    stores = caller.get("stores")
    session = Session(form.api_key, str(caller["role"]), frozenset(stores) if isinstance(stores, list) else None)
    logger.info("signed in", extra={"role": session.role})
    return redirect(target, {"Set-Cookie": _signer().set_cookie(session, secure=_secure())})


@app.route("/ui/signout", methods=["POST"], content_types=[*FORM, "application/json"])  # a body-less POST too
def signout() -> Response:
    return redirect("/ui/signin?signed_out=1", {"Set-Cookie": clear_cookie(secure=_secure())})


def _safe_next(target: str | None) -> str:
    """Only a page of this app (no open redirect)."""
    return target if target and target.startswith("/ui") and not target.startswith("/ui/sign") \
        and "//" not in target and "\\" not in target else "/ui"


# ----------------------------------------------------------------------------- pages
@app.route("/ui")
@page("dashboard")
def dashboard() -> Response:
    return render("dashboard.html", active="dashboard", **pages.dashboard(_api(), _session().role))


@app.route("/ui/stores")
@page("stores")
def stores() -> Response:
    return render("stores.html", active="stores", **pages.stores(_api()))


@app.route("/ui/stores/{store_id}")
@page("stores")
def store(store_id: str) -> Response:
    return render("store.html", active="stores", **pages.store(_api(), _int(store_id, "store id")))


@app.route("/ui/pos", methods=["GET"])
@page("pos")
def point_of_sale() -> Response:
    api = _api()
    store_id, register_id = _int(_query("store_id"), "store id"), _int(_query("register_id"), "register id")
    lines = pos.parse_lines(_query("lines"))
    add, remove = _int(_query("add"), "product id"), _int(_query("remove"), "product id")
    if add is not None or remove is not None:     # change the cart, then show its own URL (a reload adds nothing)
        if add is not None:
            changed = pos.with_line(lines, add, _int(_query("quantity"), "quantity") or 1)
        else:
            changed = pos.without_line(lines, remove)  # type: ignore[arg-type]
        state = {"store_id": store_id, "register_id": register_id, "lines": changed, "q": _query("q")}
        return redirect("/ui/pos?" + urlencode({k: v for k, v in state.items() if v}))
    return render("pos.html", active="pos", **pages.point_of_sale(api, store_id, register_id, lines, _query("q"),
                                                                  _session().stores))


@app.route("/ui/pos", methods=["POST"], content_types=FORM)
@page("pos")
def record_sale() -> Response:
    api = _api()
    form = parse(SaleForm, single(_form()))
    lines = pos.parse_lines(form.lines)
    try:
        created = api.call("POST", "/sales", idempotency_key=form.idempotency_key, body={
            "store_id": form.store_id, "register_id": form.register_id,
            "lines": [{"product_id": line.product_id, "quantity": line.quantity} for line in lines]})
    except ApiRejected as exc:
        context = pages.point_of_sale(api, form.store_id, form.register_id, lines, None)
        return render("pos.html", exc.status, active="pos", error=exc,
                      problems=pos.sale_problems(exc, lines, context["products"]), **context)
    logger.info("sale recorded", extra={"sale_id": created["sale_id"]})
    return redirect(f"/ui/sales/{created['sale_id']}?recorded=1")


@app.route("/ui/sales/{sale_id}", methods=["GET"])
@page("pos")
def sale(sale_id: str) -> Response:
    return render("sale.html", active="pos", recorded=_query("recorded"), returned=_query("returned"),
                  **pages.sale(_api(), _int(sale_id, "sale id")))


@app.route("/ui/sales/{sale_id}/returns", methods=["POST"], content_types=FORM)
@page("pos")
def return_items(sale_id: str) -> Response:
    api, number = _api(), _int(sale_id, "sale id")
    fields = _form()
    form = parse(ReturnForm, {**single(fields), "lines": paired_lines(fields)})
    try:
        created = api.call("POST", "/returns", idempotency_key=form.idempotency_key, body={
            "sale_id": number, "lines": [line.model_dump() for line in form.lines], "reason": form.reason})
    except ApiRejected as exc:
        return render("sale.html", exc.status, active="pos", error=exc, **pages.sale(api, number))  # type: ignore[arg-type]
    return redirect(f"/ui/sales/{number}?returned={created['return_id']}")


@app.route("/ui/stock", methods=["GET"])
@page("stock")
def stock() -> Response:
    return render("stock.html", active="stock", **pages.stock(
        _api(), _query("location_id"), _query("low_stock") in ("true", "on", "1"),
        _int(_query("product_id"), "product id"), _query("next_token")))


@app.route("/ui/stock/{product_id}", methods=["GET"])
@page("stock")
def product_stock(product_id: str) -> Response:
    return render("product_stock.html", active="stock", adjusted=_query("adjusted"),
                  **pages.product_stock(_api(), _int(product_id, "product id"), _query("next_token")))  # type: ignore[arg-type]


@app.route("/ui/stock/{product_id}", methods=["POST"], content_types=FORM)
@page("stock")
def adjust_stock(product_id: str) -> Response:
    api, number = _api(), _int(product_id, "product id")
    form = parse(StockAdjustForm, single(_form()))
    try:
        pages.adjust_stock(api, number, form)  # type: ignore[arg-type]
    except ApiRejected as exc:
        return render("product_stock.html", exc.status, active="stock", error=exc, form=form,
                      **pages.product_stock(api, number, None))  # type: ignore[arg-type]
    return redirect(f"/ui/stock/{number}?adjusted={form.location_id}")


@app.route("/ui/orders", methods=["GET"])
@page("orders")
def orders() -> Response:
    return render("orders.html", active="orders", payment_methods=PAYMENT_METHODS,
                  **pages.orders(_api(), _query("status")))


@app.route("/ui/orders", methods=["POST"], content_types=FORM)
@page("orders")
def start_order() -> Response:
    api = _api()
    fields = _form()
    try:
        form = parse(OrderForm, {**single(fields), "lines": paired_lines(fields)})
        started = api.call("POST", f"/customers/{form.customer_id}/order-processing", body=form.body(),
                           idempotency_key=form.idempotency_key)
    except (BadInput, ApiRejected) as exc:
        return render("orders.html", exc.status, active="orders", error=exc, payment_methods=PAYMENT_METHODS,
                      entered=single(fields), **pages.orders(api, None))
    logger.info("order saga started", extra={"saga_id": started["saga_id"]})
    return redirect(f"/ui/sagas/{started['saga_id']}")


@app.route("/ui/sagas", methods=["GET"])
@page("orders")
def saga_list() -> Response:
    return render("sagas.html", active="orders", **pages.saga_list(_api(), _query("status"), _query("next_token")))


@app.route("/ui/sagas/{saga_id}", methods=["GET"])
@page("orders")
def saga(saga_id: str) -> Response:
    return render("saga.html", active="orders", **pages.saga(_api(), saga_id))


@app.route("/ui/sagas/{saga_id}/live", methods=["GET"])
def saga_live(saga_id: str) -> Response:
    """The saga's steps as an HTML fragment, polled by the saga page (htmx) until it is final; an
    error is shown in place and polling goes on, slower."""
    try:
        context: dict[str, Any] = pages.saga(_api(), saga_id)
    except NotSignedIn as exc:
        context = {"error": exc, "stop": True}
    except ApiError as exc:
        context = {"error": exc, "saga_id": saga_id}
    return render("_saga_live.html", **context)


@app.route("/ui/reports", methods=["GET"])
@page("reports")
def report_pages() -> Response:
    chosen = period(_query("from"), _query("to"), _query("days"), pages.today())
    return render("reports.html", active="reports", presets=PRESETS, days=_query("days"),
                  **pages.report_pages(_api(), chosen, _session().stores))


@app.route("/ui/operations", methods=["GET"])
@page("operations")
def operations() -> Response:
    _session()   # signed in (an admin: the page's route); CloudWatch is read with the function's own role
    config = settings()
    return render("operations.html", active="operations", **pages.operations_page(
        config.api_name, config.stage, config.metrics_namespace, config.resource_prefix, _query("hours")))


@app.route("/ui/static/{name}", methods=["GET"])
def static(name: str) -> Response:
    path = STATIC.get(name)
    if path is None:
        return Response(body="not found", status_code=404, headers={"Content-Type": "text/plain"})
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Response(body=path.read_text(encoding="utf-8"), status_code=200, headers={
        "Content-Type": f"{kind}; charset=utf-8", "Cache-Control": "public, max-age=3600",
        "X-Content-Type-Options": "nosniff"})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app(event, context)
