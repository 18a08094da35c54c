"""The inventory interface function (``InventoryInterfaceFunction``): what retail, e-commerce and
reporting ask of inventory's catalogue and stock, invoked directly (no API event).

The event is one of the request models of ``shared.contracts.inventory`` (field ``operation``);
an event that fails them raises ``InvalidInput`` (a caller bug). The answer is the operation's
answer model as JSON. A business refusal is raised as its exception class, so Lambda reports
the class name as ``errorType`` (``InsufficientStock``, ``ProductNotFound`` ...), as the order
saga's steps do; its ``errorMessage`` is the JSON error body (``code``, ``message``,
``details``) that the caller's client turns back into an exception.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from inventory.logic import interface
from inventory.settings import RegistrySettings
from shared.contracts.inventory import (
    REQUEST,
    ApplyStockChanges,
    CancelStockChanges,
    CloseLocation,
    CountLowStock,
    GetProducts,
    GetStock,
    ListProducts,
    OpenLocation,
    StockReport,
    error_message,
)
from shared.errors import AppError
from shared.saga import InvalidInput
from shared.settings import handler_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()

OPERATIONS: dict[type, Any] = {
    GetProducts: interface.get_products,
    ListProducts: lambda request: interface.list_products(),
    GetStock: interface.get_stock,
    ApplyStockChanges: interface.apply_stock_changes,
    CancelStockChanges: interface.cancel_stock_changes,
    OpenLocation: interface.open_location,
    CloseLocation: interface.close_location,
    StockReport: interface.stock_report,
    CountLowStock: interface.count_low_stock,
}


def parse(event: Any):
    try:
        return REQUEST.validate_python(event)
    except ValidationError as exc:
        errors = [{"loc": list(error["loc"]), "msg": error["msg"]} for error in exc.errors()]
        logger.warning("invalid interface input", extra={"errors": errors})
        raise InvalidInput("InventoryInterface", errors) from None


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
@handler_settings(RegistrySettings)  # the environment, validated at cold start, passed down
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    request = parse(event)
    logger.append_keys(operation=request.operation, reference=getattr(request, "reference", None))
    try:
        return OPERATIONS[type(request)](request).model_dump(mode="json")
    except AppError as exc:
        logger.info("interface refused", extra={"error_type": type(exc).__name__, "error": exc.message[:500]})
        exc.args = (error_message(exc),)  # Lambda's errorMessage: the JSON error body
        raise
