"""The e-commerce demo data generators (infra.seed.ecommerce) are deterministic and realistic."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from ecommerce.schemas import CustomerCreate, OrderCreate
from infra.seed.ecommerce import CUSTOMER_COUNT, DAYS, generate_customers, generate_orders

NOW = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
PRODUCTS = list(range(1, 201))


def test_customers_are_deterministic_unique_and_valid():
    customers = generate_customers(random.Random(42))
    assert customers == generate_customers(random.Random(42))
    assert len(customers) == CUSTOMER_COUNT
    assert len({customer.email.casefold() for customer in customers}) == CUSTOMER_COUNT
    for customer in customers:
        CustomerCreate.model_validate(
            {"email": customer.email, "first_name": customer.first_name, "last_name": customer.last_name,
             "phone": customer.phone, "addresses": [customer.address]}
        )


def test_orders_cover_three_weeks_with_mixed_statuses():
    rng = random.Random(42)
    generate_customers(rng)
    orders = generate_orders(rng, PRODUCTS, NOW)
    again_rng = random.Random(42)
    generate_customers(again_rng)
    assert orders == generate_orders(again_rng, PRODUCTS, NOW)

    assert 100 <= len(orders) <= 260
    days = {order.created_at.date() for order in orders}
    assert len(days) == DAYS and max(days) == NOW.date() and min(days) == NOW.date() - timedelta(days=DAYS - 1)
    assert all(order.created_at < NOW for order in orders)
    assert [order.created_at for order in orders] == sorted(order.created_at for order in orders)
    assert len({order.key for order in orders}) == len(orders)
    assert {order.customer for order in orders} <= set(range(1, CUSTOMER_COUNT + 1))
    assert 1 in {order.customer for order in orders} or len({order.customer for order in orders}) > 30

    statuses = {order.status for order in orders}
    assert statuses == {"pending", "confirmed", "cancelled"}
    for order in orders:
        OrderCreate.model_validate({"customer_id": 1, "lines": [{"product_id": p, "quantity": q} for p, q in order.lines]})
        assert {p for p, _ in order.lines} <= set(PRODUCTS)
        if order.status == "confirmed":
            assert order.payment == "captured" and order.payment_method != "declined_card"
        if order.status == "pending":
            assert order.payment is None and NOW - order.created_at < timedelta(days=2)
        if order.payment == "declined":
            assert order.status == "cancelled" and order.payment_method == "declined_card"
        if order.status == "cancelled":
            assert order.reason


def test_no_products_no_orders():
    assert generate_orders(random.Random(1), [], NOW) == []
