"""The stage cache over real HTTP, against real caching: the deployed stage's cache cluster and
method settings (template.yaml), hits answered without the function, TTL expiry, one entry per
cache key, writes and errors never cached, Cache-Control: max-age=0 as API Gateway handles it,
and CacheHitCount / CacheMissCount in CloudWatch and on /metrics.

The test stack caches catalogue reads for 10 s (tests/conftest.py). A hit is proven by changing
the product in DynamoDB behind the API's back: the function would read the new value, the cache
still has the old one. Nothing asserts on timings: expiry is polled with a generous deadline.
"""

from __future__ import annotations

import functools
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests import polling
import requests

pytestmark = pytest.mark.integration

TTL = 10  # CatalogCacheTtlSeconds of the test stack
DEADLINE = TTL + 50  # seconds to wait for an entry to expire, or the gateway to re-read the stage
ITEM = "~1api~1v1~1products~1{product_id}/GET"
LIST = "~1api~1v1~1products/GET"
WARNING = "199 Cache-control headers were ignored because the caller was unauthorized."

PROMETHEUS = pytest.mark.only_on("embedded", reason="GET /metrics (Prometheus) is served by the embedded cloud's endpoint; "
                                "LocalStack exposes no Prometheus metrics")


eventually = functools.partial(polling.eventually, timeout=DEADLINE, interval=0.3)

@pytest.fixture(scope="module")
def category_id(admin) -> int:
    return admin.get("/api/v1/categories", params={"limit": "1"}).json()["items"][0]["category_id"]


@pytest.fixture(scope="module")
def products_table(aws, session_stack):
    table = session_stack.stack.physical_id("InventoryProductsTable")
    return lambda: (aws("dynamodb"), table)


def new_product(admin, category_id: int, price: str = "10.00") -> dict:
    created = admin.post("/api/v1/products", json={
        "sku": f"CACHE-{uuid.uuid4().hex[:10]}".upper(), "name": "cached v1", "category_id": category_id,
        "price": price})
    assert created.status_code == 201, created.text
    return created.json()


def rename_behind_the_api(products_table, product_id: int, name: str) -> None:
    """Change the product in DynamoDB directly: only the function would see it."""
    ddb, table = products_table()
    ddb.update_item(TableName=table, Key={"product_id": {"N": str(product_id)}},
                    UpdateExpression="SET #n = :n", ExpressionAttributeNames={"#n": "name"},
                    ExpressionAttributeValues={":n": {"S": name}})


def record(session_stack, response) -> dict:
    """The gateway's access-log record of this response (its x-amzn-RequestId)."""
    request_id = response.headers["x-amzn-RequestId"]
    path = session_stack.log_dir / "gateway-access.log"

    def find():
        for line in reversed(path.read_text().splitlines()):
            if request_id in line:
                return json.loads(line)
        return None

    found = eventually(find, timeout=10, interval=0.1)
    assert found, f"no access-log record for {request_id}"
    return found


def served_from_cache(admin, session_stack, products_table, pid: int, query: dict | None = None,
                      headers: dict | None = None, attempts: int = 3):
    """(first, second): GET the product, rename it behind the API, GET it again (with `query`
    and `headers`); the second must be a hit that answers the first's body. Tried again only if
    an old entry expired between the two (a hit in the first request, near its end)."""
    for _ in range(attempts):
        first = admin.get(f"/api/v1/products/{pid}")
        assert first.status_code == 200, first.text
        rename_behind_the_api(products_table, pid, f"renamed {uuid.uuid4().hex[:6]}")
        second = admin.get(f"/api/v1/products/{pid}", params=query or {}, headers=headers or {})
        assert second.status_code == 200, second.text
        if record(session_stack, second)["cacheStatus"] == "HIT":
            assert second.json() == first.json()  # the function, which reads the new name, was not asked
            return first, second
    pytest.fail("the second request was never answered from the cache")


