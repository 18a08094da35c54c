"""The saga view and metrics built from a Step Functions execution history (shapes as boto3
returns them, see GetExecutionHistory in the Step Functions API reference)."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from sagas.logic.history import COMPENSATED, COMPLETED, FAILED, RUNNING, execution_of, saga_status, saga_view, step_runs
from sagas.logic.outcome import saga_metrics
from sagas.logic.sagas import execution_arn, keyed_saga_id, new_saga_id

T0 = datetime(2026, 11, 24, 10, 0, 0, tzinfo=UTC)
ARN = "arn:aws:states:us-east-1:123456789012:execution:retail-order-saga:saga-1"


class History:
    """Builds events the way Step Functions records a lambda:invoke Task."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        self.clock = T0

    def _add(self, kind: str, **details) -> None:
        self.clock += timedelta(milliseconds=100)
        self.events.append({"id": len(self.events) + 1, "type": kind, "timestamp": self.clock, **details})

    def started(self, saga_input: dict) -> History:
        self._add("ExecutionStarted", executionStartedEventDetails={"input": json.dumps(saga_input)})
        return self

    def enter(self, name: str, kind: str = "Task") -> History:
        self._add(f"{kind}StateEntered", stateEnteredEventDetails={"name": name, "input": "{}"})
        return self

    def exit(self, name: str, kind: str = "Task") -> History:
        self._add(f"{kind}StateExited", stateExitedEventDetails={"name": name, "output": "{}"})
        return self

    def ok(self, payload: dict | None = None) -> History:
        self._add("TaskScheduled", taskScheduledEventDetails={"resourceType": "lambda", "resource": "invoke"})
        self._add("TaskStarted", taskStartedEventDetails={"resourceType": "lambda", "resource": "invoke"})
        self._add("TaskSucceeded", taskSucceededEventDetails={
            "resourceType": "lambda", "resource": "invoke",
            "output": json.dumps({"StatusCode": 200, "Payload": payload or {}})})
        return self

    def fail(self, error: str, message: str) -> History:
        self._add("TaskScheduled", taskScheduledEventDetails={"resourceType": "lambda", "resource": "invoke"})
        self._add("TaskStarted", taskStartedEventDetails={"resourceType": "lambda", "resource": "invoke"})
        cause = json.dumps({"errorMessage": message, "errorType": error, "stackTrace": []})
        self._add("TaskFailed", taskFailedEventDetails={"resourceType": "lambda", "resource": "invoke",
                                                        "error": error, "cause": cause})
        return self

    def step(self, name: str, payload: dict | None = None) -> History:
        return self.enter(name).ok(payload).exit(name)


def execution(status: str, *, outcome: str | None = None, stopped: bool = True, **extra) -> dict:
    doc = {"executionArn": ARN, "name": "saga-1", "status": status, "startDate": T0,
           "input": json.dumps({"customer_id": 1, "lines": [{"product_id": 1, "quantity": 2}]})}
    if stopped:
        doc["stopDate"] = T0 + timedelta(seconds=3)
    if outcome:
        doc["output"] = json.dumps({"outcome": {"status": outcome}})
    return {**doc, **extra}


def completed_history() -> History:
    h = History().started({})
    h.step("CHECK_STOCK").step("RESERVE_STOCK", {"reservation_id": "saga-1", "status": "reserved"})
    h.step("CREATE_ORDER", {"order_id": 456, "total": "45.98"}).step("PROCESS_PAYMENT", {"payment_id": 789})
    h.step("CONFIRM_ORDER").step("COMMIT_STOCK")
    h.enter("SAGA_COMPLETED", "Pass").exit("SAGA_COMPLETED", "Pass").enter("RECORD_OUTCOME")
    return h


