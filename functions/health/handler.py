"""GET /api/v1/health: the API's own health, with each dependency it can see. No API key.

Dependencies: every DynamoDB table in ``HEALTH_TABLES`` (healthy when ``ACTIVE``) and every Step
Functions state machine in ``HEALTH_STATE_MACHINES`` (healthy when ``ACTIVE``), checked in
parallel. ``status`` is ``healthy`` (200) only when all of them are, else ``unhealthy`` (503).
``version`` is the platform's (``shared/version.py``)."""
from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from shared.version import __version__

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = APIGatewayRestResolver()
_config = Config(connect_timeout=2, read_timeout=2, retries={"max_attempts": 1}, max_pool_connections=8)
_dynamodb = boto3.client("dynamodb", config=_config)
_stepfunctions = boto3.client("stepfunctions", config=_config)
_pool = ThreadPoolExecutor(max_workers=8)


def _check_table(name: str) -> dict:
    started = time.perf_counter()
    try:
        status = _dynamodb.describe_table(TableName=name)["Table"]["TableStatus"]
        healthy = status == "ACTIVE"
    except (ClientError, BotoCoreError) as exc:
        status, healthy = f"unreachable: {exc.__class__.__name__}", False
    return {"name": name, "type": "dynamodb", "status": status, "healthy": healthy,
            "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


def _check_state_machine(arn: str) -> dict:
    started = time.perf_counter()
    name = arn.rsplit(":", 1)[-1]
    try:
        status = _stepfunctions.describe_state_machine(stateMachineArn=arn).get("status", "ACTIVE")
        healthy = status == "ACTIVE"
    except (ClientError, BotoCoreError) as exc:
        status, healthy = f"unreachable: {exc.__class__.__name__}", False
    return {"name": name, "type": "stepfunctions", "arn": arn, "status": status, "healthy": healthy,
            "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


def _names(variable: str) -> list[str]:
    return [n.strip() for n in os.environ.get(variable, "").split(",") if n.strip()]


@app.get("/api/v1/health")
@tracer.capture_method
def health() -> tuple[dict, int]:
    # in parallel: one slow dependency doesn't add up
    tables = [_pool.submit(_check_table, name) for name in _names("HEALTH_TABLES")]
    machines = [_pool.submit(_check_state_machine, arn) for arn in _names("HEALTH_STATE_MACHINES")]
    checks = [f.result() for f in tables + machines]
    healthy = all(c["healthy"] for c in checks)
    body = {
        "status": "healthy" if healthy else "unhealthy",
        "version": __version__,
        "stage": os.environ.get("STAGE", ""),
        "dependencies": checks,
    }
    return body, 200 if healthy else 503


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
