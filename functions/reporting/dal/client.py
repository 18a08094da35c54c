"""The low-level DynamoDB client of the report read paths.

Reports read thousands of small items and only need a few numbers from each: the low-level
client with a ``ProjectionExpression`` and a direct parse of the numbers costs a fraction of
pynamodb's model objects. Writes (transactions, conditions) stay on pynamodb.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
from botocore.config import Config

from shared.dynamo import CONNECT_TIMEOUT_SECONDS, MAX_RETRY_ATTEMPTS, READ_TIMEOUT_SECONDS
from shared.settings import aws_region

_clients: dict[tuple[str | None, ...], Any] = {}


def dynamodb() -> Any:
    """A client for the current region and endpoint (both from the environment), cached."""
    key = (aws_region(), os.environ.get("AWS_ENDPOINT_URL"), os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"))
    client = _clients.get(key)
    if client is None:
        client = _clients[key] = boto3.client(
            "dynamodb",
            region_name=key[0],
            config=Config(
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                read_timeout=READ_TIMEOUT_SECONDS,
                retries={"max_attempts": MAX_RETRY_ATTEMPTS, "mode": "standard"},
            ),
        )
    return client


def pages(operation: str, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every page of a Query or Scan (follows ``LastEvaluatedKey``)."""
    client = dynamodb()
    call = getattr(client, operation)
    request = dict(request)
    while True:
        page = call(**request)
        yield page
        if not page.get("LastEvaluatedKey"):
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def number(value: dict[str, str] | None) -> Decimal | None:
    return Decimal(value["N"]) if value and "N" in value else None


def text(value: dict[str, str] | None) -> str | None:
    return value["S"] if value and "S" in value else None
