"""Stock changes inside retail's transactions: one conditional update of inventory's stock row
and one inventory stock movement per line, with the shapes inventory itself writes.

pynamodb sends a transaction's items in this order: condition checks, deletes, puts, updates;
DynamoDB's ``CancellationReasons`` come back in the same order (``shared.dynamo``). Retail
transactions have no condition checks or deletes, so a code's index is its put or update
position: :class:`Layout` keeps that arithmetic in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from inventory.dal.stock import new_movement_id
from retail.dal.tables import StockMovement, StoreStock
from shared.dynamo import cancellation_codes

CONDITION_FAILED = "ConditionalCheckFailed"
TRANSACTION_CONFLICT = "TransactionConflict"


@dataclass(frozen=True)
class StockChange:
    """One line's effect on a stock row (``delta`` < 0 for a sale, > 0 for a return)."""

    product_id: int
    delta: int
    available_before: int  # as read just before the transaction (see README: movements)
    reorder_level: int

    @property
    def available_after(self) -> int:
        return self.available_before + self.delta


class TransactionConflictError(Exception):
    """DynamoDB cancelled the transaction because another one touched the same items (retry)."""


@dataclass(frozen=True)
class FailedLine:
    line: int
    old_item: dict[str, Any] | None  # the item as it was (ReturnValuesOnConditionCheckFailure=ALL_OLD)


class ConditionFailedError(Exception):
    """Some items' conditions failed; ``stock`` and ``guards`` name the lines."""

    def __init__(self, stock: list[FailedLine], guards: list[FailedLine]) -> None:
        super().__init__(f"conditions failed: stock lines {[f.line for f in stock]}, guard lines {[f.line for f in guards]}")
        self.stock = stock
        self.guards = guards


def number(item: dict[str, Any] | None, name: str, default: int = 0) -> int:
    """An integer attribute of a raw DynamoDB item (``{"available": {"N": "3"}}``)."""
    if not item or name not in item or "N" not in item[name]:
        return default
    return int(item[name]["N"])


@dataclass(frozen=True)
class Layout:
    """Positions of a retail transaction's items: ``puts`` puts (the record, then one movement
    per line), then per line one stock update, then (returns) per line one guard update."""

    lines: int
    puts: int

    def stock_index(self, line: int) -> int:
        return self.puts + line

    def guard_index(self, line: int) -> int:
        return self.puts + self.lines + line

    def classify(self, exc: TransactWriteError, *, with_guards: bool = False) -> Exception:
        """The error a failed transaction means: conditions that failed, a conflict, or ``exc``."""
        reasons = exc.cancellation_reasons or []
        codes = cancellation_codes(exc)

        def failed(index_of) -> list[FailedLine]:
            found = []
            for line in range(self.lines):
                index = index_of(line)
                if index < len(codes) and codes[index] == CONDITION_FAILED:
                    reason = reasons[index]
                    found.append(FailedLine(line, reason.raw_item if reason else None))
            return found

        stock = failed(self.stock_index)
        guards = failed(self.guard_index) if with_guards else []
        if stock or guards:
            return ConditionFailedError(stock, guards)
        if TRANSACTION_CONFLICT in codes:
            return TransactionConflictError()
        return exc


def add_stock_change(
    tx: TransactWrite,
    change: StockChange,
    *,
    location_id: str,
    kind: str,
    reason: str,
    now: datetime,
) -> None:
    """Queue the movement put (a put) and the conditional stock update (an update).

    A decrement requires ``available >= units`` on a live (not discontinued) row; an increment
    requires the row to exist. Either returns the old item when its condition fails.
    """
    movement = StockMovement(
        change.product_id,
        new_movement_id(now),
        location_id=location_id,
        kind=kind,
        delta=change.delta,
        available_before=change.available_before,
        available_after=change.available_after,
        reason=reason,
        created_at=now,
    )
    tx.save(movement, condition=StockMovement.movement_id.does_not_exist())
    if change.delta < 0:
        condition = (StoreStock.available >= -change.delta) & StoreStock.discontinued.does_not_exist()
    else:
        condition = StoreStock.product_id.exists()
    tx.update(
        StoreStock(change.product_id, location_id),
        actions=[StoreStock.available.add(change.delta), StoreStock.updated_at.set(now)],
        condition=condition,
        return_values="ALL_OLD",
    )
