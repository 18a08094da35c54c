"""Every route with every role, against the README's "Who may call what" table.

The README's table, ``functions/shared/roles.py`` (what the authorizer enforces) and the
template's routes must be the same set; then each route is called with the admin, store and
shop keys through the gateway: a role the table allows gets the handler's answer (2xx, or a 4xx
of the handler's own rules: the calls send placeholder ids and empty bodies, so they change
nothing), a role it does not gets API Gateway's 403, and no key gets 401.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from infra.deploy.template import load_yaml
from infra.openapi import template_routes
from shared import roles
from tests.conftest import Api

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
NOT_AUTHORIZED = {"message": "User is not authorized to access this resource"}
ROW = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/\S*)` \|(.*)\|\s*$")
# what each test-hook route answers an allowed caller by design
BY_DESIGN = {("GET", "/api/v1/_diagnostics/fail"): 502}
# what a store key of some stores (the dev store key: 1 and 2) is told by the handlers (shared/caller.py)
SCOPE_RULES = {"store_forbidden", "chain_wide_report"}


def readme_table() -> tuple[list[str], dict[tuple[str, str], frozenset[str]]]:
    """The README's "Who may call what": its role columns, and route -> the roles marked yes."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### Who may call what"):]
    section = section[: section.index("\n#", 1)]
    header = next(line for line in section.splitlines() if line.startswith("| route |"))
    columns = [c.strip() for c in header.strip("|").split("|")][1:]
    table = {}
    for line in section.splitlines():
        match = ROW.match(line)
        if match:
            cells = [c.strip() for c in match.group(3).split("|")]
            assert set(cells) <= {"yes", "no"}, line
            table[(match.group(1), match.group(2))] = frozenset(r for r, c in zip(columns, cells) if c == "yes")
    return columns, table


def keyed_routes() -> set[tuple[str, str]]:
    """The template's routes that the role authorizer guards (the API's default authorizer: not
    the keyless health and UI, nor a test hook with an authorizer of its own)."""
    template = load_yaml(ROOT / "template.yaml")
    other = set()
    for resource in template["Resources"].values():
        for event in (resource.get("Properties", {}).get("Events") or {}).values():
            auth = event.get("Properties", {}).get("Auth") or {}
            if event.get("Type") == "Api" and (auth.get("ApiKeyRequired") is False or "Authorizer" in auth):
                other.add((str(event["Properties"]["Method"]).upper(), event["Properties"]["Path"]))
    return {(m.upper(), p) for m, p in template_routes(template)} - other


def test_the_readme_table_is_the_authorizer_table_and_covers_every_route():
    columns, table = readme_table()
    assert tuple(columns) == roles.ROLES
    assert table == dict(roles.PERMISSIONS)
    assert set(table) == keyed_routes()


def _concrete(path: str) -> str:
    # an id that exists nowhere: reads answer 404 (or 422 for an id of another shape), nothing changes
    return re.sub(r"\{[^}]+\}", "999999999", path)


def call(client: Api, method: str, path: str):
    kwargs = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
    for _ in range(40):  # a usage plan's 429 (after the authorizer) is retried: it says nothing about roles
        response = client.request(method, _concrete(path), **kwargs)
        if response.status_code != 429:
            return response
        time.sleep(0.25)
    return response


@pytest.fixture(scope="module")
def clients(session_stack, api_keys):
    return {role: Api(session_stack.gateway_url, api_keys[name])
            for role, name in (("admin", "admin"), ("store", "store"), ("shop", "frontend"))}


@pytest.mark.parametrize("route", sorted(roles.PERMISSIONS), ids=lambda r: f"{r[0]} {r[1]}")
def test_every_role_on_every_route(route, clients, anonymous):
    method, path = route
    allowed = readme_table()[1][route]
    for role in roles.ROLES:
        response = call(clients[role], method, path)
        if role in allowed:
            expected = BY_DESIGN.get(route)
            if expected is not None:
                assert response.status_code == expected, (role, response.status_code, response.text)
            else:
                assert 200 <= response.status_code < 500 and response.status_code != 401, \
                    (role, response.status_code, response.text)
                assert "error" in response.json() or response.status_code < 400, (role, response.text)
                if response.status_code == 403:  # the handler's own rule for a key of some stores, not the gateway
                    assert response.json()["error"]["code"] in SCOPE_RULES, (role, response.text)
        else:
            assert response.status_code == 403, (role, response.status_code, response.text)
            assert response.json() == NOT_AUTHORIZED, (role, response.text)
            assert response.headers.get("x-amzn-ErrorType") == "AccessDeniedException"
    anonymous_response = anonymous.request(method, _concrete(path), **({"json": {}} if method != "GET" and method != "DELETE" else {}))
    assert anonymous_response.status_code == 401 and anonymous_response.json() == {"message": "Unauthorized"}


def test_the_dev_store_key_works_at_its_own_stores(clients, admin):
    """The local store key belongs to stores 1 and 2 (its `stores` tag): the authorizer passes
    them to the handlers, which keep it to those stores' sales, returns and reports."""
    store = clients["store"]
    me = store.get("/api/v1/me").json()
    assert me["role"] == "store" and me["stores"] == [1, 2]
    assert "POST /api/v1/sales" in me["routes"] and "PUT /api/v1/stock/{product_id}" not in me["routes"]
    other = admin.get("/api/v1/cash-registers", params={"store_id": 3}).json()["items"][0]
    refused = store.post("/api/v1/sales", json={"store_id": 3, "register_id": other["register_id"],
                                                "lines": [{"product_id": 1, "quantity": 1}]})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "store_forbidden"
    assert store.get("/api/v1/sales").json()["error"]["code"] == "store_id_required"
    assert store.get("/api/v1/sales", params={"store_id": 2, "limit": 5}).status_code == 200
    report = store.get("/api/v1/reports/sales", params={"group_by": "store"}).json()
    assert {g["store_id"] for g in report["groups"]} <= {1, 2} and report["groups"]
    ranking = store.get("/api/v1/reports/performance").json()
    assert {s["store_id"] for s in ranking["stores"]} <= {1, 2}
    assert store.get("/api/v1/analytics/trends").json()["error"]["code"] == "chain_wide_report"
    assert admin.get("/api/v1/me").json().get("stores") is None
