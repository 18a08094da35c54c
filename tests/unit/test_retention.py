"""What the endpoint keeps is bounded (infra/cloud/retention.py)."""
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from infra.cloud.retention import DAY_MS, Janitor, trim_executions, trim_log_group


def _event(ts: int):
    return SimpleNamespace(timestamp=ts)


def _stream(timestamps, last=None):
    return SimpleNamespace(events=[_event(t) for t in timestamps],
                           last_ingestion_time=last or datetime.now(timezone.utc))


def test_a_stream_keeps_its_newest_events():
    now = int(time.time() * 1000)
    group = SimpleNamespace(retention_in_days=None, streams={"s": _stream(range(now - 10, now))})
    assert trim_log_group(group, now, max_events=4) == 6
    assert [e.timestamp for e in group.streams["s"].events] == list(range(now - 4, now))


def test_events_older_than_the_group_retention_expire():
    now = int(time.time() * 1000)
    old, recent = now - 3 * DAY_MS, now - DAY_MS // 2
    group = SimpleNamespace(retention_in_days=1, streams={"s": _stream([old, old + 1, recent])})
    assert trim_log_group(group, now) == 2
    assert [e.timestamp for e in group.streams["s"].events] == [recent]


def test_an_empty_stream_nobody_writes_to_goes_after_a_day_and_a_live_one_stays():
    now = int(time.time() * 1000)
    stale = datetime.now(timezone.utc) - timedelta(days=2)
    group = SimpleNamespace(retention_in_days=1, streams={"gone": _stream([now - 3 * DAY_MS], last=stale),
                                                          "live": _stream([])})
    trim_log_group(group, now)
    assert list(group.streams) == ["live"]


def test_only_finished_executions_beyond_the_bound_are_dropped_oldest_first():
    runs = [SimpleNamespace(name=f"e{i}", status="SUCCEEDED") for i in range(5)]
    runs.insert(1, SimpleNamespace(name="running", status="RUNNING"))
    machine = SimpleNamespace(executions=runs)
    assert trim_executions(machine, max_finished=2) == 3
    assert [e.name for e in machine.executions] == ["running", "e3", "e4"]
    assert trim_executions(machine, max_finished=2) == 0


def test_the_janitor_walks_every_backend():
    now = int(time.time() * 1000)
    group = SimpleNamespace(retention_in_days=1, streams={"s": _stream([now - 2 * DAY_MS, now])})
    machine = SimpleNamespace(executions=[SimpleNamespace(status="FAILED")] * 3)
    janitor = Janitor(lambda: [SimpleNamespace(groups={"g": group})],
                      lambda: [SimpleNamespace(state_machines=[machine])])
    events, executions = janitor.run_once()
    assert events == 1 and executions == 0


def test_moto_forgets_the_instances_the_backends_dropped():
    from datetime import datetime, timezone

    from moto.cloudwatch.models import MetricDatum

    datum = MetricDatum("NS", "M", 1.0, [{"Name": "d", "Value": "v"}], datetime.now(timezone.utc))
    assert any(tracked is datum for tracked in MetricDatum.instances_tracked)
    Janitor(lambda: [], lambda: []).run_once()
    assert not any(tracked is datum for tracked in MetricDatum.instances_tracked)
