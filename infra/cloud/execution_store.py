"""Step Functions executions kept on disk: the sagas' history survives a restart of the cloud.

moto keeps executions in memory only. :class:`ExecutionJournal` appends every execution that
has ended to a JSON-lines file (one line per execution: what ``DescribeExecution`` answers, and
its history), looking for new ones every :data:`FLUSH_INTERVAL` seconds and once more at
shutdown. When the next deploy creates a state machine again (its ARN is made from its stable
name), the journal hands it back its executions: a restored execution answers
``DescribeExecution``, ``ListExecutions`` and ``GetExecutionHistory`` as before, and its name
stays taken (``StartExecution`` with it: ``ExecutionAlreadyExists``, so an order saga's
``Idempotency-Key`` still names its saga).

Not kept: an execution still running when the cloud stops (moto cannot resume one mid-way).
A graceful stop waits up to :data:`DRAIN_SECONDS` for running executions, then stops the rest
(``ABORTED``, as ``StopExecution`` does) and keeps them as such; a kill -9 loses the running
ones and those that ended in the last :data:`FLUSH_INTERVAL` seconds.

The file holds each state machine's newest ``retention.MAX_FINISHED_EXECUTIONS`` executions
(what the endpoint keeps in memory): it is compacted at start and whenever it has grown to
twice that.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from infra.cloud.retention import MAX_FINISHED_EXECUTIONS

log = logging.getLogger("embedded-cloud.executions")

FLUSH_INTERVAL = 1.0
DRAIN_SECONDS = 5.0
RUNNING = "RUNNING"


def _status(execution: Any) -> str:
    # moto lists an execution a moment before it starts it (no status yet): as running
    return getattr(execution, "status", RUNNING)


def record_of(execution: Any) -> dict[str, Any]:
    """One ended execution of moto's interpreter as a JSON-able record. The history is kept as
    JSON text: reading the file back then does not build ~40 events' dicts per execution."""
    output = execution.output
    return {
        "stateMachineArn": execution.state_machine_arn,
        "executionArn": execution.execution_arn,
        "name": execution.name,
        "status": execution.status,
        "startDate": execution.start_date.isoformat(),
        "stopDate": execution.stop_date.isoformat() if execution.stop_date else None,
        "input": execution.execution_input,
        "output": output if output is None or isinstance(output, str) else json.dumps(output, default=str),
        "error": execution.error,
        "cause": execution.cause,
        "history": json.dumps(execution.to_history_output()["events"], default=str),
    }


class StoredExecution:
    """An ended execution read back from the journal, with the attributes moto's Step Functions
    responses read (those of ``moto.stepfunctions.parser.backend.execution.Execution``)."""

    exec_worker = None   # no interpreter behind it: GetExecutionHistory reads to_history_output()
    trace_header = None

    def __init__(self, record: dict[str, Any], state_machine: Any):
        self.record = record
        self.state_machine = state_machine
        self.state_machine_arn = state_machine.arn
        self.name = record["name"]
        self.exec_arn = self.execution_arn = record["executionArn"]
        self.status = record["status"]
        self.start_date = datetime.fromisoformat(record["startDate"])
        self.stop_date = datetime.fromisoformat(record["stopDate"]) if record["stopDate"] else None
        self.execution_input = record["input"]
        self.output = record["output"]
        self.output_details = {"included": True}
        self.error, self.cause = record["error"], record["cause"]

    def to_history_output(self) -> dict[str, Any]:
        return {"events": json.loads(self.record["history"])}

    def stop(self, *args: Any, **kwargs: Any) -> None:
        """StopExecution of an execution that has ended changes nothing."""


def _newest(records: list[dict[str, Any]], keep: int) -> list[dict[str, Any]]:
    """The newest ``keep`` records of each state machine, one per execution (the last line wins),
    in start order."""
    latest = {r["executionArn"]: r for r in records}
    by_machine: dict[str, list[dict[str, Any]]] = {}
    for record in sorted(latest.values(), key=lambda r: r["startDate"]):
        by_machine.setdefault(record["stateMachineArn"], []).append(record)
    return [r for machine in by_machine.values() for r in machine[-keep:]]


