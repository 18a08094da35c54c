"""What the handler-level integration tests share: template.yaml as CloudFormation sees it,
AWS's DynamoDB Local with the process environment pointed at it, the tables and environment
the template gives a set of functions, REST proxy (v1) events, the template's routes called
in-process, and a Lambda context.

    envs = create_tables(template, ["RetailFunction"], endpoint)   # {function: its environment}
    api = RestApi(template, {"RetailFunction": retail.handlers.api.lambda_handler})
    reply = api("POST", "/api/v1/stores", body={...})               # Reply(status, body, headers)
"""
from __future__ import annotations

import base64
import importlib
import io
import json
import os
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra.cloud.dynamodb_local import DynamoDBLocal

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"


def load_template() -> dict[str, Any]:
    from cfnlint.decode import decode_str

    decoded, matches = decode_str((ROOT / "template.yaml").read_text())
    assert decoded is not None, matches
    return decoded


def dynamodb_local_endpoint() -> Iterator[str]:
    """Generator for a fixture: DynamoDB Local up, AWS_* variables pointing at it, then undone."""
    server = DynamoDBLocal().start()
    endpoint = f"http://127.0.0.1:{server.port}"
    patch = pytest.MonkeyPatch()
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_SESSION_TOKEN"):
        patch.delenv(name, raising=False)
    patch.setenv("AWS_ENDPOINT_URL", endpoint)
    patch.setenv("AWS_REGION", REGION)
    patch.setenv("AWS_DEFAULT_REGION", REGION)
    patch.setenv("AWS_ACCESS_KEY_ID", "testing")
    patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    try:
        yield endpoint
    finally:
        patch.undo()
        server.stop()


@dataclass
class FakeContext:
    """The LambdaContext attributes powertools reads."""

    function_name: str = "function"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_stream_name: str = "test"
    remaining_ms: int = 10_000

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:123456789012:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def handler_module(name: str):
    """The handler module, as a Lambda worker imports it (with its environment)."""
    module = importlib.import_module(name)
    # powertools' Metrics reads its namespace when the module is first imported: if another test
    # imported it without Lambda's environment, give it the one the template sets
    if module.metrics.provider.namespace is None:
        module.metrics.provider.namespace = os.environ["POWERTOOLS_METRICS_NAMESPACE"]
    return module


def invoke_as_lambda(template: dict[str, Any], function: str, event: dict[str, Any]) -> dict[str, Any]:
    """Run ``function``'s handler (as template.yaml names it) on ``event`` the way Lambda does:
    the handler gets the parsed JSON document, and what it returns is serialised."""
    module_name, _, handler_name = template["Resources"][function]["Properties"]["Handler"].rpartition(".")
    handler = getattr(handler_module(module_name), handler_name)
    output = handler(json.loads(json.dumps(event)), FakeContext(function_name=function))
    return json.loads(json.dumps(output))


# ---------------------------------------------------------------- tables and environments
def create_tables(template: dict[str, Any], functions: Iterable[str], endpoint: str) -> dict[str, dict[str, str]]:
    """Create every table the functions' environments ``!Ref`` (once each, as the template
    defines it: keys, indexes, stream) and return each function's environment: the template's
    Globals, then the function's own variables, a ``!Ref`` to a table being the created table's
    name and one to a function its logical id (other references are left out). A key, an index
    or a variable missing from the template fails here."""
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION)
    resources = template["Resources"]
    suffix = uuid.uuid4().hex[:8]
    globals_env = {k: v for k, v in template["Globals"]["Function"]["Environment"]["Variables"].items() if isinstance(v, str)}
    created: dict[str, str] = {}
    envs: dict[str, dict[str, str]] = {}
    for function in functions:
        env = dict(globals_env)
        for name, value in resources[function]["Properties"]["Environment"]["Variables"].items():
            if isinstance(value, str):
                env[name] = value
                continue
            logical_id = value.get("Ref") if isinstance(value, dict) else None
            kind = resources.get(logical_id, {}).get("Type")
            if kind == "AWS::Serverless::Function":   # a function these tests call by its logical id
                env[name] = logical_id
                continue
            if kind != "AWS::DynamoDB::Table":          # an ARN, a parameter...: not for these tests
                continue
            if logical_id not in created:
                properties = resources[logical_id]["Properties"]
                kwargs: dict[str, Any] = {
                    "TableName": f"{logical_id}-{suffix}",
                    "AttributeDefinitions": properties["AttributeDefinitions"],
                    "KeySchema": properties["KeySchema"],
                    "BillingMode": properties["BillingMode"],
                }
                if properties.get("GlobalSecondaryIndexes"):
                    kwargs["GlobalSecondaryIndexes"] = properties["GlobalSecondaryIndexes"]
                if properties.get("StreamSpecification"):
                    kwargs["StreamSpecification"] = {"StreamEnabled": True, **properties["StreamSpecification"]}
                client.create_table(**kwargs)
                created[logical_id] = kwargs["TableName"]
            env[name] = created[logical_id]
        envs[function] = env
    return envs


