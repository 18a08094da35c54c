"""`Idempotency-Key` over real HTTP through the gateway (functions/shared/idempotency.py): a
retried sale, return or stock adjustment does its work once, also when the retries race; a key
reused for another request is a 409; refused requests keep no answer; keys are per consumer."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.integration

STORE = 2
LOCATION = f"store-{STORE}"


def stock_at(admin, product_id: int, location_id: str = LOCATION) -> int:
    items = admin.get("/api/v1/stock", params={"product_id": product_id, "location_id": location_id}).json()["items"]
    return items[0]["available"] if items else 0


def key() -> str:
    return f"e2e-{uuid.uuid4()}"


@pytest.fixture
def product(admin):
    """A product of its own with 10 units at the store: each test counts its own stock."""
    categories = admin.get("/api/v1/categories").json()["items"]
    created = admin.post("/api/v1/products", json={
        "sku": f"IDEM-{uuid.uuid4().hex[:10]}".upper(), "name": "Idempotency e2e product",
        "category_id": categories[0]["category_id"], "price": "5.00", "reorder_level": 1})
    assert created.status_code == 201, created.text
    product_id = created.json()["product_id"]
    stocked = admin.put(f"/api/v1/stock/{product_id}", json={"location_id": LOCATION, "quantity": 10, "reason": "e2e"})
    assert stocked.status_code == 200, stocked.text
    return product_id


@pytest.fixture(scope="module")
def register(admin):
    registers = admin.get("/api/v1/cash-registers", params={"store_id": STORE}).json()["items"]
    assert registers
    return registers[0]["register_id"]


def sale(product_id: int, register_id: int, quantity: int = 1) -> dict:
    return {"store_id": STORE, "register_id": register_id, "lines": [{"product_id": product_id, "quantity": quantity}]}


def test_a_retried_sale_sells_once_and_answers_the_same(admin, product, register):
    k = key()
    first = admin.post("/api/v1/sales", json=sale(product, register, 2), headers={"Idempotency-Key": k})
    again = admin.post("/api/v1/sales", json=sale(product, register, 2), headers={"Idempotency-Key": k})
    assert first.status_code == again.status_code == 201, (first.text, again.text)
    assert again.text == first.text   # the same bytes, not only the same JSON
    assert "Idempotent-Replayed" not in first.headers and again.headers["Idempotent-Replayed"] == "true"
    assert stock_at(admin, product) == 8
    # without a key, the same body is a new sale
    other = admin.post("/api/v1/sales", json=sale(product, register, 2))
    assert other.status_code == 201 and other.json()["sale_id"] != first.json()["sale_id"]
    assert stock_at(admin, product) == 6


def test_racing_retries_make_one_sale(admin, product, register):
    k = key()
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(
            lambda _: admin.post("/api/v1/sales", json=sale(product, register), headers={"Idempotency-Key": k}),
            range(6)))
    assert [a.status_code for a in answers] == [201] * 6, [a.text for a in answers]
    assert len({a.json()["sale_id"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 5
    assert stock_at(admin, product) == 9


def test_a_key_reused_for_another_request_is_a_conflict(admin, product, register):
    k = key()
    assert admin.post("/api/v1/sales", json=sale(product, register, 1), headers={"Idempotency-Key": k}).status_code == 201
    other = admin.post("/api/v1/sales", json=sale(product, register, 3), headers={"Idempotency-Key": k})
    assert other.status_code == 409, other.text
    assert other.json()["error"]["code"] == "idempotency_conflict"
    assert stock_at(admin, product) == 9


def test_a_refused_request_keeps_no_answer(admin, product, register):
    k = key()
    refused = admin.post("/api/v1/sales", json=sale(product, register, 11), headers={"Idempotency-Key": k})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "insufficient_stock"
    assert admin.put(f"/api/v1/stock/{product}", json={"location_id": LOCATION, "delta": 5, "reason": "delivery"}).status_code == 200
    retried = admin.post("/api/v1/sales", json=sale(product, register, 11), headers={"Idempotency-Key": k})
    assert retried.status_code == 201, retried.text
    assert stock_at(admin, product) == 4


def test_a_retried_return_and_stock_adjustment_apply_once(admin, product, register):
    sold = admin.post("/api/v1/sales", json=sale(product, register, 4)).json()
    k = key()
    body = {"sale_id": sold["sale_id"], "lines": [{"product_id": product, "quantity": 1}]}
    first = admin.post("/api/v1/returns", json=body, headers={"Idempotency-Key": k})
    again = admin.post("/api/v1/returns", json=body, headers={"Idempotency-Key": k})
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert stock_at(admin, product) == 7

    k = key()
    adjust = {"location_id": LOCATION, "delta": -2, "reason": "damaged"}
    answers = [admin.put(f"/api/v1/stock/{product}", json=adjust, headers={"Idempotency-Key": k}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200] * 3 and answers[2].json() == answers[0].json()
    assert stock_at(admin, product) == 5


def test_keys_belong_to_their_consumer(admin, store, product, register):
    k = key()
    mine = admin.post("/api/v1/sales", json=sale(product, register), headers={"Idempotency-Key": k})
    theirs = store.post("/api/v1/sales", json=sale(product, register), headers={"Idempotency-Key": k})
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["sale_id"] != theirs.json()["sale_id"]
    assert stock_at(admin, product) == 8


@pytest.mark.parametrize("bad", ["", "has space", "x" * 257, "é"])
def test_a_malformed_key_is_422_and_does_nothing(admin, product, register, bad):
    response = admin.post("/api/v1/sales", json=sale(product, register),
                          headers={"Idempotency-Key": bad.encode("utf-8").decode("latin-1")})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["loc"] == ["header", "Idempotency-Key"]
    assert stock_at(admin, product) == 10


def test_every_domain_honours_the_key(admin):
    """The same middleware on the e-commerce and inventory resolvers: a retried create is one."""
    k = key()
    email = f"idem-{uuid.uuid4().hex[:8]}@example.com"
    customer = {"email": email, "first_name": "Ada", "last_name": "Retry"}
    first = admin.post("/api/v1/customers", json=customer, headers={"Idempotency-Key": k})
    again = admin.post("/api/v1/customers", json=customer, headers={"Idempotency-Key": k})
    assert first.status_code == again.status_code == 201, (first.text, again.text)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"

    k = key()
    category = {"name": f"Idem {uuid.uuid4().hex[:8]}", "description": "retried"}
    created = [admin.post("/api/v1/categories", json=category, headers={"Idempotency-Key": k}) for _ in range(2)]
    assert [c.status_code for c in created] == [201, 201] and created[0].json() == created[1].json()
