"""Inventory's data as reporting reaches it: through the inventory interface function
(``shared.contracts.inventory``: ``stock_report``, ``count_low_stock``, ``get_products``),
never inventory's tables (ADR 0001).

The stock report comes page by page (at most ``MAX_REPORT_ROWS`` rows per invoke, each with
its product's SKU, name and price; the locations on the first page): a chain's few thousand
rows are a few invokes, each answer far under Lambda's 6 MB.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from reporting.settings import InventorySettings
from shared.contracts.inventory import InventoryClient, InventoryRefusal, Location, Product, ReportRow


class UnknownLocation(Exception):
    """The stock report was asked for a location inventory does not know."""


@dataclass
class StockReport:
    locations: dict[str, Location] = field(default_factory=dict)
    rows: list[ReportRow] = field(default_factory=list)  # live rows only (deleted products left out)


def client() -> InventoryClient:
    return InventoryClient(InventorySettings.current().inventory_function)


def stock_report(location_id: str | None = None) -> StockReport:
    """Every live stock row (everywhere, or at ``location_id``) and the locations' names."""
    report = StockReport()
    try:
        for page in client().stock_report(location_id):
            report.locations.update((location.location_id, location) for location in page.locations)
            report.rows.extend(page.rows)
    except InventoryRefusal as exc:
        if exc.error_type == "LocationNotFound":
            raise UnknownLocation(location_id) from None
        raise
    return report


def low_stock_count() -> int:
    """Live rows with ``available <= reorder_level`` (inventory counts them)."""
    return client().count_low_stock()


def products_by_id(product_ids: Iterable[int]) -> dict[int, Product]:
    """Products by id, deleted ones included (a past best seller keeps its name)."""
    ids = sorted(set(product_ids))
    return client().get_products(ids, include_deleted=True) if ids else {}
