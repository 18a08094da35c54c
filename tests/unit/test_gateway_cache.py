"""The stage cache: the TTL cache itself, the stage's cache settings in the configuration
snapshot, and the gateway answering from the cache over HTTP (API Gateway's rules, see
gateway/cache.py)."""

from __future__ import annotations

import json
import threading
from email.message import Message

import pytest

from gateway import GatewayServer, InvokeResponse, build_config
from gateway.cache import MAX_ENTRY_BYTES, UNAUTHORIZED_WARNING, StageCache, TTLCache, wants_fresh
from gateway.cloudwatch import CloudWatchPublisher
from gateway.config import CacheKeyParameter

URI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{}/invocations"
PRODUCTS = "~1api~1v1~1products"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --------------------------------------------------------------------------- TTLCache


def test_ttl_cache_get_put_and_expiry():
    clock = Clock()
    cache = TTLCache(1000, clock)
    assert cache.get("a") is None
    assert cache.put("a", "A", 10, ttl=5)
    assert cache.get("a") == "A"
    clock.now += 4.9
    assert cache.get("a") == "A"
    clock.now += 0.1
    assert cache.get("a") is None  # expired: dropped
    assert len(cache) == 0 and cache.bytes == 0


def test_ttl_cache_evicts_least_recently_used_within_its_byte_budget():
    cache = TTLCache(30, Clock())
    for key in "abc":
        cache.put(key, key.upper(), 10, ttl=60)
    assert cache.get("a") == "A"  # a is now the most recently used
    cache.put("d", "D", 10, ttl=60)
    assert cache.get("b") is None  # b was the least recently used
    assert [cache.get(k) for k in "acd"] == ["A", "C", "D"]
    assert cache.bytes == 30


def test_ttl_cache_drops_expired_entries_before_live_ones():
    clock = Clock()
    cache = TTLCache(30, clock)
    cache.put("live", 1, 10, ttl=60)
    cache.put("short", 2, 10, ttl=1)
    cache.put("live2", 3, 10, ttl=60)
    clock.now += 2
    cache.put("new", 4, 10, ttl=60)
    assert cache.get("live") == 1 and cache.get("live2") == 3 and cache.get("new") == 4
    assert cache.bytes == 30


def test_ttl_cache_refuses_what_cannot_fit_and_replaces_a_key():
    cache = TTLCache(10, Clock())
    assert not cache.put("big", 1, 11, ttl=60)
    assert not cache.put("no-ttl", 1, 1, ttl=0)
    cache.put("k", 1, 4, ttl=60)
    cache.put("k", 2, 6, ttl=60)
    assert cache.get("k") == 2 and cache.bytes == 6 and len(cache) == 1
    cache.clear(max_bytes=5)
    assert len(cache) == 0 and cache.max_bytes == 5


def test_ttl_cache_is_consistent_under_concurrent_use():
    cache = TTLCache(500, Clock())

    def work(n: int) -> None:
        for i in range(2000):
            key = (n * 7 + i) % 97
            if cache.get(key) is None:
                cache.put(key, key, 1 + key % 9, ttl=60)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.bytes == sum(1 + k % 9 for k in cache._entries) <= 500


def test_cache_control_max_age_zero():
    assert wants_fresh(["max-age=0"]) and wants_fresh(["no-store, Max-Age=0"]) and wants_fresh(["x", "max-age=0"])
    assert not wants_fresh(None) and not wants_fresh(["max-age=10"]) and not wants_fresh(["no-cache"])


# --------------------------------------------------------------------------- configuration


def _method(verb: str, fn: str, cache_keys=(), request_parameters=None, namespace=None) -> dict:
    integration = {"type": "AWS_PROXY", "httpMethod": "POST", "uri": URI.format(fn), "cacheKeyParameters": list(cache_keys)}
    if namespace:
        integration["cacheNamespace"] = namespace
    return {"httpMethod": verb, "apiKeyRequired": False, "authorizationType": "NONE",
            "requestParameters": request_parameters or {}, "methodIntegration": integration}


