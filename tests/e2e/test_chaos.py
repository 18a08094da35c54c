"""Chaos: the point of sale and the order saga on the same products at once (issue 11).

Concurrent sales at one store, order sagas on the same product at the warehouse (some with
injected transient failures), returns and stock adjustments; every client request is sent
twice or three times with the same Idempotency-Key, as a client that lost the answer would,
partly at the same moment. Afterwards stock is conserved exactly, nothing is duplicated and
every saga reached a final status."""

from __future__ import annotations

import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.integration

STORE = 3
STORE_LOCATION = f"store-{STORE}"
WAREHOUSE = "warehouse"
START = 30
SALES, SAGAS, ADJUSTMENTS = 12, 10, 4
STEPS = ["CHECK_STOCK", "RESERVE_STOCK", "CREATE_ORDER", "PROCESS_PAYMENT", "CONFIRM_ORDER", "COMMIT_STOCK"]


def available(admin, product_id: int, location: str) -> tuple[int, int]:
    (row,) = admin.get("/api/v1/stock", params={"product_id": product_id, "location_id": location}).json()["items"]
    return row["available"], row["reserved"]


def retried(send, times: int):
    """The same keyed request ``times`` times, the first two at the same moment: every answer."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda _: send(), range(2)))
    return answers + [send() for _ in range(times - 2)]


@pytest.fixture
def product(admin) -> int:
    categories = admin.get("/api/v1/categories", params={"limit": "1"}).json()["items"]
    created = admin.post("/api/v1/products", json={
        "sku": f"CHAOS-{uuid.uuid4().hex[:8]}".upper(), "name": "Chaos product",
        "category_id": categories[0]["category_id"], "price": "3.50"})
    assert created.status_code == 201, created.text
    product_id = created.json()["product_id"]
    for location in (STORE_LOCATION, WAREHOUSE):
        put = admin.put(f"/api/v1/stock/{product_id}", json={"location_id": location, "quantity": START, "reason": "chaos"})
        assert put.status_code == 200, put.text
    return product_id


def test_pos_and_sagas_together_conserve_stock_and_duplicate_nothing(admin, product):
    rng = random.Random(7)
    register = admin.get("/api/v1/cash-registers", params={"store_id": STORE}).json()["items"][0]["register_id"]
    customer = admin.post("/api/v1/customers", json={
        "email": f"chaos.{uuid.uuid4().hex[:8]}@example.com", "first_name": "Chaos", "last_name": "Monkey"}).json()["customer_id"]

    def sell(_: int) -> list:
        key = f"chaos-sale-{uuid.uuid4()}"
        body = {"store_id": STORE, "register_id": register, "lines": [{"product_id": product, "quantity": 1}]}
        return retried(lambda: admin.post("/api/v1/sales", json=body, headers={"Idempotency-Key": key}), 3)

    def order(i: int) -> list:
        key = f"chaos-saga-{uuid.uuid4()}"
        faults = [{"step": rng.choice(STEPS), "mode": "transient", "times": 1, "when": rng.choice(["before", "after"])}] \
            if i % 2 else []
        body = {"products": [{"product_id": product, "quantity": 1}], "shipping_address": "1 Chaos Rd",
                "payment_method": "credit_card", "faults": faults}
        return retried(lambda: admin.post(f"/api/v1/customers/{customer}/order-processing", json=body,
                                          headers={"Idempotency-Key": key}), 2)

    def adjust(i: int) -> list:
        key = f"chaos-adjust-{uuid.uuid4()}"
        body = {"location_id": STORE_LOCATION if i % 2 else WAREHOUSE, "delta": 2, "reason": "chaos delivery"}
        return retried(lambda: admin.put(f"/api/v1/stock/{product}", json=body, headers={"Idempotency-Key": key}), 2)

    with ThreadPoolExecutor(max_workers=8) as pool:
        sales = pool.map(sell, range(SALES))
        sagas = pool.map(order, range(SAGAS))
        adjustments = pool.map(adjust, range(ADJUSTMENTS))
        sales, sagas, adjustments = list(sales), list(sagas), list(adjustments)

    sale_ids = set()
    for answers in sales:   # every retry got the first answer: one sale per key
        assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
        ids = {a.json()["sale_id"] for a in answers}
        assert len(ids) == 1
        sale_ids |= ids
    assert len(sale_ids) == SALES
    for answers in adjustments:
        assert {a.status_code for a in answers} == {200} and len({a.text for a in answers}) == 1
    saga_ids = set()
    for answers in sagas:
        assert {a.status_code for a in answers} == {202}, [a.text for a in answers]
        assert len({a.json()["saga_id"] for a in answers}) == 1
        saga_ids.add(answers[0].json()["saga_id"])
    assert len(saga_ids) == SAGAS

    # returns of a third of the sales, each retried too, while the sagas finish
    returned = 0
    for sale_id in sorted(sale_ids)[: SALES // 3]:
        key = f"chaos-return-{uuid.uuid4()}"
        body = {"sale_id": sale_id, "lines": [{"product_id": product, "quantity": 1}], "reason": "chaos"}
        answers = retried(lambda: admin.post("/api/v1/returns", json=body, headers={"Idempotency-Key": key}), 2)
        assert {a.status_code for a in answers} == {201} and len({a.json()["return_id"] for a in answers}) == 1
        returned += 1

    finals = {}
    deadline = time.monotonic() + 180
    while len(finals) < len(saga_ids):
        for saga_id in saga_ids - set(finals):
            saga = admin.get(f"/api/v1/sagas/{saga_id}").json()
            if saga["status"] != "RUNNING":
                finals[saga_id] = saga
        assert time.monotonic() < deadline, f"sagas still running: {saga_ids - set(finals)}"
        time.sleep(0.5)
    assert {s["status"] for s in finals.values()} <= {"COMPLETED", "COMPENSATED"}, finals
    committed = sum(s["status"] == "COMPLETED" for s in finals.values())

    store_adds = 2 * sum(1 for i in range(ADJUSTMENTS) if i % 2)
    warehouse_adds = 2 * ADJUSTMENTS - store_adds
    assert available(admin, product, STORE_LOCATION) == (START + store_adds - SALES + returned, 0)
    assert available(admin, product, WAREHOUSE) == (START + warehouse_adds - committed, 0)
    orders = admin.get("/api/v1/orders", params={"customer_id": customer, "limit": 100}).json()["items"]
    assert sum(o["status"] == "confirmed" for o in orders) == committed
    assert {s["order_id"] for s in finals.values() if s["status"] == "COMPLETED"} <= {o["order_id"] for o in orders}
