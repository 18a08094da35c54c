"""Slow and failing handlers for the gateway's 502/504 tests. Deployed only when the template
parameter EnableTestHooks is "true" (the local stack); a deployed stage never has them."""
from __future__ import annotations

import time

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = APIGatewayRestResolver()


@app.get("/api/v1/_diagnostics/sleep")
@app.get("/api/v1/_diagnostics/slow")
def sleep() -> dict:
    try:
        seconds = min(float(app.current_event.get_query_string_value("seconds", "0")), 60.0)
    except ValueError:
        seconds = 0.0
    logger.info("sleeping", extra={"seconds": seconds})
    started_at = time.time()
    time.sleep(max(seconds, 0.0))
    return {"slept": seconds, "started_at": started_at, "ended_at": time.time()}


class DiagnosticFailure(Exception):
    """Raised on purpose: the gateway must answer 502."""


@app.get("/api/v1/_diagnostics/fail")
def fail() -> dict:
    raise DiagnosticFailure("failing on purpose (diagnostics)")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
