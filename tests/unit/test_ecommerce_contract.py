"""The e-commerce contract: template.yaml <-> code <-> docs/openapi.json stay in step (no AWS),
including what the reporting domain and the order saga rely on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.unit.template_contract import (
    assert_tables_match_models,
    import_handler,
    lambda_environment,
    routes_of,
    table_variables,
)

ROOT = Path(__file__).resolve().parents[2]
FUNCTION = "EcommerceFunction"
SAGA_FUNCTIONS = {
    "EcommerceCreateOrderFunction": "create_order_handler",
    "EcommerceCancelOrderFunction": "cancel_order_handler",
    "EcommerceConfirmOrderFunction": "confirm_order_handler",
    "EcommerceProcessPaymentFunction": "process_payment_handler",
    "EcommerceRefundPaymentFunction": "refund_payment_handler",
}
ALL_FUNCTIONS = (FUNCTION, *SAGA_FUNCTIONS)
PRICING_FUNCTIONS = {FUNCTION, "EcommerceCreateOrderFunction"}  # read the catalogue: the inventory interface
INTERFACE = "InventoryInterfaceFunction"


def import_module(name: str):
    """Import a handler module with the environment Lambda would give it."""
    return import_handler(name, "ecommerce")


def build_document() -> dict[str, Any]:
    """The merged OpenAPI document (imports every domain's API module)."""
    from infra.openapi import build

    with lambda_environment("ecommerce"):
        return build()


def resolver_routes() -> set[tuple[str, str]]:
    return routes_of(import_module("ecommerce.handlers.api").app)


def test_every_route_in_code_is_wired_in_the_template_and_back(template):
    from infra.openapi import template_routes

    assert resolver_routes() == set(template_routes({"Resources": {FUNCTION: template["Resources"][FUNCTION]}}))
    assert ("get", "/api/v1/payments") in resolver_routes() and ("post", "/api/v1/orders") in resolver_routes()


def test_events_require_the_api_key_and_use_the_shared_api(template):
    for name, event in template["Resources"][FUNCTION]["Properties"]["Events"].items():
        assert event["Type"] == "Api", name
        assert event["Properties"]["RestApiId"] == {"Ref": "RetailApi"}, name
        assert "Auth" not in event["Properties"], f"{name} must keep the API's default (API key required)"


@pytest.mark.parametrize("logical_id", ALL_FUNCTIONS)
def test_environment_and_policies(template, logical_id):
    from ecommerce.settings import CatalogSettings, EcommerceSettings

    properties = template["Resources"][logical_id]["Properties"]
    variables = properties["Environment"]["Variables"]
    assert variables["POWERTOOLS_SERVICE_NAME"] == "ecommerce"
    saga_only = {"SAGA_FAULT_INJECTION"} if logical_id != FUNCTION else set()
    if saga_only:  # the test hook follows the template's condition: off unless EnableTestHooks=true
        assert variables["SAGA_FAULT_INJECTION"] == {"Fn::If": ["TestHooksEnabled", "enabled", "disabled"]}
    from shared.idempotency import IdempotencySettings

    api_only = set(IdempotencySettings.env_names()) if logical_id == FUNCTION else set()
    catalog = set(CatalogSettings.env_names()) if logical_id in PRICING_FUNCTIONS else set()
    assert set(variables) - {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_TRACER_CAPTURE_RESPONSE"} - saga_only == set(
        EcommerceSettings.env_names()) | api_only | catalog
    EcommerceSettings.from_env({name: value if isinstance(value, str) else "t" for name, value in variables.items()})
    table_vars = {name: value["Ref"] for name, value in variables.items()
                  if isinstance(value, dict) and "Ref" in value and name not in ("IDEMPOTENCY_TABLE", "INVENTORY_FUNCTION")}
    crud = {p["DynamoDBCrudPolicy"]["TableName"]["Ref"] for p in properties["Policies"] if "DynamoDBCrudPolicy" in p}
    assert not [p for p in properties["Policies"] if "DynamoDBReadPolicy" in p]  # no other domain's table
    invoke = [p for p in properties["Policies"] if "LambdaInvokePolicy" in p]
    if logical_id in PRICING_FUNCTIONS:  # the catalogue: inventory's interface, never its tables
        assert variables["INVENTORY_FUNCTION"] == {"Ref": INTERFACE}
        assert invoke == [{"LambdaInvokePolicy": {"FunctionName": {"Ref": INTERFACE}}}]
        CatalogSettings.from_env({"INVENTORY_FUNCTION": "t"})
    else:
        assert "INVENTORY_FUNCTION" not in variables and not invoke
    for name, logical in table_vars.items():
        table = template["Resources"][logical]
        assert table["Type"] == "AWS::DynamoDB::Table", name
        assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
        assert logical.startswith("Ecommerce") and logical in crud, name


@pytest.mark.parametrize("logical_id", SAGA_FUNCTIONS)
def test_saga_functions_are_separate_functions_without_api_events(template, logical_id):
    properties = template["Resources"][logical_id]["Properties"]
    assert template["Resources"][logical_id]["Type"] == "AWS::Serverless::Function"
    assert "Events" not in properties and "CodeUri" not in properties  # the Globals' functions/
    module_name, _, handler_name = properties["Handler"].rpartition(".")
    assert module_name == "ecommerce.handlers.saga" and handler_name == SAGA_FUNCTIONS[logical_id]
    assert callable(getattr(import_module(module_name), handler_name))
    assert properties["Environment"] == {
        "Variables": {
            name: value
            for name, value in template["Resources"][FUNCTION]["Properties"]["Environment"]["Variables"].items()
            if name not in ("POWERTOOLS_TRACER_CAPTURE_RESPONSE", "IDEMPOTENCY_TABLE", "IDEMPOTENCY_KEY_ATTR")  # API only
            and (name != "INVENTORY_FUNCTION" or logical_id in PRICING_FUNCTIONS)  # the catalogue: pricing only
        }
        | {"SAGA_FAULT_INJECTION": {"Fn::If": ["TestHooksEnabled", "enabled", "disabled"]}}
    }


@pytest.mark.parametrize("logical_id", ALL_FUNCTIONS)
def test_log_groups(template, logical_id):
    group = template["Resources"][f"{logical_id}LogGroup"]["Properties"]
    assert group["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{{logical_id}}}"}
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_table_keys_and_indexes_match_the_pynamodb_models(template, monkeypatch):
    from ecommerce.dal.tables import ALL_MODELS

    assert_tables_match_models(template, monkeypatch, table_variables(template["Resources"][FUNCTION]), ALL_MODELS)


def test_orders_table_streams_the_attributes_reporting_reads(template):
    from ecommerce.dal.tables import IsoDateTimeAttribute, LineMap, OrderRecord
    from shared.dynamo import DecimalAttribute, IntegerAttribute

    table = template["Resources"]["EcommerceOrdersTable"]["Properties"]
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    attributes = OrderRecord.get_attributes()
    for name, kind in (
        ("order_id", IntegerAttribute),
        ("customer_id", IntegerAttribute),
        ("total", DecimalAttribute),
        ("created_at", IsoDateTimeAttribute),
    ):
        assert isinstance(attributes[name], kind), name
        assert not attributes[name].null, name
    assert attributes["status"].attr_type == "S" and attributes["order_date"].attr_type == "S"
    assert attributes["lines"].element_type is LineMap
    line_attributes = LineMap.get_attributes()
    for name in ("product_id", "quantity", "unit_price", "line_total"):
        assert line_attributes[name].attr_type == "N", name


def test_openapi_document_has_the_ecommerce_paths():
    document = build_document()
    for path in ("/api/v1/customers", "/api/v1/carts/{cart_id}", "/api/v1/orders", "/api/v1/payments/{payment_id}"):
        assert path in document["paths"], path
    order = document["components"]["schemas"]["OrderOut"]["properties"]
    assert order["total"]["type"] == "string"
    declined = document["paths"]["/api/v1/payments"]["post"]["responses"]["402"]
    assert declined["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}
    json.dumps(document)


def test_docs_openapi_json_is_up_to_date():
    from infra.openapi import render

    current = (ROOT / "docs" / "openapi.json").read_text()
    assert current == render(build_document()), "docs/openapi.json is stale: run `make openapi`"
