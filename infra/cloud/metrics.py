"""CloudWatch metrics on the embedded cloud, and the same values for Prometheus.

One source, two sinks:

- **Functions** publish with powertools Metrics only: embedded metric format (EMF) JSON lines on
  stdout. On AWS, CloudWatch Logs extracts them; here :class:`MetricsHub` reads each invocation's
  output (a Lambda runtime listener) and extracts them the same way
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
  one datum per metric per dimension set, dimension values from the document's top level.
- **Lambda** metrics (``AWS/Lambda``: Invocations, Errors, Throttles, Duration,
  ConcurrentExecutions by FunctionName) come from the same listener, as the Lambda service
  publishes them.
- **API Gateway** metrics arrive through the CloudWatch API (``PutMetricData``) from the gateway
  process (``gateway/cloudwatch.py``).

Everything lands in moto's CloudWatch backend (so ``aws cloudwatch get-metric-statistics`` /
``get-metric-data`` answer), and every datum that enters it, whichever way, also updates the
Prometheus view (:class:`PrometheusView`), which ``GET /metrics`` on the endpoint renders with
the names of ``observability/catalog.py``. moto keeps every datum in memory (about 700 bytes
each, one per value); the hub keeps the newest :data:`MAX_DATUMS` of the last
:data:`MAX_DATUM_AGE` seconds (CloudWatch keeps high-resolution data for 3 hours; here the count
bound, about 35 MB, is the local memory limit: under the soak's 30 requests/s the data arrive at
about 60 points/s, so the bound holds the last ~15 minutes, and hours when a person clicks).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from datetime import UTC
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
    UnknownMetricFamily,
)

from infra.cloud.lambda_runtime import InvocationRecord
from observability.catalog import DURATION_BUCKETS, MetricDef, by_key

log = logging.getLogger("embedded-cloud.metrics")

MAX_DATUMS = 50_000
MAX_DATUM_AGE = 3 * 3600.0
BATCH_SECONDS = 0.5
Key = tuple[str, tuple[str, ...]]  # (Prometheus name, label values)


# --------------------------------------------------------------------------- EMF
def emf_metric_data(line: str) -> list[tuple[str, dict[str, Any]]]:
    """``(namespace, PutMetricData datum)`` for each metric of an EMF log line (none if not EMF)."""
    line = line.strip()
    if not line.startswith("{") or '"_aws"' not in line:
        return []
    try:
        document = json.loads(line)
        directives = document["_aws"]["CloudWatchMetrics"]
    except (ValueError, KeyError, TypeError):
        return []
    data: list[tuple[str, dict[str, Any]]] = []
    for directive in directives if isinstance(directives, list) else []:
        namespace = directive.get("Namespace")
        if not isinstance(namespace, str):
            continue
        for dimension_set in directive.get("Dimensions") or [[]]:
            dimensions = [{"Name": name, "Value": str(document[name])} for name in dimension_set if name in document]
            if len(dimensions) != len(dimension_set):
                continue  # a dimension without a value: CloudWatch rejects the set
            for metric in directive.get("Metrics") or []:
                name = metric.get("Name")
                value = document.get(name)
                values = value if isinstance(value, list) else [value]
                numbers = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
                if not numbers:
                    continue
                datum: dict[str, Any] = {"MetricName": name, "Dimensions": dimensions, "Unit": metric.get("Unit", "None")}
                if len(numbers) == 1:
                    datum["Value"] = numbers[0]
                else:
                    datum["Values"] = numbers
                data.append((namespace, datum))
    return data


def lambda_metric_data(record: InvocationRecord) -> list[dict[str, Any]]:
    """What the Lambda service publishes in ``AWS/Lambda`` for one invocation."""
    dims = [{"Name": "FunctionName", "Value": record.function_name}]
    if record.throttled:
        return [{"MetricName": "Throttles", "Dimensions": dims, "Value": 1.0, "Unit": "Count"},
                {"MetricName": "Throttles", "Dimensions": [], "Value": 1.0, "Unit": "Count"}]
    return [
        {"MetricName": "Invocations", "Dimensions": dims, "Value": 1.0, "Unit": "Count"},
        {"MetricName": "Errors", "Dimensions": dims, "Value": 1.0 if record.error else 0.0, "Unit": "Count"},
        {"MetricName": "Duration", "Dimensions": dims, "Value": round(record.duration_ms, 3), "Unit": "Milliseconds"},
        {"MetricName": "ConcurrentExecutions", "Dimensions": dims, "Value": float(record.concurrent_executions),
         "Unit": "Count"},
        {"MetricName": "ConcurrentExecutions", "Dimensions": [], "Value": float(record.concurrent_executions),
         "Unit": "Count"},
    ]


def merge(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Single-value data of the same metric, dimensions and unit as one ``Values`` datum."""
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    out: list[dict[str, Any]] = []
    for datum in data:
        if "Value" not in datum:
            out.append(datum)
            continue
        key = (datum["MetricName"], datum.get("Unit"), tuple((d["Name"], d["Value"]) for d in datum.get("Dimensions") or []))
        if key in merged:
            merged[key]["Values"].append(datum["Value"])
        else:
            merged[key] = {k: v for k, v in datum.items() if k != "Value"} | {"Values": [datum["Value"]]}
            out.append(merged[key])
    return out


