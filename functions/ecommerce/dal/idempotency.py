"""Idempotency records: the first outcome of an operation called with a caller-given key."""

from __future__ import annotations

import json
from typing import Any

from pynamodb.exceptions import PutError

from ecommerce.dal.tables import IdempotencyRecord, now
from shared.dynamo import is_conditional_failure

COMPLETED = "completed"
ABORTED = "aborted"


class KeyTaken(Exception):
    """Another call with the same key wrote its record first (re-read it and replay)."""


def record_key(operation: str, key: str) -> str:
    return f"{operation}#{key}"


def get(operation: str, key: str) -> IdempotencyRecord | None:
    try:
        return IdempotencyRecord.get(record_key(operation, key), consistent_read=True)
    except IdempotencyRecord.DoesNotExist:
        return None


def completed(operation: str, key: str, request_hash: str, resource_id: int, result: dict[str, Any]) -> IdempotencyRecord:
    """A record to save in the same transaction as the resource it protects."""
    return IdempotencyRecord(
        record_key(operation, key),
        operation=operation,
        idempotency_key=key,
        state=COMPLETED,
        request_hash=request_hash,
        resource_id=resource_id,
        result=json.dumps(result, separators=(",", ":"), sort_keys=True),
        created_at=now(),
    )


def put_aborted(operation: str, key: str) -> IdempotencyRecord:
    """Mark ``key`` as compensated before its forward step ran; returns the record in place
    (the existing one when the forward step got there first)."""
    record = IdempotencyRecord(
        record_key(operation, key), operation=operation, idempotency_key=key, state=ABORTED, created_at=now()
    )
    try:
        record.save(condition=IdempotencyRecord.pk.does_not_exist())
        return record
    except PutError as exc:
        if not is_conditional_failure(exc):
            raise
    existing = get(operation, key)
    if existing is None:  # pragma: no cover - records are never deleted
        raise RuntimeError(f"idempotency record {record.pk} vanished")
    return existing


def save_condition() -> Any:
    return IdempotencyRecord.pk.does_not_exist()
