"""Inventory's order-saga stock functions (check, reserve, release, commit) against DynamoDB
(AWS's DynamoDB Local, as in the embedded cloud), called in-process with the JSON events the
state machine sends, next to the inventory REST API (products, stock levels, movements).

The tables are created from template.yaml's own definitions, for the variables the template
gives InventoryFunction and the four saga functions, so a key or a variable missing from the
template fails here.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from tests.integration.handler_harness import (
    REGION,
    RestApi,
    create_tables,
    environment,
    handler_module,
    invoke_as_lambda,
)

pytestmark = pytest.mark.integration

API_FUNCTION = "InventoryFunction"
SAGA_FUNCTIONS = {
    "InventoryCheckStockFunction": "check_stock_handler",
    "InventoryReserveStockFunction": "reserve_stock_handler",
    "InventoryReleaseStockFunction": "release_stock_handler",
    "InventoryCommitStockFunction": "commit_stock_handler",
}


# ---------------------------------------------------------------- template, AWS, tables
@pytest.fixture(scope="module")
def inventory_env(template: dict[str, Any], dynamodb_endpoint: str) -> Iterator[dict[str, str]]:
    """The tables the API's and the saga functions' environments name (a variable names the
    same table in each), their union in os.environ."""
    envs = create_tables(template, (API_FUNCTION, *SAGA_FUNCTIONS), dynamodb_endpoint)
    yield from environment(envs.values(), SAGA_FAULT_INJECTION="disabled")


@pytest.fixture(scope="module")
def locations(inventory_env):
    from inventory.dal import catalog

    for location_id, name, kind in (("warehouse", "Central warehouse", "warehouse"), ("store-1", "Store 1", "store")):
        catalog.put_location(location_id, name, kind, None)
    return ["warehouse", "store-1"]


@pytest.fixture(scope="module")
def api(inventory_env, locations, template) -> RestApi:
    """api("GET", "/api/v1/stock", query=...) -> Reply: the inventory REST API in-process."""
    return RestApi(template, {API_FUNCTION: handler_module("inventory.handlers.api").lambda_handler})


@pytest.fixture(scope="module")
def saga(inventory_env, locations, template):
    """saga("InventoryReserveStockFunction", event) -> output, as Lambda would run it."""

    def _invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        handler_path = template["Resources"][function]["Properties"]["Handler"]
        assert handler_path == f"inventory.handlers.saga.{SAGA_FUNCTIONS[function]}"
        return invoke_as_lambda(template, function, event)

    return _invoke


CHECK, RESERVE, RELEASE, COMMIT = SAGA_FUNCTIONS


# ---------------------------------------------------------------- helpers
def saga_id() -> str:
    return f"saga-{uuid.uuid4()}"


@pytest.fixture(scope="module")
def category(api) -> int:
    reply = api("POST", "/api/v1/categories", body={"name": f"Saga {uuid.uuid4().hex[:8]}"})
    assert reply.status == 201, reply.body
    return reply.body["category_id"]


@pytest.fixture(scope="module")
def product(api, category):
    """product(warehouse=10, **{"store-1": 3}) -> product_id with that available stock."""

    def _new(reorder_level: int = 2, **stock: int) -> int:
        reply = api("POST", "/api/v1/products", body={
            "sku": f"SAGA-{uuid.uuid4().hex[:10]}".upper(), "name": "Saga test product",
            "category_id": category, "price": "9.99", "reorder_level": reorder_level,
        })
        assert reply.status == 201, reply.body
        product_id = reply.body["product_id"]
        for location_id, quantity in stock.items():
            set_stock(api, product_id, location_id.replace("_", "-"), quantity)
        return product_id

    return _new


def set_stock(api, product_id: int, location_id: str, quantity: int) -> None:
    reply = api("PUT", f"/api/v1/stock/{product_id}",
                body={"location_id": location_id, "quantity": quantity, "reason": "test stock"})
    assert reply.status == 200, reply.body


def stock(api, product_id: int, location_id: str = "warehouse") -> tuple[int, int]:
    """(available, reserved) as GET /stock shows them."""
    reply = api("GET", "/api/v1/stock", query={"product_id": str(product_id), "location_id": location_id})
    assert reply.status == 200 and len(reply.body["items"]) == 1, reply.body
    row = reply.body["items"][0]
    assert row["on_hand"] == row["available"] + row["reserved"]
    return row["available"], row["reserved"]


def movements(api, product_id: int) -> list[dict[str, Any]]:
    """Movements of a product, newest first, leaving out the test's own stock settings."""
    reply = api("GET", f"/api/v1/stock/{product_id}/movements", query={"limit": "100"})
    assert reply.status == 200, reply.body
    return [m for m in reply.body["items"] if m["kind"] not in ("set", "adjust")]


