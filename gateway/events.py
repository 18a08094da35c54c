"""Lambda proxy integration: the REST API proxy event (payload v1) and the proxy response.

Input format: https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
(section "Input format of a Lambda function for proxy integration"); output format in the
same page. A response that is not a JSON object, has unknown top-level fields, a non-string
body, non-string header values or a bad status code is a "Malformed Lambda proxy response"
(502).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import parse_qsl

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Request headers API Gateway does not pass to the integration (hop-by-hop / recomputed).
_DROPPED_REQUEST_HEADERS = frozenset({"connection", "content-length", "keep-alive", "transfer-encoding", "upgrade", "te"})
# Response headers from the function that the gateway recomputes itself.
_DROPPED_RESPONSE_HEADERS = frozenset({"content-length", "connection", "transfer-encoding", "keep-alive", "date"})

_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 field-name

PROXY_RESPONSE_FIELDS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})


class MalformedProxyResponse(ValueError):
    """The function's result is not a valid Lambda proxy response."""


# ----------------------------------------------------------------------------- ids and time


def new_request_id() -> str:
    return str(uuid.uuid4())


def new_extended_request_id() -> str:
    """Like API Gateway's $context.extendedRequestId / x-amz-apigw-id, e.g. 'FOjNQEjfBcwFtAg='."""
    return base64.b64encode(os.urandom(11)).decode("ascii")


def new_trace_id(epoch: float | None = None) -> str:
    """An X-Ray trace header value: Root=1-<8 hex epoch>-<24 hex random>."""
    t = int(epoch if epoch is not None else time.time())
    return f"Root=1-{t:08x}-{os.urandom(12).hex()}"


def format_request_time(epoch: float) -> str:
    """$context.requestTime: CLF-formatted, e.g. '24/Nov/2026:06:13:27 +0000' (UTC)."""
    t = time.gmtime(epoch)
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year:04d}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


# ----------------------------------------------------------------------------- request


@dataclass
class ProxyRequest:
    """What the gateway knows about one matched request, enough to build the proxy event."""

    http_method: str
    path: str  # path relative to the stage, percent-decoded (event.path)
    raw_path: str  # path as requested, e.g. with the /<stage> prefix (requestContext.path)
    query_string: str
    headers: Sequence[tuple[str, str]]  # in arrival order, names as sent
    body: bytes
    source_ip: str
    resource_path: str
    resource_id: str
    path_parameters: Mapping[str, str]
    stage: str
    stage_variables: Mapping[str, str]
    api_id: str
    account_id: str
    request_id: str
    extended_request_id: str
    request_time_epoch: float
    protocol: str = "HTTP/1.1"
    domain_name: str = ""
    api_key: str | None = None
    api_key_id: str | None = None
    binary_media_types: Sequence[str] = field(default_factory=tuple)
    deployment_id: str | None = None
    authorizer: Mapping[str, Any] | None = None  # requestContext.authorizer (a Lambda authorizer's result)


def parse_query(query_string: str) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    """(queryStringParameters, multiValueQueryStringParameters); the single form keeps the last value."""
    if not query_string:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for k, v in parse_qsl(query_string, keep_blank_values=True):
        single[k] = v
        multi.setdefault(k, []).append(v)
    if not multi:
        return None, None
    return single, multi


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_binary(content_type: str | None, binary_media_types: Iterable[str]) -> bool:
    mt = _media_type(content_type)
    if not mt:
        return False
    for pattern in binary_media_types:
        p = pattern.strip().lower().replace("~1", "/")
        if p == "*/*" or p == mt:
            return True
        if p.endswith("/*") and mt.startswith(p[:-1]):
            return True
    return False


def encode_body(body: bytes, content_type: str | None, binary_media_types: Iterable[str]) -> tuple[str | None, bool]:
    """(event.body, event.isBase64Encoded)."""
    if not body:
        return None, False
    if binary_media_types and is_binary(content_type, binary_media_types):
        return base64.b64encode(body).decode("ascii"), True
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), True


def build_proxy_event(req: ProxyRequest) -> dict[str, Any]:
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    names: dict[str, str] = {}  # lower-case name -> name as first sent
    content_type = None
    user_agent = None
    for name, value in req.headers:
        lname = name.lower()
        if lname in _DROPPED_REQUEST_HEADERS:
            continue
        if lname == "content-type":
            content_type = value
        elif lname == "user-agent":
            user_agent = value
        # the same header sent twice (in any case) is one header: last value / all values
        key = names.setdefault(lname, name)
        headers[key] = value
        multi_headers.setdefault(key, []).append(value)
    query, multi_query = parse_query(req.query_string)
    body, is_b64 = encode_body(req.body, content_type, req.binary_media_types)
    identity: dict[str, Any] = {
        "cognitoIdentityPoolId": None,
        "accountId": None,
        "cognitoIdentityId": None,
        "caller": None,
        "sourceIp": req.source_ip,
        "principalOrgId": None,
        "accessKey": None,
        "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None,
        "userArn": None,
        "userAgent": user_agent,
        "user": None,
    }
    if req.api_key is not None:
        identity["apiKey"] = req.api_key
        identity["apiKeyId"] = req.api_key_id
    domain = req.domain_name
    request_context = {
        "resourceId": req.resource_id,
        "resourcePath": req.resource_path,
        "httpMethod": req.http_method,
        "extendedRequestId": req.extended_request_id,
        "requestTime": format_request_time(req.request_time_epoch),
        "path": req.raw_path,
        "accountId": req.account_id,
        "protocol": req.protocol,
        "stage": req.stage,
        "domainPrefix": domain.split(".", 1)[0] if domain else "",
        "requestTimeEpoch": int(req.request_time_epoch * 1000),
        "requestId": req.request_id,
        "identity": identity,
        "domainName": domain,
        "deploymentId": req.deployment_id,
        "apiId": req.api_id,
    }
    if req.authorizer is not None:
        request_context["authorizer"] = dict(req.authorizer)
    return {
        "resource": req.resource_path,
        "path": req.path,
        "httpMethod": req.http_method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": dict(req.path_parameters) or None,
        "stageVariables": dict(req.stage_variables) or None,
        "requestContext": request_context,
        "body": body,
        "isBase64Encoded": is_b64,
    }


