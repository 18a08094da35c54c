"""/api/v1 saga routes: start an order-processing saga, read one, list them (parse and route;
the rules are in ``sagas.logic.sagas``).

| method | path | answer |
| ------ | ---- | ------ |
| POST | ``/customers/{customer_id}/order-processing`` | 202 ``{saga_id, status: "started", message}`` |
| GET  | ``/sagas/{saga_id}`` | 200 the saga: status, steps, compensations, failure |
| GET  | ``/sagas?limit&status&next_token`` | 200 a page of sagas, newest first |
"""

from __future__ import annotations

import re
from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from sagas.errors import InvalidIdempotencyKey
from sagas.logic import sagas
from sagas.schemas import SAGA_ID_PATTERN, OrderProcessingRequest, SagaOut, SagaPage, SagaStarted, SagaStatus
from shared.api import error_responses
from shared.pagination import DEFAULT_LIMIT, Limit, NextToken
from shared.types import MAX_ID

SAGA_LOCATION = "/api/v1/sagas/{saga_id}"
IDEMPOTENCY_KEY_RE = re.compile(r"^[\x21-\x7e]{1,256}$")

router = Router()

CustomerId = Annotated[int, Path(ge=1, le=MAX_ID, description="The ordering customer (checked by the CREATE_ORDER step).")]
SagaId = Annotated[str, Path(pattern=SAGA_ID_PATTERN, description="The id POST .../order-processing returned.")]


def _header(name: str) -> str | None:
    headers = router.current_event.headers or {}
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _idempotency_key() -> str | None:
    """The ``Idempotency-Key`` header, trimmed (``InvalidIdempotencyKey`` if malformed)."""
    key = _header("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not IDEMPOTENCY_KEY_RE.match(key):
        raise InvalidIdempotencyKey()
    return key


@router.post(
    "/customers/<customer_id>/order-processing",
    operation_id="startOrderProcessing",
    summary="Start an order-processing saga",
    description="Starts the order saga (check stock, reserve it, create the order, take the payment, confirm "
    "the order) on Step Functions and answers at once; follow it with GET /sagas/{saga_id}. The customer and "
    "the stock are checked by the saga's steps (a failure is a COMPENSATED saga, not a 4xx). Send an "
    "`Idempotency-Key` header to make a retried request return the same saga.",
    tags=["sagas"],
    status_code=202,
    responses={202: {"description": "The saga started (or, for a repeated Idempotency-Key, had started)"},
               **error_responses(409)},
)
def start_order_processing(customer_id: CustomerId, request: OrderProcessingRequest) -> Response[SagaStarted]:
    started, replayed = sagas.start_saga(
        customer_id,
        request,
        idempotency_key=_idempotency_key(),
        # the API request id: every log line of the saga carries it (see ../README.md, Logs)
        correlation_id=router.current_event.request_context.request_id,
    )
    headers = {"Location": SAGA_LOCATION.format(saga_id=started.saga_id)}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(
        status_code=202,
        content_type=content_types.APPLICATION_JSON,
        body=started,
        headers=headers,
    )


@router.get(
    "/sagas/<saga_id>",
    operation_id="getSaga",
    summary="Get a saga",
    description="Status (RUNNING, COMPLETED, COMPENSATED, FAILED), timings, every step and compensation with "
    "its status, attempts and duration, and the failure reason, read from the Step Functions execution and "
    "its history.",
    tags=["sagas"],
    responses={200: {"description": "The saga"}, **error_responses(404)},
)
def get_saga(saga_id: SagaId) -> SagaOut:
    return sagas.get_saga(saga_id)


@router.get(
    "/sagas",
    operation_id="listSagas",
    summary="List recent sagas",
    description="Newest first, optionally of one status.",
    tags=["sagas"],
    responses={200: {"description": "A page of sagas"}, **error_responses(400)},
)
def list_sagas(
    limit: Limit = DEFAULT_LIMIT,
    next_token: NextToken = None,
    status: Annotated[SagaStatus | None, Query(description="RUNNING, COMPLETED, COMPENSATED or FAILED.")] = None,
) -> SagaPage:
    return sagas.list_sagas(limit=limit, status=status, next_token=next_token)