# --------------------------------------------------------------------------- Prometheus
def _observations(datum: dict[str, Any]) -> Iterator[tuple[float, int]]:
    """(value, count) pairs of a PutMetricData datum in any of its three forms."""
    if datum.get("Values"):
        counts = datum.get("Counts") or [1] * len(datum["Values"])
        for value, count in zip(datum["Values"], counts, strict=False):
            yield float(value), int(float(count))
    elif datum.get("StatisticValues"):
        stats = datum["StatisticValues"]
        samples = int(float(stats["SampleCount"]))
        if samples:
            yield float(stats["Sum"]) / samples, samples
    elif datum.get("Value") is not None:
        yield float(datum["Value"]), 1


class PrometheusView:
    """The catalog's Prometheus series, updated from CloudWatch data (a prometheus_client collector)."""

    def __init__(self) -> None:
        self._definitions = by_key()
        self._by_name = {d.prometheus: d for d in self._definitions.values()}
        self._lock = threading.Lock()
        # (Prometheus name, label values) -> state
        self._sums: dict[Key, float] = {}
        self._counts: dict[Key, int] = {}
        self._buckets: dict[Key, list[int]] = {}
        self._last: dict[Key, float] = {}

    def observe(self, namespace: str, metric_data: Iterable[dict[str, Any]]) -> None:
        for datum in metric_data:
            dims = {d["Name"]: str(d["Value"]) for d in datum.get("Dimensions") or []}
            definition = self._definitions.get((namespace, datum.get("MetricName"), tuple(sorted(dims))))
            if definition is None:
                continue  # CloudWatch-only (totals) or not in the catalog
            key = (definition.prometheus, tuple(dims.get(dimension, "") for dimension in definition.labels.values()))
            with self._lock:
                for value, count in _observations(datum):
                    self._record(definition, key, value * definition.scale, count)

    def _record(self, definition: MetricDef, key: Key, value: float, count: int) -> None:
        if definition.kind == "counter":
            self._sums[key] = self._sums.get(key, 0.0) + value * count
        elif definition.kind == "gauge":
            self._last[key] = value
        else:  # histogram, average
            self._sums[key] = self._sums.get(key, 0.0) + value * count
            self._counts[key] = self._counts.get(key, 0) + count
            if definition.kind == "histogram":
                buckets = self._buckets.setdefault(key, [0] * len(DURATION_BUCKETS))
                for i, bound in enumerate(DURATION_BUCKETS):
                    if value <= bound:
                        buckets[i] += count

    def value(self, prometheus_name: str, **labels: str) -> float | None:
        """A counter's or gauge's current value (tests and tools); None if never observed."""
        with self._lock:
            definition = self._by_name.get(prometheus_name)
            if definition is None:
                return None
            key = (prometheus_name, tuple(labels.get(label, "") for label in definition.labels))
            return self._sums.get(key, self._last.get(key))
        return None

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            sums, counts = dict(self._sums), dict(self._counts)
            buckets, last = {k: list(v) for k, v in self._buckets.items()}, dict(self._last)
        families: dict[str, Metric] = {}
        for name in sorted({name for name, _ in [*sums, *last]}):
            families[name] = _family(self._by_name[name])
        for key, total in sorted(sums.items()):
            name, values = key
            kind = self._by_name[name].kind
            if kind == "counter":
                families[name].add_metric(list(values), total)
            elif kind == "average":
                families[name].add_metric(list(values), total / max(counts[key], 1))
            else:
                cumulative = [(str(bound), float(n)) for bound, n in zip(DURATION_BUCKETS, buckets[key], strict=True)]
                cumulative.append(("+Inf", float(counts[key])))
                families[name].add_metric(list(values), cumulative, total)
        for (name, values), value in sorted(last.items()):
            families[name].add_metric(list(values), value)
        yield from families.values()

    def render(self) -> bytes:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(self)
        return generate_latest(registry)


def _family(definition: MetricDef) -> Metric:
    labels = list(definition.labels)
    name = definition.prometheus
    if definition.kind == "counter":
        if name.endswith("_total"):
            return CounterMetricFamily(name.removesuffix("_total"), definition.help, labels=labels)
        return UnknownMetricFamily(name, definition.help, labels=labels)  # a reference name without _total
    if definition.kind == "histogram":
        return HistogramMetricFamily(name, definition.help, labels=labels)
    return GaugeMetricFamily(name, definition.help, labels=labels)


def trim(data: list[Any], oldest: float, max_datums: int = MAX_DATUMS) -> None:
    """Drops the data beyond ``max_datums`` and, from the front (oldest first, as they arrived),
    those whose timestamp is before ``oldest`` (epoch seconds)."""
    start = max(0, len(data) - max_datums)
    while start < len(data) and _epoch_of(data[start]) < oldest:
        start += 1
    if start:
        del data[:start]


