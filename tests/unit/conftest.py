"""Fixtures of the unit tests."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
import urllib3
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    """template.yaml as CloudFormation reads it (intrinsics as {"Ref": ...} maps)."""
    from infra.openapi import load_template

    return load_template(ROOT / "template.yaml")


@pytest.fixture(scope="module")
def http():
    """An HTTP client for the in-process gateways (no retries: every request counts)."""
    pool = urllib3.PoolManager(retries=False, timeout=10)
    yield pool
    pool.clear()


@pytest.fixture()
def apigw(monkeypatch):
    """moto's API Gateway, in process (what the deployer's provisioners are tested on)."""
    # moto's in-process mock only answers AWS's own URLs: an endpoint left in the environment
    # by another test's fixture would take the calls instead
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_API_GATEWAY"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        yield boto3.client("apigateway", region_name="us-east-1")
