"""Slow and failing handlers for the gateway's 502/504 tests, and a failing Lambda authorizer
(template.yaml ``DiagnosticsAuthorizer``: the gateway's 500 AuthorizerConfigurationException). Deployed only when the template
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


@app.get("/api/v1/_diagnostics/echo")
def echo() -> dict:
    """What the gateway passed about the caller: requestContext.authorizer and identity."""
    request_context = app.current_event.raw_event.get("requestContext") or {}
    return {"authorizer": request_context.get("authorizer"),
            "apiKeyId": (request_context.get("identity") or {}).get("apiKeyId")}


class DiagnosticFailure(Exception):
    """Raised on purpose: the gateway must answer 502."""


@app.get("/api/v1/_diagnostics/fail")
def fail() -> dict:
    raise DiagnosticFailure("failing on purpose (diagnostics)")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    if event.get("type") == "REQUEST" and "methodArn" in event:  # called as the API's authorizer
        if (event.get("queryStringParameters") or {}).get("answer") == "malformed":
            return {"policyDocument": "not a policy"}   # no principalId, no statements
        raise DiagnosticFailure("failing on purpose (diagnostics authorizer)")
    return app.resolve(event, context)
