"""Inventory's order-saga stock functions without AWS: input models, pure rules, errors, and
their wiring in template.yaml."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from inventory.errors import (
    InsufficientStock,
    LocationNotFound,
    ProductNotFound,
    ReservationAborted,
    ReservationCommitted,
    ReservationConflict,
    ReservationNotFound,
    ReservationReleased,
    Shortage,
)
from inventory.saga_schemas import (
    CheckStockInput,
    CommitStockInput,
    ReleaseStockInput,
    ReserveStockInput,
    ReserveStockOutput,
)

ROOT = Path(__file__).resolve().parents[2]
SAGA_FUNCTIONS = {
    "InventoryCheckStockFunction": "inventory.handlers.saga.check_stock_handler",
    "InventoryReserveStockFunction": "inventory.handlers.saga.reserve_stock_handler",
    "InventoryReleaseStockFunction": "inventory.handlers.saga.release_stock_handler",
    "InventoryCommitStockFunction": "inventory.handlers.saga.commit_stock_handler",
}


def lines(*pairs: tuple[int, int]) -> list[dict[str, int]]:
    return [{"product_id": product_id, "quantity": quantity} for product_id, quantity in pairs]


# ---------------------------------------------------------------- input models
@pytest.mark.parametrize("model", [CheckStockInput, ReserveStockInput])
def test_stock_lines_input_defaults_and_envelope(model):
    request = model.model_validate(
        {"saga_id": "Order_saga-42", "correlation_id": "req-1", "attempt": 2, "faults": [{"step": "X"}],
         "lines": lines((7, 5), (3, 1)), "customer_id": 9}
    )
    assert request.location_id == "warehouse" and request.requested() == [(7, 5), (3, 1)]
    assert request.correlation_id == "req-1" and request.attempt == 2
    nulls = model.model_validate({"saga_id": "s", "location_id": None, "correlation_id": None, "attempt": None,
                                  "faults": None, "lines": lines((1, 1))})
    assert nulls.location_id == "warehouse"
    assert model.model_validate({"saga_id": "s", "location_id": " store-2 ", "lines": lines((1, 1000))}).location_id == "store-2"
    assert len(model.model_validate({"saga_id": "s", "lines": lines(*((i, 1) for i in range(1, 26)))}).lines) == 25


@pytest.mark.parametrize(
    "event",
    [
        {"lines": lines((1, 1))},
        {"saga_id": "", "lines": lines((1, 1))},
        {"saga_id": "a b", "lines": lines((1, 1))},
        {"saga_id": "a/b", "lines": lines((1, 1))},
        {"saga_id": "x" * 81, "lines": lines((1, 1))},
        {"saga_id": 42, "lines": lines((1, 1))},
        {"saga_id": "s"},
        {"saga_id": "s", "lines": []},
        {"saga_id": "s", "lines": lines(*((i, 1) for i in range(1, 27)))},
        {"saga_id": "s", "lines": lines((1, 1), (2, 1), (1, 2))},
        {"saga_id": "s", "lines": lines((0, 1))},
        {"saga_id": "s", "lines": lines((1, 0))},
        {"saga_id": "s", "lines": lines((1, -1))},
        {"saga_id": "s", "lines": lines((1, 1001))},
        {"saga_id": "s", "lines": [{"product_id": True, "quantity": 1}]},
        {"saga_id": "s", "lines": [{"product_id": 1, "quantity": False}]},
        {"saga_id": "s", "lines": [{"product_id": 1}]},
        {"saga_id": "s", "location_id": "Warehouse!", "lines": lines((1, 1))},
        {"saga_id": "s", "attempt": -1, "lines": lines((1, 1))},
    ],
)
def test_stock_lines_input_refusals(event):
    for model in (CheckStockInput, ReserveStockInput):
        with pytest.raises(ValidationError):
            model.model_validate(event)


def test_duplicate_products_are_named():
    with pytest.raises(ValidationError, match="repeated: 1, 2"):
        ReserveStockInput.model_validate({"saga_id": "s", "lines": lines((2, 1), (1, 1), (2, 3), (1, 1))})


def test_release_and_commit_inputs():
    assert ReleaseStockInput.model_validate({"saga_id": "s"}).reason == "released by the order saga"
    assert ReleaseStockInput.model_validate({"saga_id": "s", "reason": None}).reason == "released by the order saga"
    assert ReleaseStockInput.model_validate({"saga_id": "s", "reason": " payment declined "}).reason == "payment declined"
    assert CommitStockInput.model_validate({"saga_id": "s", "order_id": 5}).saga_id == "s"
    for bad in ({}, {"saga_id": ""}, {"saga_id": "s", "reason": ""}, {"saga_id": "s", "reason": "x" * 201}):
        with pytest.raises(ValidationError):
            ReleaseStockInput.model_validate(bad)


def test_outputs_forbid_unknown_fields():
    with pytest.raises(ValidationError):
        ReserveStockOutput(reservation_id="s", status="reserved", location_id="warehouse", lines=[], created_at="x", extra=1)


# ---------------------------------------------------------------- pure rules
def stock_row(product_id: int, available: int, *, discontinued: bool | None = None):
    from inventory.models import Stock

    return Stock(product_id=product_id, location_id="warehouse", available=available, reserved=0, reorder_level=1,
                 discontinued=discontinued, updated_at=datetime.now(UTC))


def test_find_shortages_names_every_short_line_in_order():
    from inventory.logic.reservations import find_shortages

    assert find_shortages([(1, 5), (2, 3)], {1: 5, 2: 3}) == []
    assert find_shortages([(2, 4), (1, 6), (3, 1)], {1: 5, 2: 3}) == [Shortage(2, 4, 3), Shortage(1, 6, 5), Shortage(3, 1, 0)]


def test_missing_products():
    from inventory.logic.reservations import missing_products

    rows = {1: stock_row(1, 5), 2: stock_row(2, 5, discontinued=True), 4: stock_row(4, 0)}
    assert missing_products([(1, 1), (2, 1), (3, 1), (4, 1), (5, 1)], live={1, 2, 3, 4}, rows=rows) == [2, 3, 5]


def test_same_request_ignores_line_order_only():
    from inventory.logic.reservations import same_request
    from inventory.models import Reservation, ReservationLine

    now = datetime.now(UTC)
    reservation = Reservation(reservation_id="s", status="reserved", location_id="warehouse", created_at=now, updated_at=now,
                              lines=[ReservationLine(product_id=1, quantity=2), ReservationLine(product_id=3, quantity=4)])
    assert same_request(reservation, "warehouse", [(3, 4), (1, 2)])
    assert not same_request(reservation, "store-1", [(1, 2), (3, 4)])
    assert not same_request(reservation, "warehouse", [(1, 2), (3, 5)])
    assert not same_request(reservation, "warehouse", [(1, 2)])


def test_movement_reasons():
    from inventory.logic.reservations import movement_reason

    assert movement_reason("reserve", "saga-1") == "reserved for saga saga-1"
    assert movement_reason("release", "saga-1", "payment declined") == "released for saga saga-1: payment declined"
    assert movement_reason("commit", "saga-1") == "committed for saga saga-1"
    assert len(movement_reason("release", "s" * 80, "x" * 200)) == 200


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("error", "name", "status", "code"),
    [
        (InsufficientStock("warehouse", [Shortage(7, 5, 3)]), "InsufficientStock", 409, "insufficient_stock"),
        (ProductNotFound([7, 9], "store-1"), "ProductNotFound", 404, "invalid_reference"),
        (LocationNotFound("store-9"), "LocationNotFound", 404, "invalid_reference"),
        (ReservationNotFound("s"), "ReservationNotFound", 404, "invalid_reference"),
        (ReservationConflict("s"), "ReservationConflict", 409, "reservation_conflict"),
        (ReservationAborted("s"), "ReservationAborted", 409, "reservation_aborted"),
        (ReservationReleased("s"), "ReservationReleased", 409, "reservation_released"),
        (ReservationCommitted("s"), "ReservationCommitted", 409, "reservation_committed"),
    ],
)
def test_error_types(error, name, status, code):
    from inventory.errors import InventoryBusinessError
    from shared.errors import InsufficientStock

    assert type(error).__name__ == name  # Lambda's errorType, matched by the state machine
    # InsufficientStock is the one type of its rule in every domain (shared.errors)
    assert isinstance(error, InsufficientStock if name == "InsufficientStock" else InventoryBusinessError)
    assert error.status == status and error.code == code
    body = error.to_body()["error"]
    assert body["code"] == code and body["message"] == str(error) and isinstance(body["details"], list)


def test_error_messages():
    short = InsufficientStock("warehouse", [Shortage(7, 5, 3), Shortage(8, 2, 0)])
    assert str(short) == "insufficient stock at warehouse: product 7 has 3 available, 5 requested; product 8 has 0 available, 2 requested"
    assert [(d["product_id"], d["available"], d["requested"]) for d in short.details] == [(7, 3, 5), (8, 0, 2)]
    assert "products 7, 9 not found" in str(ProductNotFound([7, 9], "store-1"))
    assert "product 7 not found" in str(ProductNotFound([7], "warehouse"))
    assert "saga s-1" in str(ReservationConflict("s-1"))


# ---------------------------------------------------------------- template wiring
def table_refs(function: dict[str, Any]) -> dict[str, str]:
    variables = function["Properties"]["Environment"]["Variables"]
    return {name: value["Ref"] for name, value in variables.items() if isinstance(value, dict) and "Ref" in value}


def policies(function: dict[str, Any], kind: str) -> set[str]:
    return {p[kind]["TableName"]["Ref"] for p in function["Properties"]["Policies"] if isinstance(p, dict) and kind in p}


def test_saga_functions_are_wired(template):
    from inventory.settings import ReservationSettings, StockSettings

    resources = template["Resources"]
    api_refs = table_refs(resources["InventoryFunction"])
    for logical_id, handler in SAGA_FUNCTIONS.items():
        function = resources[logical_id]
        properties = function["Properties"]
        assert function["Type"] == "AWS::Serverless::Function"
        assert properties["Handler"] == handler
        assert "Events" not in properties, "the state machine invokes them: no API event"
        variables = properties["Environment"]["Variables"]
        assert variables["POWERTOOLS_SERVICE_NAME"] == "inventory"
        assert variables["SAGA_FAULT_INJECTION"] == {"Fn::If": ["TestHooksEnabled", "enabled", "disabled"]}
        refs = table_refs(function)
        settings = StockSettings if logical_id == "InventoryCheckStockFunction" else ReservationSettings
        assert set(refs) == set(settings.env_names()), logical_id
        for name, table in refs.items():  # the same variable names the same table everywhere
            assert api_refs.get(name, table) == table
        group = resources[f"{logical_id}LogGroup"]["Properties"]
        assert group["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{{logical_id}}}"}
        assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}

    written = {"InventoryStockTable", "InventoryStockMovementsTable", "InventoryReservationsTable"}
    check = resources["InventoryCheckStockFunction"]
    assert policies(check, "DynamoDBCrudPolicy") == set()
    assert policies(check, "DynamoDBReadPolicy") == {"InventoryProductsTable", "InventoryLocationsTable", "InventoryStockTable"}
    reserve = resources["InventoryReserveStockFunction"]
    assert policies(reserve, "DynamoDBCrudPolicy") == written
    assert policies(reserve, "DynamoDBReadPolicy") == {"InventoryProductsTable", "InventoryLocationsTable"}
    for logical_id in ("InventoryReleaseStockFunction", "InventoryCommitStockFunction"):
        assert policies(resources[logical_id], "DynamoDBCrudPolicy") == written
        assert policies(resources[logical_id], "DynamoDBReadPolicy") == set()


def test_reservations_table(template, monkeypatch):
    from inventory.dal.tables import ReservationRecord

    resources = template["Resources"]
    table = resources["InventoryReservationsTable"]
    assert table["Type"] == "AWS::DynamoDB::Table"
    properties = table["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    monkeypatch.setenv("RESERVATIONS_TABLE", "reservations")
    for name in ("PRODUCTS_TABLE", "LOCATIONS_TABLE", "STOCK_TABLE", "STOCK_MOVEMENTS_TABLE"):
        monkeypatch.setenv(name, name.lower())
    assert ReservationRecord.Meta.table_name == "reservations"
    schema = ReservationRecord._get_schema()
    assert properties["KeySchema"] == [{"AttributeName": "reservation_id", "KeyType": "HASH"}]
    assert [k["AttributeName"] for k in schema["key_schema"]] == ["reservation_id"]
    assert properties["AttributeDefinitions"] == [{"AttributeName": "reservation_id", "AttributeType": "S"}]
    health = resources["HealthFunction"]["Properties"]["Environment"]["Variables"]["HEALTH_TABLES"]["Fn::Join"][1]
    assert {"Ref": "InventoryReservationsTable"} in health
    # the REST API never touches reservations
    assert "InventoryReservationsTable" not in table_refs(resources["InventoryFunction"]).values()


def test_saga_functions_need_only_their_tables(monkeypatch):
    """The saga functions' environment lacks the API-only tables: their models must not need them."""
    from inventory.dal.tables import SAGA_MODELS
    from inventory.settings import ReservationSettings, InventorySettings

    for name in InventorySettings.env_names():
        monkeypatch.delenv(name, raising=False)
    for name in ReservationSettings.env_names():
        monkeypatch.setenv(name, f"t-{name}")
    assert {model.Meta.table_name for model in SAGA_MODELS} == {f"t-{name}" for name in ReservationSettings.env_names()}
