"""The inventory interface: what another domain may ask of inventory's catalogue and stock.

Inventory owns its tables (products, locations, stock, movements); retail, e-commerce and
reporting reach them only through this interface: one Lambda function of the inventory service
(``InventoryInterfaceFunction``, handler ``inventory.handlers.interface.lambda_handler``),
invoked directly (``lambda:InvokeFunction``, ``RequestResponse``, no API event) with one of the
request models below as its event; its function name is in the caller's ``INVENTORY_FUNCTION``
(template.yaml, ``!Ref``). The models live here, in the shared package, so that both sides
import them without importing each other.

| ``operation``          | request                 | answer                 | errorType (business refusals) |
| ---------------------- | ----------------------- | ---------------------- | ----------------------------- |
| ``get_products``       | :class:`GetProducts`    | :class:`Products`      | - (unknown products are left out; deleted ones too unless ``include_deleted``) |
| ``list_products``      | :class:`ListProducts`   | :class:`Products`      | - (every live product: demo data) |
| ``get_stock``          | :class:`GetStock`       | :class:`StockRows`     | ``LocationNotFound`` |
| ``apply_stock_changes``| :class:`ApplyStockChanges` | :class:`AppliedStockChanges` | ``InsufficientStock``, ``ProductNotFound``, ``StockRowMissing``, ``LocationNotFound``, ``ReferenceConflict``, ``ReferenceCancelled`` |
| ``cancel_stock_changes`` | :class:`CancelStockChanges` | :class:`CancelledStockChanges` | ``InsufficientStock``, ``ProductNotFound`` (the reverse of a return cannot take the units back) |
| ``open_location``      | :class:`OpenLocation`   | :class:`Location`      | ``LocationExists``, ``ReferenceConflict`` |
| ``close_location``     | :class:`CloseLocation`  | :class:`Location`      | ``ReferenceConflict`` (opened by another reference) |
| ``stock_report``       | :class:`StockReport`    | :class:`StockReportPage` | ``LocationNotFound`` |
| ``count_low_stock``    | :class:`CountLowStock`  | :class:`LowStockCount` | - |

**stock_report** pages through the live stock rows (rows of deleted products, ``discontinued``,
are left out) of every location or of one, at most ``limit`` (<= :data:`MAX_REPORT_ROWS`) per
call, each with its product's SKU, name and current price (``None`` if the product is unknown);
the first page (no ``page_token``) also lists the locations (every one, or the one asked for),
with their names and kinds. The caller calls again with ``next_page_token`` until it is
``None``. A page of 1,000 rows is ~250 KB of JSON: far under Lambda's 6 MB answer, whatever
the chain's size. **count_low_stock** counts the live rows with ``available <= reorder_level``
(inventory's low-stock rule) everywhere, without reading them back.

**apply_stock_changes** applies every line at one location in ONE DynamoDB transaction, all or
nothing: a decrement requires ``available >= units`` on a live (not discontinued) row of a live
product; an increment requires the row to exist; each line journals a stock movement (``kind``,
``reason``). It is idempotent by ``reference`` (e.g. ``sale-123``): the transaction also puts an
"applied" record keyed by the reference, so a second call with the same reference (a retry,
an answer lost on the way back) applies nothing and answers what the first call did, with
``replayed: true``; the same reference with other lines or another location is a
``ReferenceConflict``, a cancelled reference a ``ReferenceCancelled``. The answer carries, per
line, the row before and after and, for decrements, the product's catalogue price, name and
SKU at that moment (a sale is priced by the same call that takes its stock: one invoke per
sale).

**cancel_stock_changes** takes a reference back, whatever became of it: what was applied under
it is reversed in one transaction (``outcome: "undone"``, the reverse lines), or, if nothing
was, the reference is recorded as cancelled (``"never_applied"``) and an apply of it arriving
later (an invoke the caller gave up on that still runs) is refused with ``ReferenceCancelled``.
A second cancel answers the first again (``replayed: true``). It is the compensation of a
sale or return whose stock call timed out or whose record could not be written.

**Errors.** A business refusal is a function error whose ``errorType`` is the class name above
(as the order saga's steps report theirs) and whose ``errorMessage`` is JSON:
``{"code": ..., "message": ..., "details": [...]}`` (the shape of the REST error body).
``InsufficientStock`` details name each short product with ``available`` and ``requested``;
``ProductNotFound`` details name each product (``id``). :func:`invoke` turns them back into
exceptions: the shared ``InsufficientStock``, ``StockRowMissing`` and
``ConcurrentModificationError`` as themselves, the others as :class:`InventoryRefusal` (the
caller maps them to its own API errors). Anything else (``InvalidInput``, a timeout, a
throttled invoke) is :class:`InventoryUnavailable`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, model_validator

from shared import aws
from shared.errors import AppError, ConcurrentModificationError, InsufficientStock, StockRowMissing
from shared.types import EntityId, Quantity, QuantityDelta

MAX_IDS = 100  # one BatchGetItem
MAX_CHANGE_LINES = 49  # one transaction: the applied record + 2 items per line <= 100
MAX_REPORT_ROWS = 1000  # stock_report rows per call: ~250 B of JSON each, far under Lambda's 6 MB answer

REFERENCE_PATTERN = r"^[A-Za-z0-9_.:#-]+$"
Reference = Annotated[str, StringConstraints(min_length=1, max_length=120, pattern=REFERENCE_PATTERN)]
LocationId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]
MovementKind = Literal["sale", "return", "transfer"]  # a cancellation journals "<kind>-undo"


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- catalogue
class GetProducts(_Message):
    operation: Literal["get_products"] = "get_products"
    product_ids: list[EntityId] = Field(max_length=MAX_IDS)
    include_deleted: bool = Field(default=False, description="Deleted products too (names of past sales: reports).")


class ListProducts(_Message):
    operation: Literal["list_products"] = "list_products"


class Product(_Message):
    product_id: EntityId
    sku: str
    name: str
    price: Decimal


class Products(_Message):
    products: list[Product]

    def by_id(self) -> dict[int, Product]:
        return {product.product_id: product for product in self.products}


# ---------------------------------------------------------------- stock
class GetStock(_Message):
    operation: Literal["get_stock"] = "get_stock"
    location_id: LocationId
    product_ids: list[EntityId] = Field(max_length=MAX_IDS)


class StockRow(_Message):
    product_id: EntityId
    available: Quantity
    reserved: Quantity
    reorder_level: Quantity
    discontinued: bool = False


class StockRows(_Message):
    location_id: str
    rows: list[StockRow]  # missing rows left out


class StockChange(_Message):
    product_id: EntityId
    delta: QuantityDelta = Field(description="Units added to `available` (< 0 takes them).")


class ApplyStockChanges(_Message):
    operation: Literal["apply_stock_changes"] = "apply_stock_changes"
    reference: Reference = Field(description="Idempotency: the same reference is applied once (e.g. `sale-123`).")
    location_id: LocationId
    kind: MovementKind
    reason: str = Field(min_length=1, max_length=200)
    lines: list[StockChange] = Field(min_length=1, max_length=MAX_CHANGE_LINES)

    @model_validator(mode="after")
    def _one_line_per_product(self) -> ApplyStockChanges:
        ids = [line.product_id for line in self.lines]
        if len(set(ids)) != len(ids):
            raise ValueError("each product may appear on one line only")
        if any(line.delta == 0 for line in self.lines):
            raise ValueError("a line must change the stock (delta != 0)")
        return self


class AppliedLine(_Message):
    product_id: EntityId
    delta: int
    available_before: int  # as read just before the transaction
    available_after: int
    reorder_level: int
    unit_price: Decimal | None = None  # decrements: the catalogue's price at that moment
    name: str | None = None
    sku: str | None = None


class AppliedStockChanges(_Message):
    reference: str
    location_id: str
    replayed: bool = False  # true: the reference had been applied already; nothing was applied now
    lines: list[AppliedLine]


class CancelStockChanges(_Message):
    operation: Literal["cancel_stock_changes"] = "cancel_stock_changes"
    reference: Reference = Field(description="The reference of the apply to take back.")
    reason: str = Field(min_length=1, max_length=200)


class CancelledStockChanges(_Message):
    reference: str
    outcome: Literal["undone", "never_applied"]  # never_applied: nothing was; a later apply is refused
    replayed: bool = False  # true: cancelled already; nothing was done now
    location_id: str | None = None  # undone: where
    lines: list[AppliedLine] = []  # undone: each line's reversal (delta, rows before and after)


# ---------------------------------------------------------------- locations
class OpenLocation(_Message):
    operation: Literal["open_location"] = "open_location"
    reference: Reference
    location_id: LocationId
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["store", "warehouse"] = "store"
    address: str | None = Field(default=None, max_length=500)


class CloseLocation(_Message):
    operation: Literal["close_location"] = "close_location"
    reference: Reference
    location_id: LocationId


class Location(_Message):
    location_id: str
    name: str | None = None
    kind: str | None = None
    address: str | None = None
    replayed: bool = False  # open: it was already open (same reference); close: already gone


# ---------------------------------------------------------------- reports (read only)
class StockReport(_Message):
    operation: Literal["stock_report"] = "stock_report"
    location_id: LocationId | None = None  # None: every location
    limit: int = Field(default=MAX_REPORT_ROWS, ge=1, le=MAX_REPORT_ROWS)
    page_token: str | None = Field(default=None, min_length=1, max_length=2048)  # the previous page's next_page_token


class ReportRow(_Message):
    product_id: EntityId
    location_id: str
    available: int
    reserved: int
    reorder_level: int
    sku: str | None = None  # the product's (None: the product is unknown)
    name: str | None = None
    price: Decimal | None = None


class StockReportPage(_Message):
    location_id: str | None
    locations: list[Location] = []  # first page only: every location, or the one asked for
    rows: list[ReportRow]
    next_page_token: str | None = None  # None: the last page


class CountLowStock(_Message):
    operation: Literal["count_low_stock"] = "count_low_stock"


class LowStockCount(_Message):
    count: int


Request = Annotated[
    Union[GetProducts, ListProducts, GetStock, ApplyStockChanges, CancelStockChanges, OpenLocation, CloseLocation,  # noqa: UP007
          StockReport, CountLowStock],
    Field(discriminator="operation"),
]
REQUEST = TypeAdapter(Request)


# ---------------------------------------------------------------- errors on the wire
def error_message(exc: AppError) -> str:
    """The ``errorMessage`` the interface reports for a business refusal (JSON)."""
    return json.dumps({"code": exc.code, "message": exc.message, "details": exc.details}, default=str)


class InventoryRefusal(Exception):
    """A business refusal of the interface that the caller maps to its own answer
    (``error_type``: ``ProductNotFound``, ``LocationNotFound``, ``LocationExists``,
    ``ReferenceConflict``, ``ReferenceCancelled``)."""

    def __init__(self, error_type: str, message: str, details: list[dict[str, Any]]) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.message = message
        self.details = details

    def product_ids(self) -> list[int]:
        return [int(d["id"]) for d in self.details if "id" in d]


class InventoryUnavailable(RuntimeError):
    """The interface failed for a reason that is not a business answer (a caller bug, a timeout,
    throttling): an internal error of the caller."""


def remote_error(payload: Any) -> Exception:
    """The exception a function error's payload (``errorType``, ``errorMessage``) stands for."""
    payload = payload if isinstance(payload, dict) else {}
    error_type = str(payload.get("errorType") or "Unhandled")
    try:
        body = json.loads(payload.get("errorMessage") or "")
        message, details = str(body["message"]), list(body.get("details") or [])
    except (TypeError, ValueError, KeyError):
        return InventoryUnavailable(f"inventory interface failed: {error_type}: {payload.get('errorMessage')}")
    if error_type == "InsufficientStock":
        return InsufficientStock.from_details(message, details)
    if error_type == "StockRowMissing":
        return StockRowMissing(message, details=details)
    if error_type == "ConcurrentModificationError":
        return ConcurrentModificationError(message, details=details)
    if error_type in ("ProductNotFound", "LocationNotFound", "LocationExists", "ReferenceConflict", "ReferenceCancelled"):
        return InventoryRefusal(error_type, message, details)
    return InventoryUnavailable(f"inventory interface failed: {error_type}: {message}")


