"""Shared fixtures. ``local_stack`` starts the whole system (embedded cloud, deployed template,
demo data, gateway) once per test session on free ports; only tests that ask for it pay."""
from __future__ import annotations

import os

import boto3
import pytest
import requests

from infra.local import LocalStackRunner, free_port


# The stage cache of the test stack (template.yaml parameters). Catalogue reads are cached for
# 10 s instead of 60, so tests/e2e/test_stage_cache.py sees entries expire without waiting a
# minute; stock reads are not cached (0 instead of 5 s): the domain tests read stock right after
# the sale, return or saga that moved it, which the stage cache would answer stale for up to its
# TTL, as API Gateway does.
TEST_STACK_PARAMETERS = {"CatalogCacheTtlSeconds": "10", "StockCacheTtlSeconds": "0", "ReportCacheTtlSeconds": "0"}


def pytest_collection_modifyitems(session, config, items):
    """Tests marked ``contract`` (schemathesis, which may delete or change any demo record) run
    last, so every other test sees the demo data as seeded."""
    items.sort(key=lambda item: item.get_closest_marker("contract") is not None)  # stable sort


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory):
    os.environ.setdefault("SAM_CLI_TELEMETRY", "0")
    runner = LocalStackRunner(free_port(), free_port(), state_dir=tmp_path_factory.mktemp("local-stack"),
                              parameters=TEST_STACK_PARAMETERS)
    runner.start()
    yield runner
    runner.stop()


@pytest.fixture(scope="session")
def aws(local_stack):
    """boto3 clients on the embedded cloud: aws("dynamodb").list_tables()."""
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                    region_name=local_stack.region)

    def client(service: str):
        return session.client(service, endpoint_url=local_stack.endpoint_url)

    return client


@pytest.fixture(scope="session")
def api_keys(local_stack):
    return local_stack.api_keys()


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
def admin(local_stack, api_keys):
    return Api(local_stack.gateway_url, api_keys["admin"])


@pytest.fixture(scope="session")
def frontend(local_stack, api_keys):
    return Api(local_stack.gateway_url, api_keys["frontend"])


@pytest.fixture(scope="session")
def store(local_stack, api_keys):
    """A store's point of sale (the store key, role store)."""
    return Api(local_stack.gateway_url, api_keys["store"])


@pytest.fixture(scope="session")
def anonymous(local_stack):
    return Api(local_stack.gateway_url, None)
