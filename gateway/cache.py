"""API Gateway's stage cache: cached method responses, as a REST API stage with a cache cluster
serves them (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-caching.html).

Which methods are cached, their TTL and their cache key come from the stage and the API
(`gateway.config.MethodCache`). For a request to such a method, after the API key, usage plan
and throttling checks (cached requests are counted and throttled like any other):

- the key is the API, stage, the method's cache namespace (its resource by default), the
  request's HTTP method and the values of the integration's cache key parameters (path
  parameters, query strings, headers: *only those declared*, so a path parameter that is not a
  cache key does not split entries, as on AWS; a declared parameter that is absent is a value
  too);
- a fresh entry answers the request (status, headers, body) without invoking the integration;
- otherwise the integration answers and, if the answer is a 2xx of at most 1,048,576 bytes
  (API Gateway's largest cacheable response), it is stored for the method's TTL.

Rules worth knowing:

- Writes are not cached: the stage-wide `*/*` setting only caches GET; another method is cached
  only if its own method setting says so. A write does not invalidate anything either: a read
  after a write may be stale for up to the TTL, as on AWS.
- Only 2xx responses are stored. API Gateway's documentation does not promise this (users report
  it caching an integration's non-2xx answers); the brief is never to serve an error from cache,
  and gateway errors (429, 502, 504) never come from the integration's answer anyway.
- `Cache-Control: max-age=0` asks to bypass (and refresh) the entry. With
  `requireAuthorizationForCacheControl` (the default, and all CloudFormation can give) only a
  caller with the IAM permission `execute-api:InvalidateCache` may do so, which needs an
  IAM-signed request. An API key is not an IAM identity, and this gateway evaluates no IAM
  policy, so such a request is always unauthorized here, and is handled by the method's
  `unauthorizedCacheControlHeaderStrategy`: FAIL_WITH_403 answers 403; SUCCEED_WITH_RESPONSE_HEADER
  (the default) answers as if the header were absent (from the cache when it can) and adds a
  `Warning` header; SUCCEED_WITHOUT_RESPONSE_HEADER answers as if it were absent. Without
  `requireAuthorizationForCacheControl`, any client may bypass: the integration answers and its
  answer replaces the entry.
- Changing or disabling the cache cluster drops every entry, as API Gateway recreates the cache.

Storage is `TTLCache`: a small LRU dictionary with a TTL per entry and a byte budget, behind one
lock held for dictionary operations only (never during an invocation). `cachetools.TLRUCache`
would do the same, but it is not a dependency of the project and this needs ~50 lines of the
standard library. The budget is the cluster's size (0.5 GB and up), capped at `max_bytes`
(64 MiB by default) of the gateway's memory: the local stack never needs more.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Mapping

from . import responses as gr
from .config import ApiConfig, MethodCache, Method, Resource
from .events import parse_query

MAX_ENTRY_BYTES = 1_048_576  # the largest response API Gateway caches
LOCAL_MAX_BYTES = 64 * 1024 * 1024
UNAUTHORIZED_WARNING = "199 Cache-control headers were ignored because the caller was unauthorized."
# the 403 of FAIL_WITH_403 ("Fail the request with 403 status code")
CACHE_INVALIDATION_DENIED = gr.GatewayError("ACCESS_DENIED", 403, "Unauthorized", "AccessDeniedException")
_ENTRY_OVERHEAD = 256  # bytes counted per entry besides its headers and body

HIT, MISS = "HIT", "MISS"


class TTLCache:
    """Bounded, thread-safe mapping with a TTL per entry and least-recently-used eviction.

    `put(key, value, size, ttl)` stores `value` as `size` bytes for `ttl` seconds; entries are
    evicted oldest-used first while the total exceeds `max_bytes`; `get` drops an expired entry.
    """

    def __init__(self, max_bytes: int, clock: Callable[[], float] = time.monotonic):
        self.max_bytes = max_bytes
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, int, Any]] = OrderedDict()  # key -> (expires, size, value)
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                self._remove(key)
                return None
            self._entries.move_to_end(key)
            return entry[2]

    def put(self, key: Hashable, value: Any, size: int, ttl: float) -> bool:
        """False (and nothing stored) if the entry alone is larger than the budget."""
        if size > self.max_bytes or ttl <= 0:
            return False
        with self._lock:
            if key in self._entries:
                self._remove(key)
            now = self._clock()
            self._entries[key] = (now + ttl, size, value)
            self._bytes += size
            if self._bytes > self.max_bytes:  # expired entries go first, then the least recently used
                for old in [k for k, (expires, _, _) in self._entries.items() if expires <= now]:
                    self._remove(old)
                while self._bytes > self.max_bytes:
                    self._remove(next(iter(self._entries)))
            return True

    def _remove(self, key: Hashable) -> None:
        self._bytes -= self._entries.pop(key)[1]

    def clear(self, max_bytes: int | None = None) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            if max_bytes is not None:
                self.max_bytes = max_bytes

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        return self._bytes


@dataclass(frozen=True)
class CachedResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def wants_fresh(cache_control: list[str] | None) -> bool:
    """The request's Cache-Control has `max-age=0`."""
    return any(d.strip().lower() == "max-age=0" for value in cache_control or () for d in value.split(","))


