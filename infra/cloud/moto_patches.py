"""Every change the embedded cloud makes to moto, for the moto version pinned in pyproject.toml
(``PINNED_MOTO``): they reach into moto's private internals, so :func:`apply` refuses to start on
another version (:class:`UnexpectedMotoVersion`: ``make install`` puts the pinned one back).

Each one keeps the API's answer as AWS documents it and only changes how moto produces it, or
makes moto answer as AWS does where it does not; ``tests/integration/test_embedded_cloud.py``
checks the answers and ``tests/unit/test_cloud_stepfunctions_speedups.py`` the patches.
:func:`apply` applies them all; it is idempotent.

- **Execution names** (:func:`named_executions`): StartExecution without a name gets a UUID.
- **CloudWatch's PutMetricData** (:func:`tap_put_metric_data`): every datum moto accepts also
  reaches the metrics hub (Prometheus exposition, ``infra/cloud/metrics.py``).
- **The deployer's stack record** (:func:`record_stack`): a CloudFormation stack of resources
  that exist already.

- **Routing** (:class:`Dispatcher`): moto's server finds the backend for every request by
  listing its own package directory (``backends.list_of_moto_modules``: ~200 ``isdir`` calls)
  and matching every service's URL patterns. The answer depends only on the host it is asked
  about, so it is remembered per host.
- **Request ids** (:func:`lean_request_ids`): moto searches every answer for ``<RequestId>``
  with a regular expression; JSON answers are no longer searched.
- **ListMetrics** (:func:`fast_list_metrics`): one pass instead of a comparison of every data
  point with every metric found.
- **Step Functions' interpreter** (:func:`speed_up_stepfunctions`): parsed JSONPaths and state
  machine definitions, one Lambda client per region, and Lambda Tasks answered in-process.

- ``GetExecutionHistory``: moto 5's generic response serializer walks every history event
  through botocore's output shape, re-parsing each timestamp with dateutil. Under saga load
  that was 40 % of the endpoint's CPU (py-spy, docs/performance.md): every saga's history is
  read by its final step (RECORD_OUTCOME) and by every client polling ``GET /sagas/{id}``.
  The events moto keeps are already the API's shapes (typed dicts), so they are written as
  JSON directly, timestamps as epoch seconds as the JSON protocol (awsJson1_0) encodes them
  (moto keeps ISO strings, which clients parse with dateutil: slow).
"""
from __future__ import annotations

import functools
import json
import logging
from datetime import datetime
from typing import Any, Callable

from moto.moto_server.werkzeug_app import DomainDispatcherApplication

log = logging.getLogger("embedded-cloud.moto")

PINNED_MOTO = "5.2.5"
# the botocore ``before-send`` handler that answers the interpreter's Lambda Invoke calls
# in-process (``infra.cloud.server.InProcessInvoke``, set when the cloud starts)
in_process_lambda: Callable[..., Any] | None = None


def pinned() -> bool:
    import moto

    return moto.__version__ == PINNED_MOTO


class UnexpectedMotoVersion(RuntimeError):
    """The installed moto is not the one these patches were written against."""


def check_version() -> None:
    if not pinned():
        import moto

        raise UnexpectedMotoVersion(
            f"moto {moto.__version__} is installed, but the embedded cloud patches moto {PINNED_MOTO}'s internals "
            f"(infra/cloud/moto_patches.py): run `make install` to get the version pyproject.toml pins")


def apply() -> None:
    check_version()
    speed_up_stepfunctions()
    named_executions()
    fast_execution_history()
    lean_request_ids()
    fast_list_metrics()


def _metric_key(datum: Any) -> tuple[Any, ...]:
    return (datum.namespace, datum.name, frozenset((d.name, d.value) for d in datum.dimensions))


