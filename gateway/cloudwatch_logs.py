"""The stage's access log in CloudWatch Logs, as API Gateway writes it.

When the deployed stage has `accessLogSettings` (template.yaml: `AccessLogSetting` of the API),
every request gives one line, rendered from the stage's `format` (`gateway.accesslog.
render_access_log`), in the log group of `destinationArn`, on the same endpoint the gateway
reads its configuration from. The settings are re-read with the rest of the configuration
(every few seconds), so changing them needs no restart.

Request threads only enqueue (`submit`, an access-log listener of `GatewayServer`); one
background thread renders the lines and sends them in batches (`PutLogEvents`, the stream
created on first use). Nothing here can block or fail a request: a full queue drops lines (and
counts them), a failed call is logged and its batch dropped. As on AWS, the log group must
exist (the template creates it); the gateway does not create it.

Streams are named `<yyyy>/<mm>/<dd>/[<stage>]<gateway instance id>`, one per gateway process
and day, as Lambda names its streams.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from typing import Any, Callable, Mapping

from .accesslog import render_access_log
from .config import ApiConfig

LOG = logging.getLogger(__name__)

MAX_BATCH_EVENTS = 1000  # PutLogEvents takes up to 10,000 events ...
MAX_BATCH_BYTES = 900_000  # ... and 1,048,576 bytes (each event counts 26 bytes more)
_EVENT_OVERHEAD = 26
_STOP = object()


def log_group_from_arn(arn: str | None) -> str | None:
    """'arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/x:*' -> '/aws/apigateway/x'."""
    if not arn:
        return None
    _, sep, rest = arn.partition(":log-group:")
    if not sep or not rest:
        return None
    return rest[:-2] if rest.endswith(":*") else rest


def stream_name(timestamp_ms: int, stage: str, instance: str) -> str:
    return time.strftime("%Y/%m/%d", time.gmtime(timestamp_ms / 1000)) + f"/[{stage}]{instance}"


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


class CloudWatchAccessLog:
    """Ships the stage's access log lines to CloudWatch Logs from a background thread."""

    def __init__(
        self,
        endpoint_url: str | None,
        region: str,
        config: Callable[[], ApiConfig],
        *,
        client: Any = None,
        interval: float = 1.0,
        max_queue: int = 100_000,
    ):
        """`config` returns the configuration snapshot being served (its accessLogSettings);
        `client` replaces the boto3 logs client (tests); `interval`: seconds a batch waits
        for more lines after its first one."""
        self.endpoint_url, self.region = endpoint_url, region
        self._config = config
        self._client = client
        self.interval = interval
        self.instance = uuid.uuid4().hex
        self._queue: "queue.Queue[Any]" = queue.Queue(maxsize=max_queue)
        self._streams: set[tuple[str, str]] = set()
        self._warned: dict[str, float] = {}
        self._thread: threading.Thread | None = None
        self.shipped = 0
        self.dropped = 0

    # ------------------------------------------------------------------ request side

    def submit(self, record: Mapping[str, Any]) -> None:
        """Enqueue one request's record (never blocks; a no-op without accessLogSettings)."""
        cfg = self._config()
        fmt, arn = cfg.access_log_format, cfg.access_log_destination_arn
        if not fmt or not arn:
            return
        try:
            self._queue.put_nowait((arn, fmt, cfg.rest_api_id, cfg.account_id, record))
        except queue.Full:
            self.dropped += 1
            self._warn("full", "gateway: CloudWatch access log queue full; dropping lines (%d so far)", self.dropped)

    __call__ = submit  # an access-log listener of GatewayServer

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> "CloudWatchAccessLog":
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="gateway-cloudwatch-access-log", daemon=True)
            self._thread.start()
        return self

    def close(self, timeout: float = 5.0) -> None:
        """Ship what is queued (within `timeout`), then stop."""
        if self._thread is not None:
            try:
                self._queue.put(_STOP, timeout=timeout)
            except queue.Full:
                pass
            self._thread.join(timeout=timeout)
            self._thread = None

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every line submitted so far was handled (tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._queue.unfinished_tasks == 0:
                return True
            time.sleep(0.01)
        return False

    # ------------------------------------------------------------------ background thread

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            kwargs: dict[str, Any] = {"region_name": self.region}
            if self.endpoint_url:
                kwargs["endpoint_url"] = self.endpoint_url
            if boto3.session.Session().get_credentials() is None:  # a local endpoint takes any
                kwargs.update(aws_access_key_id="test", aws_secret_access_key="test")
            cfg = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=2, read_timeout=10)
            self._client = boto3.client("logs", config=cfg, **kwargs)
        return self._client

    def _run(self) -> None:
        stop = False
        while not stop:
            items: list[tuple] = []
            got = 0  # every successful get() gets one task_done()
            item = self._queue.get()
            got += 1
            if item is _STOP:
                stop = True
            else:
                items.append(item)
                deadline = time.monotonic() + self.interval
                while len(items) < MAX_BATCH_EVENTS:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    try:
                        item = self._queue.get(timeout=remaining)
                    except queue.Empty:
                        break
                    got += 1
                    if item is _STOP:
                        stop = True
                        break
                    items.append(item)
            while stop:  # ship whatever is still queued, then end
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                got += 1
                if item is not _STOP:
                    items.append(item)
            try:
                if items:
                    self._ship(items)
            except Exception:  # noqa: BLE001 - never let the thread die
                LOG.exception("gateway: shipping the access log to CloudWatch Logs failed")
            finally:
                for _ in range(got):
                    self._queue.task_done()

    def _ship(self, items: list[tuple]) -> None:
        by_stream: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for arn, fmt, api_id, account_id, record in items:
            group = log_group_from_arn(arn)
            if group is None:
                self._warn(f"arn:{arn}", "gateway: access log destination %r is not a log group ARN", arn)
                continue
            rec = {**record, "apiId": api_id, "accountId": account_id}
            try:
                message = render_access_log(fmt, rec)
            except Exception:  # noqa: BLE001
                self._warn("render", "gateway: cannot render the access log format %r", fmt)
                continue
            ts = int(rec.get("requestTimeEpoch") or time.time() * 1000)
            stream = stream_name(ts, str(rec.get("stage") or ""), self.instance)
            by_stream.setdefault((group, stream), []).append({"timestamp": ts, "message": message})
        for (group, stream), events in by_stream.items():
            events.sort(key=lambda e: e["timestamp"])
            for chunk in _chunks(events):
                self._put(group, stream, chunk)

    def _put(self, group: str, stream: str, events: list[dict[str, Any]]) -> None:
        for attempt in (1, 2):
            try:
                if (group, stream) not in self._streams:
                    self._create_stream(group, stream)
                self.client.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
                self.shipped += len(events)
                return
            except Exception as exc:  # noqa: BLE001 - a logging failure must not reach requests
                code = _error_code(exc)
                if code == "ResourceNotFoundException" and attempt == 1:
                    self._streams.discard((group, stream))  # e.g. the endpoint restarted: once more
                    continue
                self.dropped += len(events)
                if code == "ResourceNotFoundException":
                    self._warn(f"group:{group}", "gateway: access log group %s does not exist; lines dropped", group)
                else:
                    self._warn(f"put:{group}:{type(exc).__name__}",
                               "gateway: cannot ship the access log to %s: %s", group, exc)
                return

    def _create_stream(self, group: str, stream: str) -> None:
        try:
            self.client.create_log_stream(logGroupName=group, logStreamName=stream)
        except Exception as exc:  # noqa: BLE001
            if _error_code(exc) != "ResourceAlreadyExistsException":
                raise
        self._streams.add((group, stream))

    def _warn(self, key: str, msg: str, *args: Any) -> None:
        """Log a problem at most once a minute per kind."""
        now = time.monotonic()
        if now - self._warned.get(key, -1e9) >= 60.0:
            self._warned[key] = now
            LOG.warning(msg, *args)


def _chunks(events: list[dict[str, Any]]):
    chunk: list[dict[str, Any]] = []
    size = 0
    for event in events:
        n = len(event["message"].encode("utf-8")) + _EVENT_OVERHEAD
        if chunk and (len(chunk) >= MAX_BATCH_EVENTS or size + n > MAX_BATCH_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(event)
        size += n
    if chunk:
        yield chunk


__all__ = ["CloudWatchAccessLog", "log_group_from_arn", "stream_name"]
