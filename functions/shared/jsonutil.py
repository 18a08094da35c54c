"""JSON helpers: money stays Decimal on the way in and on the way out.

``loads_strict`` is the request body parser of every resolver (``shared.api``):

- non-integer numbers are parsed as ``Decimal`` (``19.99`` stays exactly ``19.99``),
- ``NaN``/``Infinity`` are rejected,
- anything Python's parser cannot digest (very long integers, deep nesting) is reported as
  a ``json.JSONDecodeError`` so the resolver answers 422 instead of crashing.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

MAX_NUMBER_CHARS = 40  # longer numeric literals are never meaningful here


def _parse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError("number too long")
    return int(text)


def _parse_float(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError("number too long")
    return Decimal(text)


def loads_strict(data: str | bytes) -> Any:
    """Parse a request body; every failure is a ``json.JSONDecodeError``."""
    text = data.decode("utf-8", errors="strict") if isinstance(data, bytes | bytearray) else data
    try:
        return json.loads(
            text,
            parse_float=_parse_float,
            parse_int=_parse_int,
            parse_constant=_parse_constant,
        )
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError, TypeError) as exc:
        raise json.JSONDecodeError(str(exc) or type(exc).__name__, text if isinstance(text, str) else "", 0) from exc


def default(obj: Any) -> Any:
    """``json.dumps`` default: Decimal as a string, dates as ISO 8601, sets as sorted lists."""
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, set | frozenset):
        return sorted(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


def dumps(obj: Any, **kwargs: Any) -> str:
    kwargs.setdefault("separators", (",", ":"))
    return json.dumps(obj, default=default, **kwargs)
