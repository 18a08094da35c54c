"""Reads of the interface's report operations (``stock_report``, ``count_low_stock``): live stock
rows page by page, the low-stock count, every location. Never writes.

A page of stock rows is a Scan of the stock table (every location) or a Query of its
``location-index`` (one location), filtered on live rows (``discontinued`` absent) and projected
on the few attributes a report needs; it resumes from the key of the last row returned, carried
in an opaque token bound to the request's scope (``shared.pagination``). Returns
:class:`inventory.models.StockFigures` and :class:`inventory.models.Location`.
"""

from __future__ import annotations

from collections.abc import Iterator

from inventory.dal.tables import LocationRecord, StockRecord
from inventory.models import Location, StockFigures
from inventory.settings import stock_settings
from shared import aws
from shared.dynamo import CONNECT_TIMEOUT_SECONDS, MAX_RETRY_ATTEMPTS, READ_TIMEOUT_SECONDS
from shared.pagination import Key, decode_token, encode_token, scope_of

REPORT_ATTRIBUTES = ["product_id", "location_id", "available", "reserved", "reorder_level"]
KEY_NAMES = ("product_id", "location_id")  # the table's key; the index's is the same two attributes


def live_stock_page(location_id: str | None, *, limit: int, page_token: str | None) -> tuple[list[StockFigures], str | None]:
    """Up to ``limit`` live stock rows (everywhere, or at ``location_id``) after ``page_token``,
    and the token of the next page (None: nothing left; a last page may be empty)."""
    scope = scope_of("stock_report", location_id=location_id)
    start: Key | None = decode_token(page_token, scope, KEY_NAMES)
    live = StockRecord.discontinued.does_not_exist()
    rows: Iterator[StockRecord]
    if location_id is None:
        rows = StockRecord.scan(live, last_evaluated_key=start, page_size=limit, attributes_to_get=REPORT_ATTRIBUTES)
    else:
        rows = StockRecord.by_location.query(location_id, filter_condition=live, last_evaluated_key=start,
                                             page_size=limit, attributes_to_get=REPORT_ATTRIBUTES)
    page: list[StockFigures] = []
    for row in rows:
        page.append(StockFigures.model_validate(row))
        if len(page) == limit:
            resume = rows.last_evaluated_key  # type: ignore[attr-defined]  (the key of the last row returned)
            return page, encode_token({name: resume[name] for name in KEY_NAMES}, scope) if resume else None
    return page, None


def low_stock_count() -> int:
    """Live rows with ``available <= reorder_level``: a counting Scan (no item comes back)."""
    client = aws.client("dynamodb", connect_timeout=CONNECT_TIMEOUT_SECONDS, read_timeout=READ_TIMEOUT_SECONDS,
                        retries=MAX_RETRY_ATTEMPTS)
    request = {
        "TableName": stock_settings().stock_table,
        "Select": "COUNT",
        "FilterExpression": "attribute_not_exists(discontinued) AND available <= reorder_level",
    }
    count = 0
    while True:
        page = client.scan(**request)
        count += page.get("Count", 0)
        if not page.get("LastEvaluatedKey"):
            return count
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def all_locations() -> list[Location]:
    """Every location (a small table: the warehouse and the stores)."""
    return sorted((Location.model_validate(record) for record in LocationRecord.scan()), key=lambda location: location.location_id)
