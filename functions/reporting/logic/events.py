"""Stream records -> business facts (pure; no AWS calls).

A DynamoDB stream record becomes zero, one or two :class:`Fact`\\ s:

| source (table)          | event                                         | facts                       |
| ----------------------- | --------------------------------------------- | --------------------------- |
| retail sales            | INSERT                                        | ``sale``                    |
| retail returns          | INSERT                                        | ``return``                  |
| e-commerce orders       | INSERT                                        | ``order`` (+ ``cancellation`` if born cancelled) |
| e-commerce orders       | MODIFY, ``status`` becomes ``cancelled``      | ``cancellation``            |
| any                     | REMOVE, other MODIFYs                         | none (*ignored*)            |

The source is told by the table name in ``eventSourceARN`` (``SALES_TABLE``, ``RETURNS_TABLE``,
``ORDERS_TABLE``); a record from another table is classified by its shape (``return_id``,
``order_id``, ``sale_id``). A record whose image lacks what its kind needs (ids, a date,
numbers, lines) is *skipped* and logged: it can never succeed, so it must not block the shard.
Unknown attributes are ignored.

Each fact carries an idempotency ``key`` (``sale#12``, ``return#4``, ``order#7``,
``order#7#cancelled``): the business id, not the stream's ``eventID``, so that the same sale
seen twice (a redelivered batch, a replayed stream) is counted once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

FactKind = Literal["sale", "return", "order", "cancellation"]
SourceKind = Literal["sale", "return", "order"]
Outcome = Literal["facts", "ignored", "skipped"]

CANCELLED_STATUSES = frozenset({"cancelled", "canceled"})
MAX_LINES = 1000
MAX_ID = 2**53 - 1
MAX_AMOUNT = Decimal("1e12")


class BadRecord(ValueError):
    """The record cannot be understood (the reason is logged; the record is skipped)."""


@dataclass(frozen=True)
class Line:
    product_id: int
    quantity: int
    amount: Decimal  # line_total of a sale or order line, refund_amount of a return line


@dataclass(frozen=True)
class Fact:
    kind: FactKind
    key: str  # idempotency key: one business event is counted once
    day: date
    amount: Decimal  # sale total, refund total, order total
    lines: tuple[Line, ...]
    store_id: int | None = None
    entity_id: int = 0  # the sale, return or order id

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)


@dataclass
class ParsedRecord:
    index: int
    sequence_number: str | None
    event_id: str | None
    outcome: Outcome
    facts: list[Fact] = field(default_factory=list)
    reason: str | None = None


# ---------------------------------------------------------------- field readers
def _int(image: Mapping[str, Any], name: str, *, minimum: int = 1) -> int:
    value = image.get(name)
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise BadRecord(f"{name} is missing or not a number")
    try:
        number = Decimal(value)
        if not number.is_finite() or number != number.to_integral_value():
            raise BadRecord(f"{name} is not an integer")
    except InvalidOperation:
        raise BadRecord(f"{name} is not a number") from None
    result = int(number)
    if not minimum <= result <= MAX_ID:
        raise BadRecord(f"{name} is out of range")
    return result


def _money(image: Mapping[str, Any], name: str) -> Decimal:
    value = image.get(name)
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise BadRecord(f"{name} is missing or not a number")
    amount = Decimal(value)
    if not amount.is_finite() or abs(amount) > MAX_AMOUNT:
        raise BadRecord(f"{name} is not a finite amount")
    return amount


def _optional_money(image: Mapping[str, Any], name: str) -> Decimal | None:
    return None if image.get(name) is None else _money(image, name)


def _day(image: Mapping[str, Any], name: str) -> date:
    """The business day: ``<name>`` (YYYY-MM-DD), else the date part of ``created_at``."""
    for candidate in (image.get(name), image.get("created_at")):
        if isinstance(candidate, str) and len(candidate) >= 10:
            try:
                return date.fromisoformat(candidate[:10])
            except ValueError:
                continue
    raise BadRecord(f"neither {name} nor created_at holds a date")


def _lines(image: Mapping[str, Any], amount_name: str, *, fallback_unit_price: bool) -> tuple[Line, ...]:
    raw = image.get("lines")
    if not isinstance(raw, list) or not raw:
        raise BadRecord("lines is missing or empty")
    if len(raw) > MAX_LINES:
        raise BadRecord("too many lines")
    lines = []
    for position, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise BadRecord(f"lines[{position}] is not a map")
        try:
            product_id = _int(item, "product_id")
            quantity = _int(item, "quantity", minimum=0)
            amount = _optional_money(item, amount_name)
            if amount is None:
                if not fallback_unit_price:
                    raise BadRecord(f"{amount_name} is missing")
                amount = _money(item, "unit_price") * quantity
        except BadRecord as exc:
            raise BadRecord(f"lines[{position}]: {exc}") from None
        lines.append(Line(product_id, quantity, amount))
    return tuple(lines)


# ---------------------------------------------------------------- facts per kind
def sale_fact(image: Mapping[str, Any]) -> Fact:
    sale_id = _int(image, "sale_id")
    lines = _lines(image, "line_total", fallback_unit_price=True)
    total = _optional_money(image, "total")
    return Fact(
        kind="sale",
        key=f"sale#{sale_id}",
        day=_day(image, "sale_date"),
        amount=total if total is not None else sum((line.amount for line in lines), Decimal(0)),
        lines=lines,
        store_id=_int(image, "store_id"),
        entity_id=sale_id,
    )


def return_fact(image: Mapping[str, Any]) -> Fact:
    return_id = _int(image, "return_id")
    lines = _lines(image, "refund_amount", fallback_unit_price=False)
    total = _optional_money(image, "refund_total")
    return Fact(
        kind="return",
        key=f"return#{return_id}",
        day=_day(image, "return_date"),
        amount=total if total is not None else sum((line.amount for line in lines), Decimal(0)),
        lines=lines,
        store_id=_int(image, "store_id"),
        entity_id=return_id,
    )


def _order(image: Mapping[str, Any], kind: FactKind) -> Fact:
    order_id = _int(image, "order_id")
    lines = _lines(image, "line_total", fallback_unit_price=True)
    total = _optional_money(image, "total")
    return Fact(
        kind=kind,
        key=f"order#{order_id}" if kind == "order" else f"order#{order_id}#cancelled",
        day=_day(image, "order_date"),
        amount=total if total is not None else sum((line.amount for line in lines), Decimal(0)),
        lines=lines,
        entity_id=order_id,
    )


def is_cancelled(image: Mapping[str, Any] | None) -> bool:
    status = (image or {}).get("status")
    return isinstance(status, str) and status.strip().lower() in CANCELLED_STATUSES


def order_facts(event_name: str, new_image: Mapping[str, Any], old_image: Mapping[str, Any] | None) -> list[Fact]:
    if event_name == "INSERT":
        facts = [_order(new_image, "order")]
        if is_cancelled(new_image):
            facts.append(_order(new_image, "cancellation"))
        return facts
    # MODIFY: only the transition into "cancelled" matters
    if is_cancelled(new_image) and not is_cancelled(old_image):
        return [_order(new_image, "cancellation")]
    return []


# ---------------------------------------------------------------- classification
def table_name_of(event_source_arn: str | None) -> str | None:
    """``arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>`` -> ``<name>``."""
    if not event_source_arn or ":table/" not in event_source_arn:
        return None
    return event_source_arn.split(":table/", 1)[1].split("/", 1)[0] or None


def kind_by_shape(image: Mapping[str, Any]) -> SourceKind | None:
    if "return_id" in image:
        return "return"
    if "order_id" in image:
        return "order"
    if "sale_id" in image:
        return "sale"
    return None


def source_kind(
    event_source_arn: str | None, image: Mapping[str, Any], sources: Mapping[str, SourceKind]
) -> SourceKind | None:
    table = table_name_of(event_source_arn)
    if table is not None and table in sources:
        return sources[table]
    return kind_by_shape(image)


def facts_of(
    event_name: str | None,
    kind: SourceKind | None,
    new_image: Mapping[str, Any],
    old_image: Mapping[str, Any] | None,
) -> tuple[Outcome, list[Fact], str | None]:
    """What one record means: ``(outcome, facts, reason)``; raises nothing."""
    if event_name not in ("INSERT", "MODIFY", "REMOVE"):
        return "skipped", [], f"unknown eventName {event_name!r}"
    if event_name == "REMOVE":
        return "ignored", [], "REMOVE events do not change the reports"
    if kind is None:
        return "skipped", [], "neither the source table nor the item's shape tells what it is"
    try:
        if kind == "order":
            facts = order_facts(event_name, new_image, old_image)
            return ("facts", facts, None) if facts else ("ignored", [], "order change other than a cancellation")
        if event_name != "INSERT":
            return "ignored", [], f"{kind} {event_name} events do not change the reports"
        return "facts", [sale_fact(new_image) if kind == "sale" else return_fact(new_image)], None
    except BadRecord as exc:
        return "skipped", [], f"{kind}: {exc}"
