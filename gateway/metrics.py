"""In-memory API metrics, fed with one access-log record per request.

Series are keyed by (resource path, HTTP method, status, API key name) like API Gateway's
Count / 4XXError / 5XXError / Latency / IntegrationLatency / CacheHitCount / CacheMissCount
metrics with dimensions. Each
series has its own lock; the only shared lock is taken when a series is first created, so
recording never serializes requests. `snapshot()` returns plain data for an exporter.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any, Mapping

NONE = "-"  # label value when a dimension does not apply (unmatched route, no API key)


@dataclass(frozen=True)
class SeriesKey:
    resource: str
    method: str
    status: int
    api_key: str


class _Series:
    __slots__ = (
        "count", "latency_sum", "latency_max", "integration_count", "integration_latency_sum",
        "latency_samples", "integration_latency_samples", "throttled", "quota_exceeded", "cache_hits",
        "cache_misses", "lock",
    )

    def __init__(self, max_samples: int):
        self.count = 0
        self.latency_sum = 0.0
        self.latency_max = 0.0
        self.integration_count = 0
        self.integration_latency_sum = 0.0
        self.latency_samples: deque[float] = deque(maxlen=max_samples)
        self.integration_latency_samples: deque[float] = deque(maxlen=max_samples)
        self.throttled = 0
        self.quota_exceeded = 0
        self.cache_hits = 0
        self.cache_misses = 0
        self.lock = threading.Lock()


class GatewayMetrics:
    """Thread-safe counters and latency samples (the most recent `max_samples` per series)."""

    def __init__(self, max_samples: int = 1024):
        self.max_samples = max_samples
        self._series: dict[SeriesKey, _Series] = {}
        self._create_lock = threading.Lock()

    def record(self, rec: Mapping[str, Any]) -> None:
        """Count one request from its access-log record (see server.ACCESS_LOG_FIELDS)."""
        key = SeriesKey(
            resource=rec.get("resourcePath") or NONE,
            method=rec.get("httpMethod") or NONE,
            status=int(rec.get("status") or 0),
            api_key=rec.get("apiKeyName") or NONE,
        )
        series = self._series.get(key)
        if series is None:
            with self._create_lock:
                series = self._series.setdefault(key, _Series(self.max_samples))
        latency = float(rec.get("latency") or 0.0)
        integration_latency = rec.get("integrationLatency")
        response_type = rec.get("errorResponseType")
        cache_status = rec.get("cacheStatus")
        with series.lock:
            series.count += 1
            series.latency_sum += latency
            if latency > series.latency_max:
                series.latency_max = latency
            series.latency_samples.append(latency)
            if integration_latency is not None:
                series.integration_count += 1
                series.integration_latency_sum += float(integration_latency)
                series.integration_latency_samples.append(float(integration_latency))
            if response_type == "THROTTLED":
                series.throttled += 1
            elif response_type == "QUOTA_EXCEEDED":
                series.quota_exceeded += 1
            if cache_status == "HIT":
                series.cache_hits += 1
            elif cache_status == "MISS":
                series.cache_misses += 1

    def snapshot(self) -> dict[str, Any]:
        """Plain-data copy:

        {"count", "4xx", "5xx", "throttled", "quotaExceeded", "cacheHits", "cacheMisses",
         "series": [{"resource", "method", "status", "apiKey", "count", "latencySumMs",
                     "latencyMaxMs", "latencySamplesMs", "integrationCount",
                     "integrationLatencySumMs", "integrationLatencySamplesMs",
                     "throttled", "quotaExceeded", "cacheHits", "cacheMisses"}, ...]}
        """
        with self._create_lock:
            items = list(self._series.items())
        out: list[dict[str, Any]] = []
        totals = {"count": 0, "4xx": 0, "5xx": 0, "throttled": 0, "quotaExceeded": 0, "cacheHits": 0, "cacheMisses": 0}
        for key, s in items:
            with s.lock:
                row = {
                    "resource": key.resource,
                    "method": key.method,
                    "status": key.status,
                    "apiKey": key.api_key,
                    "count": s.count,
                    "latencySumMs": s.latency_sum,
                    "latencyMaxMs": s.latency_max,
                    "latencySamplesMs": list(s.latency_samples),
                    "integrationCount": s.integration_count,
                    "integrationLatencySumMs": s.integration_latency_sum,
                    "integrationLatencySamplesMs": list(s.integration_latency_samples),
                    "throttled": s.throttled,
                    "quotaExceeded": s.quota_exceeded,
                    "cacheHits": s.cache_hits,
                    "cacheMisses": s.cache_misses,
                }
            out.append(row)
            totals["count"] += row["count"]
            if 400 <= key.status < 500:
                totals["4xx"] += row["count"]
            elif key.status >= 500:
                totals["5xx"] += row["count"]
            totals["throttled"] += row["throttled"]
            totals["quotaExceeded"] += row["quotaExceeded"]
            totals["cacheHits"] += row["cacheHits"]
            totals["cacheMisses"] += row["cacheMisses"]
        out.sort(key=lambda r: (r["resource"], r["method"], r["status"], r["apiKey"]))
        return {**totals, "series": out}

    # convenience accessors
    @property
    def count(self) -> int:
        return self.snapshot()["count"]

    @property
    def throttled(self) -> int:
        return self.snapshot()["throttled"]

    @property
    def quota_exceeded(self) -> int:
        return self.snapshot()["quotaExceeded"]

    def reset(self) -> None:
        with self._create_lock:
            self._series = {}
