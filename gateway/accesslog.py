"""Access logs: the local JSON-lines file, and API Gateway's `$context` line format.

`AccessLogWriter`: the local file, written by one background thread: each line is flushed as
soon as it is written, lines that queued meanwhile go in the same write. Request threads only enqueue the record (no file I/O or lock on the request path).

`render_access_log(format, record)`: one line of the stage's access log as API Gateway writes
it to CloudWatch Logs (`accessLogSettings.format`): every `$context.<name>` in the format is
replaced by that request's value, `-` when it has none. Values are JSON-escaped, so a JSON
format (`{"requestId":"$context.requestId", ...}`) always gives valid JSON. Shipping the lines
to the stage's log group is `gateway.cloudwatch_logs`.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import sys
import threading
from typing import IO, Any, Callable, Mapping

LOG = logging.getLogger(__name__)

_STOP = object()
MAX_FILE_BYTES = 64 * 1024 * 1024


class AccessLogWriter:
    def __init__(self, target: str | os.PathLike | IO[str] | None):
        """`target`: a file path (appended to, parent directories created), '-' for stdout,
        an open text stream, or None (nothing written)."""
        self._own = False
        self._path: str | None = None   # a file of ours: rotated at MAX_FILE_BYTES, one backup kept
        self._stream: IO[str] | None
        if target is None:
            self._stream = None
        elif target == "-":
            self._stream = sys.stdout
        elif hasattr(target, "write"):
            self._stream = target  # type: ignore[assignment]
        else:
            path = os.fspath(target)
            parent = os.path.dirname(path)
            if parent:
                os.makedirs(parent, exist_ok=True)
            self._path = path
            self._rotate_if_full()
            self._stream = open(path, "a", encoding="utf-8", buffering=1)
            self._own = True
        self._queue: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        if self._stream is not None:
            self._thread = threading.Thread(target=self._run, name="gateway-access-log", daemon=True)
            self._thread.start()

    @property
    def enabled(self) -> bool:
        return self._stream is not None

    def write(self, record: Mapping[str, Any]) -> None:
        if self._stream is not None:
            self._queue.put(record)

    def _run(self) -> None:
        """Writes what is queued: one line as soon as it comes, and under load everything that
        queued meanwhile in one write and one flush (not a system call per request)."""
        stream = self._stream
        assert stream is not None
        dumps = json.JSONEncoder(separators=(",", ":"), default=str).encode
        stopping = False
        while not stopping:
            items = [self._queue.get()]
            while len(items) < 1000:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if _STOP in items:
                stopping = True
                items = items[:items.index(_STOP)]
            if not items:
                continue
            try:
                text = "".join(dumps(item) + "\n" for item in items)
                stream.write(text)
                stream.flush()
                if self._path is not None:
                    self._written += len(text)
                    if self._written >= MAX_FILE_BYTES:
                        stream.close()
                        self._rotate_if_full()
                        stream = self._stream = open(self._path, "a", encoding="utf-8", buffering=1)
            except Exception:  # noqa: BLE001 - a logging failure must not stop the gateway
                LOG.exception("gateway: cannot write the access log")

    def _rotate_if_full(self) -> None:
        """The file past MAX_FILE_BYTES becomes ``<name>.1`` (replacing the previous one), as
        logging's RotatingFileHandler does: the local log is bounded. (A half-gigabyte log made
        every request of a long-lived `make run` slower.)"""
        assert self._path is not None
        try:
            size = os.path.getsize(self._path)
        except OSError:
            size = 0
        if size >= MAX_FILE_BYTES:
            os.replace(self._path, self._path + ".1")
            size = 0
        self._written = size

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout=5)
            self._thread = None
        if self._own and self._stream is not None:
            self._stream.close()
        self._stream = None


# ----------------------------------------------------------------------------- $context format

CONTEXT_VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)")


def _ms(value: Any) -> Any:
    return None if value is None else int(round(float(value)))


def _integration_error(r: Mapping[str, Any]) -> Any:
    if r.get("integrationLatency") is not None and r.get("errorResponseType") in ("DEFAULT_5XX", "INTEGRATION_TIMEOUT"):
        return r.get("errorMessage")
    return None


# $context variable -> its value, from a gateway access-log record (see gateway.server._finish)
# and the stage (api id, account). Variables of features the gateway does not have (Cognito, WAF,
# custom domains) are known and render as "-". `$context.authorizer.<key>` is a key of the Lambda
# authorizer's context (see context_value).
_VARIABLES: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "requestId": lambda r: r.get("requestId"),
    "extendedRequestId": lambda r: r.get("extendedRequestId"),
    "identity.sourceIp": lambda r: r.get("ip"),
    "identity.userAgent": lambda r: r.get("userAgent"),
    "identity.apiKeyId": lambda r: r.get("apiKeyId"),
    "requestTime": lambda r: r.get("requestTime"),
    "requestTimeEpoch": lambda r: r.get("requestTimeEpoch"),
    "httpMethod": lambda r: r.get("httpMethod"),
    "resourcePath": lambda r: r.get("resourcePath"),
    "resourceId": lambda r: r.get("resourceId"),
    "path": lambda r: r.get("path"),
    "stage": lambda r: r.get("stage"),
    "status": lambda r: r.get("status"),
    "protocol": lambda r: r.get("protocol"),
    "responseLength": lambda r: r.get("responseLength"),
    "responseLatency": lambda r: _ms(r.get("latency")),
    "integrationLatency": lambda r: _ms(r.get("integrationLatency")),
    "integration.latency": lambda r: _ms(r.get("integrationLatency")),
    # for a Lambda proxy integration: the status of the Invoke call, not the function's statusCode
    "integrationStatus": lambda r: r.get("integrationStatus"),
    "integration.status": lambda r: r.get("integrationStatus"),
    "integration.error": _integration_error,
    "error.message": lambda r: r.get("errorMessage"),
    "error.responseType": lambda r: r.get("errorResponseType"),
    "apiId": lambda r: r.get("apiId"),
    "accountId": lambda r: r.get("accountId"),
    "authorizer.principalId": lambda r: r.get("authorizerPrincipalId"),
    "authorizer.error": lambda r: r.get("authorizerError"),
    "authorizer.status": lambda r: r.get("authorizerStatus"),
    "authorizer.latency": lambda r: _ms(r.get("authorizerLatency")),
    "authorizer.integrationLatency": lambda r: _ms(r.get("authorizerIntegrationLatency")),
    "authorizer.integrationStatus": lambda r: r.get("authorizerIntegrationStatus"),
}


def context_value(name: str, record: Mapping[str, Any]) -> Any:
    """The value of `$context.<name>` for this request; None when it has none."""
    getter = _VARIABLES.get(name)
    if getter is not None:
        return getter(record)
    if name.startswith("authorizer."):
        return (record.get("authorizerContext") or {}).get(name.removeprefix("authorizer."))
    return None


def _escape(value: Any) -> str:
    return json.dumps(str(value))[1:-1]


def render_access_log(fmt: str, record: Mapping[str, Any]) -> str:
    """One access-log line: `fmt` with each `$context.<name>` replaced (see the module doc).

    `$context.error.messageString` is the message as a quoted JSON string (use it unquoted
    in a JSON format, as on AWS). Line breaks in the format are dropped: one request, one line.
    """

    def substitute(match: re.Match) -> str:
        name = match.group(1)
        if name == "error.messageString":
            message = record.get("errorMessage")
            return json.dumps(message) if message is not None else "-"
        value = context_value(name, record)
        return "-" if value is None or value == "" else _escape(value)

    return CONTEXT_VARIABLE.sub(substitute, fmt.replace("\r", "").replace("\n", ""))