class ExecutionJournal:
    """``backends()`` lists the Step Functions backends (moto's interpreter's) to keep."""

    def __init__(self, path: Path, backends: Callable[[], list[Any]], interval: float = FLUSH_INTERVAL,
                 keep: int = MAX_FINISHED_EXECUTIONS):
        self.path, self._backends, self._interval, self._keep = Path(path), backends, interval, keep
        self._pending: dict[str, list[dict[str, Any]]] = {}   # state machine ARN -> records to hand back
        self._written: set[str] = set()                      # execution ARNs the file holds
        self._lines = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="execution-journal", daemon=True)

    # ------------------------------------------------------------------ start: read back
    def load(self) -> int:
        """Reads the file (a last line cut short by a kill is skipped); returns how many
        executions it holds."""
        records, lines = [], 0
        if self.path.exists():
            with self.path.open(encoding="utf-8") as file:
                for lines, line in enumerate(file, 1):
                    try:
                        records.append(json.loads(line))
                    except ValueError:
                        log.warning("skipping an unreadable line of %s", self.path)
        kept = _newest(records, self._keep)
        if len(kept) != lines:   # also rewritten without a cut line, which the next append would extend
            self._rewrite(kept)
        self._lines = len(kept)
        self._written = {r["executionArn"] for r in kept}
        for record in kept:
            self._pending.setdefault(record["stateMachineArn"], []).append(record)
        return len(kept)

    def attach(self) -> "ExecutionJournal":
        """Hands each state machine its executions back when it is created (CreateStateMachine on
        these backends), then keeps new ones every ``interval`` seconds."""
        for backend in self._backends():
            create = backend.create_state_machine

            def create_and_restore(*args: Any, _create: Callable = create, **kwargs: Any) -> Any:
                machine = _create(*args, **kwargs)
                self._restore(machine)
                return machine

            backend.create_state_machine = create_and_restore
        self._thread.start()
        return self

    def _restore(self, machine: Any) -> None:
        with self._lock:
            records = self._pending.pop(machine.arn, [])
        if records:
            machine.executions[:0] = [StoredExecution(r, machine) for r in records]
            log.info("%s: %d executions restored from %s", machine.name, len(records), self.path)

    # ------------------------------------------------------------------ running: append
    def _ended(self) -> list[Any]:
        return [e for backend in self._backends() for machine in list(backend.state_machines)
                for e in list(machine.executions)
                if _status(e) != RUNNING and e.execution_arn not in self._written]

    def flush(self) -> int:
        """Appends the executions that ended since the last flush; returns how many."""
        with self._lock:
            ended = self._ended()
            if not ended:
                return 0
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                for execution in ended:
                    out.write(json.dumps(record_of(execution), separators=(",", ":")) + "\n")
            self._written.update(e.execution_arn for e in ended)
            self._lines += len(ended)
            if self._lines > 2 * self._keep * max(1, len(self._machines())):
                self._compact()
            return len(ended)

    def _machines(self) -> list[Any]:
        return [machine for backend in self._backends() for machine in backend.state_machines]

    def _compact(self) -> None:
        with self.path.open(encoding="utf-8") as lines:
            kept = _newest([json.loads(line) for line in lines], self._keep)
        self._rewrite(kept)
        self._lines = len(kept)

    def _rewrite(self, records: list[dict[str, Any]]) -> None:
        partial = self.path.with_suffix(".tmp")
        with partial.open("w", encoding="utf-8") as out:
            out.writelines(json.dumps(r, separators=(",", ":")) + "\n" for r in records)
        os.replace(partial, self.path)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.flush()
            except Exception:   # never take the endpoint down; the next pass tries again
                log.exception("keeping executions failed")

    # ------------------------------------------------------------------ stop
    def close(self, drain: float = DRAIN_SECONDS) -> None:
        """Waits up to ``drain`` seconds for running executions, stops the rest (ABORTED) and
        writes what ended."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        deadline = time.monotonic() + drain
        while self._running() and time.monotonic() < deadline:
            time.sleep(0.1)
        running = self._running()
        for backend, execution in running:
            log.info("stopping %s, still running", execution.execution_arn)
            backend.stop_execution(execution.execution_arn)
        deadline = time.monotonic() + 2
        while running and self._running() and time.monotonic() < deadline:   # the stop takes effect at the next state
            time.sleep(0.05)
        self.flush()

    def _running(self) -> list[tuple[Any, Any]]:
        return [(backend, e) for backend in self._backends() for machine in list(backend.state_machines)
                for e in list(machine.executions) if _status(e) == RUNNING]
