"""The inventory interface function (``InventoryInterfaceFunction``) against DynamoDB (AWS's
DynamoDB Local, as in the embedded cloud): what retail, e-commerce and reporting ask of inventory.

Its tables are created from template.yaml's definitions and it runs with the environment the
template gives it. The calls go through the callers' own client (``shared.contracts.inventory``)
with its Lambda invokes answered in-process by the function's handler (``InProcessInvokes``),
so the wire format (the request models, a refusal's ``errorType`` and JSON ``errorMessage``,
its mapping back to an exception) is the one deployed. Products, locations and stock rows are
set up with inventory's own models.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.integration.handler_harness import (
    InProcessInvokes,
    create_tables,
    environment,
    invoke_as_lambda,
)

pytestmark = pytest.mark.integration

FUNCTION = "InventoryInterfaceFunction"
LOCATION = "store-1"


# ---------------------------------------------------------------- template, AWS, tables
@pytest.fixture(scope="module")
def client(template: dict[str, Any], dynamodb_endpoint: str):
    """The interface's client as retail and e-commerce use it, answered in-process."""
    from shared.contracts.inventory import InventoryClient

    for _ in environment(create_tables(template, [FUNCTION], dynamodb_endpoint).values()):
        with InProcessInvokes(template, {FUNCTION}).installed():
            yield InventoryClient(FUNCTION)


_ids = iter(range(1, 1_000_000))


def new_product(*, price: str = "19.99", stock: dict[str, int] | None = None, deleted: bool = False) -> int:
    """A product written with inventory's models, with stock rows at ``stock``'s locations."""
    from inventory.dal.tables import ProductRecord, StockRecord

    product_id = next(_ids)
    now = datetime.now(UTC)
    ProductRecord(
        product_id, sku=f"SKU-{product_id:05d}", name=f"Product {product_id}", category_id=1, price=Decimal(price),
        reorder_level=2, search_text=f"product {product_id}", created_at=now, updated_at=now,
        deleted_at=now if deleted else None,
    ).save()
    for location_id, available in (stock or {}).items():
        StockRecord(product_id, location_id, available=available, reserved=0, reorder_level=2, updated_at=now).save()
    return product_id


@pytest.fixture(scope="module")
def location(client) -> str:
    from inventory.dal.tables import LocationRecord

    LocationRecord(LOCATION, name="Store 1", kind="store", created_at=datetime.now(UTC)).save()
    return LOCATION


def available(product_id: int, location_id: str = LOCATION) -> int:
    from inventory.dal.tables import StockRecord

    return StockRecord.get(product_id, location_id, consistent_read=True).available


def movements(product_id: int) -> list[Any]:
    from inventory.dal.tables import StockMovementRecord

    return list(StockMovementRecord.query(product_id, consistent_read=True))


def change(reference: str, lines: list[tuple[int, int]], *, kind: str = "sale", location_id: str = LOCATION):
    from shared.contracts.inventory import ApplyStockChanges, StockChange

    return ApplyStockChanges(
        reference=reference, location_id=location_id, kind=kind, reason=f"test {reference}",
        lines=[StockChange(product_id=pid, delta=delta) for pid, delta in lines],
    )


def reference() -> str:
    return f"sale-{uuid.uuid4().hex[:12]}"


# ---------------------------------------------------------------- catalogue
def test_product_reads_answer_live_products_only(client, location):
    live = new_product(price="12.50")
    gone = new_product(deleted=True)
    found = client.get_products([live, gone, 999_999])
    assert list(found) == [live]
    assert found[live].price == Decimal("12.50") and found[live].sku == f"SKU-{live:05d}"
    assert live in {product.product_id for product in client.list_products()}
    assert gone not in {product.product_id for product in client.list_products()}
    assert client.get_products([]) == {}


