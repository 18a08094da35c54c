"""The role authorizer end to end: the template's REQUEST authorizer (functions/authorizer) run by
the gateway as API Gateway runs it, with the stack's three keys and their role tags
(functions/shared/roles.py): 401 without a usable key, 403 for a route the role may not call
(and nothing done), the handler told the caller's role, 500 when an authorizer fails, and one
authorizer call per key within its TTL."""
from __future__ import annotations

import json
import time
import uuid

import pytest

from infra.logs import search
from tests.conftest import Api
from tests.e2e.test_observability_metrics import eventually

pytestmark = pytest.mark.integration

DENIED = {"message": "User is not authorized to access this resource"}


@pytest.fixture(scope="module")
def product(admin):
    """A product of its own with 10 units at store 1."""
    created = admin.post("/api/v1/products", json={
        "sku": f"AUTH-{uuid.uuid4().hex[:10]}".upper(), "name": "Authorizer e2e product", "category_id": 1,
        "price": "3.00", "reorder_level": 1})
    assert created.status_code == 201, created.text
    product_id = created.json()["product_id"]
    stocked = admin.put(f"/api/v1/stock/{product_id}", json={"location_id": "store-1", "quantity": 10, "reason": "e2e"})
    assert stocked.status_code == 200, stocked.text
    return product_id


def _stock(admin, product_id: int) -> int:
    [level] = admin.get("/api/v1/stock", params={"product_id": product_id, "location_id": "store-1"}).json()["items"]
    return level["available"]


@pytest.mark.parametrize("key", [None, "", "not-a-key-of-this-stack-000"])
def test_no_key_or_an_unknown_key_is_401(session_stack, key):
    answer = Api(session_stack.gateway_url, key).get("/api/v1/categories")
    assert (answer.status_code, answer.json()) == (401, {"message": "Unauthorized"})
    assert answer.headers["x-amzn-ErrorType"] == "UnauthorizedException"


def test_the_shop_key_cannot_create_a_product_and_nothing_is_created(frontend, admin):
    sku = f"SHOP-{uuid.uuid4().hex[:10]}".upper()
    answer = frontend.post("/api/v1/products", json={"sku": sku, "name": f"Shop attempt {sku}", "category_id": 1,
                                                     "price": "1.00", "reorder_level": 1})
    assert (answer.status_code, answer.json()) == (403, DENIED)
    assert answer.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    found = admin.get("/api/v1/products", params={"search": sku})
    assert found.status_code == 200 and found.json()["items"] == []
    # the same key reads the catalogue (its role may)
    assert frontend.get("/api/v1/products", params={"limit": 1}).status_code == 200


def test_the_shop_key_cannot_set_stock(frontend, admin, product):
    answer = frontend.put(f"/api/v1/stock/{product}", json={"location_id": "store-1", "quantity": 99, "reason": "shop"})
    assert (answer.status_code, answer.json()) == (403, DENIED)
    assert _stock(admin, product) == 10
    allowed = admin.put(f"/api/v1/stock/{product}", json={"location_id": "store-1", "quantity": 10, "reason": "admin may"})
    assert allowed.status_code == 200, allowed.text


def test_the_store_key_records_a_sale_but_cannot_start_an_online_order(store, admin, product):
    register = admin.get("/api/v1/cash-registers", params={"store_id": 1}).json()["items"][0]["register_id"]
    sale = store.post("/api/v1/sales", json={"store_id": 1, "register_id": register,
                                             "lines": [{"product_id": product, "quantity": 1}]})
    assert sale.status_code == 201, sale.text
    assert _stock(admin, product) == 9
    order = store.post("/api/v1/customers/1/order-processing", json={
        "products": [{"product_id": product, "quantity": 1}], "shipping_address": "123 Main St",
        "payment_method": "credit_card"})
    assert (order.status_code, order.json()) == (403, DENIED)
    assert _stock(admin, product) == 9   # no saga reserved anything


