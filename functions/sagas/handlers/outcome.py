"""RECORD_OUTCOME: the order saga's last Task publishes the saga's metrics.

Event (shaped by the state machine): ``{saga_id, correlation_id, status, execution_arn,
started_at}`` with ``status`` COMPLETED, COMPENSATED or FAILED. The handler reads its own
execution's history (``sagas.logic.history``) and emits the metrics listed in
``sagas.logic.outcome`` as CloudWatch embedded metrics. It never changes the outcome: the
state machine ignores its failure.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from sagas.logic import sagas
from sagas.logic.outcome import saga_metrics
from shared.settings import handler_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class OutcomeEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    saga_id: str = Field(min_length=1)
    correlation_id: str | None = None
    status: str = Field(pattern="^(COMPLETED|COMPENSATED|FAILED)$")
    execution_arn: str = Field(min_length=1)
    started_at: datetime


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
@handler_settings()  # the AWS settings only (it reads the execution ARN it is given), passed down
def record_outcome_handler(event: dict, context: LambdaContext) -> dict:
    request = OutcomeEvent.model_validate(event)
    if request.correlation_id:
        logger.set_correlation_id(request.correlation_id)
    logger.append_keys(saga_id=request.saga_id)
    view = sagas.load_view(request.execution_arn)
    duration = (datetime.now(UTC) - request.started_at).total_seconds()
    published = saga_metrics(request.status, duration, view.steps, view.compensations)
    for metric in published:
        with single_metric(name=metric.name, unit=MetricUnit(metric.unit), value=metric.value) as single:
            for name, value in metric.dimensions:
                single.add_dimension(name=name, value=value)
    logger.info(
        "saga ended",
        extra={
            "saga_status": request.status,
            "duration_seconds": round(duration, 3),
            "steps": [(run.name, run.status) for run in view.steps],
            "compensations": [(run.name, run.status) for run in view.compensations],
            "failure": view.failure,
            "compensation_failure": view.compensation_failure,
            "order_id": view.order_id,
            "payment_id": view.payment_id,
        },
    )
    return {"saga_id": request.saga_id, "status": request.status, "metrics": len(published)}