def test_stock_rows_of_a_location(client, location):
    from shared.contracts.inventory import InventoryRefusal

    product = new_product(stock={location: 7})
    rows = client.get_stock(location, [product, 999_998])
    assert list(rows) == [product] and rows[product].available == 7
    with pytest.raises(InventoryRefusal) as refused:
        client.get_stock("store-404", [product])
    assert refused.value.error_type == "LocationNotFound"


# ---------------------------------------------------------------- apply: one transaction, once per reference
def test_apply_takes_every_line_journals_it_and_prices_the_decrements(client, location):
    a, b = new_product(price="3.10", stock={location: 10}), new_product(price="5.00", stock={location: 3})
    ref = reference()
    applied = client.apply(change(ref, [(a, -4), (b, -3)]))
    assert not applied.replayed and applied.reference == ref
    assert [(line.product_id, line.available_before, line.available_after) for line in applied.lines] == [(a, 10, 6), (b, 3, 0)]
    assert [line.unit_price for line in applied.lines] == [Decimal("3.10"), Decimal("5.00")]
    assert available(a) == 6 and available(b) == 0
    journal = movements(a)
    assert [(m.kind, m.delta, m.available_before, m.available_after, m.reason) for m in journal] == [
        ("sale", -4, 10, 6, f"test {ref}")
    ]


def test_apply_is_idempotent_by_reference(client, location):
    from shared.contracts.inventory import InventoryRefusal

    product = new_product(stock={location: 5})
    ref = reference()
    first = client.apply(change(ref, [(product, -2)]))
    again = client.apply(change(ref, [(product, -2)]))  # a retry (an answer lost on the way back)
    assert again.replayed and again.lines == first.lines
    assert available(product) == 3 and len(movements(product)) == 1
    # the same reference for other changes is refused, and applies nothing
    with pytest.raises(InventoryRefusal) as refused:
        client.apply(change(ref, [(product, -1)]))
    assert refused.value.error_type == "ReferenceConflict"
    assert available(product) == 3 and len(movements(product)) == 1


def test_a_retry_after_the_stock_ran_out_still_answers_what_was_applied(client, location):
    product = new_product(stock={location: 2})
    ref = reference()
    client.apply(change(ref, [(product, -2)]))
    assert client.apply(change(ref, [(product, -2)])).replayed  # 0 left: still the first answer
    assert available(product) == 0


def test_all_lines_or_none_and_one_insufficient_stock_error(client, location):
    from shared.errors import InsufficientStock

    plenty, scarce, none = new_product(stock={location: 10}), new_product(stock={location: 1}), new_product()
    ref = reference()
    with pytest.raises(InsufficientStock) as short:
        client.apply(change(ref, [(plenty, -2), (scarce, -3), (none, -1)]))
    error = short.value
    assert error.status == 409 and error.code == "insufficient_stock" and error.location_id == location
    assert [(s.product_id, s.requested, s.available) for s in error.shortages] == [(scarce, 3, 1), (none, 1, 0)]
    assert available(plenty) == 10 and available(scarce) == 1
    assert movements(plenty) == [] and movements(scarce) == []
    # nothing was recorded under the reference: once there is stock, the same reference applies
    assert not client.apply(change(ref, [(plenty, -2)])).replayed
    assert available(plenty) == 8


def test_the_transaction_itself_refuses_stock_taken_after_the_read(client, location, monkeypatch):
    """The stock drops between the interface's read and its write: the transaction's condition
    refuses the line (the row as it was names what is available) and nothing is written."""
    from inventory.dal.tables import StockRecord
    from inventory.logic import interface
    from shared.errors import InsufficientStock

    plenty, scarce = new_product(stock={location: 10}), new_product(stock={location: 4})
    real = interface.dal.stock_rows

    def stale(location_id, product_ids):
        rows = real(location_id, product_ids)
        StockRecord(scarce, location_id).update(actions=[StockRecord.available.add(-3)])  # sold elsewhere
        return rows

    monkeypatch.setattr(interface.dal, "stock_rows", stale)
    with pytest.raises(InsufficientStock) as short:
        client.apply(change(reference(), [(plenty, -2), (scarce, -2)]))
    monkeypatch.undo()
    assert [(s.product_id, s.requested, s.available) for s in short.value.shortages] == [(scarce, 2, 1)]
    assert available(plenty) == 10 and available(scarce) == 1 and movements(plenty) == []


