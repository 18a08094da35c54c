"""RECORD_OUTCOME: the order saga's last Task publishes the saga's metrics.

Event (shaped by the state machine): ``{saga_id, correlation_id, status, execution_arn,
started_at}`` with ``status`` COMPLETED, COMPENSATED or FAILED. This module parses it;
``sagas.logic.sagas.record_outcome`` reads the execution's history and emits the metrics listed
in ``sagas.logic.outcome`` as CloudWatch embedded metrics. It never changes the outcome: the
state machine ignores its failure.
"""

from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from sagas.logic import sagas
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
    published = sagas.record_outcome(
        execution_arn=request.execution_arn, status=request.status, started_at=request.started_at
    )
    return {"saga_id": request.saga_id, "status": request.status, "metrics": published}
