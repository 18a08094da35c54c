"""Inventory business rules and request models: pure code, no AWS."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from inventory.logic.stock import crossed_into_low_stock, is_low, new_available
from inventory.schemas import CategoryCreate, ProductCreate, ProductOut, ProductUpdate, StockUpdate, SupplierCreate
from shared.errors import (
    AlreadyExistsError,
    AppError,
    ConcurrentModificationError,
    InsufficientStock,
    InvalidPaginationTokenError,
    InvalidReferenceError,
    NotFoundError,
)
from shared.settings import ConfigurationError

VALID = {"sku": "ele-00042", "name": " Speaker ", "category_id": 1, "price": "19.9"}


# ---------------------------------------------------------------- stock rules
def test_set_replaces_and_adjust_adds():
    assert new_available(7, quantity=0, delta=None) == 0
    assert new_available(7, quantity=12, delta=None) == 12
    assert new_available(7, quantity=None, delta=3) == 10
    assert new_available(7, quantity=None, delta=-7) == 0


def test_stock_never_goes_negative():
    with pytest.raises(InsufficientStock) as raised:
        new_available(7, quantity=None, delta=-8, product_id=5, location_id="store-1")
    error = raised.value
    assert error.status == 409 and error.code == "insufficient_stock"
    assert error.details == [{"product_id": 5, "location_id": "store-1", "available": 7, "delta": -8}]
    with pytest.raises(ValueError):
        new_available(0, quantity=-1, delta=None)
    with pytest.raises(ValueError):
        new_available(0, quantity=1, delta=1)
    with pytest.raises(ValueError):
        new_available(0, quantity=None, delta=None)


def test_low_stock_threshold_is_inclusive():
    assert is_low(10, 10) and is_low(0, 0) and not is_low(11, 10)
    assert crossed_into_low_stock(11, 10, 10)
    assert not crossed_into_low_stock(10, 9, 10)  # already low: no new alert
    assert not crossed_into_low_stock(5, 20, 10)


# ---------------------------------------------------------------- request models
def test_product_create_normalises_input():
    product = ProductCreate.model_validate(VALID)
    assert product.sku == "ELE-00042" and product.name == "Speaker"
    assert product.price == Decimal("19.90") and product.reorder_level == 10
    assert product.supplier_id is None and product.description is None


@pytest.mark.parametrize(
    "changes",
    [
        {"price": 0},
        {"price": "-0.01"},
        {"price": "0.001"},
        {"price": 19.999},
        {"price": True},
        {"price": float("inf")},
        {"price": "NaN"},
        {"price": "1000000.01"},
        {"sku": "ab"},
        {"sku": "-AB"},
        {"sku": "A B C"},
        {"sku": "x" * 41},
        {"name": ""},
        {"name": "x" * 201},
        {"category_id": 0},
        {"category_id": 2**53},
        {"category_id": True},
        {"category_id": 1.5},
        {"supplier_id": -3},
        {"reorder_level": -1},
        {"reorder_level": 10**10},
        {"unexpected": "field"},
    ],
)
def test_product_create_rejects(changes):
    with pytest.raises(ValidationError):
        ProductCreate.model_validate({**VALID, **changes})


def test_product_create_accepts_numbers_and_strings_for_money():
    assert ProductCreate.model_validate({**VALID, "price": 5}).price == Decimal("5.00")
    assert ProductCreate.model_validate({**VALID, "price": Decimal("1E+2")}).price == Decimal("100.00")
    assert ProductCreate.model_validate({**VALID, "price": "0.01"}).price == Decimal("0.01")


def test_money_is_serialised_as_a_two_decimal_string():
    from datetime import UTC, datetime

    now = datetime(2024, 1, 15, 10, 30, tzinfo=UTC)
    out = ProductOut(
        product_id=1, sku="A-1", name="n", category_id=1, price=Decimal("5"), reorder_level=1, created_at=now, updated_at=now
    )
    dumped = out.model_dump(mode="json")
    assert dumped["price"] == "5.00" and dumped["created_at"] == "2024-01-15T10:30:00Z"


def test_product_update_is_partial():
    update = ProductUpdate.model_validate({"price": "3.50", "description": None})
    assert update.changes() == {"price": Decimal("3.50"), "description": None}
    assert ProductUpdate.model_validate({"sku": "new-1"}).changes() == {"sku": "NEW-1"}
    for bad in ({}, {"name": None}, {"sku": None}, {"price": None}, {"category_id": None}, {"reorder_level": None}, {"x": 1}):
        with pytest.raises(ValidationError):
            ProductUpdate.model_validate(bad)


def test_stock_update_needs_exactly_one_of_quantity_and_delta():
    assert StockUpdate.model_validate({"location_id": "store-1", "quantity": 0, "reason": "count"}).quantity == 0
    assert StockUpdate.model_validate({"location_id": "warehouse", "delta": -2, "reason": " sale "}).reason == "sale"
    for bad in (
        {"location_id": "store-1", "reason": "x"},
        {"location_id": "store-1", "quantity": 1, "delta": 1, "reason": "x"},
        {"location_id": "store-1", "delta": 0, "reason": "x"},
        {"location_id": "store-1", "quantity": -1, "reason": "x"},
        {"location_id": "store-1", "delta": True, "reason": "x"},
        {"location_id": "store-1", "quantity": 1},
        {"location_id": "store-1", "quantity": 1, "reason": " "},
        {"location_id": "Store-1", "quantity": 1, "reason": "x"},
        {"location_id": "store_1", "quantity": 1, "reason": "x"},
        {"location_id": "-store", "quantity": 1, "reason": "x"},
    ):
        with pytest.raises(ValidationError):
            StockUpdate.model_validate(bad)


def test_category_and_supplier_inputs():
    assert CategoryCreate.model_validate({"name": " Toys "}).name == "Toys"
    assert SupplierCreate.model_validate({"name": "A", "contact_email": "a@b.ca", "phone": "+1 (514) 555-0101"})
    for bad in ({"name": "A", "contact_email": "nope"}, {"name": "A", "phone": "call me"}, {"name": ""}):
        with pytest.raises(ValidationError):
            SupplierCreate.model_validate(bad)


# ---------------------------------------------------------------- errors -> HTTP
@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (NotFoundError("product", 5), 404, "not_found"),
        (AlreadyExistsError("product", "sku", "A-1"), 409, "already_exists"),
        (ConcurrentModificationError("retry"), 409, "concurrent_modification"),
        (InsufficientStock.adjustment(1, "store-1", 0, -1), 409, "insufficient_stock"),
        (InvalidReferenceError(["body", "category_id"], "category", 9), 404, "invalid_reference"),
        (InvalidPaginationTokenError(), 400, "invalid_pagination_token"),
    ],
)
def test_each_business_error_has_one_status_and_a_stable_shape(error: AppError, status: int, code: str):
    assert error.status == status and error.code == code
    body = error.to_body()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code and isinstance(body["error"]["details"], list)


def test_missing_environment_is_a_configuration_error(monkeypatch):
    from inventory.settings import InventorySettings

    monkeypatch.delenv("PRODUCTS_TABLE", raising=False)
    with pytest.raises(ConfigurationError, match="PRODUCTS_TABLE"):
        InventorySettings.current()
    env = {name: f"t-{name.lower()}" for name in InventorySettings.env_names()}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert InventorySettings.current().products_table == "t-products_table"
    monkeypatch.setenv("PRODUCTS_TABLE", "other")
    assert InventorySettings.current().products_table == "other"  # follows the environment
