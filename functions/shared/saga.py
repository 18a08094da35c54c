"""What every order-saga participant function shares.

The state machine (``statemachines/order_saga.asl.json``) gives each participant an event
with the step's own fields plus this envelope:

| field            | meaning |
| ---------------- | ------- |
| ``saga_id``      | the saga (= the Step Functions execution name); participants key their idempotency on it |
| ``correlation_id`` | the API request id that started the saga; set as the Logger's correlation id |
| ``attempt``      | ``$$.State.RetryCount``: 0 on the first try, 1 on the first retry ... |
| ``faults``       | test hook, see below; absent in normal runs |

**Fault injection (test hook).** ``faults`` is a list of
``{"step": "CONFIRM_ORDER", "mode": "permanent" | "transient", "times": 1, "when": "before" | "after"}``.
A participant whose step is named fails with :class:`InjectedFailure` (permanent: the state
machine does not retry it) or, while ``attempt < times``, :class:`InjectedTransientFailure`
(retried like any transient error). ``when="after"`` fails *after* the step did its work (an
answer lost on the way back), which exercises the compensations' idempotency. It only works
where ``SAGA_FAULT_INJECTION=enabled``, which ``template.yaml`` sets from the
``EnableTestHooks`` parameter (the local stack); in a deployed stage the variable is
``disabled``, the saga API refuses a ``faults`` field, and participants ignore it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer
from pydantic import BaseModel, ValidationError

from shared.aws import with_deadline
from shared.settings import EnvSettings, handler_settings

FAULTS_ENV = "SAGA_FAULT_INJECTION"

Handler = Callable[[dict, Any], dict]
M = TypeVar("M", bound=BaseModel)
_logger = Logger(child=True)


class InvalidInput(Exception):
    """A saga participant function received an event that fails its input model (errorType
    ``InvalidInput``: a state machine bug, never retried)."""

    def __init__(self, function: str, errors: list[dict[str, Any]]) -> None:
        problems = "; ".join(f"{'.'.join(map(str, e.get('loc', ())))}: {e.get('msg')}" for e in errors)
        super().__init__(f"{function}: invalid input ({problems})")
        self.errors = errors


def parse_event(model: type[M], event: Any, function: str) -> M:
    """Validate a participant's event with its input model, or raise :class:`InvalidInput`."""
    try:
        return model.model_validate(event)
    except ValidationError as exc:
        errors = [{"loc": list(error["loc"]), "msg": error["msg"]} for error in exc.errors()]
        _logger.warning("invalid saga input", extra={"function": function, "errors": errors})
        raise InvalidInput(function, errors) from None


class InjectedFailure(Exception):
    """A permanent failure injected by the test hook (the state machine does not retry it)."""


class InjectedTransientFailure(Exception):
    """A transient failure injected by the test hook (retried with backoff)."""


def faults_enabled() -> bool:
    return os.environ.get(FAULTS_ENV, "disabled") == "enabled"


def inject_fault(step: str, event: dict, when: str) -> None:
    """Raise the failure ``event["faults"]`` asks of ``step`` at ``when``, if the hook is on."""
    if not faults_enabled():
        return
    faults = event.get("faults") or []
    if not isinstance(faults, list):
        return
    attempt = event.get("attempt") or 0
    for fault in faults:
        if not isinstance(fault, dict) or fault.get("step") != step or fault.get("when", "before") != when:
            continue
        if fault.get("mode") == "transient":
            times = int(fault.get("times", 1))
            if attempt < times:
                raise InjectedTransientFailure(f"{step}: injected transient failure (attempt {attempt + 1} of {times} failing)")
        else:
            raise InjectedFailure(f"{step}: injected permanent failure ({when} the step ran)")


def saga_step(step: str, logger: Logger) -> Callable[[Handler], Handler]:
    """Decorate a participant handler: correlation id and saga id on every log line, a line when
    the step starts and when it succeeds or fails, and the fault-injection hook before and after
    the step's work.

    Place it under ``@logger.inject_lambda_context`` so the keys survive its ``clear_state``.
    """

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def wrapper(event: dict, context: Any) -> dict:
            if isinstance(event, dict):
                if event.get("correlation_id"):
                    logger.set_correlation_id(str(event["correlation_id"]))
                logger.append_keys(saga_id=event.get("saga_id"), saga_step=step, attempt=event.get("attempt"))
            logger.info("saga step started")
            try:
                if isinstance(event, dict):
                    inject_fault(step, event, "before")
                result = handler(event, context)
                if isinstance(event, dict):
                    inject_fault(step, event, "after")
            except Exception as exc:
                logger.info("saga step failed", extra={"error_type": type(exc).__name__, "error": str(exc)[:500]})
                raise
            logger.info("saga step succeeded")
            return result

        return wrapper

    return decorate


def participant_decorator(logger: Logger, metrics: Metrics, tracer: Tracer) -> Callable[..., Callable[[Handler], Handler]]:
    """The decorator a participant module puts on each handler, from the module's powertools
    objects::

        participant = shared.saga.participant_decorator(logger, metrics, tracer)

        @participant("RESERVE_STOCK", ReservationSettings)
        def reserve_stock_handler(event, context): ...

    ``participant(step, *settings)`` wears, outermost first: the Logger's Lambda context (state
    cleared per invocation), EMF metrics with the cold-start metric, the X-Ray handler segment,
    :func:`saga_step` (inside the Logger's context so its keys survive ``clear_state``), the
    function's settings validated at cold start and passed down (``handler_settings``), and the
    invocation's deadline (``shared.aws.with_deadline``).
    """

    def step(name: str, *settings: type[EnvSettings]) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            wrapped = saga_step(name, logger)(handler_settings(*settings)(with_deadline(handler)))
            wrapped = metrics.log_metrics(capture_cold_start_metric=True)(tracer.capture_lambda_handler(wrapped))
            return logger.inject_lambda_context(clear_state=True)(wrapped)

        return decorate

    return step
