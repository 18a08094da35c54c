"""The embedded AWS cloud: one AWS-compatible endpoint (like LocalStack's edge on :4566).

moto's server application answers every AWS API (DynamoDB, Step Functions with execution
turned on, API Gateway control plane, IAM, CloudWatch, Logs ...). One seam is ours: the
Lambda Invoke API (``POST /2015-03-31/functions/<name>/invocations``) is answered by the
local Lambda runtime, which runs the function's real handler in warm awslambdaric workers.
Every invocation path goes through it: ``aws lambda invoke``, the gateway, and Step
Functions Task states (moto's interpreter calls the Lambda API on ``localhost:$MOTO_PORT``).

DynamoDB is AWS's DynamoDB Local behind the same endpoint (see dynamodb_local.py), and the
Lambda API's event source mappings for its streams are ours too (see event_sources.py), as is
the record of the stack the deployer made, which CloudFormation's API then shows (see
cloudformation.py).

The function's definition (code, handler, environment, timeout, reserved concurrency) is read
from moto's Lambda backend, i.e. from what the deployer created through the Lambda API.
moto is pinned (pyproject.toml); ``tests/integration/test_embedded_cloud.py`` fails loudly if
the seams below move.
"""
from __future__ import annotations

import base64
import json
import logging
import os
import re
import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import unquote

from werkzeug.serving import BaseWSGIServer, make_server

from moto.core.config import default_user_config
from moto.moto_server.werkzeug_app import MotoRequestHandler, create_backend_app

from infra.cloud.cloudformation import CloudControlApi, StackRecordApi
from infra.cloud.dynamodb_local import DynamoDBForwarder, DynamoDBLocal
from infra.cloud.event_sources import EventSourceMappingApi, EventSourceMappings
from infra.cloud.execution_store import ExecutionJournal
from gateway.invoker import IntegrationTimeout, InvokeResponse
from gateway.run import start_gateway, stop_gateway
from infra.cloud.lambda_runtime import INIT_TIMEOUT, FunctionSpec, InvokeResult, LambdaRuntime
from infra.cloud.inprocess import CloudWatchClient, LogsClient
from infra.cloud import moto_patches
from infra.cloud.retention import Janitor
from infra.cloud.metrics import MetricsHub, PrometheusEndpoint, install as install_metrics_hub

log = logging.getLogger("embedded-cloud")

DEFAULT_ACCOUNT = os.environ.get("MOTO_ACCOUNT_ID", "123456789012")
INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")
FUNCTION_PATH = re.compile(r"^/\d{4}-\d\d-\d\d/functions/(?P<name>[^/]+)")   # the Lambda API on one function
CREDENTIAL_REGION = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[a-z0-9-]+)/")


def configure_moto() -> None:
    """moto's public configuration: run state machines for real, never look for Docker."""
    default_user_config["stepfunctions"]["execute_state_machine"] = True
    default_user_config["lambda"]["use_docker"] = False
    default_user_config["batch"]["use_docker"] = False
    # SAM-generated roles attach AWS managed policies (AWSLambdaBasicExecutionRole ...).
    default_user_config["iam"]["load_aws_managed_policies"] = True
    moto_patches.apply()


# --------------------------------------------------------------------------- moto seams
def _lambda_backend(account: str, region: str):
    # moto's own choice of backend (the "simple" one when Docker is off, as here)
    from moto.awslambda.utils import get_backend

    return get_backend(account, region)


def _cloudwatch_backend(account: str, region: str):
    from moto.cloudwatch.models import cloudwatch_backends

    return cloudwatch_backends[account][region]


def _logs_backend(account: str, region: str):
    from moto.logs.models import logs_backends

    return logs_backends[account][region]


def _stepfunctions_backends(account: str, region: str) -> list[Any]:
    from moto.stepfunctions.models import stepfunctions_backends
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    return [stepfunctions_backends[account][region], stepfunctions_parser_backends[account][region]]


