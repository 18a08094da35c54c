"""Step Functions executions kept on disk across a restart of the cloud
(infra/cloud/execution_store.py), on moto's interpreter in process: each ``mock_aws`` block is
one life of the endpoint, the journal file what is left between them."""
from __future__ import annotations

import json
import time

import boto3
import pytest
from moto import mock_aws

from infra.cloud.execution_store import ExecutionJournal

ACCOUNT, REGION = "123456789012", "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/saga"
# succeeds with its input, or fails with an error and a cause when the input says so
DEFINITION = json.dumps({
    "StartAt": "Choose",
    "States": {
        "Choose": {"Type": "Choice", "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "Fail"}],
                   "Default": "Done"},
        "Done": {"Type": "Pass", "Result": {"ok": True}, "ResultPath": "$.result", "End": True},
        "Fail": {"Type": "Fail", "Error": "OutOfStock", "Cause": "only 3 left"},
    },
})
SLOW = json.dumps({"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 30, "End": True}}})


def _backends():
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    return [stepfunctions_parser_backends[ACCOUNT][REGION]]


@pytest.fixture()
def endpoint(monkeypatch):
    """One life of the endpoint: ``with endpoint(): ...`` gives a Step Functions client."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SFN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")

    class Life:
        def __enter__(self):
            self.mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
            self.mock.start()
            return boto3.client("stepfunctions", region_name=REGION)

        def __exit__(self, *exc):
            self.mock.stop()

    return Life


def _create(sfn, name="retail-order-saga", definition=DEFINITION) -> str:
    return sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE)["stateMachineArn"]


def _journal(path, **kwargs) -> ExecutionJournal:
    """The journal as the cloud starts it: read back, then attached before any deploy."""
    journal = ExecutionJournal(path, _backends, interval=3600, **kwargs)
    journal.load()
    return journal.attach()


def _run(sfn, machine: str, name: str) -> str:
    arn = sfn.start_execution(stateMachineArn=machine, name=name, input='{"fail": false}')["executionArn"]
    _wait_ended(sfn, arn)
    return arn


def _wait_ended(sfn, arn: str) -> dict:
    deadline = time.monotonic() + 10
    while (execution := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not end"
        time.sleep(0.02)
    return execution


def _read(sfn, machine: str) -> tuple[list, dict]:
    """What a client sees: the list, and each execution's description and history."""
    listed = sfn.list_executions(stateMachineArn=machine)["executions"]
    seen = {}
    for item in listed:
        arn = item["executionArn"]
        described = {k: v for k, v in sfn.describe_execution(executionArn=arn).items() if k != "ResponseMetadata"}
        seen[arn] = (described, sfn.get_execution_history(executionArn=arn)["events"])
    return [{k: v for k, v in item.items()} for item in listed], seen


def test_ended_executions_come_back_after_a_restart_as_they_were(endpoint, tmp_path):
    path = tmp_path / "executions.jsonl"
    with endpoint() as sfn:
        journal = _journal(path)
        machine = _create(sfn)
        ok = sfn.start_execution(stateMachineArn=machine, name="saga-ok", input='{"fail": false}')["executionArn"]
        failed = sfn.start_execution(stateMachineArn=machine, name="saga-failed", input='{"fail": true}')["executionArn"]
        assert _wait_ended(sfn, ok)["status"] == "SUCCEEDED"
        assert _wait_ended(sfn, failed)["status"] == "FAILED"
        before = _read(sfn, machine)
        assert journal.flush() == 2 and journal.flush() == 0   # each one written once
        journal.close(drain=0)

    with endpoint() as sfn:
        assert sfn.list_state_machines()["stateMachines"] == []   # a new life: moto starts empty
        journal = ExecutionJournal(path, _backends, interval=3600)
        assert journal.load() == 2
        journal.attach()
        assert _create(sfn) == machine   # the deploy creates it again: the same name, the same ARN
        after = _read(sfn, machine)
        assert after == before
        described = after[1][failed][0]
        assert (described["error"], described["cause"]) == ("OutOfStock", "only 3 left")
        assert json.loads(after[1][ok][0]["output"]) == {"fail": False, "result": {"ok": True}}
        assert [e["type"] for e in after[1][ok][1]][:2] == ["ExecutionStarted", "ChoiceStateEntered"]
        # a restored execution's name stays taken, as on AWS (an Idempotency-Key names its saga)
        with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
            sfn.start_execution(stateMachineArn=machine, name="saga-ok", input='{"fail": false}')
        # new executions join them and are kept too
        _run(sfn, machine, "saga-3")
        assert journal.flush() == 1
        journal.close(drain=0)
    assert len(path.read_text().splitlines()) == 3


def test_a_line_cut_short_by_a_kill_is_skipped(endpoint, tmp_path):
    path = tmp_path / "executions.jsonl"
    with endpoint() as sfn:
        journal = _journal(path)
        _run(sfn, _create(sfn), "kept")
        journal.flush()
        journal.close(drain=0)
    whole = path.read_text()
    path.write_text(whole + whole[: len(whole) // 2])   # killed while writing the next line
    journal = ExecutionJournal(path, _backends)
    assert journal.load() == 1
    assert path.read_text() == whole   # and the file is whole again


def test_only_the_newest_executions_of_each_machine_are_kept(endpoint, tmp_path):
    path = tmp_path / "executions.jsonl"
    with endpoint() as sfn:
        journal = _journal(path, keep=2)
        machine = _create(sfn)
        for i in range(9):
            _run(sfn, machine, f"e{i}")
        _run(sfn, _create(sfn, "other"), "x")
        journal.flush()   # 10 lines, more than twice 2 per machine: compacted
        journal.close(drain=0)
    names = [json.loads(line)["name"] for line in path.read_text().splitlines()]
    assert sorted(names) == ["e7", "e8", "x"]


def test_a_graceful_stop_keeps_a_still_running_execution_as_aborted(endpoint, tmp_path):
    path = tmp_path / "executions.jsonl"
    with endpoint() as sfn:
        journal = _journal(path)
        machine = _create(sfn, "slow", SLOW)
        arn = sfn.start_execution(stateMachineArn=machine, name="waiting", input='{"fail": false}')["executionArn"]
        journal.close(drain=0.2)
        assert sfn.describe_execution(executionArn=arn)["status"] == "ABORTED"
    [record] = [json.loads(line) for line in path.read_text().splitlines()]
    assert (record["name"], record["status"]) == ("waiting", "ABORTED")
    assert json.loads(record["history"])[-1]["type"] == "ExecutionAborted"
