"""Reusable pydantic field types for request and response models.

- ids are positive integers below 2**53 (safe in JavaScript clients and in DynamoDB numbers);
- money is ``Decimal`` with at most 2 decimal places, accepted as a JSON number or string and
  always returned as a string with exactly 2 decimals (``"19.90"``): no float ever touches it;
- quantities are integers between 0 and ``MAX_QUANTITY``; booleans are never numbers;
- free text is checked as sent (length, "not blank") and stored without its surrounding
  whitespace; the JSON schema states exactly what is accepted (see :func:`text`).
- a response model derives from :class:`Output`: it is built from any object that has its
  fields as attributes (a domain model, a pynamodb record) with ``XOut.model_validate(obj)``,
  the one record/model -> response mapping of every domain (no field-by-field copies).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

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

MONEY_PATTERN = r"^(?:[1-9][0-9]{0,5}(?:\.[0-9]{1,2})?|0\.(?:[1-9][0-9]?|0[1-9])|1000000(?:\.00?)?)$"
"""0.01 .. 1000000.00 as text: digits, at most 2 decimals, no sign, exponent or padding."""
MONEY_SCHEMA = {
    "anyOf": [
        {"type": "number", "exclusiveMinimum": 0, "maximum": int(MAX_PRICE), "multipleOf": 0.01},
        {"type": "string", "pattern": MONEY_PATTERN},
    ],
    "examples": ["19.99"],
}


def _money_input(value: Any) -> Any:
    """What MONEY_SCHEMA states, checked exactly (JSON numbers arrive as Decimal, never float)."""
    if isinstance(value, bool):
        raise ValueError("booleans are not numbers")
    if isinstance(value, str):
        if not re.fullmatch(MONEY_PATTERN, value):
            raise ValueError('an amount is 0.01..1000000.00 with at most 2 decimals, e.g. "19.99"')
        return Decimal(value)
    if isinstance(value, int | float | Decimal):
        amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        try:
            if not (amount.is_finite() and 0 < amount <= MAX_PRICE and amount % CENT == 0):
                raise ValueError
        except (ValueError, InvalidOperation):
            raise ValueError("an amount is 0.01..1000000.00 with at most 2 decimals") from None
        return amount
    return value  # any other type: pydantic's own error


Money = Annotated[
    Decimal,
    BeforeValidator(_money_input),
    AfterValidator(_to_cents),
    PlainSerializer(format_money, return_type=str, when_used="json"),
    WithJsonSchema(MONEY_SCHEMA, mode="validation"),
]
"""A positive amount of money (2 decimals), serialized as a string."""

MoneyOut = Annotated[Decimal, PlainSerializer(format_money, return_type=str, when_used="json")]
"""Money in responses (no input constraints)."""

# Every character Python's str.strip() removes (str.isspace), spelled out: `\s` means something
# else in each regex engine that reads the document (pydantic's Rust engine, Python's re, ECMA-262)
WHITESPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
NOT_BLANK_PATTERN = f"^[{WHITESPACE}]*[^{WHITESPACE}]"
"""Some character is not whitespace."""
NO_WHITESPACE = f"[^{WHITESPACE}]"
"""One character that is not whitespace (for patterns such as e-mail addresses)."""


# Control characters (C0 and C1, DEL) that are not whitespace: never part of a name or a text a
# person typed; a NUL or an escape sequence stored in a name ends up in a page or a log.
CONTROL = "\\x00-\\x08\\x0e-\\x1b\\x7f-\\x84\\x86-\\x9f"
TEXT_PATTERN = f"^[^{CONTROL}]*$"
"""No control character."""
NAME_PATTERN = f"^[^{CONTROL}]*[^{WHITESPACE}{CONTROL}][^{CONTROL}]*$"
"""Some character is not whitespace, and none is a control character."""


def text(max_length: int, *, blank: bool = False) -> Any:
    """A free-text field: at most ``max_length`` characters as sent, no control character and,
    unless ``blank``, not only whitespace; stored stripped. The limits apply to the value as sent so that the schema (what a
    client can check) and the validation (what the API accepts) are the same set of strings:
    stripping first would accept ``"\\u0085"`` as blank-but-valid in the schema's eyes, or a
    padded value longer than ``maxLength``."""
    constraints = Field(max_length=max_length, pattern=TEXT_PATTERN) if blank else \
        Field(min_length=1, max_length=max_length, pattern=NAME_PATTERN)
    return Annotated[str, constraints, AfterValidator(str.strip)]


Name = text(200)
ShortText = text(500, blank=True)
LongText = text(2000, blank=True)


_MONTH_DAY = "(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
DATE_PATTERN = f"^([1-9][0-9]{{3}}|0[1-9][0-9]{{2}}|00[1-9][0-9]|000[1-9])-{_MONTH_DAY}$"
"""A calendar day YYYY-MM-DD, year 0001..9999 (what ``date.fromisoformat`` reads); with
``DATE_FORMAT`` the schema also rules out days a month does not have (``2026-02-30``)."""
DATE_FORMAT = {"format": "date"}


def schema_rules(
    *,
    not_null: tuple[str, ...] = (),
    exactly_one_of: tuple[str, ...] = (),
    at_least_one: bool = False,
    examples: list[dict[str, Any]] | None = None,
) -> Callable[[dict[str, Any], type], None]:
    """A model's ``json_schema_extra`` stating its model validator's rules in the schema, so that
    the OpenAPI document accepts what the model accepts:

    - ``not_null``: optional fields that may be omitted but not sent as ``null``;
    - ``exactly_one_of``: exactly one of these fields is given (``null`` counts as not given);
    - ``at_least_one``: a partial update names at least one field;

    and ``examples`` of valid bodies (with ids of the demo data, ``infra/seed``).
    """

    def extra(schema: dict[str, Any], model: type) -> None:
        properties = schema.get("properties", {})
        for name in not_null:
            prop = properties[name]
            branches = [branch for branch in prop.pop("anyOf", []) if branch.get("type") != "null"]
            if len(branches) == 1:
                prop.update(branches[0])
            elif branches:
                prop["anyOf"] = branches
            prop.pop("default", None)
        if exactly_one_of:
            schema["oneOf"] = [
                {"required": [name], "properties": {name: {"not": {"type": "null"}}}} for name in exactly_one_of
            ]
        if at_least_one:
            schema["minProperties"] = 1
        if examples:
            schema["examples"] = examples

    return extra


class Output(BaseModel):
    """The base of response models: ``XOut.model_validate(obj)`` reads ``obj``'s attributes
    (nested models and lists of them too)."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def values_of(cls, obj: Any) -> dict[str, Any]:
        """``obj``'s attributes named like this model's fields, for a response that combines
        several objects: ``TrendPoint(date=day, **SalesFiguresOut.values_of(sales), ...)``."""
        return {name: getattr(obj, name) for name in cls.model_fields}
