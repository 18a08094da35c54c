"""schemathesis hooks of the contract test (tests/e2e/test_contract.py), loaded with
``SCHEMATHESIS_HOOKS=tests.e2e.contract_hooks``.

Only generation is steered here, never the checks' verdicts: no failure is filtered. What is
left out are requests whose validity the OpenAPI document cannot state, because JSON Schema
describes each parameter alone:

- a ``next_token`` that this API did not issue. The token is opaque and bound to its listing
  (``shared.pagination``): any string fits its schema, and a forged one is a 400
  ``invalid_pagination_token``. The fuzzer cannot forge a valid one, as it cannot guess a
  password; tests/unit/test_inventory_pagination.py and the e2e listing tests cover both sides.
- two lines for the same product (``lines``, ``items``, a saga's ``products``): "one line per
  product" is in the descriptions, but JSON Schema cannot say "unique by ``product_id``"
  (``uniqueItems`` compares whole lines); a 422 tested in the domains' e2e tests.
- ``from`` after ``to`` (and, for reports, a period longer than ``MAX_PERIOD_DAYS``, where a
  missing ``to`` is today and a missing ``from`` 29 days before ``to``): a rule between two
  parameters (and the date), stated in the operations' descriptions, a 422 ``validation_error``
  tested in tests/e2e/test_reporting_api.py and test_retail_api.py.

Negative cases (``mode`` negative) are kept whatever they contain: they must be rejected anyway.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import schemathesis

MAX_PERIOD_DAYS = 366  # reporting.logic.periods.MAX_PERIOD_DAYS
DEFAULT_PERIOD_DAYS = 30  # reporting.logic.periods.DEFAULT_PERIOD_DAYS


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def _same(value: object) -> object:
    # 5 and 5.0 name the same product (a JSON number is read by value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return repr(value)


def _repeats_a_product(body: object) -> bool:
    if not isinstance(body, dict):
        return False
    for field in ("lines", "items", "products"):
        lines = body.get(field)
        if isinstance(lines, list):
            ids = [_same(line["product_id"]) for line in lines if isinstance(line, dict) and "product_id" in line]
            if len(ids) != len(set(ids)):
                return True
    return False


def _cross_parameter_rule_broken(case) -> bool:
    if _repeats_a_product(case.body):
        return True
    query = case.query or {}
    if query.get("next_token") is not None:
        return True
    start, end = _day(query.get("from")), _day(query.get("to"))
    if "/reports/" in case.operation.path or "/analytics/" in case.operation.path:
        end = end or datetime.now(UTC).date()
        start = start or end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        return start > end or (end - start).days + 1 > MAX_PERIOD_DAYS
    return start is not None and end is not None and start > end


def _is_negative(case) -> bool:
    meta = getattr(case, "meta", None)
    generation = getattr(meta, "generation", None)
    mode = getattr(generation, "mode", None)
    return bool(mode is not None and mode.is_negative)


@schemathesis.hook
def filter_case(context, case) -> bool:
    return _is_negative(case) or not _cross_parameter_rule_broken(case)
