"""Lambda event source mappings for DynamoDB streams, on the embedded cloud.

On AWS, an event source mapping is a poller run by the Lambda service: it reads a stream's
shards in order and invokes the function synchronously with batches of records, retrying a
failed batch (or, with ``ReportBatchItemFailures``, from the first failed record) before it
moves on. Here the same: ``EventSourceMappings`` answers the Lambda API's
``/2015-03-31/event-source-mappings`` operations and runs one poller thread per enabled
mapping against DynamoDB Local's Streams API, invoking through the local runtime.

moto's own mappings only know moto's tables, so this API is ours on the endpoint. Only
DynamoDB stream sources are supported (the ones the template uses).

With a ``checkpoints`` file (``make run``, whose tables are kept on disk) each mapping's position
in its stream (the last record delivered, per shard) is written there after every batch, and a
mapping created again for the same function and stream after a restart goes on from there, as
a mapping that lives on in AWS does, instead of reading the stream again from its oldest record.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, unquote

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

log = logging.getLogger("event-sources")

ESM_PATH = "/2015-03-31/event-source-mappings"
IDLE_POLL_SECONDS = 0.25          # wait after a poll that was not a full batch (AWS polls ~4 times a second) ...
DISCOVER_SECONDS = 5.0            # DescribeStream for new shards at most this often
MAX_IDLE_POLL_SECONDS = 1.0       # ... doubling up to this: an idle GetRecords on DynamoDB Local
                                  # costs a walk over every table's stream records
RETRY_BACKOFF_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)


class EsmError(Exception):
    def __init__(self, status: int, error_type: str, message: str):
        super().__init__(message)
        self.status, self.error_type, self.message = status, error_type, message


@dataclass
class Mapping:
    uuid: str
    function_arn: str
    event_source_arn: str
    starting_position: str = "TRIM_HORIZON"
    batch_size: int = 100
    maximum_batching_window: int = 0
    maximum_retry_attempts: int = -1
    bisect_batch_on_function_error: bool = False
    function_response_types: list[str] = field(default_factory=list)
    enabled: bool = True
    last_modified: float = field(default_factory=time.time)
    last_processing_result: str = "No records processed"
    last_sequence: dict[str, str] = field(default_factory=dict)  # shard id -> last delivered record
    stop: threading.Event = field(default_factory=threading.Event)

    def to_api(self) -> dict[str, Any]:
        return {
            "UUID": self.uuid,
            "StartingPosition": self.starting_position,
            "BatchSize": self.batch_size,
            "MaximumBatchingWindowInSeconds": self.maximum_batching_window,
            "ParallelizationFactor": 1,
            "EventSourceArn": self.event_source_arn,
            "FunctionArn": self.function_arn,
            "LastModified": self.last_modified,
            "LastProcessingResult": self.last_processing_result,
            "State": "Enabled" if self.enabled else "Disabled",
            "StateTransitionReason": "User action",
            "DestinationConfig": {"OnFailure": {}},
            "MaximumRecordAgeInSeconds": -1,
            "BisectBatchOnFunctionError": self.bisect_batch_on_function_error,
            "MaximumRetryAttempts": self.maximum_retry_attempts,
            "TumblingWindowInSeconds": 0,
            "FunctionResponseTypes": self.function_response_types,
        }


class EventSourceMappings:
    """The ESM API and its pollers. ``invoke(function_arn, payload) -> (ok, response_bytes)``;
    ``resolve_arn(name_or_arn) -> function ARN`` (KeyError if unknown)."""

    def __init__(self, invoke: Callable[[str, bytes], tuple[bool, bytes]],
                 resolve_arn: Callable[[str], str], dynamodb_url: str, region: str,
                 checkpoints: Path | None = None):
        self._invoke, self._resolve_arn = invoke, resolve_arn
        self.region = region
        self._checkpoints = checkpoints
        # "<function ARN> <stream ARN>" -> {shard id: last sequence number delivered}
        self._positions: dict[str, dict[str, str]] = (
            json.loads(checkpoints.read_text()) if checkpoints is not None and checkpoints.exists() else {})
        self._checkpoint_lock = threading.Lock()
        self._streams = boto3.client(
            "dynamodbstreams", endpoint_url=dynamodb_url, region_name=region,
            aws_access_key_id="local", aws_secret_access_key="local",
            config=Config(retries={"max_attempts": 2}, max_pool_connections=32))
        self._mappings: dict[str, Mapping] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ API operations
    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        source = body.get("EventSourceArn") or ""
        if ":dynamodb:" not in source or "/stream/" not in source:
            raise EsmError(400, "InvalidParameterValueException",
                           "The local event source mappings support DynamoDB streams only")
        try:
            function_arn = self._resolve_arn(body.get("FunctionName") or "")
        except KeyError:
            raise EsmError(404, "ResourceNotFoundException",
                           f"Function not found: {body.get('FunctionName')}") from None
        with self._lock:
            if any(m.function_arn == function_arn and m.event_source_arn == source
                   for m in self._mappings.values()):
                raise EsmError(409, "ResourceConflictException",
                               "An event source mapping with this function and event source already exists")
            mapping = Mapping(uuid=str(uuid.uuid4()), function_arn=function_arn, event_source_arn=source,
                              last_sequence=dict(self._positions.get(f"{function_arn} {source}", {})))
            self._apply(mapping, body)
            self._mappings[mapping.uuid] = mapping
        self._start(mapping)
        return mapping.to_api()

    def update(self, mapping_id: str, body: dict[str, Any]) -> dict[str, Any]:
        mapping = self._get(mapping_id)
        self.stop_poller(mapping)
        self._apply(mapping, body)
        mapping.last_modified = time.time()
        self._start(mapping)
        return mapping.to_api()

    def delete(self, mapping_id: str) -> dict[str, Any]:
        mapping = self._get(mapping_id)
        self.stop_poller(mapping)
        with self._lock:
            self._mappings.pop(mapping_id, None)
        return {**mapping.to_api(), "State": "Deleting"}

    def get(self, mapping_id: str) -> dict[str, Any]:
        return self._get(mapping_id).to_api()

    def list(self, function_name: str | None, event_source_arn: str | None) -> dict[str, Any]:
        function_arn = None
        if function_name:
            try:
                function_arn = self._resolve_arn(function_name)
            except KeyError:
                raise EsmError(404, "ResourceNotFoundException", f"Function not found: {function_name}") from None
        with self._lock:
            items = [m.to_api() for m in self._mappings.values()
                     if (function_arn is None or m.function_arn == function_arn)
                     and (event_source_arn is None or m.event_source_arn == event_source_arn)]
        return {"EventSourceMappings": items}

    def shutdown(self) -> None:
        for mapping in list(self._mappings.values()):
            self.stop_poller(mapping)

    def _get(self, mapping_id: str) -> Mapping:
        with self._lock:
            mapping = self._mappings.get(mapping_id)
        if mapping is None:
            raise EsmError(404, "ResourceNotFoundException", f"The resource you requested does not exist. {mapping_id}")
        return mapping

    @staticmethod
    def _apply(mapping: Mapping, body: dict[str, Any]) -> None:
        if "StartingPosition" in body:
            mapping.starting_position = body["StartingPosition"]
        if "BatchSize" in body:
            size = int(body["BatchSize"])
            if not 1 <= size <= 10000:
                raise EsmError(400, "InvalidParameterValueException", "BatchSize must be between 1 and 10000")
            mapping.batch_size = size
        if "MaximumBatchingWindowInSeconds" in body:
            mapping.maximum_batching_window = int(body["MaximumBatchingWindowInSeconds"])
        if "MaximumRetryAttempts" in body:
            mapping.maximum_retry_attempts = int(body["MaximumRetryAttempts"])
        if "BisectBatchOnFunctionError" in body:
            mapping.bisect_batch_on_function_error = bool(body["BisectBatchOnFunctionError"])
        if "FunctionResponseTypes" in body:
            mapping.function_response_types = list(body["FunctionResponseTypes"] or [])
        if "Enabled" in body:
            mapping.enabled = bool(body["Enabled"])

    # ------------------------------------------------------------------ pollers
    def _start(self, mapping: Mapping) -> None:
        if not mapping.enabled:
            return
        mapping.stop = threading.Event()
        thread = threading.Thread(target=self._poll, args=(mapping,), daemon=True,
                                  name=f"esm-{mapping.uuid[:8]}")
        self._threads[mapping.uuid] = thread
        thread.start()

    def stop_poller(self, mapping: Mapping) -> None:
        mapping.stop.set()
        thread = self._threads.pop(mapping.uuid, None)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)

    def _poll(self, mapping: Mapping) -> None:
        iterators: dict[str, str | None] = {}  # shard id -> iterator (None: closed and drained)
        first_round = True
        idle_wait = IDLE_POLL_SECONDS
        discovered_at, closed = float("-inf"), 0
        while not mapping.stop.is_set():
            try:
                # new shards are rare (a shard rolls over after hours; its child opens when it
                # closes): DescribeStream on every poll was most of an idle mapping's cost
                now_closed = sum(iterator is None for iterator in iterators.values())
                if first_round or now_closed > closed or time.monotonic() - discovered_at >= DISCOVER_SECONDS:
                    self._discover_shards(mapping, iterators, first_round)
                    discovered_at, closed = time.monotonic(), now_closed
                first_round = False
                delivered = backlog = False
                for shard_id, iterator in list(iterators.items()):
                    if iterator is None or mapping.stop.is_set():
                        continue
                    iterators[shard_id], got = self._process_shard(mapping, shard_id, iterator)
                    delivered = delivered or got > 0
                    backlog = backlog or got >= min(mapping.batch_size, 1000)
            except (ClientError, BotoCoreError) as exc:
                log.warning("event source %s: %s", mapping.event_source_arn, exc)
                delivered = backlog = False
            if backlog:   # a full batch: more is waiting, read on at once
                idle_wait = IDLE_POLL_SECONDS
            elif delivered:   # Lambda's base rate: each shard polled about 4 times a second
                idle_wait = IDLE_POLL_SECONDS
                mapping.stop.wait(IDLE_POLL_SECONDS)
            else:
                mapping.stop.wait(idle_wait)
                idle_wait = min(idle_wait * 2, MAX_IDLE_POLL_SECONDS)

    def _discover_shards(self, mapping: Mapping, iterators: dict[str, str | None], first_round: bool) -> None:
        shards, start = [], None
        while True:
            kwargs = {"StreamArn": mapping.event_source_arn}
            if start:
                kwargs["ExclusiveStartShardId"] = start
            description = self._streams.describe_stream(**kwargs)["StreamDescription"]
            shards += description.get("Shards", [])
            start = description.get("LastEvaluatedShardId")
            if not start:
                break
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id in iterators:
                continue
            # after the last record delivered (before a restart); else LATEST only for the shards
            # open when the mapping starts; later shards from the start
            position = {"ShardIteratorType": mapping.starting_position if first_round else "TRIM_HORIZON"}
            if shard_id in mapping.last_sequence:
                position = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": mapping.last_sequence[shard_id]}
            elif position["ShardIteratorType"] not in ("TRIM_HORIZON", "LATEST"):
                position = {"ShardIteratorType": "TRIM_HORIZON"}
            iterators[shard_id] = self._streams.get_shard_iterator(
                StreamArn=mapping.event_source_arn, ShardId=shard_id, **position)["ShardIterator"]

    def _process_shard(self, mapping: Mapping, shard_id: str, iterator: str) -> tuple[str | None, int]:
        """Reads one batch and delivers it; returns (next iterator, how many records came; a
        stale iterator counts as a full batch: read again at once)."""
        try:
            page = self._streams.get_records(ShardIterator=iterator, Limit=min(mapping.batch_size, 1000))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("TrimmedDataAccessException",
                                                                 "ExpiredIteratorException"):
                raise
            # a stale iterator (DynamoDB Local also trims the position of an iterator taken on an
            # empty shard): resume after the last record delivered, or from the oldest record
            last = mapping.last_sequence.get(shard_id)
            position = ({"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last} if last
                        else {"ShardIteratorType": "TRIM_HORIZON"})
            fresh = self._streams.get_shard_iterator(StreamArn=mapping.event_source_arn, ShardId=shard_id,
                                                     **position)["ShardIterator"]
            return fresh, min(mapping.batch_size, 1000)
        records = page.get("Records", [])
        if not records:
            return page.get("NextShardIterator"), 0
        if not self._deliver(mapping, records):
            return iterator, 0   # stopped: the batch is read again by the next poller
        mapping.last_sequence[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
        self._checkpoint(mapping)
        return page.get("NextShardIterator"), len(records)

    def _checkpoint(self, mapping: Mapping) -> None:
        if self._checkpoints is None:
            return
        with self._checkpoint_lock:
            self._positions[f"{mapping.function_arn} {mapping.event_source_arn}"] = dict(mapping.last_sequence)
            partial = self._checkpoints.with_suffix(".tmp")
            partial.write_text(json.dumps(self._positions, indent=1))
            os.replace(partial, self._checkpoints)

    def _deliver(self, mapping: Mapping, records: list[dict[str, Any]]) -> bool:
        """Invokes until the batch is processed; retries failures as Lambda does (whole batch,
        or from the first failed record with ReportBatchItemFailures). False if the mapping was
        stopped before the batch was through."""
        attempt = 0
        pending = records
        while pending and not mapping.stop.is_set():
            ok, response = self._invoke(mapping.function_arn, self._event(mapping, pending))
            failed_from = None
            if ok and "ReportBatchItemFailures" in mapping.function_response_types:
                failed_from = _first_failure(response, pending)
            if ok and failed_from is None:
                mapping.last_processing_result = "OK"
                return True
            mapping.last_processing_result = "PROBLEM: Function call failed"
            if failed_from is not None:
                pending = pending[failed_from:]
            elif mapping.bisect_batch_on_function_error and len(pending) > 1:
                half = len(pending) // 2
                self._deliver(mapping, pending[:half])
                pending = pending[half:]
                continue
            attempt += 1
            if 0 <= mapping.maximum_retry_attempts < attempt:
                log.error("event source %s: dropping %d records after %d retries", mapping.event_source_arn,
                          len(pending), mapping.maximum_retry_attempts)
                return True
            mapping.stop.wait(RETRY_BACKOFF_SECONDS[min(attempt, len(RETRY_BACKOFF_SECONDS)) - 1])
        return False

    def _event(self, mapping: Mapping, records: list[dict[str, Any]]) -> bytes:
        out = []
        for record in records:
            record = dict(record)
            record.setdefault("eventVersion", "1.1")
            record.setdefault("eventSource", "aws:dynamodb")
            record["awsRegion"] = self.region
            record["eventSourceARN"] = mapping.event_source_arn
            dynamodb = dict(record.get("dynamodb", {}))
            created = dynamodb.get("ApproximateCreationDateTime")
            if hasattr(created, "timestamp"):
                dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
            record["dynamodb"] = dynamodb
            out.append(record)
        return json.dumps({"Records": out}, default=str).encode()


def _first_failure(response: bytes, records: list[dict[str, Any]]) -> int | None:
    """Index of the first record named in ``batchItemFailures`` (by sequence number)."""
    try:
        body = json.loads(response or b"null")
    except ValueError:
        return 0  # an unreadable response fails the whole batch
    failures = (body or {}).get("batchItemFailures") if isinstance(body, dict) else None
    if not failures:
        return None
    ids = {f.get("itemIdentifier") for f in failures if isinstance(f, dict)}
    for index, record in enumerate(records):
        if record.get("dynamodb", {}).get("SequenceNumber") in ids:
            return index
    return 0 if ids else None


# ---------------------------------------------------------------------- WSGI
class EventSourceMappingApi:
    """WSGI middleware: the Lambda API's event-source-mapping operations; the rest goes on."""

    def __init__(self, app: Callable, mappings: EventSourceMappings):
        self.app, self.mappings = app, mappings

    def __call__(self, environ: dict[str, Any], start_response: Callable):
        path = environ.get("PATH_INFO", "")
        if not path.startswith(ESM_PATH):
            return self.app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        mapping_id = unquote(path[len(ESM_PATH):].strip("/"))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            body = json.loads(raw) if raw else {}
            if not mapping_id and method == "POST":
                status, result = 202, self.mappings.create(body)
            elif not mapping_id and method == "GET":
                status, result = 200, self.mappings.list(query.get("FunctionName"), query.get("EventSourceArn"))
            elif mapping_id and method == "GET":
                status, result = 200, self.mappings.get(mapping_id)
            elif mapping_id and method == "PUT":
                status, result = 202, self.mappings.update(mapping_id, body)
            elif mapping_id and method == "DELETE":
                status, result = 202, self.mappings.delete(mapping_id)
            else:
                raise EsmError(405, "InvalidParameterValueException", f"{method} is not supported here")
        except EsmError as exc:
            return _respond(start_response, exc.status, {"Type": "User", "message": exc.message},
                            [("x-amzn-ErrorType", exc.error_type)])
        except ValueError:
            return _respond(start_response, 400, {"Type": "User", "message": "Could not parse the request body"},
                            [("x-amzn-ErrorType", "InvalidParameterValueException")])
        return _respond(start_response, status, result, [])


def _respond(start_response: Callable, status: int, body: dict[str, Any], headers: list[tuple[str, str]]):
    payload = json.dumps(body, default=str).encode()
    reasons = {200: "OK", 202: "Accepted", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
               409: "Conflict"}
    start_response(f"{status} {reasons.get(status, 'Error')}",
                   headers + [("Content-Type", "application/json"), ("Content-Length", str(len(payload))),
                              ("x-amzn-RequestId", str(uuid.uuid4()))])
    return [payload]