def environment(envs: Iterable[dict[str, str]], **overrides: str) -> Iterator[dict[str, str]]:
    """Generator for a fixture: os.environ holds the union of the functions' environments (a
    variable names the same table in each) plus ``overrides``, tracing off; then undone."""
    merged: dict[str, str] = {}
    for env in envs:
        merged.update(env)
    merged.update({"POWERTOOLS_TRACE_DISABLED": "true", **overrides})
    patch = pytest.MonkeyPatch()
    for name, value in merged.items():
        patch.setenv(name, value)
    try:
        yield merged
    finally:
        patch.undo()


# ---------------------------------------------------------------- REST proxy events
def rest_event(
    method: str,
    path: str,
    *,
    resource: str | None = None,
    path_parameters: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    body: Any = None,
    raw_body: str | None = None,
    headers: dict[str, str] | None = None,
    base64_body: bool = False,
    authorizer: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy (v1) event, shaped like powertools' apiGatewayProxyEvent.json."""
    resource = resource or path
    headers = {"Content-Type": "application/json", "x-api-key": "test-key", **(headers or {})}
    if raw_body is None and body is not None:
        raw_body = json.dumps(body)
    if raw_body is not None and base64_body:
        raw_body = base64.b64encode(raw_body.encode()).decode()
    return {
        "version": "1.0",
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {key: [value] for key, value in headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {key: [value] for key, value in query.items()} if query else None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "retailapi",
            "domainName": "retailapi.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "retailapi",
            "extendedRequestId": "request-id",
            "httpMethod": method,
            "identity": {"sourceIp": "192.168.0.1", "userAgent": "pytest", "apiKey": "test-key"},
            "path": f"/prod{path}",
            "protocol": "HTTP/1.1",
            "requestId": str(uuid.uuid4()),
            "requestTime": "04/Mar/2020:19:15:17 +0000",
            "requestTimeEpoch": 1583349317135,
            "resourceId": "abc123",
            "resourcePath": resource,
            "stage": "prod",
            **({"authorizer": authorizer} if authorizer else {}),
        },
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "body": raw_body,
        "isBase64Encoded": base64_body,
    }


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    stdout: str = ""   # what the handler printed (its log lines), when the call captured it

    @property
    def error_code(self) -> str | None:
        return self.body["error"]["code"] if isinstance(self.body, dict) and "error" in self.body else None

    @property
    def details(self) -> list[dict[str, Any]]:
        return self.body["error"]["details"]


def assert_error_shape(reply: Reply) -> None:
    assert isinstance(reply.body, dict) and set(reply.body) == {"error"}, reply.body
    error = reply.body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    assert isinstance(error["details"], list)


class RestApi:
    """The API routes template.yaml wires to some functions, called in-process as API Gateway's
    proxy integration would: the route found from the template's events (a request no event
    matches fails, unless ``wired=False``), the function's handler called with its event.
    A 5xx fails the test; a 4xx must have the error shape."""

    def __init__(self, template: dict[str, Any], handlers: dict[str, Callable[..., dict[str, Any]]]) -> None:
        self.handlers = handlers
        self.routes = [
            (function, event["Properties"]["Method"].upper(), event["Properties"]["Path"])
            for function in handlers
            for event in template["Resources"][function]["Properties"]["Events"].values()
            if event["Type"] == "Api"
        ]

    def match(self, method: str, path: str) -> tuple[str, str, dict[str, str]] | None:
        for function, route_method, resource in self.routes:
            if route_method != method:
                continue
            pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(resource)) + "$"
            found = re.match(pattern, path)
            if found:
                return function, resource, found.groupdict()
        return None

    def __call__(self, method: str, path: str, *, wired: bool = True, capture: bool = False,
                 server_error: bool = False, **kwargs: Any) -> Reply:
        """Call the route's handler with a REST proxy event; a 5xx fails the test unless it stages
        a server-side failure (``server_error``)."""
        matched = self.match(method, path)
        if wired:
            assert matched, f"{method} {path} is not wired in template.yaml"
        function, resource, params = matched or (next(iter(self.handlers)), path, {})
        event = rest_event(method, path, resource=resource, path_parameters=params, **kwargs)
        out = io.StringIO()
        if capture:
            with redirect_stdout(out):
                response = self.handlers[function](event, FakeContext(function_name=function, remaining_ms=60_000))
        else:
            response = self.handlers[function](event, FakeContext(function_name=function, remaining_ms=60_000))
        text = response.get("body") or ""
        if response.get("isBase64Encoded"):
            text = base64.b64decode(text).decode()
        reply = Reply(response["statusCode"], json.loads(text) if text else None, response.get("headers") or {}, out.getvalue())
        assert reply.status < 500 or server_error, f"{method} {path} -> {reply.status} {reply.body}"
        if reply.status >= 400:
            assert_error_shape(reply)
        return reply


