"""Speed-ups of moto's Step Functions answers, for the moto version pinned in pyproject.toml.

Each patch keeps the API's answer as AWS documents it and only changes how moto produces it;
``tests/integration/test_embedded_cloud.py`` checks the answers. On another moto version the
patches are not applied (a warning says so) rather than applied blindly.

- ``GetExecutionHistory``: moto 5's generic response serializer walks every history event
  through botocore's output shape, re-parsing each timestamp with dateutil. Under saga load
  that was 40 % of the endpoint's CPU (py-spy, docs/performance.md): every saga's history is
  read by its final step (RECORD_OUTCOME) and by every client polling ``GET /sagas/{id}``.
  The events moto keeps are already the API's shapes (typed dicts), so they are written as
  JSON directly, timestamps as epoch seconds as the JSON protocol (awsJson1_0) encodes them.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

log = logging.getLogger("embedded-cloud.moto")

PINNED_MOTO = "5.2.5"


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def fast_execution_history() -> bool:
    import moto
    from moto.stepfunctions.responses import StepFunctionResponse

    if moto.__version__ != PINNED_MOTO:
        log.warning("moto %s is not the pinned %s: GetExecutionHistory keeps moto's own serializer",
                    moto.__version__, PINNED_MOTO)
        return False
    if getattr(StepFunctionResponse.get_execution_history, "fast", False):
        return True

    def get_execution_history(self: StepFunctionResponse) -> str:
        history = self.stepfunction_backend.get_execution_history(self._get_param("executionArn"))
        events = list(history["events"] if isinstance(history, dict) else history)
        if self._get_param("reverseOrder"):
            events.reverse()
        return json.dumps({"events": events}, default=_json_default, separators=(",", ":"))

    get_execution_history.fast = True  # type: ignore[attr-defined]
    StepFunctionResponse.get_execution_history = get_execution_history  # type: ignore[method-assign]
    return True
