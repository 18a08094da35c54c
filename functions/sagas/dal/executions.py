"""Step Functions executions of the order saga: start, describe, history, list.

A saga *is* an execution: its id is the execution name, its state the execution and its
history. This is the only module that calls Step Functions; ``logic`` gets plain dicts (the
API's shapes) and these errors:

- :class:`ExecutionExists`: a start with a name already used (Step Functions' own name
  idempotency, which keyed sagas rely on);
- ``sagas.errors.SagaNotFound``: no execution of that name.
"""

from __future__ import annotations

from typing import Any

from sagas.errors import SagaNotFound
from shared import aws

HISTORY_PAGE = 1000


class ExecutionExists(Exception):
    """An execution with this name exists already (it was started before)."""


def stepfunctions() -> Any:
    """A Step Functions client for the region and endpoint passed down (``shared.aws``)."""
    return aws.client("stepfunctions")


def _saga_id(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


def start(state_machine_arn: str, saga_id: str, document: str) -> None:
    """Start the execution ``saga_id`` with input ``document`` (``ExecutionExists`` if the name is taken)."""
    client = stepfunctions()
    try:
        client.start_execution(stateMachineArn=state_machine_arn, name=saga_id, input=document)
    except client.exceptions.ExecutionAlreadyExists:
        raise ExecutionExists(saga_id) from None


def describe(arn: str) -> dict[str, Any]:
    """DescribeExecution (``SagaNotFound`` if there is no such execution)."""
    client = stepfunctions()
    try:
        return client.describe_execution(executionArn=arn)
    except client.exceptions.ExecutionDoesNotExist:
        raise SagaNotFound(_saga_id(arn)) from None


def describe_if_any(arn: str) -> dict[str, Any] | None:
    """DescribeExecution, ``None`` if the execution is gone."""
    try:
        return describe(arn)
    except SagaNotFound:
        return None


def history(arn: str) -> list[dict[str, Any]]:
    """Every event of the execution, oldest first (``SagaNotFound`` if there is no such execution)."""
    client = stepfunctions()
    events: list[dict[str, Any]] = []
    try:
        for page in client.get_paginator("get_execution_history").paginate(executionArn=arn, maxResults=HISTORY_PAGE):
            events.extend(page["events"])
    except client.exceptions.ExecutionDoesNotExist:
        raise SagaNotFound(_saga_id(arn)) from None
    return events


def list_page(
    state_machine_arn: str, *, limit: int, status: str | None, next_token: str | None
) -> tuple[list[str], str | None]:
    """One ListExecutions page, newest first: the executions' ARNs and the next page's token."""
    request: dict[str, Any] = {"stateMachineArn": state_machine_arn, "maxResults": limit}
    if status:
        request["statusFilter"] = status
    if next_token:
        request["nextToken"] = next_token
    page = stepfunctions().list_executions(**request)
    return [execution["executionArn"] for execution in page["executions"]], page.get("nextToken")