def name_of(admin, product_id: int, **headers) -> str:
    response = admin.get(f"/api/v1/products/{product_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["name"]


# --------------------------------------------------------------------------- deployed settings


def test_the_stage_has_the_cache_cluster_and_the_method_settings(aws, session_stack):
    apigw = aws("apigateway")
    api_id = session_stack.stack.outputs["ApiId"]
    stage = apigw.get_stage(restApiId=api_id, stageName=session_stack.stage)
    assert stage["cacheClusterEnabled"] is True and stage["cacheClusterSize"] == "0.5"
    settings = stage["methodSettings"]
    for key in (LIST, ITEM, "~1api~1v1~1categories/GET", "~1api~1v1~1suppliers/GET", "~1api~1v1~1locations/GET"):
        assert settings[key]["cachingEnabled"] is True and settings[key]["cacheTtlInSeconds"] == TTL, key
    assert settings["~1api~1v1~1stock/GET"]["cacheTtlInSeconds"] == 0  # not cached in the test stack
    # writes are never cached (the keyless sign-in POST has a method setting for its throttle only)
    assert not any(key.endswith(("/POST", "/PUT", "/DELETE")) and value.get("cachingEnabled")
                   for key, value in settings.items())
    # the cache key parameters are declared on the methods
    resources = {r["path"]: r for r in apigw.get_resources(restApiId=api_id, embed=["methods"], limit=500)["items"]}
    listing = resources["/api/v1/products"]["resourceMethods"]["GET"]["requestParameters"]
    assert {f"method.request.querystring.{q}" for q in ("limit", "next_token", "category_id", "supplier_id",
                                                         "search")} == set(listing)
    item = resources["/api/v1/products/{product_id}"]["resourceMethods"]["GET"]["requestParameters"]
    assert item == {"method.request.path.product_id": True}


# --------------------------------------------------------------------------- hits, misses, TTL


def test_a_miss_then_a_hit_answered_without_the_function_until_the_ttl_passes(admin, session_stack, category_id,
                                                                              products_table):
    pid = new_product(admin, category_id)["product_id"]
    first, second = served_from_cache(admin, session_stack, products_table, pid)
    assert first.json()["name"] == "cached v1"
    miss, hit = record(session_stack, first), record(session_stack, second)
    assert (miss["cacheStatus"], hit["cacheStatus"]) == ("MISS", "HIT")
    assert miss["integrationLatency"] is not None and hit["integrationLatency"] is None
    assert hit["status"] == 200 and hit["apiKeyName"] == f"{session_stack.stack_name}-admin"  # counted as usual
    # the entry expires after the method's TTL; the next request goes to the function
    rename_behind_the_api(products_table, pid, "cached v2")
    assert eventually(lambda: name_of(admin, pid) == "cached v2"), "the entry never expired"


def test_each_path_parameter_and_query_string_value_has_its_own_entry(admin, session_stack, category_id,
                                                                      products_table):
    a, b = new_product(admin, category_id), new_product(admin, category_id)
    assert name_of(admin, a["product_id"]) == name_of(admin, b["product_id"]) == "cached v1"
    rename_behind_the_api(products_table, b["product_id"], "b renamed")
    assert name_of(admin, a["product_id"]) == "cached v1"
    by_sku = {p["sku"]: admin.get("/api/v1/products", params={"search": p["sku"]}).json()["items"] for p in (a, b)}
    assert [i["product_id"] for i in by_sku[a["sku"]]] == [a["product_id"]]
    assert [i["product_id"] for i in by_sku[b["sku"]]] == [b["product_id"]]
    one = admin.get("/api/v1/products", params={"limit": "1"}).json()["items"]
    two = admin.get("/api/v1/products", params={"limit": "2"}).json()["items"]
    assert (len(one), len(two)) == (1, 2)
    # a query string that is not a cache key shares the path's entry (API Gateway keys on
    # declared cache key parameters only)
    served_from_cache(admin, session_stack, products_table, a["product_id"], query={"utm_source": "e2e"})


def test_writes_are_never_cached_and_do_not_invalidate_the_entry(admin, session_stack, category_id):
    product = new_product(admin, category_id, price="10.00")
    pid = product["product_id"]
    assert admin.get(f"/api/v1/products/{pid}").json()["price"] == "10.00"
    for price in ("11.00", "12.00"):
        updated = admin.put(f"/api/v1/products/{pid}", json={"price": price})
        assert updated.status_code == 200 and updated.json()["price"] == price
        assert record(session_stack, updated)["cacheStatus"] is None
    # as on AWS, a read within the TTL after a write is stale (the entry predates the write) ...
    read = admin.get(f"/api/v1/products/{pid}")
    assert read.json()["price"] == ("10.00" if record(session_stack, read)["cacheStatus"] == "HIT" else "12.00")
    # ... and never after it
    assert eventually(lambda: admin.get(f"/api/v1/products/{pid}").json()["price"] == "12.00")


def test_errors_are_never_cached(admin, session_stack, category_id, products_table):
    product = new_product(admin, category_id)
    pid = product["product_id"]
    assert admin.delete(f"/api/v1/products/{pid}").status_code == 204
    gone = admin.get(f"/api/v1/products/{pid}")
    assert gone.status_code == 404 and record(session_stack, gone)["cacheStatus"] == "MISS"
    ddb, table = products_table()  # undelete it behind the API's back: a cached 404 would hide it
    ddb.update_item(TableName=table, Key={"product_id": {"N": str(pid)}}, UpdateExpression="REMOVE deleted_at")
    back = admin.get(f"/api/v1/products/{pid}")
    assert back.status_code == 200 and record(session_stack, back)["cacheStatus"] == "MISS"
    for _ in range(2):
        invalid = admin.get("/api/v1/products", params={"limit": "1000", "search": pid})
        assert invalid.status_code == 422
        rec = record(session_stack, invalid)
        assert rec["cacheStatus"] == "MISS" and rec["integrationLatency"] is not None


# --------------------------------------------------------------------------- Cache-Control


def test_cache_control_max_age_0_needs_authorization_and_gets_the_cached_answer_with_a_warning(
        admin, session_stack, category_id, products_table):
    # API keys are no IAM identity: nobody holds execute-api:InvalidateCache, the default
    # strategy (SUCCEED_WITH_RESPONSE_HEADER) answers from the cache and says so
    pid = new_product(admin, category_id)["product_id"]
    _, response = served_from_cache(admin, session_stack, products_table, pid, headers={"Cache-Control": "max-age=0"})
    assert response.headers["Warning"] == WARNING
    assert "Warning" not in admin.get(f"/api/v1/products/{pid}").headers


@pytest.fixture()
def stage_settings(aws, session_stack):
    """Patch the stage's method settings as `aws apigateway update-stage` does; restored after."""
    apigw, api_id = aws("apigateway"), session_stack.stack.outputs["ApiId"]
    patched: list[str] = []

    def patch(key: str, setting: str, value: str) -> None:
        apigw.update_stage(restApiId=api_id, stageName=session_stack.stage, patchOperations=[
            {"op": "replace", "path": f"/{key}/caching/{setting}", "value": value}])
        patched.append(key)

    yield patch
    apigw.update_stage(restApiId=api_id, stageName=session_stack.stage, patchOperations=[
        op for key in set(patched) for op in (
            {"op": "replace", "path": f"/{key}/caching/requireAuthorizationForCacheControl", "value": "true"},
            {"op": "replace", "path": f"/{key}/caching/unauthorizedCacheControlHeaderStrategy",
             "value": "SUCCEED_WITH_RESPONSE_HEADER"})])


def test_the_stages_cache_control_settings_fail_with_403_or_let_anyone_refresh(admin, session_stack, category_id,
                                                                              products_table, stage_settings):
    product = new_product(admin, category_id)
    pid, sku = product["product_id"], product["sku"]
    stage_settings(ITEM, "unauthorizedCacheControlHeaderStrategy", "FAIL_WITH_403")
    stage_settings(LIST, "requireAuthorizationForCacheControl", "false")

    def denied():
        response = admin.get(f"/api/v1/products/{pid}", headers={"Cache-Control": "max-age=0"})
        return response.status_code == 403 and [response]  # (a 4xx Response is falsy)

    refused = eventually(denied)  # the gateway re-reads the stage every few seconds
    assert refused, "FAIL_WITH_403 never applied"
    assert refused[0].json() == {"message": "Unauthorized"}
    assert name_of(admin, pid) == "cached v1"  # without the header, the method answers as usual

    def listed(**headers):
        response = admin.get("/api/v1/products", params={"search": sku}, headers=headers)
        assert response.status_code == 200, response.text
        return response

    assert [i["name"] for i in listed().json()["items"]] == ["cached v1"]
    rename_behind_the_api(products_table, pid, "cached v2")

    def refreshed():
        response = listed(**{"Cache-Control": "max-age=0"})
        # fresh without a warning: the setting applies (an expired entry would come with one)
        return response.json()["items"][0]["name"] == "cached v2" and "Warning" not in response.headers

    assert eventually(refreshed), "requireAuthorizationForCacheControl=false never applied"
    rename_behind_the_api(products_table, pid, "cached v3")
    after = listed()  # the refreshed answer replaced the entry
    assert record(session_stack, after)["cacheStatus"] == "HIT" and after.json()["items"][0]["name"] == "cached v2"


# --------------------------------------------------------------------------- metrics


def cloudwatch_sum(aws, name: str, dimensions: dict[str, str]) -> float:
    now = datetime.now(UTC)
    answer = aws("cloudwatch").get_metric_data(
        MetricDataQueries=[{"Id": "m", "MetricStat": {"Metric": {
            "Namespace": "AWS/ApiGateway", "MetricName": name,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()]},
            "Period": 3600, "Stat": "Sum"}}],
        StartTime=now - timedelta(hours=2), EndTime=now + timedelta(minutes=5))
    return sum(answer["MetricDataResults"][0]["Values"])


