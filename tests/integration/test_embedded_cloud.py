"""The embedded cloud as an AWS endpoint: the CLI, the Lambda API, Step Functions running the
real handler through the local runtime, logs, and the deployer's idempotency."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from infra.deploy import deploy
from infra.deploy.build import CodeSource
from infra.deploy.resources import code_sha256
from infra.deploy.template import load_yaml
from sagas.logic.history import execution_of

pytestmark = pytest.mark.integration  # starts the whole stack (the session's session_stack)

ROOT = Path(__file__).resolve().parents[2]
ECHO_STACK = Path(__file__).parent / "fixtures" / "echo_stack" / "template.yaml"


def aws_cli(session_stack, *args: str) -> dict:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": session_stack.region}
    result = subprocess.run([str(Path(sys.executable).parent / "aws"), "--endpoint-url", session_stack.endpoint_url,
                             "--output", "json", *args], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else {}


@pytest.fixture(scope="module")
def echo_stack(session_stack):
    return deploy(session_stack.endpoint_url, template_path=ECHO_STACK, stack_name="echo",
                  region=session_stack.region)


def test_cli_lists_the_inventory_tables(session_stack):
    tables = aws_cli(session_stack, "dynamodb", "list-tables")["TableNames"]
    assert any(t.startswith("retail-") and "Product" in t for t in tables), tables


def test_cli_lambda_invoke_runs_the_real_handler(session_stack, tmp_path):
    out = tmp_path / "out.json"
    event = {"resource": "/api/v1/health/details", "path": "/api/v1/health/details", "httpMethod": "GET",
             "headers": {}, "requestContext": {"requestId": "cli-test", "stage": "prod"}}
    meta = aws_cli(session_stack, "lambda", "invoke", "--function-name", "retail-HealthFunction",
                   "--payload", json.dumps(event), str(out))
    assert meta["StatusCode"] == 200 and "FunctionError" not in meta
    response = json.loads(out.read_text())
    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    assert body["status"] == "healthy"
    assert [d["status"] for d in body["dependencies"] if d["type"] == "stepfunctions"] == ["ACTIVE"]


def test_every_deployed_function_runs_its_own_domain_s_package(aws, session_stack):
    """Per-domain packaging (docs/adr/0002-per-domain-packaging.md): each function of the stack
    runs the package `make build-<LogicalId>` of functions/Makefile builds, as `sam build` would:
    its handler's domain and the shared package; one package per domain (the function serving
    the OpenAPI document has that document too)."""
    resources = load_yaml(ROOT / "template.yaml")["Resources"]
    packages = {}
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        built = CodeSource(ROOT / "functions", logical_id).package()
        deployed = aws("lambda").get_function_configuration(FunctionName=session_stack.stack.physical_id(logical_id))
        assert deployed["CodeSha256"] == code_sha256(built), logical_id
        if logical_id != "InventoryFunction":
            packages.setdefault(resource["Properties"]["Handler"].split(".")[0], set()).add(deployed["CodeSha256"])
    assert len(packages) >= 9 and all(len(shas) == 1 for shas in packages.values()), packages
    assert len(set().union(*packages.values())) == len(packages)


def test_the_deployed_openapi_route_serves_the_whole_api_s_document(aws, session_stack):
    """The function serving GET /api/v1/openapi.json has its own domain's code only: its package
    holds the generated docs/openapi.json (functions/Makefile), which it serves."""
    event = {"resource": "/api/v1/openapi.json", "path": "/api/v1/openapi.json", "httpMethod": "GET",
             "headers": {}, "requestContext": {"requestId": "openapi-test", "stage": session_stack.stage}}
    reply = aws("lambda").invoke(FunctionName=session_stack.stack.physical_id("InventoryFunction"),
                                 Payload=json.dumps(event).encode())
    response = json.loads(reply["Payload"].read())
    assert "FunctionError" not in reply and response["statusCode"] == 200, response
    assert json.loads(response["body"]) == json.loads((ROOT / "docs" / "openapi.json").read_text())


def test_the_stage_has_the_templates_access_log_settings(aws, session_stack):
    apigw = aws("apigateway")
    api = next(a for a in apigw.get_rest_apis()["items"] if a["name"] == session_stack.api_name)
    settings = apigw.get_stage(restApiId=api["id"], stageName=session_stack.stage)["accessLogSettings"]
    group = f"/aws/apigateway/{session_stack.stack_name}-access"
    assert settings["destinationArn"].split(":log-group:")[1].removesuffix(":*") == group
    assert '"requestId":"$context.requestId"' in settings["format"]
    assert any(g["logGroupName"] == group for g in aws("logs").describe_log_groups(logGroupNamePrefix=group)["logGroups"])


def test_invoke_api_unknown_function_is_404(aws):
    with pytest.raises(aws("lambda").exceptions.ResourceNotFoundException):
        aws("lambda").invoke(FunctionName="no-such-function", Payload=b"{}")


def test_function_gets_its_template_environment_and_logs_land_in_cloudwatch(aws, echo_stack):
    fn = echo_stack.physical_id("EchoFunction")
    result = aws("lambda").invoke(FunctionName=fn, Payload=json.dumps({"n": 1}), LogType="Tail")
    body = json.loads(result["Payload"].read())
    assert body["greeting"] == "hello-from-template"
    assert body["table"] == echo_stack.physical_id("EchoTable")
    assert body["function_name"] == fn
    tail = base64.b64decode(result["LogResult"]).decode()
    assert "echo invoked with {'n': 1}" in tail and "REPORT RequestId" in tail
    logs = aws("logs")
    for _ in range(50):  # log shipping is batched in the background
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{fn}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []  # the group appears with the first batch
        if any("echo invoked with {'n': 1}" in e["message"] for e in events):
            break
        time.sleep(0.1)
    else:
        pytest.fail("the function's output never reached CloudWatch Logs")


def test_a_configuration_update_gives_new_workers_with_the_new_environment(aws, echo_stack):
    """As on AWS, UpdateFunctionConfiguration retires the warm execution environments."""
    fn, lam = echo_stack.physical_id("EchoFunction"), aws("lambda")
    before = json.loads(lam.invoke(FunctionName=fn, Payload=b"{}")["Payload"].read())
    variables = lam.get_function_configuration(FunctionName=fn)["Environment"]["Variables"]
    try:
        lam.update_function_configuration(FunctionName=fn, Environment={"Variables": {**variables, "GREETING": "updated"}})
        after = json.loads(lam.invoke(FunctionName=fn, Payload=b"{}")["Payload"].read())
        assert after["greeting"] == "updated" and after["pid"] != before["pid"]
    finally:
        lam.update_function_configuration(FunctionName=fn, Environment={"Variables": variables})
    assert json.loads(lam.invoke(FunctionName=fn, Payload=b"{}")["Payload"].read())["greeting"] == "hello-from-template"


def test_handler_exception_is_a_function_error_with_aws_shape(aws, echo_stack):
    result = aws("lambda").invoke(FunctionName=echo_stack.physical_id("EchoFunction"),
                                  Payload=json.dumps({"fail": True}))
    assert result["FunctionError"] == "Unhandled"
    error = json.loads(result["Payload"].read())
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "asked to fail"
    assert isinstance(error["stackTrace"], list) and error["stackTrace"]


def test_step_functions_task_runs_the_handler_through_the_runtime(aws, echo_stack):
    sfn = aws("stepfunctions")
    arn = echo_stack.outputs["StateMachineArn"]
    definition = sfn.describe_state_machine(stateMachineArn=arn)["definition"]
    assert "${EchoFunctionArn}" not in definition, "DefinitionSubstitutions were not applied"
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"order": 7}))["executionArn"]
    for _ in range(300):
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            break
        time.sleep(0.1)
    assert described["status"] == "SUCCEEDED", described
    # started without a name: Step Functions names it with a UUID, and lists it by that name
    name = execution.rsplit(":", 1)[-1]
    assert str(uuid.UUID(name)) == name
    assert name in [e["name"] for e in sfn.list_executions(stateMachineArn=arn)["executions"]]
    output = json.loads(described["output"])
    assert output["greeting"] == "hello-from-template"
    assert output["event"]["first"]["event"] == {"order": 7}
    history = sfn.get_execution_history(executionArn=execution)["events"]
    assert sum(e["type"] == "TaskSucceeded" or e["type"] == "LambdaFunctionSucceeded" for e in history) == 2
    # the saga API reads an execution from its history alone: it must agree with DescribeExecution
    from_history = execution_of(execution, history)
    assert from_history["name"] == execution.rsplit(":", 1)[-1]
    assert (from_history["executionArn"], from_history["status"]) == (execution, described["status"])
    for key in ("input", "output"):  # the same JSON (moto spaces DescribeExecution's differently)
        assert json.loads(from_history[key]) == json.loads(described[key]), key
    for key in ("startDate", "stopDate"):
        assert abs((from_history[key] - described[key]).total_seconds()) < 0.1, key


def test_reserved_concurrency_from_the_template_reaches_the_function(aws, echo_stack):
    concurrency = aws("lambda").get_function_concurrency(FunctionName=echo_stack.physical_id("EchoFunction"))
    assert concurrency["ReservedConcurrentExecutions"] == 2


def test_deploying_again_changes_nothing(aws, session_stack, echo_stack):
    again = deploy(session_stack.endpoint_url, template_path=ECHO_STACK, stack_name="echo", region=session_stack.region)
    assert again.changes == []
    assert again.outputs == echo_stack.outputs
    # as CloudFormation: a deploy that changes nothing leaves the stack as it was (no UPDATE_COMPLETE)
    assert aws("cloudformation").describe_stacks(StackName="echo")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    main = deploy(session_stack.endpoint_url, stack_name=session_stack.stack_name, region=session_stack.region,
                  parameters=session_stack.parameters)
    assert main.changes == []


def test_moto_seams_still_hold(monkeypatch):
    """The places we rely on moto internals (pinned in pyproject.toml): the Lambda backend the
    endpoint reads functions from, and the port moto's Step Functions interpreter calls. If moto
    moves them, this fails loudly instead of the system silently not running handlers."""
    import io
    import zipfile

    import boto3
    from moto import mock_aws
    from moto.stepfunctions.parser.asl.utils import boto_client

    from infra.cloud.server import configure_moto, function_resolver

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # moto's in-process mock, not an endpoint
    configure_moto()
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as zf:
        zf.writestr("app.py", "def handler(e, c): return e\n")
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        role = iam.create_role(RoleName="seam", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        boto3.client("lambda", region_name="us-east-1").create_function(
            FunctionName="seam", Runtime="python3.11", Role=role, Handler="app.handler",
            Code={"ZipFile": package.getvalue()}, Timeout=7, MemorySize=256,
            Environment={"Variables": {"A": "1"}})
        spec = function_resolver("us-east-1")("seam")
    assert (spec.handler, spec.timeout, spec.memory_size, spec.environment) == ("app.handler", 7.0, 256, {"A": "1"})
    assert spec.code_zip == package.getvalue() and spec.code_sha256
    assert "moto_server_port" in boto_client.boto_client_for.__code__.co_names



def _wait_for_item(ddb, table: str, key: str, seconds: float = 10.0) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        item = ddb.get_item(TableName=table, Key={"id": {"S": key}}).get("Item")
        if item:
            return item
        time.sleep(0.1)
    pytest.fail(f"{key} never appeared in {table}")


def test_dynamodb_stream_reaches_the_function_through_its_event_source_mapping(aws, echo_stack):
    consumer = echo_stack.physical_id("StreamConsumerFunction")
    mappings = aws("lambda").list_event_source_mappings(FunctionName=consumer)["EventSourceMappings"]
    assert len(mappings) == 1 and mappings[0]["State"] == "Enabled"
    assert "/stream/" in mappings[0]["EventSourceArn"]
    ddb = aws("dynamodb")
    ddb.put_item(TableName=echo_stack.outputs["SourceTableName"], Item={"id": {"S": "order-1"}})
    seen = _wait_for_item(ddb, echo_stack.physical_id("EchoTable"), "seen-order-1")
    assert seen["event_name"]["S"] == "INSERT"
    assert seen["source_arn"]["S"] == mappings[0]["EventSourceArn"]


def test_a_reported_batch_item_failure_is_delivered_again(aws, echo_stack):
    ddb = aws("dynamodb")
    ddb.put_item(TableName=echo_stack.outputs["SourceTableName"],
                 Item={"id": {"S": "flaky-1"}, "fail_once": {"BOOL": True}})
    seen = _wait_for_item(ddb, echo_stack.physical_id("EchoTable"), "seen-flaky-1")
    assert seen["attempts"]["N"] == "2"
