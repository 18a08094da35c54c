"""Waiting for what happens in the background (log shipping, metrics, caches, reloads)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(check: Callable[[], T], timeout: float = 10.0, interval: float = 0.2) -> T:
    """Call ``check`` until it returns something truthy or ``timeout`` seconds have passed; its
    last result either way (so ``assert eventually(...)`` fails with a falsy value)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)