def fast_list_metrics() -> None:
    """``ListMetrics`` compared every data point with every metric found so far (moto's
    ``get_filtered_metrics``): with 150,000 data points one call took over a minute and held the
    endpoint. The same answer from one pass with a set of the metrics already listed (moto lists
    a metric without dimensions once per data point; so does this)."""
    from moto.cloudwatch.models import CloudWatchBackend

    if getattr(CloudWatchBackend.get_filtered_metrics, "fast", False):
        return

    def get_filtered_metrics(self: CloudWatchBackend, metric_name: str, namespace: str,
                             dimensions: list[dict[str, str]]) -> list[Any]:
        seen: set[tuple[Any, ...]] = set()
        found: list[Any] = []
        for datum in self.get_all_metrics():
            if not datum.filter(namespace=namespace, name=metric_name, dimensions=dimensions):
                continue
            if datum.dimensions:
                key = _metric_key(datum)
                if key in seen:
                    continue
                seen.add(key)
            found.append(datum)
        return found

    get_filtered_metrics.fast = True  # type: ignore[attr-defined]
    get_filtered_metrics.original = CloudWatchBackend.get_filtered_metrics  # type: ignore[attr-defined]
    CloudWatchBackend.get_filtered_metrics = get_filtered_metrics  # type: ignore[method-assign]


def lean_request_ids() -> None:
    """moto writes the request id into every answer's ``<RequestId>`` element with a regular
    expression run over the whole body, XML or not (a lookbehind tried at every position: 9 %
    of the endpoint's CPU reading a 30 KB saga history). Only a body that has the element can
    change, so only those are searched; the answer is the same."""
    from moto.core.responses import BaseResponse

    original = BaseResponse._enrich_response
    if getattr(original, "lean", False):
        return

    def enrich(headers: dict[str, str], body: Any) -> tuple[dict[str, str], Any]:
        if isinstance(body, str) and "<RequestId>" not in body:
            if "status" in headers:
                headers["status"] = str(headers["status"])
            gen_amzn_requestid_long(headers)
            return headers, body
        return original(headers, body)

    from moto.utilities.aws_headers import gen_amzn_requestid_long

    enrich.lean = True  # type: ignore[attr-defined]
    BaseResponse._enrich_response = staticmethod(enrich)  # type: ignore[method-assign]


class Dispatcher(DomainDispatcherApplication):
    """moto's server application, remembering which backend serves a host (public API only)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._backend_of: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        try:
            return self._backend_of[host]
        except KeyError:
            backend = self._backend_of[host] = super().get_backend_for_host(host)
            return backend


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _epoch(value: Any) -> Any:
    """A history event's timestamp as the JSON protocol sends it: epoch seconds. moto keeps
    them as ISO 8601 strings ("2026-12-03T15:45:30.938Z"), which clients then parse with
    dateutil, a quarter of the CPU of a saga read in the saga API's worker (py-spy)."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            return value
    return value


def _events_as_json(execution: Any, reverse: bool) -> str | None:
    """The execution's history written straight from the interpreter's event list, under its
    lock (a consistent snapshot, as moto's own deep copy is, without copying ~40 events of
    nested dicts per read). None if the execution has no interpreter state to read."""
    env = getattr(getattr(execution, "exec_worker", None), "env", None)
    manager = getattr(env, "event_manager", None)
    if manager is None or not hasattr(manager, "_history_event_list"):
        return None
    with manager._mutex:
        events = [{**event, "timestamp": _epoch(event.get("timestamp"))} for event in manager._history_event_list]
        if reverse:
            events.reverse()
        return json.dumps({"events": events}, default=_json_default, separators=(",", ":"))


def fast_execution_history() -> bool:
    from moto.stepfunctions.responses import StepFunctionResponse

    if not pinned():
        return False
    if getattr(StepFunctionResponse.get_execution_history, "fast", False):
        return True

    def get_execution_history(self: StepFunctionResponse) -> str:
        arn, reverse = self._get_param("executionArn"), bool(self._get_param("reverseOrder"))
        backend = self.stepfunction_backend
        if hasattr(backend, "describe_execution"):
            written = _events_as_json(backend.describe_execution(arn), reverse)  # unknown: ExecutionDoesNotExist
            if written is not None:
                return written
        history = backend.get_execution_history(arn)
        events = [{**event, "timestamp": _epoch(event.get("timestamp"))}
                  for event in (history["events"] if isinstance(history, dict) else history)]
        if reverse:
            events.reverse()
        return json.dumps({"events": events}, default=_json_default, separators=(",", ":"))

    get_execution_history.fast = True  # type: ignore[attr-defined]
    StepFunctionResponse.get_execution_history = get_execution_history  # type: ignore[method-assign]
    return True


