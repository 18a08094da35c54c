"""Inventory's data as retail reaches it: through the inventory interface function
(``shared.contracts.inventory``), never inventory's tables.

Stock changes are idempotent by their reference: a sale's stock leaves under ``sale-<id>``, a
return's units come back under ``return-<id>``; either is taken back by cancelling its
reference (reversed if it was applied, refused later if it was not); a store's location is
opened (and, if the store cannot be written, closed) under ``store-<id>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from retail.settings import settings
from shared.contracts.inventory import (
    AppliedStockChanges,
    ApplyStockChanges,
    CancelledStockChanges,
    CancelStockChanges,
    CloseLocation,
    InventoryClient,
    Location,
    MovementKind,
    OpenLocation,
    Product,
    StockChange,
    StockRow,
)


def client() -> InventoryClient:
    return InventoryClient(settings().inventory_function)


def live_products(product_ids: Iterable[int]) -> dict[int, Product]:
    """Live products by id (unknown and deleted ones left out)."""
    return client().get_products(list(product_ids))


def all_live_products() -> list[Product]:
    """The whole live catalogue (demo data)."""
    return client().list_products()


def stock_rows(location_id: str, product_ids: Iterable[int]) -> dict[int, StockRow]:
    """The stock rows of ``product_ids`` at ``location_id`` (missing rows left out)."""
    return client().get_stock(location_id, list(product_ids))


def change_stock(
    reference: str, location_id: str, lines: Sequence[tuple[int, int]], *, kind: MovementKind, reason: str
) -> AppliedStockChanges:
    """Apply (product_id, delta) lines at ``location_id`` in one transaction, once per ``reference``."""
    return client().apply(
        ApplyStockChanges(
            reference=reference,
            location_id=location_id,
            kind=kind,
            reason=reason[:200],
            lines=[StockChange(product_id=pid, delta=delta) for pid, delta in lines],
        )
    )


def cancel_stock_changes(reference: str, reason: str) -> CancelledStockChanges:
    """Take ``reference`` back: reversed if it was applied, refused to a later apply if not."""
    return client().cancel(CancelStockChanges(reference=reference, reason=reason[:200]))


def open_location(reference: str, location_id: str, name: str, address: str | None) -> Location:
    return client().open_location(
        OpenLocation(reference=reference, location_id=location_id, name=name, kind="store", address=address)
    )


def close_location(reference: str, location_id: str) -> Location:
    return client().close_location(CloseLocation(reference=reference, location_id=location_id))
