"""The inventory contract: template.yaml <-> code <-> docs/openapi.json stay in step (no AWS)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.unit.template_contract import assert_tables_match_models, import_handler, routes_of, table_variables

ROOT = Path(__file__).resolve().parents[2]
FUNCTION = "InventoryFunction"


def import_api():
    return import_handler("inventory.handlers.api", "inventory")


@pytest.fixture(scope="module")
def function(template) -> dict[str, Any]:
    return template["Resources"][FUNCTION]


def resolver_routes() -> set[tuple[str, str]]:
    return routes_of(import_api().app)


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


def test_table_keys_and_indexes_match_the_pynamodb_models(template, function, monkeypatch):
    from inventory.dal.tables import ALL_MODELS

    assert_tables_match_models(template, monkeypatch, table_variables(function), ALL_MODELS)


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
