"""Fixtures of the handler-level integration tests (``handler_harness``): template.yaml as
CloudFormation sees it, and one DynamoDB Local per test module with the process environment
pointed at it. A module that wants another shape defines its own fixture of the same name."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.handler_harness import dynamodb_local_endpoint, load_template


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def dynamodb_endpoint() -> Iterator[str]:
    yield from dynamodb_local_endpoint()
