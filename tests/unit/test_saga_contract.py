"""The order saga's contract: the ASL, template.yaml and the code stay in step (no AWS)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.unit.template_contract import import_handler, routes_of

from sagas.logic.history import COMPENSATIONS, SERVICES, STEPS, UNDOES

ROOT = Path(__file__).resolve().parents[2]
ASL = json.loads((ROOT / "statemachines" / "order_saga.asl.json").read_text())
STATES: dict[str, dict[str, Any]] = ASL["States"]
HOOK = {"Fn::If": ["TestHooksEnabled", "enabled", "disabled"]}


def targets(state: dict[str, Any]) -> set[str]:
    found = {state[key] for key in ("Next", "Default") if key in state}
    found |= {c["Next"] for c in state.get("Catch", []) + state.get("Choices", [])}
    return found


def test_every_transition_names_a_state_and_every_state_is_reachable():
    reachable, todo = set(), [ASL["StartAt"]]
    while todo:
        name = todo.pop()
        if name in reachable:
            continue
        reachable.add(name)
        assert name in STATES, f"{name} is a target but not a state"
        todo.extend(targets(STATES[name]))
    assert reachable == set(STATES)


def test_forward_steps_run_in_the_reference_order():
    chain, name = [], ASL["StartAt"]
    while name in STEPS:
        chain.append(name)
        name = STATES[name]["Next"]
    assert chain == list(STEPS) and name == "SAGA_COMPLETED"
    assert [s for s in STATES if STATES[s]["Type"] == "Task" and s != "RECORD_OUTCOME"] == [*STEPS, *COMPENSATIONS]
    assert set(SERVICES) == set(STEPS) | set(COMPENSATIONS)


def test_compensations_run_in_reverse_and_a_failing_one_fails_the_saga():
    assert [STATES[c]["Next"] for c in COMPENSATIONS] == ["CANCEL_ORDER", "RELEASE_STOCK", "SAGA_COMPENSATED"]
    for name in COMPENSATIONS:
        (catch,) = STATES[name]["Catch"]
        assert catch == {"ErrorEquals": ["States.ALL"], "ResultPath": "$.compensation_failure", "Next": "SAGA_FAILED"}
    assert UNDOES == {"REFUND_PAYMENT": "PROCESS_PAYMENT", "CANCEL_ORDER": "CREATE_ORDER", "RELEASE_STOCK": "RESERVE_STOCK"}


# where each step's unknown-outcome failure must enter the chain: its own compensation, or the
# compensation of the last step before it that has one (the chain then runs the rest in reverse)
ENTRY = {"CHECK_STOCK": "SAGA_COMPENSATED", "RESERVE_STOCK": "RELEASE_STOCK", "CREATE_ORDER": "CANCEL_ORDER",
         "PROCESS_PAYMENT": "REFUND_PAYMENT", "CONFIRM_ORDER": "REFUND_PAYMENT", "COMMIT_STOCK": "SAGA_FAILED_AFTER_PIVOT"}


@pytest.mark.parametrize("step", STEPS)
def test_each_step_catches_everything_into_the_right_compensation(step):
    catches = STATES[step]["Catch"]
    assert catches[-1]["ErrorEquals"] == ["States.ALL"] and catches[-1]["Next"] == ENTRY[step]
    for catch in catches[:-1]:  # business errors: the step did nothing, so skip its own compensation
        order = list(STEPS).index(step)
        assert catch["Next"] in ("SAGA_COMPENSATED", *[ENTRY[s] for s in STEPS[:order]])
        assert "States.ALL" not in catch["ErrorEquals"]


@pytest.mark.parametrize("name", [*STEPS, *COMPENSATIONS])
def test_business_errors_are_not_retried_and_the_rest_is_retried_with_backoff(name):
    final, transient = STATES[name]["Retry"]
    assert final["MaxAttempts"] == 0 and "InjectedFailure" in final["ErrorEquals"] and "InvalidInput" in final["ErrorEquals"]
    assert transient["ErrorEquals"] == ["States.ALL"] and transient["MaxAttempts"] >= 3 and transient["BackoffRate"] > 1
    for catch in STATES[name].get("Catch", [])[:-1]:
        assert set(catch["ErrorEquals"]) <= set(final["ErrorEquals"]), "a business error caught must not be retried"
    payload = STATES[name]["Parameters"]["Payload"]
    assert payload["saga_id.$"] == "$.saga_id" and payload["correlation_id.$"] == "$.correlation_id"
    assert payload["attempt.$"] == "$$.State.RetryCount" and payload["faults.$"] == "$.faults"


def test_substitutions_cover_every_placeholder_and_name_real_functions(template):
    machine = template["Resources"]["OrderSagaStateMachine"]["Properties"]
    text = (ROOT / machine["DefinitionUri"]).read_text()
    placeholders = set(re.findall(r"\$\{(\w+)\}", text))
    substitutions = machine["DefinitionSubstitutions"]
    assert placeholders == set(substitutions)
    invoked = set()
    for value in substitutions.values():
        logical_id = value["Fn::GetAtt"][0]
        assert template["Resources"][logical_id]["Type"] == "AWS::Serverless::Function"
        invoked.add(logical_id)
    allowed = {p["LambdaInvokePolicy"]["FunctionName"]["Ref"] for p in machine["Policies"]}
    assert allowed == invoked


def test_the_fault_hook_is_off_unless_the_stage_enables_test_hooks(template):
    assert template["Parameters"]["EnableTestHooks"]["Default"] == "false"
    machine = template["Resources"]["OrderSagaStateMachine"]["Properties"]
    participants = {v["Fn::GetAtt"][0] for v in machine["DefinitionSubstitutions"].values()} - {"SagaRecordOutcomeFunction"}
    for logical_id in [*participants, "SagaFunction"]:
        variables = template["Resources"][logical_id]["Properties"]["Environment"]["Variables"]
        assert variables["SAGA_FAULT_INJECTION"] == HOOK, logical_id


def test_saga_routes_in_code_match_the_template(template):
    from infra.openapi import template_routes

    in_code = routes_of(import_handler("sagas.handlers.api", "sagas").app)
    wired = {route for route, fn in template_routes(template).items() if fn == "SagaFunction"}
    assert in_code == wired == {("post", "/api/v1/customers/{customer_id}/order-processing"),
                                ("get", "/api/v1/sagas/{saga_id}"), ("get", "/api/v1/sagas")}


def _reachable(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        state = STATES[name]
        todo += [state[key] for key in ("Next", "Default") if key in state]
        todo += [c["Next"] for c in state.get("Catch", [])] + [c["Next"] for c in state.get("Choices", [])]
    return seen


def test_nothing_after_the_pivot_is_ever_compensated():
    """CONFIRM_ORDER is the pivot: from COMMIT_STOCK no path leads to a compensation, and its
    failure ends FAILED with its own reason (SagaForwardRecoveryFailed), not a compensation's."""
    assert STATES["CONFIRM_ORDER"]["Next"] == "COMMIT_STOCK"
    after = _reachable("COMMIT_STOCK")
    assert not after & set(COMPENSATIONS), after & set(COMPENSATIONS)
    assert {"SAGA_COMPLETED", "SAGA_FAILED_AFTER_PIVOT", "NEEDS_ATTENTION_AFTER_PIVOT"} <= after
    assert STATES["NEEDS_ATTENTION_AFTER_PIVOT"]["Error"] == "SagaForwardRecoveryFailed"
    retry = STATES["COMMIT_STOCK"]["Retry"][-1]
    assert retry["ErrorEquals"] == ["States.ALL"] and retry["MaxAttempts"] >= 6
    # before the pivot every step still reaches its compensations
    assert set(COMPENSATIONS) <= _reachable("CONFIRM_ORDER")
