"""What the handler-level integration tests share: template.yaml as CloudFormation sees it,
AWS's DynamoDB Local with the process environment pointed at it, and a Lambda context."""
from __future__ import annotations

import importlib
import json
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from infra.cloud.dynamodb_local import DynamoDBLocal

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"


def load_template() -> dict[str, Any]:
    from cfnlint.decode import decode_str

    decoded, matches = decode_str((ROOT / "template.yaml").read_text())
    assert decoded is not None, matches
    return decoded


def create_table(client: Any, template: dict[str, Any], logical_id: str, table_name: str) -> None:
    """Create ``table_name`` as template.yaml defines ``logical_id`` (keys, indexes, stream)."""
    resource = template["Resources"][logical_id]
    assert resource["Type"] == "AWS::DynamoDB::Table", f"{logical_id} is not a table"
    properties = resource["Properties"]
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "BillingMode": properties["BillingMode"],
    }
    if properties.get("GlobalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = properties["GlobalSecondaryIndexes"]
    if properties.get("StreamSpecification"):
        kwargs["StreamSpecification"] = {"StreamEnabled": True, **properties["StreamSpecification"]}
    client.create_table(**kwargs)


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


def function_ref(template: dict[str, Any], value: Any) -> str | None:
    """The function name an environment variable's ``!Ref`` to a function stands for (in these
    tests: its logical id), or None if it refers to something else."""
    if isinstance(value, dict) and "Ref" in value:
        resource = template["Resources"].get(value["Ref"], {})
        if resource.get("Type") == "AWS::Serverless::Function":
            return value["Ref"]
    return None


class InProcessInvokes:
    """Lambda ``Invoke`` calls of a boto3 client answered in-process by the template's handlers,
    as Lambda would run them: the event is the JSON payload, the answer is serialised, and an
    exception becomes a function error (``X-Amz-Function-Error: Unhandled``, a payload with
    ``errorType`` = its class name and ``errorMessage`` = its text). botocore still serialises
    the request and parses the answer (a ``before-send`` handler: botocore's documented way to
    answer a request without sending it), so the caller's client code runs as deployed.

        with InProcessInvokes(template, {"InventoryInterfaceFunction"}).on(client): ...
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
    def on(self, client: Any) -> Iterator[InProcessInvokes]:
        client.meta.events.register_first("before-send.lambda.Invoke", self)
        try:
            yield self
        finally:
            client.meta.events.unregister("before-send.lambda.Invoke", self)
