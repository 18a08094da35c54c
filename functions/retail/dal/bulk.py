"""Bulk writes for the demo data (infra/seed/retail.py): explicit ids, batch writes.

Not for request paths: historical sales and returns are written as records only, without
touching stock (see README, "Demo data"), and batch writes have no conditions.
"""

from __future__ import annotations

from collections.abc import Sequence

from pynamodb.exceptions import UpdateError

from retail.dal.stores import STORE_NAME
from retail.dal.tables import RetailRegistry, ReturnRecord, SaleRecord, StoreRecord
from shared.dynamo import add_guard, counter_key, is_conditional_failure, transact_write


def put_store(store: StoreRecord) -> None:
    """Write a store with an explicit id and claim its name (its location is handled apart)."""
    with transact_write() as tx:
        tx.save(store, condition=StoreRecord.store_id.does_not_exist())
        add_guard(tx, RetailRegistry, STORE_NAME, store.name.casefold(), store.store_id)


def raise_counter(name: str, floor: int) -> None:
    """Make counter ``name`` hand out ids above ``floor`` (never lowers it)."""
    item = RetailRegistry(counter_key(name))
    try:
        item.update(
            actions=[RetailRegistry.counter.set(floor)],
            condition=RetailRegistry.counter.does_not_exist() | (RetailRegistry.counter < floor),
        )
    except UpdateError as exc:
        if not is_conditional_failure(exc):
            raise


def get_marker(name: str) -> RetailRegistry | None:
    try:
        return RetailRegistry.get(f"seed#{name}", consistent_read=True)
    except RetailRegistry.DoesNotExist:
        return None


def put_marker(marker: RetailRegistry) -> None:
    marker.save()


def import_history(sales: Sequence[SaleRecord], returns: Sequence[ReturnRecord], guards: Sequence[RetailRegistry]) -> None:
    """Write sales, returns and their returned-quantity guards (25 items per request)."""
    with SaleRecord.batch_write() as batch:
        for sale in sales:
            batch.save(sale)
    with ReturnRecord.batch_write() as batch:
        for record in returns:
            batch.save(record)
    with RetailRegistry.batch_write() as batch:
        for guard in guards:
            batch.save(guard)