def _epoch_of(datum: Any) -> float:
    stamp = getattr(datum, "timestamp", None)
    try:
        if stamp.tzinfo is None:  # moto's own timestamps are naive UTC
            stamp = stamp.replace(tzinfo=UTC)
        return stamp.timestamp()
    except (AttributeError, TypeError, ValueError):
        return float("inf")


# --------------------------------------------------------------------------- the hub
class MetricsHub:
    """Feeds moto's CloudWatch backend and the Prometheus view (see the module docstring)."""

    def __init__(self, backend: Callable[[], Any]) -> None:
        self._backend = backend  # () -> moto's CloudWatchBackend of the endpoint's account and region
        self.prometheus = PrometheusView()
        self._queue: queue.Queue[InvocationRecord | None] = queue.Queue()
        self._thread = threading.Thread(target=self._drain, name="metrics-hub", daemon=True)
        self._thread.start()

    def on_invocation(self, record: InvocationRecord) -> None:
        """Lambda runtime listener: never slows the invocation down (a queue and a thread)."""
        self._queue.put(record)

    def _drain(self) -> None:
        """Publishes what the queue holds, at most every :data:`BATCH_SECONDS` (one call per
        namespace for the whole batch, as CloudWatch's agents do)."""
        stopping = False
        while not stopping:
            batch: list[InvocationRecord] = []
            record = self._queue.get()
            deadline = time.monotonic() + BATCH_SECONDS
            while True:
                if record is None:
                    stopping = True
                else:
                    batch.append(record)
                remaining = deadline - time.monotonic()
                if stopping or remaining <= 0:
                    break
                try:
                    record = self._queue.get(timeout=remaining)
                except queue.Empty:
                    break
            try:
                self.publish_invocations(batch)
            except Exception:  # a metric must never take the runtime down
                log.exception("could not publish the metrics of %d invocations", len(batch))
            finally:
                for _ in range(len(batch) + stopping):
                    self._queue.task_done()

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until the queued invocations are published (tests)."""
        done = threading.Event()
        threading.Thread(target=lambda: (self._queue.join(), done.set()), daemon=True).start()
        done.wait(timeout)

    def publish_invocations(self, records: list[InvocationRecord]) -> None:
        by_namespace: dict[str, list[dict[str, Any]]] = {}
        for record in records:
            by_namespace.setdefault("AWS/Lambda", []).extend(lambda_metric_data(record))
            for line in record.log_lines:
                for namespace, datum in emf_metric_data(line):
                    by_namespace.setdefault(namespace, []).append(datum)
        if not by_namespace:
            return
        backend = self._backend()
        for namespace, data in by_namespace.items():
            backend.put_metric_data(namespace, merge(data))

    def observe(self, backend: Any, namespace: str, metric_data: list[dict[str, Any]]) -> None:
        """Called for every PutMetricData that moto's backend accepted (see :func:`install`)."""
        self.prometheus.observe(namespace, metric_data)
        trim(backend.metric_data, time.time() - MAX_DATUM_AGE)



    def stop(self) -> None:
        self._queue.put(None)


_hub: MetricsHub | None = None


def compact(datum: dict[str, Any]) -> dict[str, Any]:
    """A ``Values``/``Counts`` datum as one ``StatisticValues`` datum, for moto's storage.

    moto stores one object per value *per count* and computes no percentiles from them, so
    the statistic set answers every statistic it does compute (Sum, Average, Minimum, Maximum,
    SampleCount) for a fraction of the memory and CPU. Prometheus still sees every value.
    """
    if not datum.get("Values"):
        return datum
    values = [float(v) for v in datum["Values"]]
    counts = [float(c) for c in datum.get("Counts") or [1] * len(values)]
    pairs = [(v, c) for v, c in zip(values, counts, strict=False) if c > 0]
    if not pairs:
        return datum
    rest = {key: value for key, value in datum.items() if key not in ("Values", "Counts")}
    return {**rest, "StatisticValues": {"SampleCount": sum(c for _, c in pairs), "Sum": sum(v * c for v, c in pairs),
                                        "Minimum": min(v for v, _ in pairs), "Maximum": max(v for v, _ in pairs)}}


def install(hub: MetricsHub) -> None:
    """Route every datum moto's CloudWatch accepts (API calls and the hub's own) to ``hub``."""
    global _hub
    from infra.cloud import moto_patches

    _hub = hub
    moto_patches.tap_put_metric_data(compact, lambda backend, namespace, data: _hub.observe(backend, namespace, data)
                                     if _hub is not None else None)


class PrometheusEndpoint:
    """WSGI middleware: ``GET /metrics`` on the endpoint is the Prometheus exposition."""

    def __init__(self, app: Callable, hub: MetricsHub) -> None:
        self.app, self.hub = app, hub

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/metrics" and environ.get("REQUEST_METHOD") in ("GET", "HEAD") \
                and "HTTP_AUTHORIZATION" not in environ:
            body = self.hub.prometheus.render()
            start_response("200 OK", [("Content-Type", "text/plain; version=0.0.4; charset=utf-8"),
                                      ("Content-Length", str(len(body)))])
            return [body] if environ["REQUEST_METHOD"] == "GET" else [b""]
        return self.app(environ, start_response)