def prometheus(session_stack, name: str, **labels: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(f"{session_stack.endpoint_url}/metrics", timeout=10).text
    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))


@PROMETHEUS
def test_cache_hits_and_misses_reach_cloudwatch_and_prometheus(admin, aws, session_stack):
    api = {"ApiName": session_stack.api_name, "Stage": session_stack.stage}
    per_method = {**api, "Resource": "/api/v1/locations", "Method": "GET"}
    labels = {"api": session_stack.api_name, "stage": session_stack.stage, "resource": "/api/v1/locations", "method": "GET"}
    before = {name: cloudwatch_sum(aws, name, per_method) for name in ("CacheHitCount", "CacheMissCount")}
    before_total = cloudwatch_sum(aws, "CacheHitCount", api)
    prom_before = {name: prometheus(session_stack, name, **labels)
                   for name in ("aws_apigateway_cache_hits_total", "aws_apigateway_cache_misses_total")}
    statuses = []
    for limit in (7, 8, 9):  # keys no other test uses: one miss, then hits
        statuses += [record(session_stack, admin.get("/api/v1/locations", params={"limit": str(limit)}))["cacheStatus"]
                     for _ in range(3)]
    hits, misses = statuses.count("HIT"), statuses.count("MISS")
    assert misses >= 3 and hits >= 1 and hits + misses == 9, statuses
    assert eventually(lambda: cloudwatch_sum(aws, "CacheHitCount", per_method) >= before["CacheHitCount"] + hits, timeout=30)
    assert eventually(lambda: cloudwatch_sum(aws, "CacheMissCount", per_method) >= before["CacheMissCount"] + misses, timeout=30)
    assert cloudwatch_sum(aws, "CacheHitCount", api) >= before_total + hits
    assert eventually(lambda: prometheus(session_stack, "aws_apigateway_cache_hits_total", **labels)
                      >= prom_before["aws_apigateway_cache_hits_total"] + hits, timeout=30)
    assert prometheus(session_stack, "aws_apigateway_cache_misses_total", **labels) >= (
        prom_before["aws_apigateway_cache_misses_total"] + misses)
