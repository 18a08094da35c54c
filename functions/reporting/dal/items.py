"""The aggregate table's item layout and what a write applies to one item (no rule here).

| item        | pk                   | sk                              |
| ----------- | -------------------- | ------------------------------- |
| store-day   | ``STORE#YYYY-MM``    | ``YYYY-MM-DD#<store_id:010d>``  |
| product-day | ``PRODUCT#YYYY-MM``  | ``YYYY-MM-DD#<product_id:016d>``|
| global-day  | ``GLOBAL#YYYY-MM``   | ``YYYY-MM-DD``                  |

``logic.aggregation`` decides which items a fact touches and by how much (:class:`Delta`);
``dal.aggregates`` writes the deltas and queries the items by these keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

STORE = "STORE"
PRODUCT = "PRODUCT"
GLOBAL = "GLOBAL"

Number = int | Decimal
AggKey = tuple[str, str]  # (pk, sk)


# ---------------------------------------------------------------- keys
def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def partition(kind: str, month: str) -> str:
    return f"{kind}#{month}"


def store_key(day: date, store_id: int) -> AggKey:
    return partition(STORE, month_of(day)), f"{day.isoformat()}#{store_id:010d}"


def product_key(day: date, product_id: int) -> AggKey:
    return partition(PRODUCT, month_of(day)), f"{day.isoformat()}#{product_id:016d}"


def global_key(day: date) -> AggKey:
    return partition(GLOBAL, month_of(day)), day.isoformat()


def sort_key_range(start: date, end: date) -> tuple[str, str]:
    """``sk BETWEEN lo AND hi`` selecting every item of the days ``start``..``end``."""
    return start.isoformat(), f"{end.isoformat()}#~"  # '~' sorts after every digit


def parse_sort_key(sk: str) -> tuple[date, int | None]:
    day, _, entity = sk.partition("#")
    return date.fromisoformat(day), (int(entity) if entity else None)


# ---------------------------------------------------------------- deltas
@dataclass
class Delta:
    """What one aggregate item receives: constant attributes (SET) and counters (ADD)."""

    fields: dict[str, str | int] = field(default_factory=dict)
    counters: dict[str, Number] = field(default_factory=dict)

    def add(self, **counters: Number) -> None:
        for name, value in counters.items():
            self.counters[name] = self.counters.get(name, 0) + value

    def merge(self, other: Delta) -> None:
        self.fields.update(other.fields)
        self.add(**other.counters)


Deltas = dict[AggKey, Delta]
