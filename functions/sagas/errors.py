"""Errors of the saga API (status and code live on each class, as in every domain)."""

from __future__ import annotations

from shared.errors import ConflictError, NotFoundError, UnprocessableError


class SagaNotFound(NotFoundError):
    def __init__(self, saga_id: str) -> None:
        super().__init__("saga", saga_id)


class SagaIdempotencyConflict(ConflictError):
    """An ``Idempotency-Key`` reused with a different order-processing request."""

    code = "idempotency_conflict"

    def __init__(self, key: str, saga_id: str) -> None:
        super().__init__(
            f"Idempotency-Key {key!r} was already used for a different order-processing request (saga {saga_id})",
            details=[{"loc": ["header", "Idempotency-Key"], "idempotency_key": key, "saga_id": saga_id}],
        )


class FaultInjectionDisabled(UnprocessableError):
    """``faults`` sent to a stage where the test hook is off (every deployed stage)."""

    def __init__(self) -> None:
        super().__init__(
            "faults is a test hook that is off in this stage",
            details=[{"loc": ["body", "faults"], "type": "extra_forbidden", "msg": "fault injection is disabled"}],
        )


class InvalidIdempotencyKey(UnprocessableError):
    def __init__(self) -> None:
        super().__init__(
            "Idempotency-Key must be 1..256 printable ASCII characters without spaces",
            details=[{"loc": ["header", "Idempotency-Key"], "type": "string_pattern_mismatch"}],
        )
