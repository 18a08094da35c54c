"""The event fixtures in ``events/``: what each function receives, one file per case.

    python -m infra.events            # (re)writes events/ from the catalogue below
    make invoke FN=InventoryFunction EVENT=events/inventory/get-products.json

- **REST proxy events** (API Gateway's Lambda proxy integration, v1): the skeleton is
  ``sam local generate-event apigateway aws-proxy``, edited as the gateway sends it: the route's
  resource, path, parameters and body, the admin dev key in ``x-api-key`` and
  ``requestContext.identity``, and ``requestContext.authorizer`` as the API's authorizer passes
  it (``role``: the routes a role may call are decided at the gateway, which a direct
  invocation skips).
- **DynamoDB stream records** for ``ReportingStreamFunction`` (the skeleton is ``sam local
  generate-event dynamodb update``): a sale, a return and an order, on a day long past so that
  the demo's reports do not move.
- **The order saga's step inputs**, as the state machine's ``Parameters`` shape them
  (``statemachines/order_saga.asl.json``), each step's success and its failures, and the state
  machine's own input (``events/sagas/order-saga-*.json``, for ``sam remote invoke``).

Each ``Fixture`` says which function takes it and what it answers on the local stack with the
demo data (``expect``: the HTTP status of a proxy response; ``"ok"`` or the ``errorType`` of a
direct invocation; the saga's final status for the state machine's input, whose execution is
named by its ``saga_id`` as the saga API names them); ``tests/integration/test_events.py``
invokes every one in this order and checks it, and that the files are what this module writes.
"""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
ADMIN_KEY = "admin-key-12345-local-dev"   # the local stack's admin key (infra/local.py DEV_API_KEYS)
STAGE = "prod"
REGION, ACCOUNT = "us-east-1", "123456789012"


@dataclass(frozen=True)
class Fixture:
    path: str          # under events/
    function: str      # the template's logical id
    expect: int | str  # proxy: HTTP status; direct: "ok" or the errorType
    event: dict[str, Any]
    about: str = ""


def _sam_event(*args: str) -> dict[str, Any]:
    sam = Path(sys.executable).with_name("sam")
    out = subprocess.run([str(sam), "local", "generate-event", *args], check=True, capture_output=True, text=True,
                         env={"SAM_CLI_TELEMETRY": "0", "PATH": "/usr/bin:/bin"}).stdout
    return json.loads(out)


