"""Business error types.

Every error a client can cause is one exception type, and each type carries its HTTP status
and its stable machine-readable ``code``: the class definition is the one place where the
mapping lives. ``shared.api`` turns any :class:`AppError` into::

    {"error": {"code": "not_found", "message": "...", "details": [...]}}

Domains subclass the generic types below for their own business errors, e.g.::

    class ReturnExceedsSaleError(ConflictError):
        code = "return_exceeds_sale"
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any


class AppError(Exception):
    """Base class of every error that maps to a client-facing HTTP response."""

    status: HTTPStatus = HTTPStatus.INTERNAL_SERVER_ERROR
    code: str = "internal_error"

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def to_body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.details)


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The stable error shape shared by every endpoint."""
    return {"error": {"code": code, "message": message, "details": details or []}}


class BadRequestError(AppError):
    """The request cannot be read at all (malformed body encoding, ...)."""

    status = HTTPStatus.BAD_REQUEST
    code = "bad_request"


class InvalidPaginationTokenError(BadRequestError):
    """``next_token`` was not produced by this listing (tampered, truncated, other filters)."""

    code = "invalid_pagination_token"

    def __init__(self, message: str = "next_token is invalid for this listing") -> None:
        super().__init__(message, details=[{"loc": ["query", "next_token"], "type": "invalid_token"}])


class ForbiddenError(AppError):
    """The caller's role may call the route but not on this record (e.g. another store's)."""

    status = HTTPStatus.FORBIDDEN
    code = "forbidden"


class NotFoundError(AppError):
    """The resource named in the URL path does not exist."""

    status = HTTPStatus.NOT_FOUND
    code = "not_found"

    def __init__(self, resource: str, identifier: Any) -> None:
        super().__init__(f"{resource} {identifier} not found", details=[{"resource": resource, "id": identifier}])
        self.resource = resource
        self.identifier = identifier


class ConflictError(AppError):
    """The request is valid but conflicts with the current state of a resource."""

    status = HTTPStatus.CONFLICT
    code = "conflict"


class AlreadyExistsError(ConflictError):
    """A value that must be unique (SKU, name, ...) is already taken."""

    code = "already_exists"

    def __init__(self, resource: str, field: str, value: Any) -> None:
        super().__init__(
            f"a {resource} with {field} {value!r} already exists",
            details=[{"resource": resource, "field": field, "value": value}],
        )


class ConcurrentModificationError(ConflictError):
    """Optimistic concurrency gave up after several attempts; the client may retry."""

    code = "concurrent_modification"


class UnprocessableError(AppError):
    """The body is well-formed but semantically invalid (after model validation)."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "validation_error"


class UnknownReferenceError(AppError):
    """A body or query field names an entity that does not exist (or not where the request says).

    A 404, as for an unknown id in the path: the request is well formed (the OpenAPI document
    cannot know which ids exist), the entity it names is not found. The code ``invalid_reference``
    and ``details[].loc`` tell it from a path's ``not_found``.
    """

    status = HTTPStatus.NOT_FOUND
    code = "invalid_reference"


class InvalidReferenceError(UnknownReferenceError):
    """A body or query field references an entity that does not exist."""

    def __init__(self, loc: list[str | int], resource: str, identifier: Any) -> None:
        super().__init__(
            f"{resource} {identifier} does not exist",
            details=[{"loc": loc, "type": "invalid_reference", "resource": resource, "id": identifier}],
        )


# ---------------------------------------------------------------- stock (one type per rule, every domain)
@dataclass(frozen=True)
class Shortage:
    """A line the location's stock cannot serve. ``line`` is its index in the request's
    ``lines`` when the request has lines (a retail sale), else ``None``."""

    product_id: int
    requested: int
    available: int
    line: int | None = None


def shortage_message(location_id: str, shortages: list[Shortage]) -> str:
    """The message of :class:`InsufficientStock`: a request with lines (a retail sale) says it as
    the sales API always has, one without (the order saga's steps) as the saga history shows it."""
    if shortages and all(s.line is not None for s in shortages):
        parts = [f"product {s.product_id} has {s.available} available ({s.requested} requested)" for s in shortages]
        return f"not enough stock at {location_id}: " + "; ".join(parts)
    parts = [f"product {s.product_id} has {s.available} available, {s.requested} requested" for s in shortages]
    return f"insufficient stock at {location_id}: " + "; ".join(parts)


class InsufficientStock(ConflictError):
    """Stock cannot go below zero: a sale, a reservation or an adjustment asks for more units than
    are available (nothing is written). The one error of that rule in every domain: inventory
    raises it (REST, the order saga's ``errorType`` ``InsufficientStock``, the inventory
    interface), retail answers it as is."""

    code = "insufficient_stock"

    def __init__(self, location_id: str, shortages: list[Shortage], *, message: str | None = None,
                 details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(
            message or shortage_message(location_id, shortages),
            details=details if details is not None else [
                {
                    **({"loc": ["body", "lines", s.line, "quantity"]} if s.line is not None else {}),
                    "type": "insufficient_stock",
                    "product_id": s.product_id,
                    "location_id": location_id,
                    "available": s.available,
                    "requested": s.requested,
                }
                for s in shortages
            ],
        )
        self.location_id = location_id
        self.shortages = shortages

    @classmethod
    def adjustment(cls, product_id: int, location_id: str, available: int, delta: int) -> InsufficientStock:
        """PUT /stock: an adjustment by ``delta`` would take ``available`` below zero."""
        return cls(
            location_id,
            [Shortage(product_id, -delta, available)],
            message=f"product {product_id} has {available} available at {location_id}; "
            f"an adjustment of {delta} would make it negative",
            details=[{"product_id": product_id, "location_id": location_id, "available": available, "delta": delta}],
        )

    @classmethod
    def from_details(cls, message: str, details: list[dict[str, Any]]) -> InsufficientStock:
        """The error as another process reported it (its message and details, e.g. through the
        inventory interface's ``errorMessage``)."""
        shortages = [
            Shortage(int(d["product_id"]), int(d["requested"]), int(d["available"]))
            for d in details if "requested" in d
        ]
        location_id = next((str(d["location_id"]) for d in details if "location_id" in d), "")
        return cls(location_id, shortages, message=message, details=details)


class StockRowMissing(ConflictError):
    """Units come back to a location that has no stock row for the product (a row deleted
    outside the API): nothing is written."""

    code = "stock_row_missing"
