"""The reporting contract: template.yaml <-> code, and the API's validation (no AWS).

Requests that fail validation never reach DynamoDB, so the 422s are checked here with the
resolver called in-process and no table at all.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.unit.template_contract import import_handler, routes_of

ROOT = Path(__file__).resolve().parents[2]
API_FUNCTION = "ReportingFunction"
STREAM_FUNCTION = "ReportingStreamFunction"
SOURCES = {"RetailSalesTable": "SALES_TABLE", "RetailReturnsTable": "RETURNS_TABLE", "EcommerceOrdersTable": "ORDERS_TABLE"}


def import_api():
    return import_handler("reporting.handlers.api", "reporting")


def resources(template):
    return template["Resources"]


# ---------------------------------------------------------------- template
def test_every_report_route_is_wired_with_the_api_key_and_back(template):
    from infra.openapi import template_routes

    in_code = routes_of(import_api().app)
    function = resources(template)[API_FUNCTION]
    assert in_code == set(template_routes({"Resources": {API_FUNCTION: function}}))
    assert in_code == {
        ("get", "/api/v1/reports/sales"),
        ("get", "/api/v1/reports/inventory"),
        ("get", "/api/v1/reports/performance"),
        ("get", "/api/v1/analytics/trends"),
        ("get", "/api/v1/dashboards"),
    }
    for name, event in function["Properties"]["Events"].items():
        assert event["Properties"]["RestApiId"] == {"Ref": "RetailApi"}, name
        assert "Auth" not in event["Properties"], f"{name} must keep the API's default (API key required)"


def test_stream_function_consumes_the_three_streams(template):
    function = resources(template)[STREAM_FUNCTION]["Properties"]
    assert function["Handler"] == "reporting.handlers.stream.lambda_handler"
    streams = {}
    for name, event in function["Events"].items():
        assert event["Type"] == "DynamoDB", name
        properties = event["Properties"]
        assert properties["StartingPosition"] == "TRIM_HORIZON"
        assert properties["BatchSize"] == 100
        assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert properties["MaximumBatchingWindowInSeconds"] <= 1
        logical_id, attribute = properties["Stream"]["Fn::GetAtt"]
        assert attribute == "StreamArn"
        streams[logical_id] = name
    assert set(streams) == set(SOURCES)
    for logical_id, variable in SOURCES.items():
        table = resources(template)[logical_id]["Properties"]
        assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES", logical_id
        assert function["Environment"]["Variables"][variable] == {"Ref": logical_id}


def test_environments_match_the_settings_and_policies(template):
    from reporting.settings import (
        AggregatesSettings,
        InventorySettings,
        ProcessedEventsSettings,
        SourceTablesSettings,
    )

    wanted = {
        API_FUNCTION: (AggregatesSettings, InventorySettings),
        STREAM_FUNCTION: (AggregatesSettings, ProcessedEventsSettings, SourceTablesSettings),
    }
    for logical_id, settings in wanted.items():
        properties = resources(template)[logical_id]["Properties"]
        variables = properties["Environment"]["Variables"]
        assert variables["POWERTOOLS_SERVICE_NAME"] == "reporting"
        names = {name for cls in settings for name in cls.env_names()}
        tables = {name for name, value in variables.items() if isinstance(value, dict)}
        assert tables <= names and {n for n in names if n != "PROCESSED_TTL_DAYS"} == tables, logical_id
        granted = {
            kind: {policy[kind]["TableName"]["Ref"] for policy in properties["Policies"] if kind in policy}
            for kind in ("DynamoDBReadPolicy", "DynamoDBCrudPolicy")
        }
        invokable = {policy["LambdaInvokePolicy"]["FunctionName"]["Ref"]
                     for policy in properties["Policies"] if "LambdaInvokePolicy" in policy}
        for name in tables - set(SOURCES.values()):  # the source tables are only named, never read
            ref = variables[name]["Ref"]
            if resources(template)[ref]["Type"] == "AWS::Serverless::Function":
                assert ref in invokable, (logical_id, ref)
                continue
            assert ref in granted["DynamoDBReadPolicy"] | granted["DynamoDBCrudPolicy"], (logical_id, ref)
        if logical_id == API_FUNCTION:  # inventory only through its interface (ADR 0001)
            assert variables["INVENTORY_FUNCTION"] == {"Ref": "InventoryInterfaceFunction"}
            assert not {ref for refs in granted.values() for ref in refs if ref.startswith("Inventory")}
        if logical_id == API_FUNCTION:
            assert not granted["DynamoDBCrudPolicy"], "the report API only reads"
        group = resources(template)[f"{logical_id}LogGroup"]["Properties"]
        assert group["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{{logical_id}}}"}


def test_table_keys_match_the_models(template, monkeypatch):
    from reporting.dal.tables import AggregateRecord, ProcessedEvent

    for name in ("AGGREGATES_TABLE", "PROCESSED_EVENTS_TABLE"):
        monkeypatch.setenv(name, name)
    stream_env = resources(template)[STREAM_FUNCTION]["Properties"]["Environment"]["Variables"]
    api_env = resources(template)[API_FUNCTION]["Properties"]["Environment"]["Variables"]
    for model, logical_id in (
        (AggregateRecord, stream_env["AGGREGATES_TABLE"]["Ref"]),
        (ProcessedEvent, stream_env["PROCESSED_EVENTS_TABLE"]["Ref"]),
    ):
        schema = model._get_schema()
        properties = resources(template)[logical_id]["Properties"]
        keys = {item["KeyType"]: item["AttributeName"] for item in properties["KeySchema"]}
        assert keys == {item["KeyType"]: item["AttributeName"] for item in schema["key_schema"]}, logical_id
        types = {item["AttributeName"]: item["AttributeType"] for item in properties["AttributeDefinitions"]}
        for item in schema["attribute_definitions"]:
            assert types[item["AttributeName"]] == item["AttributeType"], logical_id
    ttl = resources(template)["ReportingProcessedEventsTable"]["Properties"]["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expires_at", "Enabled": True}
    assert stream_env["AGGREGATES_TABLE"] == api_env["AGGREGATES_TABLE"] == {"Ref": "ReportingAggregatesTable"}


# ---------------------------------------------------------------- validation, in-process
def call(path: str, query: dict[str, str] | None = None) -> tuple[int, Any]:
    api = import_api()
    event = {
        "resource": path,
        "path": path,
        "httpMethod": "GET",
        "headers": {"x-api-key": "k"},
        "multiValueHeaders": {"x-api-key": ["k"]},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
        "pathParameters": None,
        "requestContext": {"requestId": str(uuid.uuid4()), "stage": "prod", "path": path, "httpMethod": "GET"},
        "body": None,
        "isBase64Encoded": False,
    }
    response = api.app.resolve(event, None)
    return response["statusCode"], json.loads(response["body"])


PERIOD_ROUTES = ["/api/v1/reports/sales", "/api/v1/reports/performance", "/api/v1/analytics/trends"]


@pytest.mark.parametrize("path", PERIOD_ROUTES)
@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ({"from": "2026-11-30", "to": "2026-11-01"}, ["query", "from"]),
        ({"from": "2024-01-01", "to": "2026-01-01"}, ["query", "from"]),
        ({"from": "2026-02-30"}, ["query", "from"]),
        ({"from": "yesterday"}, ["query", "from"]),
        ({"to": "2026-11-1"}, ["query", "to"]),
        ({"to": "20261101"}, ["query", "to"]),
    ],
)
def test_bad_periods_are_422_with_the_shared_error_shape(path, query, loc):
    status, body = call(path, query)
    assert status == 422, body
    assert set(body) == {"error"} and body["error"]["code"] == "validation_error"
    assert body["error"]["details"][0]["loc"] == loc


@pytest.mark.parametrize(
    ("path", "query", "loc"),
    [
        ("/api/v1/reports/sales", {"store_id": "0"}, ["query", "store_id"]),
        ("/api/v1/reports/sales", {"store_id": "abc"}, ["query", "store_id"]),
        ("/api/v1/reports/sales", {"group_by": "week"}, ["query", "group_by"]),
        ("/api/v1/reports/performance", {"rank_by": "colour"}, ["query", "rank_by"]),
        ("/api/v1/reports/performance", {"limit": "0"}, ["query", "limit"]),
        ("/api/v1/analytics/trends", {"top": "1000"}, ["query", "top"]),
        ("/api/v1/analytics/trends", {"rank_products_by": "price"}, ["query", "rank_products_by"]),
        ("/api/v1/reports/inventory", {"location_id": "Store 1"}, ["query", "location_id"]),
        ("/api/v1/reports/inventory", {"limit": "-1"}, ["query", "limit"]),
        ("/api/v1/dashboards", {"date": "2026-02-30"}, ["query", "date"]),
        ("/api/v1/dashboards", {"date": "today"}, ["query", "date"]),
    ],
)
def test_bad_parameters_are_422(path, query, loc):
    status, body = call(path, query)
    assert status == 422, body
    assert body["error"]["details"][0]["loc"] == loc


def test_openapi_documents_the_reports():
    import_api()
    from infra.openapi import build

    document = build()
    for path in ("/api/v1/reports/sales", "/api/v1/reports/inventory", "/api/v1/reports/performance",
                 "/api/v1/analytics/trends", "/api/v1/dashboards"):
        operation = document["paths"][path]["get"]
        assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorResponse"
        }
    sales = document["components"]["schemas"]["SalesReport"]
    assert {"period", "totals", "groups"} <= set(sales["properties"])
    period = document["components"]["schemas"]["ReportPeriod"]["properties"]
    assert "from" in period and "to" in period
    names = [p["name"] for p in document["paths"]["/api/v1/reports/sales"]["get"]["parameters"]]
    assert {"from", "to", "store_id", "group_by"} <= set(names)
