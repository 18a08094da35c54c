"""LocalStack's own API Gateway endpoint (``/_aws/execute-api/<api id>/<stage>/...``) serves the
same deployed API, and does not enforce what README "LocalStack" says it does not: these tests
keep that paragraph true for the pinned LocalStack (infra/localstack/requirements.txt). The API
of `make run TARGET=localstack` is our gateway in front of LocalStack, which enforces all of it
(the rest of tests/e2e)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

pytestmark = [pytest.mark.integration,
              pytest.mark.only_on("localstack", reason="LocalStack's own API Gateway endpoint")]


@pytest.fixture(scope="module")
def own_gateway(session_stack, aws) -> str:
    api_id = next(a["id"] for a in aws("apigateway").get_rest_apis()["items"] if a["name"] == session_stack.api_name)
    return f"{session_stack.endpoint_url}/_aws/execute-api/{api_id}/{session_stack.stage}/api/v1"


def test_it_serves_the_api_and_checks_api_keys(own_gateway, api_keys):
    health = requests.get(f"{own_gateway}/health", timeout=30)
    assert health.status_code == 200 and health.json()["status"] == "healthy"
    assert requests.get(f"{own_gateway}/products", timeout=30).status_code == 403   # no key
    assert requests.get(f"{own_gateway}/products", headers={"x-api-key": "not-a-key-of-this-api-0000"},
                        timeout=30).status_code == 403
    products = requests.get(f"{own_gateway}/products", headers={"x-api-key": api_keys["admin"]}, timeout=30)
    assert products.status_code == 200 and products.json()["items"]


def test_it_does_not_run_the_role_authorizer(own_gateway, api_keys):
    """Lambda authorizers are not run (LocalStack Pro runs them): no role reaches the handlers,
    and the routes that need the caller refuse (fail closed) instead of guessing."""
    me = requests.get(f"{own_gateway}/me", headers={"x-api-key": api_keys["admin"]}, timeout=30)
    assert me.status_code == 403 and me.json()["error"]["code"] == "no_caller"
    # the shop key reaches the product writer (a 4xx of the handler, not API Gateway's 403)
    write = requests.post(f"{own_gateway}/products", headers={"x-api-key": api_keys["frontend"]},
                          json={}, timeout=30)
    assert write.status_code == 422 and "error" in write.json()


def test_it_does_not_throttle_by_usage_plan(own_gateway, api_keys):
    """The frontend plan's burst is 20 (template.yaml FrontendBurstLimit): our gateway answers
    429 past it (test_gateway.py); LocalStack's API Gateway answers every request."""
    def get(_: int) -> int:
        return requests.get(f"{own_gateway}/categories", headers={"x-api-key": api_keys["frontend"]},
                            timeout=60).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(get, range(40)))
    assert 429 not in statuses and set(statuses) == {200}
