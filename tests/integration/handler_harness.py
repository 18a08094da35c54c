"""What the handler-level integration tests share: template.yaml as CloudFormation sees it,
AWS's DynamoDB Local with the process environment pointed at it, and a Lambda context."""
from __future__ import annotations

import importlib
import json
import os
import uuid
from collections.abc import Iterator
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
