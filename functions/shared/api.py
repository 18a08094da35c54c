"""The REST resolver every domain Lambda uses.

``create_resolver(logger)`` returns a powertools ``APIGatewayRestResolver`` with request and
response validation, a strict JSON body parser (``shared.jsonutil.loads_strict``) and one
error shape for every failure::

    {"error": {"code": "validation_error", "message": "...", "details": [...]}}

| what happened                                  | status | code                     |
| ---------------------------------------------- | ------ | ------------------------ |
| an :class:`shared.errors.AppError` was raised  | its own ``status`` / ``code``     |
| request failed validation (body, query, path)  | 422    | ``validation_error``     |
| body with an unsupported content type          | 415    | ``unsupported_media_type`` |
| body not decodable (base64 / UTF-8) or not JSON| 400    | ``bad_request``          |
| no route for the method and path               | 404    | ``route_not_found``      |
| anything else (a bug, AWS outage)              | 500    | ``internal_error``       |

Route modules document their error responses with :func:`error_responses`; what every operation
can answer besides (400 and 415 for a body, the gateway's 403/429/502/504, the
``Idempotency-Key`` header) is added to the whole document by ``shared.openapi``. A 500 is a bug,
never a documented answer (and the gateway turns a Lambda error into 502 anyway).
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError as RouteNotFoundError
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
    ResponseValidationError,
)
from aws_lambda_powertools.logging import correlation_paths
from pydantic import BaseModel, Field

from shared.aws import with_deadline
from shared.errors import AppError, error_body
from shared.jsonutil import loads_strict
from shared.settings import EnvSettings, handler_settings

OPENAPI_PATH = "/api/v1/openapi.json"
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_RE = re.compile(r"[!-~]{1,256}")  # printable ASCII without spaces; shared.openapi documents it
EFFECTFUL_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})


class ErrorDetail(BaseModel):
    loc: list[str | int] | None = Field(default=None, description="Where the problem is: ['body', 'price'], ['query', 'limit'] ...")
    type: str | None = Field(default=None, description="Machine-readable kind of problem.")
    msg: str | None = Field(default=None, description="Human-readable explanation.")

    model_config = {"extra": "allow"}


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable error code (not_found, validation_error ...).")
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    """The shape of every error response."""

    error: ErrorBody


ERROR_DESCRIPTIONS = {
    400: "Bad request: the body is not UTF-8 JSON, or the pagination token was not issued for this listing",
    402: "Payment declined",
    403: "Forbidden: a store key named a store that is not its own (`store_forbidden`), or asked for a "
         "chain-wide report (`chain_wide_report`)",
    404: "Not found: the id in the path, or an id the body or a filter names (`invalid_reference`)",
    409: "Conflict with the current state",
    415: "Unsupported media type: bodies are application/json",
    422: "Validation error: the request does not match this document",
}


def error_responses(*statuses: int) -> dict[int, dict[str, Any]]:
    """OpenAPI ``responses`` entries for error statuses (422, the validation error, is always included)."""
    codes = sorted({*statuses, 422})
    return {
        code: {
            "description": ERROR_DESCRIPTIONS.get(code, HTTPStatus(code).phrase),
            "content": {content_types.APPLICATION_JSON: {"model": ErrorResponse}},
        }
        for code in codes
    }


def json_error(status: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> Response:
    return Response(
        status_code=int(status),
        content_type=content_types.APPLICATION_JSON,
        body=error_body(code, message, details),
    )


def _validation_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    details = []
    for error in errors:
        detail: dict[str, Any] = {"loc": [part if isinstance(part, int) else str(part) for part in error.get("loc", ())]}
        detail["type"] = str(error.get("type", "value_error"))
        if error.get("msg"):
            detail["msg"] = str(error["msg"]).removeprefix("Value error, ")
        details.append(detail)
    return details


def register_error_handlers(app: APIGatewayRestResolver, logger: Logger) -> None:
    """Map every failure to the stable JSON error shape (see the module docstring)."""

    @app.exception_handler(AppError)
    def _app_error(exc: AppError) -> Response:
        if exc.status >= 500:
            logger.exception("application error")
        else:
            logger.info("request rejected", extra={"error_code": exc.code, "status": int(exc.status)})
        return json_error(exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    def _request_validation(exc: RequestValidationError) -> Response:
        details = _validation_details(exc.errors())
        if any(detail["type"] == "json_invalid" for detail in details):
            # not JSON at all: the body cannot be read, as an undecodable one (400), not validated (422)
            logger.info("request body is not JSON")
            return json_error(HTTPStatus.BAD_REQUEST, "bad_request", "request body is not valid JSON", details)
        logger.info("request validation failed", extra={"errors": details})
        return json_error(HTTPStatus.UNPROCESSABLE_ENTITY, "validation_error", "request validation failed", details)

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported_content_type(exc: RequestUnsupportedContentType) -> Response:
        return json_error(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "request bodies must be application/json",
            _validation_details(exc.errors()),
        )

    @app.exception_handler([UnicodeDecodeError, binascii.Error])
    def _undecodable_body(exc: Exception) -> Response:
        return json_error(HTTPStatus.BAD_REQUEST, "bad_request", "request body could not be decoded")

    @app.exception_handler(RouteNotFoundError)
    def _route_not_found(exc: RouteNotFoundError) -> Response:
        event = app.current_event
        return json_error(
            HTTPStatus.NOT_FOUND,
            "route_not_found",
            f"no route for {event.http_method} {event.path}",
        )

    @app.exception_handler(ServiceError)
    def _service_error(exc: ServiceError) -> Response:
        status = HTTPStatus(exc.status_code)
        return json_error(status, status.phrase.lower().replace(" ", "_"), str(exc.msg))

    @app.exception_handler(ResponseValidationError)
    def _response_validation(exc: ResponseValidationError) -> Response:
        logger.error("response failed validation", extra={"errors": _validation_details(exc.errors())})
        return json_error(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", "internal error")

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        logger.exception("unhandled error")
        return json_error(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", "internal error")


def _header(headers: dict[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value
    return None


class _ContractRequestValidation(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, held to what the OpenAPI document states:

    - a body is JSON: powertools also parses form and multipart bodies (and fails with a 500 on a
      multipart type without a boundary); any content type but ``application/json`` is a 415;
    - an ``Idempotency-Key`` header on an effectful request has the documented form (else 422);
    - every request body of the API is a JSON object: powertools 3.37 reads a non-empty array as
      its first element (a rule meant for repeated query parameters), so an array, string or
      number body on a route that takes one is a 422 here, before that happens.
    """

    def handler(self, app, next_middleware):  # noqa: ANN001, ANN201 - powertools' signature
        event = app.current_event
        if event.http_method in EFFECTFUL_METHODS:
            key = _header(event.headers, IDEMPOTENCY_KEY_HEADER)
            if key is not None and not IDEMPOTENCY_KEY_RE.fullmatch(key):
                raise RequestValidationError([{
                    "loc": ("header", IDEMPOTENCY_KEY_HEADER), "type": "string_pattern_mismatch",
                    "msg": "Idempotency-Key is 1 to 256 printable ASCII characters without spaces",
                }])
        return super().handler(app, next_middleware)

    def _get_body(self, app):  # noqa: ANN001, ANN202
        content_type = (_header(app.current_event.headers, "content-type") or "").strip()
        if content_type and not content_type.lower().startswith(content_types.APPLICATION_JSON):
            raise RequestUnsupportedContentType(
                "Unsupported content type",
                errors=[{"type": "unsupported_content_type", "loc": ("body",),
                         "msg": f"Unsupported content type: {content_type}"}],
            )
        body = super()._get_body(app)
        if body is not None and not isinstance(body, dict) and app.context["_route"].dependant.body_params:
            raise RequestValidationError([{
                "loc": ("body",), "type": "model_attributes_type",
                "msg": f"the body must be a JSON object, not {type(body).__name__}",
            }])
        return body


