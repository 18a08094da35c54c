"""Reads and writes of returns (takes and returns :class:`retail.models.Return`) and of the
per-sale-line returned-quantity guards (the units a return puts back are inventory's:
``retail.dal.inventory``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError

from retail.dal.tables import RetailRegistry, ReturnRecord
from retail.models import Return
from shared.dynamo import (
    CONDITION_FAILED,
    TRANSACTION_CONFLICT,
    TransactionConflictError,
    cancellation_codes,
    get_as,
    record_of,
    transact_write,
)
from shared.pagination import read_page, scope_of

RETURNED_PREFIX = "returned#"


def returned_key(sale_id: int, product_id: int) -> str:
    return f"{RETURNED_PREFIX}{sale_id}#{product_id}"


@dataclass(frozen=True)
class ReturnedGuard:
    """``units`` of ``product_id`` come back from a sale line of ``sold`` units."""

    product_id: int
    units: int
    sold: int


def returned_quantities(sale_id: int, product_ids: Iterable[int]) -> dict[int, int]:
    """Units of each product of the sale already returned (consistent read)."""
    keys = {returned_key(sale_id, pid): pid for pid in set(product_ids)}
    found = {pid: 0 for pid in keys.values()}
    for item in RetailRegistry.batch_get(list(keys), consistent_read=True):
        found[keys[item.pk]] = int(item.counter or 0)
    return found


class GuardsRefused(Exception):
    """Some lines would take the returned quantity over the sold one (a concurrent return came
    first); ``lines`` are (line index, guard as it was)."""

    def __init__(self, lines: list[tuple[int, dict[str, Any] | None]]) -> None:
        super().__init__(f"returned-quantity guards refused lines {[line for line, _ in lines]}")
        self.lines = lines


def claim_returned(sale_id: int, guards: Sequence[ReturnedGuard]) -> None:
    """Count every line's units as returned, all or nothing: per line ``ADD counter :units``
    conditioned on ``counter <= sold - units`` (or no guard yet), so two concurrent returns of
    the same units cannot both pass. Raises :class:`GuardsRefused`,
    ``TransactionConflictError`` (retry) or the original error."""
    try:
        with transact_write() as tx:
            for guard in guards:
                tx.update(
                    RetailRegistry(returned_key(sale_id, guard.product_id)),
                    actions=[RetailRegistry.counter.add(guard.units), RetailRegistry.owner_id.set(sale_id)],
                    condition=RetailRegistry.counter.does_not_exist() | (RetailRegistry.counter <= guard.sold - guard.units),
                    return_values="ALL_OLD",
                )
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        reasons = exc.cancellation_reasons or []
        refused = [(line, reasons[line].raw_item if reasons[line] else None)
                   for line in range(len(guards)) if line < len(codes) and codes[line] == CONDITION_FAILED]
        if refused:
            raise GuardsRefused(refused) from None
        if TRANSACTION_CONFLICT in codes:
            raise TransactionConflictError() from None
        raise


def unclaim_returned(sale_id: int, guards: Sequence[ReturnedGuard]) -> None:
    """Compensation of :func:`claim_returned` (the return could not be completed)."""
    with transact_write() as tx:
        for guard in guards:
            tx.update(RetailRegistry(returned_key(sale_id, guard.product_id)),
                      actions=[RetailRegistry.counter.add(-guard.units)])


def put_return(returned: Return) -> Return:
    """Write the return (its ``return_id`` unused: it was just allocated)."""
    record_of(ReturnRecord, returned).save(condition=ReturnRecord.return_id.does_not_exist())
    return returned


def get_return(return_id: int) -> Return | None:
    return get_as(Return, ReturnRecord, return_id, consistent_read=True)


def list_returns(
    *, limit: int, next_token: str | None, sale_id: int | None, store_id: int | None
) -> tuple[list[Return], str | None]:
    """Returns of a sale (Query ``sale-index``), of a store newest first (Query
    ``store-date-index``), or all of them (Scan)."""
    by_sale = sale_id is not None
    return read_page(
        Return,
        ReturnRecord,
        scope=scope_of("returns", sale_id=sale_id, store_id=store_id),
        limit=limit,
        next_token=next_token,
        hash_key=sale_id if by_sale else store_id,
        index=ReturnRecord.by_sale if by_sale else ReturnRecord.by_store if store_id is not None else None,
        filter_condition=(ReturnRecord.store_id == store_id) if by_sale and store_id is not None else None,
        newest_first=not by_sale,
    )
