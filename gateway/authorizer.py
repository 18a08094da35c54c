"""Lambda authorizers, run as API Gateway runs them for a method whose authorizationType is CUSTOM.

https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html
(and its pages on the authorizer's input and output). Per request, after routing and before the
API key and usage plan (a refused caller is never counted nor answered from the stage cache):

1. The identity: the values of the authorizer's identity sources (``method.request.header.x-api-key``).
   One missing or empty: 401 ``Unauthorized``, without calling the function.
2. With ``authorizerResultTtlInSeconds`` > 0, a result returned for the same identity values less
   than that long ago is used again without calling the function.
3. Otherwise the function gets the input event (type REQUEST or TOKEN, ``methodArn``, the request's
   resource, path, method, headers, query strings, path parameters, stage variables and
   requestContext) through the Lambda invoker the integration uses.
4. Its answer: failing with the message ``Unauthorized``: 401; failing otherwise, timing out or
   unreachable: 500 AUTHORIZER_CONFIGURATION_ERROR; an output that is not an authorizer response
   (a ``principalId``, a ``policyDocument`` with statements, a ``context`` of strings, numbers and
   booleans): 500 AUTHORIZER_FAILURE. Otherwise its policy is evaluated against the request's
   method ARN: a Deny that matches wins (403 "... with an explicit deny"), no Allow that matches is
   403, an Allow lets the request through with ``requestContext.authorizer`` = the context,
   ``principalId`` and ``integrationLatency`` (ms).

What is cached is the returned policy and context, not a verdict: each request evaluates it
against its own method ARN, so one policy that lists every route of a caller answers for all of
them. AWS documents caching a returned policy (Allow or Deny alike); 401s and 500s are not cached
here. The cache is per authorizer (as deployed: a changed one starts empty) and identity values,
LRU-bounded to ``MAX_CACHE_BYTES``.

Policy evaluation follows IAM for ``execute-api`` ARNs: ``Action`` and ``Resource`` are a string
or a list; ``*`` matches any run of characters and ``?`` one character, within an ARN's
colon-separated segment (in the last one, ``*`` spans ``/``: ``.../prod/*/*`` is every method).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Mapping

from . import responses as gr
from .cache import TTLCache
from .config import Authorizer
from .events import is_error_payload, json_object, parse_query
from .invoker import IntegrationTimeout, InvokeResponse

MAX_CACHE_BYTES = 16 * 1024 * 1024
_ENTRY_OVERHEAD = 256
_EVENT_FIELDS = ("resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
                 "multiValueQueryStringParameters", "pathParameters", "stageVariables", "requestContext")


class MalformedAuthorizerResponse(ValueError):
    """The function's output is not an authorizer response."""


@dataclass(frozen=True)
class Statement:
    effect: str  # Allow | Deny
    actions: tuple[str, ...]
    resources: tuple[str, ...]


@dataclass(frozen=True)
class AuthorizerResult:
    """What an authorizer returned (and what is cached)."""

    principal_id: str
    statements: tuple[Statement, ...]
    context: Mapping[str, str | int | float | bool] = field(default_factory=dict)


@dataclass
class Outcome:
    """One request's authorization: ``error`` is the gateway response to answer with, or None."""

    error: gr.GatewayError | None
    result: AuthorizerResult | None = None
    detail: str | None = None  # why, for the access log ($context.authorizer.error)
    latency_ms: float = 0.0  # the whole step
    integration_latency_ms: float = 0.0  # the function's invocation (0 from the cache)
    integration_status: int | None = None  # the Invoke call's status

    @property
    def request_context(self) -> dict[str, Any] | None:
        """``requestContext.authorizer`` of the integration's proxy event."""
        if self.result is None:
            return None
        return {**self.result.context, "principalId": self.result.principal_id,
                "integrationLatency": int(round(self.integration_latency_ms))}


# ----------------------------------------------------------------------------- input


def method_arn(region: str, account_id: str, api_id: str, stage: str, http_method: str, path: str) -> str:
    """arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path without its leading /}."""
    return f"arn:aws:execute-api:{region}:{account_id}:{api_id}/{stage}/{http_method}/{path.lstrip('/')}"


