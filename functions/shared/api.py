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
| body not decodable (base64 / UTF-8)            | 400    | ``bad_request``          |
| no route for the method and path               | 404    | ``route_not_found``      |
| anything else (a bug, AWS outage)              | 500    | ``internal_error``       |

Route modules document their error responses with :func:`error_responses`.
"""

from __future__ import annotations

import binascii
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError as RouteNotFoundError
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
    ResponseValidationError,
)
from pydantic import BaseModel, Field

from shared.errors import AppError, error_body
from shared.jsonutil import loads_strict

OPENAPI_PATH = "/api/v1/openapi.json"


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


_DESCRIPTIONS = {
    400: "Bad request (unreadable body, invalid pagination token)",
    404: "Not found",
    409: "Conflict with the current state",
    415: "Unsupported media type",
    422: "Validation error",
    500: "Internal error",
}


def error_responses(*statuses: int) -> dict[int, dict[str, Any]]:
    """OpenAPI ``responses`` entries for error statuses (422 and 500 are always included)."""
    codes = sorted({*statuses, 422, 500})
    return {
        code: {
            "description": _DESCRIPTIONS.get(code, HTTPStatus(code).phrase),
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


def create_resolver(logger: Logger) -> APIGatewayRestResolver:
    """A REST (proxy v1) resolver with validation and the shared error handling."""
    app = APIGatewayRestResolver(
        enable_validation=True,
        response_validation_error_http_code=HTTPStatus.INTERNAL_SERVER_ERROR,
        json_body_deserializer=loads_strict,
    )
    register_error_handlers(app, logger)
    return app


def add_openapi_route(app: APIGatewayRestResolver, path: str = OPENAPI_PATH) -> None:
    """Serve the merged OpenAPI document of the whole REST API (``shared.openapi``) at ``path``."""

    @app.get(path, include_in_schema=False)
    def openapi_document():  # no return annotation: a prebuilt JSON text, not validated
        from shared.openapi import document_json  # imported lazily: it imports every domain's resolver

        return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=document_json())