# ---------------------------------------------------------------- the caller's side
READ_TIMEOUT_SECONDS = 8  # an invoke's answer, at most (the interface's own timeout is 10 s)
ATTEMPTS = 2  # the SDK retries a call that got no answer once (every effect is idempotent)
COMPENSATION_SECONDS = 3  # left to the caller after a change's last attempt, to take it back (cancel)


def read_timeout(reserve: float = COMPENSATION_SECONDS) -> int:
    """How long one attempt may wait for the answer: :data:`READ_TIMEOUT_SECONDS`, or less when
    the calling invocation times out sooner, so that every attempt has ended ``reserve`` seconds
    before it: a caller whose change got no answer still has the time to take it back
    (``shared.aws.seconds_left``, set by the caller's handler; a read keeps no reserve)."""
    left = aws.seconds_left()
    if left is None:
        return READ_TIMEOUT_SECONDS
    return max(1, min(READ_TIMEOUT_SECONDS, int((left - reserve) / ATTEMPTS)))


def lambda_client(reserve: float = COMPENSATION_SECONDS) -> Any:
    """The Lambda client for this call (``shared.aws``: one per read timeout, created once)."""
    return aws.client("lambda", connect_timeout=1, read_timeout=read_timeout(reserve), retries=ATTEMPTS - 1)