def identity_values(authorizer: Authorizer, headers: Any, query: str,
                    stage_variables: Mapping[str, str]) -> tuple[str, ...] | None:
    """The identity sources' values, or None when one is missing or empty (a 401).
    `headers`: the request's headers (an `email.message.Message`, as http.server gives them)."""
    wants_query = any(location == "querystring" for location, _ in authorizer.identity_sources)
    single = (parse_query(query)[0] or {}) if wants_query else {}
    values = []
    for location, name in authorizer.identity_sources:
        if location == "header":
            found = headers.get_all(name)
            value = ",".join(found) if found else None
        elif location == "querystring":
            value = single.get(name)
        else:
            value = stage_variables.get(name)
        if not value:
            return None
        values.append(value)
    return tuple(values)


def build_authorizer_event(authorizer: Authorizer, proxy_event: Mapping[str, Any], arn: str,
                           token: str | None) -> dict[str, Any]:
    """The function's input: a TOKEN authorizer gets the token, a REQUEST one the request (the
    proxy event's fields, without the body)."""
    if authorizer.type == "TOKEN":
        return {"type": "TOKEN", "authorizationToken": token, "methodArn": arn}
    return {"type": "REQUEST", "methodArn": arn, **{k: proxy_event.get(k) for k in _EVENT_FIELDS}}


# ----------------------------------------------------------------------------- output


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise MalformedAuthorizerResponse(f"{what} is not a string or a list of strings")


def parse_authorizer_output(payload: bytes | str) -> AuthorizerResult:
    out = json_object(payload, MalformedAuthorizerResponse)
    principal = out.get("principalId")
    if not isinstance(principal, str) or not principal:
        raise MalformedAuthorizerResponse("no principalId")
    document = out.get("policyDocument")
    raw = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise MalformedAuthorizerResponse("no policyDocument.Statement")
    statements = []
    for s in raw:
        if not isinstance(s, dict) or s.get("Effect") not in ("Allow", "Deny"):
            raise MalformedAuthorizerResponse("a statement without Effect Allow or Deny")
        statements.append(Statement(s["Effect"], _strings(s.get("Action"), "Action"), _strings(s.get("Resource"), "Resource")))
    context = out.get("context") or {}
    if not isinstance(context, dict) or not all(
            isinstance(v, (str, int, float, bool)) or v is None for v in context.values()):
        raise MalformedAuthorizerResponse("context is not an object of strings, numbers and booleans")
    return AuthorizerResult(principal, tuple(statements), {k: v for k, v in context.items() if v is not None})


# ----------------------------------------------------------------------------- policy