def _region_of(name_or_arn: str, default: str) -> str:
    if name_or_arn.startswith("arn:"):
        return name_or_arn.split(":")[3]
    return default


def function_resolver(region: str, account: str = DEFAULT_ACCOUNT) -> Callable[[str], FunctionSpec]:
    """Reads a function's definition from moto's Lambda backend (what the Lambda API holds)."""

    def resolve(name_or_arn: str) -> FunctionSpec:
        from moto.awslambda.exceptions import UnknownFunctionException

        backend = _lambda_backend(account, _region_of(name_or_arn, region))
        try:
            fn = backend.get_function(name_or_arn)
        except UnknownFunctionException as exc:
            raise KeyError(name_or_arn) from exc
        reserved = fn.reserved_concurrency
        environment = dict(fn.environment_vars or {})
        # a new revision, so new workers, whenever the code or the configuration changes, as a
        # Lambda update gives new execution environments (moto's UpdateFunctionConfiguration
        # keeps last_modified, so the configuration itself is part of the revision)
        configuration = (fn.handler, fn.run_time, str(fn.timeout), str(fn.memory_size), sorted(environment.items()))
        return FunctionSpec(
            name=fn.function_name,
            arn=fn.function_arn,
            handler=fn.handler,
            runtime=fn.run_time,
            timeout=float(fn.timeout),
            memory_size=int(fn.memory_size),
            environment=environment,
            code_zip=fn.code_bytes,
            code_sha256=fn.code_sha_256,
            reserved_concurrency=None if reserved is None else int(reserved),
            revision=f"{fn.code_sha_256}:{fn.last_modified}:{hash(repr(configuration)):x}",
        )

    return resolve


class LogsSink:
    """Writes function output into CloudWatch Logs (``/aws/lambda/<name>``) on this endpoint."""

    def __init__(self, region: str, account: str = DEFAULT_ACCOUNT):
        self.region, self.account = region, account
        self._lock = threading.Lock()

    def __call__(self, group: str, stream: str, events: list[tuple[int, str]]) -> None:
        from moto.logs.exceptions import ResourceAlreadyExistsException

        backend = _logs_backend(self.account, self.region)
        with self._lock:
            if group not in backend.groups:
                try:
                    backend.create_log_group(group, tags={})
                except ResourceAlreadyExistsException:
                    pass
            if stream not in backend.groups[group].streams:
                backend.create_log_stream(group, stream)
            backend.put_log_events(
                group, stream, [{"timestamp": ts, "message": msg} for ts, msg in events]
            )


# --------------------------------------------------------------------------- WSGI
def invoke_api(runtime: LambdaRuntime, default_region: str, name: str, payload: bytes,
               headers: Callable[[str], str | None]) -> tuple[int, list[tuple[str, str]], bytes]:
    """The Lambda Invoke API (``POST /2015-03-31/functions/<name>/invocations``) answered by
    the local runtime: (status, headers, body). ``headers(name)`` reads a request header."""
    region_match = CREDENTIAL_REGION.search(headers("Authorization") or "")
    region = region_match["region"] if region_match else default_region
    if not name.startswith("arn:") and region != default_region:
        name = f"arn:aws:lambda:{region}:{DEFAULT_ACCOUNT}:function:{name}"
    request_id = str(uuid.uuid4())
    try:
        result = runtime.invoke(
            name,
            payload,
            invocation_type=headers("X-Amz-Invocation-Type") or "RequestResponse",
            log_type=headers("X-Amz-Log-Type") or "None",
            client_context=headers("X-Amz-Client-Context"),
        )
    except KeyError:
        result = InvokeResult(404, json.dumps({"Type": "User", "message": f"Function not found: {name}"}).encode(),
                              None, None)
        response_headers = [("x-amzn-ErrorType", "ResourceNotFoundException")]
    else:
        response_headers = [("X-Amz-Executed-Version", result.executed_version)]
        if result.status_code == 429:
            response_headers = [("x-amzn-ErrorType", "TooManyRequestsException")]
        elif result.status_code == 404:
            response_headers = [("x-amzn-ErrorType", "ResourceNotFoundException")]
    if result.function_error:
        response_headers.append(("X-Amz-Function-Error", result.function_error))
    if result.log_result:
        response_headers.append(("X-Amz-Log-Result", result.log_result))
    response_headers += [("Content-Type", "application/json"), ("Content-Length", str(len(result.payload))),
                         ("x-amzn-RequestId", request_id)]
    return result.status_code, response_headers, result.payload


