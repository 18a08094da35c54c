"""Pure rules of the retail domain: limits, pricing, refunds, low stock, periods.

Nothing here reads or writes a table; everything is unit-tested in tests/unit/test_retail_rules.py.

**Line limits.** A sale's stock leaves in one inventory transaction (the "applied" record plus,
per line, a stock update and a movement: at most ``MAX_CHANGE_LINES`` = 49 lines,
``shared.contracts.inventory``); a return claims its returned quantities in one retail
transaction (a guard per line) and puts the units back in one inventory transaction. Every sale
must stay returnable in one return. Sales and returns take at most 33 lines, the limit the API
has always had (when a return was one transaction of 1 + 3 items per line)::

    MAX_SALE_LINES = MAX_RETURN_LINES = 33 <= MAX_CHANGE_LINES = 49
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

from retail.errors import Excess, InvalidPeriodError, ReturnExceedsSaleError, not_in_sale_error
from shared.contracts.inventory import MAX_CHANGE_LINES
from shared.models import iso
from shared.types import CENT

MAX_SALE_LINES = MAX_RETURN_LINES = 33
assert MAX_SALE_LINES <= MAX_CHANGE_LINES

MAX_LINE_QUANTITY = 10_000  # units of one product on one line


# ---------------------------------------------------------------- lines
def duplicate_products(product_ids: Sequence[int]) -> str | None:
    """A message naming the products that appear on more than one line, or ``None``."""
    first: dict[int, int] = {}
    repeated: dict[int, list[int]] = {}
    for index, product_id in enumerate(product_ids):
        if product_id in first:
            repeated.setdefault(product_id, [first[product_id]]).append(index)
        else:
            first[product_id] = index
    if not repeated:
        return None
    parts = [f"product {pid} is on lines {', '.join(map(str, idx))}" for pid, idx in repeated.items()]
    return "each product may appear on one line only (" + "; ".join(parts) + ")"


@dataclass(frozen=True)
class PricedLine:
    product_id: int
    quantity: int
    unit_price: Decimal
    line_total: Decimal


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def price_lines(lines: Iterable[tuple[int, int]], prices: Mapping[int, Decimal]) -> list[PricedLine]:
    """Price (product_id, quantity) lines at the catalogue's ``prices`` (never the client's)."""
    priced = []
    for product_id, quantity in lines:
        if quantity < 1:
            raise ValueError("quantity must be at least 1")
        unit_price = money(prices[product_id])
        priced.append(PricedLine(product_id, quantity, unit_price, money(unit_price * quantity)))
    return priced


def sale_total(lines: Iterable[PricedLine]) -> Decimal:
    return money(sum((line.line_total for line in lines), Decimal(0)))


def item_count(lines: Iterable[PricedLine]) -> int:
    return sum(line.quantity for line in lines)


def is_low(available: int, reorder_level: int) -> bool:
    return available <= reorder_level


def crossed_into_low_stock(before: int, after: int, reorder_level: int) -> bool:
    """A change that takes a stock row to or below its reorder level (a LowStockAlert)."""
    return not is_low(before, reorder_level) and is_low(after, reorder_level)


# ---------------------------------------------------------------- returns
@dataclass(frozen=True)
class SoldLine:
    product_id: int
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class RefundLine:
    product_id: int
    quantity: int
    sold: int  # units of the product on the sale
    refund_amount: Decimal


def compute_refund(
    sale_id: int,
    sold: Sequence[SoldLine],
    requested: Sequence[tuple[int, int]],
    already_returned: Mapping[int, int],
) -> list[RefundLine]:
    """Refund lines for returning ``requested`` (product_id, quantity) from a sale.

    Each line is refunded at the unit price it was sold at. A product not on the sale is a
    422 (``invalid_reference``); asking for more than was sold minus what earlier returns took
    back is a 409 (``return_exceeds_sale``). The transaction re-checks the second rule with a
    condition, so concurrent returns cannot both pass it.
    """
    by_product = {line.product_id: line for line in sold}
    missing = [(index, pid) for index, (pid, _) in enumerate(requested) if pid not in by_product]
    if missing:
        raise not_in_sale_error(sale_id, missing)
    excesses = []
    refunds = []
    for index, (product_id, quantity) in enumerate(requested):
        line = by_product[product_id]
        returned = already_returned.get(product_id, 0)
        if returned + quantity > line.quantity:
            excesses.append(Excess(index, product_id, line.quantity, returned, quantity))
            continue
        refunds.append(RefundLine(product_id, quantity, line.quantity, money(line.unit_price * quantity)))
    if excesses:
        raise ReturnExceedsSaleError(sale_id, excesses)
    return refunds


def refund_total(lines: Iterable[RefundLine]) -> Decimal:
    return money(sum((line.refund_amount for line in lines), Decimal(0)))


# ---------------------------------------------------------------- time
timestamp = iso
"""ISO-8601 UTC with milliseconds and a ``Z``: ``2026-11-24T14:03:12.345Z`` (sorts as text, how
sales and returns store ``created_at``)."""


def day(moment: datetime) -> str:
    """The UTC date of a moment, ``YYYY-MM-DD``."""
    return moment.astimezone(UTC).date().isoformat()


def parse_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Period:
    """Inclusive UTC days; either end may be open."""

    start: date | None = None
    end: date | None = None

    @property
    def bounded(self) -> bool:
        return self.start is not None or self.end is not None

    def created_at_bounds(self) -> tuple[str, str]:
        """``created_at`` text bounds for a BETWEEN condition covering the period."""
        low = timestamp(datetime.combine(self.start, time.min, UTC)) if self.start else "0000"
        high = timestamp(datetime.combine(self.end, time.max, UTC)) if self.end else "9999"
        return low, high


def parse_date(text: str | None, field: str) -> date | None:
    if text is None:
        return None
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidPeriodError(field, f"{field} must be a date YYYY-MM-DD, got {text!r}") from None


def parse_period(date_from: str | None, date_to: str | None) -> Period:
    """The period of ``from``/``to`` query values (inclusive days; ``from`` <= ``to``)."""
    start = parse_date(date_from, "from")
    end = parse_date(date_to, "to")
    if start is not None and end is not None and start > end:
        raise InvalidPeriodError("to", f"to ({end}) is before from ({start})")
    return Period(start, end)


# ---------------------------------------------------------------- stores
STORE_LOCATION_PREFIX = "store-"


def location_of_store(store_id: int) -> str:
    """Store N is inventory's stock location ``store-N``."""
    return f"{STORE_LOCATION_PREFIX}{store_id}"


def store_of_location(location_id: str) -> int | None:
    suffix = location_id.removeprefix(STORE_LOCATION_PREFIX)
    if suffix == location_id or not suffix.isdigit() or suffix.startswith("0"):
        return None
    return int(suffix)