def reservation_item(inventory_env, reservation_id: str) -> dict[str, Any] | None:
    client = boto3.client("dynamodb", region_name=REGION)
    return client.get_item(TableName=inventory_env["RESERVATIONS_TABLE"], Key={"reservation_id": {"S": reservation_id}},
                           ConsistentRead=True).get("Item")


def lines(*pairs: tuple[int, int]) -> list[dict[str, int]]:
    return [{"product_id": product_id, "quantity": quantity} for product_id, quantity in pairs]


# ---------------------------------------------------------------- check
def test_check_stock_answers_and_refuses(saga, api, product):
    from inventory.errors import InsufficientStock, LocationNotFound, ProductNotFound

    a, b = product(warehouse=10, store_1=1), product(warehouse=3)
    answer = saga(CHECK, {"saga_id": saga_id(), "correlation_id": "req-1", "attempt": 0, "faults": None,
                          "lines": lines((a, 4), (b, 3)), "unexpected": "ignored"})
    assert answer == {"location_id": "warehouse", "lines": [
        {"product_id": a, "requested": 4, "available": 10}, {"product_id": b, "requested": 3, "available": 3}]}
    assert saga(CHECK, {"saga_id": saga_id(), "location_id": "store-1", "lines": lines((a, 1))})["lines"][0]["available"] == 1

    with pytest.raises(InsufficientStock) as short:
        saga(CHECK, {"saga_id": saga_id(), "lines": lines((b, 5))})
    assert str(short.value) == f"insufficient stock at warehouse: product {b} has 3 available, 5 requested"
    with pytest.raises(InsufficientStock) as both:
        saga(CHECK, {"saga_id": saga_id(), "location_id": "store-1", "lines": lines((a, 2), (b, 1))})
    assert str(both.value) == (f"insufficient stock at store-1: product {a} has 1 available, 2 requested; "
                               f"product {b} has 0 available, 1 requested")
    assert type(both.value).__name__ == "InsufficientStock"
    assert [d["product_id"] for d in both.value.details] == [a, b]

    with pytest.raises(ProductNotFound) as unknown:
        saga(CHECK, {"saga_id": saga_id(), "lines": lines((a, 1), (999_999, 1))})
    assert unknown.value.product_ids == [999_999]
    with pytest.raises(LocationNotFound):
        saga(CHECK, {"saga_id": saga_id(), "location_id": "store-99", "lines": lines((a, 1))})
    # read-only
    assert stock(api, a) == (10, 0) and movements(api, a) == []


def test_deleted_products_are_not_found(saga, api, product):
    from inventory.errors import ProductNotFound

    gone = product(warehouse=5)
    assert api("DELETE", f"/api/v1/products/{gone}").status == 204
    for function in (CHECK, RESERVE):
        with pytest.raises(ProductNotFound):
            saga(function, {"saga_id": saga_id(), "lines": lines((gone, 1))})


def test_invalid_input(saga, product):
    from inventory.errors import InvalidInput

    a = product(warehouse=5)
    bad_events = [
        {"lines": lines((a, 1))},  # no saga_id
        {"saga_id": "has space", "lines": lines((a, 1))},
        {"saga_id": "x" * 81, "lines": lines((a, 1))},
        {"saga_id": saga_id(), "lines": []},
        {"saga_id": saga_id(), "lines": lines((a, 1), (a, 2))},
        {"saga_id": saga_id(), "lines": lines((a, 0))},
        {"saga_id": saga_id(), "lines": lines((a, 1001))},
        {"saga_id": saga_id(), "lines": lines(*((pid, 1) for pid in range(1, 27)))},
        {"saga_id": saga_id(), "lines": [{"product_id": a, "quantity": True}]},
        {"saga_id": saga_id(), "location_id": "Not A Location!", "lines": lines((a, 1))},
    ]
    for function in (CHECK, RESERVE):
        for event in bad_events:
            with pytest.raises(InvalidInput):
                saga(function, event)
    for function in (RELEASE, COMMIT):
        with pytest.raises(InvalidInput):
            saga(function, {"saga_id": ""})


