"""Reporting API Lambda: sales, performance and inventory reports, trends, dashboard (REST proxy v1)."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from reporting.handlers.routes import analytics, dashboards, reports
from reporting.settings import AggregatesSettings, InventorySettings
from shared.api import create_resolver
from shared.settings import handler_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()

API_PREFIX = "/api/v1"

app = create_resolver(logger)
for _routes in (reports, analytics, dashboards):
    app.include_router(_routes.router, prefix=API_PREFIX)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
@handler_settings(AggregatesSettings, InventorySettings)  # validated at cold start, passed down
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
