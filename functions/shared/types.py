"""Reusable pydantic field types for request and response models.

- ids are positive integers below 2**53 (safe in JavaScript clients and in DynamoDB numbers);
- money is ``Decimal`` with at most 2 decimal places, accepted as a JSON number or string and
  always returned as a string with exactly 2 decimals (``"19.90"``): no float ever touches it;
- quantities are integers between 0 and ``MAX_QUANTITY``; booleans are never numbers.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, StringConstraints

MAX_ID = 2**53 - 1
MAX_QUANTITY = 1_000_000_000
MAX_PRICE = Decimal("1000000.00")
CENT = Decimal("0.01")


# constraints (Field) come before validators in each Annotated: that way they land in the JSON
# schema as minimum/maximum instead of pydantic-specific keys


def _not_bool(value: Any) -> Any:
    # pydantic's lax mode reads True as 1; for a quantity or an id that is always a client bug
    if isinstance(value, bool):
        raise ValueError("booleans are not numbers")
    return value


def _to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


def format_money(value: Decimal) -> str:
    return f"{_to_cents(value):.2f}"


EntityId = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_not_bool)]
"""An integer identifier allocated by an atomic counter (1, 2, 3 ...)."""

Quantity = Annotated[int, Field(ge=0, le=MAX_QUANTITY), BeforeValidator(_not_bool)]
"""A number of units, never negative."""

QuantityDelta = Annotated[int, Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY), BeforeValidator(_not_bool)]
"""A signed change of a number of units."""

Money = Annotated[
    Decimal,
    Field(gt=0, le=MAX_PRICE, max_digits=12, decimal_places=2, examples=["19.99"]),
    BeforeValidator(_not_bool),
    AfterValidator(_to_cents),
    PlainSerializer(format_money, return_type=str, when_used="json"),
]
"""A positive amount of money (2 decimals), serialized as a string."""

MoneyOut = Annotated[Decimal, PlainSerializer(format_money, return_type=str, when_used="json")]
"""Money in responses (no input constraints)."""

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
