"""The local Lambda runtime with real awslambdaric worker processes (no mocks).

Handlers are written to a zip, as a deployment package would be. No assertion depends on how
fast the machine is: parallelism is shown by the handlers' own start/end times, throttling by
a handler that holds until the test releases it.
"""
from __future__ import annotations

import base64
import io
import json
import os
import re
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from tests.polling import eventually

from infra.cloud.lambda_runtime import FunctionSpec, InvocationRecord, LambdaRuntime
from infra.deploy.build import CodeSource
from infra.deploy.resources import code_sha256

try:
    import psutil
except ImportError:   # /proc is enough on Linux
    psutil = None

ROOT = Path(__file__).resolve().parents[2]

HANDLERS = '''
import os, subprocess, sys, time

print("module loaded")


def echo(event, context):
    return {"event": event, "request_id": context.aws_request_id, "pid": os.getpid()}


def boom(event, context):
    raise ValueError(f"boom {event['n']}")


def sleep(event, context):
    start = time.time()
    time.sleep(event["seconds"])
    return {"pid": os.getpid(), "start": start, "end": time.time()}


def hold(event, context):
    """Signals that it runs, then waits for the test to release it."""
    open(event["started"], "w").close()
    deadline = time.time() + 20
    while not os.path.exists(event["release"]) and time.time() < deadline:
        time.sleep(0.01)
    return {"pid": os.getpid()}


def env(event, context):
    return {"env": dict(os.environ), "cwd": os.getcwd(), "pid": os.getpid(),
            "arn": context.invoked_function_arn,
            "remaining_ms": context.get_remaining_time_in_millis(),
            "function_name": context.function_name, "memory": context.memory_limit_in_mb,
            "custom": context.client_context.custom if context.client_context else None}


def models(event, context):
    import gc
    import botocore.session
    first, second = botocore.session.get_session(), botocore.session.get_session()
    own = botocore.session.Session()
    own.set_config_variable("data_path", os.environ["LAMBDA_TASK_ROOT"])
    loader = first.get_component("data_loader")
    client = second.create_client("dynamodb", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                                  aws_access_key_id="x", aws_secret_access_key="x")
    return {"shared": loader is second.get_component("data_loader"),
            "own_path_own_loader": own.get_component("data_loader") is not loader,
            "operation": "GetItem" in client.meta.service_model.operation_names,
            "frozen": gc.get_freeze_count() > 0}


def chatty(event, context):
    print("hello from the handler", event["n"])
    print("a warning on stderr", file=sys.stderr)
    return "ok"


def crash(event, context):
    os._exit(3)


def spawn_child(event, context):
    child = subprocess.Popen(["sleep", "60"])
    return {"pid": os.getpid(), "child": child.pid}
'''

BASE_ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "AWS_REGION": "eu-west-3",
    "AWS_DEFAULT_REGION": "eu-west-3",
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
}
STREAM_NAME = re.compile(r"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$")