# ---------------------------------------------------------------- reserve
def test_reserve_moves_available_to_reserved_with_movements(saga, api, product, inventory_env):
    a, b = product(warehouse=10, reorder_level=8), product(warehouse=4)
    sid = saga_id()
    event = {"saga_id": sid, "correlation_id": "req-42", "location_id": None, "lines": lines((a, 3), (b, 4))}
    reserved = saga(RESERVE, event)
    created_at = reserved.pop("created_at")
    assert created_at.endswith("Z") and created_at.startswith("20")
    assert reserved == {"reservation_id": sid, "status": "reserved", "location_id": "warehouse", "lines": lines((a, 3), (b, 4))}
    assert stock(api, a) == (7, 3) and stock(api, b) == (0, 4)
    assert stock(api, a, "store-1") == (0, 0)
    [movement] = movements(api, a)
    assert {k: movement[k] for k in ("kind", "delta", "reserved_delta", "available_before", "available_after", "location_id", "reason")} == {
        "kind": "reserve", "delta": -3, "reserved_delta": 3, "available_before": 10, "available_after": 7,
        "location_id": "warehouse", "reason": f"reserved for saga {sid}",
    }
    item = reservation_item(inventory_env, sid)
    assert item["status"] == {"S": "reserved"} and item["location_id"] == {"S": "warehouse"}
    assert item["correlation_id"] == {"S": "req-42"}


def test_reserve_twice_decrements_once(saga, api, product):
    a, b = product(warehouse=10), product(warehouse=10)
    sid = saga_id()
    first = saga(RESERVE, {"saga_id": sid, "lines": lines((a, 2), (b, 1))})
    again = saga(RESERVE, {"saga_id": sid, "attempt": 1, "lines": lines((a, 2), (b, 1))})
    reordered = saga(RESERVE, {"saga_id": sid, "location_id": "warehouse", "lines": lines((b, 1), (a, 2))})
    assert first == again == reordered
    assert stock(api, a) == (8, 2) and stock(api, b) == (9, 1)
    assert len(movements(api, a)) == 1


def test_reserve_conflict(saga, api, product):
    from inventory.errors import ReservationConflict

    a = product(warehouse=10, store_1=10)
    sid = saga_id()
    saga(RESERVE, {"saga_id": sid, "lines": lines((a, 2))})
    for other in ({"lines": lines((a, 3))}, {"location_id": "store-1", "lines": lines((a, 2))}):
        with pytest.raises(ReservationConflict) as raised:
            saga(RESERVE, {"saga_id": sid, **other})
        assert type(raised.value).__name__ == "ReservationConflict"
    assert stock(api, a) == (8, 2) and stock(api, a, "store-1") == (10, 0)


def test_insufficient_stock_writes_nothing(saga, api, product, inventory_env):
    from inventory.errors import InsufficientStock, ReservationNotFound

    a, b = product(warehouse=10), product(warehouse=2)
    sid = saga_id()
    with pytest.raises(InsufficientStock) as raised:
        saga(RESERVE, {"saga_id": sid, "lines": lines((a, 5), (b, 3))})
    assert str(raised.value) == f"insufficient stock at warehouse: product {b} has 2 available, 3 requested"
    assert stock(api, a) == (10, 0) and stock(api, b) == (2, 0)
    assert movements(api, a) == [] and movements(api, b) == []
    assert reservation_item(inventory_env, sid) is None
    with pytest.raises(ReservationNotFound):
        saga(COMMIT, {"saga_id": sid})
    # nothing was written: once restocked, the same saga id can reserve
    set_stock(api, b, "warehouse", 3)
    assert saga(RESERVE, {"saga_id": sid, "lines": lines((a, 5), (b, 3))})["status"] == "reserved"
    assert stock(api, b) == (0, 3)


