"""Adding aggregate items up, and the ratios derived from the sums (pure).

Money is ``Decimal`` throughout; averages are rounded to the cent (half-even) and ratios to
4 decimal places, only when a report is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, ClassVar

ZERO = Decimal(0)
CENT = Decimal("0.01")
RATIO = Decimal("0.0001")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


def average(total: Decimal, count: int) -> Decimal:
    return cents(total / count) if count else ZERO.quantize(CENT)


def ratio(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """``part / whole`` with 4 decimals; ``None`` when ``whole`` is zero (undefined)."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATIO, rounding=ROUND_HALF_EVEN)


def change_ratio(current: Decimal | int, previous: Decimal | int) -> Decimal | None:
    """Relative change from ``previous`` to ``current`` (0.25 = +25 %); ``None`` from zero."""
    if not previous:
        return None
    return ((Decimal(current) - Decimal(previous)) / Decimal(previous)).quantize(RATIO, rounding=ROUND_HALF_EVEN)


@dataclass
class Figures:
    """Counters summed over aggregate items; subclasses list theirs as dataclass fields."""

    MONEY: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def counters(cls) -> tuple[str, ...]:
        return tuple(spec.name for spec in fields(cls))

    def add_item(self, item: Mapping[str, Any]) -> None:
        """Add the counters of an aggregate item (missing counters count as zero)."""
        for spec in fields(self):
            value = item.get(spec.name)
            if value:
                setattr(self, spec.name, getattr(self, spec.name) + (Decimal(value) if spec.name in self.MONEY else int(value)))

    def merge(self, other: Figures) -> None:
        for spec in fields(self):
            setattr(self, spec.name, getattr(self, spec.name) + getattr(other, spec.name))


@dataclass
class SalesFigures(Figures):
    """In-store sales and returns (a store-day, or the stores' part of a global-day)."""

    MONEY: ClassVar[frozenset[str]] = frozenset({"revenue", "refunds"})

    sales_count: int = 0
    revenue: Decimal = ZERO
    units: int = 0
    returns_count: int = 0
    returned_units: int = 0
    refunds: Decimal = ZERO

    @property
    def average_basket(self) -> Decimal:
        return average(self.revenue, self.sales_count)

    @property
    def net_revenue(self) -> Decimal:
        return self.revenue - self.refunds

    @property
    def returns_rate(self) -> Decimal | None:
        return ratio(self.returns_count, self.sales_count)


@dataclass
class OnlineFigures(Figures):
    """Online orders (global-day)."""

    MONEY: ClassVar[frozenset[str]] = frozenset({"online_value", "cancelled_value"})

    online_orders: int = 0
    online_value: Decimal = ZERO
    cancellations: int = 0
    cancelled_value: Decimal = ZERO

    @property
    def net_online_value(self) -> Decimal:
        return self.online_value - self.cancelled_value


@dataclass
class ProductFigures(Figures):
    """One product: in-store sales and returns, online units net of cancellations."""

    MONEY: ClassVar[frozenset[str]] = frozenset({"revenue", "refunds", "online_revenue"})

    units: int = 0
    revenue: Decimal = ZERO
    returned_units: int = 0
    refunds: Decimal = ZERO
    online_units: int = 0
    online_revenue: Decimal = ZERO

    @property
    def total_units(self) -> int:
        return self.units + self.online_units

    @property
    def total_revenue(self) -> Decimal:
        return self.revenue + self.online_revenue
