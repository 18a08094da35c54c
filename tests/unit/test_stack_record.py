"""The deployer's stack record, as CloudFormation's read API gives it back (moto in-process, the
same backend and responses the embedded cloud serves; the endpoint itself, the deployer and the
SAM CLI on it: tests/integration/test_sam_cli.py)."""
from __future__ import annotations

import json
import os
from io import BytesIO

import boto3
import pytest
from moto import mock_aws

from infra.cloud import moto_patches
from infra.cloud.cloudformation import CloudControlApi, StackRecordApi
from infra.deploy.deployer import StackResult
from infra.deploy.resources import Provisioned
from infra.deploy.stack_record import stack_record

TEMPLATE = "Transform: AWS::Serverless-2016-10-31\nDescription: shop\nResources: {}\n"
CFN = {"Description": "shop",
       "Parameters": {"StageName": {"Type": "String"}, "AdminApiKeyValue": {"Type": "String", "NoEcho": True}},
       "Outputs": {"ApiUrl": {"Description": "Base URL", "Value": {"Fn::Sub": "..."}}, "TableName": {"Value": "x"}}}


def _result(function_name: str = "retail-InventoryFunction") -> StackResult:
    return StackResult(
        "retail",
        {"InventoryFunction": Provisioned(function_name, {"Arn": "arn:aws:lambda:::function:" + function_name}),
         "OrderSaga": Provisioned("arn:aws:states:us-east-1:123456789012:stateMachine:retail-OrderSaga")},
        {"InventoryFunction": "AWS::Lambda::Function", "OrderSaga": "AWS::StepFunctions::StateMachine"},
        {"ApiUrl": "https://abc.execute-api.us-east-1.amazonaws.com/prod", "TableName": "retail-Products"},
        {"StageName": "prod", "AdminApiKeyValue": "secret-value-of-the-key"},
    )


@pytest.fixture
def cfn(monkeypatch):
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:   # moto's in-process mock, not an endpoint
        monkeypatch.delenv(name)
    with mock_aws():
        yield boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")


def test_the_record_is_what_cloudformation_keeps_of_a_stack():
    record = stack_record(_result(), TEMPLATE, CFN, "us-east-1")
    assert record["TemplateBody"] == TEMPLATE and record["Description"] == "shop"
    assert {"ParameterKey": "AdminApiKeyValue", "ParameterValue": "****"} in record["Parameters"]   # NoEcho
    assert {"ParameterKey": "StageName", "ParameterValue": "prod"} in record["Parameters"]
    assert {"LogicalResourceId": "InventoryFunction", "PhysicalResourceId": "retail-InventoryFunction",
            "ResourceType": "AWS::Lambda::Function"} in record["Resources"]
    assert {"OutputKey": "ApiUrl", "OutputValue": "https://abc.execute-api.us-east-1.amazonaws.com/prod",
            "Description": "Base URL"} in record["Outputs"]
    assert {"OutputKey": "TableName", "OutputValue": "retail-Products"} in record["Outputs"]


def test_a_recorded_stack_answers_the_read_api(cfn):
    status = moto_patches.record_stack("123456789012", "us-east-1",
                                       {"StackName": "retail", **stack_record(_result(), TEMPLATE, CFN, "us-east-1")})
    assert status == "CREATE_COMPLETE"
    stack = cfn.describe_stacks(StackName="retail")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE" and stack["Description"] == "shop"
    assert {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["TableName"] == "retail-Products"
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}["AdminApiKeyValue"] == "****"
    summaries = cfn.list_stack_resources(StackName="retail")["StackResourceSummaries"]
    assert {(s["LogicalResourceId"], s["PhysicalResourceId"], s["ResourceType"]) for s in summaries} == {
        ("InventoryFunction", "retail-InventoryFunction", "AWS::Lambda::Function"),
        ("OrderSaga", "arn:aws:states:us-east-1:123456789012:stateMachine:retail-OrderSaga",
         "AWS::StepFunctions::StateMachine")}
    detail = cfn.describe_stack_resource(StackName="retail", LogicalResourceId="OrderSaga")["StackResourceDetail"]
    assert detail["ResourceType"] == "AWS::StepFunctions::StateMachine"
    assert [r["LogicalResourceId"] for r in cfn.describe_stack_resources(
        StackName="retail", LogicalResourceId="InventoryFunction")["StackResources"]] == ["InventoryFunction"]
    assert cfn.get_template(StackName="retail")["TemplateBody"] == TEMPLATE
    assert [s["StackName"] for s in cfn.list_stacks()["StackSummaries"]] == ["retail"]


