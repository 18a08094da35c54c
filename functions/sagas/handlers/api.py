"""Saga API Lambda (``SagaFunction``): start order-processing sagas, read them and list them
(REST proxy v1; the routes are in ``routes/sagas.py``)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sagas.handlers.routes import sagas
from sagas.settings import SagaSettings
from shared.api import create_resolver
from shared.settings import handler_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()

API_PREFIX = "/api/v1"

app = create_resolver(logger)
app.include_router(sagas.router, prefix=API_PREFIX)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
@handler_settings(SagaSettings)  # the environment, validated at cold start, passed down
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
