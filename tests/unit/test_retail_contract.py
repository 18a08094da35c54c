"""The retail contract: template.yaml <-> code, and the sale/return item shapes that the
reporting domain reads from the tables' streams (no AWS)."""

from __future__ import annotations

import importlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

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
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POWERTOOLS_SERVICE_NAME", "retail")
        patch.setenv("POWERTOOLS_METRICS_NAMESPACE", "RetailPlatform")
        patch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
        return importlib.import_module("retail.handlers.api")


@pytest.fixture(scope="module")
def function(template) -> dict[str, Any]:
    return template["Resources"][FUNCTION]


@pytest.fixture
def table_env(function, monkeypatch) -> dict[str, str]:
    """variable -> logical id of the table, with each variable set to `table-from-<variable>`."""
    variables = function["Properties"]["Environment"]["Variables"]
    # IDEMPOTENCY_TABLE is the shared Idempotency-Key middleware's (tests/unit/test_idempotency_tables.py)
    table_vars = {
        name: value["Ref"]
        for name, value in variables.items()
        if isinstance(value, dict) and name != "IDEMPOTENCY_TABLE" and value["Ref"].endswith("Table")
    }
    for name in table_vars:
        monkeypatch.setenv(name, f"table-from-{name}")
    monkeypatch.setenv("INVENTORY_FUNCTION", "inventory-interface")  # not a table: the settings need it
    return table_vars


def test_every_route_in_code_is_wired_in_the_template_and_back(function):
    from infra.openapi import template_routes

    app = import_api().app
    routes = {(route.method.lower(), route.openapi_path) for route in app._static_routes + app._dynamic_routes}
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


def _key_schema(items: list[dict[str, str]]) -> dict[str, str]:
    return {item["KeyType"]: item["AttributeName"] for item in items}


def test_table_keys_and_indexes_match_the_pynamodb_models(template, table_env):
    from retail.dal import tables

    models = list(tables.ALL_MODELS)
    model_of = {model.Meta.table_name.removeprefix("table-from-"): model for model in models}
    assert set(model_of) == set(table_env)
    for name, logical_id in table_env.items():
        schema = model_of[name]._get_schema()
        properties = template["Resources"][logical_id]["Properties"]
        assert _key_schema(properties["KeySchema"]) == _key_schema(schema["key_schema"]), name
        template_indexes = {
            index["IndexName"]: _key_schema(index["KeySchema"]) for index in properties.get("GlobalSecondaryIndexes", [])
        }
        model_indexes = {index["index_name"]: _key_schema(index["key_schema"]) for index in schema["global_secondary_indexes"]}
        assert template_indexes == model_indexes, name
        template_types = {item["AttributeName"]: item["AttributeType"] for item in properties["AttributeDefinitions"]}
        model_types = {item["AttributeName"]: item["AttributeType"] for item in schema["attribute_definitions"]}
        assert template_types == model_types, name


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