@lru_cache(maxsize=4096)
def _pattern(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _matches(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return bool(_pattern(pattern, ignore_case).fullmatch(value))


def arn_matches(pattern: str, arn: str) -> bool:
    """IAM's Resource match: "*" alone is everything; otherwise segment by segment (6 of them)."""
    if pattern == "*":
        return True
    wanted, actual = pattern.split(":", 5), arn.split(":", 5)
    return len(wanted) == len(actual) == 6 and all(_matches(w, a) for w, a in zip(wanted, actual))


def _applies(statement: Statement, arn: str) -> bool:
    return (any(_matches(a, "execute-api:Invoke", ignore_case=True) for a in statement.actions)
            and any(arn_matches(r, arn) for r in statement.resources))


def evaluate(statements: tuple[Statement, ...], arn: str) -> gr.GatewayError | None:
    """None when the policy allows invoking `arn`; otherwise the 403 to answer."""
    applicable = [s.effect for s in statements if _applies(s, arn)]
    if "Deny" in applicable:
        return gr.ACCESS_DENIED_EXPLICITLY
    return None if "Allow" in applicable else gr.ACCESS_DENIED


# ----------------------------------------------------------------------------- running it


class AuthorizerRunner:
    """Runs an API's authorizers for the gateway, with their result cache (thread-safe)."""

    def __init__(self, max_bytes: int = MAX_CACHE_BYTES, clock: Callable[[], float] = time.monotonic):
        self.results = TTLCache(max_bytes, clock)

    def authorize(self, authorizer: Authorizer, identity: tuple[str, ...] | None, arn: str,
                  event: Callable[[], dict[str, Any]], invoke: Callable[[str, bytes], InvokeResponse]) -> Outcome:
        """`identity`: identity_values() (None: 401); `event()`: the function's input, built only
        when it is called; `invoke(function_arn, payload)`: the Lambda invoker (may raise
        IntegrationTimeout / IntegrationUnreachable)."""
        t0 = time.perf_counter()
        outcome = self._authorize(authorizer, identity, arn, event, invoke)
        outcome.latency_ms = (time.perf_counter() - t0) * 1000.0
        return outcome

    def _authorize(self, authorizer: Authorizer, identity: tuple[str, ...] | None, arn: str,
                   event: Callable[[], dict[str, Any]], invoke: Callable[[str, bytes], InvokeResponse]) -> Outcome:
        if authorizer.identity_sources and identity is None:
            return Outcome(gr.UNAUTHORIZED, detail="identity source missing or empty")
        cacheable = authorizer.ttl_seconds > 0 and bool(authorizer.identity_sources)
        key = (authorizer, identity)   # a redeployed, changed authorizer starts with no results
        cached: AuthorizerResult | None = self.results.get(key) if cacheable else None
        if cached is not None:
            return Outcome(evaluate(cached.statements, arn), cached)
        if not authorizer.function_arn:
            return Outcome(gr.AUTHORIZER_CONFIGURATION_ERROR, detail="the authorizer has no Lambda function")
        payload = json.dumps(event(), separators=(",", ":")).encode()
        t = time.perf_counter()
        try:
            answer = invoke(authorizer.function_arn, payload)
        except IntegrationTimeout:
            return Outcome(gr.AUTHORIZER_CONFIGURATION_ERROR, detail="authorizer timed out",
                           integration_latency_ms=(time.perf_counter() - t) * 1000.0)
        except Exception as exc:  # noqa: BLE001 - IntegrationUnreachable, or any failure to call it
            return Outcome(gr.AUTHORIZER_CONFIGURATION_ERROR, detail=f"authorizer unreachable: {exc}")
        latency = (time.perf_counter() - t) * 1000.0
        if not 200 <= answer.status_code < 300:
            return Outcome(gr.AUTHORIZER_CONFIGURATION_ERROR, detail=f"authorizer invoke returned {answer.status_code}",
                           integration_latency_ms=latency, integration_status=answer.status_code)
        if answer.function_error or is_error_payload(answer.payload):
            unauthorized = _error_message(answer.payload) == "Unauthorized"
            return Outcome(gr.UNAUTHORIZED if unauthorized else gr.AUTHORIZER_CONFIGURATION_ERROR,
                           detail="Unauthorized" if unauthorized else f"authorizer error: {answer.payload[:200]!r}",
                           integration_latency_ms=latency, integration_status=answer.status_code)
        try:
            result = parse_authorizer_output(answer.payload)
        except MalformedAuthorizerResponse as exc:
            return Outcome(gr.AUTHORIZER_FAILURE, detail=f"malformed authorizer response: {exc}",
                           integration_latency_ms=latency, integration_status=answer.status_code)
        if cacheable:
            self.results.put(key, result, len(answer.payload) + _ENTRY_OVERHEAD, authorizer.ttl_seconds)
        return Outcome(evaluate(result.statements, arn), result, integration_latency_ms=latency,
                       integration_status=answer.status_code)


def _error_message(payload: bytes) -> str | None:
    try:
        message = json.loads(payload).get("errorMessage")
    except (ValueError, AttributeError):
        return None
    return message if isinstance(message, str) else None


__all__ = ["AuthorizerResult", "AuthorizerRunner", "MalformedAuthorizerResponse", "Outcome", "Statement",
           "arn_matches", "build_authorizer_event", "evaluate", "identity_values", "method_arn",
           "parse_authorizer_output"]
