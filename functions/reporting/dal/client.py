"""The low-level DynamoDB client of the report read paths.

Reports read thousands of small items and only need a few numbers from each: the low-level
client with a ``ProjectionExpression`` and a direct parse of the numbers costs a fraction of
pynamodb's model objects. Writes (transactions, conditions) stay on pynamodb.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from shared import aws
from shared.dynamo import CONNECT_TIMEOUT_SECONDS, MAX_RETRY_ATTEMPTS, READ_TIMEOUT_SECONDS


def dynamodb() -> Any:
    """A client for the current region and endpoint (both from the environment), cached."""
    return aws.client("dynamodb", connect_timeout=CONNECT_TIMEOUT_SECONDS, read_timeout=READ_TIMEOUT_SECONDS,
                      retries=MAX_RETRY_ATTEMPTS)


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