def test_concurrent_applies_never_take_stock_below_zero(client, location):
    from inventory.logic import interface
    from shared.errors import InsufficientStock

    product = new_product(stock={location: 5})
    outcomes: list[str] = []
    lock = threading.Lock()

    def take_one() -> None:
        try:
            interface.apply_stock_changes(change(reference(), [(product, -1)]))
            outcome = "ok"
        except InsufficientStock:
            outcome = "short"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=take_one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] * 5 + ["short"] * 3, outcomes
    assert available(product) == 0 and len(movements(product)) == 5


# ---------------------------------------------------------------- cancel by reference
def cancel(reference: str):
    from shared.contracts.inventory import CancelStockChanges

    return CancelStockChanges(reference=reference, reason=f"test: {reference} failed")


def test_cancel_reverses_what_a_reference_applied_once_and_refuses_it_afterwards(client, location):
    from shared.contracts.inventory import InventoryRefusal

    a, b = new_product(stock={location: 5}), new_product(stock={location: 3})
    ref = reference()
    client.apply(change(ref, [(a, -2), (b, -3)]))
    undone = client.cancel(cancel(ref))
    assert (undone.outcome, undone.replayed, undone.location_id) == ("undone", False, location)
    assert [(line.product_id, line.delta, line.available_before, line.available_after) for line in undone.lines] == [
        (a, 2, 3, 5), (b, 3, 0, 3)]
    assert available(a) == 5 and available(b) == 3
    assert sorted(m.kind for m in movements(a)) == ["sale", "sale-undo"]

    again = client.cancel(cancel(ref))  # a retry of the cancellation: nothing more
    assert again.outcome == "undone" and again.replayed and available(a) == 5
    with pytest.raises(InventoryRefusal) as refused:  # a retry of the apply: refused, not replayed
        client.apply(change(ref, [(a, -2), (b, -3)]))
    assert refused.value.error_type == "ReferenceCancelled" and available(a) == 5 and len(movements(a)) == 2


def test_cancel_before_any_apply_refuses_the_late_one(client, location):
    from shared.contracts.inventory import InventoryRefusal

    product, ref = new_product(stock={location: 4}), reference()
    cancelled = client.cancel(cancel(ref))
    assert (cancelled.outcome, cancelled.replayed, cancelled.lines) == ("never_applied", False, [])
    with pytest.raises(InventoryRefusal) as refused:
        client.apply(change(ref, [(product, -1)]))
    assert refused.value.error_type == "ReferenceCancelled"
    assert available(product) == 4 and movements(product) == []
    assert client.cancel(cancel(ref)).replayed


def test_cancel_that_cannot_take_returned_units_back_changes_nothing(client, location):
    from shared.errors import InsufficientStock

    product, ref = new_product(stock={location: 0}), f"return-{uuid.uuid4().hex[:8]}"
    client.apply(change(ref, [(product, 2)], kind="return"))
    client.apply(change(reference(), [(product, -2)]))  # the returned units are sold again
    with pytest.raises(InsufficientStock):
        client.cancel(cancel(ref))
    assert available(product) == 0
    assert client.apply(change(ref, [(product, 2)], kind="return")).replayed  # still applied, not cancelled


