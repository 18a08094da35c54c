"""Credential -> role -> the IAM policy API Gateway enforces (and caches) for it.

The policy allows ``execute-api:Invoke`` on every route of the role (``shared.roles``), not
only on the method being called: API Gateway caches the authorizer's answer per key for every
method of the API (``ReauthorizeEvery``), so a policy naming one method would refuse the next
one from the cache. A route's path parameters become ``*`` (``/api/v1/products/*``); an admin
gets the whole stage (``<api>/<stage>/*/*``).
"""

from __future__ import annotations

import re

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerResponse,
)

from authorizer.dal.api_keys import ApiKeyRecord
from shared.roles import ADMIN, ROLES, routes_of

_PARAMETER = re.compile(r"\{[^/}]+\}")


class Unauthorized(Exception):
    """No valid credential: API Gateway answers 401 when the function fails with exactly "Unauthorized"."""

    def __init__(self, why: str):
        super().__init__("Unauthorized")
        self.why = why


def role_of(key: ApiKeyRecord | None) -> str:
    """The role of a usable key; ``Unauthorized`` for a missing, disabled or untagged key."""
    if key is None:
        raise Unauthorized("unknown API key")
    if not key.enabled:
        raise Unauthorized("disabled API key")
    if key.role not in ROLES:
        raise Unauthorized(f"API key without a known role tag ({key.role!r})")
    return key.role


def policy_resource(resource_path: str) -> str:
    """'/api/v1/products/{product_id}' -> '/api/v1/products/*' (a method ARN's path part)."""
    return _PARAMETER.sub("*", resource_path)


def authorizer_response(method_arn: str, key: ApiKeyRecord, role: str) -> dict:
    """The authorizer's answer: principal (the key id), the role's policy, and context for the
    handlers: the role, the key's name and, for a store key, its stores (``shared/caller.py``)."""
    context = {"role": role, "keyName": key.name}
    if key.stores.strip():
        context["stores"] = " ".join(key.stores.split())
    response = APIGatewayAuthorizerResponse.from_route_arn(method_arn, principal_id=key.id, context=context)
    if role == ADMIN:
        response.allow_all_routes()
    else:
        for method, resource_path in routes_of(role):
            response.allow_route(method, policy_resource(resource_path))
    return response.asdict()
