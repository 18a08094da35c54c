"""The fault-injection test hook: on only where the stage enables it (no AWS calls here)."""

from __future__ import annotations

import json

import pytest

from shared.saga import InjectedFailure, InjectedTransientFailure, inject_fault


@pytest.fixture()
def hook_on(monkeypatch):
    monkeypatch.setenv("SAGA_FAULT_INJECTION", "enabled")


@pytest.mark.parametrize("setting", [None, "disabled", "", "yes"])
def test_off_by_default_and_when_disabled(monkeypatch, setting):
    event = {"faults": [{"step": "CONFIRM_ORDER", "mode": "permanent", "when": "before"}]}
    if setting is None:
        monkeypatch.delenv("SAGA_FAULT_INJECTION", raising=False)
    else:
        monkeypatch.setenv("SAGA_FAULT_INJECTION", setting)
    assert inject_fault("CONFIRM_ORDER", event, "before") is None  # nothing raised, nothing injected
    # the same event does fail the step once the stage enables the hook: the check above could fail
    monkeypatch.setenv("SAGA_FAULT_INJECTION", "enabled")
    with pytest.raises(InjectedFailure):
        inject_fault("CONFIRM_ORDER", event, "before")


def test_permanent_fault_hits_only_its_step_and_moment(hook_on):
    event = {"faults": [{"step": "CONFIRM_ORDER", "mode": "permanent", "when": "after"}]}
    inject_fault("CREATE_ORDER", event, "after")
    inject_fault("CONFIRM_ORDER", event, "before")
    with pytest.raises(InjectedFailure):
        inject_fault("CONFIRM_ORDER", event, "after")


def test_transient_fault_fails_the_first_attempts_only(hook_on):
    fault = {"step": "PROCESS_PAYMENT", "mode": "transient", "times": 2}
    for attempt in (0, 1):
        with pytest.raises(InjectedTransientFailure):
            inject_fault("PROCESS_PAYMENT", {"faults": [fault], "attempt": attempt}, "before")
    inject_fault("PROCESS_PAYMENT", {"faults": [fault], "attempt": 2}, "before")


def test_the_saga_api_refuses_faults_where_the_hook_is_off(monkeypatch):
    monkeypatch.setenv("SAGA_FAULT_INJECTION", "disabled")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "sagas")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "RetailPlatform")
    monkeypatch.setenv("ORDER_SAGA_STATE_MACHINE_ARN", "arn:aws:states:us-east-1:123456789012:stateMachine:none")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing may be called
    from sagas.handlers.api import app

    path = "/api/v1/customers/1/order-processing"
    body = {"products": [{"product_id": 1, "quantity": 1}], "payment_method": "credit_card",
            "faults": [{"step": "CONFIRM_ORDER"}]}
    event = {"resource": "/api/v1/customers/{customer_id}/order-processing", "path": path, "httpMethod": "POST",
             "headers": {"Content-Type": "application/json"}, "pathParameters": {"customer_id": "1"},
             "queryStringParameters": None, "requestContext": {"requestId": "r1", "stage": "prod"},
             "body": json.dumps(body), "isBase64Encoded": False}
    response = app.resolve(event, None)
    assert response["statusCode"] == 422
    error = json.loads(response["body"])["error"]
    assert error["details"][0]["loc"] == ["body", "faults"] and "off" in error["message"]