def test_completed_saga_lists_every_step_and_no_compensation():
    view = saga_view(execution("SUCCEEDED", outcome="COMPLETED"), completed_history().events, T0)
    assert view.status == COMPLETED
    assert [run.name for run in view.steps] == ["CHECK_STOCK", "RESERVE_STOCK", "CREATE_ORDER", "PROCESS_PAYMENT",
                                                "CONFIRM_ORDER", "COMMIT_STOCK"]
    assert all(run.status == "SUCCESS" and len(run.attempts) == 1 for run in view.steps)
    assert view.compensations == [] and view.failure is None
    assert (view.order_id, view.payment_id, view.total) == (456, 789, "45.98")
    assert view.duration == 3.0 and view.input["customer_id"] == 1
    assert view.steps[0].duration(T0) == pytest.approx(0.4)  # entered .. exited, 4 events apart


def test_unknown_customer_fails_at_create_order_and_releases_stock():
    h = History().started({}).step("CHECK_STOCK").step("RESERVE_STOCK")
    h.enter("CREATE_ORDER").fail("CustomerNotFound", "customer 99999 does not exist").exit("CREATE_ORDER")
    h.step("RELEASE_STOCK", {"status": "released"})
    view = saga_view(execution("SUCCEEDED", outcome="COMPENSATED"), h.events, T0)
    assert view.status == COMPENSATED
    assert [(r.name, r.status) for r in view.steps][-1] == ("CREATE_ORDER", "FAILURE")
    assert [(r.name, r.status) for r in view.compensations] == [("RELEASE_STOCK", "SUCCESS")]
    assert view.failure == {"step": "CREATE_ORDER", "error": "CustomerNotFound",
                            "message": "customer 99999 does not exist"}
    assert view.compensation_failure is None and view.order_id is None


def test_retried_attempts_are_counted_and_a_retry_that_succeeds_is_success():
    h = History().started({}).enter("CHECK_STOCK").fail("InjectedTransientFailure", "try again").ok({}).exit("CHECK_STOCK")
    (run,) = step_runs(h.events)
    assert run.status == "SUCCESS" and len(run.attempts) == 2
    assert run.last_error.error == "InjectedTransientFailure"


def test_a_failed_compensation_is_a_failed_saga_with_both_reasons():
    h = History().started({}).step("CHECK_STOCK").step("RESERVE_STOCK").step("CREATE_ORDER")
    h.enter("PROCESS_PAYMENT").fail("PaymentDeclined", "declined").exit("PROCESS_PAYMENT")
    h.enter("CANCEL_ORDER").fail("InjectedFailure", "CANCEL_ORDER: injected").exit("CANCEL_ORDER")
    ex = execution("FAILED", error="SagaCompensationFailed", cause="A compensation still failed")
    view = saga_view(ex, h.events, T0)
    assert view.status == FAILED
    assert view.failure["step"] == "PROCESS_PAYMENT"
    assert view.compensation_failure == {"step": "CANCEL_ORDER", "error": "InjectedFailure",
                                         "message": "CANCEL_ORDER: injected"}


def test_running_saga_has_a_running_step_and_live_duration():
    h = History().started({}).step("CHECK_STOCK").enter("RESERVE_STOCK")
    h._add("TaskScheduled", taskScheduledEventDetails={})
    view = saga_view(execution("RUNNING", stopped=False), h.events, T0 + timedelta(seconds=5))
    assert view.status == RUNNING and view.duration == 5.0
    assert [(r.name, r.status) for r in view.steps] == [("CHECK_STOCK", "SUCCESS"), ("RESERVE_STOCK", RUNNING)]


@pytest.mark.parametrize("status, output, expected", [
    ("RUNNING", None, RUNNING),
    ("SUCCEEDED", {"outcome": {"status": "COMPENSATED"}}, COMPENSATED),
    ("SUCCEEDED", {"outcome": {"status": "COMPLETED"}}, COMPLETED),
    ("SUCCEEDED", None, COMPLETED),
    ("FAILED", None, FAILED),
    ("TIMED_OUT", None, FAILED),
    ("ABORTED", None, FAILED),
])
def test_saga_status_from_the_execution(status, output, expected):
    ex = {"status": status, **({"output": json.dumps(output)} if output else {})}
    assert saga_status(ex) == expected


def test_stopped_execution_is_failed_with_the_execution_reason():
    h = History().started({}).step("CHECK_STOCK").enter("RESERVE_STOCK")
    view = saga_view(execution("ABORTED", error="States.Aborted", cause="stopped by an operator"), h.events, T0)
    assert view.status == FAILED
    assert view.compensation_failure == {"step": None, "error": "States.Aborted", "message": "stopped by an operator"}


