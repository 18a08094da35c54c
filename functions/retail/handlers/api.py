"""Retail API Lambda: stores, cash registers, sales and returns (REST proxy v1)."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from retail.handlers.routes import registers, returns, sales, stores
from retail.settings import RetailSettings
from shared.api import create_resolver
from shared.idempotency import use_idempotency
from shared.settings import handler_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()

API_PREFIX = "/api/v1"

app = create_resolver(logger)
use_idempotency(app)   # Idempotency-Key on every POST/PUT/PATCH/DELETE (shared/idempotency.py)
for _routes in (stores, registers, sales, returns):
    app.include_router(_routes.router, prefix=API_PREFIX)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
@handler_settings(RetailSettings)  # the environment, validated at cold start, passed down
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