def _resources() -> list[dict]:
    q = "method.request.querystring."
    return [
        {"id": "r-list", "path": "/api/v1/products", "resourceMethods": {
            "GET": _method("GET", "list", [q + "limit", q + "search"], {q + "limit": False, q + "search": False}),
            "POST": _method("POST", "create")}},
        {"id": "r-item", "path": "/api/v1/products/{product_id}", "resourceMethods": {
            "GET": _method("GET", "item", ["method.request.path.product_id"], {"method.request.path.product_id": True}),
            "PUT": _method("PUT", "update")}},
        # declares product_id but does not make it a cache key: entries are shared, as on AWS
        {"id": "r-shared", "path": "/api/v1/shared/{product_id}", "resourceMethods": {
            "GET": _method("GET", "shared", ["method.request.querystring.v"],
                           {"method.request.path.product_id": True, "method.request.querystring.v": False})}},
        # moto drops cacheKeyParameters: the declared request parameters key the entry
        {"id": "r-moto", "path": "/api/v1/moto", "resourceMethods": {
            "GET": _method("GET", "moto", [], {q + "a": False, "method.request.header.X-Tenant": False})}},
        {"id": "r-fail", "path": "/api/v1/fail", "resourceMethods": {"GET": _method("GET", "fail")}},
        {"id": "r-plain", "path": "/api/v1/plain", "resourceMethods": {"GET": _method("GET", "plain")}},
    ]


def _stage(method_settings: dict, enabled: bool = True, size: str = "0.5") -> dict:
    stage = {"stageName": "prod", "deploymentId": "dep1", "cacheClusterEnabled": enabled, "methodSettings": method_settings}
    if enabled:
        stage["cacheClusterSize"] = size
    return stage


def _config(method_settings: dict, **stage):
    return build_config(rest_api={"id": "api1", "name": "retail-api"}, stage=_stage(method_settings, **stage),
                        resources=_resources(), usage_plans=[], api_keys=[], usage_plan_keys={}, region="us-east-1")


SETTINGS = {
    f"{PRODUCTS}/GET": {"cachingEnabled": True, "cacheTtlInSeconds": 60},
    f"{PRODUCTS}~1{{product_id}}/GET": {"cachingEnabled": True, "cacheTtlInSeconds": 30},
    "~1api~1v1~1shared~1{product_id}/GET": {"cachingEnabled": True, "cacheTtlInSeconds": 30},
    "~1api~1v1~1moto/GET": {"cachingEnabled": True, "cacheTtlInSeconds": 30},
    "~1api~1v1~1fail/GET": {"cachingEnabled": True, "cacheTtlInSeconds": 30},
}


def test_cache_settings_are_read_from_the_stage_and_the_integrations():
    cfg = _config(SETTINGS)
    assert cfg.cache_cluster_enabled and cfg.cache_cluster_size == "0.5"
    listing = cfg.cache_for("/api/v1/products", "GET", "GET")
    assert listing.ttl_seconds == 60 and listing.namespace == "r-list"
    assert listing.key_parameters == (CacheKeyParameter("querystring", "limit"), CacheKeyParameter("querystring", "search"))
    assert listing.require_authorization and listing.unauthorized_strategy == "SUCCEED_WITH_RESPONSE_HEADER"
    item = cfg.cache_for("/api/v1/products/{product_id}", "GET", "GET")
    assert item.ttl_seconds == 30 and item.key_parameters == (CacheKeyParameter("path", "product_id"),)
    assert cfg.cache_for("/api/v1/products", "POST", "POST") is None
    assert cfg.cache_for("/api/v1/plain", "GET", "GET") is None  # no method setting, no */*
    moto = cfg.cache_for("/api/v1/moto", "GET", "GET")
    assert moto.key_parameters == (CacheKeyParameter("header", "x-tenant"), CacheKeyParameter("querystring", "a"))


