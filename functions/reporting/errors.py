"""Business errors of the reporting domain (status and code live on each class)."""

from __future__ import annotations

from datetime import date

from shared.errors import UnprocessableError


class InvalidPeriodError(UnprocessableError):
    """A report period that is reversed or too long (422 ``validation_error``)."""

    def __init__(self, message: str, loc: list[str | int], *, value: date | None = None) -> None:
        detail: dict = {"loc": loc, "type": "invalid_period", "msg": message}
        if value is not None:
            detail["input"] = value.isoformat()
        super().__init__(message, details=[detail])
