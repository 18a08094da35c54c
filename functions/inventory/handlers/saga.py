"""The order saga's stock functions (one Lambda each, no API event).

Each handler validates its event with the models in ``inventory.saga_schemas`` (failure:
``InvalidInput``), calls ``inventory.logic.reservations`` and returns a JSON object. Business
refusals are raised as the exception classes of ``inventory.errors``; Lambda reports their
class name as ``errorType`` (``InsufficientStock``, ``ReservationAborted`` ...), which is what
the state machine's ``Catch`` matches. Every other error is transient (retry). Each handler
validates the tables its function is given (``inventory.settings``) at cold start and passes
them down.

| function (template logical id)     | step            | handler |
| ---------------------------------- | --------------- | ------- |
| ``InventoryCheckStockFunction``    | CHECK_STOCK     | ``inventory.handlers.saga.check_stock_handler`` |
| ``InventoryReserveStockFunction``  | RESERVE_STOCK   | ``inventory.handlers.saga.reserve_stock_handler`` |
| ``InventoryReleaseStockFunction``  | RELEASE_STOCK   | ``inventory.handlers.saga.release_stock_handler`` |
| ``InventoryCommitStockFunction``   | COMMIT_STOCK    | ``inventory.handlers.saga.commit_stock_handler`` |
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from inventory.logic import reservations
from inventory.saga_schemas import CheckStockInput, CommitStockInput, ReleaseStockInput, ReserveStockInput
from inventory.settings import ReservationSettings, StockSettings
from shared.saga import parse_event, participant_decorator

logger = Logger()
tracer = Tracer()
metrics = Metrics()
participant = participant_decorator(logger, metrics, tracer)  # the decorators every participant wears (shared.saga)


@participant("CHECK_STOCK", StockSettings)  # read only: no reservations table
def check_stock_handler(event: dict, context: LambdaContext) -> dict:
    """CheckStockInput -> CheckStockOutput (read-only); ``ProductNotFound``, ``LocationNotFound``,
    ``InsufficientStock``."""
    request = parse_event(CheckStockInput, event, "CheckStock")
    return reservations.check_stock(request).model_dump(mode="json")


@participant("RESERVE_STOCK", ReservationSettings)
def reserve_stock_handler(event: dict, context: LambdaContext) -> dict:
    """ReserveStockInput -> ReserveStockOutput; ``ProductNotFound``, ``LocationNotFound``,
    ``InsufficientStock``, ``ReservationConflict``, ``ReservationAborted``."""
    request = parse_event(ReserveStockInput, event, "ReserveStock")
    return reservations.reserve_stock(request).model_dump(mode="json")


@participant("RELEASE_STOCK", ReservationSettings)
def release_stock_handler(event: dict, context: LambdaContext) -> dict:
    """ReleaseStockInput -> ReleaseStockOutput (compensation: nothing reserved is a no-op that
    refuses a later reserve); ``ReservationCommitted``."""
    request = parse_event(ReleaseStockInput, event, "ReleaseStock")
    output = reservations.release_stock(request.saga_id, reason=request.reason, correlation_id=request.correlation_id)
    return output.model_dump(mode="json")


@participant("COMMIT_STOCK", ReservationSettings)
def commit_stock_handler(event: dict, context: LambdaContext) -> dict:
    """CommitStockInput -> CommitStockOutput; ``ReservationNotFound``, ``ReservationReleased``."""
    request = parse_event(CommitStockInput, event, "CommitStock")
    return reservations.commit_stock(request.saga_id).model_dump(mode="json")
