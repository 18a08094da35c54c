"""boto3 clients for handlers: one per service, region and endpoint, reused across invocations.

The region, and an endpoint and credentials when they are given explicitly, come from the
:class:`shared.settings.AwsSettings` passed down (``shared.settings.use``; the demo-data loader
passes the local endpoint that way). Otherwise boto3 resolves the endpoint itself from the
environment (``AWS_ENDPOINT_URL``, the service's ``AWS_ENDPOINT_URL_<SERVICE ID>``), so a
handler never knows where it runs; the cache key follows those variables too because tests
change them between runs.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.config import Config

from shared.settings import aws

_clients: dict[tuple[Any, ...], Any] = {}


def client(service: str, *, connect_timeout: float = 2, read_timeout: float = 10, max_attempts: int = 3) -> Any:
    """A cached client of ``service`` with short timeouts and standard retries."""
    service_endpoint = "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_")
    settings = aws()
    key = (service, settings, os.environ.get("AWS_ENDPOINT_URL"), os.environ.get(service_endpoint),
           connect_timeout, read_timeout, max_attempts)
    found = _clients.get(key)
    if found is None:
        found = _clients[key] = boto3.client(
            service,
            **settings.client_kwargs(),
            config=Config(connect_timeout=connect_timeout, read_timeout=read_timeout,
                          retries={"max_attempts": max_attempts, "mode": "standard"}),
        )
    return found
