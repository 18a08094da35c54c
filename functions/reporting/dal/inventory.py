"""Reads of inventory's tables for the inventory report and the dashboard (never writes).

Item shapes are inventory's contract (functions/inventory/README.md). The stock table has one
row per (product, location): a few thousand rows for a chain, read with a paginated Scan
projected on the few attributes the report needs; rows of deleted products (``discontinued``)
are filtered out while reading. Products and locations are small tables, scanned.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from reporting.dal.client import number, pages, text
from reporting.dal.tables import LocationRow, ProductRow
from reporting.settings import InventoryTablesSettings

LIVE = "attribute_not_exists(discontinued)"


@dataclass(frozen=True)
class Stock:
    product_id: int
    location_id: str
    available: int
    reserved: int
    reorder_level: int


@dataclass(frozen=True)
class Product:
    product_id: int
    sku: str | None
    name: str | None
    price: Decimal | None


@dataclass(frozen=True)
class Location:
    location_id: str
    name: str | None
    kind: str | None


def _tables() -> InventoryTablesSettings:
    return InventoryTablesSettings.current()


def stock_rows(location_id: str | None = None) -> Iterator[Stock]:
    """Live stock rows, everywhere or at one location."""
    request = {
        "TableName": _tables().stock_table,
        "ProjectionExpression": "product_id, location_id, available, reserved, reorder_level",
        "FilterExpression": LIVE,
    }
    if location_id is not None:
        request["FilterExpression"] = f"{LIVE} AND location_id = :location"
        request["ExpressionAttributeValues"] = {":location": {"S": location_id}}
    for page in pages("scan", request):
        for item in page.get("Items", []):
            yield Stock(
                product_id=int(number(item.get("product_id")) or 0),
                location_id=text(item.get("location_id")) or "",
                available=int(number(item.get("available")) or 0),
                reserved=int(number(item.get("reserved")) or 0),
                reorder_level=int(number(item.get("reorder_level")) or 0),
            )


def low_stock_count() -> int:
    """Live rows with ``available <= reorder_level`` (a counting Scan: no item comes back)."""
    request = {
        "TableName": _tables().stock_table,
        "Select": "COUNT",
        "FilterExpression": f"{LIVE} AND available <= reorder_level",
    }
    return sum(page.get("Count", 0) for page in pages("scan", request))


def products() -> dict[int, Product]:
    request = {
        "TableName": _tables().products_table,
        "ProjectionExpression": "product_id, sku, #name, price",
        "ExpressionAttributeNames": {"#name": "name"},
    }
    out: dict[int, Product] = {}
    for page in pages("scan", request):
        for item in page.get("Items", []):
            product_id = int(number(item.get("product_id")) or 0)
            out[product_id] = Product(product_id, text(item.get("sku")), text(item.get("name")), number(item.get("price")))
    return out


def products_by_id(product_ids: Iterable[int]) -> dict[int, Product]:
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    rows = ProductRow.batch_get(ids, attributes_to_get=["product_id", "sku", "name", "price"])
    return {row.product_id: Product(row.product_id, row.sku, row.name, row.price) for row in rows}


def locations() -> dict[str, Location]:
    request = {
        "TableName": _tables().locations_table,
        "ProjectionExpression": "location_id, #name, kind",
        "ExpressionAttributeNames": {"#name": "name"},
    }
    out: dict[str, Location] = {}
    for page in pages("scan", request):
        for item in page.get("Items", []):
            location_id = text(item.get("location_id")) or ""
            out[location_id] = Location(location_id, text(item.get("name")), text(item.get("kind")))
    return out


def location_exists(location_id: str) -> bool:
    try:
        LocationRow.get(location_id, attributes_to_get=["location_id"])
    except LocationRow.DoesNotExist:
        return False
    return True


