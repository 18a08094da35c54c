"""The order saga end to end: through the gateway (API keys), the saga API, the real state
machine executed by the embedded cloud's Step Functions, and the real participant functions
of inventory and e-commerce. Every scenario checks stock, orders and payments afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

WAREHOUSE = "warehouse"
FINAL = {"COMPLETED", "COMPENSATED", "FAILED"}
ADDRESS = "123 Main St"


# ---------------------------------------------------------------- helpers
def new_product(admin, stock: int, price: str = "19.90") -> int:
    categories = admin.get("/api/v1/categories", params={"limit": "1"}).json()["items"]
    created = admin.post("/api/v1/products", json={
        "sku": f"SAGA-{uuid.uuid4().hex[:8]}".upper(), "name": "Saga e2e product",
        "category_id": categories[0]["category_id"], "price": price})
    assert created.status_code == 201, created.text
    product_id = created.json()["product_id"]
    stocked = admin.put(f"/api/v1/stock/{product_id}", json={"location_id": WAREHOUSE, "quantity": stock, "reason": "saga e2e"})
    assert stocked.status_code == 200, stocked.text
    return product_id


def stock(admin, product_id: int) -> tuple[int, int]:
    response = admin.get("/api/v1/stock", params={"product_id": str(product_id), "location_id": WAREHOUSE})
    assert response.status_code == 200, response.text
    (row,) = response.json()["items"]
    return row["available"], row["reserved"]


def new_customer(admin) -> int:
    response = admin.post("/api/v1/customers", json={
        "email": f"saga.{uuid.uuid4().hex[:10]}@example.com", "first_name": "Gabrielle", "last_name": "Roy"})
    assert response.status_code == 201, response.text
    return response.json()["customer_id"]


def start(admin, customer_id: int, lines: list[tuple[int, int]], *, headers: dict | None = None, **extra) -> str:
    body = {"products": [{"product_id": p, "quantity": q} for p, q in lines],
            "shipping_address": ADDRESS, "billing_address": ADDRESS, "payment_method": "credit_card", **extra}
    response = admin.post(f"/api/v1/customers/{customer_id}/order-processing", json=body, headers=headers or {})
    assert response.status_code == 202, response.text
    started = response.json()
    assert started["status"] == "started" and started["message"]
    assert response.headers["Location"] == f"/api/v1/sagas/{started['saga_id']}"
    return started["saga_id"]


def wait(admin, saga_id: str, timeout: float = 90.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        response = admin.get(f"/api/v1/sagas/{saga_id}")
        assert response.status_code == 200, response.text
        saga = response.json()
        if saga["status"] in FINAL:
            return saga
        assert time.monotonic() < deadline, f"saga still {saga['status']}: {saga}"
        time.sleep(0.25)


def run(admin, customer_id, lines, **extra) -> dict:
    return wait(admin, start(admin, customer_id, lines, **extra))


def steps(saga: dict) -> list[tuple[str, str]]:
    return [(s["step"], s["status"]) for s in saga["steps"]]


def orders_of(admin, customer_id: int) -> list[dict]:
    response = admin.get("/api/v1/orders", params={"customer_id": str(customer_id), "limit": "100"})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def payments_of(admin, order_id: int) -> list[dict]:
    response = admin.get("/api/v1/payments", params={"order_id": str(order_id), "limit": "100"})
    assert response.status_code == 200, response.text
    return response.json()["items"]


ALL_STEPS = ["CHECK_STOCK", "RESERVE_STOCK", "CREATE_ORDER", "PROCESS_PAYMENT", "CONFIRM_ORDER", "COMMIT_STOCK"]


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def customer_id(admin) -> int:
    return new_customer(admin)


@pytest.fixture()
def product(admin) -> int:
    return new_product(admin, stock=20)


# ---------------------------------------------------------------- scenarios
def test_success_completes_every_step_and_moves_stock_order_and_payment(admin, customer_id, product):
    saga = run(admin, customer_id, [(product, 2)])
    assert saga["status"] == "COMPLETED", saga
    assert steps(saga) == [(name, "SUCCESS") for name in ALL_STEPS]
    assert saga["compensations"] == [] and saga["failure"] is None
    assert all(s["attempts"] == 1 and s["duration"] >= 0 for s in saga["steps"])
    assert saga["duration"] > 0 and saga["created_at"] <= saga["updated_at"]
    assert saga["customer_id"] == customer_id and saga["products"] == [{"product_id": product, "quantity": 2}]
    assert stock(admin, product) == (18, 0)  # reserved, then committed: gone from the warehouse
    order = admin.get(f"/api/v1/orders/{saga['order_id']}").json()
    assert order["status"] == "confirmed" and order["customer_id"] == customer_id
    assert order["shipping_address"]["line1"] == ADDRESS
    assert Decimal(order["total"]) == Decimal(saga["total"]) > 0
    (payment,) = payments_of(admin, saga["order_id"])
    assert payment["status"] == "captured" and payment["payment_id"] == saga["payment_id"]
    assert Decimal(payment["amount"]) == Decimal(order["total"])
    movements = admin.get(f"/api/v1/stock/{product}/movements").json()["items"]
    assert {"reserve", "commit"} <= {m["kind"] for m in movements}


def test_unknown_customer_fails_at_create_order_and_releases_the_stock(admin, product):
    saga = run(admin, 99999, [(product, 3)])
    assert saga["status"] == "COMPENSATED", saga
    assert steps(saga) == [("CHECK_STOCK", "SUCCESS"), ("RESERVE_STOCK", "SUCCESS"), ("CREATE_ORDER", "FAILURE")]
    assert saga["failure"]["step"] == "CREATE_ORDER" and saga["failure"]["error"] == "CustomerNotFound"
    assert "99999" in saga["failure"]["message"]
    assert [(c["step"], c["status"], c["compensates"]) for c in saga["compensations"]] == [
        ("RELEASE_STOCK", "SUCCESS", "RESERVE_STOCK")]
    assert saga["order_id"] is None
    assert stock(admin, product) == (20, 0)


def test_insufficient_stock_is_refused_before_anything_is_reserved(admin, customer_id, product):
    saga = run(admin, customer_id, [(product, 21)])
    assert saga["status"] == "COMPENSATED", saga
    assert steps(saga) == [("CHECK_STOCK", "FAILURE")]
    assert saga["failure"]["error"] == "InsufficientStock" and saga["compensations"] == []
    assert stock(admin, product) == (20, 0)
    movements = admin.get(f"/api/v1/stock/{product}/movements").json()["items"]
    assert not any(m["kind"] in ("reserve", "release") for m in movements)


def test_declined_payment_cancels_the_order_and_releases_the_stock(admin, customer_id, product):
    saga = run(admin, customer_id, [(product, 1)], payment_method="declined_card")
    assert saga["status"] == "COMPENSATED", saga
    assert steps(saga)[-1] == ("PROCESS_PAYMENT", "FAILURE")
    assert saga["failure"]["error"] == "PaymentDeclined"
    assert [c["step"] for c in saga["compensations"]] == ["CANCEL_ORDER", "RELEASE_STOCK"]
    assert admin.get(f"/api/v1/orders/{saga['order_id']}").json()["status"] == "cancelled"
    assert [p["status"] for p in payments_of(admin, saga["order_id"])] == ["declined"]
    assert stock(admin, product) == (20, 0)


def test_failure_at_confirm_order_refunds_cancels_and_releases_in_reverse_order(admin, customer_id, product):
    saga = run(admin, customer_id, [(product, 4)], faults=[{"step": "CONFIRM_ORDER", "mode": "permanent"}])
    assert saga["status"] == "COMPENSATED", saga
    assert steps(saga)[-1] == ("CONFIRM_ORDER", "FAILURE")
    assert saga["failure"]["error"] == "InjectedFailure"
    assert [(c["step"], c["status"]) for c in saga["compensations"]] == [
        ("REFUND_PAYMENT", "SUCCESS"), ("CANCEL_ORDER", "SUCCESS"), ("RELEASE_STOCK", "SUCCESS")]
    assert admin.get(f"/api/v1/orders/{saga['order_id']}").json()["status"] == "cancelled"
    assert [p["status"] for p in payments_of(admin, saga["order_id"])] == ["refunded"]
    assert stock(admin, product) == (20, 0)


def test_transient_failures_are_retried_and_never_charge_twice(admin, customer_id, product):
    saga = run(admin, customer_id, [(product, 1)],
               faults=[{"step": "PROCESS_PAYMENT", "mode": "transient", "times": 2, "when": "after"}])
    assert saga["status"] == "COMPLETED", saga
    payment_step = next(s for s in saga["steps"] if s["step"] == "PROCESS_PAYMENT")
    assert payment_step["attempts"] == 3 and payment_step["status"] == "SUCCESS"
    # each failed attempt had charged, then lost its answer: the retries found the same payment
    assert [p["status"] for p in payments_of(admin, saga["order_id"])] == ["captured"]
    assert stock(admin, product) == (19, 0)


def test_an_order_created_whose_answer_was_lost_is_cancelled(admin, product):
    customer = new_customer(admin)
    saga = run(admin, customer, [(product, 2)], faults=[{"step": "CREATE_ORDER", "when": "after"}])
    assert saga["status"] == "COMPENSATED", saga
    assert [(c["step"], c["status"]) for c in saga["compensations"]] == [("CANCEL_ORDER", "SUCCESS"),
                                                                         ("RELEASE_STOCK", "SUCCESS")]
    # the order CREATE_ORDER made before its answer was lost is cancelled, not left pending
    assert [o["status"] for o in orders_of(admin, customer)] == ["cancelled"]
    assert stock(admin, product) == (20, 0)


def test_a_compensation_that_keeps_failing_ends_the_saga_failed(admin, aws, customer_id, product):
    saga_id = start(admin, customer_id, [(product, 1)], faults=[
        {"step": "CONFIRM_ORDER", "mode": "permanent"}, {"step": "CANCEL_ORDER", "mode": "transient", "times": 10}])
    saga = wait(admin, saga_id, timeout=120)
    assert saga["status"] == "FAILED", saga
    assert saga["compensation_failure"]["step"] == "CANCEL_ORDER"
    assert saga["compensation_failure"]["error"] == "InjectedTransientFailure"
    cancel = next(c for c in saga["compensations"] if c["step"] == "CANCEL_ORDER")
    assert cancel["status"] == "FAILURE" and cancel["attempts"] == 5  # 1 + 4 retries
    execution = aws("stepfunctions").describe_execution(executionArn=saga["execution_arn"])
    assert execution["status"] == "FAILED" and execution["error"] == "SagaCompensationFailed"
    # visible and listed as FAILED: the refund ran, the order and the stock need a person
    listed = admin.get("/api/v1/sagas", params={"status": "FAILED", "limit": "100"}).json()["items"]
    assert saga_id in [item["saga_id"] for item in listed]


def expected_after_fault(step: str, mode: str, when: str) -> tuple[str, str | None, list[str], tuple[int, int]]:
    """(saga status, order status, payment statuses, warehouse (available, reserved)) after one
    injected fault, for 1 unit of a product with 20: the saga's rules, written out."""
    if mode == "transient":   # one failed attempt, retried: as if nothing happened
        return "COMPLETED", "confirmed", ["captured"], (19, 0)
    if step == "COMMIT_STOCK":   # after the pivot: nothing undone; the unit is committed if the step ran
        return "FAILED", "confirmed", ["captured"], (19, 0) if when == "after" else (19, 1)
    order = {"CHECK_STOCK": None, "RESERVE_STOCK": None,
             "CREATE_ORDER": "cancelled" if when == "after" else None}.get(step, "cancelled")
    payments = {"PROCESS_PAYMENT": ["refunded"] if when == "after" else [], "CONFIRM_ORDER": ["refunded"]}.get(step, [])
    return "COMPENSATED", order, payments, (20, 0)


