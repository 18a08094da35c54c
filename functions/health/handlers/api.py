"""Platform routes (REST proxy v1):

- ``GET /api/v1/health``: no API key, no authorizer; only ``status`` and ``version`` (200
  healthy, 503 unhealthy), from a check shared for a few seconds (``logic/health.py``), and a
  stage throttle in template.yaml;
- ``GET /api/v1/health/details``: every dependency with its status and latency; admin only
  (the authorizer's policy, ``shared/roles.py``);
- ``GET /api/v1/me``: the caller's role and the routes it may call, from the authorizer's
  context (the web back office asks it at sign-in).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Response, content_types
from pydantic import BaseModel

from health.logic import health as logic
from health.schemas import CallerOut, HealthDetails, PublicHealth
from health.settings import HealthSettings
from shared import roles
from shared.api import create_resolver, rest_handler, error_responses
from shared.caller import Caller
from health.errors import NoCallerError

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = create_resolver(logger)


def _json(model: BaseModel, healthy: bool) -> Response:
    return Response(status_code=200 if healthy else 503, content_type=content_types.APPLICATION_JSON,
                    body=model.model_dump_json(exclude_none=True))


def _responses(model: type[BaseModel]) -> dict:
    content = {content_types.APPLICATION_JSON: {"model": model}}
    return {200: {"description": "Healthy", "content": content},
            503: {"description": "A dependency is not healthy", "content": content}}


@app.get("/api/v1/health", operation_id="getHealth", summary="Health of the API (no key)", tags=["platform"],
         responses=_responses(PublicHealth))
@tracer.capture_method
def health():
    body, healthy = logic.public_health(HealthSettings.current())
    return _json(body, healthy)


@app.get("/api/v1/health/details", operation_id="getHealthDetails", summary="Every dependency's health (admin)",
         tags=["platform"], responses=_responses(HealthDetails))
@tracer.capture_method
def health_details():
    body, healthy = logic.health_details(HealthSettings.current())
    return _json(body, healthy)


@app.get("/api/v1/me", operation_id="getCaller", summary="The caller's role and the routes it may call",
         tags=["platform"], responses={200: {"description": "The caller"}, **error_responses(403)})
def me() -> CallerOut:
    context = app.current_event.request_context.authorizer.raw_event or {}
    caller = Caller.from_authorizer(context)
    if not caller.role:
        raise NoCallerError("no caller: call this route with an API key, through the API's authorizer")
    return CallerOut(role=caller.role, principal_id=str(context.get("principalId", "")),
                     key_name=context.get("keyName"),
                     stores=sorted(caller.stores) if caller.stores is not None else None,
                     routes=[f"{method} {path}" for method, path in roles.routes_of(caller.role)])


lambda_handler = rest_handler(app, HealthSettings, logger=logger, metrics=metrics, tracer=tracer)
