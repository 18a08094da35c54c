"""GET /api/v1/health: the API's own health, with each dependency it can see. No API key."""
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

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = APIGatewayRestResolver()
_dynamodb = boto3.client("dynamodb", config=Config(connect_timeout=2, read_timeout=2, retries={"max_attempts": 1},
                                                   max_pool_connections=8))
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


@app.get("/api/v1/health")
@tracer.capture_method
def health() -> tuple[dict, int]:
    tables = [t for t in os.environ.get("HEALTH_TABLES", "").split(",") if t]
    checks = list(_pool.map(_check_table, tables))  # in parallel: one slow table doesn't add up
    healthy = all(c["healthy"] for c in checks)
    body = {
        "status": "healthy" if healthy else "degraded",
        "version": os.environ.get("SERVICE_VERSION", "unknown"),
        "stage": os.environ.get("STAGE", ""),
        "dependencies": checks,
    }
    return body, 200 if healthy else 503


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