def test_the_transaction_condition_decides_when_the_read_was_stale(saga, api, product, inventory_env, monkeypatch):
    """The stock changed between the read and the transaction: the condition refuses, the
    re-read names the short line, nothing is written."""
    from inventory.dal import reservations as dal
    from inventory.errors import InsufficientStock

    a, b = product(warehouse=10), product(warehouse=10)
    real = dal.stock_rows
    reads = []

    def stale_first_read(location_id, product_ids):
        rows = real(location_id, product_ids)
        reads.append(1)
        if len(reads) == 1:
            set_stock(api, b, "warehouse", 1)  # a sale lands right after our read
        return rows

    monkeypatch.setattr(dal, "stock_rows", stale_first_read)
    sid = saga_id()
    with pytest.raises(InsufficientStock) as raised:
        saga(RESERVE, {"saga_id": sid, "lines": lines((a, 4), (b, 4))})
    assert len(reads) == 2
    assert str(raised.value) == f"insufficient stock at warehouse: product {b} has 1 available, 4 requested"
    assert stock(api, a) == (10, 0) and stock(api, b) == (1, 0)
    assert movements(api, a) == [] and reservation_item(inventory_env, sid) is None


# ---------------------------------------------------------------- release
def test_release_restores_and_is_idempotent(saga, api, product):
    from inventory.errors import ReservationAborted, ReservationReleased

    a, b = product(warehouse=10), product(warehouse=5)
    sid = saga_id()
    saga(RESERVE, {"saga_id": sid, "lines": lines((a, 4), (b, 5))})
    assert stock(api, a) == (6, 4)
    released = saga(RELEASE, {"saga_id": sid, "reason": "payment declined"})
    assert released == {"reservation_id": sid, "status": "released", "lines": lines((a, 4), (b, 5))}
    assert stock(api, a) == (10, 0) and stock(api, b) == (5, 0)
    newest = movements(api, a)[0]
    assert (newest["kind"], newest["delta"], newest["reserved_delta"], newest["available_before"], newest["available_after"]) == (
        "release", 4, -4, 6, 10)
    assert newest["reason"] == f"released for saga {sid}: payment declined"

    assert saga(RELEASE, {"saga_id": sid}) == released  # idempotent, nothing written
    assert stock(api, a) == (10, 0) and len(movements(api, a)) == 2
    with pytest.raises(ReservationReleased):
        saga(COMMIT, {"saga_id": sid})
    with pytest.raises(ReservationAborted):
        saga(RESERVE, {"saga_id": sid, "lines": lines((a, 4), (b, 5))})
    assert stock(api, a) == (10, 0)


def test_release_before_reserve_leaves_a_tombstone(saga, api, product, inventory_env):
    from inventory.errors import ReservationAborted, ReservationReleased

    a = product(warehouse=10)
    sid = saga_id()
    answer = saga(RELEASE, {"saga_id": sid, "correlation_id": "req-7"})
    assert answer == {"reservation_id": sid, "status": "not_reserved", "lines": []}
    assert saga(RELEASE, {"saga_id": sid, "reason": "again"}) == answer
    item = reservation_item(inventory_env, sid)
    assert item["status"] == {"S": "released"} and item["lines"] == {"L": []}
    assert item["reason"] == {"S": "released by the order saga"}
    # the late reserve (an answer lost on the way, retried after the compensation) is refused
    with pytest.raises(ReservationAborted) as raised:
        saga(RESERVE, {"saga_id": sid, "lines": lines((a, 1))})
    assert type(raised.value).__name__ == "ReservationAborted"
    assert stock(api, a) == (10, 0) and movements(api, a) == []
    with pytest.raises(ReservationReleased):
        saga(COMMIT, {"saga_id": sid})


# ---------------------------------------------------------------- commit
def test_commit_lowers_reserved_only_and_is_idempotent(saga, api, product):
    from inventory.errors import ReservationCommitted, ReservationNotFound

    a = product(warehouse=10)
    sid = saga_id()
    reserved = saga(RESERVE, {"saga_id": sid, "lines": lines((a, 3))})
    committed = saga(COMMIT, {"saga_id": sid, "correlation_id": "req-9"})
    assert committed == {"reservation_id": sid, "status": "committed", "lines": lines((a, 3))}
    assert stock(api, a) == (7, 0)
    newest = movements(api, a)[0]
    assert (newest["kind"], newest["delta"], newest["reserved_delta"], newest["available_before"], newest["available_after"]) == (
        "commit", 0, -3, 7, 7)
    assert newest["reason"] == f"committed for saga {sid}"

    assert saga(COMMIT, {"saga_id": sid}) == committed
    assert stock(api, a) == (7, 0) and len(movements(api, a)) == 2
    # a late retry of the reserve answers as the first time, and takes nothing more
    assert saga(RESERVE, {"saga_id": sid, "lines": lines((a, 3))}) == reserved
    assert stock(api, a) == (7, 0)
    with pytest.raises(ReservationCommitted) as raised:
        saga(RELEASE, {"saga_id": sid})
    assert type(raised.value).__name__ == "ReservationCommitted"
    assert stock(api, a) == (7, 0)
    with pytest.raises(ReservationNotFound):
        saga(COMMIT, {"saga_id": saga_id()})


