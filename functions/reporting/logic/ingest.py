"""The stream consumer's use case: a batch of stream records -> aggregates, exactly once.

1. Each record is parsed into facts (``logic.events``); records that mean nothing for the
   reports are *ignored*, records that cannot be understood are *skipped* and logged.
2. Facts become work units (one idempotency marker + the deltas it causes), duplicates within
   the batch are dropped, and units are packed in stream order into chunks that fit one
   DynamoDB transaction (``logic.aggregation``): deltas on the same item are summed first.
3. Each chunk is committed atomically (``dal.aggregates.commit``): markers with
   ``attribute_not_exists`` + ``UpdateItem ADD`` on the aggregates. A chunk whose markers
   exist in part was partly counted before: those units are dropped and the rest retried.
   Conflicts and throttling are retried with backoff.
4. If a chunk still fails, it and everything after it is reported in ``batchItemFailures``
   (by ``SequenceNumber``): Lambda re-delivers from there, and the markers make the replay of
   anything already committed a no-op.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord, DynamoDBStreamEvent

from reporting.dal import aggregates as dal
from reporting.logic.aggregation import Chunk, WorkUnit, dedupe, pack, units_of
from reporting.logic.events import ParsedRecord, SourceKind, facts_of, source_kind
from reporting.settings import ProcessedEventsSettings, SourceTablesSettings

MAX_TRANSIENT_ATTEMPTS = 5
BACKOFF_SECONDS = 0.05

logger = Logger(child=True)
metrics = Metrics()

Writer = Callable[[Sequence[tuple[str, str | None]], Any], None]


class ChunkFailed(Exception):
    pass


@dataclass
class BatchResult:
    counted: int = 0  # records whose facts were added to the aggregates now
    duplicates: int = 0  # records whose facts were already in the aggregates
    ignored: int = 0  # records that do not change any report (REMOVE, status changes ...)
    skipped: int = 0  # records that could not be understood (logged)
    failed: list[str] = field(default_factory=list)  # sequence numbers to retry

    def response(self) -> dict[str, Any]:
        return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in self.failed]}


# ---------------------------------------------------------------- parsing
def source_map(settings: SourceTablesSettings) -> dict[str, SourceKind]:
    sources: dict[str, SourceKind] = {}
    for table, kind in ((settings.sales_table, "sale"), (settings.returns_table, "return"), (settings.orders_table, "order")):
        if table:
            sources[table] = kind  # type: ignore[assignment]
    return sources


def parse_record(index: int, record: DynamoDBRecord, sources: Mapping[str, SourceKind]) -> ParsedRecord:
    stream = record.dynamodb
    sequence = stream.sequence_number if stream is not None else None
    parsed = ParsedRecord(index=index, sequence_number=sequence, event_id=record.event_id, outcome="skipped")
    try:
        if stream is None:
            raise ValueError("no dynamodb section")
        event_name = record.raw_event.get("eventName")
        new_image = stream.new_image or {}
        old_image = stream.old_image or None
        kind = source_kind(record.event_source_arn, new_image or old_image or {}, sources)
        parsed.outcome, parsed.facts, parsed.reason = facts_of(event_name, kind, new_image, old_image)
    except Exception as exc:  # a malformed image (bad DynamoDB JSON) must not block the shard
        parsed.outcome, parsed.facts, parsed.reason = "skipped", [], f"unreadable record: {type(exc).__name__}: {exc}"
    return parsed


def parse_batch(event: DynamoDBStreamEvent, sources: Mapping[str, SourceKind]) -> list[ParsedRecord]:
    return [parse_record(index, record, sources) for index, record in enumerate(event.records)]


# ---------------------------------------------------------------- writing
def apply_chunk(
    chunk: Chunk,
    event_ids: Mapping[int, str | None],
    *,
    writer: Writer,
    ttl_days: int,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[list[WorkUnit], list[WorkUnit]]:
    """Commit a chunk; returns (units counted now, units found already counted)."""
    pending = list(chunk.units)
    duplicates: list[WorkUnit] = []
    transient = 0
    while pending:
        markers = [(unit.marker, event_ids.get(unit.record_index)) for unit in pending]
        deltas = Chunk(units=pending).deltas()
        try:
            writer(markers, deltas, ttl_days=ttl_days)  # type: ignore[call-arg]
            return pending, duplicates
        except dal.AlreadyProcessed as exc:
            seen = set(exc.markers)
            if not seen.intersection(unit.marker for unit in pending):
                raise ChunkFailed(f"unexpected duplicate markers {exc.markers}") from None
            duplicates += [unit for unit in pending if unit.marker in seen]
            pending = [unit for unit in pending if unit.marker not in seen]
        except dal.TransientWriteError as exc:
            transient += 1
            if transient >= MAX_TRANSIENT_ATTEMPTS:
                raise ChunkFailed(str(exc)) from exc
            sleep(BACKOFF_SECONDS * 2 ** (transient - 1) * (1 + random.random()))
    return [], duplicates


def process(
    records: Sequence[ParsedRecord],
    *,
    writer: Writer | None = None,
    ttl_days: int,
    sleep: Callable[[float], None] = time.sleep,
) -> BatchResult:
    writer = writer or dal.commit
    result = BatchResult()
    units = [unit for record in records for fact in record.facts for unit in units_of(fact, record.index)]
    units, _ = dedupe(units)  # the same business event twice in one batch: keep the first
    event_ids = {record.index: record.event_id for record in records}
    counted: set[int] = set()
    failed_from: int | None = None
    for chunk in pack(units):
        try:
            applied, _duplicates = apply_chunk(chunk, event_ids, writer=writer, ttl_days=ttl_days, sleep=sleep)
        except Exception:
            logger.exception("aggregates not written; the batch will be retried from here",
                             extra={"record_index": chunk.first_record})
            failed_from = chunk.first_record
            break
        counted.update(unit.record_index for unit in applied)

    for record in records:
        if failed_from is not None and record.index >= failed_from:
            if record.sequence_number is None:
                raise RuntimeError("a failed record has no SequenceNumber: failing the whole batch")
            result.failed.append(record.sequence_number)
        elif record.outcome == "skipped":
            result.skipped += 1
        elif record.outcome == "ignored":
            result.ignored += 1
        elif record.index in counted:
            result.counted += 1
        else:
            result.duplicates += 1
    return result


def _log_skipped(records: Iterable[ParsedRecord]) -> None:
    for record in records:
        if record.outcome == "skipped":
            logger.warning(
                "stream record skipped",
                extra={"event_id": record.event_id, "sequence_number": record.sequence_number, "reason": record.reason},
            )


def handle(event: DynamoDBStreamEvent) -> dict[str, Any]:
    """The consumer's entry point: ``{"batchItemFailures": [...]}`` for ReportBatchItemFailures."""
    records = parse_batch(event, source_map(SourceTablesSettings.current()))
    _log_skipped(records)
    result = process(records, ttl_days=ProcessedEventsSettings.current().processed_ttl_days)
    for name, value in (
        ("RecordsProcessed", result.counted),
        ("RecordsDuplicate", result.duplicates),
        ("RecordsIgnored", result.ignored),
        ("RecordsSkipped", result.skipped),
        ("RecordsFailed", len(result.failed)),
    ):
        if value:
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    logger.info(
        "stream batch",
        extra={"records": len(records), "counted": result.counted, "duplicates": result.duplicates,
               "ignored": result.ignored, "skipped": result.skipped, "failed": len(result.failed)},
    )
    return result.response()
