"""The platform's REST API, called through the gateway with the signed-in person's key, as any
client calls it: the usage plan of that key applies. Errors become the exceptions of
``web.errors``; a page never sees an HTTP status."""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

import urllib3

from web.errors import ApiError, ApiForbidden, ApiNotFound, ApiRejected, ApiThrottled, ApiUnavailable

# one pool per warm worker; no retries here: a retry would be counted against the person's plan twice
_http = urllib3.PoolManager(maxsize=8, retries=False, timeout=urllib3.Timeout(connect=2.0, read=15.0))
_pool = ThreadPoolExecutor(max_workers=8)


def error_for(status: int, body: bytes) -> ApiError:
    """The exception for an API answer ``status`` (>= 400) with ``body``, as the gateway and the
    handlers shape them (README: "API keys and usage plans")."""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        data = {}
    data = data if isinstance(data, dict) else {}
    gateway_message = str(data.get("message", "")) if isinstance(data.get("message"), str) else ""
    if status in (401, 403) and "error" not in data:   # the gateway's: no key, unknown key, or not allowed
        return ApiForbidden(gateway_message or HTTPStatus(status).phrase, status)
    if status == 429:
        return ApiThrottled(gateway_message or "Too Many Requests")
    if 400 <= status < 500:
        error = data.get("error") if isinstance(data.get("error"), dict) else {}
        cls = ApiNotFound if status == 404 else ApiRejected
        return cls(status, str(error.get("code", "error")), str(error.get("message") or gateway_message
                                                                 or f"the API answered {status}"),
                   error.get("details") if isinstance(error.get("details"), list) else [])
    if status == 504:
        return ApiUnavailable("The API did not answer in time (504 Endpoint request timed out). Try again.", status)
    return ApiUnavailable(f"The API failed to answer ({status} {gateway_message or 'error'}). Try again; "
                          "if it goes on, see Operations and the logs.", status)


class ApiClient:
    def __init__(self, base_url: str, key: str):
        self.base_url = base_url.rstrip("/") + "/api/v1"
        self.headers = {"x-api-key": key, "accept": "application/json"}

    def call(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
             body: Any = None, idempotency_key: str | None = None) -> Any:
        query = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        url = self.base_url + path + ("?" + urlencode(query) if query else "")
        headers = dict(self.headers)
        data = None
        if body is not None:
            headers["content-type"] = "application/json"
            data = json.dumps(body).encode()
        if idempotency_key:
            headers["idempotency-key"] = idempotency_key
        try:
            response = _http.request(method, url, body=data, headers=headers)
        except urllib3.exceptions.HTTPError as exc:
            raise ApiUnavailable(f"The API could not be reached ({exc.__class__.__name__}). Is it running?") from None
        if response.status >= 400:
            raise error_for(response.status, response.data)
        if response.status == 204 or not response.data:
            return None
        return json.loads(response.data)

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, params=params)

    def items(self, path: str, *, max_items: int = 100, **params: Any) -> list[dict[str, Any]]:
        """Every item of a paginated list, up to ``max_items``."""
        items: list[dict[str, Any]] = []
        token = None
        while len(items) < max_items:
            page = self.get(path, limit=min(100, max_items - len(items)), next_token=token, **params)
            items += page["items"]
            token = page.get("next_token")
            if not token:
                break
        return items

    def health(self, details: bool = False) -> tuple[int, dict[str, Any]]:
        """GET /health (no key: status and version) or /health/details (an admin's key: every
        dependency); both answer 503 with a body when a dependency is down."""
        path, headers = ("/health/details", self.headers) if details else ("/health", {"accept": "application/json"})
        try:
            response = _http.request("GET", self.base_url + path, headers=headers)
        except urllib3.exceptions.HTTPError as exc:
            raise ApiUnavailable(f"The API could not be reached ({exc.__class__.__name__}).") from None
        try:
            return response.status, json.loads(response.data)
        except ValueError:
            raise error_for(response.status, response.data) from None


@dataclass
class Section:
    """One part of a page: its value, or the error that replaced it (shown in place)."""
    value: Any = None
    error: ApiError | None = None
    note: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def fetch_sections(loaders: Mapping[str, Callable[[], Any]]) -> dict[str, Section]:
    """Runs every loader in parallel; one failing section does not take the page down, except a
    403 or 429, which is about the person's key and is raised for the whole page."""
    futures = {name: _pool.submit(loader) for name, loader in loaders.items()}
    sections: dict[str, Section] = {}
    for name, future in futures.items():
        try:
            sections[name] = Section(future.result())
        except (ApiForbidden, ApiThrottled):
            raise
        except ApiError as exc:
            sections[name] = Section(error=exc)
    return sections
