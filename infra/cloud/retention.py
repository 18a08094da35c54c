"""What the endpoint keeps is bounded, as the services' own retention bounds it on AWS.

moto keeps every log event and every Step Functions execution in memory for as long as the
process lives; under a steady load the endpoint grew by a few kilobytes per request (issue 9's
soak). AWS does not keep them forever either:

- CloudWatch Logs drops events older than the log group's retention (``RetentionInDays``,
  which the template sets on every group); here, as a local memory bound, each log stream
  also keeps only its newest :data:`MAX_EVENTS_PER_STREAM` events, and streams left empty
  that nobody writes to any more (a retired worker's) are deleted after a day, as Lambda's are
  once their events expire.
- Step Functions keeps a finished execution for 90 days; here each state machine keeps its
  newest :data:`MAX_FINISHED_EXECUTIONS` finished executions (running ones are never dropped).
- moto's own list of every model instance it created is emptied on each pass
  (:func:`forget_tracked_instances`), or nothing above would ever be freed.
- CloudWatch metric data: bounded by the metrics hub (``metrics.MAX_DATUMS`` of the last
  ``metrics.MAX_DATUM_AGE`` seconds).

:class:`Janitor` applies these rules every :data:`INTERVAL` seconds on a background thread,
holding each backend's own structures only for the time of a list slice.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

log = logging.getLogger("embedded-cloud.retention")

INTERVAL = 30.0
# ~500 bytes per event in moto: 5,000 per stream is ~2.5 MB, reached by a busy worker's stream in
# minutes (each invocation writes START, END, REPORT and its own lines); 20,000 kept the endpoint
# growing for the first 30 minutes of a soak (docs/performance.md)
MAX_EVENTS_PER_STREAM = 5_000
MAX_FINISHED_EXECUTIONS = 5_000
IDLE_STREAM_SECONDS = 24 * 3600
DAY_MS = 24 * 3600 * 1000


def trim_log_group(group: Any, now_ms: int, max_events: int = MAX_EVENTS_PER_STREAM) -> int:
    """Applies the group's retention and the per-stream bound; returns the events dropped."""
    dropped = 0
    retention_days = getattr(group, "retention_in_days", None)
    oldest_kept = now_ms - int(retention_days) * DAY_MS if retention_days else None
    for name, stream in list(group.streams.items()):
        events = stream.events
        keep_from = max(0, len(events) - max_events)
        if oldest_kept is not None:
            while keep_from < len(events) and events[keep_from].timestamp < oldest_kept:
                keep_from += 1
        if keep_from:
            del events[:keep_from]
            dropped += keep_from
        last_ingestion = getattr(stream, "last_ingestion_time", None)
        if not events and last_ingestion is not None:
            idle = time.time() - last_ingestion.timestamp() if hasattr(last_ingestion, "timestamp") else 0
            if idle > IDLE_STREAM_SECONDS:
                group.streams.pop(name, None)
    return dropped


def trim_executions(state_machine: Any, max_finished: int = MAX_FINISHED_EXECUTIONS) -> int:
    """Drops the oldest finished executions beyond ``max_finished``; returns how many."""
    executions = state_machine.executions
    finished = [e for e in executions if getattr(e, "status", "RUNNING") != "RUNNING"]
    excess = len(finished) - max_finished
    if excess <= 0:
        return 0
    drop = {id(e) for e in finished[:excess]}   # executions are appended in start order
    state_machine.executions = [e for e in executions if id(e) not in drop]
    return excess


def forget_tracked_instances() -> None:
    """moto's ``BaseModel`` keeps a reference to every instance it ever created (for the moto
    dashboard and for its reset between mocked tests), so every metric data point, log event and
    history event stays in memory even after the backend dropped it: the endpoint grew ~5 MiB a
    minute under the soak whatever the bounds above (tracemalloc, docs/performance.md). The
    backends hold what is current; this drops moto's extra references, exactly as its own
    ``reset_model_data`` does. (The moto dashboard then lists what was created since.)"""
    from moto.core.model_instances import reset_model_data

    reset_model_data()


class Janitor:
    def __init__(self, logs_backends: Callable[[], list[Any]], sfn_backends: Callable[[], list[Any]],
                 interval: float = INTERVAL):
        self._logs, self._sfn, self._interval = logs_backends, sfn_backends, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="retention", daemon=True)

    def start(self) -> "Janitor":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def run_once(self) -> tuple[int, int]:
        now_ms = int(time.time() * 1000)
        events = executions = 0
        for backend in self._logs():
            for group in list(backend.groups.values()):
                events += trim_log_group(group, now_ms)
        for backend in self._sfn():
            for machine in list(backend.state_machines):
                executions += trim_executions(machine)
        forget_tracked_instances()
        return events, executions

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                events, executions = self.run_once()
                if events or executions:
                    log.info("retention: dropped %d log events and %d executions", events, executions)
            except Exception:   # never take the endpoint down
                log.exception("retention pass failed")
