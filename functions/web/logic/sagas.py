"""The saga page: the order saga's steps and compensations as the API reads them from the
execution history; the page polls until the saga has a final status."""
from __future__ import annotations

from typing import Any

FINAL = ("COMPLETED", "COMPENSATED", "FAILED")


def is_final(status: str | None) -> bool:
    return status in FINAL


def timeline(saga: dict[str, Any]) -> list[dict[str, Any]]:
    """Steps, then compensations (each saying which step it undoes), in the order they ran."""
    rows = [{**step, "kind": "step"} for step in saga.get("steps") or []]
    rows += [{**comp, "kind": "compensation"} for comp in saga.get("compensations") or []]
    return rows


def summary(saga: dict[str, Any]) -> str:
    status = saga.get("status")
    failure = saga.get("failure") or {}
    if status == "COMPLETED":
        return f"The order is confirmed (order {saga.get('order_id')}, total {saga.get('total')})."
    if status == "COMPENSATED":
        done = ", ".join(c["step"] for c in saga.get("compensations") or []) or "nothing to undo"
        return (f"{failure.get('step', 'A step')} failed ({failure.get('message') or failure.get('error')}); "
                f"the steps done before were undone: {done}.")
    if status == "FAILED":
        comp = saga.get("compensation_failure") or {}
        return (f"A compensation failed after its retries ({comp.get('step', '?')}: "
                f"{comp.get('message') or comp.get('error')}); a person must look at it.")
    return "Running: the page follows the steps as they happen."
