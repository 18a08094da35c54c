"""Cursor pagination over DynamoDB queries and scans.

A listing returns ``{"items": [...], "next_token": "..." | null}``. ``next_token`` is opaque to
clients: base64url (no padding) of a small JSON document holding

- ``k``: the DynamoDB key of the last item returned (table key plus index key), and
- ``s``: a digest of the listing's *scope* (its name and filter values),

so a token only resumes the listing that produced it. A token that is not valid base64url
JSON, that has an unexpected shape, or that belongs to another listing or other filters is
rejected with :class:`~shared.errors.InvalidPaginationTokenError` (HTTP 400) before any
DynamoDB call. Pages are always full (``limit`` items) unless the listing is exhausted:
filters are applied while reading, and the key of the last *returned* item is the cursor.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Generic, TypeVar

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, Field
from pynamodb.exceptions import QueryError, ScanError

from shared.errors import InvalidPaginationTokenError

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_TOKEN_LENGTH = 2048
TOKEN_VERSION = 1

Key = dict[str, dict[str, str]]
T = TypeVar("T")

Limit = Annotated[
    int,
    Query(ge=1, le=MAX_LIMIT, description=f"Page size, 1..{MAX_LIMIT} (default {DEFAULT_LIMIT})."),
]
NextToken = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_TOKEN_LENGTH,
        description="Opaque cursor from the previous page's `next_token`.",
    ),
]


class Page(BaseModel, Generic[T]):
    """One page of a listing (subclass it with a concrete item type for a readable schema name)."""

    items: list[T]
    next_token: str | None = Field(description="Pass as `next_token` to get the next page; null on the last page.")


def scope_of(name: str, **filters: Any) -> str:
    """A canonical description of a listing and its filters (what a token is bound to)."""
    parts = [f"{key}={'' if value is None else value}" for key, value in sorted(filters.items())]
    return name + "?" + "&".join(parts)


def _digest(scope: str) -> str:
    return hashlib.sha256(scope.encode()).hexdigest()[:16]


def encode_token(key: Key, scope: str) -> str:
    payload = {"v": TOKEN_VERSION, "s": _digest(scope), "k": key}
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _valid_attribute_value(value: Any) -> bool:
    if not isinstance(value, dict) or len(value) != 1:
        return False
    (kind, text), = value.items()
    if not isinstance(text, str) or not 0 < len(text) <= 1024:
        return False
    if kind == "S":
        return True
    if kind == "N":
        try:
            number = Decimal(text)
        except InvalidOperation:
            return False
        return number.is_finite() and len(text) <= 38
    return False


def decode_token(token: str | None, scope: str, key_names: Iterable[str]) -> Key | None:
    """The start key carried by ``token`` (``None`` for the first page)."""
    if token is None:
        return None
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidPaginationTokenError()
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        # urlsafe_b64decode silently drops characters outside the alphabet: insist on a round trip
        if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != token.rstrip("="):
            raise InvalidPaginationTokenError()
        payload = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidPaginationTokenError() from None
    if not isinstance(payload, dict) or set(payload) != {"v", "s", "k"}:
        raise InvalidPaginationTokenError()
    if payload["v"] != TOKEN_VERSION or payload["s"] != _digest(scope):
        raise InvalidPaginationTokenError()
    key = payload["k"]
    if not isinstance(key, dict) or set(key) != set(key_names):
        raise InvalidPaginationTokenError()
    if not all(_valid_attribute_value(value) for value in key.values()):
        raise InvalidPaginationTokenError()
    return key


def fetch_page(
    run: Callable[[Key | None, int], Iterator[T]],
    *,
    limit: int,
    start_key: Key | None,
    page_size: int | None = None,
) -> tuple[list[T], Key | None]:
    """Read up to ``limit`` items from a pynamodb query/scan.

    ``run(start_key, page_size)`` must return a pynamodb ``ResultIterator`` (a query or scan
    with ``last_evaluated_key=start_key`` and ``page_size=page_size``). Returns the items and
    the key to resume from, or ``None`` when nothing is left.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError("limit out of range")
    iterator = run(start_key, page_size or limit + 1)
    items: list[T] = []
    try:
        for item in iterator:
            items.append(item)
            if len(items) == limit:
                break
        if len(items) < limit:
            return items, None
        resume_key = iterator.last_evaluated_key  # type: ignore[attr-defined]
        if resume_key is None:
            return items, None
        # peek: is there anything after the last item returned?
        for _ in iterator:
            return items, resume_key
        return items, None
    except (QueryError, ScanError) as exc:
        if start_key is not None and getattr(exc, "cause_response_code", None) == "ValidationException":
            raise InvalidPaginationTokenError() from exc
        raise


def paginate(
    run: Callable[[Key | None, int], Iterator[T]],
    *,
    limit: int,
    next_token: str | None,
    scope: str,
    key_names: Iterable[str],
    page_size: int | None = None,
) -> tuple[list[T], str | None]:
    """Decode ``next_token``, read one page, and encode the token of the following page."""
    key_names = list(key_names)
    start_key = decode_token(next_token, scope, key_names)
    items, resume_key = fetch_page(run, limit=limit, start_key=start_key, page_size=page_size)
    if resume_key is None:
        return items, None
    return items, encode_token({name: resume_key[name] for name in key_names}, scope)


M = TypeVar("M", bound=BaseModel)


def page_as(model: type[M], page: tuple[list[Any], str | None]) -> tuple[list[M], str | None]:
    """A page of records (what :func:`paginate` returns) as domain models (``from_attributes``)."""
    items, token = page
    return [model.model_validate(item) for item in items], token
