"""Reads each dependency's status: DynamoDB DescribeTable, Step Functions DescribeStateMachine."""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from health.schemas import Dependency
from shared import aws


def _client(service: str) -> Any:
    """The shared client of ``service`` (``shared.aws``: endpoint and credentials from the
    settings passed down), with a health check's short timeouts and one retry."""
    return aws.client(service, connect_timeout=2, read_timeout=2, retries=1)


def check_table(name: str) -> Dependency:
    started = time.perf_counter()
    try:
        status = _client("dynamodb").describe_table(TableName=name)["Table"]["TableStatus"]
    except (ClientError, BotoCoreError) as exc:
        status = f"unreachable: {exc.__class__.__name__}"
    return Dependency(name=name, type="dynamodb", status=status, healthy=status == "ACTIVE",
                      latency_ms=_ms_since(started))


def check_state_machine(arn: str) -> Dependency:
    started = time.perf_counter()
    try:
        status = _client("stepfunctions").describe_state_machine(stateMachineArn=arn).get("status", "ACTIVE")
    except (ClientError, BotoCoreError) as exc:
        status = f"unreachable: {exc.__class__.__name__}"
    return Dependency(name=arn.rsplit(":", 1)[-1], type="stepfunctions", arn=arn, status=status,
                      healthy=status == "ACTIVE", latency_ms=_ms_since(started))


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