# --------------------------------------------------------------------------- Step Functions
# moto's interpreter redoes three costly things on every execution or Task; under a few sagas a
# second they were most of the endpoint's CPU (py-spy). Each cache below keeps behaviour: it
# only stores what is immutable once built.
def speed_up_stepfunctions() -> None:
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.utils import json_path
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    # 1. every JSONPath ("$.order.total", each ResultPath) got a new jsonpath_ng parser, which
    #    rebuilds its grammar tables: a parsed path is an immutable expression, parse each once
    for module in (json_path, result_path):
        if not hasattr(module.parse, "cache_info"):
            module.parse = functools.lru_cache(maxsize=4096)(module.parse)
    # 2. every Lambda Task built a new boto3 client (credentials are moto's fixed test ones):
    #    one client per region, shared by the interpreter's threads (boto3 clients are thread-safe)
    if not hasattr(lambda_eval_utils.boto_client_for, "cache_info"):
        original = lambda_eval_utils.boto_client_for

        @functools.lru_cache(maxsize=64)
        def client_for(region: str, service: str) -> Any:
            client = original(region=region, service=service)
            if service == "lambda":   # 4. Tasks reach the runtime in-process (see InProcessInvoke)
                client.meta.events.register("before-send.lambda.Invoke",
                                            lambda **kw: in_process_lambda(**kw) if in_process_lambda else None)
            return client

        def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
            return client_for(region, service)

        boto_client_for.cache_info = client_for.cache_info  # type: ignore[attr-defined]
        lambda_eval_utils.boto_client_for = boto_client_for
    # 3. every execution parsed the definition again (ANTLR, ~100 ms for the saga): the parsed
    #    program keeps no per-execution state (that lives in the execution's Environment), except
    #    in Map and Parallel states, whose definitions are still parsed per execution
    if not getattr(ExecutionWorker._get_evaluation_entrypoint, "cached", False):
        parse_fresh = ExecutionWorker._get_evaluation_entrypoint

        @functools.lru_cache(maxsize=64)
        def parse_once(definition: str) -> Any:
            from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

            return AmazonStateLanguageParser.parse(definition)[0]

        def entrypoint(self: ExecutionWorker) -> Any:
            definition = self._evaluation_details.state_machine_details.definition
            if _has_concurrent_states(definition):
                return parse_fresh(self)
            return parse_once(definition)

        entrypoint.cached = True  # type: ignore[attr-defined]
        ExecutionWorker._get_evaluation_entrypoint = entrypoint


def tap_put_metric_data(compact: Callable[[dict[str, Any]], dict[str, Any]],
                        observe: Callable[[Any, str, list[dict[str, Any]]], None]) -> None:
    """Every datum moto's CloudWatch accepts (API calls and the hub's own) is stored compacted
    (``compact``) and also handed to ``observe`` (the metrics hub). Idempotent."""
    from moto.cloudwatch.models import CloudWatchBackend

    global _observe_metric_data
    _observe_metric_data = observe
    if getattr(CloudWatchBackend.put_metric_data, "tapped", False):
        return
    original = CloudWatchBackend.put_metric_data

    def put_metric_data(self: CloudWatchBackend, namespace: str, metric_data: list[dict[str, Any]]) -> None:
        original(self, namespace, [compact(datum) for datum in metric_data])
        if _observe_metric_data is not None:
            _observe_metric_data(self, namespace, metric_data)

    put_metric_data.tapped = True  # type: ignore[attr-defined]
    CloudWatchBackend.put_metric_data = put_metric_data  # type: ignore[method-assign]


_observe_metric_data: Callable[[Any, str, list[dict[str, Any]]], None] | None = None


