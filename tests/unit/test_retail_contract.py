"""The retail contract: template.yaml <-> code, and the sale/return item shapes that the
reporting domain reads from the tables' streams (no AWS)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.unit.template_contract import assert_tables_match_models, import_handler, routes_of, table_variables

ROOT = Path(__file__).resolve().parents[2]
FUNCTION = "RetailFunction"
WRITTEN_TABLES = {  # tables the function writes: DynamoDBCrudPolicy
    "RetailStoresTable",
    "RetailCashRegistersTable",
    "RetailSalesTable",
    "RetailReturnsTable",
    "RetailRegistryTable",
}
INTERFACE = "InventoryInterfaceFunction"  # inventory's data: through its interface function only


def import_api():
    return import_handler("retail.handlers.api", "retail")


@pytest.fixture(scope="module")
def function(template) -> dict[str, Any]:
    return template["Resources"][FUNCTION]


@pytest.fixture
def table_env(function, monkeypatch) -> dict[str, str]:
    """variable -> logical id of the table, with each variable set to `table-from-<variable>`."""
    table_vars = table_variables(function)
    for name in table_vars:
        monkeypatch.setenv(name, f"table-from-{name}")
    monkeypatch.setenv("INVENTORY_FUNCTION", "inventory-interface")  # not a table: the settings need it
    return table_vars


def test_every_route_in_code_is_wired_in_the_template_and_back(function):
    from infra.openapi import template_routes

    routes = routes_of(import_api().app)
    assert routes == set(template_routes({"Resources": {FUNCTION: function}}))
    assert ("post", "/api/v1/sales") in routes and ("get", "/api/v1/returns/{return_id}") in routes


def test_events_require_the_api_key_and_use_the_shared_api(function):
    assert function["Properties"]["Handler"] == "retail.handlers.api.lambda_handler"
    for name, event in function["Properties"]["Events"].items():
        assert event["Type"] == "Api", name
        assert event["Properties"]["RestApiId"] == {"Ref": "RetailApi"}, name
        assert "Auth" not in event["Properties"], f"{name} must keep the API's default (API key required)"


def test_environment_and_policies(template, function, table_env):
    from retail.settings import RetailSettings

    variables = function["Properties"]["Environment"]["Variables"]
    assert variables["POWERTOOLS_SERVICE_NAME"] == "retail"
    assert set(table_env) | {"INVENTORY_FUNCTION"} == set(RetailSettings.env_names())
    # retail's own tables only; inventory's data through inventory's interface function
    assert variables["INVENTORY_FUNCTION"] == {"Ref": INTERFACE}
    assert all(logical_id.startswith("Retail") for logical_id in table_env.values())
    policies = function["Properties"]["Policies"]
    crud = {p["DynamoDBCrudPolicy"]["TableName"]["Ref"] for p in policies if "DynamoDBCrudPolicy" in p}
    assert crud == WRITTEN_TABLES | {"RetailIdempotencyTable"}
    assert not [p for p in policies if "DynamoDBReadPolicy" in p]
    assert {"LambdaInvokePolicy": {"FunctionName": {"Ref": INTERFACE}}} in policies
    assert set(table_env.values()) <= crud
    for logical_id in set(table_env.values()):
        table = template["Resources"][logical_id]
        assert table["Type"] == "AWS::DynamoDB::Table" and table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
    group = template["Resources"]["RetailFunctionLogGroup"]["Properties"]
    assert group["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${RetailFunction}"}


def test_sales_and_returns_tables_stream_to_reporting(template):
    for logical_id in ("RetailSalesTable", "RetailReturnsTable"):
        assert template["Resources"][logical_id]["Properties"]["StreamSpecification"] == {
            "StreamViewType": "NEW_AND_OLD_IMAGES"
        }


def test_table_keys_and_indexes_match_the_pynamodb_models(template, table_env, monkeypatch):
    from retail.dal.tables import ALL_MODELS

    assert_tables_match_models(template, monkeypatch, table_env, ALL_MODELS)


def test_sale_item_shape_for_the_stream_consumers(table_env):
    from retail.dal.tables import SaleRecord
    from retail.logic import rules
    from retail.logic.sales import new_sale
    from shared.dynamo import record_of

    priced = rules.price_lines([(4, 2), (9, 1)], {4: Decimal("19.99"), 9: Decimal("5")})
    sale = new_sale(12, 3, 7, priced, rules.parse_timestamp("2026-11-24T14:03:12.345Z"))
    item = record_of(SaleRecord, sale).serialize()
    assert item == {
        "sale_id": {"N": "12"},
        "store_id": {"N": "3"},
        "register_id": {"N": "7"},
        "created_at": {"S": "2026-11-24T14:03:12.345Z"},
        "sale_date": {"S": "2026-11-24"},
        "lines": {
            "L": [
                {"M": {"product_id": {"N": "4"}, "quantity": {"N": "2"}, "unit_price": {"N": "19.99"}, "line_total": {"N": "39.98"}}},
                {"M": {"product_id": {"N": "9"}, "quantity": {"N": "1"}, "unit_price": {"N": "5.00"}, "line_total": {"N": "5.00"}}},
            ]
        },
        "total": {"N": "44.98"},
        "item_count": {"N": "3"},
    }


def test_return_item_shape_for_the_stream_consumers(table_env):
    from retail.dal.tables import ReturnRecord
    from retail.logic import rules
    from retail.logic.returns import new_return
    from retail.logic.sales import new_sale
    from shared.dynamo import record_of

    at = rules.parse_timestamp("2026-11-25T09:00:00.000Z")
    sale = new_sale(12, 3, 7, rules.price_lines([(4, 2)], {4: Decimal("19.99")}), rules.parse_timestamp("2026-11-24T14:03:12.345Z"))
    refunds = rules.compute_refund(12, [rules.SoldLine(4, 2, Decimal("19.99"))], [(4, 1)], {})
    item = record_of(ReturnRecord, new_return(5, sale, refunds, None, at)).serialize()
    assert item == {
        "return_id": {"N": "5"},
        "sale_id": {"N": "12"},
        "store_id": {"N": "3"},
        "created_at": {"S": "2026-11-25T09:00:00.000Z"},
        "return_date": {"S": "2026-11-25"},
        "lines": {"L": [{"M": {"product_id": {"N": "4"}, "quantity": {"N": "1"}, "refund_amount": {"N": "19.99"}}}]},
        "refund_total": {"N": "19.99"},
    }
    with_reason = record_of(ReturnRecord, new_return(6, sale, refunds, "broken", at)).serialize()
    assert with_reason["reason"] == {"S": "broken"}
