"""Fixtures of the unit tests."""
from __future__ import annotations

import pytest
import urllib3


@pytest.fixture(scope="module")
def http():
    """An HTTP client for the in-process gateways (no retries: every request counts)."""
    pool = urllib3.PoolManager(retries=False, timeout=10)
    yield pool
    pool.clear()
