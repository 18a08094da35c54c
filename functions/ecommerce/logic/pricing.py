"""Prices and totals, computed from the catalogue, never from what a client sends (pure).

- ``unit_price`` is the catalogue price of the product when the line is priced;
  ``line_total = unit_price x quantity`` (exact: prices have 2 decimals).
- ``subtotal`` is the sum of the line totals; ``tax = subtotal x tax rate`` rounded half-up
  to the cent (one rate, ``TAX_RATE``, 14.975 % by default: Québec's GST 5 % + QST 9.975 %);
  ``total = subtotal + tax`` is what the customer pays.
- A product that is unknown or deleted is refused (``ProductNotFound``, 422).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ecommerce.errors import ProductNotFound
from ecommerce.models import Line, Totals  # what pricing gives: domain models

CURRENCY = "CAD"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class CatalogEntry:
    product_id: int
    sku: str
    name: str
    price: Decimal


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def price_line(entry: CatalogEntry, quantity: int) -> Line:
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    unit_price = to_cents(entry.price)
    return Line(
        product_id=entry.product_id,
        sku=entry.sku,
        name=entry.name,
        quantity=quantity,
        unit_price=unit_price,
        line_total=to_cents(unit_price * quantity),
    )


def price_lines(
    requested: Sequence[tuple[int, int]],
    catalogue: Mapping[int, CatalogEntry],
    loc_of: Callable[[int], list[str | int]] = lambda index: ["body", "lines", index, "product_id"],
) -> list[Line]:
    """Price ``(product_id, quantity)`` pairs; the first unknown product raises ``ProductNotFound``."""
    lines = []
    for index, (product_id, quantity) in enumerate(requested):
        entry = catalogue.get(product_id)
        if entry is None:
            raise ProductNotFound(product_id, loc_of(index))
        lines.append(price_line(entry, quantity))
    return lines


def tax_of(subtotal: Decimal, rate: Decimal) -> Decimal:
    return to_cents(subtotal * rate)


def summarize(lines: Sequence[Line], tax_rate: Decimal) -> Totals:
    subtotal = sum((line.line_total for line in lines), Decimal("0.00"))
    tax = tax_of(subtotal, tax_rate)
    return Totals(
        item_count=sum(line.quantity for line in lines),
        subtotal=to_cents(subtotal),
        tax=tax,
        total=to_cents(subtotal + tax),
        currency=CURRENCY,
    )
