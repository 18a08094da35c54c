"""The deployed stack as a CloudFormation stack on this endpoint.

The deployer (infra/deploy) creates each resource through its own service's API, in dependency
order, as CloudFormation does, then records the stack here:

    PUT /_local/cloudformation/stacks/<StackName>
    {"Region": ..., "TemplateBody": <the template as written>, "Description": ...,
     "Parameters": [{"ParameterKey", "ParameterValue"}], "Outputs": [{"OutputKey", "OutputValue", "Description"}],
     "Resources": [{"LogicalResourceId", "PhysicalResourceId", "ResourceType"}]}
    -> 200 {"StackName", "StackStatus"}

This is the only route that is not an AWS API (LocalStack keeps its own under ``/_localstack``).
From then on CloudFormation's read API answers as for a stack CloudFormation made (moto's own
responses, see ``moto_patches.record_stack``): ``aws cloudformation describe-stacks``,
``list-stack-resources``, ``get-template``, and so the SAM CLI's ``--stack-name`` commands.

moto has no Cloud Control API, which ``sam list endpoints`` asks for each function's URL
(``GetResource`` of ``AWS::Lambda::Url``): :class:`CloudControlApi` answers that one read from
the Lambda API's own function URL configurations.
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any, Callable

from infra.cloud import moto_patches

log = logging.getLogger("embedded-cloud.cloudformation")
RECORD_PATH = re.compile(r"^/_local/cloudformation/stacks/(?P<name>[A-Za-z][A-Za-z0-9-]{0,127})$")


class StackRecordApi:
    """WSGI middleware: answers ``PUT /_local/cloudformation/stacks/<name>``, passes the rest on."""

    def __init__(self, app: Callable, account_id: str, region: str):
        self.app, self.account_id, self.region = app, account_id, region

    def __call__(self, environ: dict[str, Any], start_response: Callable):
        match = RECORD_PATH.match(environ.get("PATH_INFO", ""))
        if not match or environ.get("REQUEST_METHOD") != "PUT":
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            record = json.loads(environ["wsgi.input"].read(length) or b"{}")
            region = record.pop("Region", None) or self.region
            status = moto_patches.record_stack(self.account_id, region, {**record, "StackName": match["name"]})
        except (ValueError, KeyError, TypeError) as exc:
            return _answer(start_response, "400 Bad Request", {"message": f"not a stack record: {exc!r}"})
        log.info("stack %s recorded: %s", match["name"], status)
        return _answer(start_response, "200 OK", {"StackName": match["name"], "StackStatus": status})


def _answer(start_response: Callable, status: str, body: dict[str, Any],
            content_type: str = "application/json") -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(data)))])
    return [data]


class CloudControlApi:
    """WSGI middleware: Cloud Control's ``GetResource`` for ``AWS::Lambda::Url`` (awsJson1_0,
    ``X-Amz-Target: CloudApiService.GetResource``); any other Cloud Control call is refused
    with ``UnsupportedActionException``, the rest passes on."""

    TARGET = "CloudApiService."

    def __init__(self, app: Callable, account_id: str, region: str):
        self.app, self.account_id, self.region = app, account_id, region

    def __call__(self, environ: dict[str, Any], start_response: Callable):
        target = environ.get("HTTP_X_AMZ_TARGET") or ""
        if not target.startswith(self.TARGET):
            return self.app(environ, start_response)
        request = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) or b"{}")
        if target != self.TARGET + "GetResource" or request.get("TypeName") != "AWS::Lambda::Url":
            return _error(start_response, "UnsupportedActionException",
                          f"the local cloud answers GetResource of AWS::Lambda::Url only, not {target} {request.get('TypeName')}")
        identifier = request.get("Identifier") or ""
        url = self._function_url(identifier)
        if url is None:
            return _error(start_response, "ResourceNotFoundException",
                          f"AWS::Lambda::Url with identifier '{identifier}' is not found")
        properties = {"TargetFunctionArn": url["FunctionArn"], "FunctionUrl": url["FunctionUrl"],
                      "AuthType": url["AuthType"]}
        return _answer(start_response, "200 OK", {"TypeName": "AWS::Lambda::Url", "ResourceDescription": {
            "Identifier": identifier, "Properties": json.dumps(properties)}}, "application/x-amz-json-1.0")

    def _function_url(self, identifier: str) -> dict[str, Any] | None:
        from moto.awslambda.exceptions import UnknownFunctionException
        from moto.awslambda.utils import get_backend

        region = identifier.split(":")[3] if identifier.startswith("arn:") else self.region
        try:
            function = get_backend(self.account_id, region).get_function(identifier)
        except UnknownFunctionException:
            return None
        return function.url_config.to_dict() if function.url_config else None


def _error(start_response: Callable, code: str, message: str) -> list[bytes]:
    return _answer(start_response, "400 Bad Request", {"__type": code, "message": message},
                   "application/x-amz-json-1.0")