def test_a_second_deploy_updates_the_stack_only_when_something_changed(cfn):
    record = {"StackName": "retail", **stack_record(_result(), TEMPLATE, CFN, "us-east-1")}
    assert moto_patches.record_stack("123456789012", "us-east-1", record) == "CREATE_COMPLETE"
    assert moto_patches.record_stack("123456789012", "us-east-1", dict(record)) == "CREATE_COMPLETE"
    changed = {"StackName": "retail", **stack_record(_result("retail-Renamed"), TEMPLATE, CFN, "us-east-1")}
    assert moto_patches.record_stack("123456789012", "us-east-1", changed) == "UPDATE_COMPLETE"
    stack = cfn.describe_stacks(StackName="retail")["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE" and "LastUpdatedTime" in stack
    assert [s["PhysicalResourceId"] for s in cfn.list_stack_resources(StackName="retail")["StackResourceSummaries"]
            if s["LogicalResourceId"] == "InventoryFunction"] == ["retail-Renamed"]
    events = [e["ResourceStatus"] for e in cfn.describe_stack_events(StackName="retail")["StackEvents"]]
    assert events == ["UPDATE_COMPLETE", "UPDATE_IN_PROGRESS", "CREATE_COMPLETE", "CREATE_IN_PROGRESS"]   # newest first


def _put(app, path: str, body: bytes) -> tuple[str, dict]:
    seen = {}
    out = app({"REQUEST_METHOD": "PUT", "PATH_INFO": path, "CONTENT_LENGTH": str(len(body)),
               "wsgi.input": BytesIO(body)}, lambda status, headers: seen.update(status=status))
    return seen["status"], json.loads(b"".join(out))


def test_the_endpoint_route_records_a_stack_and_refuses_what_is_not_a_record(cfn):
    passed = []
    app = StackRecordApi(lambda environ, start: passed.append(environ["PATH_INFO"]) or [b""], "123456789012",
                         "us-east-1")
    record = json.dumps(stack_record(_result(), TEMPLATE, CFN, "us-east-1")).encode()
    assert _put(app, "/_local/cloudformation/stacks/retail", record) == (
        "200 OK", {"StackName": "retail", "StackStatus": "CREATE_COMPLETE"})
    assert cfn.describe_stacks(StackName="retail")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    status, body = _put(app, "/_local/cloudformation/stacks/other", b'{"TemplateBody": "x"}')   # no Resources
    assert status == "400 Bad Request" and "Resources" in body["message"]
    app({"REQUEST_METHOD": "GET", "PATH_INFO": "/", "wsgi.input": BytesIO()}, lambda *a: None)
    assert passed == ["/"]   # everything else is moto's


def _cloud_control(app, target: str, request: dict) -> tuple[str, dict]:
    seen = {}
    body = json.dumps(request).encode()
    out = app({"REQUEST_METHOD": "POST", "PATH_INFO": "/", "HTTP_X_AMZ_TARGET": target,
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": BytesIO(body)},
              lambda status, headers: seen.update(status=status))
    return seen["status"], json.loads(b"".join(out))


def test_cloud_control_reads_a_functions_url_as_sam_list_endpoints_asks(cfn):
    import io
    import zipfile

    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("app.py", "def handler(e, c): return e\n")
    iam = boto3.client("iam", region_name="us-east-1")
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam = boto3.client("lambda", region_name="us-east-1")
    for name in ("with-url", "without-url"):
        lam.create_function(FunctionName=name, Runtime="python3.11", Role=role, Handler="app.handler",
                            Code={"ZipFile": code.getvalue()})
    url = lam.create_function_url_config(FunctionName="with-url", AuthType="NONE")["FunctionUrl"]
    app = CloudControlApi(lambda environ, start: [b"moto"], "123456789012", "us-east-1")

    status, body = _cloud_control(app, "CloudApiService.GetResource", {"TypeName": "AWS::Lambda::Url",
                                                                         "Identifier": "with-url"})
    assert status == "200 OK" and json.loads(body["ResourceDescription"]["Properties"])["FunctionUrl"] == url
    for identifier in ("without-url", "no-such-function"):
        status, body = _cloud_control(app, "CloudApiService.GetResource", {"TypeName": "AWS::Lambda::Url",
                                                                             "Identifier": identifier})
        assert (status, body["__type"]) == ("400 Bad Request", "ResourceNotFoundException")
    status, body = _cloud_control(app, "CloudApiService.ListResources", {"TypeName": "AWS::Lambda::Function"})
    assert body["__type"] == "UnsupportedActionException"


def test_an_endpoint_without_the_route_is_warned_about_not_an_error(caplog):
    """LocalStack (make deploy-localstack) answers the route with an error or something else."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from infra.deploy.stack_record import record_stack

    answers = iter([(404, b"<Error>NoSuchBucket</Error>"), (200, b"<xml/>")])

    class Other(BaseHTTPRequestHandler):
        def do_PUT(self):
            status, body = next(answers)
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Other)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for _ in range(2):
            assert record_stack(f"http://127.0.0.1:{server.server_port}", "retail", {"Resources": []}) is None
    finally:
        server.shutdown()
    assert len([r for r in caplog.records if "keeps no CloudFormation stack record" in r.getMessage()]) == 2
