"""Start, read and list order sagas. A saga *is* a Step Functions execution: its id is the
execution name, its state is the execution and its history; nothing else is stored.

- **Ids.** Without an ``Idempotency-Key`` a saga id is ``saga-<UTC time>-<random>``. With one,
  it is derived from the customer and the key (``saga-k<digest>``), and StartExecution's own
  name idempotency makes a repeat return the same saga: Step Functions refuses a second
  execution with that name (``ExecutionAlreadyExists``), we read the first one and compare
  the business request (same: the same saga; different: 409 ``idempotency_conflict``).
  Execution names stay reserved for 90 days on AWS, and so does a key.
- **Listing** is ``ListExecutions`` (newest first) plus ``DescribeExecution`` per execution
  for the customer and the outcome. COMPLETED and COMPENSATED are both a SUCCEEDED execution
  (the saga ended consistently; the output's ``outcome.status`` tells which), so those two
  filters read SUCCEEDED executions and keep the matching ones.
- **Fault injection** (``faults`` in the request) is a test hook: refused
  (``FaultInjectionDisabled``) where ``SAGA_FAULT_INJECTION`` is not ``enabled``.

Step Functions is called by ``sagas.dal.executions`` only.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from sagas.dal import executions as dal
from sagas.errors import FaultInjectionDisabled, SagaIdempotencyConflict
from sagas.logic.history import FAILED, RUNNING, UNDOES, SagaView, StepRun, execution_of, saga_status, saga_view
from sagas.logic.outcome import saga_metrics
from sagas.schemas import (
    OrderProcessingRequest,
    SagaCompensation,
    SagaFailure,
    SagaOut,
    SagaPage,
    SagaStarted,
    SagaStep,
    SagaSummary,
)
from sagas.settings import SagaSettings
from shared.pagination import decode_token, encode_token, scope_of
from shared.saga import faults_enabled

logger = Logger(child=True)
metrics = Metrics()

STARTED_MESSAGE = "Order processing saga started successfully"
REPLAYED_MESSAGE = "Order processing saga already started with this Idempotency-Key"
# the parts of an execution input that identify the request (the rest differs per call)
REQUEST_FIELDS = ("customer_id", "location_id", "lines", "shipping_address", "billing_address",
                  "payment_method", "card_token", "faults")
SFN_STATUS = {RUNNING: "RUNNING", "COMPLETED": "SUCCEEDED", "COMPENSATED": "SUCCEEDED", FAILED: "FAILED"}
MAX_DESCRIBES_PER_PAGE = 500  # a filtered page stops early (with a next_token) past this many reads
DESCRIBE_THREADS = 8


def _now() -> datetime:
    return datetime.now(UTC)


def new_saga_id(now: datetime) -> str:
    return f"saga-{now:%Y%m%dT%H%M%S}-{secrets.token_hex(6)}"


def keyed_saga_id(customer_id: int, idempotency_key: str) -> str:
    digest = hashlib.sha256(f"{customer_id}\n{idempotency_key}".encode()).hexdigest()[:32]
    return f"saga-k{digest}"


def execution_arn(state_machine_arn: str, saga_id: str) -> str:
    """arn:aws:states:<region>:<account>:stateMachine:<name> -> ...:execution:<name>:<saga id>."""
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + ":" + saga_id


def execution_input(
    saga_id: str, customer_id: int, request: OrderProcessingRequest, *, location_id: str, correlation_id: str | None, now: datetime
) -> dict[str, Any]:
    """The state machine's input: every field a Task's ``Parameters`` path names is present."""
    return {
        "saga_id": saga_id,
        "correlation_id": correlation_id or saga_id,
        "requested_at": now.isoformat(),
        "customer_id": customer_id,
        "location_id": location_id,
        "lines": [line.model_dump() for line in request.products],
        "shipping_address": request.shipping_address.model_dump(exclude_none=True) if request.shipping_address else None,
        "billing_address": request.billing_address.model_dump(exclude_none=True) if request.billing_address else None,
        "payment_method": request.payment_method,
        "card_token": request.card_token,
        "faults": [fault.model_dump() for fault in request.faults or []],
    }


def _same_request(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all(a.get(name) == b.get(name) for name in REQUEST_FIELDS)


def start_saga(
    customer_id: int, request: OrderProcessingRequest, *, idempotency_key: str | None, correlation_id: str | None
) -> tuple[SagaStarted, bool]:
    """Start the saga; ``(answer, replayed)``: replayed when the key named an earlier saga."""
    if request.faults and not faults_enabled():
        raise FaultInjectionDisabled()
    settings = SagaSettings.current()
    now = _now()
    saga_id = keyed_saga_id(customer_id, idempotency_key) if idempotency_key else new_saga_id(now)
    document = execution_input(
        saga_id, customer_id, request, location_id=settings.fulfilment_location, correlation_id=correlation_id, now=now
    )
    try:
        dal.start(settings.state_machine_arn, saga_id, json.dumps(document))
    except dal.ExecutionExists:
        if not idempotency_key:
            raise  # a random id collided: astronomically unlikely, and not the client's doing
        first = dal.describe(execution_arn(settings.state_machine_arn, saga_id))
        if not _same_request(json.loads(first.get("input") or "{}"), document):
            raise SagaIdempotencyConflict(idempotency_key, saga_id) from None
        logger.info("saga replayed for an Idempotency-Key", extra={"saga_id": saga_id})
        return SagaStarted(saga_id=saga_id, message=REPLAYED_MESSAGE), True
    metrics.add_metric(name="SagasStarted", unit=MetricUnit.Count, value=1)
    logger.info("saga started", extra={"saga_id": saga_id, "customer_id": customer_id, "lines": len(request.products)})
    return SagaStarted(saga_id=saga_id, message=STARTED_MESSAGE), False


def load_view(arn: str, *, now: datetime | None = None) -> SagaView:
    """The saga as the execution ``arn``'s history shows it (``SagaNotFound`` if unknown). The
    history alone has everything ``DescribeExecution`` would add (see ``execution_of``), so a
    read, e.g. a client polling a saga, costs one Step Functions call."""
    events = dal.history(arn)
    # a just-started execution may have no event yet: then DescribeExecution says what there is
    execution = execution_of(arn, events) if events else dal.describe(arn)
    return saga_view(execution, events, now or _now())


def _step(run: StepRun, now: datetime) -> dict[str, Any]:
    error = run.last_error if run.status != "SUCCESS" else None
    return {
        "step": run.name,
        "status": run.status,
        "duration": run.duration(now),
        "attempts": len(run.attempts),
        "started_at": run.started_at,
        "ended_at": run.ended_at,
        "error": error.error if error else None,
        "message": error.message if error else None,
    }


def saga_out(view: SagaView, now: datetime | None = None) -> SagaOut:
    now = now or _now()
    customer_id = view.input.get("customer_id")
    return SagaOut(
        saga_id=view.saga_id,
        status=view.status,  # type: ignore[arg-type]
        customer_id=customer_id if isinstance(customer_id, int) else None,
        created_at=view.created_at,
        updated_at=view.updated_at,
        duration=view.duration,
        steps=[SagaStep(**_step(run, now)) for run in view.steps],
        compensations=[SagaCompensation(**_step(run, now), compensates=UNDOES[run.name]) for run in view.compensations],
        failure=SagaFailure(**view.failure) if view.failure else None,
        compensation_failure=SagaFailure(**view.compensation_failure) if view.compensation_failure else None,
        order_id=view.order_id,
        payment_id=view.payment_id,
        total=view.total,
        products=[line for line in view.input.get("lines", []) if isinstance(line, dict)],
        execution_arn=view.execution_arn,
    )


def get_saga(saga_id: str) -> SagaOut:
    return saga_out(load_view(execution_arn(SagaSettings.current().state_machine_arn, saga_id)))


def _summary(execution: dict[str, Any], now: datetime) -> SagaSummary:
    saga_input = json.loads(execution.get("input") or "{}")
    customer_id = saga_input.get("customer_id") if isinstance(saga_input, dict) else None
    stopped = execution.get("stopDate")
    return SagaSummary(
        saga_id=execution["name"],
        status=saga_status(execution),  # type: ignore[arg-type]
        customer_id=customer_id if isinstance(customer_id, int) else None,
        created_at=execution["startDate"],
        updated_at=stopped or now,
        duration=round(((stopped or now) - execution["startDate"]).total_seconds(), 3),
    )


def list_sagas(*, limit: int, status: str | None, next_token: str | None) -> SagaPage:
    """Recent sagas, newest first, optionally of one status (see the module docstring)."""
    settings = SagaSettings.current()
    scope = scope_of("sagas", status=status)
    start = decode_token(next_token, scope, ["t"])
    sfn_token: str | None = start["t"]["S"] if start else None
    items: list[SagaSummary] = []
    described = 0
    with ThreadPoolExecutor(max_workers=DESCRIBE_THREADS) as pool:
        while len(items) < limit:
            arns, sfn_token = dal.list_page(
                settings.state_machine_arn,
                limit=limit - len(items),
                status=SFN_STATUS[status] if status else None,
                next_token=sfn_token,
            )
            now = _now()
            # each describe in the settings passed down to this thread (a context copy per task)
            context = contextvars.copy_context()
            for execution in pool.map(lambda arn: context.copy().run(dal.describe_if_any, arn), arns):
                if execution is None:
                    continue  # deleted meanwhile
                summary = _summary(execution, now)
                if status is None or summary.status == status:
                    items.append(summary)
            described += len(arns)
            if not sfn_token or described >= MAX_DESCRIBES_PER_PAGE:
                break
    token = encode_token({"t": {"S": sfn_token}}, scope) if sfn_token else None
    return SagaPage(items=items, next_token=token)


# ---------------------------------------------------------------- outcome (RECORD_OUTCOME)
def record_outcome(*, execution_arn: str, status: str, started_at: datetime) -> int:
    """Publish an ended saga's metrics (``sagas.logic.outcome``) as CloudWatch embedded metrics
    and log its summary ("saga ended"); returns how many metrics. Never changes the outcome."""
    view = load_view(execution_arn)
    duration = (_now() - started_at).total_seconds()
    published = saga_metrics(status, duration, view.steps, view.compensations)
    for metric in published:
        with single_metric(name=metric.name, unit=MetricUnit(metric.unit), value=metric.value) as single:
            for name, value in metric.dimensions:
                single.add_dimension(name=name, value=value)
    logger.info(
        "saga ended",
        extra={
            "saga_status": status,
            "duration_seconds": round(duration, 3),
            "steps": [(run.name, run.status) for run in view.steps],
            "compensations": [(run.name, run.status) for run in view.compensations],
            "failure": view.failure,
            "compensation_failure": view.compensation_failure,
            "order_id": view.order_id,
            "payment_id": view.payment_id,
        },
    )
    return len(published)
