"""DynamoDB Streams records of the sales, returns and orders tables, as Lambda delivers them to
the reporting consumer (the unit tests' fake store and the integration tests' real tables)."""

from __future__ import annotations

import itertools
import uuid
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeSerializer

REGION = "us-east-1"
_serializer = TypeSerializer()
_sequence = itertools.count(1000)


def stream_arn(table: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:123456789012:table/{table}/stream/2026-11-24T00:00:00.000"


def dynamo(item: dict[str, Any]) -> dict[str, Any]:
    """An item in DynamoDB's attribute-value JSON."""
    return {name: _serializer.serialize(value) for name, value in item.items()}


def stream_record(table: str, event_name: str, new: dict | None, old: dict | None = None, *, keys: dict | None = None) -> dict:
    """One NEW_AND_OLD_IMAGES record of ``table`` (a unique eventID, increasing sequence numbers)."""
    image = new or old or {}
    body: dict[str, Any] = {
        "ApproximateCreationDateTime": 1764000000,
        "Keys": dynamo(keys or {k: image[k] for k in ("sale_id", "return_id", "order_id") if k in image}),
        "SequenceNumber": str(next(_sequence)).rjust(21, "0"),
        "SizeBytes": 100,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if new is not None:
        body["NewImage"] = dynamo(new)
    if old is not None:
        body["OldImage"] = dynamo(old)
    return {
        "eventID": uuid.uuid4().hex,
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "eventSourceARN": stream_arn(table),
        "dynamodb": body,
    }


def sale(sale_id: int, store_id: int, day: str, lines: list[tuple[int, int, str]], **extra: Any) -> dict:
    """A sale item; lines: (product_id, quantity, unit_price)."""
    priced = [
        {"product_id": p, "quantity": q, "unit_price": Decimal(u), "line_total": Decimal(u) * q} for p, q, u in lines
    ]
    return {
        "sale_id": sale_id,
        "store_id": store_id,
        "register_id": 1,
        "created_at": f"{day}T10:00:00Z",
        "sale_date": day,
        "lines": priced,
        "total": sum((line["line_total"] for line in priced), Decimal(0)),
        "item_count": sum(q for _, q, _ in lines),
        **extra,
    }


def a_return(return_id: int, sale_id: int, store_id: int, day: str, lines: list[tuple[int, int, str]]) -> dict:
    """A return item; lines: (product_id, quantity, refund_amount)."""
    refunds = [{"product_id": p, "quantity": q, "refund_amount": Decimal(a)} for p, q, a in lines]
    return {
        "return_id": return_id,
        "sale_id": sale_id,
        "store_id": store_id,
        "created_at": f"{day}T12:00:00Z",
        "return_date": day,
        "lines": refunds,
        "refund_total": sum((line["refund_amount"] for line in refunds), Decimal(0)),
    }


def order(order_id: int, day: str, lines: list[tuple[int, int, str]], status: str = "pending") -> dict:
    """An order item; lines: (product_id, quantity, unit_price)."""
    priced = [
        {"product_id": p, "quantity": q, "unit_price": Decimal(u), "line_total": Decimal(u) * q, "sku": "X", "name": "n"}
        for p, q, u in lines
    ]
    return {
        "order_id": order_id,
        "customer_id": 7,
        "status": status,
        "created_at": f"{day}T09:00:00Z",
        "order_date": day,
        "lines": priced,
        "total": sum((line["line_total"] for line in priced), Decimal(0)),
        "currency": "CAD",
        "status_history": [{"status": status, "at": f"{day}T09:00:00Z"}],
    }