def test_the_handler_gets_the_callers_role_from_the_authorizer(admin, session_stack, aws):
    answer = admin.get("/api/v1/_diagnostics/echo")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    authorizer, key_id = body["authorizer"], body["apiKeyId"]
    admin_key_id = session_stack.stack.physical_id("AdminApiKey")
    assert key_id == admin_key_id and authorizer["principalId"] == admin_key_id
    assert authorizer["role"] == "admin" and authorizer["keyName"] == f"{session_stack.stack_name}-admin"
    assert isinstance(authorizer["integrationLatency"], int)


@pytest.mark.parametrize("query", ["", "?answer=malformed"])
def test_a_failing_authorizer_is_500_authorizer_configuration_exception(admin, query):
    answer = admin.get(f"/api/v1/_diagnostics/authorizer{query}")
    assert (answer.status_code, answer.json()) == (500, {"message": None})
    assert answer.headers["x-amzn-ErrorType"] == "AuthorizerConfigurationException"


def _new_key(aws, session_stack, name: str, role: str, plan_output: str | None) -> tuple[str, str]:
    apigw = aws("apigateway")
    value = f"{name}-{uuid.uuid4().hex}"
    key = apigw.create_api_key(name=f"{name}-{uuid.uuid4().hex[:6]}", enabled=True, value=value, tags={"role": role})
    if plan_output:
        apigw.create_usage_plan_key(usagePlanId=session_stack.stack.outputs[plan_output], keyId=key["id"], keyType="API_KEY")
    return key["id"], value


def _drop_key(aws, session_stack, key_id: str, plan_output: str | None) -> None:
    apigw = aws("apigateway")
    if plan_output:
        apigw.delete_usage_plan_key(usagePlanId=session_stack.stack.outputs[plan_output], keyId=key_id)
    apigw.delete_api_key(apiKey=key_id)


def test_a_key_with_a_role_but_no_usage_plan_is_403_forbidden(aws, session_stack):
    key_id, value = _new_key(aws, session_stack, "no-plan", "shop", None)
    try:
        client = Api(session_stack.gateway_url, value)
        # the authorizer reads the new key within seconds (401 until then); the key check follows it
        answered = eventually(lambda: (r := client.get("/api/v1/categories")).status_code != 401 and [r])
        assert answered, "the authorizer never learned of the new key"   # (a 4xx Response is falsy: in a list)
        assert (answered[0].status_code, answered[0].json()) == (403, {"message": "Forbidden"})
    finally:
        _drop_key(aws, session_stack, key_id, None)


def test_the_authorizer_is_called_once_per_key_within_its_ttl(aws, session_stack):
    key_id, value = _new_key(aws, session_stack, "ttl", "store", "StoreUsagePlanId")
    group = f"/aws/lambda/{session_stack.stack.physical_id('AuthorizerFunction')}"
    logs = aws("logs")
    since = int(time.time() * 1000) - 5_000
    try:
        client = Api(session_stack.gateway_url, value)
        assert eventually(lambda: client.get("/api/v1/categories").status_code == 200), "the new key never worked"
        paths = ["/api/v1/categories", "/api/v1/stores", "/api/v1/sales?limit=1", "/api/v1/stock?limit=1"] * 3
        assert [client.get(path).status_code for path in paths] == [200] * len(paths)
        assert client.post("/api/v1/customers/1/order-processing", json={}).status_code == 403   # from the cache too
        # a barrier: once this later invocation's log line is there, every earlier one is too
        barrier = Api(session_stack.gateway_url, f"unknown-{uuid.uuid4().hex}").get("/api/v1/categories")
        assert barrier.status_code == 401
        request_id = barrier.headers["x-amzn-RequestId"]

        def lines(text: str) -> list[dict]:
            return [json.loads(e.message) for e in search(logs, text, since_ms=since, groups=[group])
                    if e.message.startswith("{")]

        assert eventually(lambda: any(line.get("correlation_id") == request_id and line.get("message") == "refused"
                                       for line in lines(request_id))), "the barrier's log line never came"
        authorized = [line for line in lines(key_id) if line.get("message") == "authorized" and line.get("key_id") == key_id]
        assert len(authorized) == 1, authorized
        assert authorized[0]["role"] == "store"
    finally:
        _drop_key(aws, session_stack, key_id, "StoreUsagePlanId")
