"""A saga's state, read from its Step Functions execution and execution history (pure).

The state machine (``statemachines/order_saga.asl.json``) names each Task state after the
saga step it runs, so the history is the saga's log: ``TaskStateEntered`` opens a step,
``TaskScheduled`` is one attempt (a retry schedules again), ``TaskSucceeded`` /
``TaskFailed`` / ``TaskTimedOut`` end an attempt, ``TaskStateExited`` closes the step (after
a ``Catch``, too). Nothing here calls AWS: :func:`saga_view` takes the execution (as
``DescribeExecution`` answers it, or as :func:`execution_of` reads it from the history) and the
history events as boto3 returns them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

STEPS = ("CHECK_STOCK", "RESERVE_STOCK", "CREATE_ORDER", "PROCESS_PAYMENT", "CONFIRM_ORDER", "COMMIT_STOCK")
COMPENSATIONS = ("REFUND_PAYMENT", "CANCEL_ORDER", "RELEASE_STOCK")
# which participant service owns each state (the metrics' ``service`` label)
SERVICES = {
    "CHECK_STOCK": "inventory",
    "RESERVE_STOCK": "inventory",
    "COMMIT_STOCK": "inventory",
    "RELEASE_STOCK": "inventory",
    "CREATE_ORDER": "ecommerce",
    "PROCESS_PAYMENT": "ecommerce",
    "CONFIRM_ORDER": "ecommerce",
    "CANCEL_ORDER": "ecommerce",
    "REFUND_PAYMENT": "ecommerce",
}
# the step a compensation undoes
UNDOES = {"REFUND_PAYMENT": "PROCESS_PAYMENT", "CANCEL_ORDER": "CREATE_ORDER", "RELEASE_STOCK": "RESERVE_STOCK"}

RUNNING, COMPLETED, COMPENSATED, FAILED = "RUNNING", "COMPLETED", "COMPENSATED", "FAILED"
SAGA_STATUSES = (RUNNING, COMPLETED, COMPENSATED, FAILED)
SUCCESS, FAILURE = "SUCCESS", "FAILURE"

_ATTEMPT_FAILED = {
    "TaskFailed": "taskFailedEventDetails",
    "TaskTimedOut": "taskTimedOutEventDetails",
    "TaskStartFailed": "taskStartFailedEventDetails",
    "TaskSubmitFailed": "taskSubmitFailedEventDetails",
    "LambdaFunctionFailed": "lambdaFunctionFailedEventDetails",
    "LambdaFunctionTimedOut": "lambdaFunctionTimedOutEventDetails",
}
_ATTEMPT_SCHEDULED = ("TaskScheduled", "LambdaFunctionScheduled")
_ATTEMPT_SUCCEEDED = {"TaskSucceeded": "taskSucceededEventDetails", "LambdaFunctionSucceeded": "lambdaFunctionSucceededEventDetails"}
MAX_MESSAGE = 500


@dataclass
class Attempt:
    outcome: str | None = None  # SUCCESS / FAILURE / None while running
    error: str | None = None
    message: str | None = None


@dataclass
class StepRun:
    """One saga step or compensation as the history shows it."""

    name: str
    started_at: datetime
    ended_at: datetime | None = None
    attempts: list[Attempt] = field(default_factory=list)
    output: dict[str, Any] | None = None  # the participant's answer (Lambda payload) on success

    @property
    def service(self) -> str:
        return SERVICES[self.name]

    @property
    def status(self) -> str:
        if self.ended_at is None:
            return RUNNING
        return SUCCESS if self.attempts and self.attempts[-1].outcome == SUCCESS else FAILURE

    @property
    def last_error(self) -> Attempt | None:
        return next((a for a in reversed(self.attempts) if a.outcome == FAILURE), None)

    def duration(self, now: datetime) -> float:
        return round(((self.ended_at or now) - self.started_at).total_seconds(), 3)


@dataclass
class SagaView:
    saga_id: str
    execution_arn: str
    status: str
    created_at: datetime
    updated_at: datetime
    duration: float
    input: dict[str, Any]
    steps: list[StepRun]
    compensations: list[StepRun]
    failure: dict[str, Any] | None
    compensation_failure: dict[str, Any] | None

    @property
    def order_id(self) -> int | None:
        return self._output_value("CREATE_ORDER", "order_id")

    @property
    def total(self) -> str | None:
        return self._output_value("CREATE_ORDER", "total")

    @property
    def payment_id(self) -> int | None:
        return self._output_value("PROCESS_PAYMENT", "payment_id")

    def _output_value(self, step: str, key: str) -> Any:
        for run in self.steps:
            if run.name == step and run.output:
                return run.output.get(key)
        return None


def _json(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def error_message(cause: str | None) -> str | None:
    """The human part of a failure's ``cause``: a Lambda error's ``errorMessage``, else the text."""
    parsed = _json(cause)
    if isinstance(parsed, dict) and isinstance(parsed.get("errorMessage"), str):
        message = parsed["errorMessage"]
    else:
        message = cause
    return message[:MAX_MESSAGE] if message else None


def _payload(output: str | None) -> dict[str, Any] | None:
    parsed = _json(output)
    if isinstance(parsed, dict) and isinstance(parsed.get("Payload"), dict):
        return parsed["Payload"]  # arn:aws:states:::lambda:invoke wraps the answer
    return parsed if isinstance(parsed, dict) else None


def step_runs(events: list[dict[str, Any]]) -> list[StepRun]:
    """Every saga step and compensation run, in the order they started."""
    runs: list[StepRun] = []
    current: StepRun | None = None
    for event in events:
        kind = event["type"]
        if kind.endswith("StateEntered"):
            name = event.get("stateEnteredEventDetails", {}).get("name")
            current = StepRun(name, event["timestamp"]) if name in SERVICES else None
            if current is not None:
                runs.append(current)
        elif current is None:
            continue
        elif kind in _ATTEMPT_SCHEDULED:
            current.attempts.append(Attempt())
        elif kind in _ATTEMPT_SUCCEEDED:
            if current.attempts:
                current.attempts[-1].outcome = SUCCESS
            current.output = _payload(event.get(_ATTEMPT_SUCCEEDED[kind], {}).get("output"))
        elif kind in _ATTEMPT_FAILED:
            details = event.get(_ATTEMPT_FAILED[kind], {})
            if not current.attempts or current.attempts[-1].outcome is not None:
                current.attempts.append(Attempt())  # failed before it was scheduled
            attempt = current.attempts[-1]
            attempt.outcome, attempt.error = FAILURE, details.get("error") or kind
            attempt.message = error_message(details.get("cause"))
        elif kind.endswith("StateExited"):
            current.ended_at = event["timestamp"]
            current = None
    return runs


def _failure_of(run: StepRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    error = run.last_error
    return {"step": run.name, "error": error.error if error else None, "message": error.message if error else None}


def saga_status(execution: dict[str, Any]) -> str:
    """RUNNING; COMPLETED or COMPENSATED (the execution succeeded: its output says which);
    FAILED (a compensation failed, or the execution failed, timed out or was stopped)."""
    status = execution.get("status")
    if status == "RUNNING":
        return RUNNING
    if status == "SUCCEEDED":
        output = _json(execution.get("output"))
        outcome = output.get("outcome", {}).get("status") if isinstance(output, dict) else None
        return outcome if outcome in (COMPLETED, COMPENSATED) else COMPLETED
    return FAILED


# the events that end an execution, and where their details are (Step Functions API reference,
# HistoryEvent): the execution's status, and its output or its error and cause
_EXECUTION_ENDS = {
    "ExecutionSucceeded": ("SUCCEEDED", "executionSucceededEventDetails"),
    "ExecutionFailed": ("FAILED", "executionFailedEventDetails"),
    "ExecutionTimedOut": ("TIMED_OUT", "executionTimedOutEventDetails"),
    "ExecutionAborted": ("ABORTED", "executionAbortedEventDetails"),
}


def execution_of(execution_arn: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    """What ``DescribeExecution`` answers, read from the execution's history alone: the first
    event (``ExecutionStarted``) has the input and the start, the last one says whether and how
    it ended. One API call instead of two, and both read from the same moment."""
    first = events[0] if events else {}
    execution: dict[str, Any] = {
        "executionArn": execution_arn,
        "name": execution_arn.rsplit(":", 1)[-1],
        "status": "RUNNING",
        "startDate": first.get("timestamp"),
        "input": first.get("executionStartedEventDetails", {}).get("input"),
    }
    last = events[-1] if events else {}
    if last.get("type") in _EXECUTION_ENDS:
        status, details_key = _EXECUTION_ENDS[last["type"]]
        details = last.get(details_key, {})
        execution.update(status=status, stopDate=last["timestamp"])
        for key in ("output", "error", "cause"):
            if details.get(key) is not None:
                execution[key] = details[key]
    return execution


def saga_view(execution: dict[str, Any], events: list[dict[str, Any]], now: datetime) -> SagaView:
    runs = step_runs(events)
    steps = [run for run in runs if run.name in STEPS]
    compensations = [run for run in runs if run.name in COMPENSATIONS]
    status = saga_status(execution)
    started = execution["startDate"]
    stopped = execution.get("stopDate")
    last_event = events[-1]["timestamp"] if events else started
    failure = _failure_of(next((run for run in steps if run.status == FAILURE), None))
    compensation_failure = _failure_of(next((run for run in compensations if run.status == FAILURE), None))
    if status == FAILED and compensation_failure is None:
        # timed out, stopped by an operator, or a runtime error: the execution's own error says why
        compensation_failure = {
            "step": None,
            "error": execution.get("error") or execution.get("status"),
            "message": error_message(execution.get("cause")),
        }
    saga_input = _json(execution.get("input"))
    return SagaView(
        saga_id=execution["name"],
        execution_arn=execution["executionArn"],
        status=status,
        created_at=started,
        updated_at=stopped or last_event,
        duration=round(((stopped or now) - started).total_seconds(), 3),
        input=saga_input if isinstance(saga_input, dict) else {},
        steps=steps,
        compensations=compensations,
        failure=failure,
        compensation_failure=compensation_failure,
    )
