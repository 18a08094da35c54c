"""What every domain's contract test checks against ``template.yaml``, written once: handler
modules imported as Lambda would import them, the routes their resolver registers, and the
tables their pynamodb models describe."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import pytest


@contextmanager
def lambda_environment(service: str) -> Iterator[None]:
    """What powertools reads when a handler module is imported (Metrics keeps the namespace it
    saw then: importing a domain's handlers without it would break that domain's later tests)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POWERTOOLS_SERVICE_NAME", service)
        patch.setenv("POWERTOOLS_METRICS_NAMESPACE", "RetailPlatform")
        patch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
        yield


def import_handler(module: str, service: str) -> ModuleType:
    """Import a handler module with the environment Lambda would give it."""
    with lambda_environment(service):
        return importlib.import_module(module)


def routes_of(app: Any) -> set[tuple[str, str]]:
    """Every route a powertools resolver registers, including those left out of the OpenAPI
    document, as (method, path template)."""
    return {(route.method.lower(), route.openapi_path) for route in app._static_routes + app._dynamic_routes}


def table_variables(function: dict[str, Any], *, skip: Iterable[str] = ("IDEMPOTENCY_TABLE",)) -> dict[str, str]:
    """A function's environment variables that name one of its own tables -> the table's logical
    id (``IDEMPOTENCY_TABLE`` is the shared middleware's, tests/unit/test_idempotency_tables.py)."""
    skipped = set(skip)
    return {
        name: value["Ref"]
        for name, value in function["Properties"]["Environment"]["Variables"].items()
        if isinstance(value, dict) and "Ref" in value and value["Ref"].endswith("Table") and name not in skipped
    }


def _key_schema(items: list[dict[str, str]]) -> dict[str, str]:
    return {item["KeyType"]: item["AttributeName"] for item in items}


def assert_tables_match_models(
    template: dict[str, Any], monkeypatch: pytest.MonkeyPatch, table_vars: dict[str, str], models: Iterable[Any]
) -> None:
    """Each variable's table in the template has the key schema, indexes (projection ALL) and
    attribute definitions of the one pynamodb model that reads its name from that variable."""
    for name in table_vars:
        monkeypatch.setenv(name, f"table-from-{name}")
    model_of = {model.Meta.table_name.removeprefix("table-from-"): model for model in models}
    assert set(model_of) == set(table_vars)
    for name, logical_id in table_vars.items():
        schema = model_of[name]._get_schema()
        properties = template["Resources"][logical_id]["Properties"]
        assert _key_schema(properties["KeySchema"]) == _key_schema(schema["key_schema"]), name
        indexes = properties.get("GlobalSecondaryIndexes", [])
        template_indexes = {index["IndexName"]: _key_schema(index["KeySchema"]) for index in indexes}
        model_indexes = {index["index_name"]: _key_schema(index["key_schema"]) for index in schema["global_secondary_indexes"]}
        assert template_indexes == model_indexes, name
        for index in indexes:
            assert index["Projection"] == {"ProjectionType": "ALL"}, name
        template_types = {item["AttributeName"]: item["AttributeType"] for item in properties["AttributeDefinitions"]}
        model_types = {item["AttributeName"]: item["AttributeType"] for item in schema["attribute_definitions"]}
        assert template_types == model_types, name