FAULTS = [(step, mode, when) for step in ALL_STEPS for mode in ("permanent", "transient") for when in ("before", "after")]


def test_every_step_fault_ends_consistent_and_nothing_after_the_pivot_is_undone(admin):
    """Every step x permanent/transient x before/after its work, all sagas running at once: the
    final saga status, order, payments and stock of each are exactly what the rules say."""
    started = []
    for step, mode, when in FAULTS:
        customer, product = new_customer(admin), new_product(admin, stock=20)
        fault = {"step": step, "mode": mode, "when": when, **({"times": 1} if mode == "transient" else {})}
        started.append((step, mode, when, customer, product, start(admin, customer, [(product, 1)], faults=[fault])))
    problems = []
    for step, mode, when, customer, product, saga_id in started:
        saga = wait(admin, saga_id, timeout=120)
        orders = orders_of(admin, customer)
        payments = payments_of(admin, orders[0]["order_id"]) if orders else []
        seen = (saga["status"], orders[0]["status"] if orders else None,
                sorted(p["status"] for p in payments), stock(admin, product))
        if seen != expected_after_fault(step, mode, when):
            problems.append(f"{step} {mode} {when}: {seen} != {expected_after_fault(step, mode, when)}")
        if step == "COMMIT_STOCK" and mode == "permanent":
            assert saga["compensations"] == [] and saga["failure"]["step"] == "COMMIT_STOCK", saga
            assert saga["compensation_failure"]["error"] == "SagaForwardRecoveryFailed", saga
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- API behaviour
def test_idempotency_key_returns_the_same_saga(admin, customer_id, product):
    key = {"Idempotency-Key": f"order-{uuid.uuid4().hex}"}
    first = start(admin, customer_id, [(product, 1)], headers=key)
    again = admin.post(f"/api/v1/customers/{customer_id}/order-processing", headers=key, json={
        "products": [{"product_id": product, "quantity": 1}], "shipping_address": ADDRESS,
        "billing_address": ADDRESS, "payment_method": "credit_card"})
    assert again.status_code == 202 and again.json()["saga_id"] == first
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert wait(admin, first)["status"] == "COMPLETED"
    replay_after_end = admin.post(f"/api/v1/customers/{customer_id}/order-processing", headers=key, json={
        "products": [{"product_id": product, "quantity": 1}], "shipping_address": ADDRESS,
        "billing_address": ADDRESS, "payment_method": "credit_card"})
    assert replay_after_end.status_code == 202 and replay_after_end.json()["saga_id"] == first
    conflict = admin.post(f"/api/v1/customers/{customer_id}/order-processing", headers=key, json={
        "products": [{"product_id": product, "quantity": 2}], "payment_method": "credit_card"})
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "idempotency_conflict"
    assert stock(admin, product) == (19, 0)  # one saga, one unit


