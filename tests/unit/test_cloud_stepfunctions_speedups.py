"""The embedded cloud's speed-ups of moto (infra/cloud/moto_patches.py)."""

from __future__ import annotations

import json

from datetime import UTC, datetime

from infra.cloud.moto_patches import (Dispatcher, _epoch, _has_concurrent_states, fast_list_metrics, lean_request_ids,
                                      speed_up_stepfunctions)


def machine(*types: str) -> str:
    return json.dumps({"StartAt": "A", "States": {f"S{i}": {"Type": t, "End": True} for i, t in enumerate(types)}})


def test_only_machines_without_map_or_parallel_share_a_parsed_program():
    assert not _has_concurrent_states(machine("Task", "Pass", "Choice", "Succeed", "Fail"))
    assert _has_concurrent_states(machine("Task", "Map"))
    assert _has_concurrent_states(machine("Parallel"))
    assert _has_concurrent_states("not json")  # when in doubt, parse per execution


def test_jsonpaths_are_parsed_once_and_still_evaluate():
    speed_up_stepfunctions()
    speed_up_stepfunctions()  # idempotent: no cache around a cache
    from moto.stepfunctions.parser.asl.utils import json_path

    before = json_path.parse.cache_info().hits
    assert json_path.extract_json("$.order.total", {"order": {"total": "9.99"}}) == "9.99"
    assert json_path.extract_json("$.order.total", {"order": {"total": "1.00"}}) == "1.00"
    assert json_path.parse.cache_info().hits >= before + 1
    assert not hasattr(json_path.parse.__wrapped__, "cache_info")


def test_history_timestamps_are_epoch_seconds_as_the_json_protocol_sends_them():
    assert _epoch("2026-12-03T15:45:30.938Z") == datetime(2026, 12, 3, 15, 45, 30, 938000, tzinfo=UTC).timestamp()
    assert _epoch(1796312730.5) == 1796312730.5
    assert _epoch("not a date") == "not a date"  # left for the client to refuse, as before


def test_the_dispatcher_asks_moto_once_per_host(monkeypatch):
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    asked: list[str | None] = []
    original = DomainDispatcherApplication.get_backend_for_host

    def counting(self, host):
        asked.append(host)
        return original(self, host)

    monkeypatch.setattr(DomainDispatcherApplication, "get_backend_for_host", counting)
    dispatcher = Dispatcher(create_backend_app)
    host = "states.us-east-1.amazonaws.com"
    assert dispatcher.get_backend_for_host(host) == dispatcher.get_backend_for_host(host) == "stepfunctions"
    assert dispatcher.get_backend_for_host("dynamodb") == "dynamodb"
    assert asked == [host, "dynamodb"]


def test_request_ids_still_reach_xml_answers_and_every_header():
    from moto.core.responses import BaseResponse

    lean_request_ids()
    lean_request_ids()  # idempotent
    headers, body = BaseResponse._enrich_response({"status": 200}, "<R><RequestId>x</RequestId></R>")
    request_id = headers["x-amzn-requestid"]
    assert body == f"<R><RequestId>{request_id}</RequestId></R>" and headers["status"] == "200"
    headers, body = BaseResponse._enrich_response({}, '{"events":[]}')
    assert body == '{"events":[]}' and headers["x-amzn-requestid"]


def test_list_metrics_answers_as_moto_did():
    from datetime import datetime, timezone

    from moto.cloudwatch.models import CloudWatchBackend, MetricDatum

    backend = CloudWatchBackend("us-east-1", "123456789012")
    now = datetime.now(timezone.utc)
    dims = [[{"Name": "FunctionName", "Value": f"f{i % 3}"}] for i in range(30)]
    backend.metric_data = [MetricDatum("AWS/Lambda", "Duration" if i % 2 else "Errors", 1.0, dims[i], now) for i in range(30)]
    backend.metric_data += [MetricDatum("Custom", "Plain", 1.0, [], now) for _ in range(3)]
    original = getattr(CloudWatchBackend.get_filtered_metrics, "original", CloudWatchBackend.get_filtered_metrics)
    queries = [(None, None, []), ("Duration", "AWS/Lambda", []), (None, None, [{"Name": "FunctionName", "Value": "f1"}]),
               ("Plain", None, [])]
    expected = [[(m.namespace, m.name, [(d.name, d.value) for d in m.dimensions]) for m in original(backend, *q)] for q in queries]
    fast_list_metrics()
    fast_list_metrics()
    got = [[(m.namespace, m.name, [(d.name, d.value) for d in m.dimensions]) for m in backend.get_filtered_metrics(*q)]
           for q in queries]
    assert got == expected and len(expected[0]) == 6 + 3


def test_the_patches_refuse_another_moto_version(monkeypatch):
    """moto_patches reaches into moto's internals: the installed version is the one pyproject.toml
    pins and the patches were written against, and another one stops the cloud at start."""
    import re
    import tomllib
    from pathlib import Path

    import moto
    import pytest

    from infra.cloud import moto_patches

    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    project = pyproject["project"]
    requirements = [*project.get("dependencies", []), *(r for extra in project.get("optional-dependencies", {}).values()
                                                         for r in extra)]
    pins = [re.fullmatch(r"moto\[server\]==(.+)", r) for r in requirements]
    assert [m.group(1) for m in pins if m] == [moto_patches.PINNED_MOTO] == [moto.__version__]
    moto_patches.check_version()
    monkeypatch.setattr(moto, "__version__", "5.9.9")
    with pytest.raises(moto_patches.UnexpectedMotoVersion, match="moto 5.9.9 is installed"):
        moto_patches.apply()