def proxy(base: dict[str, Any], method: str, resource: str, *, path: dict[str, Any] | None = None,
          query: dict[str, str] | None = None, body: Any = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """``base`` (sam's aws-proxy event) edited into a request for ``method resource``."""
    event = copy.deepcopy(base)
    real_path = resource.format(**(path or {}))
    all_headers = {"Accept": "application/json", "Host": "localhost:8000", "User-Agent": "events/ fixture",
                   "X-Forwarded-For": "127.0.0.1", "X-Forwarded-Port": "8000", "X-Forwarded-Proto": "http",
                   "x-api-key": ADMIN_KEY,
                   **({"Content-Type": "application/json"} if body is not None else {}), **(headers or {})}
    event.update({
        "resource": resource, "path": real_path, "httpMethod": method,
        "headers": all_headers, "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": {k: str(v) for k, v in path.items()} if path else None,
        "stageVariables": None,
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    })
    context = event["requestContext"]
    context.update({"path": f"/{STAGE}{real_path}", "resourcePath": resource, "httpMethod": method, "stage": STAGE,
                    "authorizer": {"principalId": "admin", "role": "admin"}})
    context["identity"].update({"apiKey": ADMIN_KEY, "apiKeyId": "admin-key-id", "userAgent": "events/ fixture"})
    return event


def stream(base: dict[str, Any], table: str, event_name: str, keys: dict[str, Any], new: dict[str, Any] | None,
           old: dict[str, Any] | None = None, sequence: int = 1) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeSerializer

    image = TypeSerializer().serialize
    record = copy.deepcopy(base["Records"][0])
    record["eventID"] = f"events-fixture-{table}-{event_name}-{sequence}"
    record["eventName"] = event_name
    record["eventSourceARN"] = (f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/retail-{table}"
                                f"/stream/2026-01-01T00:00:00.000")
    body = record["dynamodb"]
    body.update({"Keys": {k: image(v) for k, v in keys.items()}, "SequenceNumber": str(sequence).rjust(21, "0"),
                 "ApproximateCreationDateTime": 1768471200})
    for name in ("NewImage", "OldImage"):
        body.pop(name, None)
    if new is not None:
        body["NewImage"] = {k: image(v) for k, v in new.items()}
    if old is not None:
        body["OldImage"] = {k: image(v) for k, v in old.items()}
    return {"Records": [record]}


def _money(value: str) -> Any:
    from decimal import Decimal

    return Decimal(value)


def catalogue() -> list[Fixture]:
    api = _sam_event("apigateway", "aws-proxy")
    ddb = _sam_event("dynamodb", "update")
    P = "/api/v1"
    address = {"line1": "123 Main St", "city": "Montréal", "postal_code": "H2X 1Y4"}
    lines = [{"product_id": 3, "quantity": 1}]

    def saga(saga_id: str, **fields: Any) -> dict[str, Any]:
        return {"saga_id": saga_id, "correlation_id": saga_id, "attempt": 0, "faults": [], **fields}

    def execution(saga_id: str, customer_id: int, **fields: Any) -> dict[str, Any]:
        return {"saga_id": saga_id, "correlation_id": saga_id, "customer_id": customer_id, "location_id": "warehouse",
                "lines": lines, "shipping_address": address, "billing_address": None,
                "payment_method": "credit_card", "card_token": None, "faults": [], **fields}

    inv, eco, ret, rep, sag, hea = ("InventoryFunction", "EcommerceFunction", "RetailFunction", "ReportingFunction",
                                    "SagaFunction", "HealthFunction")
    day = "2026-01-15"   # long before the demo data's three weeks: reports of those weeks do not move
    sale_line = {"product_id": 3, "quantity": 2, "unit_price": _money("4.50"), "line_total": _money("9.00")}
    return [
        # ------------------------------------------------------------ health
        Fixture("health/get-health.json", hea, 200, proxy(api, "GET", f"{P}/health")),
        Fixture("health/get-health-details.json", hea, 200, proxy(api, "GET", f"{P}/health/details")),
        Fixture("health/get-me.json", hea, 200, proxy(api, "GET", f"{P}/me")),
        # ------------------------------------------------------------ inventory
        Fixture("inventory/get-products.json", inv, 200, proxy(api, "GET", f"{P}/products", query={"limit": "5"})),
        Fixture("inventory/get-products-search.json", inv, 200,
                proxy(api, "GET", f"{P}/products", query={"category_id": "2", "search": "coffee"})),
        Fixture("inventory/get-product.json", inv, 200,
                proxy(api, "GET", f"{P}/products/{{product_id}}", path={"product_id": 1})),
        Fixture("inventory/get-product-unknown.json", inv, 404,
                proxy(api, "GET", f"{P}/products/{{product_id}}", path={"product_id": 99999})),
        Fixture("inventory/post-product.json", inv, 201, proxy(api, "POST", f"{P}/products", body={
            "sku": "EVT-TEA-0001", "name": "Earl Grey 100 g (events/)", "price": "6.50", "category_id": 1,
            "supplier_id": 1, "reorder_level": 10}), "a second run: 409, the SKU exists"),
        Fixture("inventory/post-product-invalid.json", inv, 422, proxy(api, "POST", f"{P}/products", body={
            "sku": "EVT-TEA-0002", "name": "Negative price", "price": "-1", "category_id": 1, "supplier_id": 1})),
        Fixture("inventory/put-product.json", inv, 200, proxy(api, "PUT", f"{P}/products/{{product_id}}",
                                                              path={"product_id": 190}, body={"reorder_level": 12})),
        Fixture("inventory/delete-product.json", inv, 204,
                proxy(api, "DELETE", f"{P}/products/{{product_id}}", path={"product_id": 200}),
                "soft delete; a second run: 404"),
        Fixture("inventory/get-categories.json", inv, 200, proxy(api, "GET", f"{P}/categories")),
        Fixture("inventory/post-category.json", inv, 201, proxy(api, "POST", f"{P}/categories", body={
            "name": "Tea (events/)", "description": "Loose and bagged"})),
        Fixture("inventory/get-suppliers.json", inv, 200, proxy(api, "GET", f"{P}/suppliers")),
        Fixture("inventory/post-supplier.json", inv, 201, proxy(api, "POST", f"{P}/suppliers", body={
            "name": "Leaf & Co (events/)", "contact_email": "orders@leaf.example", "phone": "+1-514-555-0100"})),
        Fixture("inventory/get-locations.json", inv, 200, proxy(api, "GET", f"{P}/locations")),
        Fixture("inventory/get-stock.json", inv, 200, proxy(api, "GET", f"{P}/stock", query={"product_id": "1"})),
        Fixture("inventory/put-stock.json", inv, 200, proxy(
            api, "PUT", f"{P}/stock/{{product_id}}", path={"product_id": 3},
            headers={"Idempotency-Key": "events-fixture-put-stock"},
            body={"location_id": "warehouse", "delta": 5, "reason": "events/ fixture"}),
            "Idempotency-Key: a second run replays the first answer"),
        Fixture("inventory/get-stock-movements.json", inv, 200,
                proxy(api, "GET", f"{P}/stock/{{product_id}}/movements", path={"product_id": 1})),
        Fixture("inventory/get-openapi.json", inv, 200, proxy(api, "GET", f"{P}/openapi.json")),
        # the order saga's stock steps (Task inputs); saga ids are reservation ids
        Fixture("inventory/saga-check-stock.json", "InventoryCheckStockFunction", "ok",
                saga("events-check", location_id="warehouse", lines=lines)),
        Fixture("inventory/saga-check-stock-insufficient.json", "InventoryCheckStockFunction", "InsufficientStock",
                saga("events-check", location_id="warehouse", lines=[{"product_id": 3, "quantity": 1000}])),
        Fixture("inventory/saga-check-stock-unknown-product.json", "InventoryCheckStockFunction", "ProductNotFound",
                saga("events-check", location_id="warehouse", lines=[{"product_id": 99999, "quantity": 1}])),
        Fixture("inventory/saga-reserve-stock.json", "InventoryReserveStockFunction", "ok",
                saga("events-reserve-commit", location_id="warehouse", lines=lines), "then saga-commit-stock.json"),
        Fixture("inventory/saga-reserve-stock-insufficient.json", "InventoryReserveStockFunction", "InsufficientStock",
                saga("events-reserve-insufficient", location_id="warehouse", lines=[{"product_id": 3, "quantity": 1000}])),
        Fixture("inventory/saga-commit-stock.json", "InventoryCommitStockFunction", "ok",
                saga("events-reserve-commit"), "commits saga-reserve-stock.json's reservation"),
        Fixture("inventory/saga-commit-stock-not-reserved.json", "InventoryCommitStockFunction", "ReservationNotFound",
                saga("events-never-reserved")),
        Fixture("inventory/saga-release-stock.json", "InventoryReleaseStockFunction", "ok",
                saga("events-release", reason="order cancelled"), "nothing reserved: status not_reserved"),
        # ------------------------------------------------------------ ecommerce
        Fixture("ecommerce/get-customers.json", eco, 200, proxy(api, "GET", f"{P}/customers", query={"limit": "5"})),
        Fixture("ecommerce/post-customer.json", eco, 201, proxy(api, "POST", f"{P}/customers", body={
            "email": "events.fixture@example.com", "first_name": "Ana", "last_name": "Roy",
            "addresses": [{"line1": "1100 Rue Sainte-Catherine O", "city": "Montréal", "region": "QC",
                           "postal_code": "H3B 1A7"}]}), "a second run: 409, the e-mail exists"),
        Fixture("ecommerce/get-customer.json", eco, 200,
                proxy(api, "GET", f"{P}/customers/{{customer_id}}", path={"customer_id": 1})),
        Fixture("ecommerce/put-customer.json", eco, 200, proxy(api, "PUT", f"{P}/customers/{{customer_id}}",
                                                               path={"customer_id": 2}, body={"phone": "+1-514-555-0199"})),
        Fixture("ecommerce/get-carts.json", eco, 200, proxy(api, "GET", f"{P}/carts", query={"customer_id": "1"})),
        Fixture("ecommerce/post-cart.json", eco, 201, proxy(api, "POST", f"{P}/carts", body={
            "customer_id": 1, "items": [{"product_id": 1, "quantity": 2}, {"product_id": 5, "quantity": 1}]})),
        Fixture("ecommerce/get-cart.json", eco, 200, proxy(api, "GET", f"{P}/carts/{{cart_id}}", path={"cart_id": 1})),
        Fixture("ecommerce/put-cart.json", eco, 200, proxy(api, "PUT", f"{P}/carts/{{cart_id}}", path={"cart_id": 1},
                                                           body={"items": [{"product_id": 1, "quantity": 3}]})),
        Fixture("ecommerce/get-orders.json", eco, 200,
                proxy(api, "GET", f"{P}/orders", query={"customer_id": "1", "status": "confirmed"})),
        Fixture("ecommerce/post-order.json", eco, 201, proxy(api, "POST", f"{P}/orders", body={
            "customer_id": 1, "lines": lines, "shipping_address": address})),
        Fixture("ecommerce/get-order.json", eco, 200,
                proxy(api, "GET", f"{P}/orders/{{order_id}}", path={"order_id": 1})),
        Fixture("ecommerce/get-payments.json", eco, 200, proxy(api, "GET", f"{P}/payments", query={"order_id": "1"})),
        Fixture("ecommerce/post-payment-unknown-order.json", eco, 404, proxy(api, "POST", f"{P}/payments", body={
            "order_id": 99999, "amount": "4.50", "payment_method": "credit_card"}),
            "a payment needs a pending order: put the id and total of one (POST /orders answers them)"),
        Fixture("ecommerce/get-payment.json", eco, 200,
                proxy(api, "GET", f"{P}/payments/{{payment_id}}", path={"payment_id": 1})),
        # the order saga's e-commerce steps; the idempotency key is the saga id
        Fixture("ecommerce/saga-create-order.json", "EcommerceCreateOrderFunction", "ok",
                saga("events-order", idempotency_key="events-order", customer_id=1, lines=lines,
                     shipping_address=address, billing_address=None), "then saga-cancel-order.json"),
        Fixture("ecommerce/saga-create-order-unknown-customer.json", "EcommerceCreateOrderFunction", "CustomerNotFound",
                saga("events-order-unknown", idempotency_key="events-order-unknown", customer_id=99999, lines=lines,
                     shipping_address=address, billing_address=None)),
        Fixture("ecommerce/saga-process-payment-unknown-order.json", "EcommerceProcessPaymentFunction",
                "OrderNotFound", saga("events-payment", idempotency_key="events-payment", order_id=99999,
                                      amount="4.50", payment_method="credit_card", card_token=None),
                "put the order id and total saga-create-order.json answered to be charged"),
        Fixture("ecommerce/saga-confirm-order-unknown-order.json", "EcommerceConfirmOrderFunction", "OrderNotFound",
                saga("events-confirm", order_id=99999)),
        Fixture("ecommerce/saga-refund-payment.json", "EcommerceRefundPaymentFunction", "ok",
                saga("events-order", idempotency_key="events-order"), "nothing charged: status not_charged"),
        Fixture("ecommerce/saga-cancel-order.json", "EcommerceCancelOrderFunction", "ok",
                saga("events-order", idempotency_key="events-order", reason="payment declined"),
                "cancels saga-create-order.json's order"),
        # ------------------------------------------------------------ retail
        Fixture("retail/get-stores.json", ret, 200, proxy(api, "GET", f"{P}/stores")),
        Fixture("retail/post-store.json", ret, 201, proxy(api, "POST", f"{P}/stores", body={
            "name": "Québec Vieux-Port (events/)", "address": "84 Rue Dalhousie, Québec, QC"})),
        Fixture("retail/get-store.json", ret, 200, proxy(api, "GET", f"{P}/stores/{{store_id}}", path={"store_id": 1})),
        Fixture("retail/get-cash-registers.json", ret, 200,
                proxy(api, "GET", f"{P}/cash-registers", query={"store_id": "1"})),
        Fixture("retail/post-cash-register.json", ret, 201, proxy(api, "POST", f"{P}/cash-registers", body={
            "store_id": 3, "number": 42, "name": "Express (events/)"}), "a second run: 409, the number is taken"),
        Fixture("retail/get-sales.json", ret, 200, proxy(api, "GET", f"{P}/sales", query={"store_id": "1"})),
        Fixture("retail/post-sale.json", ret, 201, proxy(api, "POST", f"{P}/sales",
                                                         headers={"Idempotency-Key": "events-fixture-sale"}, body={
            "store_id": 1, "register_id": 1, "lines": [{"product_id": 3, "quantity": 1}]}),
            "Idempotency-Key: a second run replays the first answer"),
        Fixture("retail/post-sale-insufficient-stock.json", ret, 409, proxy(api, "POST", f"{P}/sales", body={
            "store_id": 1, "register_id": 1, "lines": [{"product_id": 3, "quantity": 9999}]})),
        Fixture("retail/get-sale.json", ret, 200, proxy(api, "GET", f"{P}/sales/{{sale_id}}", path={"sale_id": 1})),
        Fixture("retail/get-returns.json", ret, 200, proxy(api, "GET", f"{P}/returns", query={"store_id": "1"})),
        Fixture("retail/post-return-unknown-sale.json", ret, 404, proxy(api, "POST", f"{P}/returns", body={
            "sale_id": 99999999, "lines": [{"product_id": 3, "quantity": 1}], "reason": "damaged"}),
            "a return names a sale and its lines: put those of a sale (GET /sales/{sale_id})"),
        Fixture("retail/get-return.json", ret, 200,
                proxy(api, "GET", f"{P}/returns/{{return_id}}", path={"return_id": 1})),
        # ------------------------------------------------------------ reporting
        Fixture("reporting/get-reports-sales.json", rep, 200, proxy(api, "GET", f"{P}/reports/sales",
                                                                    query={"group_by": "store"})),
        Fixture("reporting/get-reports-inventory.json", rep, 200, proxy(api, "GET", f"{P}/reports/inventory",
                                                                        query={"location_id": "store-1"})),
        Fixture("reporting/get-reports-performance.json", rep, 200, proxy(api, "GET", f"{P}/reports/performance")),
        Fixture("reporting/get-analytics-trends.json", rep, 200, proxy(api, "GET", f"{P}/analytics/trends",
                                                                       query={"top": "5"})),
        Fixture("reporting/get-dashboards.json", rep, 200, proxy(api, "GET", f"{P}/dashboards")),
        Fixture("reporting/stream-sale-insert.json", "ReportingStreamFunction", "ok", stream(
            ddb, "RetailSalesTable", "INSERT", {"sale_id": 900001}, {
                "sale_id": 900001, "store_id": 1, "register_id": 1, "created_at": f"{day}T10:00:00Z",
                "sale_date": day, "lines": [sale_line], "total": _money("9.00"), "item_count": 2})),
        Fixture("reporting/stream-return-insert.json", "ReportingStreamFunction", "ok", stream(
            ddb, "RetailReturnsTable", "INSERT", {"return_id": 900001}, {
                "return_id": 900001, "sale_id": 900001, "store_id": 1, "created_at": f"{day}T12:00:00Z",
                "return_date": day, "lines": [{"product_id": 3, "quantity": 1, "refund_amount": _money("4.50")}],
                "refund_total": _money("4.50")})),
        Fixture("reporting/stream-order-confirmed.json", "ReportingStreamFunction", "ok", stream(
            ddb, "EcommerceOrdersTable", "MODIFY", {"order_id": 900001}, *[{
                "order_id": 900001, "customer_id": 1, "status": status, "created_at": f"{day}T09:00:00Z",
                "order_date": day, "lines": [{**sale_line, "sku": "EVT-0003", "name": "events/ line"}],
                "total": _money("9.00"), "currency": "CAD"} for status in ("confirmed", "pending")])),
        # ------------------------------------------------------------ sagas
        Fixture("sagas/post-order-processing.json", sag, 202, proxy(
            api, "POST", f"{P}/customers/{{customer_id}}/order-processing", path={"customer_id": 1},
            body={"products": lines, "shipping_address": "123 Main St", "billing_address": "123 Main St",
                  "payment_method": "credit_card"}), "starts a saga on the state machine"),
        Fixture("sagas/post-order-processing-unknown-customer.json", sag, 202, proxy(
            api, "POST", f"{P}/customers/{{customer_id}}/order-processing", path={"customer_id": 99999},
            body={"products": lines, "shipping_address": "123 Main St", "payment_method": "credit_card"}),
            "the saga ends COMPENSATED"),
        Fixture("sagas/get-sagas.json", sag, 200, proxy(api, "GET", f"{P}/sagas", query={"limit": "10"})),
        Fixture("sagas/get-saga-unknown.json", sag, 404,
                proxy(api, "GET", f"{P}/sagas/{{saga_id}}", path={"saga_id": "saga-unknown"}),
                "put a saga id that POST .../order-processing answered"),
        # the state machine's input (sam remote invoke --stack-name retail OrderSagaStateMachine --event-file ...)
        Fixture("sagas/order-saga-completed.json", "OrderSagaStateMachine", "COMPLETED", execution("events-saga-ok", 1)),
        Fixture("sagas/order-saga-unknown-customer.json", "OrderSagaStateMachine", "COMPENSATED",
                execution("events-saga-unknown-customer", 99999)),
        Fixture("sagas/order-saga-insufficient-stock.json", "OrderSagaStateMachine", "COMPENSATED",
                execution("events-saga-no-stock", 1, lines=[{"product_id": 3, "quantity": 1000}])),
        Fixture("sagas/order-saga-payment-declined.json", "OrderSagaStateMachine", "COMPENSATED",
                execution("events-saga-declined", 1, payment_method="declined_card")),
        Fixture("sagas/saga-record-outcome.json", "SagaRecordOutcomeFunction", "ok", {
            "saga_id": "events-saga-ok", "correlation_id": "events-saga-ok", "status": "COMPLETED",
            "execution_arn": f"arn:aws:states:{REGION}:{ACCOUNT}:execution:retail-order-saga:events-saga-ok",
            "started_at": "2026-01-15T10:00:00.000Z"},
            "reads the execution events-saga-ok: order-saga-completed.json started with that name"),
    ]


def render(fixture: Fixture) -> str:
    return json.dumps(fixture.event, indent=2, ensure_ascii=False, default=str) + "\n"


def main() -> None:
    fixtures = catalogue()
    for fixture in fixtures:
        target = EVENTS / fixture.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(fixture))
    print(f"{len(fixtures)} events written under {EVENTS.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
