"""EMF extraction, AWS/Lambda metrics, the Prometheus view and the gateway's CloudWatch data
(pure: no endpoint; the end-to-end path is tests/e2e/test_observability_metrics.py)."""

from __future__ import annotations

import json
from datetime import UTC

from gateway.cloudwatch import CloudWatchPublisher
from infra.cloud.lambda_runtime import InvocationRecord
from infra.cloud.metrics import PrometheusView, emf_metric_data, lambda_metric_data, trim


def emf(namespace: str, dims: list[list[str]], metrics: dict[str, tuple[str, object]], **fields) -> str:
    return json.dumps({"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{
        "Namespace": namespace, "Dimensions": dims,
        "Metrics": [{"Name": name, "Unit": unit} for name, (unit, _) in metrics.items()]}]},
        **{name: value for name, (_, value) in metrics.items()}, **fields})


def test_emf_line_becomes_one_datum_per_metric_and_dimension_set():
    line = emf("RetailPlatform", [["status", "service"], ["service"]], {"Sagas": ("Count", [1.0])},
               status="completed", service="sagas")
    data = emf_metric_data(line)
    assert data == [
        ("RetailPlatform", {"MetricName": "Sagas", "Unit": "Count", "Value": 1.0,
                            "Dimensions": [{"Name": "status", "Value": "completed"}, {"Name": "service", "Value": "sagas"}]}),
        ("RetailPlatform", {"MetricName": "Sagas", "Unit": "Count", "Value": 1.0,
                            "Dimensions": [{"Name": "service", "Value": "sagas"}]}),
    ]


def test_non_emf_lines_and_broken_documents_are_ignored():
    assert emf_metric_data("START RequestId: 1 Version: $LATEST") == []
    assert emf_metric_data('{"level": "INFO", "message": "hi"}') == []
    assert emf_metric_data('{"_aws": {"CloudWatchMetrics": "nope"}}') == []
    missing_dimension = emf("RetailPlatform", [["service"]], {"X": ("Count", 1)})
    assert emf_metric_data(missing_dimension) == []


def test_lambda_metrics_as_the_service_publishes_them():
    ok = InvocationRecord("fn", "r", 12.5, 13, True, False, False, False, 3, [])
    names = {(d["MetricName"], bool(d["Dimensions"])): d["Value"] for d in lambda_metric_data(ok)}
    assert names[("Invocations", True)] == 1 and names[("Errors", True)] == 0 and names[("Duration", True)] == 12.5
    assert names[("ConcurrentExecutions", False)] == 3
    throttled = InvocationRecord("fn", "r", 0.0, 0, False, False, False, True, 8, [])
    assert {d["MetricName"] for d in lambda_metric_data(throttled)} == {"Throttles"}


def test_prometheus_view_uses_the_catalog_names_and_forms():
    view = PrometheusView()
    sagas = [{"Name": "service", "Value": "sagas"}]
    view.observe("RetailPlatform", [
        {"MetricName": "Sagas", "Dimensions": [*sagas, {"Name": "status", "Value": "completed"}], "Value": 1.0},
        {"MetricName": "Sagas", "Dimensions": [*sagas, {"Name": "status", "Value": "completed"}], "Value": 1.0},
        {"MetricName": "SagaDuration", "Dimensions": [*sagas, {"Name": "status", "Value": "completed"}], "Value": 0.3},
        {"MetricName": "OrderValue", "Dimensions": [{"Name": "service", "Value": "ecommerce"}], "Values": [10.0, 30.0]},
        {"MetricName": "OrdersCreated", "Dimensions": [{"Name": "service", "Value": "ecommerce"}], "Value": 2.0},
        {"MetricName": "NotInTheCatalog", "Dimensions": sagas, "Value": 1.0},
    ])
    view.observe("RetailPlatform/Gateway", [{"MetricName": "ThrottledRequests", "Dimensions": [
        {"Name": "Consumer", "Value": "frontend"}, {"Name": "Reason", "Value": "rate"}],
        "StatisticValues": {"SampleCount": 3, "Sum": 3, "Minimum": 1, "Maximum": 1}}])
    text = view.render().decode()
    assert 'saga_orchestrator_sagas_total{service="sagas",status="completed"} 2.0' in text
    assert 'saga_orchestrator_saga_duration_seconds_bucket{le="0.5",service="sagas",status="completed"} 1.0' in text
    assert 'average_order_value{service="ecommerce"} 20.0' in text
    assert "# TYPE total_orders_created untyped" in text and 'total_orders_created{service="ecommerce"} 2.0' in text
    assert 'api_throttled_requests_total{consumer="frontend",reason="rate"} 3.0' in text
    assert "NotInTheCatalog" not in text
    assert view.value("saga_orchestrator_sagas_total", service="sagas", status="completed") == 2.0


