"""Each API function that takes writes has the Idempotency-Key middleware and the table it needs
(functions/shared/idempotency.py): a table of its own domain, keyed as the middleware expects,
that the function may write, with the records' expiry as its TTL where the table is its own."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

import pytest

from shared.idempotency import HEADER, IdempotencyMiddleware, fingerprint

ROOT = Path(__file__).resolve().parents[2]
API_FUNCTIONS = {"InventoryFunction": "inventory", "RetailFunction": "retail", "EcommerceFunction": "ecommerce"}


@pytest.mark.parametrize("logical_id, domain", API_FUNCTIONS.items())
def test_every_api_function_that_writes_has_its_idempotency_table(template, logical_id, domain):
    properties = template["Resources"][logical_id]["Properties"]
    variables = properties["Environment"]["Variables"]
    table_id = variables["IDEMPOTENCY_TABLE"]["Ref"]
    table = template["Resources"][table_id]["Properties"]
    assert table_id.lower().startswith(domain), "each domain keeps its records in its own table"
    key_attr = variables.get("IDEMPOTENCY_KEY_ATTR", "id")
    assert table["KeySchema"] == [{"AttributeName": key_attr, "KeyType": "HASH"}]
    crud = {p["DynamoDBCrudPolicy"]["TableName"]["Ref"] for p in properties["Policies"] if "DynamoDBCrudPolicy" in p}
    assert table_id in crud
    if key_attr == "id":   # a table made for the middleware: records expire with powertools' attribute
        assert table["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    app = import_module(f"{domain}.handlers.api").app
    assert any(isinstance(m, IdempotencyMiddleware) for m in app._router_middlewares)


def test_the_same_request_is_the_same_whatever_the_json_spacing():
    assert fingerprint("POST", "/api/v1/sales", '{"a": 1, "b": [1, 2]}') == fingerprint("POST", "/api/v1/sales", '{"b":[1,2],"a":1}')
    assert fingerprint("POST", "/api/v1/sales", '{"a": 1}') != fingerprint("POST", "/api/v1/sales", '{"a": 2}')
    assert fingerprint("POST", "/api/v1/sales", '{"a": 1}') != fingerprint("POST", "/api/v1/returns", '{"a": 1}')
    assert fingerprint("PUT", "/x", "not json") != fingerprint("PUT", "/x", "not json!")
    assert HEADER == "Idempotency-Key"
