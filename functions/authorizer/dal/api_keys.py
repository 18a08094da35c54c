"""The API keys of the account, as API Gateway's control plane lists them (GetApiKeys with
``includeValues``): value, enabled, the ``role`` tag and a store key's ``stores`` tag. The list is kept by the warm worker for
``API_KEYS_CACHE_SECONDS`` (one read per worker per minute, not one per request); a key nobody
knows yet makes it read again sooner, at most every ``UNKNOWN_KEY_REREAD_SECONDS``, so a key
created a moment ago is known without letting unknown keys cost a read each."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

from shared.aws import client

ROLE_TAG = "role"
STORES_TAG = "stores"  # a store key's own store ids, separated by spaces (empty or absent: every store)
UNKNOWN_KEY_REREAD_SECONDS = 5.0


@dataclass(frozen=True)
class ApiKeyRecord:
    id: str
    name: str
    enabled: bool
    role: str | None  # the key's `role` tag
    stores: str = ""  # the key's `stores` tag


def list_api_keys() -> dict[str, ApiKeyRecord]:
    """Every API key of the account, by value."""
    keys: dict[str, ApiKeyRecord] = {}
    for page in client("apigateway").get_paginator("get_api_keys").paginate(includeValues=True):
        for item in page.get("items", []):
            if item.get("value"):
                keys[item["value"]] = ApiKeyRecord(id=item["id"], name=item.get("name") or item["id"],
                                                   enabled=bool(item.get("enabled")),
                                                   role=(item.get("tags") or {}).get(ROLE_TAG),
                                                   stores=(item.get("tags") or {}).get(STORES_TAG) or "")
    return keys


class ApiKeyCache:
    """``find(value)``: the key with that value, from a list at most ``ttl`` seconds old."""

    def __init__(self, ttl: float, load: Callable[[], dict[str, ApiKeyRecord]] = list_api_keys,
                 clock: Callable[[], float] = time.monotonic):
        self.ttl, self._load, self._clock = ttl, load, clock
        self._keys: dict[str, ApiKeyRecord] = {}
        self._loaded_at: float | None = None
        self._lock = threading.Lock()

    def find(self, value: str) -> ApiKeyRecord | None:
        with self._lock:
            age = None if self._loaded_at is None else self._clock() - self._loaded_at
            stale = age is None or age >= self.ttl
            if stale or (value not in self._keys and age >= min(self.ttl, UNKNOWN_KEY_REREAD_SECONDS)):
                self._keys, self._loaded_at = self._load(), self._clock()
            return self._keys.get(value)