def invoke(function_name: str, request: BaseModel, *, reserve: float = COMPENSATION_SECONDS) -> dict[str, Any]:
    """Invoke the interface with ``request`` and return its answer (a dict), or raise what its
    function error stands for (:func:`remote_error`). An invoke the SDK retries (a timeout) is
    safe: every effect is idempotent by its reference. ``reserve``: the seconds the caller keeps
    after the call's last attempt (0 for a read: there is nothing to take back)."""
    response = lambda_client(reserve).invoke(
        FunctionName=function_name,
        InvocationType="RequestResponse",
        Payload=request.model_dump_json().encode(),
    )
    raw = response["Payload"].read()
    payload = json.loads(raw) if raw else None
    if response.get("FunctionError"):
        raise remote_error(payload)
    if not isinstance(payload, dict):
        raise InventoryUnavailable(f"inventory interface answered {raw[:200]!r}")
    return payload


class InventoryClient:
    """Typed calls of the interface at ``function_name``."""

    def __init__(self, function_name: str) -> None:
        self.function_name = function_name

    def get_products(self, product_ids: list[int], *, include_deleted: bool = False) -> dict[int, Product]:
        ids = sorted(set(product_ids))
        found: dict[int, Product] = {}
        for start in range(0, len(ids), MAX_IDS):
            request = GetProducts(product_ids=ids[start:start + MAX_IDS], include_deleted=include_deleted)
            found.update(Products.model_validate(invoke(self.function_name, request, reserve=0)).by_id())
        return found

    def list_products(self) -> list[Product]:
        return Products.model_validate(invoke(self.function_name, ListProducts(), reserve=0)).products

    def get_stock(self, location_id: str, product_ids: list[int]) -> dict[int, StockRow]:
        request = GetStock(location_id=location_id, product_ids=sorted(set(product_ids)))
        answer = StockRows.model_validate(invoke(self.function_name, request, reserve=0))
        return {row.product_id: row for row in answer.rows}

    def apply(self, request: ApplyStockChanges) -> AppliedStockChanges:
        return AppliedStockChanges.model_validate(invoke(self.function_name, request))

    def cancel(self, request: CancelStockChanges) -> CancelledStockChanges:
        return CancelledStockChanges.model_validate(invoke(self.function_name, request))

    def open_location(self, request: OpenLocation) -> Location:
        return Location.model_validate(invoke(self.function_name, request))

    def close_location(self, request: CloseLocation) -> Location:
        return Location.model_validate(invoke(self.function_name, request))

    def stock_report(self, location_id: str | None = None) -> Iterator[StockReportPage]:
        """Every page of the stock report (one invoke each, until ``next_page_token`` is None)."""
        token: str | None = None
        while True:
            page = StockReportPage.model_validate(
                invoke(self.function_name, StockReport(location_id=location_id, page_token=token), reserve=0)
            )
            yield page
            if page.next_page_token is None:
                return
            token = page.next_page_token

    def count_low_stock(self) -> int:
        return LowStockCount.model_validate(invoke(self.function_name, CountLowStock(), reserve=0)).count
