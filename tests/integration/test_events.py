"""Every fixture in ``events/`` invoked on the test stack, in the catalogue's order
(``infra/events.py``), answers what the catalogue says: the fixtures cannot rot."""
from __future__ import annotations

import json
import time

import pytest

from infra.events import EVENTS, catalogue

FIXTURES = catalogue()
FINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


@pytest.fixture(scope="module")
def outcomes(aws, session_stack) -> dict[str, tuple[object, dict]]:
    """fixture path -> (what it answered, the answer), invoked once each, in order."""
    lam, sfn = aws("lambda"), aws("stepfunctions")
    seen = {}
    for fixture in FIXTURES:
        payload = (EVENTS / fixture.path).read_bytes()   # the committed file, as a developer uses it
        target = session_stack.stack.physical_id(fixture.function)
        if fixture.function == "OrderSagaStateMachine":
            arn = sfn.start_execution(stateMachineArn=target, name=json.loads(payload)["saga_id"],
                                      input=payload.decode())["executionArn"]
            deadline = time.monotonic() + 120
            while (described := sfn.describe_execution(executionArn=arn))["status"] not in FINAL:
                assert time.monotonic() < deadline, f"{fixture.path}: execution still {described['status']}"
                time.sleep(0.2)
            answer = json.loads(described.get("output") or "{}")
            seen[fixture.path] = ((answer.get("outcome") or {}).get("status") or described["status"], answer)
            continue
        result = lam.invoke(FunctionName=target, Payload=payload)
        answer = json.loads(result["Payload"].read() or b"null")
        if result.get("FunctionError"):
            seen[fixture.path] = (answer.get("errorType"), answer)
        elif isinstance(fixture.expect, int):
            seen[fixture.path] = (answer.get("statusCode"), answer)
        else:
            seen[fixture.path] = ("ok", answer)
    return seen


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.path for f in FIXTURES])
def test_the_fixture_answers_as_documented(outcomes, fixture):
    got, answer = outcomes[fixture.path]
    assert got == fixture.expect, json.dumps(answer, indent=1, default=str)[:2000]


def test_stream_records_report_no_failed_item(outcomes):
    for fixture in FIXTURES:
        if fixture.function == "ReportingStreamFunction":
            assert outcomes[fixture.path][1] == {"batchItemFailures": []}, fixture.path


def test_every_rest_route_of_the_api_functions_has_an_event(session_stack):
    """Each route of the template's API functions (the web back office's pages and the test hooks
    aside) has at least one fixture."""
    from infra.deploy.template import load_yaml

    template = load_yaml(EVENTS.parent / "template.yaml")
    routes = {(e["Properties"]["Method"].upper(), e["Properties"]["Path"], lid)
              for lid, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"
              and lid not in ("WebFunction", "DiagnosticsFunction")
              for e in r["Properties"].get("Events", {}).values() if e["Type"] == "Api"}
    covered = {(f.event["httpMethod"], f.event["resource"], f.function) for f in FIXTURES if "httpMethod" in f.event}
    assert routes - covered == set()
