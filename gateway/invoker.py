"""Calls a Lambda function through the Lambda Invoke API of the AWS-compatible endpoint.

`POST /2015-03-31/functions/<function>/invocations` on a pooled urllib3 connection, with
the headers an SDK sends (the signature is not computed: local endpoints don't check it,
but the credential scope tells them the service and region).

Any callable `invoker(function_arn, payload, timeout) -> InvokeResponse` can replace it
(GatewayServer(invoker=...)); it may raise `IntegrationTimeout` or `IntegrationUnreachable`,
and may also return a boto3-style dict {"StatusCode", "Payload", "FunctionError"}.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping
from urllib.parse import quote, urlsplit

import urllib3
from urllib3.exceptions import HTTPError, ReadTimeoutError


class IntegrationTimeout(Exception):
    """No response from the integration within the integration timeout."""


class IntegrationUnreachable(Exception):
    """The integration endpoint could not be reached or broke the connection."""


@dataclass
class InvokeResponse:
    status_code: int
    payload: bytes = b""
    function_error: str | None = None  # X-Amz-Function-Error
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def coerce(cls, value: Any) -> "InvokeResponse":
        if isinstance(value, InvokeResponse):
            return value
        if isinstance(value, Mapping):  # boto3 lambda.invoke() shape
            payload = value.get("Payload", b"")
            if hasattr(payload, "read"):
                payload = payload.read()
            if isinstance(payload, str):
                payload = payload.encode()
            return cls(
                status_code=int(value.get("StatusCode", 200)),
                payload=payload or b"",
                function_error=value.get("FunctionError"),
                headers=value.get("Headers") or {},
            )
        raise TypeError(f"invoker returned {type(value).__name__}, expected InvokeResponse or dict")


Invoker = Callable[[str, bytes, float], Any]


def region_of(function_arn: str, default: str) -> str:
    parts = function_arn.split(":")
    if len(parts) > 3 and parts[0] == "arn" and parts[3]:
        return parts[3]
    return default


class LambdaInvoker:
    """Thread-safe; one connection pool to the endpoint shared by all request threads."""

    def __init__(
        self,
        endpoint_url: str,
        region: str = "us-east-1",
        *,
        maxsize: int = 128,
        connect_timeout: float = 5.0,
        user_agent: str = "AmazonAPIGateway",
    ):
        parts = urlsplit(endpoint_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"bad endpoint url {endpoint_url!r}")
        self.endpoint_url = endpoint_url.rstrip("/")
        self.region = region
        self.connect_timeout = connect_timeout
        self.user_agent = user_agent
        self._host_header = parts.netloc
        self._base_path = parts.path.rstrip("/")
        self._access_key = os.environ.get("AWS_ACCESS_KEY_ID") or "test"
        # block=False: under a burst more connections are opened, extra ones are discarded
        self._pool = urllib3.connection_from_url(
            self.endpoint_url, maxsize=maxsize, block=False, retries=False
        )

    def _headers(self, function_arn: str, request_id: str | None) -> dict[str, str]:
        now = time.gmtime()
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", now)
        scope = f"{self._access_key}/{amz_date[:8]}/{region_of(function_arn, self.region)}/lambda/aws4_request"
        headers = {
            "Host": self._host_header,
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": self.user_agent,
            "X-Amz-Date": amz_date,
            "X-Amz-Invocation-Type": "RequestResponse",
            "X-Amz-Log-Type": "None",
            "Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host;x-amz-date, Signature=0",
        }
        if request_id:
            headers["x-amzn-lambda-integration-tag"] = request_id
        return headers

    def __call__(self, function_arn: str, payload: bytes, timeout: float, *, request_id: str | None = None) -> InvokeResponse:
        path = f"{self._base_path}/2015-03-31/functions/{quote(function_arn, safe='')}/invocations"
        t = urllib3.Timeout(connect=min(self.connect_timeout, timeout), read=timeout)
        try:
            resp = self._pool.urlopen(
                "POST",
                path,
                body=payload,
                headers=self._headers(function_arn, request_id),
                timeout=t,
                retries=False,
                redirect=False,
                preload_content=True,
                assert_same_host=False,
            )
        except ReadTimeoutError as exc:
            raise IntegrationTimeout(str(exc)) from exc
        except (HTTPError, OSError) as exc:  # connect errors and timeouts, resets, protocol errors
            raise IntegrationUnreachable(str(exc)) from exc
        headers = {k.lower(): v for k, v in resp.headers.items()}
        return InvokeResponse(
            status_code=resp.status,
            payload=resp.data or b"",
            function_error=headers.get("x-amz-function-error"),
            headers=headers,
        )

    def close(self) -> None:
        self._pool.close()
