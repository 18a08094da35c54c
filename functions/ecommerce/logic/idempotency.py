"""Idempotency rules (pure): what a call with an already-used key gets.

A key is bound to the first request made with it (a SHA-256 of its canonical JSON, the key
itself excluded). Same key and same request: the first result. Same key and another request:
``IdempotencyConflict``. A key whose compensation ran first (``aborted``):
``OperationAborted``.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from ecommerce.errors import IdempotencyConflict, OperationAborted

CREATE_ORDER = "create-order"
PROCESS_PAYMENT = "process-payment"


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def request_hash(payload: Any) -> str:
    text = json.dumps(payload, default=_default, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def check_replay(*, operation: str, key: str, state: str, stored_hash: str | None, request_digest: str) -> None:
    """Raise unless a stored record may answer this request."""
    if state == "aborted":
        raise OperationAborted(operation, key)
    if stored_hash != request_digest:
        raise IdempotencyConflict(operation, key)