def create_resolver(logger: Logger) -> APIGatewayRestResolver:
    """A REST (proxy v1) resolver with validation and the shared error handling."""
    app = APIGatewayRestResolver(
        enable_validation=True,
        response_validation_error_http_code=HTTPStatus.INTERNAL_SERVER_ERROR,
        json_body_deserializer=loads_strict,
    )
    # powertools 3.37 keeps its request validation middleware here and runs it first on every
    # validated route; ours is that middleware with the document's two extra rules
    app._request_validation_middleware = _ContractRequestValidation()
    register_error_handlers(app, logger)
    return app


def rest_handler(
    app: APIGatewayRestResolver, *settings: type[EnvSettings], logger: Logger, metrics: Metrics, tracer: Tracer
) -> Callable[[dict, Any], dict]:
    """The Lambda handler of a REST API function: ``app.resolve`` wearing, outermost first, the
    Logger's Lambda context (the API Gateway request id as correlation id), EMF metrics with the
    cold-start metric, the X-Ray handler segment, the function's settings validated at cold start
    and passed down (``handler_settings``), and the invocation's deadline (``shared.aws``)."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @metrics.log_metrics(capture_cold_start_metric=True)
    @tracer.capture_lambda_handler
    @handler_settings(*settings)
    @with_deadline
    def lambda_handler(event: dict, context: Any) -> dict:
        return app.resolve(event, context)

    return lambda_handler


def add_openapi_route(app: APIGatewayRestResolver, path: str = OPENAPI_PATH) -> None:
    """Serve the merged OpenAPI document of the whole REST API (``shared.openapi``) at ``path``."""

    @app.get(path, include_in_schema=False)
    def openapi_document():  # no return annotation: a prebuilt JSON text, not validated
        from shared.openapi import document_json  # imported lazily: it imports every domain's resolver

        return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=document_json())