def _zip(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buf.getvalue()


CODE = _zip({"handlers.py": HANDLERS})


def _alive(pid: int) -> bool:
    if psutil is not None:
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _workers_under(work_dir: Path) -> list[int]:
    """This runtime's worker processes still alive (their cwd is under work_dir)."""
    found = []
    if psutil is not None:
        for proc in psutil.Process().children(recursive=True):
            try:
                # a worker forked from the template process has its command line as its title
                if "awslambdaric" in " ".join(proc.cmdline()) and proc.cwd().startswith(str(work_dir)) \
                        and proc.status() != psutil.STATUS_ZOMBIE:
                    found.append(proc.pid)
            except psutil.Error:
                pass
        return found
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"awslambdaric" in (entry / "cmdline").read_bytes() \
                    and os.readlink(entry / "cwd").startswith(str(work_dir)) and _alive(int(entry.name)):
                found.append(int(entry.name))
        except OSError:
            pass
    return found


class Cloud:
    """A LambdaRuntime with an in-memory function registry, log sink and metrics listener."""

    def __init__(self, work_dir: Path, max_workers: int = 4):
        self.work_dir = work_dir
        self.specs: dict[str, FunctionSpec] = {}
        self.logs: list[tuple[str, str, int, str]] = []
        self.records: list[InvocationRecord] = []
        self._lock = threading.Lock()
        self.runtime = LambdaRuntime(self.resolve, self.sink, base_env=BASE_ENV, work_dir=work_dir,
                                     max_workers_per_function=max_workers)
        self.runtime.add_listener(self._record)

    def add(self, name: str, handler: str, **overrides) -> FunctionSpec:
        spec = FunctionSpec(
            name=name, arn=f"arn:aws:lambda:eu-west-3:123456789012:function:{name}",
            handler=handler if "." in handler else f"handlers.{handler}", runtime="python3.11", timeout=5.0, memory_size=256,
            environment={}, code_zip=CODE, code_sha256=base64.b64encode(os.urandom(32)).decode(),
            reserved_concurrency=None, revision="1",
        )
        self.specs[name] = spec = replace(spec, **overrides)
        return spec

    def resolve(self, name_or_arn: str) -> FunctionSpec:
        return self.specs[name_or_arn.rsplit(":function:", 1)[-1]]

    def sink(self, group: str, stream: str, events: list[tuple[int, str]]) -> None:
        with self._lock:
            self.logs += [(group, stream, ts, message) for ts, message in events]

    def _record(self, record: InvocationRecord) -> None:
        with self._lock:
            self.records.append(record)

    def invoke(self, name: str, event: object = None, **kwargs):
        result = self.runtime.invoke(name, json.dumps(event or {}).encode(), **kwargs)
        body = json.loads(result.payload) if result.payload else None
        return result, body

    def messages(self, group: str) -> list[str]:
        with self._lock:
            return [message for g, _, _, message in self.logs if g == group]

    def record_for(self, request_id: str) -> InvocationRecord:
        return next(r for r in self.records if r.request_id == request_id)


@pytest.fixture
def cloud(tmp_path):
    cloud = Cloud(tmp_path)
    yield cloud
    cloud.runtime.shutdown()
    assert eventually(lambda: not _workers_under(tmp_path), 5), "worker processes left behind"


def test_success_returns_the_handler_result(cloud):
    cloud.add("echo", "echo")
    result, body = cloud.invoke("echo", {"sku": "A-1", "qty": 2})
    assert result.status_code == 200
    assert result.function_error is None and result.log_result is None
    assert result.executed_version == "$LATEST"
    assert body["event"] == {"sku": "A-1", "qty": 2}
    record = cloud.record_for(body["request_id"])
    assert record.cold_start and not record.error and not record.throttled

    again, body2 = cloud.invoke(cloud.specs["echo"].arn, {"n": 2})   # by ARN, warm
    assert again.status_code == 200 and body2["pid"] == body["pid"]
    assert not cloud.record_for(body2["request_id"]).cold_start


def test_handler_exception_is_an_unhandled_function_error(cloud):
    cloud.add("boom", "boom")
    result, body = cloud.invoke("boom", {"n": 7})
    assert result.status_code == 200 and result.function_error == "Unhandled"
    assert body["errorType"] == "ValueError" and body["errorMessage"] == "boom 7"
    assert any("raise ValueError" in frame for frame in body["stackTrace"])
    record = cloud.record_for(body["requestId"])
    assert record.error and not record.timed_out
    # the worker survives a handler exception
    assert cloud.invoke("boom", {"n": 8})[1]["errorMessage"] == "boom 8"
    assert not cloud.record_for(cloud.records[-1].request_id).cold_start


def test_init_failure_reports_the_import_error(cloud):
    cloud.add("broken", "missing_module.handler")
    result, body = cloud.invoke("broken")
    assert result.function_error == "Unhandled"
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert "missing_module" in body["errorMessage"]
    assert cloud.records[-1].error and cloud.records[-1].cold_start


def test_timeout_kills_the_worker_and_the_next_invoke_gets_a_new_one(cloud):
    cloud.add("slow", "sleep", timeout=1.0)
    warm, body = cloud.invoke("slow", {"seconds": 0})
    old_pid = body["pid"]

    result, body = cloud.invoke("slow", {"seconds": 30})
    assert result.function_error == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    request_id = cloud.records[-1].request_id
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z " + request_id
                        + r" Task timed out after 1\.00 seconds", body["errorMessage"])
    assert cloud.records[-1].timed_out and cloud.records[-1].error
    assert eventually(lambda: not _alive(old_pid), 5)

    result, body = cloud.invoke("slow", {"seconds": 0})
    assert result.status_code == 200 and result.function_error is None
    assert body["pid"] != old_pid and cloud.records[-1].cold_start

    group = "/aws/lambda/slow"
    assert eventually(lambda: any(m.endswith(f"{request_id} Task timed out after 1.00 seconds")
                                   for m in cloud.messages(group)))
    assert eventually(lambda: any(m.startswith(f"REPORT RequestId: {request_id}") and "Status: timeout" in m
                                   for m in cloud.messages(group)))


