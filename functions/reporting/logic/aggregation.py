"""Facts -> additive deltas on daily aggregate items, packed into transactions (pure).

Aggregate items (table ``AGGREGATES_TABLE``; design in ../README.md):

| item        | pk                   | sk                              | counters                    |
| ----------- | -------------------- | ------------------------------- | --------------------------- |
| store-day   | ``STORE#YYYY-MM``    | ``YYYY-MM-DD#<store_id:010d>``  | ``STORE_METRICS``           |
| product-day | ``PRODUCT#YYYY-MM``  | ``YYYY-MM-DD#<product_id:016d>``| ``PRODUCT_METRICS``         |
| global-day  | ``GLOBAL#YYYY-MM``   | ``YYYY-MM-DD``                  | ``GLOBAL_METRICS``          |

Every counter only ever moves by ``UpdateItem ADD``, so deltas commute: the order in which
facts are applied does not matter, and the deltas of many facts on one item can be summed
before writing (one write per item and batch chunk instead of one per fact).

A :class:`WorkUnit` is what is committed atomically: one idempotency marker plus its deltas.
A fact is one unit unless it touches more items than a transaction holds (a sale with more
than ``MAX_TRANSACTION_ITEMS - 3`` distinct products): then it is split into parts, each with
its own marker (``sale#12#part1``), so each part is still applied exactly once.
:func:`pack` groups units, in stream order, into chunks of at most ``MAX_TRANSACTION_ITEMS``
transaction items (markers + distinct aggregate items).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from reporting.dal.items import (  # noqa: F401  (the key layout, re-exported for the rules' tests)
    GLOBAL,
    PRODUCT,
    STORE,
    AggKey,
    Delta,
    Deltas,
    Number,
    global_key,
    month_of,
    parse_sort_key,
    partition,
    product_key,
    sort_key_range,
    store_key,
)
from reporting.logic.events import Fact

MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit for TransactWriteItems

STORE_METRICS = ("sales_count", "revenue", "units", "returns_count", "returned_units", "refunds")
PRODUCT_METRICS = ("units", "revenue", "returned_units", "refunds", "online_units", "online_revenue")
GLOBAL_METRICS = (
    "sales_count", "revenue", "units", "returns_count", "returned_units", "refunds",
    "online_orders", "online_value", "cancellations", "cancelled_value",
)
MONEY_METRICS = frozenset({"revenue", "refunds", "online_revenue", "online_value", "cancelled_value"})


def _delta(deltas: Deltas, key: AggKey, **fields: str | int) -> Delta:
    delta = deltas.get(key)
    if delta is None:
        delta = deltas[key] = Delta(fields=dict(fields))
    return delta


def deltas_of(fact: Fact) -> Deltas:
    """The counter changes one fact causes, summed per aggregate item."""
    deltas: Deltas = {}
    day = fact.day.isoformat()
    glob = _delta(deltas, global_key(fact.day), day=day)
    if fact.kind in ("sale", "return"):
        assert fact.store_id is not None
        store = _delta(deltas, store_key(fact.day, fact.store_id), day=day, store_id=fact.store_id)
        if fact.kind == "sale":
            figures = {"sales_count": 1, "revenue": fact.amount, "units": fact.units}
        else:
            figures = {"returns_count": 1, "returned_units": fact.units, "refunds": fact.amount}
        store.add(**figures)
        glob.add(**figures)
        for line in fact.lines:
            product = _delta(deltas, product_key(fact.day, line.product_id), day=day, product_id=line.product_id)
            if fact.kind == "sale":
                product.add(units=line.quantity, revenue=line.amount)
            else:
                product.add(returned_units=line.quantity, refunds=line.amount)
    elif fact.kind == "order":
        glob.add(online_orders=1, online_value=fact.amount)
        for line in fact.lines:
            product = _delta(deltas, product_key(fact.day, line.product_id), day=day, product_id=line.product_id)
            product.add(online_units=line.quantity, online_revenue=line.amount)
    elif fact.kind == "cancellation":
        # the order's day keeps the order; its products lose the cancelled units
        glob.add(cancellations=1, cancelled_value=fact.amount)
        for line in fact.lines:
            product = _delta(deltas, product_key(fact.day, line.product_id), day=day, product_id=line.product_id)
            product.add(online_units=-line.quantity, online_revenue=-line.amount)
    else:  # pragma: no cover - Fact.kind is a Literal
        raise ValueError(fact.kind)
    return deltas


def merge_deltas(parts: Iterable[Deltas]) -> Deltas:
    merged: Deltas = {}
    for deltas in parts:
        for key, delta in deltas.items():
            target = merged.get(key)
            if target is None:
                merged[key] = Delta(fields=dict(delta.fields), counters=dict(delta.counters))
            else:
                target.merge(delta)
    return merged


# ---------------------------------------------------------------- units and chunks
@dataclass
class WorkUnit:
    marker: str  # idempotency key written with attribute_not_exists
    deltas: Deltas
    record_index: int  # position of the stream record in the batch

    @property
    def size(self) -> int:
        return 1 + len(self.deltas)


def units_of(fact: Fact, record_index: int, *, max_items: int = MAX_TRANSACTION_ITEMS) -> list[WorkUnit]:
    deltas = deltas_of(fact)
    if 1 + len(deltas) <= max_items:
        return [WorkUnit(fact.key, deltas, record_index)]
    keys = list(deltas)
    per_part = max_items - 1
    return [
        WorkUnit(f"{fact.key}#part{number}", {key: deltas[key] for key in keys[start : start + per_part]}, record_index)
        for number, start in enumerate(range(0, len(keys), per_part))
    ]


@dataclass
class Chunk:
    units: list[WorkUnit] = field(default_factory=list)
    keys: set[AggKey] = field(default_factory=set)

    @property
    def size(self) -> int:
        return len(self.units) + len(self.keys)

    def fits(self, unit: WorkUnit, max_items: int) -> bool:
        return self.size + 1 + len(unit.deltas.keys() - self.keys) <= max_items

    def add(self, unit: WorkUnit) -> None:
        self.units.append(unit)
        self.keys |= unit.deltas.keys()

    @property
    def first_record(self) -> int:
        return min(unit.record_index for unit in self.units)

    def deltas(self) -> Deltas:
        return merge_deltas(unit.deltas for unit in self.units)


def pack(units: Iterable[WorkUnit], *, max_items: int = MAX_TRANSACTION_ITEMS) -> Iterator[Chunk]:
    """Greedy, in order: a chunk is closed when the next unit would not fit."""
    chunk = Chunk()
    for unit in units:
        if unit.size > max_items:
            raise ValueError("a work unit larger than a transaction")  # units_of prevents this
        if chunk.units and not chunk.fits(unit, max_items):
            yield chunk
            chunk = Chunk()
        chunk.add(unit)
    if chunk.units:
        yield chunk


def dedupe(units: Iterable[WorkUnit]) -> tuple[list[WorkUnit], list[WorkUnit]]:
    """Units with a marker already seen earlier in the batch are duplicates."""
    seen: set[str] = set()
    kept, duplicates = [], []
    for unit in units:
        if unit.marker in seen:
            duplicates.append(unit)
        else:
            seen.add(unit.marker)
            kept.append(unit)
    return kept, duplicates
