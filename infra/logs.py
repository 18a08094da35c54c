"""python -m infra.logs: follow the system's logs on the endpoint, like `sam logs --tail`.

Reads CloudWatch Logs on the AWS endpoint (`make run`: http://127.0.0.1:4566): every function's
group (`/aws/lambda/*`, new ones picked up as they appear) and the API access log
(`/aws/apigateway/*`), and prints one line per event, oldest first:

    <time UTC> <group short name> <message>

    python -m infra.logs                              # the last 10 minutes, then follow
    python -m infra.logs --filter <request id>        # one request, end to end
    python -m infra.logs --since 1h --no-follow       # print and exit

`--filter TEXT` keeps the events whose message contains TEXT (case-sensitive, as a quoted term
of a CloudWatch filter pattern: `--filter-pattern '"TEXT"'`). An API request id is the
`x-amzn-RequestId` response header, the access log's `requestId` and the `correlation_id` of
every Lambda log line the request causes, including each step of an order saga it started.

The same reads with the AWS CLI:
`aws --endpoint-url http://127.0.0.1:4566 logs filter-log-events --log-group-name /aws/lambda/retail-SagaFunction --filter-pattern '"<id>"'`.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, TextIO

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"
DEFAULT_PREFIXES = ("/aws/lambda/", "/aws/apigateway/")
LOOKBACK_MS = 10_000  # events can land a moment after their timestamp (batched shipping)

_SINCE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True)
class LogEvent:
    group: str
    stream: str
    timestamp: int  # ms since the epoch
    message: str
    event_id: str

    @property
    def key(self) -> tuple[str, str, str]:
        return self.group, self.stream, self.event_id


# ----------------------------------------------------------------------------- pure parts


def parse_since(text: str) -> float:
    """'10m' -> 600.0 seconds; units s, m, h, d, w (none: seconds)."""
    match = _SINCE.match(text or "")
    if not match:
        raise ValueError(f"not a duration: {text!r} (e.g. 30s, 10m, 2h, 1d)")
    return float(match.group(1)) * _UNITS[match.group(2).lower()]


def short_group(group: str) -> str:
    """'/aws/lambda/retail-SagaFunction' -> 'retail-SagaFunction';
    '/aws/apigateway/retail-access' -> 'apigateway/retail-access'."""
    if group.startswith("/aws/lambda/"):
        return group[len("/aws/lambda/"):]
    if group.startswith("/aws/"):
        return group[len("/aws/"):]
    return group


def format_time(timestamp_ms: int) -> str:
    t = time.gmtime(timestamp_ms / 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{int(timestamp_ms) % 1000:03d}Z"


def format_event(event: LogEvent) -> str:
    return f"{format_time(event.timestamp)} {short_group(event.group)} {event.message.rstrip()}"


def matches(message: str, text: str | None) -> bool:
    return not text or text in message


def filter_pattern(text: str | None) -> str | None:
    """The CloudWatch filter pattern for a substring: a quoted term (the endpoint narrows, the
    caller still checks: a quoted term is a phrase match on AWS)."""
    if not text or '"' in text:
        return None
    return f'"{text}"'


def merge(batches: Iterable[Iterable[LogEvent]]) -> list[LogEvent]:
    """Events of several groups as one stream, oldest first."""
    return sorted((e for batch in batches for e in batch), key=lambda e: (e.timestamp, e.group, e.stream, e.event_id))


# ----------------------------------------------------------------------------- reading


def logs_client(endpoint_url: str | None = None, region: str | None = None) -> Any:
    import boto3
    from botocore.config import Config

    kwargs: dict[str, Any] = {"region_name": region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    if boto3.session.Session().get_credentials() is None:  # a local endpoint takes any credentials
        kwargs.update(aws_access_key_id="test", aws_secret_access_key="test")
    return boto3.client("logs", config=Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=3,
                                              read_timeout=30), **kwargs)


def list_groups(client: Any, prefixes: Iterable[str] = DEFAULT_PREFIXES) -> list[str]:
    groups: list[str] = []
    for prefix in prefixes:
        for page in client.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=prefix):
            groups += [g["logGroupName"] for g in page.get("logGroups", [])]
    return sorted(set(groups))


def fetch(client: Any, group: str, start_ms: int, text: str | None = None, end_ms: int | None = None) -> list[LogEvent]:
    """Every event of `group` from `start_ms` (inclusive) whose message contains `text`."""
    kwargs: dict[str, Any] = {"logGroupName": group, "startTime": int(start_ms)}
    if end_ms is not None:
        kwargs["endTime"] = int(end_ms)
    pattern = filter_pattern(text)
    if pattern:
        kwargs["filterPattern"] = pattern
    events = []
    try:
        for page in client.get_paginator("filter_log_events").paginate(**kwargs):
            for e in page.get("events", []):
                if matches(e.get("message", ""), text):
                    events.append(LogEvent(group, e.get("logStreamName", ""), int(e["timestamp"]), e.get("message", ""),
                                           str(e.get("eventId", ""))))
    except Exception as exc:  # noqa: BLE001
        if getattr(exc, "response", {}).get("Error", {}).get("Code") == "ResourceNotFoundException":
            return []  # the group went away
        raise
    return events


def search(client: Any, text: str | None, *, since_ms: int, prefixes: Iterable[str] = DEFAULT_PREFIXES,
           groups: Iterable[str] | None = None) -> list[LogEvent]:
    """One pass over every group (or `groups`): the events since `since_ms` containing `text`."""
    names = list(groups) if groups is not None else list_groups(client, prefixes)
    return merge(fetch(client, g, since_ms, text) for g in names)


class Follower:
    """Polls every group for new events (`aws logs tail --follow`): each poll returns what was
    not returned before, oldest first; groups that appear later are read from the start time."""

    def __init__(self, client: Any, *, start_ms: int, text: str | None = None,
                 prefixes: Iterable[str] = DEFAULT_PREFIXES, lookback_ms: int = LOOKBACK_MS):
        self.client, self.text, self.prefixes = client, text, tuple(prefixes)
        self.start_ms, self.lookback_ms = int(start_ms), lookback_ms
        self._cursor: dict[str, int] = {}  # group -> newest timestamp seen
        self._seen: dict[tuple[str, str, str], int] = {}

    def poll(self) -> list[LogEvent]:
        new: list[LogEvent] = []
        for group in list_groups(self.client, self.prefixes):
            since = max(self.start_ms, self._cursor.get(group, self.start_ms) - self.lookback_ms)
            for event in fetch(self.client, group, since, self.text):
                if event.key in self._seen:
                    continue
                self._seen[event.key] = event.timestamp
                new.append(event)
                if event.timestamp > self._cursor.get(group, 0):
                    self._cursor[group] = event.timestamp
        self._forget()
        return merge([new])

    def _forget(self) -> None:
        if len(self._seen) < 50_000:
            return
        oldest_cursor = min(self._cursor.values(), default=self.start_ms)
        horizon = oldest_cursor - self.lookback_ms - 1
        self._seen = {k: ts for k, ts in self._seen.items() if ts >= horizon}

    def follow(self, interval: float = 1.0) -> Iterator[LogEvent]:
        while True:
            yield from self.poll()
            time.sleep(interval)


# ----------------------------------------------------------------------------- command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m infra.logs", description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL") or DEFAULT_ENDPOINT,
                   help="AWS endpoint (default %(default)s)")
    p.add_argument("--region", default=None, help="region (default: $AWS_REGION or us-east-1)")
    p.add_argument("--filter", default=None, help="only events whose message contains this text, e.g. a request id")
    p.add_argument("--since", default="10m", help="start this long ago: 30s, 10m, 2h, 1d (default %(default)s)")
    p.add_argument("--no-follow", action="store_true", help="print what is there and exit")
    p.add_argument("--prefix", action="append", default=None,
                   help=f"log group name prefix to read (repeatable; default {' and '.join(DEFAULT_PREFIXES)})")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between polls when following (default %(default)s)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    args = parse_args(argv)
    try:
        since = parse_since(args.since)
    except ValueError as exc:
        print(f"infra.logs: {exc}", file=sys.stderr)
        return 2
    client = logs_client(args.endpoint_url, args.region)
    follower = Follower(client, start_ms=int((time.time() - since) * 1000), text=args.filter,
                        prefixes=args.prefix or DEFAULT_PREFIXES)
    failing = False
    try:
        while True:
            try:
                events = follower.poll()
                if failing:
                    print("infra.logs: endpoint reachable again", file=sys.stderr)
                failing = False
            except Exception as exc:  # noqa: BLE001 - the endpoint may be restarting
                if args.no_follow:
                    print(f"infra.logs: cannot read the logs on {args.endpoint_url}: {exc}", file=sys.stderr)
                    return 1
                if not failing:
                    print(f"infra.logs: cannot read the logs on {args.endpoint_url} ({exc}); retrying", file=sys.stderr)
                failing, events = True, []
            for event in events:
                print(format_event(event), file=out, flush=False)
            out.flush()
            if args.no_follow:
                return 0
            time.sleep(args.interval)
    except (KeyboardInterrupt, BrokenPipeError):
        return 0


if __name__ == "__main__":
    sys.exit(main())