# ----------------------------------------------------------------------------- response


@dataclass
class ProxyResponse:
    status_code: int
    headers: list[tuple[str, str]]
    body: bytes


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    raise MalformedProxyResponse(f"header value must be a string, got {type(value).__name__}")


def json_object(payload: bytes | str, error: type[ValueError]) -> dict[str, Any]:
    """A function's output as a JSON object, or `error` ("not JSON", "not a JSON object")."""
    try:
        value = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise error("not JSON") from exc
    if not isinstance(value, dict):
        raise error("not a JSON object")
    return value


def parse_proxy_response(payload: bytes | str) -> ProxyResponse:
    """Map a Lambda proxy result to an HTTP response, or raise MalformedProxyResponse.

    None of the fields are required (statusCode defaults to 200, body to empty). Headers
    from `headers` and `multiValueHeaders` are merged; for a name present in both, the
    multi-value list wins. Content-Type defaults to application/json.
    """
    result = json_object(payload, MalformedProxyResponse)
    extra = set(result) - PROXY_RESPONSE_FIELDS
    if extra:
        raise MalformedProxyResponse(f"unexpected fields {sorted(extra)}")

    status = result.get("statusCode")
    if status is None:
        status_code = 200
    else:
        if isinstance(status, bool):
            raise MalformedProxyResponse("statusCode is a boolean")
        try:
            status_code = int(status)
        except (TypeError, ValueError) as exc:
            raise MalformedProxyResponse("statusCode is not a number") from exc
        if isinstance(status, float) and status != status_code:
            raise MalformedProxyResponse("statusCode is not an integer")
        if not 100 <= status_code <= 599:
            raise MalformedProxyResponse("statusCode out of range")

    merged: dict[str, tuple[str, list[str]]] = {}  # lower name -> (name, values)
    single = result.get("headers")
    if single is not None:
        if not isinstance(single, dict):
            raise MalformedProxyResponse("headers is not an object")
        for name, value in single.items():
            if value is None:
                continue
            merged[name.lower()] = (name, [_header_value(value)])
    multi = result.get("multiValueHeaders")
    if multi is not None:
        if not isinstance(multi, dict):
            raise MalformedProxyResponse("multiValueHeaders is not an object")
        for name, values in multi.items():
            if values is None:
                continue
            if not isinstance(values, list):
                values = [values]
            merged[name.lower()] = (name, [_header_value(v) for v in values if v is not None])

    body = result.get("body")
    is_b64 = result.get("isBase64Encoded", False)
    if is_b64 is None:
        is_b64 = False
    if isinstance(is_b64, str):
        is_b64 = is_b64.lower() == "true"
    if not isinstance(is_b64, bool):
        raise MalformedProxyResponse("isBase64Encoded is not a boolean")
    if body is None:
        data = b""
    elif isinstance(body, str):
        if is_b64:
            try:
                data = base64.b64decode(body, validate=False)
            except (binascii.Error, ValueError) as exc:
                raise MalformedProxyResponse("body is not valid base64") from exc
        else:
            data = body.encode("utf-8")
    else:
        raise MalformedProxyResponse("body is not a string")

    headers: list[tuple[str, str]] = []
    has_content_type = False
    for lname, (name, values) in merged.items():
        if lname in _DROPPED_RESPONSE_HEADERS:
            continue
        if not _TOKEN.match(name):
            raise MalformedProxyResponse(f"invalid header name {name!r}")
        if lname == "content-type":
            has_content_type = True
        for v in values:
            if "\r" in v or "\n" in v:
                raise MalformedProxyResponse("header value contains a line break")
            headers.append((name, v))
    if not has_content_type:
        headers.insert(0, ("Content-Type", "application/json"))
    return ProxyResponse(status_code=status_code, headers=headers, body=data)


def is_error_payload(payload: bytes | str) -> bool:
    """An `{"errorMessage": ..., "errorType": ...}` payload returned without X-Amz-Function-Error."""
    try:
        obj = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(obj, dict) and "errorMessage" in obj and not (set(obj) <= PROXY_RESPONSE_FIELDS)