def test_stage_default_caches_get_methods_only_and_a_method_setting_overrides_it():
    cfg = _config({
        "*/*": {"cachingEnabled": True, "cacheTtlInSeconds": 100, "requireAuthorizationForCacheControl": False,
                "unauthorizedCacheControlHeaderStrategy": "FAIL_WITH_403"},
        f"{PRODUCTS}/POST": {"cachingEnabled": True},  # AWS lets a method's own setting cache a POST
        f"{PRODUCTS}~1{{product_id}}/GET": {"cachingEnabled": False},
        "~1api~1v1~1moto/GET": {"cacheTtlInSeconds": 5000, "unauthorizedCacheControlHeaderStrategy": "NOPE"},
    })
    plain = cfg.cache_for("/api/v1/plain", "GET", "GET")
    assert plain.ttl_seconds == 100 and not plain.require_authorization and plain.unauthorized_strategy == "FAIL_WITH_403"
    assert cfg.cache_for("/api/v1/products/{product_id}", "PUT", "PUT") is None  # */* never caches a write
    assert cfg.cache_for("/api/v1/products", "POST", "POST").ttl_seconds == 100
    assert cfg.cache_for("/api/v1/products/{product_id}", "GET", "GET") is None
    moto = cfg.cache_for("/api/v1/moto", "GET", "GET")
    assert moto.ttl_seconds == 3600 and moto.unauthorized_strategy == "SUCCEED_WITH_RESPONSE_HEADER"


def test_ttl_defaults_to_300_and_zero_turns_caching_off():
    cfg = _config({f"{PRODUCTS}/GET": {"cachingEnabled": True}, "~1api~1v1~1plain/GET": {"cachingEnabled": True,
                                                                                       "cacheTtlInSeconds": 0}})
    assert cfg.cache_for("/api/v1/products", "GET", "GET").ttl_seconds == 300
    assert cfg.cache_for("/api/v1/plain", "GET", "GET") is None


def test_nothing_is_cached_without_the_cache_cluster():
    cfg = _config(SETTINGS, enabled=False)
    assert not cfg.cache_cluster_enabled and cfg.cache_cluster_size is None and not cfg.method_caches


def test_integration_parameters_and_namespace_make_the_key():
    resources = [{"id": "r1", "path": "/a", "resourceMethods": {"GET": {
        "httpMethod": "GET", "requestParameters": {"method.request.querystring.q": False},
        "methodIntegration": {"type": "AWS_PROXY", "httpMethod": "POST", "uri": URI.format("f"), "cacheNamespace": "shared",
                              "cacheKeyParameters": ["integration.request.querystring.query", "integration.request.header.v"],
                              "requestParameters": {"integration.request.querystring.query": "method.request.querystring.q",
                                                    "integration.request.header.v": "'2'"}}}}}]
    cfg = build_config(rest_api={"id": "api1", "name": "x"}, stage=_stage({"*/*": {"cachingEnabled": True}}),
                       resources=resources, usage_plans=[], api_keys=[], usage_plan_keys={}, region="us-east-1")
    mc = cfg.cache_for("/a", "GET", "GET")
    assert mc.namespace == "shared"
    assert mc.key_parameters == (CacheKeyParameter("querystring", "q"), CacheKeyParameter("literal", "2"))


def _headers(**pairs: str) -> Message:
    message = Message()
    for name, value in pairs.items():
        message[name.replace("_", "-")] = value
    return message