def named_executions() -> None:
    """StartExecution without ``name``: Step Functions names the execution with a UUID; moto 5.2.5
    keeps ``None``, and every later ListExecutions answers an item without its required ``name``."""
    import uuid

    from moto.stepfunctions.models import StepFunctionBackend
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    for backend in (StepFunctionBackend, StepFunctionsParserBackend):
        original = backend.__dict__["start_execution"]
        if getattr(original, "names_executions", False):
            continue

        def start_execution(self: Any, state_machine_arn: str, name: str | None = None, *args: Any,
                            _original: Any = original, **kwargs: Any) -> Any:
            return _original(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

        start_execution.names_executions = True  # type: ignore[attr-defined]
        backend.start_execution = start_execution


def _has_concurrent_states(definition: str) -> bool:
    """True if the machine has a Map or Parallel state (nested states only exist inside those)."""
    try:
        states = json.loads(definition).get("States") or {}
    except (ValueError, AttributeError):
        return True
    return any(isinstance(state, dict) and state.get("Type") in ("Map", "Parallel") for state in states.values())


# --------------------------------------------------------------------------- CloudFormation
# The deployer (infra/deploy) provisions every resource itself, through each service's API, as
# CloudFormation would; the stack it made is recorded here as one of moto's own Stack objects,
# so that moto's CloudFormation API (DescribeStacks, ListStackResources, DescribeStackResource(s),
# GetTemplate, DescribeStackEvents ...) answers for it. moto's CreateStack would create the
# resources a second time with its own models; this stack's maps hold only the records.
class _Resource:
    """What moto's CloudFormation responses read of a resource."""

    def __init__(self, logical_id: str, physical_id: str, resource_type: str):
        self.logical_resource_id, self.physical_resource_id, self.cf_resource_type = logical_id, physical_id, resource_type


class _RecordedResources(dict):
    """Stands for moto's ResourceMap (logical id -> resource), which would create what it is asked for."""

    def __init__(self, resources: list[dict[str, str]], parameters: dict[str, str]):
        super().__init__((r["LogicalResourceId"], _Resource(r["LogicalResourceId"], r["PhysicalResourceId"],
                                                             r["ResourceType"])) for r in resources)
        self.resolved_parameters, self.no_echo_parameter_keys = parameters, []


class _RecordedOutputs(dict):
    """Stands for moto's OutputMap (the template's Outputs, resolved)."""

    exports: list[Any] = []


def record_stack(account_id: str, region: str, record: dict[str, Any]) -> str:
    """Creates or updates the stack ``record`` describes (StackName, TemplateBody, Description,
    Parameters, Resources, Outputs as the CloudFormation API shapes them) in moto's CloudFormation
    backend; returns the stack's status: CREATE_COMPLETE, then UPDATE_COMPLETE after a change."""
    from moto.cloudformation.models import Stack, cloudformation_backends
    from moto.cloudformation.parsing import Output
    from moto.cloudformation.utils import generate_stack_id
    from moto.core.utils import utcnow

    if not pinned():   # Stack's attributes are moto's internals: tests/unit/test_stack_record.py says if they moved
        log.warning("moto is not the pinned %s: recording stack %s in its CloudFormation backend may fail",
                    PINNED_MOTO, record["StackName"])
    backend = cloudformation_backends[account_id][region]
    name = record["StackName"]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in record.get("Parameters", [])}
    resources = _RecordedResources(record["Resources"], parameters)
    outputs = _RecordedOutputs((o["OutputKey"], Output(o["OutputKey"], o["OutputValue"], o.get("Description")))
                               for o in record.get("Outputs", []))
    stack = next((s for s in backend.stacks.values() if s.name == name), None)
    if stack is None:
        stack = Stack(stack_id=generate_stack_id(name, region, account_id), name=name, template={},
                      parameters=parameters, account_id=account_id, region_name=region)
        backend.stacks[stack.stack_id] = stack
        stack._add_stack_event("CREATE_IN_PROGRESS", resource_status_reason="User Initiated")
        final = "CREATE_COMPLETE"
    elif getattr(stack, "recorded", None) == record:
        return stack.status   # nothing changed: CloudFormation keeps the stack as it is
    else:
        stack._add_stack_event("UPDATE_IN_PROGRESS", resource_status_reason="User Initiated")
        stack.last_updated_time = utcnow()
        final = "UPDATE_COMPLETE"
    stack.template, stack.description, stack.parameters = record["TemplateBody"], record.get("Description"), parameters
    stack.resource_map, stack.output_map, stack.recorded = resources, outputs, record
    stack.status = final
    stack._add_stack_event(final)
    return final

