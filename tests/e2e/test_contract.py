"""The OpenAPI document is the contract: schemathesis (v4, pinned in pyproject.toml) against the
test stack, through the gateway, with the admin API key.

What runs: every operation of ``docs/openapi.json`` (the file ``make openapi`` writes from the
resolvers; tests/unit/test_inventory_contract.py fails when it is stale), the four phases
(examples, coverage, fuzzing, stateful) and every default check of schemathesis (none excluded,
no expected status widened). Clean means 0 failures of any kind: no server error, no response
off its schema, no undocumented status, no schema-valid request rejected, no invalid request
accepted, and no run error. Generation is steered only where JSON Schema cannot state a rule
(a rule between two parameters, an opaque token the fuzzer cannot forge): see
tests/e2e/contract_hooks.py.

Bounds (tests/e2e/schemathesis.toml): 12 examples per operation in the examples and fuzzing
phases, 60 scenarios of at most 12 linked steps in the stateful phase; one worker; a fixed seed
(``CONTRACT_SEED`` explores others). The coverage phase is not bounded by it: it sends each
operation's boundary and type-violating values once. That is about 4,000 requests, 1-2 minutes
on this 2-core machine sharing the CPU with the stack. schemathesis' default (100 examples per
operation) takes several times longer and found nothing more on this API.

Also asserted: every POST reached a 2xx at least once, so the success paths are exercised, not
only the 4xx ones. The document's examples carry demo-data ids and its links feed an order's id
and total to a payment, a sale's id and product to a return ...; a payment and a return also
need something that no static example can name (a pending order and its total, a sale of a
known product), so the test first makes them through the API and runs schemathesis on a copy of
the document whose PaymentCreate and ReturnCreate examples name them (:func:`live_examples`):
only those two ``examples`` differ from docs/openapi.json.

The run writes and deletes through the whole API (it may delete demo product 1): the test is
marked ``contract`` and runs after every other test of the session (tests/conftest.py).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "openapi.json"
CONFIG = Path(__file__).with_name("schemathesis.toml")
SEED = os.environ.get("CONTRACT_SEED", "20261203")

pytestmark = [pytest.mark.integration, pytest.mark.contract, pytest.mark.timeout(900)]


def _operation_matchers(document: dict) -> list[tuple[str, str, re.Pattern]]:
    matchers = []
    for path, item in document["paths"].items():
        regex = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
        for method in item:
            matchers.append((method.upper(), path, regex))
    return matchers


def _statuses_by_operation(har: dict, document: dict) -> dict[tuple[str, str], set[int]]:
    matchers = _operation_matchers(document)
    seen: dict[tuple[str, str], set[int]] = {}
    for entry in har["log"]["entries"]:
        method, path = entry["request"]["method"].upper(), urlsplit(entry["request"]["url"]).path
        for operation_method, template, regex in matchers:
            if operation_method == method and regex.match(path):
                seen.setdefault((method, template), set()).add(int(entry["response"]["status"]))
                break
    return seen


@pytest.fixture
def stage_cache_off(session_stack, aws):
    """The stage without its cache for the run, restored after.

    API Gateway's stage cache answers a cached GET for its TTL even after a write (README, Stage
    cache; tests/e2e/test_stage_cache.py), so a product read just before its DELETE is still
    served from the cache: schemathesis' use_after_free check would be testing the cache's
    documented staleness, not the API. As on AWS, disabling the cache cluster empties it."""
    apigw = aws("apigateway")
    api_id = session_stack.stack.outputs["ApiId"]
    enabled = apigw.get_stage(restApiId=api_id, stageName=session_stack.stage).get("cacheClusterEnabled", False)
    apigw.update_stage(restApiId=api_id, stageName=session_stack.stage,
                       patchOperations=[{"op": "replace", "path": "/cacheClusterEnabled", "value": "false"}])
    try:
        yield
    finally:
        apigw.update_stage(restApiId=api_id, stageName=session_stack.stage,
                           patchOperations=[{"op": "replace", "path": "/cacheClusterEnabled", "value": str(enabled).lower()}])


def _created(response) -> dict:
    assert 200 <= response.status_code < 300, response.text
    return response.json()


def live_examples(admin) -> dict[str, list[dict]]:
    """A fresh product stocked at store 1, a pending order of it and a sale of it: the bodies of a
    payment and a return that succeed (examples of PaymentCreate and ReturnCreate)."""
    product = _created(admin.post("/api/v1/products", json={
        "sku": f"CONTRACT-{os.getpid()}-{int(time.time())}", "name": "Contract test tea", "price": "4.20",
        "category_id": 1,
    }))
    pid = product["product_id"]
    _created(admin.put(f"/api/v1/stock/{pid}", json={"location_id": "store-1", "quantity": 20, "reason": "contract test"}))
    order = _created(admin.post("/api/v1/orders", json={
        "customer_id": 1, "lines": [{"product_id": pid, "quantity": 1}], "shipping_address": "123 Main St",
    }))
    sale = _created(admin.post("/api/v1/sales", json={
        "store_id": 1, "register_id": 1, "lines": [{"product_id": pid, "quantity": 2}],
    }))
    return {
        "PaymentCreate": [{"order_id": order["order_id"], "amount": order["total"], "payment_method": "credit_card"}],
        "ReturnCreate": [{"sale_id": sale["sale_id"], "lines": [{"product_id": pid, "quantity": 1}], "reason": "damaged"}],
    }


def test_schemathesis_finds_nothing_and_reaches_every_post(session_stack, api_keys, admin, stage_cache_off, tmp_path):
    document = json.loads(DOCUMENT.read_text())
    for schema, examples in live_examples(admin).items():
        document["components"]["schemas"][schema]["examples"] = examples
    location = tmp_path / "openapi.json"
    location.write_text(json.dumps(document))
    report_dir = tmp_path / "schemathesis"
    command = [
        sys.executable, "-m", "schemathesis.cli", "--no-color", "--config-file", str(CONFIG), "run", str(location),
        "--url", session_stack.gateway_url,
        "--header", f"x-api-key: {api_keys['admin']}",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--workers", "1",
        "--seed", SEED,
        "--request-timeout", "35",
        "--report", "har,json",
        "--report-dir", str(report_dir),
        "--report-har-path", str(report_dir / "requests.har"),
        "--report-json-path", str(report_dir / "run.json"),
        "--output-truncate", "false",
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.e2e.contract_hooks", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=840)
    output = result.stdout + result.stderr
    run = json.loads((report_dir / "run.json").read_text())

    assert run["operations"]["tested"] == len(_operation_matchers(document)), output[-5000:]
    assert run["failures"] == [] and run["errors"] == [], output[-20000:]
    assert result.returncode == 0, output[-5000:]

    statuses = _statuses_by_operation(json.loads((report_dir / "requests.har").read_text()), document)
    posts = [(method, path) for method, path, _ in _operation_matchers(document) if method == "POST"]
    assert len(posts) >= 10
    without_success = {op: sorted(statuses.get(op, ())) for op in posts if not any(200 <= s < 300 for s in statuses.get(op, ()))}
    assert without_success == {}, f"POSTs that never reached a 2xx (statuses seen): {without_success}"
