"""boto3 clients for handlers: one per service, region and endpoint, reused across invocations.

The region, and an endpoint and credentials when they are given explicitly, come from the
:class:`shared.settings.AwsSettings` passed down (``shared.settings.use``; the demo-data loader
passes the local endpoint that way). Otherwise boto3 resolves the endpoint itself from the
environment (``AWS_ENDPOINT_URL``, the service's ``AWS_ENDPOINT_URL_<SERVICE ID>``), so a
handler never knows where it runs; the cache key follows those variables too because tests
change them between runs.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import boto3
from botocore.config import Config

from shared.settings import aws

_clients: dict[tuple[Any, ...], Any] = {}
_deadline: ContextVar[float | None] = ContextVar("invocation_deadline", default=None)


def with_deadline(handler: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """Decorate a Lambda handler: while it runs, :func:`seconds_left` says how long before the
    invocation times out (the context's ``get_remaining_time_in_millis``)."""

    @functools.wraps(handler)
    def wrapper(event: Any, context: Any) -> Any:
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        token = _deadline.set(time.monotonic() + remaining() / 1000 if callable(remaining) else None)
        try:
            return handler(event, context)
        finally:
            _deadline.reset(token)

    return wrapper


def seconds_left() -> float | None:
    """Seconds before this invocation times out, or None outside a handler that says."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


def client(service: str, *, connect_timeout: float = 2, read_timeout: float = 10, retries: int = 3) -> Any:
    """A cached client of ``service`` with short timeouts and standard retries (``retries``: how
    many times a call that failed transiently is tried again after the first attempt)."""
    service_endpoint = "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_")
    settings = aws()
    key = (service, settings, os.environ.get("AWS_ENDPOINT_URL"), os.environ.get(service_endpoint),
           connect_timeout, read_timeout, retries)
    found = _clients.get(key)
    if found is None:
        found = _clients[key] = boto3.client(
            service,
            **settings.client_kwargs(),
            config=Config(connect_timeout=connect_timeout, read_timeout=read_timeout,
                          retries={"max_attempts": retries, "mode": "standard"}),
        )
    return found