class LambdaInvokeMiddleware:
    """Answers the Lambda Invoke API with the local runtime; everything else goes to moto."""

    def __init__(self, app: Callable, runtime: LambdaRuntime, region: str):
        self.app, self.runtime, self.region = app, runtime, region

    def __call__(self, environ: dict[str, Any], start_response: Callable):
        match = INVOKE_PATH.match(environ.get("PATH_INFO", ""))
        if environ.get("REQUEST_METHOD") != "POST" or not match:
            response = self.app(environ, start_response)
            function = FUNCTION_PATH.match(environ.get("PATH_INFO", ""))
            if function and environ.get("REQUEST_METHOD") in ("PUT", "DELETE"):   # code, configuration ...
                self.runtime.retire_stale(unquote(function["name"]))   # answered: warm workers of before go
            return response
        length = int(environ.get("CONTENT_LENGTH") or 0)
        payload = environ["wsgi.input"].read(length) if length else b""
        status, headers, body = invoke_api(
            self.runtime, self.region, unquote(match["name"]), payload,
            lambda header: environ.get("HTTP_" + header.upper().replace("-", "_")))
        start_response({200: "200 OK", 202: "202 Accepted", 204: "204 No Content", 404: "404 Not Found",
                        429: "429 Too Many Requests"}.get(status, f"{status} Error"), headers)
        return [body]


class InProcessInvoke:
    """botocore ``before-send`` handler for the Lambda clients of moto's Step Functions
    interpreter, which runs in this process: a Task's ``Invoke`` is answered by the runtime
    directly, the HTTP request it would have sent to this very endpoint is never sent. The
    client still serializes the call and parses the answer as usual (botocore's documented
    way to answer a request without sending it)."""

    def __init__(self, runtime: LambdaRuntime, region: str):
        self.runtime, self.region = runtime, region

    def __call__(self, request: Any, **_: Any) -> Any:
        from botocore.awsrequest import AWSResponse
        from moto.core.botocore_stubber import MockRawResponse

        path = request.url.split("://", 1)[-1].partition("/")[2]
        match = INVOKE_PATH.match("/" + path.split("?", 1)[0])
        if request.method != "POST" or not match:
            return None   # not an Invoke: sent as usual
        body = request.body or b""
        if hasattr(body, "read"):
            body = body.read()
        elif isinstance(body, str):
            body = body.encode()
        status, headers, payload = invoke_api(self.runtime, self.region, unquote(match["name"]), body,
                                              lambda header: _header(request.headers, header))
        return AWSResponse(request.url, status, dict(headers), MockRawResponse(payload))


def _header(headers: Any, name: str) -> str | None:
    value = headers.get(name)
    return value.decode() if isinstance(value, bytes) else value