def test_worker_crash_is_a_runtime_exit_error(cloud):
    cloud.add("crash", "crash")
    result, body = cloud.invoke("crash")
    request_id = cloud.records[-1].request_id
    assert result.function_error == "Unhandled"
    assert body == {"errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status 3"}


def test_concurrent_invocations_run_in_parallel_processes(cloud):
    n = 4
    cloud.add("sleepy", "sleep")

    def burst():
        with ThreadPoolExecutor(n) as pool:
            return list(pool.map(lambda _: cloud.invoke("sleepy", {"seconds": 0.5}), range(n)))

    burst()   # cold starts happen here; the second burst runs on n warm workers
    results = burst()
    bodies = [body for result, body in results]
    assert all(result.status_code == 200 and result.function_error is None for result, _ in results)
    assert len({body["pid"] for body in bodies}) == n
    # every handler started before any of them finished: they overlapped
    assert max(b["start"] for b in bodies) < min(b["end"] for b in bodies)
    assert max(r.concurrent_executions for r in cloud.records) == n


def test_reserved_concurrency_throttles_beyond_the_reservation(cloud, tmp_path):
    cloud.add("reserved", "hold", reserved_concurrency=1)
    started, release = tmp_path / "started", tmp_path / "release"
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(cloud.invoke, "reserved", {"started": str(started), "release": str(release)})
        assert eventually(started.exists)
        result, body = cloud.invoke("reserved", {"started": str(started), "release": str(release)})
        release.touch()
        assert first.result()[0].status_code == 200
    assert result.status_code == 429 and result.function_error is None
    assert body == {"Type": "User", "message": "Rate Exceeded.",
                    "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"}
    assert sum(r.throttled for r in cloud.records) == 1

    cloud.add("disabled", "echo", reserved_concurrency=0)
    assert cloud.invoke("disabled")[0].status_code == 429


def test_environment_has_function_and_reserved_variables(cloud):
    spec = cloud.add("envy", "env", environment={"TABLE_NAME": "orders", "LOG_LEVEL": "DEBUG"},
                     timeout=7.0, memory_size=512)
    context = base64.b64encode(json.dumps({"custom": {"tenant": "store-1"}}).encode()).decode()
    result, body = cloud.invoke("envy", client_context=context)
    env = body["env"]
    assert env["TABLE_NAME"] == "orders" and env["LOG_LEVEL"] == "DEBUG"
    assert env["AWS_REGION"] == "eu-west-3" and env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "envy" and body["function_name"] == "envy"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512" and body["memory"] == "512"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/envy"
    assert STREAM_NAME.match(env["AWS_LAMBDA_LOG_STREAM_NAME"])
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.11"
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert env["AWS_XRAY_SDK_ENABLED"] == "false"
    assert env["_HANDLER"] == "handlers.env"
    assert env["TZ"] == ":UTC" and env["PYTHONUNBUFFERED"] == "1"
    assert re.fullmatch(r"127\.0\.0\.1:\d+", env["AWS_LAMBDA_RUNTIME_API"])
    assert env["LAMBDA_TASK_ROOT"] == body["cwd"] and "LAMBDA_RUNTIME_DIR" in env
    assert env["PYTHONPATH"].split(os.pathsep)[0] == env["LAMBDA_TASK_ROOT"]
    assert Path(env["LAMBDA_TASK_ROOT"], "handlers.py").is_file()
    assert env["_X_AMZN_TRACE_ID"].startswith("Root=1-")
    assert "PYTEST_CURRENT_TEST" not in env   # nothing leaks from the parent's environment
    assert body["arn"] == spec.arn
    assert 0 < body["remaining_ms"] <= 7000
    assert body["custom"] == {"tenant": "store-1"}


