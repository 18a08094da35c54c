"""Shared fixtures. ``session_stack`` starts the whole system (a cloud, the deployed template,
demo data, the gateway) once per test session on free ports; only tests that ask for it pay.

The cloud is the embedded cloud, or LocalStack in host mode with ``--target localstack`` (or
``TEST_TARGET=localstack``): ``make test`` runs tests/e2e on both. A test that cannot run on a
target is marked ``@pytest.mark.only_on("embedded", reason=...)`` with the reason (a LocalStack
limitation, named) and is reported as skipped there."""
from __future__ import annotations

import os

import pytest
import requests

from infra.local import TARGETS, StackRunner, free_port

# the tests choose their endpoint: one exported for `make run` (aws CLI, SAM CLI) is not theirs
os.environ.pop("AWS_ENDPOINT_URL", None)


# The stage cache of the test stack (template.yaml parameters). Catalogue reads are cached for
# 10 s instead of 60, so tests/e2e/test_stage_cache.py sees entries expire without waiting a
# minute; stock reads are not cached (0 instead of 5 s): the domain tests read stock right after
# the sale, return or saga that moved it, which the stage cache would answer stale for up to its
# TTL, as API Gateway does.
TEST_STACK_PARAMETERS = {"CatalogCacheTtlSeconds": "10", "StockCacheTtlSeconds": "0", "ReportCacheTtlSeconds": "0"}


def pytest_addoption(parser):
    parser.addoption("--target", choices=TARGETS, default=os.environ.get("TEST_TARGET") or "embedded",
                     help="the cloud the stack runs on: the embedded cloud (default) or LocalStack in host mode")


def pytest_collection_modifyitems(session, config, items):
    """Tests marked ``contract`` (schemathesis, which may delete or change any demo record) run
    last, so every other test sees the demo data as seeded. Tests ``only_on`` another target
    are skipped with their reason."""
    items.sort(key=lambda item: item.get_closest_marker("contract") is not None)  # stable sort
    target = config.getoption("--target")
    for item in items:
        marker = item.get_closest_marker("only_on")
        if marker is not None and target not in marker.args:
            item.add_marker(pytest.mark.skip(reason=f"not on {target}: {marker.kwargs['reason']}"))


@pytest.fixture(scope="session")
def target(pytestconfig) -> str:
    return pytestconfig.getoption("--target")


@pytest.fixture(scope="session")
def session_stack(tmp_path_factory, target):
    """The test session's stack, started once on free ports on ``--target`` (the embedded cloud
    or LocalStack): cloud, deployed template, demo data, gateway (``infra.local.StackRunner``)."""
    os.environ.setdefault("SAM_CLI_TELEMETRY", "0")
    runner = StackRunner(free_port(), free_port(), target=target, state_dir=tmp_path_factory.mktemp("stack"),
                         parameters=TEST_STACK_PARAMETERS)
    runner.start()
    yield runner
    runner.stop()


@pytest.fixture(scope="session")
def aws(session_stack):
    """boto3 clients on the stack's cloud (localstack-client's session on either target):
    aws("dynamodb").list_tables()."""
    session = session_stack.session()

    def client(service: str):
        return session.client(service)

    return client


@pytest.fixture(scope="session")
def api_keys(session_stack):
    return session_stack.api_keys()


class Api:
    """HTTP client for the gateway, as a client of API Gateway would call it."""

    def __init__(self, base_url: str, key: str | None):
        self.base_url, self.session = base_url, requests.Session()
        if key:
            self.session.headers["x-api-key"] = key

    def request(self, method: str, path: str, **kwargs):
        kwargs.setdefault("timeout", 60)
        return self.session.request(method, self.base_url + path, **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


@pytest.fixture(scope="session")
def admin(session_stack, api_keys):
    return Api(session_stack.gateway_url, api_keys["admin"])


@pytest.fixture(scope="session")
def frontend(session_stack, api_keys):
    return Api(session_stack.gateway_url, api_keys["frontend"])


@pytest.fixture(scope="session")
def store(session_stack, api_keys):
    """A store's point of sale (the store key, role store)."""
    return Api(session_stack.gateway_url, api_keys["store"])


@pytest.fixture(scope="session")
def anonymous(session_stack):
    return Api(session_stack.gateway_url, None)