def test_gateway_window_publishes_api_gateway_and_labelled_metrics():
    publisher = CloudWatchPublisher("http://127.0.0.1:9", "us-east-1", "retail-api", "prod", client=object())
    base = {"resourcePath": "/api/v1/products", "httpMethod": "GET", "apiKeyName": "retail-admin"}
    publisher.record({**base, "status": 200, "latency": 12.0, "integrationLatency": 10.0})
    publisher.record({**base, "status": 404, "latency": 8.0, "integrationLatency": 7.0})
    publisher.record({"status": 429, "latency": 1.0, "apiKeyName": "retail-frontend", "errorResponseType": "THROTTLED",
                      "resourcePath": "/api/v1/products", "httpMethod": "GET"})
    publisher.record({"status": 403, "latency": 1.0})  # no route matched: totals only
    data = publisher.metric_data(publisher._window)
    api = {(d["MetricName"], tuple(x["Value"] for x in d["Dimensions"])): d for d in data["AWS/ApiGateway"]}
    total = api[("Count", ("retail-api", "prod"))]["StatisticValues"]
    assert total["SampleCount"] == 4 and total["Sum"] == 4
    per_method = ("retail-api", "prod", "/api/v1/products", "GET")
    assert api[("4XXError", per_method)]["StatisticValues"]["Sum"] == 2
    assert api[("5XXError", per_method)]["StatisticValues"]["Sum"] == 0
    assert sorted(api[("Latency", per_method)]["Values"]) == [1.0, 8.0, 12.0]
    gateway = {(d["MetricName"], tuple(x["Value"] for x in d["Dimensions"])): d for d in data["RetailPlatform/Gateway"]}
    assert gateway[("Requests", ("/api/v1/products", "GET", "200", "retail-admin"))]["StatisticValues"]["Sum"] == 1
    assert gateway[("Requests", ("unmatched", "-", "403", "anonymous"))]["StatisticValues"]["Sum"] == 1
    assert gateway[("ThrottledRequests", ("retail-frontend", "rate"))]["StatisticValues"]["Sum"] == 1
    assert gateway[("ThrottledRequests", ())]["StatisticValues"]["Sum"] == 1


def test_catalog_dimensions_and_names_are_unique():
    from observability.catalog import METRICS

    for metric in METRICS:
        assert len(set(metric.dimensions)) == len(metric.dimensions), metric.name  # e.g. a second "service"
        assert set(metric.labels.values()) <= set(metric.dimensions), metric.name
    names = [metric.prometheus for metric in METRICS]
    assert len(names) == len(set(names))


def test_values_are_merged_and_compacted_for_moto_but_not_for_prometheus():
    from infra.cloud.metrics import compact, merge

    dims = [{"Name": "FunctionName", "Value": "fn"}]
    merged = merge([{"MetricName": "Duration", "Dimensions": dims, "Unit": "Milliseconds", "Value": v} for v in (1.0, 3.0)]
                   + [{"MetricName": "X", "Dimensions": [], "StatisticValues": {"SampleCount": 1, "Sum": 1,
                                                                                 "Minimum": 1, "Maximum": 1}}])
    assert merged[0]["Values"] == [1.0, 3.0] and "Value" not in merged[0] and merged[1]["MetricName"] == "X"
    assert compact(merged[0])["StatisticValues"] == {"SampleCount": 2.0, "Sum": 4.0, "Minimum": 1.0, "Maximum": 3.0}
    assert compact({"MetricName": "Y", "Values": [2.0], "Counts": [3.0]})["StatisticValues"]["Sum"] == 6.0
    assert compact(merged[1]) is merged[1]


def test_metric_data_are_bounded_by_count_and_by_age():
    from datetime import datetime, timedelta
    from types import SimpleNamespace

    now = datetime(2026, 12, 3, 12, 0, 0)  # naive UTC, as moto stamps its own data
    data = [SimpleNamespace(timestamp=now - timedelta(hours=4 - i)) for i in range(5)]  # 4 h ago .. now
    trim(data, oldest=(now - timedelta(hours=3)).replace(tzinfo=UTC).timestamp(), max_datums=10)
    assert [d.timestamp for d in data] == [now - timedelta(hours=h) for h in (3, 2, 1, 0)]
    trim(data, oldest=0, max_datums=2)
    assert [d.timestamp for d in data] == [now - timedelta(hours=1), now]
    trim(data, oldest=0, max_datums=2)
    assert len(data) == 2  # within both bounds: nothing dropped
