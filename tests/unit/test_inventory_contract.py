"""The inventory contract: template.yaml <-> code <-> docs/openapi.json stay in step (no AWS)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUNCTION = "InventoryFunction"


def import_api():
    """Import the handler module with the environment Lambda would give it (powertools reads it at import)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POWERTOOLS_SERVICE_NAME", "inventory")
        patch.setenv("POWERTOOLS_METRICS_NAMESPACE", "RetailPlatform")
        patch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
        return importlib.import_module("inventory.handlers.api")


@pytest.fixture(scope="module")
def function(template) -> dict[str, Any]:
    return template["Resources"][FUNCTION]


def resolver_routes() -> set[tuple[str, str]]:
    app = import_api().app
    # every registered route, including the ones left out of the OpenAPI document
    return {(route.method.lower(), route.openapi_path) for route in app._static_routes + app._dynamic_routes}


def test_every_route_in_code_is_wired_in_the_template_and_back(function):
    from infra.openapi import template_routes

    assert resolver_routes() == set(template_routes({"Resources": {FUNCTION: function}}))


def test_events_require_the_api_key_and_use_the_shared_api(function):
    for name, event in function["Properties"]["Events"].items():
        assert event["Type"] == "Api", name
        assert event["Properties"]["RestApiId"] == {"Ref": "RetailApi"}, name
        assert "Auth" not in event["Properties"], f"{name} must keep the API's default (API key required)"


def test_environment_names_every_table_the_code_reads(template, function):
    from inventory.settings import InventorySettings

    variables = function["Properties"]["Environment"]["Variables"]
    assert variables["POWERTOOLS_SERVICE_NAME"] == "inventory"
    table_vars = {name: value for name, value in variables.items() if isinstance(value, dict) and name != "IDEMPOTENCY_TABLE"}
    assert set(table_vars) == set(InventorySettings.env_names())
    policies = {policy["DynamoDBCrudPolicy"]["TableName"]["Ref"] for policy in function["Properties"]["Policies"]}
    for name, value in table_vars.items():
        table = template["Resources"][value["Ref"]]
        assert table["Type"] == "AWS::DynamoDB::Table", name
        assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
        assert value["Ref"] in policies, f"no DynamoDBCrudPolicy for {value['Ref']}"
    health_tables = template["Resources"]["HealthFunction"]["Properties"]["Environment"]["Variables"]["HEALTH_TABLES"]
    assert {ref["Ref"] for ref in health_tables["Fn::Join"][1]} >= {value["Ref"] for value in table_vars.values()}


def test_log_group(template):
    group = template["Resources"]["InventoryFunctionLogGroup"]["Properties"]
    assert group["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${InventoryFunction}"}
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def _key_schema(items: list[dict[str, str]]) -> dict[str, str]:
    return {item["KeyType"]: item["AttributeName"] for item in items}


def test_table_keys_and_indexes_match_the_pynamodb_models(template, function, monkeypatch):
    from inventory.dal.tables import ALL_MODELS

    variables = function["Properties"]["Environment"]["Variables"]
    table_vars = {name: value["Ref"] for name, value in variables.items() if isinstance(value, dict) and name != "IDEMPOTENCY_TABLE"}
    for name in table_vars:
        monkeypatch.setenv(name, f"table-from-{name}")
    # which variable each model reads its table name from
    model_of = {model.Meta.table_name.removeprefix("table-from-"): model for model in ALL_MODELS}
    assert set(model_of) == set(table_vars)
    for name, logical_id in table_vars.items():
        schema = model_of[name]._get_schema()
        properties = template["Resources"][logical_id]["Properties"]
        assert _key_schema(properties["KeySchema"]) == _key_schema(schema["key_schema"]), name
        template_indexes = {
            index["IndexName"]: _key_schema(index["KeySchema"]) for index in properties.get("GlobalSecondaryIndexes", [])
        }
        model_indexes = {index["index_name"]: _key_schema(index["key_schema"]) for index in schema["global_secondary_indexes"]}
        assert template_indexes == model_indexes, name
        for index in properties.get("GlobalSecondaryIndexes", []):
            assert index["Projection"] == {"ProjectionType": "ALL"}, name
        template_types = {item["AttributeName"]: item["AttributeType"] for item in properties["AttributeDefinitions"]}
        model_types = {item["AttributeName"]: item["AttributeType"] for item in schema["attribute_definitions"]}
        assert template_types == model_types, name


def test_docs_openapi_json_is_up_to_date():
    import_api()
    from infra.openapi import build, render

    current = (ROOT / "docs" / "openapi.json").read_text()
    assert current == render(build()), "docs/openapi.json is stale: run `make openapi`"


def test_openapi_document_uses_the_shared_error_shape():
    import_api()
    from infra.openapi import build

    document = build()
    text = json.dumps(document)
    assert "HTTPValidationError" not in text and "ResponseValidationError" not in text
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert responses["422"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}
            assert any(code.startswith("2") for code in responses), (method, path)
    assert document["components"]["securitySchemes"]["api_key"] == {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
        "description": "API Gateway API key (usage plans: admin, frontend).",
    }
    product = document["components"]["schemas"]["ProductOut"]["properties"]["price"]
    assert product["type"] == "string"


def test_openapi_cli_check(tmp_path, capsys):
    import_api()
    from infra.openapi import main

    stale = tmp_path / "openapi.json"
    stale.write_text("{}\n")
    assert main(["--check", str(stale)]) == 1
    assert main(["--output", str(stale)]) == 0
    assert main(["--check", str(stale)]) == 0


def test_merge_rejects_conflicting_components():
    from shared.openapi import OpenAPIConflictError, _check_components

    a = {"components": {"schemas": {"Thing": {"type": "string"}}}}
    b = {"components": {"schemas": {"Thing": {"type": "integer"}}}}
    _check_components([a, a], ["x", "y"])
    with pytest.raises(OpenAPIConflictError, match="Thing"):
        _check_components([a, b], ["x", "y"])