class CachePlan:
    """What one request does with the cache: `lookup()` before the integration, `store()` after."""

    __slots__ = ("_cache", "key", "ttl", "read", "warn")

    def __init__(self, cache: "StageCache", key: tuple, ttl: int, read: bool, warn: bool):
        self._cache, self.key, self.ttl, self.read, self.warn = cache, key, ttl, read, warn

    def lookup(self) -> CachedResponse | None:
        return self._cache.entries.get(self.key) if self.read else None

    def headers(self, headers: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
        """The response headers, with the warning of SUCCEED_WITH_RESPONSE_HEADER when due."""
        return [*headers, ("Warning", UNAUTHORIZED_WARNING)] if self.warn else list(headers)

    def store(self, status: int, headers: list[tuple[str, str]], body: bytes, *, integration_answered: bool) -> None:
        """Keep the integration's successful answer; errors and gateway responses are not kept."""
        if not integration_answered or not 200 <= status < 300:
            return
        size = len(body) + sum(len(k) + len(v) for k, v in headers)
        if size > MAX_ENTRY_BYTES:
            return
        self._cache.entries.put(self.key, CachedResponse(status, tuple(headers), body), size + _ENTRY_OVERHEAD, self.ttl)


class StageCache:
    """The cache of the stage a gateway serves (see the module documentation)."""

    def __init__(self, max_bytes: int = LOCAL_MAX_BYTES, clock: Callable[[], float] = time.monotonic):
        self.max_bytes = max_bytes
        self.entries = TTLCache(max_bytes, clock)
        self._cluster: tuple | None = None  # (api id, stage, cluster size) the entries belong to

    def budget(self, cluster_size: str | None) -> int:
        try:
            cluster_bytes = int(float(cluster_size or "0.5") * 1024 ** 3)
        except ValueError:
            cluster_bytes = self.max_bytes
        return min(cluster_bytes, self.max_bytes)

    def plan(self, cfg: ApiConfig, resource: Resource, method: Method, request_method: str,
             path_parameters: Mapping[str, str], query: str, headers: Any) -> CachePlan | gr.GatewayError | None:
        """None when the request does not use the cache; a GatewayError to answer with (403 of
        FAIL_WITH_403); otherwise the request's CachePlan. `headers`: the request's headers
        (an `email.message.Message`, as http.server gives them)."""
        cluster = (cfg.rest_api_id, cfg.stage_name, cfg.cache_cluster_size) if cfg.cache_cluster_enabled else None
        if cluster != self._cluster:  # a new, resized or deleted cache cluster starts empty
            self._cluster = cluster
            self.entries.clear(self.budget(cfg.cache_cluster_size))
        if cluster is None:
            return None
        mc = cfg.cache_for(resource.path, method.http_method, request_method)
        if mc is None:
            return None
        read, warn = True, False
        if wants_fresh(headers.get_all("Cache-Control")):
            if not mc.require_authorization:
                read = False
            elif mc.unauthorized_strategy == "FAIL_WITH_403":
                return CACHE_INVALIDATION_DENIED
            else:
                warn = mc.unauthorized_strategy == "SUCCEED_WITH_RESPONSE_HEADER"
        return CachePlan(self, self.key(cfg, mc, request_method, path_parameters, query, headers), mc.ttl_seconds,
                         read, warn)

    @staticmethod
    def key(cfg: ApiConfig, mc: MethodCache, request_method: str, path_parameters: Mapping[str, str],
            query: str, headers: Any) -> tuple:
        """(api, stage, namespace, method, ((location, name, value), ...)): every value of a
        repeated query string or header counts; an absent parameter is a value too."""
        multi = (parse_query(query)[1] or {}) if any(p.location == "querystring" for p in mc.key_parameters) else {}
        values: list[tuple[str, str, Any]] = []
        for p in mc.key_parameters:
            if p.location == "querystring":
                value: Any = tuple(multi.get(p.name, ()))
            elif p.location == "path":
                value = path_parameters.get(p.name)
            elif p.location == "header":
                value = tuple(headers.get_all(p.name) or ())
            else:  # a literal
                value = p.name
            values.append((p.location, p.name, value))
        return (cfg.rest_api_id, cfg.stage_name, mc.namespace, request_method, tuple(values))


__all__ = ["CACHE_INVALIDATION_DENIED", "CachePlan", "CachedResponse", "HIT", "MAX_ENTRY_BYTES", "MISS",
           "StageCache", "TTLCache", "UNAUTHORIZED_WARNING", "wants_fresh"]
