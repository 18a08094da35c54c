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
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import Index
from pynamodb.models import Model

from shared.errors import InvalidPaginationTokenError

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
FILTERED_PAGE_SIZE = 250  # items DynamoDB evaluates per request when a filter may drop many
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


def key_names_of(table: type[Model], index: Index | None = None) -> list[str]:
    """The attributes of a cursor: the table's key, plus the index's key when reading an index
    (what DynamoDB returns as ``LastEvaluatedKey``)."""
    attributes = list(table.get_attributes().values())
    if index is not None:
        attributes += list(index.Meta.attributes.values())  # pynamodb collects them from the index class
    names: list[str] = []
    for attribute in attributes:
        if (attribute.is_hash_key or attribute.is_range_key) and attribute.attr_name not in names:
            names.append(attribute.attr_name)
    return names


def read_page(
    model: type[M],
    table: type[Model],
    *,
    scope: str,
    limit: int,
    next_token: str | None,
    hash_key: Any = None,
    index: Index | None = None,
    range_key_condition: Condition | None = None,
    filter_condition: Condition | None = None,
    newest_first: bool = False,
    sparse: bool | None = None,
) -> tuple[list[M], str | None]:
    """One page of a listing, as domain ``model`` objects, and the next page's token.

    With ``hash_key``: a Query of ``index`` (or of ``table`` itself) at that key, in key order
    or ``newest_first``; without: a Scan of ``table``. ``filter_condition`` is applied while
    reading; when it may drop many items (``sparse``, by default whenever there is a filter)
    each request evaluates :data:`FILTERED_PAGE_SIZE` items so that a page still fills in few
    round trips. ``scope`` is :func:`scope_of` the listing and its filters.
    """
    if hash_key is None:
        if index is not None or range_key_condition is not None:
            raise ValueError("a query of an index or a key range needs a hash key")

        def run(start: Key | None, size: int) -> Iterator[Any]:
            return table.scan(filter_condition, last_evaluated_key=start, page_size=size)

    else:
        source: Any = index if index is not None else table

        def run(start: Key | None, size: int) -> Iterator[Any]:
            return source.query(
                hash_key,
                range_key_condition,
                filter_condition=filter_condition,
                scan_index_forward=False if newest_first else None,
                last_evaluated_key=start,
                page_size=size,
            )

    if sparse is None:
        sparse = filter_condition is not None
    return page_as(model, paginate(
        run,
        limit=limit,
        next_token=next_token,
        scope=scope,
        key_names=key_names_of(table, index),
        page_size=max(limit + 1, FILTERED_PAGE_SIZE) if sparse else None,
    ))
