"""Bulk writes for the demo data (infra/seed/retail.py): explicit ids, batch writes (takes and
returns :mod:`retail.models`).

Not for request paths: historical sales and returns are written as records only, without
touching stock (see README, "Demo data"), and batch writes have no conditions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from pynamodb.exceptions import UpdateError

from retail.dal.returns import returned_key
from retail.dal.stores import STORE_NAME
from retail.dal.tables import RetailRegistry, ReturnRecord, SaleRecord, StoreRecord
from retail.models import Return, Sale, SeedMarker, Store
from shared.dynamo import (
    add_guard,
    counter_key,
    get_as,
    is_conditional_failure,
    record_of,
    save_all,
    transact_write,
)

MARKER_PREFIX = "seed#"


def put_store(store: Store) -> None:
    """Write a store with an explicit id and claim its name (its location is handled apart)."""
    with transact_write() as tx:
        tx.save(record_of(StoreRecord, store), condition=StoreRecord.store_id.does_not_exist())
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


def get_marker(name: str) -> SeedMarker | None:
    return get_as(SeedMarker, RetailRegistry, f"{MARKER_PREFIX}{name}", consistent_read=True)


def put_marker(name: str, *, counter: int, owner_id: int, created_at: datetime) -> None:
    RetailRegistry(f"{MARKER_PREFIX}{name}", counter=counter, owner_id=owner_id, created_at=created_at).save()


def import_history(sales: Sequence[Sale], returns: Sequence[Return], returned: Mapping[tuple[int, int], int]) -> None:
    """Write sales, returns and their returned-quantity guards (``(sale_id, product_id)`` ->
    units returned), 25 items per request."""
    save_all(SaleRecord, sales)
    save_all(ReturnRecord, returns)
    with RetailRegistry.batch_write() as batch:
        for (sale_id, product_id), units in sorted(returned.items()):
            batch.save(RetailRegistry(returned_key(sale_id, product_id), counter=units, owner_id=sale_id))