def test_logs_reach_the_sink_with_start_end_report(cloud):
    cloud.add("chatty", "chatty", memory_size=128)
    first, _ = cloud.invoke("chatty", {"n": 1}, log_type="Tail")
    second, _ = cloud.invoke("chatty", {"n": 2}, log_type="Tail")
    cold, warm = cloud.records[-2:]

    tail = base64.b64decode(first.log_result).decode().splitlines()
    assert tail.index(f"START RequestId: {cold.request_id} Version: $LATEST") \
        < tail.index("hello from the handler 1") < tail.index("a warning on stderr") \
        < tail.index(f"END RequestId: {cold.request_id}")
    report = tail[-1]
    assert re.fullmatch(rf"REPORT RequestId: {cold.request_id}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms"
                        r"\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms", report)
    warm_tail = base64.b64decode(second.log_result).decode()
    assert "hello from the handler 2" in warm_tail and "hello from the handler 1" not in warm_tail
    assert "Init Duration" not in warm_tail
    assert "hello from the handler 2" in warm.log_lines and "a warning on stderr" in warm.log_lines
    assert not any(line.startswith(("START", "END", "REPORT")) for line in warm.log_lines)

    group = "/aws/lambda/chatty"
    assert eventually(lambda: f"END RequestId: {warm.request_id}" in cloud.messages(group))
    messages = cloud.messages(group)
    for expected in ("module loaded", "hello from the handler 1", "hello from the handler 2",
                     f"START RequestId: {warm.request_id} Version: $LATEST"):
        assert expected in messages
    assert sum(m.startswith("REPORT RequestId: ") for m in messages) == 2
    streams = {stream for g, stream, _, _ in cloud.logs if g == group}
    assert len(streams) == 1 and STREAM_NAME.match(streams.pop())


def test_event_dry_run_and_unknown_function(cloud):
    cloud.add("async", "echo")
    result = cloud.runtime.invoke("async", b'{"n": 1}', invocation_type="Event")
    assert (result.status_code, result.payload, result.function_error) == (202, b"", None)
    assert eventually(lambda: any(r.function_name == "async" for r in cloud.records))

    dry = cloud.runtime.invoke("async", b"{}", invocation_type="DryRun")
    assert (dry.status_code, dry.payload) == (204, b"")
    missing, body = cloud.invoke("nope")
    assert missing.status_code == 404 and body["Type"] == "User"


def test_a_new_revision_retires_warm_workers(cloud):
    cloud.add("rev", "env", environment={"GENERATION": "1"})
    _, first = cloud.invoke("rev")
    cloud.specs["rev"] = replace(cloud.specs["rev"], environment={"GENERATION": "2"}, revision="2")
    _, second = cloud.invoke("rev")
    assert (first["env"]["GENERATION"], second["env"]["GENERATION"]) == ("1", "2")
    assert second["pid"] != first["pid"]
    assert eventually(lambda: not _alive(first["pid"]), 5)


def test_retire_stale_stops_the_idle_workers_of_a_changed_function_at_once(cloud):
    """What the endpoint does after UpdateFunctionCode/Configuration: the old warm workers go
    without waiting for the function's next invocation (hot reload drains them)."""
    cloud.add("rev", "env")
    _, first = cloud.invoke("rev")
    assert cloud.runtime.retire_stale("rev") == 0   # unchanged: kept
    cloud.specs["rev"] = replace(cloud.specs["rev"], revision="2")
    assert cloud.runtime.retire_stale("rev") == 1
    assert eventually(lambda: not _alive(first["pid"]), 5)


