"""`make logs` (infra.logs): durations, names, formatting, and following several groups."""

from __future__ import annotations

import io

import pytest
from botocore.exceptions import ClientError

from infra import logs
from infra.logs import Follower, LogEvent


def test_parse_since():
    assert logs.parse_since("10m") == 600
    assert logs.parse_since("30s") == logs.parse_since("30") == 30
    assert logs.parse_since("2h") == 7200 and logs.parse_since("1d") == 86400 and logs.parse_since("1.5H") == 5400
    for bad in ("", "ten minutes", "5y", "-1m"):
        with pytest.raises(ValueError):
            logs.parse_since(bad)


def test_short_group_and_format():
    assert logs.short_group("/aws/lambda/retail-SagaFunction") == "retail-SagaFunction"
    assert logs.short_group("/aws/apigateway/retail-access") == "apigateway/retail-access"
    assert logs.short_group("custom") == "custom"
    event = LogEvent("/aws/lambda/retail-SagaFunction", "s", 1795500807123, '{"message":"saga started"}\n', "1")
    assert logs.format_event(event) == '2026-11-24T06:13:27.123Z retail-SagaFunction {"message":"saga started"}'


def test_filter_pattern_and_matching():
    assert logs.filter_pattern("7d3f-1") == '"7d3f-1"'
    assert logs.filter_pattern(None) is None and logs.filter_pattern('say "hi"') is None
    assert logs.matches("correlation_id 7d3f-1 ...", "7d3f-1") and not logs.matches("other", "7d3f-1")
    assert logs.matches("anything", None)


class FakeLogs:
    """describe_log_groups / filter_log_events over in-memory groups, with paginators."""

    class exceptions:  # noqa: N801 - boto3's shape
        ResourceNotFoundException = ClientError

    def __init__(self):
        self.groups: dict[str, list[dict]] = {}
        self.patterns: list[str | None] = []
        self._id = 0

    def put(self, group, timestamp, message, stream="s1"):
        self._id += 1
        self.groups.setdefault(group, []).append(
            {"timestamp": timestamp, "message": message, "logStreamName": stream, "eventId": str(self._id)})

    def get_paginator(self, name):
        client = self

        class Paginator:
            def paginate(self, **kwargs):
                if name == "describe_log_groups":
                    prefix = kwargs.get("logGroupNamePrefix", "")
                    yield {"logGroups": [{"logGroupName": g} for g in client.groups if g.startswith(prefix)]}
                    return
                client.patterns.append(kwargs.get("filterPattern"))
                group = kwargs["logGroupName"]
                if group not in client.groups:
                    raise ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "FilterLogEvents")
                term = (kwargs.get("filterPattern") or '""')[1:-1]
                events = [e for e in client.groups[group] if e["timestamp"] >= kwargs["startTime"] and term in e["message"]]
                yield {"events": events[:2]}  # two pages
                yield {"events": events[2:]}

        return Paginator()


def test_search_merges_every_group_oldest_first_and_filters():
    fake = FakeLogs()
    fake.put("/aws/lambda/a", 1000, "x rid-1 a1")
    fake.put("/aws/lambda/b", 900, "x rid-1 b1")
    fake.put("/aws/lambda/b", 1100, "other")
    fake.put("/aws/apigateway/retail-access", 800, '{"requestId":"rid-1"}')
    fake.put("/aws/other/ignored", 950, "rid-1")
    found = logs.search(fake, "rid-1", since_ms=0)
    assert [(e.group, e.message) for e in found] == [
        ("/aws/apigateway/retail-access", '{"requestId":"rid-1"}'),
        ("/aws/lambda/b", "x rid-1 b1"),
        ("/aws/lambda/a", "x rid-1 a1"),
    ]
    assert set(fake.patterns) == {'"rid-1"'}  # the endpoint narrows with a quoted term
    assert logs.search(fake, "rid-1", since_ms=950) == [found[-1]]


def test_follower_returns_each_event_once_including_late_ones_and_new_groups():
    fake = FakeLogs()
    fake.put("/aws/lambda/a", 10_000, "first")
    follower = Follower(fake, start_ms=5_000)
    assert [e.message for e in follower.poll()] == ["first"]
    assert follower.poll() == []
    fake.put("/aws/lambda/a", 12_000, "second")
    fake.put("/aws/lambda/a", 9_000, "late, older timestamp", stream="s2")  # shipped after "second"
    fake.put("/aws/lambda/new-function", 4_000, "before --since")
    fake.put("/aws/lambda/new-function", 6_000, "in a new group")
    assert [e.message for e in follower.poll()] == ["in a new group", "late, older timestamp", "second"]
    assert follower.poll() == []


def test_main_no_follow_prints_and_exits(monkeypatch):
    fake = FakeLogs()
    fake.put("/aws/lambda/retail-SagaFunction", 2_000_000_000_000, '{"correlation_id":"rid-9"}')
    fake.put("/aws/lambda/retail-SagaFunction", 2_000_000_000_001, "unrelated")
    monkeypatch.setattr(logs, "logs_client", lambda *a, **k: fake)
    monkeypatch.setattr(logs.time, "time", lambda: 2_000_000_000.5)
    out = io.StringIO()
    assert logs.main(["--no-follow", "--filter", "rid-9", "--since", "1h"], out=out) == 0
    assert out.getvalue() == '2033-05-18T03:33:20.000Z retail-SagaFunction {"correlation_id":"rid-9"}\n'