def test_an_apply_racing_its_cancellation_ends_with_the_stock_as_it_was(client, location):
    """Each reference is applied and cancelled at the same time: whichever wins, the units end
    where they started (applied then undone, or cancelled first and the apply refused)."""
    from inventory.errors import ReferenceCancelled
    from inventory.logic import interface

    product = new_product(stock={location: 20})
    refs = [reference() for _ in range(6)]
    errors: list[BaseException] = []

    def run(call) -> None:
        try:
            call()
        except ReferenceCancelled:  # the cancellation came first: the apply is refused
            pass
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(call,)) for ref in refs for call in (
        lambda ref=ref: interface.apply_stock_changes(change(ref, [(product, -2)])),
        lambda ref=ref: interface.cancel_stock_changes(cancel(ref)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert available(product) == 20
    kinds = [m.kind for m in movements(product)]
    assert kinds.count("sale") == kinds.count("sale-undo")


def test_units_come_back_and_refusals_name_the_rule(client, location):
    from shared.contracts.inventory import InventoryRefusal
    from shared.errors import StockRowMissing

    product = new_product(stock={location: 1})
    back = client.apply(change(f"return-{uuid.uuid4().hex[:8]}", [(product, 2)], kind="return"))
    assert back.lines[0].available_after == 3 and back.lines[0].unit_price is None
    assert [m.kind for m in movements(product)] == ["return"]

    rowless = new_product()
    with pytest.raises(StockRowMissing):
        client.apply(change(reference(), [(rowless, 1)], kind="return"))
    gone = new_product(stock={location: 5}, deleted=True)
    with pytest.raises(InventoryRefusal) as refused:
        client.apply(change(reference(), [(gone, -1)]))
    assert refused.value.error_type == "ProductNotFound" and refused.value.product_ids() == [gone]
    with pytest.raises(InventoryRefusal) as refused:
        client.apply(change(reference(), [(product, -1)], location_id="store-404"))
    assert refused.value.error_type == "LocationNotFound"
    assert available(gone) == 5


# ---------------------------------------------------------------- locations
def test_open_and_close_a_location_by_reference(client):
    from inventory.dal.tables import LocationRecord
    from shared.contracts.inventory import CloseLocation, InventoryRefusal, OpenLocation

    location_id = f"store-{next(_ids)}"
    opened = client.open_location(OpenLocation(reference="store-a", location_id=location_id, name="A", address="1 Main"))
    assert not opened.replayed and LocationRecord.get(location_id).opened_by == "store-a"
    assert client.open_location(OpenLocation(reference="store-a", location_id=location_id, name="A")).replayed
    with pytest.raises(InventoryRefusal) as refused:
        client.open_location(OpenLocation(reference="store-b", location_id=location_id, name="B"))
    assert refused.value.error_type == "LocationExists"
    with pytest.raises(InventoryRefusal) as refused:
        client.close_location(CloseLocation(reference="store-b", location_id=location_id))
    assert refused.value.error_type == "ReferenceConflict"
    assert not client.close_location(CloseLocation(reference="store-a", location_id=location_id)).replayed
    assert client.close_location(CloseLocation(reference="store-a", location_id=location_id)).replayed
    assert LocationRecord.count(location_id) == 0


# ---------------------------------------------------------------- the wire
def test_a_bad_request_is_an_invalid_input_function_error(template, client):
    from shared.contracts.inventory import InventoryUnavailable, remote_error
    from shared.saga import InvalidInput

    with pytest.raises(InvalidInput):
        invoke_as_lambda(template, FUNCTION, {"operation": "apply_stock_changes", "reference": "x"})
    with pytest.raises(InvalidInput):
        invoke_as_lambda(template, FUNCTION, {"operation": "drop_tables"})
    assert isinstance(remote_error({"errorType": "InvalidInput", "errorMessage": "bad"}), InventoryUnavailable)
    assert isinstance(remote_error({"errorType": "Sandbox.Timedout", "errorMessage": "timed out"}), InventoryUnavailable)


# ---------------------------------------------------------------- reports (reporting's reads)
def new_location() -> str:
    from inventory.dal.tables import LocationRecord

    location_id = f"report-{uuid.uuid4().hex[:8]}"
    LocationRecord(location_id, name=f"Store {location_id}", kind="store", created_at=datetime.now(UTC)).save()
    return location_id


def discontinue(product_id: int, location_id: str) -> None:
    """As inventory's soft delete leaves a deleted product's row."""
    from inventory.dal.tables import StockRecord

    StockRecord(product_id, location_id, available=4, reserved=0, reorder_level=2, discontinued=True,
                updated_at=datetime.now(UTC)).save()


def report_pages(location_id: str | None, limit: int) -> list[Any]:
    """Every page of the stock report, ``limit`` rows at most per invoke, as a caller loops."""
    from shared.contracts.inventory import StockReport, StockReportPage, invoke

    pages, token = [], None
    while True:
        page = StockReportPage.model_validate(
            invoke(FUNCTION, StockReport(location_id=location_id, limit=limit, page_token=token)))
        assert len(page.rows) <= limit
        pages.append(page)
        if page.next_page_token is None:
            return pages
        token = page.next_page_token
        assert len(pages) < 1000, "the report never ends"


def test_stock_report_of_one_location_pages_through_its_live_rows(client):
    here, elsewhere = new_location(), new_location()
    products = [new_product(price=f"{n}.25", stock={here: n, elsewhere: 50}) for n in range(1, 6)]
    gone = new_product(deleted=True)
    discontinue(gone, here)
    pages = report_pages(here, limit=2)
    assert len(pages) >= 3  # 5 rows, 2 a page
    assert [l.location_id for l in pages[0].locations] == [here] and pages[0].locations[0].name == f"Store {here}"
    assert all(page.locations == [] for page in pages[1:])  # the locations come with the first page only
    rows = [row for page in pages for row in page.rows]
    assert sorted(row.product_id for row in rows) == products  # once each; the deleted product left out
    assert {row.location_id for row in rows} == {here}
    first = next(row for row in rows if row.product_id == products[0])
    assert (first.available, first.reserved, first.reorder_level) == (1, 0, 2)
    assert (first.sku, first.name, first.price) == (f"SKU-{products[0]:05d}", f"Product {products[0]}", Decimal("1.25"))
    # the client loops the same pages (default limit: one page here)
    assert [row for page in client.stock_report(here) for row in page.rows] == \
        sorted(rows, key=lambda row: row.product_id)


def test_stock_report_of_every_location_and_the_low_stock_count(client):
    here, elsewhere = new_location(), new_location()
    low = new_product(stock={here: 1, elsewhere: 2})  # reorder level 2: both rows low
    fine = new_product(stock={here: 9})
    gone = new_product(deleted=True)
    discontinue(gone, elsewhere)  # a deleted product's row: left out
    pages = report_pages(None, limit=3)
    rows = [(row.product_id, row.location_id) for page in pages for row in page.rows]
    assert len(rows) == len(set(rows))  # no row twice across pages
    assert {(low, here), (low, elsewhere), (fine, here)} <= set(rows) and (gone, elsewhere) not in rows
    assert {here, elsewhere} <= {location.location_id for location in pages[0].locations}
    whole = [row for page in client.stock_report() for row in page.rows]
    assert sorted((row.product_id, row.location_id) for row in whole) == sorted(rows)
    assert client.count_low_stock() == sum(1 for row in whole if row.available <= row.reorder_level)


def test_stock_report_refusals(client):
    from shared.contracts.inventory import InventoryRefusal, InventoryUnavailable, StockReport, invoke

    with pytest.raises(InventoryRefusal) as refused:
        list(client.stock_report("store-404"))
    assert refused.value.error_type == "LocationNotFound"
    here = new_location()
    for n in range(2):
        new_product(stock={here: n + 5})
    token = report_pages(here, limit=1)[0].next_page_token
    assert token is not None
    with pytest.raises(InventoryUnavailable):  # a token of another report: a caller bug
        invoke(FUNCTION, StockReport(location_id=None, page_token=token))


def test_products_with_deleted_ones_for_reports(client):
    live, gone = new_product(), new_product(deleted=True)
    assert sorted(client.get_products([live, gone], include_deleted=True)) == [live, gone]
    assert list(client.get_products([live, gone])) == [live]
