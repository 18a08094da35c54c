"""boto3 clients for handlers: one per service, region and endpoint, reused across invocations.

The region and the endpoint come from the environment (``AWS_REGION``, ``AWS_ENDPOINT_URL`` and
the service's ``AWS_ENDPOINT_URL_<SERVICE ID>``, which boto3 reads itself), so a handler never
knows where it runs; the cache key follows them because tests change them between runs.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.config import Config

from shared.settings import aws_region

_clients: dict[tuple[Any, ...], Any] = {}


def client(service: str, *, connect_timeout: float = 2, read_timeout: float = 10, max_attempts: int = 3) -> Any:
    """A cached client of ``service`` with short timeouts and standard retries."""
    service_endpoint = "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_")
    key = (service, aws_region(), os.environ.get("AWS_ENDPOINT_URL"), os.environ.get(service_endpoint),
           connect_timeout, read_timeout, max_attempts)
    found = _clients.get(key)
    if found is None:
        found = _clients[key] = boto3.client(
            service,
            region_name=key[1],
            config=Config(connect_timeout=connect_timeout, read_timeout=read_timeout,
                          retries={"max_attempts": max_attempts, "mode": "standard"}),
        )
    return found
