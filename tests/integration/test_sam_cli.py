"""The deployed stack as CloudFormation shows it, and the real SAM CLI's ``--stack-name``
commands against the local cloud, run as a developer types them (``AWS_ENDPOINT_URL`` in the
environment, dummy credentials); and `sam build`, which builds the packages the deployer deploys."""
from __future__ import annotations

import base64
import json
import os
import re
import selectors
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infra.deploy.build import CodeSource
from infra.deploy.resources import package_folder
from infra.deploy.template import load_yaml

ROOT = Path(__file__).resolve().parents[2]
SAM = Path(sys.executable).with_name("sam")


def sam_env(session_stack) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {**env, "AWS_ENDPOINT_URL": session_stack.endpoint_url, "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": session_stack.region, "AWS_REGION": session_stack.region,
            "SAM_CLI_TELEMETRY": "0"}


def sam(session_stack, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    result = subprocess.run([str(SAM), *args], cwd=ROOT, env=sam_env(session_stack), capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"sam {' '.join(args)}\n{result.stdout}\n{result.stderr}"
    return result


def sam_json(session_stack, *args: str) -> object:
    return json.loads(sam(session_stack, *args, "--output", "json").stdout)


# ---------------------------------------------------------------- CloudFormation's API
def test_the_stack_is_a_cloudformation_stack(aws, session_stack):
    cfn = aws("cloudformation")
    stack = cfn.describe_stacks(StackName=session_stack.stack_name)["Stacks"][0]
    assert stack["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert outputs == {k: str(v) for k, v in session_stack.stack.outputs.items()}
    assert outputs["OrderSagaStateMachineArn"] == session_stack.stack.physical_id("OrderSagaStateMachine")
    assert outputs["InventoryProductsTableName"] == session_stack.stack.physical_id("InventoryProductsTable")
    assert outputs["AdminApiKeyId"] == session_stack.stack.physical_id("AdminApiKey")
    assert outputs["ApiUrl"].startswith(f"https://{session_stack.stack.physical_id('RetailApi')}.execute-api.")
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert parameters["StageName"] == session_stack.stage and parameters["AdminApiKeyValue"] == "****"   # NoEcho

    listed = [s for page in cfn.get_paginator("list_stack_resources").paginate(StackName=session_stack.stack_name)
              for s in page["StackResourceSummaries"]]
    assert {s["LogicalResourceId"]: (s["PhysicalResourceId"], s["ResourceType"]) for s in listed} == {
        lid: (str(made.ref), session_stack.stack.resource_types[lid]) for lid, made in session_stack.stack.resources.items()}
    detail = cfn.describe_stack_resource(StackName=session_stack.stack_name,
                                         LogicalResourceId="InventoryFunction")["StackResourceDetail"]
    assert (detail["PhysicalResourceId"], detail["ResourceType"]) == (
        session_stack.stack.physical_id("InventoryFunction"), "AWS::Lambda::Function")
    assert len(cfn.describe_stack_resources(StackName=session_stack.stack_name)["StackResources"]) == len(listed)
    assert cfn.get_template(StackName=session_stack.stack_name)["TemplateBody"] == (ROOT / "template.yaml").read_text()


# ---------------------------------------------------------------- sam list
def test_sam_list_resources(session_stack):
    resources = {r["LogicalResourceId"]: r["PhysicalResourceId"]
                 for r in sam_json(session_stack, "list", "resources", "--stack-name", session_stack.stack_name)}
    assert resources["InventoryFunction"] == session_stack.stack.physical_id("InventoryFunction")
    assert resources["OrderSagaStateMachine"] == session_stack.stack.physical_id("OrderSagaStateMachine")
    assert resources["RetailApi"] == session_stack.stack.physical_id("RetailApi")


def test_sam_list_endpoints(session_stack):
    endpoints = {e["LogicalResourceId"]: e for e in sam_json(session_stack, "list", "endpoints", "--stack-name",
                                                              session_stack.stack_name)}
    api = endpoints["RetailApi"]
    assert api["PhysicalResourceId"] == session_stack.stack.physical_id("RetailApi")
    assert api["CloudEndpoint"] == [
        f"https://{api['PhysicalResourceId']}.execute-api.{session_stack.region}.amazonaws.com/{session_stack.stage}"]
    methods = {m.split("[", 1)[0]: m for m in api["Methods"]}   # "/api/v1/products['post', 'get']"
    assert "'get'" in methods["/api/v1/products"] and "'post'" in methods["/api/v1/products"]
    assert "'get'" in methods["/api/v1/stock/{product_id}/movements"]


def test_sam_list_stack_outputs(session_stack):
    outputs = {o["OutputKey"]: o["OutputValue"]
               for o in sam_json(session_stack, "list", "stack-outputs", "--stack-name", session_stack.stack_name)}
    assert outputs["OrderSagaStateMachineArn"] == session_stack.stack.physical_id("OrderSagaStateMachine")
    assert outputs["RetailSalesTableName"] == session_stack.stack.physical_id("RetailSalesTable")


# ---------------------------------------------------------------- sam remote invoke
def test_sam_remote_invoke_a_function_with_an_event_file(session_stack):
    result = sam(session_stack, "remote", "invoke", "--stack-name", session_stack.stack_name, "InventoryFunction",
                 "--event-file", "events/inventory/get-products.json", "--output", "json")
    answer = json.loads(result.stdout)
    response = json.loads(answer["Payload"])
    assert response["statusCode"] == 200 and len(json.loads(response["body"])["items"]) == 5
    tail = base64.b64decode(answer["LogResult"]).decode()   # the log tail, as Lambda's Invoke gives it
    assert "START RequestId" in tail and "REPORT RequestId" in tail


def test_sam_remote_invoke_the_order_saga(session_stack):
    result = sam(session_stack, "remote", "invoke", "--stack-name", session_stack.stack_name, "OrderSagaStateMachine",
                 "--event-file", "events/sagas/order-saga-completed.json", "--output", "json")
    execution = json.loads(result.stdout)
    assert execution["status"] == "SUCCEEDED", execution
    assert json.loads(execution["output"])["outcome"]["status"] == "COMPLETED"


# ---------------------------------------------------------------- sam logs
def invoke_inventory(aws, session_stack) -> str:
    """Invokes InventoryFunction; returns the invocation's request id, on its START/END/REPORT lines."""
    event = (ROOT / "events/inventory/get-product.json").read_bytes()
    result = aws("lambda").invoke(FunctionName=session_stack.stack.physical_id("InventoryFunction"), Payload=event,
                                  LogType="Tail")
    return re.search(r"START RequestId: (\S+)", base64.b64decode(result["LogResult"]).decode())[1]


@pytest.fixture(scope="module")
def marked_invocation(aws, session_stack) -> str:
    return invoke_inventory(aws, session_stack)


def log_lines(out: str) -> list[str]:
    """sam logs' lines (``<stream> <time> <message>``), without its hints."""
    return [line for line in out.splitlines() if re.match(r"\d{4}/\d\d/\d\d/\[", line)]


def test_sam_logs_of_a_function(session_stack, marked_invocation):
    out = sam(session_stack, "logs", "--stack-name", session_stack.stack_name, "-n", "InventoryFunction",
              "-s", "3min ago").stdout
    assert marked_invocation in out and "REPORT RequestId" in out


def test_sam_logs_filter(session_stack, marked_invocation):
    out = sam(session_stack, "logs", "--stack-name", session_stack.stack_name, "-n", "InventoryFunction",
              "-s", "3min ago", "--filter", f'"{marked_invocation}"').stdout
    lines = log_lines(out)
    assert all(marked_invocation in line for line in lines), out
    assert {kind for kind in ("START", "END", "REPORT") for line in lines if f" {kind} RequestId" in line} == {
        "START", "END", "REPORT"}, out


def test_sam_logs_tail_follows_new_lines(aws, session_stack):
    """``--tail`` keeps polling: each invocation made while it runs shows up; then it is killed.
    (It starts 10 s back: the default 10 minutes of a whole test session take sam minutes to print.)"""
    proc = subprocess.Popen([str(SAM), "logs", "--stack-name", session_stack.stack_name, "-n", "InventoryFunction",
                             "--tail", "-s", "10sec ago"], cwd=ROOT, env={**sam_env(session_stack), "PYTHONUNBUFFERED": "1"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    printed = bytearray()   # read from the pipe as it comes (a buffered reader would keep lines from select)

    def read_until(text: str) -> bool:
        deadline = time.monotonic() + 120
        while text.encode() not in printed and time.monotonic() < deadline:
            if selector.select(timeout=1):
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    return False   # sam ended
                printed.extend(chunk)
        return text.encode() in printed

    try:
        for _ in range(2):   # the second one is logged after sam has printed the first: it is following
            request_id = invoke_inventory(aws, session_stack)
            assert read_until(f"REPORT RequestId: {request_id}"), printed[-3000:].decode(errors="replace")
    finally:
        proc.kill()
        proc.wait(timeout=10)


# ---------------------------------------------------------------- sam build
def test_sam_build_builds_the_packages_the_deployer_deploys(tmp_path):
    """`sam build` runs functions/Makefile (BuildMethod: makefile) as the deployer does, so each
    function's build folder is the package the local stack runs: its domain and shared/
    (docs/adr/0002-per-domain-packaging.md). REQUIREMENTS= : no pip install (offline)."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MAKE"))},
           "REQUIREMENTS": "", "SAM_CLI_TELEMETRY": "0"}
    result = subprocess.run([str(SAM), "build", "--build-dir", str(tmp_path / "build")], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    functions = [lid for lid, r in load_yaml(ROOT / "template.yaml")["Resources"].items()
                 if r["Type"] == "AWS::Serverless::Function"]
    for logical_id in functions:
        built = tmp_path / "build" / logical_id
        assert package_folder(built) == CodeSource(ROOT / "functions", logical_id).package(), logical_id
    assert sorted(p.name for p in (tmp_path / "build" / "ReportingFunction").iterdir()) == ["reporting", "shared"]