def all_pages(call: Callable[..., Reply], path: str, query: dict[str, str]) -> tuple[list[dict[str, Any]], int]:
    """Every item of a paginated listing, following ``next_token``; and how many pages it took."""
    items: list[dict[str, Any]] = []
    pages, token = 0, None
    while True:
        reply = call("GET", path, query={**query, **({"next_token": token} if token else {})})
        assert reply.status == 200, reply.body
        pages += 1
        items.extend(reply.body["items"])
        token = reply.body["next_token"]
        if token is None:
            return items, pages
        assert pages < 500, f"{path} never ends"


# ---------------------------------------------------------------- Lambda invokes between functions
class InProcessInvokes:
    """Lambda ``Invoke`` calls of a boto3 client answered in-process by the template's handlers,
    as Lambda would run them: the event is the JSON payload, the answer is serialised, and an
    exception becomes a function error (``X-Amz-Function-Error: Unhandled``, a payload with
    ``errorType`` = its class name and ``errorMessage`` = its text). botocore still serialises
    the request and parses the answer (a ``before-send`` handler: botocore's documented way to
    answer a request without sending it), so the caller's client code runs as deployed.

        with InProcessInvokes(template, {"InventoryInterfaceFunction"}).installed(): ...
    """

    INVOKE = re.compile(r"/2015-03-31/functions/(?P<name>[^/]+)/invocations")

    def __init__(self, template: dict[str, Any], functions: set[str]) -> None:
        self.template, self.functions = template, functions
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, request: Any, **_: Any) -> Any:
        from urllib.parse import unquote

        from botocore.awsrequest import AWSResponse
        from moto.core.botocore_stubber import MockRawResponse

        found = self.INVOKE.search(request.url)
        if request.method != "POST" or not found:
            return None
        name = unquote(found["name"]).rsplit(":", 1)[-1]
        if name not in self.functions:
            body = json.dumps({"Type": "User", "message": f"Function not found: {name}"}).encode()
            return AWSResponse(request.url, 404, {"x-amzn-ErrorType": "ResourceNotFoundException"}, MockRawResponse(body))
        event = json.loads(request.body or b"null")
        self.calls.append((name, event))
        headers = {"Content-Type": "application/json", "X-Amz-Executed-Version": "$LATEST"}
        try:
            payload = invoke_as_lambda(self.template, name, event)
        except Exception as exc:  # as awslambdaric reports an unhandled error
            payload = {"errorMessage": str(exc), "errorType": type(exc).__name__, "requestId": "", "stackTrace": []}
            headers["X-Amz-Function-Error"] = "Unhandled"
        return AWSResponse(request.url, 200, headers, MockRawResponse(json.dumps(payload).encode()))

    @contextmanager
    def installed(self) -> Iterator[InProcessInvokes]:
        """Answer the Invoke calls of every Lambda client the code under test makes: the handler
        goes on boto3's default session, whose handlers each new client copies, and the shared
        clients (``shared.aws``, one per read timeout) are made anew inside the block."""
        import boto3

        from shared import aws

        session = boto3._get_default_session()
        session.events.register_first("before-send.lambda.Invoke", self)
        kept, aws._clients = aws._clients, {}
        try:
            yield self
        finally:
            session.events.unregister("before-send.lambda.Invoke", self)
            aws._clients = kept
