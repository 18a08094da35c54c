"""Every metric the system publishes: its CloudWatch identity and its Prometheus name.

One list, read by
- the embedded cloud's metrics hub (``infra/cloud/metrics.py``), which turns each datum that
  reaches CloudWatch on the endpoint into the Prometheus series named here;
- the tests that check every metric a dashboard or alarm refers to is in this list, and that
  the code emits every metric of the list (``tests/unit/test_observability_catalog.py``);
- the docs (``observability/README.md``).

Who publishes what:

- **Lambda functions** publish with powertools Metrics only (embedded metric format, namespace
  ``RetailPlatform``, dimension ``service`` plus any the code adds). On AWS, CloudWatch Logs
  extracts them; on the embedded cloud, the Lambda runtime does (``infra/cloud/metrics.py``).
- **API Gateway** (the gateway, ``gateway/cloudwatch.py``) publishes ``AWS/ApiGateway`` as AWS
  does, and ``RetailPlatform/Gateway`` with the labels Prometheus users expect (status, consumer).
- **Lambda** (the local runtime) publishes ``AWS/Lambda`` as AWS does.

``dimensions`` are the CloudWatch dimension names of the datum, in publication order; ``labels``
maps a Prometheus label to the CloudWatch dimension it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

APP = "RetailPlatform"
GATEWAY = "RetailPlatform/Gateway"
APIGATEWAY = "AWS/ApiGateway"
LAMBDA = "AWS/Lambda"

Kind = Literal["counter", "histogram", "gauge", "average"]

# seconds; latencies published in milliseconds are converted (``scale``)
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@dataclass(frozen=True)
class MetricDef:
    namespace: str
    name: str
    unit: str
    dimensions: tuple[str, ...]
    prometheus: str
    kind: Kind
    help: str
    labels: dict[str, str] = field(default_factory=dict)  # Prometheus label -> CloudWatch dimension
    scale: float = 1.0  # multiply CloudWatch values by this for Prometheus (ms -> s: 0.001)
    source: str = ""  # where the code emits it (checked by the tests)


def _app(name: str, unit: str, prometheus: str, kind: Kind, help: str, source: str,
         extra: tuple[str, ...] = (), labels: dict[str, str] | None = None, scale: float = 1.0) -> MetricDef:
    return MetricDef(APP, name, unit, ("service", *extra), prometheus, kind, help,
                     {"service": "service", **(labels or {})}, scale, source)


METRICS: tuple[MetricDef, ...] = (
    # ------------------------------------------------------------ order saga (reference names)
    _app("Sagas", "Count", "saga_orchestrator_sagas_total", "counter", "Sagas ended, by final status.",
         "functions/sagas/logic/outcome.py", ("status",), {"status": "status"}),
    _app("SagaDuration", "Seconds", "saga_orchestrator_saga_duration_seconds", "histogram",
         "Saga duration from start to end.", "functions/sagas/logic/outcome.py", ("status",), {"status": "status"}),
    _app("SagaSteps", "Count", "saga_orchestrator_saga_steps_total", "counter", "Saga steps run, by step and outcome.",
         "functions/sagas/logic/outcome.py", ("step", "status"), {"step": "step", "status": "status"}),
    _app("SagaCompensations", "Count", "saga_orchestrator_compensations_total", "counter",
         "Compensations run, by type.", "functions/sagas/logic/outcome.py", ("compensation_type",),
         {"compensation_type": "compensation_type"}),
    _app("SagaServiceCalls", "Count", "saga_orchestrator_service_calls_total", "counter",
         "Participant invocations (retries included), by service and outcome.", "functions/sagas/logic/outcome.py",
         ("participant", "status"), {"service": "participant", "status": "status"}),
    _app("SagasStarted", "Count", "saga_orchestrator_sagas_started_total", "counter", "Sagas started.",
         "functions/sagas/logic/sagas.py"),
    # ------------------------------------------------------------ business (reference names)
    _app("OrdersCreated", "Count", "total_orders_created", "counter", "Online orders created.",
         "functions/ecommerce/logic/orders.py"),
    _app("OrderValue", "None", "average_order_value", "average", "Average total of the orders created.",
         "functions/ecommerce/logic/orders.py"),
    _app("ProductsSold", "Count", "total_products_sold", "counter", "Units sold in stores.",
         "functions/retail/logic/sales.py"),
    _app("LowStockAlerts", "Count", "inventory_low_stock_alerts", "counter",
         "Stock changes that took a row to or below its reorder level.", "functions/inventory/logic/stock.py"),
    _app("SalesCreated", "Count", "retail_sales_total", "counter", "Store sales recorded.",
         "functions/retail/logic/sales.py"),
    _app("SaleValue", "None", "retail_sale_value", "average", "Average total of the store sales.",
         "functions/retail/logic/sales.py"),
    _app("PaymentsCaptured", "Count", "ecommerce_payments_captured_total", "counter", "Payments captured.",
         "functions/ecommerce/logic/payments.py"),
    _app("PaymentsDeclined", "Count", "ecommerce_payments_declined_total", "counter", "Payments declined.",
         "functions/ecommerce/logic/payments.py"),
    _app("PaymentsRefunded", "Count", "ecommerce_payments_refunded_total", "counter", "Payments refunded.",
         "functions/ecommerce/logic/payments.py"),
    _app("StockReserved", "Count", "inventory_stock_reservations_total", "counter", "Saga stock reservations made.",
         "functions/inventory/logic/reservations.py"),
    _app("ColdStart", "Count", "lambda_cold_starts_total", "counter", "Cold starts, by function.",
         "powertools: @metrics.log_metrics(capture_cold_start_metric=True)", ("function_name",),
         {"function_name": "function_name"}),
    # ------------------------------------------------------------ API Gateway (as AWS publishes it)
    *(MetricDef(APIGATEWAY, name, unit, ("ApiName", "Stage", "Resource", "Method"), prom, kind, help,
                {"api": "ApiName", "stage": "Stage", "resource": "Resource", "method": "Method"}, scale,
                "gateway/cloudwatch.py")
      for name, unit, prom, kind, help, scale in (
          ("Count", "Count", "aws_apigateway_requests_total", "counter", "API requests.", 1.0),
          ("4XXError", "Count", "aws_apigateway_4xx_errors_total", "counter", "API requests answered 4xx.", 1.0),
          ("5XXError", "Count", "aws_apigateway_5xx_errors_total", "counter", "API requests answered 5xx.", 1.0),
          ("Latency", "Milliseconds", "aws_apigateway_latency_seconds", "histogram",
           "Time from request to response at the gateway.", 0.001),
          ("IntegrationLatency", "Milliseconds", "aws_apigateway_integration_latency_seconds", "histogram",
           "Time spent in the Lambda integration.", 0.001),
          ("CacheHitCount", "Count", "aws_apigateway_cache_hits_total", "counter",
           "API requests answered from the stage cache.", 1.0),
          ("CacheMissCount", "Count", "aws_apigateway_cache_misses_total", "counter",
           "Requests to a cached method answered by the integration.", 1.0),
      )),
    # ------------------------------------------------------------ gateway, Prometheus-style
    MetricDef(GATEWAY, "Requests", "Count", ("Resource", "Method", "Status", "Consumer"), "http_requests_total",
              "counter", "Requests through the gateway, by route, status and consumer (API key name).",
              {"route": "Resource", "method": "Method", "status": "Status", "consumer": "Consumer"},
              source="gateway/cloudwatch.py"),
    MetricDef(GATEWAY, "RequestLatency", "Milliseconds", ("Resource", "Method", "Status", "Consumer"),
              "http_request_duration_seconds", "histogram", "Request latency at the gateway.",
              {"route": "Resource", "method": "Method", "status": "Status", "consumer": "Consumer"}, 0.001,
              "gateway/cloudwatch.py"),
    MetricDef(GATEWAY, "ThrottledRequests", "Count", ("Consumer", "Reason"), "api_throttled_requests_total",
              "counter", "Requests refused 429 by a usage plan (reason: rate or quota).",
              {"consumer": "Consumer", "reason": "Reason"}, source="gateway/cloudwatch.py"),
    # ------------------------------------------------------------ Lambda (as AWS publishes it)
    MetricDef(LAMBDA, "Invocations", "Count", ("FunctionName",), "lambda_invocations_total", "counter",
              "Function invocations.", {"function_name": "FunctionName"}, source="infra/cloud/metrics.py"),
    MetricDef(LAMBDA, "Errors", "Count", ("FunctionName",), "lambda_errors_total", "counter",
              "Invocations that ended in a function error (timeouts included).", {"function_name": "FunctionName"},
              source="infra/cloud/metrics.py"),
    MetricDef(LAMBDA, "Throttles", "Count", ("FunctionName",), "lambda_throttles_total", "counter",
              "Invocations refused for lack of concurrency.", {"function_name": "FunctionName"},
              source="infra/cloud/metrics.py"),
    MetricDef(LAMBDA, "Duration", "Milliseconds", ("FunctionName",), "lambda_duration_seconds", "histogram",
              "Handler duration.", {"function_name": "FunctionName"}, 0.001, "infra/cloud/metrics.py"),
    MetricDef(LAMBDA, "ConcurrentExecutions", "Count", ("FunctionName",), "lambda_concurrent_executions", "gauge",
              "Executions in flight when an invocation started.", {"function_name": "FunctionName"},
              source="infra/cloud/metrics.py"),
)

# Published for CloudWatch dashboards and alarms (an alarm needs one exact series) but not mapped
# to Prometheus, where they are sums of the labelled series above: AWS/ApiGateway totals per API
# and stage, the gateway's throttled requests in all, and Lambda's account-wide concurrency.
CLOUDWATCH_ONLY: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    *((APIGATEWAY, name, ("ApiName", "Stage")) for name in ("Count", "4XXError", "5XXError", "Latency", "IntegrationLatency",
                                                            "CacheHitCount", "CacheMissCount")),
    (GATEWAY, "ThrottledRequests", ()),
    (LAMBDA, "ConcurrentExecutions", ()),
    (LAMBDA, "Throttles", ()),
)


def by_key() -> dict[tuple[str, str, tuple[str, ...]], MetricDef]:
    """(namespace, metric name, sorted dimension names) -> definition."""
    return {(m.namespace, m.name, tuple(sorted(m.dimensions))): m for m in METRICS}


def published() -> set[tuple[str, str]]:
    """Every (namespace, metric name) the system publishes to CloudWatch."""
    return {(m.namespace, m.name) for m in METRICS} | {(ns, name) for ns, name, _ in CLOUDWATCH_ONLY}
