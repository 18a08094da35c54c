"""API Gateway's CloudWatch metrics, published by the gateway as the service does.

Every request's access-log record is folded into per-second aggregates and sent with
``PutMetricData`` to the endpoint (names in ``observability/catalog.py``):

- ``AWS/ApiGateway``: ``Count``, ``4XXError``, ``5XXError``, ``Latency``, ``IntegrationLatency``
  by ``ApiName, Stage`` and by ``ApiName, Stage, Resource, Method`` (AWS's "detailed metrics"),
  as https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html
  describes them: the error metrics are 0/1 per request (their average is the error rate),
  latencies in milliseconds. ``CacheHitCount`` and ``CacheMissCount`` (requests answered from
  the stage cache, and from the integration for a cached method) are 0/1 per request too (their
  average is the hit or miss rate over ``Count``), published for the windows where the stage
  cache served the series.
- ``RetailPlatform/Gateway``: ``Requests`` and ``RequestLatency`` by ``Resource, Method, Status,
  Consumer`` (the API key's name), and ``ThrottledRequests`` by ``Consumer, Reason`` (``rate`` or
  ``quota``) and in all: the labels a Prometheus user expects, which API Gateway's own metrics
  do not have (on AWS, a metric filter on the access log gives the same).

Counts go as ``StatisticValues``, latencies as ``Values``/``Counts`` (so percentiles work). A
publishing failure is logged and the aggregate dropped: metrics never hold up requests.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

import boto3

LOG = logging.getLogger("gateway.cloudwatch")

APIGATEWAY, GATEWAY = "AWS/ApiGateway", "RetailPlatform/Gateway"
MAX_VALUES = 150  # PutMetricData: distinct values per datum
MAX_DATA = 500  # PutMetricData: data per call (1,000 on AWS)
THROTTLE_REASONS = {"THROTTLED": "rate", "QUOTA_EXCEEDED": "quota"}


def _dims(**pairs: str) -> list[dict[str, str]]:
    return [{"Name": name, "Value": value} for name, value in pairs.items()]


def _count(name: str, dims: list[dict[str, str]], samples: int, total: float) -> dict[str, Any]:
    return {"MetricName": name, "Dimensions": dims, "Unit": "Count",
            "StatisticValues": {"SampleCount": samples, "Sum": total, "Minimum": 0.0 if total < samples else 1.0,
                                "Maximum": 1.0 if total else 0.0}}


def _latencies(name: str, dims: list[dict[str, str]], values: Counter[float]) -> Iterator[dict[str, Any]]:
    items = sorted(values.items())
    for start in range(0, len(items), MAX_VALUES):
        chunk = items[start:start + MAX_VALUES]
        yield {"MetricName": name, "Dimensions": dims, "Unit": "Milliseconds",
               "Values": [v for v, _ in chunk], "Counts": [float(n) for _, n in chunk]}


class _Window:
    """What one flush interval saw."""

    def __init__(self) -> None:
        self.requests: Counter[tuple[str | None, str | None]] = Counter()  # (resource, method) -> n
        self.errors4: Counter[tuple[str | None, str | None]] = Counter()
        self.errors5: Counter[tuple[str | None, str | None]] = Counter()
        self.cache_hits: Counter[tuple[str | None, str | None]] = Counter()
        self.cache_misses: Counter[tuple[str | None, str | None]] = Counter()
        self.latency: dict[tuple[str | None, str | None], Counter[float]] = {}
        self.integration: dict[tuple[str | None, str | None], Counter[float]] = {}
        self.by_status: Counter[tuple[str, str, str, str]] = Counter()  # (route, method, status, consumer)
        self.status_latency: dict[tuple[str, str, str, str], Counter[float]] = {}
        self.throttled: Counter[tuple[str, str]] = Counter()  # (consumer, reason)


class CloudWatchPublisher:
    """``record`` is a gateway access-log listener; a thread publishes every ``interval`` seconds."""

    def __init__(self, endpoint_url: str, region: str, api_name: str, stage: str, *,
                 interval: float = 1.0, client: Any = None) -> None:
        self.api_name, self.stage, self.interval = api_name, stage, interval
        self._client = client or boto3.client("cloudwatch", endpoint_url=endpoint_url, region_name=region,
                                              aws_access_key_id="gateway", aws_secret_access_key="gateway")
        self._lock = threading.Lock()
        self._window = _Window()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ collecting
    def record(self, rec: Mapping[str, Any]) -> None:
        status = int(rec.get("status") or 0)
        resource, method = rec.get("resourcePath"), rec.get("httpMethod")
        consumer = rec.get("apiKeyName") or "anonymous"
        latency = round(float(rec.get("latency") or 0.0), 1)
        integration = rec.get("integrationLatency")
        labelled = (resource or "unmatched", method or "-", str(status), consumer)
        reason = THROTTLE_REASONS.get(rec.get("errorResponseType") or "")
        cache_status = rec.get("cacheStatus")
        with self._lock:
            w = self._window
            for key in ((None, None), (resource, method)) if resource else ((None, None),):
                w.requests[key] += 1
                w.errors4[key] += 400 <= status < 500
                w.errors5[key] += status >= 500
                if cache_status == "HIT":
                    w.cache_hits[key] += 1
                elif cache_status == "MISS":
                    w.cache_misses[key] += 1
                w.latency.setdefault(key, Counter())[latency] += 1
                if integration is not None:
                    w.integration.setdefault(key, Counter())[round(float(integration), 1)] += 1
            w.by_status[labelled] += 1
            w.status_latency.setdefault(labelled, Counter())[latency] += 1
            if reason:
                w.throttled[(consumer, reason)] += 1

    # ------------------------------------------------------------------ publishing
    def metric_data(self, window: _Window) -> dict[str, list[dict[str, Any]]]:
        """The PutMetricData payloads of one window, by namespace."""
        api: list[dict[str, Any]] = []
        for key, n in window.requests.items():
            resource, method = key
            dims = _dims(ApiName=self.api_name, Stage=self.stage)
            if resource is not None:
                dims += _dims(Resource=resource, Method=method or "-")
            api.append(_count("Count", dims, n, float(n)))
            api.append(_count("4XXError", dims, n, float(window.errors4[key])))
            api.append(_count("5XXError", dims, n, float(window.errors5[key])))
            if key in window.cache_hits or key in window.cache_misses:
                api.append(_count("CacheHitCount", dims, n, float(window.cache_hits[key])))
                api.append(_count("CacheMissCount", dims, n, float(window.cache_misses[key])))
            api.extend(_latencies("Latency", dims, window.latency[key]))
            if key in window.integration:
                api.extend(_latencies("IntegrationLatency", dims, window.integration[key]))
        gateway: list[dict[str, Any]] = []
        for (route, method, status, consumer), n in window.by_status.items():
            dims = _dims(Resource=route, Method=method, Status=status, Consumer=consumer)
            gateway.append(_count("Requests", dims, n, float(n)))
            gateway.extend(_latencies("RequestLatency", dims, window.status_latency[(route, method, status, consumer)]))
        for (consumer, reason), n in window.throttled.items():
            gateway.append(_count("ThrottledRequests", _dims(Consumer=consumer, Reason=reason), n, float(n)))
        if window.throttled:
            total = sum(window.throttled.values())
            gateway.append(_count("ThrottledRequests", [], total, float(total)))
        return {namespace: data for namespace, data in ((APIGATEWAY, api), (GATEWAY, gateway)) if data}

    def flush(self) -> None:
        with self._lock:
            window, self._window = self._window, _Window()
        for namespace, data in self.metric_data(window).items():
            for start in range(0, len(data), MAX_DATA):
                try:
                    self._client.put_metric_data(Namespace=namespace, MetricData=data[start:start + MAX_DATA])
                except Exception:  # noqa: BLE001 - metrics must never break the gateway
                    LOG.warning("gateway: could not publish %d %s data", len(data), namespace, exc_info=True)

    def start(self) -> CloudWatchPublisher:
        self._thread = threading.Thread(target=self._run, name="gateway-cloudwatch", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()