class RuntimeInvoker:
    """The gateway's Lambda proxy integration when the gateway is served by this process: the
    Invoke call API Gateway makes, handed to the runtime directly instead of over HTTP through
    moto's server (same runtime, pools and limits as every other invocation). The integration
    timeout still holds: a function allowed to run longer than it is waited for on a thread,
    and the gateway answers 504 while the invocation goes on, as on AWS."""

    def __init__(self, runtime: LambdaRuntime, resolve: Callable[[str], FunctionSpec]):
        self.runtime, self.resolve = runtime, resolve
        self._slow = ThreadPoolExecutor(max_workers=64, thread_name_prefix="gateway-invoke")

    def __call__(self, function_arn: str, payload: bytes, timeout: float) -> InvokeResponse:
        try:
            spec = self.resolve(function_arn)
        except KeyError:
            return InvokeResponse(404, json.dumps({"Type": "User", "message": f"Function not found: {function_arn}"}).encode())
        if spec.timeout + INIT_TIMEOUT <= timeout:   # the function always ends first
            result = self.runtime.invoke(function_arn, payload, spec=spec)
        else:
            future = self._slow.submit(self.runtime.invoke, function_arn, payload, spec=spec)
            try:
                result = future.result(timeout)
            except FutureTimeout:
                raise IntegrationTimeout(f"no answer from {spec.name} within {timeout:.3f}s") from None
        return InvokeResponse(result.status_code, result.payload, result.function_error)

    def close(self) -> None:
        self._slow.shutdown(wait=False, cancel_futures=True)


class ControlPlaneChanges:
    """WSGI middleware: calls ``on_change`` once the API Gateway control plane has stopped
    changing for ``quiet`` seconds (after a deploy's burst of writes), so that the gateway
    served here reads the new configuration at once, not at its next periodic read (up to 5 s
    later: a restarted stack answered 403 to every key until then)."""

    PATHS = ("/restapis", "/usageplans", "/apikeys")

    def __init__(self, app: Callable, on_change: Callable[[], Any], quiet: float = 0.3):
        self.app, self.on_change, self.quiet = app, on_change, quiet
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable):
        if environ.get("REQUEST_METHOD") != "GET" and environ.get("PATH_INFO", "").startswith(self.PATHS):
            with self._lock:
                if self._timer is not None:
                    self._timer.cancel()
                self._timer = threading.Timer(self.quiet, self.on_change)
                self._timer.daemon = True
                self._timer.start()
        return self.app(environ, start_response)


class _NoDelayHandler(MotoRequestHandler):
    """Threaded stdlib server: without TCP_NODELAY every small response waits for a delayed ACK."""

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_request(self, *args: Any, **kwargs: Any) -> None:  # moto's per-request lines are noise
        pass


@dataclass(frozen=True)
class GatewayOptions:
    """The API Gateway data plane this process serves next to the endpoint (see gateway/)."""
    port: int
    rest_api_name: str
    stage: str
    host: str = "127.0.0.1"
    access_log: str | None = None