def test_key_uses_only_declared_parameters_and_every_value():
    cfg = _config(SETTINGS)
    mc = cfg.cache_for("/api/v1/products", "GET", "GET")

    def key(query: str, **headers: str):
        return StageCache.key(cfg, mc, "GET", {}, query, _headers(**headers))

    assert key("limit=1") != key("limit=2") != key("")
    assert key("limit=1&other=x") == key("limit=1") == key("other=y&limit=1", X_Tenant="t")
    assert key("limit=1&limit=2") != key("limit=2")
    assert key("search=a%20b") == key("search=a+b")
    moto = cfg.cache_for("/api/v1/moto", "GET", "GET")
    assert (StageCache.key(cfg, moto, "GET", {}, "a=1", _headers(X_Tenant="t1"))
            != StageCache.key(cfg, moto, "GET", {}, "a=1", _headers(X_Tenant="t2")))


# --------------------------------------------------------------------------- over HTTP


class Backend:
    """A Lambda stand-in: counts invocations; the answer changes with `version`."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.version = 1
        self.lock = threading.Lock()

    def __call__(self, arn: str, payload: bytes, timeout: float):
        event = json.loads(payload)
        fn = arn.rsplit(":", 1)[-1]
        with self.lock:
            self.calls.append((fn, event))
        if fn == "fail":
            status = int((event["queryStringParameters"] or {}).get("status", "500"))
            if status == 502:
                return InvokeResponse(200, json.dumps({"errorMessage": "boom", "errorType": "Exception"}).encode(),
                                      function_error="Unhandled")
            return InvokeResponse(200, json.dumps({"statusCode": status, "body": "{}"}).encode())
        body = {"fn": fn, "version": self.version, "query": event["queryStringParameters"],
                "path": event["pathParameters"]}
        if fn == "big":
            body["pad"] = "x" * MAX_ENTRY_BYTES
        return InvokeResponse(200, json.dumps({"statusCode": 200, "headers": {"X-Version": str(self.version)},
                                               "body": json.dumps(body)}).encode())

    def count(self, fn: str) -> int:
        return sum(1 for f, _ in self.calls if f == fn)


class Holder:
    def __init__(self, cfg) -> None:
        self.cfg = cfg

    def __call__(self):
        return self.cfg


@pytest.fixture()
def gateway():
    backend, clock = Backend(), Clock()
    holder = Holder(_config(SETTINGS))
    gw = GatewayServer(port=0, loader=holder, invoker=backend, refresh_interval=0)
    gw.cache = StageCache(clock=clock)
    records: list[dict] = []
    gw.add_listener(records.append)
    gw.start()
    gw.backend, gw.clock, gw.records, gw.holder = backend, clock, records, holder
    yield gw
    gw.stop()


def _get(gw, http, path: str, **headers: str):
    return http.request("GET", f"{gw.url}{path}", headers=headers)


def test_a_miss_then_a_hit_answers_without_invoking_the_function(gateway, http):
    first = _get(gateway, http, "/api/v1/products?limit=2")
    gateway.backend.version = 2
    second = _get(gateway, http, "/api/v1/products?limit=2")
    assert first.status == second.status == 200
    assert json.loads(second.data) == json.loads(first.data) and json.loads(second.data)["version"] == 1
    assert second.headers["X-Version"] == "1" and second.headers["x-amzn-RequestId"] != first.headers["x-amzn-RequestId"]
    assert gateway.backend.count("list") == 1
    miss, hit = gateway.records[-2:]
    assert (miss["cacheStatus"], hit["cacheStatus"]) == ("MISS", "HIT")
    assert miss["integrationLatency"] is not None and hit["integrationLatency"] is None
    snapshot = gateway.metrics.snapshot()
    assert (snapshot["cacheHits"], snapshot["cacheMisses"]) == (1, 1)


def test_an_entry_expires_after_its_ttl(gateway, http):
    _get(gateway, http, "/api/v1/products/7")
    gateway.backend.version = 2
    gateway.clock.now += 29.9
    assert json.loads(_get(gateway, http, "/api/v1/products/7").data)["version"] == 1
    gateway.clock.now += 0.1  # the method's TTL is 30 s
    assert json.loads(_get(gateway, http, "/api/v1/products/7").data)["version"] == 2
    assert gateway.backend.count("item") == 2


def test_each_cache_key_has_its_own_entry(gateway, http):
    for path in ("/api/v1/products?limit=1", "/api/v1/products?limit=2", "/api/v1/products?limit=1&search=tea",
                 "/api/v1/products/1", "/api/v1/products/2"):
        assert _get(gateway, http, path).status == 200
    assert gateway.backend.count("list") == 3 and gateway.backend.count("item") == 2
    # a query string that is not a cache key shares the entry
    again = _get(gateway, http, "/api/v1/products?limit=1&marker=xyz")
    assert json.loads(again.data)["query"] == {"limit": "1"} and gateway.backend.count("list") == 3


def test_a_path_parameter_that_is_not_a_cache_key_shares_the_entry(gateway, http):
    first = json.loads(_get(gateway, http, "/api/v1/shared/1").data)
    second = json.loads(_get(gateway, http, "/api/v1/shared/2").data)
    assert first == second and second["path"] == {"product_id": "1"}  # what API Gateway does too
    assert gateway.backend.count("shared") == 1


def test_writes_and_uncached_methods_are_never_cached(gateway, http):
    for _ in range(2):
        assert http.request("POST", f"{gateway.url}/api/v1/products", body=b"{}").status == 200
        assert http.request("PUT", f"{gateway.url}/api/v1/products/1", body=b"{}").status == 200
        assert _get(gateway, http, "/api/v1/plain").status == 200
    assert (gateway.backend.count("create"), gateway.backend.count("update"), gateway.backend.count("plain")) == (2, 2, 2)
    assert all(r["cacheStatus"] is None for r in gateway.records)


@pytest.mark.parametrize("status", [400, 404, 422, 500, 502])
def test_errors_are_never_cached(gateway, http, status):
    for _ in range(2):
        assert _get(gateway, http, f"/api/v1/fail?status={status}").status == status
    assert gateway.backend.count("fail") == 2
    assert [r["cacheStatus"] for r in gateway.records] == ["MISS", "MISS"]


def test_a_response_larger_than_api_gateways_limit_is_not_cached(gateway, http):
    cfg = gateway.holder.cfg
    gateway.holder.cfg = build_config(
        rest_api={"id": "api1", "name": "retail-api"}, stage=_stage({"*/*": {"cachingEnabled": True}}),
        resources=[{"id": "big", "path": "/big", "resourceMethods": {"GET": _method("GET", "big")}}],
        usage_plans=[], api_keys=[], usage_plan_keys={}, region="us-east-1")
    gateway.refresh()
    for _ in range(2):
        assert _get(gateway, http, "/big").status == 200
    assert gateway.backend.count("big") == 2
    gateway.holder.cfg = cfg


def _with_settings(gateway, **overrides) -> None:
    settings = {k: dict(v) for k, v in SETTINGS.items()}
    settings[f"{PRODUCTS}/GET"].update(overrides)
    gateway.holder.cfg = _config(settings)
    gateway.refresh()


def test_cache_control_needs_authorization_by_default_and_gets_the_cached_answer_with_a_warning(gateway, http):
    _get(gateway, http, "/api/v1/products")
    gateway.backend.version = 2
    response = _get(gateway, http, "/api/v1/products", **{"Cache-Control": "max-age=0"})
    assert response.status == 200 and json.loads(response.data)["version"] == 1
    assert response.headers["Warning"] == UNAUTHORIZED_WARNING
    assert gateway.backend.count("list") == 1
    assert "Warning" not in _get(gateway, http, "/api/v1/products").headers


def test_unauthorized_cache_control_without_response_header(gateway, http):
    _with_settings(gateway, unauthorizedCacheControlHeaderStrategy="SUCCEED_WITHOUT_RESPONSE_HEADER")
    _get(gateway, http, "/api/v1/products")
    response = _get(gateway, http, "/api/v1/products", **{"Cache-Control": "max-age=0"})
    assert response.status == 200 and "Warning" not in response.headers
    assert gateway.backend.count("list") == 1


def test_unauthorized_cache_control_fails_with_403(gateway, http):
    _with_settings(gateway, unauthorizedCacheControlHeaderStrategy="FAIL_WITH_403")
    response = _get(gateway, http, "/api/v1/products", **{"Cache-Control": "max-age=0"})
    assert response.status == 403 and json.loads(response.data) == {"message": "Unauthorized"}
    assert gateway.backend.count("list") == 0 and gateway.records[-1]["errorResponseType"] == "ACCESS_DENIED"
    assert _get(gateway, http, "/api/v1/products").status == 200


def test_without_required_authorization_cache_control_refreshes_the_entry(gateway, http):
    _with_settings(gateway, requireAuthorizationForCacheControl=False)
    _get(gateway, http, "/api/v1/products")
    gateway.backend.version = 2
    fresh = _get(gateway, http, "/api/v1/products", **{"Cache-Control": "no-cache, max-age=0"})
    assert json.loads(fresh.data)["version"] == 2 and "Warning" not in fresh.headers
    gateway.backend.version = 3
    assert json.loads(_get(gateway, http, "/api/v1/products").data)["version"] == 2  # the new entry
    assert gateway.backend.count("list") == 2
    assert [r["cacheStatus"] for r in gateway.records] == ["MISS", "MISS", "HIT"]


def test_a_new_or_deleted_cache_cluster_starts_empty(gateway, http):
    _get(gateway, http, "/api/v1/products")
    gateway.holder.cfg = _config(SETTINGS, size="1.6")
    gateway.refresh()
    _get(gateway, http, "/api/v1/products")
    assert gateway.backend.count("list") == 2
    gateway.holder.cfg = _config(SETTINGS, enabled=False)
    gateway.refresh()
    _get(gateway, http, "/api/v1/products")
    assert gateway.backend.count("list") == 3 and gateway.records[-1]["cacheStatus"] is None
    assert len(gateway.cache.entries) == 0


def test_cache_budget_follows_the_cluster_size_within_the_local_cap():
    cache = StageCache(max_bytes=64 * 1024 ** 2)
    assert cache.budget("0.5") == 64 * 1024 ** 2
    assert StageCache(max_bytes=2 ** 40).budget("0.5") == 2 ** 29


def test_cloudwatch_publishes_cache_hits_and_misses_with_the_api_dimensions():
    publisher = CloudWatchPublisher("http://127.0.0.1:9", "us-east-1", "retail-api", "prod", client=object())
    base = {"resourcePath": "/api/v1/products", "httpMethod": "GET", "status": 200, "latency": 1.0}
    publisher.record({**base, "cacheStatus": "MISS", "integrationLatency": 5.0})
    publisher.record({**base, "cacheStatus": "HIT"})
    publisher.record({**base, "cacheStatus": "HIT"})
    publisher.record({**base, "resourcePath": "/api/v1/orders"})  # not a cached method
    data = publisher.metric_data(publisher._window)
    api = {(d["MetricName"], tuple(x["Value"] for x in d["Dimensions"])): d["StatisticValues"]
           for d in data["AWS/ApiGateway"] if "StatisticValues" in d}
    products = ("retail-api", "prod", "/api/v1/products", "GET")
    assert api[("CacheHitCount", products)] == {"SampleCount": 3, "Sum": 2.0, "Minimum": 0.0, "Maximum": 1.0}
    assert api[("CacheMissCount", products)]["Sum"] == 1.0
    assert api[("CacheHitCount", ("retail-api", "prod"))] == {"SampleCount": 4, "Sum": 2.0, "Minimum": 0.0, "Maximum": 1.0}
    assert ("CacheHitCount", ("retail-api", "prod", "/api/v1/orders", "GET")) not in api
