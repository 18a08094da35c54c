"""``Idempotency-Key``: one rule for every request that creates or changes something.

A client that may retry (a point-of-sale terminal after a timeout, a shop after a dropped
connection) sends a key of its choosing with a POST, PUT, PATCH or DELETE::

    Idempotency-Key: 3f1c2a9e-sale-0042

| the request                                           | answer |
| ----------------------------------------------------- | ------ |
| first time with this key                              | done, and its answer kept for 24 h |
| same key, same request, after the first one answered  | the first answer again (status and body), with ``Idempotent-Replayed: true``; nothing is done twice |
| same key, same request, while the first one runs      | waits for the first one's answer, then as above |
| same key, different request                           | 409 ``idempotency_conflict`` |
| a key that is not 1-256 printable ASCII characters    | 422 ``validation_error`` (checked with the request, ``shared.api``) |

"Same request" is the same method, path and JSON body (key order and spacing do not matter),
from the same API key: keys of different consumers never meet. Only answers that did the work
(2xx) are kept: a refused request (4xx) or a failure (5xx) did nothing, so the same key may try
again. A request without the header is not affected.

The records are powertools' idempotency utility (DynamoDB persistence, in the domain's own
table, ``IDEMPOTENCY_TABLE``), applied as a resolver middleware after request validation (an
invalid request never takes a key). Operations whose effect and record must be one DynamoDB
transaction (orders, payments: their ``idempotency_key`` field) keep that too; the header
works on top of it.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import BaseMiddlewareHandler, NextMiddleware
from aws_lambda_powertools.event_handler.openapi.encoders import jsonable_encoder
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from pydantic import Field

from shared import aws
from shared.api import IDEMPOTENCY_KEY_HEADER as HEADER
from shared.api import IDEMPOTENCY_KEY_RE as KEY_PATTERN
from shared.errors import ConflictError, UnprocessableError
from shared.settings import EnvSettings

REPLAYED_HEADER = "Idempotent-Replayed"
EXPIRES_AFTER_SECONDS = 24 * 3600
EFFECTFUL = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WAIT_SECONDS = 10.0   # how long a repeat waits for the first request's answer
WAIT_STEP = 0.05

logger = Logger(child=True)


class IdempotencySettings(EnvSettings):
    table: str = Field(alias="IDEMPOTENCY_TABLE", min_length=1)
    key_attr: str = Field(default="id", alias="IDEMPOTENCY_KEY_ATTR", min_length=1)


class InvalidIdempotencyKey(UnprocessableError):
    def __init__(self) -> None:
        super().__init__(
            f"{HEADER} must be 1..256 printable ASCII characters without spaces",
            details=[{"loc": ["header", HEADER], "type": "string_pattern_mismatch"}],
        )


class IdempotencyConflict(ConflictError):
    code = "idempotency_conflict"

    def __init__(self, key: str) -> None:
        super().__init__(
            f"{HEADER} {key!r} was already used for a different request",
            details=[{"loc": ["header", HEADER], "idempotency_key": key}],
        )


class IdempotencyInProgress(ConflictError):
    code = "idempotency_in_progress"

    def __init__(self, key: str) -> None:
        super().__init__(
            f"a request with {HEADER} {key!r} is still running; retry later",
            details=[{"loc": ["header", HEADER], "idempotency_key": key}],
        )


class _NotKept(Exception):
    """A 5xx answer: handed back to the client, its record dropped (the key may try again)."""

    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__(answer["status_code"])
        self.answer = answer


def fingerprint(method: str, path: str, body: str | None) -> str:
    """What makes two requests "the same": method, path and the body's JSON value."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")) if body else ""
    except ValueError:
        canonical = body or ""
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def _answer(response: Response) -> dict[str, Any]:
    return {
        "status_code": response.status_code,
        "content_type": response.headers.get("Content-Type", content_types.APPLICATION_JSON)
        if isinstance(response.headers, dict) else content_types.APPLICATION_JSON,
        "headers": {k: v for k, v in (response.headers or {}).items() if k.lower() != "content-type" and isinstance(v, str)},
        "body": jsonable_encoder(response.body),
    }


class IdempotencyMiddleware(BaseMiddlewareHandler):
    """The rule of the module docstring, for one resolver."""

    def __init__(self) -> None:
        super().__init__()
        self._store: DynamoDBPersistenceLayer | None = None
        self._store_for: tuple[str, str] | None = None

    def _persistence(self) -> DynamoDBPersistenceLayer:
        settings = IdempotencySettings.current()
        wanted = (settings.table, settings.key_attr)
        if self._store is None or self._store_for != wanted:
            self._store = DynamoDBPersistenceLayer(table_name=settings.table, key_attr=settings.key_attr,
                                                   boto3_client=aws.client("dynamodb"))
            self._store_for = wanted
        return self._store

    def handler(self, app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response:
        event = app.current_event
        key = event.headers.get(HEADER) if event.http_method in EFFECTFUL else None
        if key is None:
            return next_middleware(app)
        if not KEY_PATTERN.fullmatch(key):
            raise InvalidIdempotencyKey()
        identity = event.request_context.identity
        request = {
            "scope": identity.api_key_id or identity.api_key or "anonymous",
            "key": key,
            "fingerprint": fingerprint(event.http_method, event.path, event.decoded_body),
        }
        replayed: list[bool] = []
        config = IdempotencyConfig(
            event_key_jmespath="[scope, key]",
            payload_validation_jmespath="fingerprint",
            expires_after_seconds=EXPIRES_AFTER_SECONDS,
            response_hook=lambda response, record: replayed.append(True) or response,
        )
        if app.lambda_context is not None:
            config.register_lambda_context(app.lambda_context)

        @idempotent_function(data_keyword_argument="request", persistence_store=self._persistence(), config=config,
                             key_prefix="http-request")
        def perform(request: dict[str, Any]) -> dict[str, Any]:
            answer = _answer(next_middleware(app))
            if answer["status_code"] >= 500:
                raise _NotKept(answer)
            return answer

        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                answer = perform(request=request)
                break
            except IdempotencyValidationError:
                raise IdempotencyConflict(key) from None
            except IdempotencyAlreadyInProgressError:
                if time.monotonic() > deadline:
                    raise IdempotencyInProgress(key) from None
                time.sleep(WAIT_STEP)
            except _NotKept as failure:
                answer = failure.answer
                break
        # the first answer goes out exactly as its replays will: from the JSON that was kept
        answer = json.loads(json.dumps(answer, sort_keys=True))
        headers = dict(answer["headers"])
        if replayed:
            headers[REPLAYED_HEADER] = "true"
            logger.info("idempotent request replayed", extra={"idempotency_key": key, "status": answer["status_code"]})
        return Response(status_code=answer["status_code"], content_type=answer["content_type"],
                        body=answer["body"], headers=headers)


def use_idempotency(app: APIGatewayRestResolver) -> None:
    """Every effectful route of ``app`` honours ``Idempotency-Key`` (the table comes from
    ``IDEMPOTENCY_TABLE`` when the first keyed request arrives)."""
    app.use(middlewares=[IdempotencyMiddleware()])
