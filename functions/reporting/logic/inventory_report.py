"""GET /reports/inventory: stock levels, value and low-stock alerts per location.

Read live from inventory's interface function (``stock_report``: the live stock rows page by
page, each with its product's price, SKU and name, and the locations' names) rather than from
an aggregate of our own: inventory holds one row per (product, location) -- a few thousand for
a chain -- and the report must reflect stock *now*, including changes that emit no stream we
consume.

- Rows of deleted products (``discontinued``) are left out.
- ``stock_value`` is ``available x`` the product's current price (unknown price: 0).
- A row is low on stock when ``available <= reorder_level`` (inventory's rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from reporting.dal import inventory as dal
from reporting.logic.figures import ZERO
from reporting.logic.reports import served
from reporting.schemas import InventoryReport, InventoryTotals, LocationStock, LowStockAlert
from shared.errors import InvalidReferenceError


@dataclass
class LocationTotals:
    products: int = 0
    units_available: int = 0
    units_reserved: int = 0
    stock_value: Decimal = ZERO
    low_stock_count: int = 0


def is_low(available: int, reorder_level: int) -> bool:
    return available <= reorder_level


def inventory_report(*, location_id: str | None, limit: int) -> InventoryReport:
    try:
        stock = dal.stock_report(location_id)
    except dal.UnknownLocation:
        raise InvalidReferenceError(["query", "location_id"], "location", location_id) from None
    locations = stock.locations
    per_location: dict[str, LocationTotals] = {}
    if location_id is None:
        for known in locations:
            per_location[known] = LocationTotals()
    else:
        per_location[location_id] = LocationTotals()
    alerts: list[LowStockAlert] = []
    for row in stock.rows:
        available, reserved, reorder_level = row.available, row.reserved, row.reorder_level
        price = row.price if row.price is not None else ZERO
        totals = per_location.setdefault(row.location_id, LocationTotals())
        totals.products += 1
        totals.units_available += available
        totals.units_reserved += reserved
        totals.stock_value += price * available
        if is_low(available, reorder_level):
            totals.low_stock_count += 1
            alerts.append(
                LowStockAlert(
                    product_id=row.product_id,
                    sku=row.sku,
                    name=row.name,
                    location_id=row.location_id,
                    available=available,
                    reserved=reserved,
                    reorder_level=reorder_level,
                    shortfall=reorder_level - available,
                )
            )
    alerts.sort(key=lambda alert: (-alert.shortfall, alert.product_id, alert.location_id))
    grand = LocationTotals()
    for totals in per_location.values():
        grand.products += totals.products
        grand.units_available += totals.units_available
        grand.units_reserved += totals.units_reserved
        grand.stock_value += totals.stock_value
        grand.low_stock_count += totals.low_stock_count
    served("inventory")
    return InventoryReport(
        generated_at=datetime.now(UTC),
        location_id=location_id,
        totals=InventoryTotals(**vars(grand)),
        locations=[
            LocationStock(
                location_id=key,
                name=locations[key].name if key in locations else None,
                kind=locations[key].kind if key in locations else None,
                **vars(totals),
            )
            for key, totals in sorted(per_location.items())
        ],
        low_stock=alerts[:limit],
    )
