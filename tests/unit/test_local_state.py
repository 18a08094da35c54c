"""What `make run` keeps, and `make reset` deletes, before anything starts (infra/local.py);
the data kept across a real restart: tests/integration/test_local_data.py."""
from __future__ import annotations

import pytest

from infra.local import StackRunner, free_port


class Started(Exception):
    """Raised by the fake spawn: the runner got as far as starting the cloud."""


def start_until_the_cloud(tmp_path, monkeypatch, **options) -> tuple[list[str], list[str]]:
    """Starts a runner whose cloud does not start; returns the cloud's arguments and what was
    left of the state directory at that moment."""
    runner = StackRunner(free_port(), free_port(), state_dir=tmp_path, **options)
    spawned = []

    def spawn(name, args):
        spawned.append((name, args, sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))))
        raise Started

    monkeypatch.setattr(runner, "_spawn", spawn)
    with pytest.raises(Started):
        runner.start()
    [(name, args, left)] = spawned
    assert name == "cloud"
    return args, left


def kept_data(tmp_path) -> None:
    (tmp_path / "dynamodb").mkdir()
    (tmp_path / "dynamodb" / "demo-data.json").write_text("{}")
    (tmp_path / "stepfunctions").mkdir()
    (tmp_path / "stepfunctions" / "executions.jsonl").write_text("")


def test_make_run_keeps_its_tables_and_executions_in_the_state_directory(tmp_path, monkeypatch):
    kept_data(tmp_path)
    args, left = start_until_the_cloud(tmp_path, monkeypatch, persist=True)
    assert args[args.index("--dynamodb-path") + 1] == str(tmp_path / "dynamodb")
    assert args[args.index("--executions-file") + 1] == str(tmp_path / "stepfunctions" / "executions.jsonl")
    assert "dynamodb/demo-data.json" in left


def test_reset_deletes_the_kept_data_before_the_cloud_starts(tmp_path, monkeypatch):
    kept_data(tmp_path)
    _, left = start_until_the_cloud(tmp_path, monkeypatch, persist=True, reset=True)
    assert left == []


def test_the_test_suite_stack_stays_in_memory(tmp_path, monkeypatch):
    args, _ = start_until_the_cloud(tmp_path, monkeypatch)
    assert "--dynamodb-path" not in args and "--executions-file" not in args