class EmbeddedCloud:
    """moto + the local Lambda runtime behind one endpoint, and optionally the API Gateway data
    plane of one stage on its own port. ``start()`` returns once both listen.

    The gateway runs in this process so that a request reaches its function without another
    HTTP hop and another Python process on the way (see docs/performance.md); it still reads
    its configuration through the API Gateway control plane like any client."""

    def __init__(self, host: str = "127.0.0.1", port: int = 4566, region: str = "us-east-1",
                 work_dir: Path | str = ".local/cloud", max_workers_per_function: int | None = None,
                 dynamodb_path: Path | None = None, gateway: GatewayOptions | None = None,
                 executions_file: Path | None = None):
        self.host, self.requested_port, self.region = host, port, region
        self.work_dir = Path(work_dir).resolve()
        # More warm workers than the cores can run at once only adds context switches: a worker
        # waits on DynamoDB about as long as it computes, so two per core keep the cores busy.
        # (Reserved concurrency, when a function sets it, is the limit instead, as on AWS.)
        self.max_workers_per_function = max_workers_per_function or int(
            os.environ.get("LAMBDA_MAX_WORKERS_PER_FUNCTION") or 2 * (os.cpu_count() or 2))
        self.dynamodb = DynamoDBLocal(dynamodb_path, log_file=self.work_dir / "dynamodb-local.log")
        self.runtime: LambdaRuntime | None = None
        self.event_sources: EventSourceMappings | None = None
        self.metrics: MetricsHub | None = None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.gateway_options = gateway
        self.gateway = None
        self._gateway_publisher = None
        self._gateway_invoker: RuntimeInvoker | None = None
        self.janitor: Janitor | None = None
        # Step Functions executions kept on disk (execution_store.py); None: in memory only
        self.journal = None if executions_file is None else ExecutionJournal(
            executions_file, lambda: _stepfunctions_backends(DEFAULT_ACCOUNT, self.region)[1:])

    @property
    def port(self) -> int:
        assert self._server is not None, "start() first"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "EmbeddedCloud":
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.dynamodb.launch()   # the JVM starts (~2 s) while moto is configured (~2 s)
        configure_moto()
        self.dynamodb.wait_ready()
        moto_app = moto_patches.Dispatcher(create_backend_app)
        # Bind first: the runtime's workers and moto's Step Functions need the real port.
        self._server = make_server(self.host, self.requested_port, lambda e, s: app(e, s),
                                   threaded=True, request_handler=_NoDelayHandler)
        self._server.socket.listen(1024)
        os.environ["MOTO_PORT"] = str(self.port)
        base_env = worker_base_env(self.url, self.region)
        # Inside the cloud, functions reach DynamoDB directly, not through the edge's Python
        # hop (as a Lambda on AWS reaches the regional endpoint): same API, one process less.
        dynamodb_url = f"http://127.0.0.1:{self.dynamodb.port}"
        base_env["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb_url
        base_env["AWS_ENDPOINT_URL_DYNAMODB_STREAMS"] = dynamodb_url
        resolve = function_resolver(self.region)
        self.runtime = LambdaRuntime(
            resolve,
            LogsSink(self.region),
            base_env=base_env,
            work_dir=self.work_dir,
            max_workers_per_function=self.max_workers_per_function,
        )
        # positions in the streams of tables kept on disk are kept with them
        positions = None if self.dynamodb.db_path is None else self.dynamodb.db_path / "event-source-positions.json"
        self.event_sources = EventSourceMappings(self._invoke_for_event_source, lambda name: resolve(name).arn,
                                                 dynamodb_url, self.region, positions)
        # CloudWatch metrics from each invocation (EMF output, AWS/Lambda), and GET /metrics
        self.metrics = MetricsHub(lambda: _cloudwatch_backend(DEFAULT_ACCOUNT, self.region))
        install_metrics_hub(self.metrics)
        self.runtime.add_listener(self.metrics.on_invocation)
        moto_patches.in_process_lambda = InProcessInvoke(self.runtime, self.region)
        self.janitor = Janitor(lambda: [_logs_backend(DEFAULT_ACCOUNT, self.region)],
                               lambda: _stepfunctions_backends(DEFAULT_ACCOUNT, self.region)).start()
        if self.journal is not None:   # before any state machine is created, so none misses its own
            log.info("%d Step Functions executions read from %s", self.journal.load(), self.journal.path)
            self.journal.attach()
        app = PrometheusEndpoint(EventSourceMappingApi(
            DynamoDBForwarder(LambdaInvokeMiddleware(moto_app, self.runtime, self.region), self.dynamodb.port),
            self.event_sources), self.metrics)
        # the deployer's stack, and the Cloud Control read the SAM CLI makes (cloudformation.py)
        app = CloudControlApi(StackRecordApi(app, DEFAULT_ACCOUNT, self.region), DEFAULT_ACCOUNT, self.region)
        if self.gateway_options is not None:
            app = ControlPlaneChanges(app, lambda: self.gateway is not None and self.gateway.refresh())
        self._thread = threading.Thread(target=self._server.serve_forever, name="embedded-cloud",
                                        daemon=True)
        self._thread.start()
        if self.gateway_options is not None:
            opts = self.gateway_options
            self._gateway_invoker = RuntimeInvoker(self.runtime, resolve)
            self.gateway, self._gateway_publisher = start_gateway(
                self.url, self.region, opts.rest_api_name, opts.stage, opts.host, opts.port, opts.access_log,
                invoker=self._gateway_invoker,
                logs_client=LogsClient(lambda: _logs_backend(DEFAULT_ACCOUNT, self.region)),
                cloudwatch_client=CloudWatchClient(lambda: _cloudwatch_backend(DEFAULT_ACCOUNT, self.region)))
        return self

    def _invoke_for_event_source(self, function_arn: str, payload: bytes) -> tuple[bool, bytes]:
        assert self.runtime is not None
        result = self.runtime.invoke(function_arn, payload)
        return result.status_code == 200 and not result.function_error, result.payload

    def stop(self) -> None:
        if self.gateway is not None:
            stop_gateway(self.gateway, self._gateway_publisher)
            self.gateway = None
        if self.journal is not None:   # while the runtime still runs the executions' tasks
            self.journal.close()
        if self._gateway_invoker is not None:
            self._gateway_invoker.close()
        if self.janitor is not None:
            self.janitor.stop()
        if self.event_sources is not None:
            self.event_sources.shutdown()
        if self.runtime is not None:
            self.runtime.shutdown()
        if self.metrics is not None:
            self.metrics.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.dynamodb.stop()


def worker_base_env(endpoint_url: str, region: str) -> dict[str, str]:
    """What every Lambda worker gets besides its function's own variables."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_SESSION_TOKEN": "test",
        "AWS_ENDPOINT_URL": endpoint_url,
    }
    if os.environ.get("VIRTUAL_ENV"):
        env["VIRTUAL_ENV"] = os.environ["VIRTUAL_ENV"]
    return env


def main() -> None:  # python -m infra.cloud.server: the endpoint alone
    import argparse
    import signal

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    parser.add_argument("--work-dir", default=".local/cloud")
    parser.add_argument("--dynamodb-path", type=Path, default=None,
                        help="keep DynamoDB data in this folder, and the event source mappings' "
                             "positions in its streams (default: in memory)")
    parser.add_argument("--executions-file", type=Path, default=None,
                        help="keep Step Functions executions in this JSON-lines file (default: in memory)")
    parser.add_argument("--gateway-port", type=int, default=None,
                        help="also serve the API Gateway data plane of one stage on this port")
    parser.add_argument("--rest-api-name", default="retail-api")
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--access-log", default=None, help="the gateway's JSON-lines access log file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    gateway = None
    if args.gateway_port is not None:
        gateway = GatewayOptions(args.gateway_port, args.rest_api_name, args.stage, args.host, args.access_log)
    cloud = EmbeddedCloud(args.host, args.port, args.region, args.work_dir,
                          dynamodb_path=args.dynamodb_path, gateway=gateway,
                          executions_file=args.executions_file).start()
    log.info("AWS endpoint listening on %s", cloud.url)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if os.environ.get("CLOUD_TRACEMALLOC"):
        _trace_memory(signal)
    stop.wait()
    cloud.stop()


def _trace_memory(signal: Any) -> None:
    """``CLOUD_TRACEMALLOC=1``: a diagnosis aid for the endpoint's memory (docs/performance.md).
    Each ``kill -USR2 <pid>`` logs the 25 allocation sites that grew most since the previous one."""
    import tracemalloc

    tracemalloc.start(10)
    previous = [tracemalloc.take_snapshot()]

    def report(*_: Any) -> None:
        snapshot = tracemalloc.take_snapshot()
        top = snapshot.compare_to(previous[0], "traceback")[:25]
        previous[0] = snapshot
        lines = []
        for stat in top:
            frames = " <- ".join(f"{f.filename.rsplit('site-packages/', 1)[-1]}:{f.lineno}"
                                 for f in reversed(stat.traceback[-6:]))   # the allocating frame first
            lines.append(f"{stat.size_diff / 1024:+10.0f} KiB {stat.count_diff:+8d} blocks  {frames}")
        log.info("memory growth since the last USR2:\n%s", "\n".join(lines))

    signal.signal(signal.SIGUSR2, report)
    log.info("tracemalloc on: kill -USR2 %d logs the growth", os.getpid())


if __name__ == "__main__":
    main()
