"""Idempotency records: the first outcome of an operation called with a caller-given key
(takes and returns :class:`ecommerce.models.IdempotencyEntry`)."""

from __future__ import annotations

import json
from typing import Any

from pynamodb.exceptions import PutError

from ecommerce.dal.tables import IdempotencyRecord
from ecommerce.models import IdempotencyEntry, now
from shared.dynamo import get_as, is_conditional_failure, record_of

COMPLETED = "completed"
ABORTED = "aborted"


class KeyTaken(Exception):
    """Another call with the same key wrote its record first (re-read it and replay)."""


def record_key(operation: str, key: str) -> str:
    return f"{operation}#{key}"


def get(operation: str, key: str) -> IdempotencyEntry | None:
    return get_as(IdempotencyEntry, IdempotencyRecord, record_key(operation, key), consistent_read=True)


def existing_keys(operation: str, keys: list[str]) -> set[str]:
    """The keys among ``keys`` that have a record (one BatchGetItem per 100)."""
    return {record.idempotency_key for record in IdempotencyRecord.batch_get([record_key(operation, key) for key in keys])}


def completed(operation: str, key: str, request_hash: str, resource_id: int, result: dict[str, Any]) -> IdempotencyEntry:
    """An entry to save in the same transaction as the resource it protects."""
    return IdempotencyEntry(
        pk=record_key(operation, key),
        operation=operation,
        idempotency_key=key,
        state=COMPLETED,
        request_hash=request_hash,
        resource_id=resource_id,
        result=json.dumps(result, separators=(",", ":"), sort_keys=True),
        created_at=now(),
    )


def put_aborted(operation: str, key: str) -> IdempotencyEntry:
    """Mark ``key`` as compensated before its forward step ran; returns the entry in place
    (the existing one when the forward step got there first)."""
    entry = IdempotencyEntry(
        pk=record_key(operation, key), operation=operation, idempotency_key=key, state=ABORTED, created_at=now()
    )
    try:
        record_of(IdempotencyRecord, entry).save(condition=IdempotencyRecord.pk.does_not_exist())
        return entry
    except PutError as exc:
        if not is_conditional_failure(exc):
            raise
    existing = get(operation, key)
    if existing is None:  # pragma: no cover - records are never deleted
        raise RuntimeError(f"idempotency record {entry.pk} vanished")
    return existing


def save(tx: Any, entry: IdempotencyEntry) -> None:
    """Save ``entry`` in transaction ``tx``, only if its key has no record yet."""
    tx.save(record_of(IdempotencyRecord, entry), condition=IdempotencyRecord.pk.does_not_exist())