def test_functions_share_their_package_on_disk_and_a_replaced_one_is_removed(cloud):
    cloud.add("one", "env")
    cloud.add("two", "env", code_sha256=cloud.specs["one"].code_sha256)
    _, first = cloud.invoke("one")
    cloud.invoke("two")
    assert [p.name for p in (cloud.work_dir / "code").iterdir()] == [os.path.basename(first["cwd"])]
    for name in ("one", "two"):   # new code for both (a hot reload)
        cloud.specs[name] = replace(cloud.specs[name], code_sha256="new", revision="2")
    assert cloud.runtime.prune_code(keep_for=0) == 0, "the old package is still current for no one, but in use"
    _, second = cloud.invoke("one")
    cloud.invoke("two")
    assert second["cwd"] != first["cwd"]
    assert eventually(lambda: cloud.runtime.prune_code(keep_for=0) == 1, 5)
    assert [p.name for p in (cloud.work_dir / "code").iterdir()] == ["new"]
    assert cloud.invoke("one")[1]["cwd"] == second["cwd"]


PROBE = '''
import importlib, os


def handler(event, context):
    try:
        importlib.import_module(event["module"])
    except ImportError as exc:
        return {"imported": False, "error": repr(exc)}
    return {"imported": True, "task_root": sorted(set(os.listdir(os.environ["LAMBDA_TASK_ROOT"])) - {"__pycache__"})}
'''


def test_a_function_packaged_per_domain_imports_its_domain_and_shared_but_no_other_domain(cloud):
    """The package functions/Makefile builds for ReportingFunction (as `sam build` and the local
    deployer build it; docs/adr/0002-per-domain-packaging.md), in a real worker: its own domain
    and the shared package import, another domain's code does not. A probe module is added."""
    with zipfile.ZipFile(io.BytesIO(CodeSource(ROOT / "functions", "ReportingFunction").package())) as built:
        files = {name: built.read(name) for name in built.namelist()}
    package = _zip({**files, "probe.py": PROBE})
    cloud.add("reporting", "probe.handler", code_zip=package, code_sha256=code_sha256(package))
    for module in ("reporting.logic", "reporting.schemas", "shared.errors"):
        body = cloud.invoke("reporting", {"module": module})[1]
        assert body["imported"], (module, body)
    assert body["task_root"] == ["probe.py", "reporting", "shared"]
    for module in ("web.app", "inventory.logic", "health", "sagas.schemas"):
        body = cloud.invoke("reporting", {"module": module})[1]
        assert not body["imported"] and f"No module named '{module.split('.')[0]}'" in body["error"], (module, body)


def test_shutdown_kills_every_worker_and_their_children(tmp_path):
    cloud = Cloud(tmp_path)
    cloud.add("parent", "spawn_child")
    cloud.add("held", "hold")
    _, spawned = cloud.invoke("parent")
    started, release = tmp_path / "started", tmp_path / "release"
    with ThreadPoolExecutor(1) as pool:
        in_flight = pool.submit(cloud.invoke, "held", {"started": str(started), "release": str(release)})
        assert eventually(started.exists)
        assert _alive(spawned["pid"]) and _alive(spawned["child"])
        assert len(_workers_under(tmp_path)) == 2

        cloud.runtime.shutdown()
        cloud.runtime.shutdown()   # idempotent
        result, body = in_flight.result()
    assert result.function_error == "Unhandled" and body["errorType"] == "Runtime.ExitError"
    assert body["errorMessage"].endswith("Runtime exited with error: signal: killed")
    assert _workers_under(tmp_path) == []
    assert eventually(lambda: not _alive(spawned["pid"]) and not _alive(spawned["child"]), 5)
    with pytest.raises(RuntimeError):
        cloud.runtime.invoke("parent", b"{}")


