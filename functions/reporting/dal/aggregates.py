"""Writes and reads of the aggregate table and the processed-events markers.

:func:`commit` applies one chunk atomically: one ``TransactWriteItems`` holding a conditional
put of every unit's marker (``attribute_not_exists``) and one ``UpdateItem ... ADD`` per
aggregate item. Either the markers and the counters are all written, or nothing is: a
redelivered record finds its marker and is not counted twice, and a crash between "count"
and "remember" cannot happen.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import TransactWriteError

from reporting.dal.client import pages
from reporting.dal.tables import AggregateRecord, ProcessedEvent
from reporting.dal.items import Deltas, partition, sort_key_range
from reporting.settings import AggregatesSettings
from shared.dynamo import cancellation_codes, transact_write, utcnow

TRANSIENT_REASONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})
TRANSIENT_ERRORS = frozenset({
    "TransactionConflictException",
    "TransactionInProgressException",
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalServerError",
})


class AlreadyProcessed(Exception):
    """Some markers of the chunk exist already: those units were counted before."""

    def __init__(self, markers: list[str]) -> None:
        super().__init__(", ".join(markers))
        self.markers = markers


class TransientWriteError(Exception):
    """A conflict with a concurrent transaction or throttling: retry later."""


def commit(markers: Sequence[tuple[str, str | None]], deltas: Deltas, *, ttl_days: int) -> None:
    """Write ``markers`` ((key, event id) pairs) and apply ``deltas``, all or nothing."""
    now = utcnow()
    expires = now + timedelta(days=ttl_days)
    try:
        with transact_write() as tx:  # pynamodb sends puts before updates: markers come first
            for key, event_id in markers:
                tx.save(
                    ProcessedEvent(key, event_id=event_id, processed_at=now, expires_at=expires),
                    condition=ProcessedEvent.event_key.does_not_exist(),
                )
            for (pk, sk), delta in deltas.items():
                actions = [getattr(AggregateRecord, name).set(value) for name, value in delta.fields.items()]
                actions += [getattr(AggregateRecord, name).add(value) for name, value in delta.counters.items()]
                tx.update(AggregateRecord(pk, sk), actions=actions)
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        duplicates = [markers[i][0] for i, code in enumerate(codes[: len(markers)]) if code == "ConditionalCheckFailed"]
        if duplicates:
            raise AlreadyProcessed(duplicates) from None
        if TRANSIENT_REASONS.intersection(c for c in codes if c) or exc.cause_response_code in TRANSIENT_ERRORS:
            raise TransientWriteError(str(exc)) from exc
        raise


def query_counters(
    kind: str, start: date, end: date, *, months: Sequence[str], counters: Sequence[str]
) -> Iterator[tuple[str, dict[str, Decimal]]]:
    """``(sk, {counter: value})`` of every ``kind`` aggregate of the days ``start``..``end``.

    One Query per month partition the period touches (``sk BETWEEN``), projected on the
    counters asked for. The read path of every report: it uses the low-level client and
    parses only numbers, because a period can hold thousands of product-day items and model
    objects would cost more than the query itself.
    """
    low, high = sort_key_range(start, end)
    names = {f"#c{index}": name for index, name in enumerate(counters)}
    table = AggregatesSettings.current().aggregates_table
    for month in months:
        request: dict[str, Any] = {
            "TableName": table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
            "ProjectionExpression": ", ".join(["sk", *names]),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {":pk": {"S": partition(kind, month)}, ":low": {"S": low}, ":high": {"S": high}},
        }
        for page in pages("query", request):
            for item in page.get("Items", []):
                sk = item.pop("sk")["S"]
                yield sk, {name: Decimal(value["N"]) for name, value in item.items() if "N" in value}