def test_execution_read_from_the_history_alone():
    h = completed_history().exit("RECORD_OUTCOME")
    running = execution_of(ARN, h.events)
    assert running == {"executionArn": ARN, "name": "saga-1", "status": "RUNNING", "startDate": h.events[0]["timestamp"],
                       "input": "{}"}
    h._add("ExecutionSucceeded", executionSucceededEventDetails={"output": json.dumps({"outcome": {"status": "COMPLETED"}})})
    done = execution_of(ARN, h.events)
    assert done["status"] == "SUCCEEDED" and done["stopDate"] == h.events[-1]["timestamp"]
    assert saga_status(done) == COMPLETED
    view = saga_view(done, h.events, T0)
    assert view.saga_id == "saga-1" and view.updated_at == h.events[-1]["timestamp"]
    assert [run.name for run in view.steps][-1] == "COMMIT_STOCK" and view.order_id == 456


@pytest.mark.parametrize("kind, details_key, status", [
    ("ExecutionFailed", "executionFailedEventDetails", "FAILED"),
    ("ExecutionTimedOut", "executionTimedOutEventDetails", "TIMED_OUT"),
    ("ExecutionAborted", "executionAbortedEventDetails", "ABORTED"),
])
def test_an_execution_that_did_not_succeed_keeps_its_error_and_cause(kind, details_key, status):
    h = History().started({}).step("CHECK_STOCK")
    h._add(kind, **{details_key: {"error": "States.Timeout", "cause": "too slow"}})
    execution = execution_of(ARN, h.events)
    assert (execution["status"], execution["error"], execution["cause"]) == (status, "States.Timeout", "too slow")
    view = saga_view(execution, h.events, T0)
    assert view.status == FAILED
    assert view.compensation_failure == {"step": None, "error": "States.Timeout", "message": "too slow"}


def test_metrics_follow_the_reference_names_and_count_every_attempt():
    h = History().started({}).step("CHECK_STOCK").step("RESERVE_STOCK")
    h.enter("CREATE_ORDER").fail("Transient", "x").fail("CustomerNotFound", "nope").exit("CREATE_ORDER")
    h.step("RELEASE_STOCK")
    runs = step_runs(h.events)
    steps = [r for r in runs if r.name != "RELEASE_STOCK"]
    comps = [r for r in runs if r.name == "RELEASE_STOCK"]
    metrics = saga_metrics("COMPENSATED", 1.5, steps, comps)
    by_name: dict[str, list] = {}
    for metric in metrics:
        by_name.setdefault(metric.name, []).append((dict(metric.dimensions), metric.value))
    assert by_name["Sagas"] == [({"status": "compensated"}, 1)]
    assert by_name["SagaDuration"] == [({"status": "compensated"}, 1.5)]
    assert ({"step": "CREATE_ORDER", "status": "failure"}, 1) in by_name["SagaSteps"]
    assert ({"step": "CHECK_STOCK", "status": "success"}, 1) in by_name["SagaSteps"]
    assert by_name["SagaCompensations"] == [({"compensation_type": "RELEASE_STOCK"}, 1)]
    assert sorted(by_name["SagaServiceCalls"], key=str) == sorted([
        ({"participant": "inventory", "status": "success"}, 3),  # check, reserve, release
        ({"participant": "ecommerce", "status": "failure"}, 2),  # two attempts of CREATE_ORDER
    ], key=str)


def test_saga_ids_fit_execution_names():
    assert execution_arn("arn:aws:states:us-east-1:1:stateMachine:sm", "saga-x") == "arn:aws:states:us-east-1:1:execution:sm:saga-x"
    assert keyed_saga_id(1, "k") == keyed_saga_id(1, "k") != keyed_saga_id(2, "k")
    for saga_id in (new_saga_id(T0), keyed_saga_id(1, "x" * 256)):
        assert len(saga_id) <= 80 and saga_id.replace("-", "").isalnum()
