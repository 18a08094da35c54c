"""The embedded cloud's caches around moto's Step Functions interpreter (infra/cloud/server.py)."""

from __future__ import annotations

import json

from infra.cloud.server import _has_concurrent_states, speed_up_stepfunctions


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
