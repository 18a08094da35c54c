"""GET /reports/inventory: stock levels, value and low-stock alerts per location.

Read live from inventory's tables (a paginated Scan of the stock rows, the products for their
price, SKU and name, the locations for their names) rather than from an aggregate of our own:
the stock table holds one row per (product, location) -- a few thousand for a chain -- and
the report must reflect stock *now*, including changes that emit no stream we consume.

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
    if location_id is not None and not dal.location_exists(location_id):
        raise InvalidReferenceError(["query", "location_id"], "location", location_id)
    products = dal.products()
    locations = dal.locations()
    per_location: dict[str, LocationTotals] = {}
    if location_id is None:
        for known in locations:
            per_location[known] = LocationTotals()
    else:
        per_location[location_id] = LocationTotals()
    alerts: list[LowStockAlert] = []
    for row in dal.stock_rows(location_id):
        available, reserved, reorder_level = row.available, row.reserved, row.reorder_level
        product = products.get(row.product_id)
        price = product.price if product is not None and product.price is not None else ZERO
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
                    sku=product.sku if product else None,
                    name=product.name if product else None,
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
