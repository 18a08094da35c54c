"""The saga's metrics, computed from its execution history when it ends (pure).

The state machine's last Task (``RECORD_OUTCOME``) hands the outcome to
``sagas.handlers.outcome``, which reads the history and publishes what :func:`saga_metrics`
returns as CloudWatch embedded metrics (namespace ``POWERTOOLS_METRICS_NAMESPACE``, service
``sagas``). The names follow the reference system's Prometheus metrics:

| metric (EMF)          | unit    | dimensions               | reference name |
| --------------------- | ------- | ------------------------ | -------------- |
| ``Sagas``             | Count   | status                   | saga_orchestrator_sagas_total{status} |
| ``SagaDuration``      | Seconds | status                   | saga_orchestrator_saga_duration_seconds |
| ``SagaSteps``         | Count   | step, status             | saga_orchestrator_saga_steps_total{step,status} |
| ``SagaCompensations`` | Count   | compensation_type        | saga_orchestrator_compensations_total{compensation_type} |
| ``SagaServiceCalls``  | Count   | participant, status      | saga_orchestrator_service_calls_total{service,status} |

The participant service is the ``participant`` dimension (``service`` is powertools' own, ``sagas``
here); Prometheus shows it as the reference's ``service`` label. Label values are lower case (``completed``, ``success`` ...) except step and compensation
names (``RESERVE_STOCK``), as in the reference. A forward step counts once per run (``success`` or
``failure`` as it ended), a compensation once per run; a service call counts once per attempt, so retries show there.
"""

from __future__ import annotations

from dataclasses import dataclass

from sagas.logic.history import SUCCESS, StepRun


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str  # a powertools MetricUnit value
    value: float
    dimensions: tuple[tuple[str, str], ...]


def _label(outcome: str | None) -> str:
    return "success" if outcome == SUCCESS else "failure"


def saga_metrics(status: str, duration: float, steps: list[StepRun], compensations: list[StepRun]) -> list[Metric]:
    status_label = status.lower()
    metrics = [
        Metric("Sagas", "Count", 1, (("status", status_label),)),
        Metric("SagaDuration", "Seconds", round(duration, 3), (("status", status_label),)),
    ]
    for run in steps:
        metrics.append(Metric("SagaSteps", "Count", 1, (("step", run.name), ("status", _label(run.status)))))
    for run in compensations:
        metrics.append(Metric("SagaCompensations", "Count", 1, (("compensation_type", run.name),)))
    calls: dict[tuple[str, str], int] = {}
    for run in [*steps, *compensations]:
        for attempt in run.attempts:
            if attempt.outcome is None:
                continue
            key = (run.service, "success" if attempt.outcome == SUCCESS else "failure")
            calls[key] = calls.get(key, 0) + 1
    for (service, outcome), count in sorted(calls.items()):
        metrics.append(Metric("SagaServiceCalls", "Count", count, (("participant", service), ("status", outcome))))
    return metrics