@pytest.mark.parametrize("path, body, loc", [
    ("/api/v1/customers/1/order-processing", {"products": [], "payment_method": "credit_card"}, ["body", "products"]),
    ("/api/v1/customers/1/order-processing", {"products": [{"product_id": 1, "quantity": 0}], "payment_method": "credit_card"},
     ["body", "products", 0, "quantity"]),
    ("/api/v1/customers/1/order-processing", {"products": [{"product_id": 1, "quantity": 1}]}, ["body", "payment_method"]),
    ("/api/v1/customers/abc/order-processing", {"products": [{"product_id": 1, "quantity": 1}], "payment_method": "x1"},
     ["path", "customer_id"]),
    ("/api/v1/customers/1/order-processing", {"products": [{"product_id": 1, "quantity": 1}], "payment_method": "credit_card",
                                              "faults": [{"step": "NOPE"}]}, ["body", "faults", 0, "step"]),
])
def test_bad_requests_are_422_and_start_nothing(admin, path, body, loc):
    response = admin.post(path, json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert any(detail.get("loc") == loc for detail in error["details"]), error


def test_duplicate_products_are_422(admin):
    response = admin.post("/api/v1/customers/1/order-processing", json={
        "products": [{"product_id": 1, "quantity": 1}, {"product_id": 1, "quantity": 2}], "payment_method": "credit_card"})
    assert response.status_code == 422 and "appears twice" in response.text


def test_unknown_and_malformed_saga_ids(admin):
    assert admin.get("/api/v1/sagas/saga-does-not-exist").status_code == 404
    assert admin.get("/api/v1/sagas/not a saga").status_code == 422
    assert admin.get("/api/v1/sagas", params={"status": "DONE"}).status_code == 422
    assert admin.get("/api/v1/sagas", params={"next_token": "garbage"}).status_code == 400


def test_list_sagas_newest_first_filtered_and_paginated(admin, customer_id, product):
    completed = run(admin, customer_id, [(product, 1)])["saga_id"]
    compensated = run(admin, 99999, [(product, 1)])["saga_id"]
    first = admin.get("/api/v1/sagas", params={"limit": "1"}).json()
    assert len(first["items"]) == 1 and first["next_token"]
    assert first["items"][0]["saga_id"] == compensated  # newest first
    second = admin.get("/api/v1/sagas", params={"limit": "1", "next_token": first["next_token"]}).json()
    assert second["items"][0]["saga_id"] == completed
    only = admin.get("/api/v1/sagas", params={"status": "COMPENSATED", "limit": "5"}).json()["items"]
    assert only and all(item["status"] == "COMPENSATED" for item in only)
    assert compensated in [item["saga_id"] for item in only] and completed not in [i["saga_id"] for i in only]
    done = admin.get("/api/v1/sagas", params={"status": "COMPLETED", "limit": "5"}).json()["items"]
    assert done[0]["saga_id"] == completed and done[0]["customer_id"] == customer_id
    token = admin.get("/api/v1/sagas", params={"limit": "1", "status": "COMPLETED"}).json()["next_token"]
    assert admin.get("/api/v1/sagas", params={"next_token": token}).status_code == 400  # other filter


def test_execution_history_from_the_cli_shows_the_compensations(admin, session_stack, product):
    saga = run(admin, 99999, [(product, 1)])
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": session_stack.region}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "aws"), "--endpoint-url", session_stack.endpoint_url, "--output", "json",
         "stepfunctions", "get-execution-history", "--execution-arn", saga["execution_arn"]],
        capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    events = json.loads(result.stdout)["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]
    assert entered[:3] == ["CHECK_STOCK", "RESERVE_STOCK", "CREATE_ORDER"]
    assert entered.index("RELEASE_STOCK") > entered.index("CREATE_ORDER")
    failed = [e["taskFailedEventDetails"]["error"] for e in events if e["type"] == "TaskFailed"]
    assert failed == ["CustomerNotFound"]


# ---------------------------------------------------------------- concurrency
def test_fifty_sagas_for_ten_units_complete_exactly_ten(admin, customer_id):
    product = new_product(admin, stock=10)
    customer = new_customer(admin)
    seen_negative: list[tuple[int, int]] = []
    stop = threading.Event()

    def watch() -> None:  # stock must never go negative, at any moment
        while not stop.is_set():
            available, reserved = stock(admin, product)
            if available < 0 or reserved < 0:
                seen_negative.append((available, reserved))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        with ThreadPoolExecutor(max_workers=50) as pool:
            saga_ids = list(pool.map(lambda _: start(admin, customer, [(product, 1)]), range(50)))
        with ThreadPoolExecutor(max_workers=10) as pool:
            sagas = list(pool.map(lambda saga_id: wait(admin, saga_id, timeout=240), saga_ids))
    finally:
        stop.set()
        watcher.join(5)
    statuses = [saga["status"] for saga in sagas]
    assert statuses.count("COMPLETED") == 10, statuses
    assert statuses.count("COMPENSATED") == 40, statuses
    assert seen_negative == []
    assert stock(admin, product) == (0, 0)
    orders = orders_of(admin, customer)
    assert {o["status"] for o in orders} <= {"cancelled", "confirmed"}  # nothing left pending
    confirmed = {o["order_id"] for o in orders if o["status"] == "confirmed"}
    assert confirmed == {saga["order_id"] for saga in sagas if saga["status"] == "COMPLETED"}
    for saga in sagas:
        if saga["status"] == "COMPENSATED" and saga["order_id"] is not None:
            assert "captured" not in [p["status"] for p in payments_of(admin, saga["order_id"])]
    for order_id in confirmed:
        assert [p["status"] for p in payments_of(admin, order_id)] == ["captured"]