def _parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def test_workers_are_forked_from_one_template_with_their_own_environment(cloud):
    cloud.add("first", "env", environment={"ONLY_FIRST": "1"})
    cloud.add("second", "env", environment={"ONLY_SECOND": "2"})
    _, first = cloud.invoke("first")
    _, second = cloud.invoke("second")
    template = _parent_of(first["pid"])
    assert template == _parent_of(second["pid"]) != os.getpid()
    assert b"infra.cloud.lambda_zygote" in Path(f"/proc/{template}/cmdline").read_bytes()
    # each fork becomes its function: its variables, its task root, its log stream; not the other's
    assert first["env"]["ONLY_FIRST"] == "1" and "ONLY_SECOND" not in first["env"]
    assert second["env"]["ONLY_SECOND"] == "2" and "ONLY_FIRST" not in second["env"]
    assert first["cwd"] != second["cwd"] and first["cwd"] == first["env"]["LAMBDA_TASK_ROOT"]
    assert first["env"]["AWS_LAMBDA_LOG_STREAM_NAME"] != second["env"]["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert b"awslambdaric handlers.env" in Path(f"/proc/{first['pid']}/cmdline").read_bytes()


def test_workers_share_the_botocore_models_the_template_loaded(cloud):
    cloud.add("models", "models")
    _, answer = cloud.invoke("models")
    # one Loader for every default session, so models are parsed once, in the template; a session
    # with its own data path keeps its own; clients work as usual; the template's objects are frozen
    assert answer == {"shared": True, "own_path_own_loader": True, "operation": True, "frozen": True}


def test_an_idle_worker_that_died_is_never_handed_the_next_invocation(cloud):
    """A worker killed between invocations, before its exit reaches the runtime (the template,
    which reports it, is stopped here to hold that moment open): the next invocation goes to a
    new worker and succeeds; only an invocation a worker was running can fail with it."""
    import signal as signals

    cloud.add("victim", "echo")
    _, first = cloud.invoke("victim", {"n": 1})
    template = _parent_of(first["pid"])
    os.kill(template, signals.SIGSTOP)
    try:
        os.kill(first["pid"], signals.SIGKILL)
        assert eventually(lambda: not _alive(first["pid"]), 5)   # a zombie: its sockets are closed
        answer: list = []
        caller = threading.Thread(target=lambda: answer.append(cloud.invoke("victim", {"n": 2})))
        caller.start()
        time.sleep(0.3)   # the invocation is being placed while the exit is still unreported
    finally:
        os.kill(template, signals.SIGCONT)
    caller.join(30)
    result, body = answer[0]
    assert result.function_error is None, body
    assert body["event"] == {"n": 2} and body["pid"] != first["pid"]


def test_a_worker_that_fails_to_import_reports_an_init_error_from_the_fork_too(cloud):
    cloud.add("missing", "no_such_module.handler")
    result, body = cloud.invoke("missing")
    assert result.function_error == "Unhandled" and body["errorType"] == "Runtime.ImportModuleError"


def test_idle_workers_are_retired_and_the_next_invocation_starts_a_new_one(cloud):
    cloud.add("idle", "echo")
    _, first = cloud.invoke("idle")
    assert cloud.runtime.retire_idle(idle_seconds=3600) == 0   # recently used: kept
    assert cloud.runtime.retire_idle(idle_seconds=0) == 1
    assert eventually(lambda: not _alive(first["pid"]), 5)
    result, second = cloud.invoke("idle")
    assert result.function_error is None and second["pid"] != first["pid"]


SLOW_INIT = '''
import os, time
started = time.time()
time.sleep(0.3)   # a heavy import
with open(os.environ["INIT_LOG"], "a") as log:
    log.write(f"{started} {time.time()}\\n")


def handler(event, context):
    return {"pid": os.getpid()}
'''


def test_cold_starts_take_turns_and_never_overlap_beyond_the_limit(tmp_path):
    cloud = Cloud(tmp_path / "cloud", max_workers=4)
    cloud.runtime._init_slots = threading.BoundedSemaphore(1)   # one init at a time
    init_log = tmp_path / "inits.log"
    cloud.add("slow", "slowinit.handler", code_zip=_zip({"slowinit.py": SLOW_INIT}),
              environment={"INIT_LOG": str(init_log)})
    try:
        with ThreadPoolExecutor(3) as pool:
            results = list(pool.map(lambda _: cloud.invoke("slow"), range(3)))
        assert all(result.function_error is None for result, _ in results)
        spans = sorted(tuple(map(float, line.split())) for line in init_log.read_text().split("\n") if line)
        assert len(spans) == len({body["pid"] for _, body in results}) >= 2
        # each init began after the previous one had ended (or a warm worker served the request)
        assert all(later[0] >= earlier[1] for earlier, later in zip(spans, spans[1:]))
    finally:
        cloud.runtime.shutdown()