# ---------------------------------------------------------------- concurrency
def test_concurrent_reservations_never_oversell(api, product, saga, inventory_env):
    """30 sagas reserve 1 unit each of a product with 10 available, all at once: exactly 10
    succeed, the others are refused with InsufficientStock; at no moment is a count negative."""
    from inventory.errors import InsufficientStock
    from inventory.logic import reservations
    from inventory.saga_schemas import ReserveStockInput
    from shared.errors import ConcurrentModificationError

    a = product(warehouse=10)
    stop = threading.Event()
    seen: list[tuple[int, int]] = []

    client = boto3.client("dynamodb", region_name=REGION)

    def watch() -> None:  # raw reads: the API handler is not meant to share a process's metrics across threads
        while not stop.is_set():
            item = client.get_item(TableName=inventory_env["STOCK_TABLE"], ConsistentRead=True,
                                   Key={"product_id": {"N": str(a)}, "location_id": {"S": "warehouse"}})["Item"]
            seen.append((int(item["available"]["N"]), int(item["reserved"]["N"])))

    def reserve(_: int) -> str:
        request = ReserveStockInput(saga_id=saga_id(), lines=lines((a, 1)))
        for _attempt in range(20):  # the state machine's Retry on a transient error
            try:
                reservations.reserve_stock(request)
                return "reserved"
            except InsufficientStock:
                return "short"
            except ConcurrentModificationError:
                continue
        return "gave up"

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(30) as pool:
            outcomes = list(pool.map(reserve, range(30)))
    finally:
        stop.set()
        watcher.join()
    assert outcomes.count("reserved") == 10 and outcomes.count("short") == 20, outcomes
    assert stock(api, a) == (0, 10)
    assert seen and all(available >= 0 and reserved >= 0 and available + reserved == 10 for available, reserved in seen)
    assert len(movements(api, a)) == 10


# ---------------------------------------------------------------- fault injection (test hook)
def test_fault_injection(saga, api, product, inventory_env, monkeypatch):
    from inventory.errors import ReservationNotFound
    from shared.saga import InjectedFailure, InjectedTransientFailure

    a = product(warehouse=10)
    sid = saga_id()
    event = {"saga_id": sid, "lines": lines((a, 2)), "faults": [{"step": "RESERVE_STOCK", "mode": "permanent"}]}

    monkeypatch.setenv("SAGA_FAULT_INJECTION", "enabled")
    with pytest.raises(InjectedFailure):
        saga(RESERVE, event)
    assert stock(api, a) == (10, 0) and reservation_item(inventory_env, sid) is None
    with pytest.raises(ReservationNotFound):
        saga(COMMIT, {"saga_id": sid})
    # a transient fault fails while attempt < times, then the step runs
    transient = {**event, "faults": [{"step": "COMMIT_STOCK", "mode": "transient", "times": 2}]}
    saga(RESERVE, {**transient, "attempt": 0})
    with pytest.raises(InjectedTransientFailure):
        saga(COMMIT, {**transient, "attempt": 1})
    assert stock(api, a) == (8, 2)
    assert saga(COMMIT, {**transient, "attempt": 2})["status"] == "committed"
    assert stock(api, a) == (8, 0)
    # "after": the work is done, the answer is lost; the retry answers the same
    lost = {"saga_id": saga_id(), "lines": lines((a, 1)), "faults": [{"step": "RESERVE_STOCK", "when": "after"}]}
    with pytest.raises(InjectedFailure):
        saga(RESERVE, lost)
    assert stock(api, a) == (7, 1)

    monkeypatch.setenv("SAGA_FAULT_INJECTION", "disabled")
    assert saga(RESERVE, lost)["status"] == "reserved"  # the hook is off: the fault is ignored
    assert stock(api, a) == (7, 1)
    assert saga(RESERVE, {**event, "saga_id": saga_id()})["status"] == "reserved"
    assert stock(api, a) == (5, 3)
