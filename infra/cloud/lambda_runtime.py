"""The local Lambda runtime: runs functions in warm ``python -m awslambdaric`` worker processes.

``LambdaRuntime.invoke`` behaves like the Lambda Invoke API: an idle warm worker of the
function's current revision is reused, else one is started (cold start) up to the function's
concurrency limit (reserved concurrency -> 429 beyond it; otherwise the local cap
``max_workers_per_function`` -> wait). Each worker is a separate process with its own
environment, its own Runtime API server (``lambda_worker.py``) and its own log stream; a
timeout kills it. Output goes to ``log_sink`` in batches, from a background thread. A worker
left idle for ``idle_timeout`` (5 minutes) is stopped, as Lambda reclaims idle environments.
New workers are forked from a template process that has the libraries loaded
(``lambda_zygote.py``).
"""
from __future__ import annotations

import base64
import compileall
import ctypes
import io
import json
import logging
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import uuid
import zipfile
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from queue import SimpleQueue
from typing import Callable

from infra.cloud.lambda_worker import Invocation, Worker
from infra.cloud.lambda_zygote import Template, template_env

log = logging.getLogger("lambda-runtime")
ROOT = Path(__file__).resolve().parents[2]   # the template process imports infra.cloud from here

INIT_TIMEOUT = 10.0   # seconds Lambda gives the init phase (on-demand)
TAIL_BYTES = 4096
THROTTLED = json.dumps({"Type": "User", "message": "Rate Exceeded.",
                        "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"}).encode()
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    arn: str
    handler: str                 # e.g. "inventory.handlers.api.lambda_handler"
    runtime: str                 # "python3.11"
    timeout: float               # seconds
    memory_size: int
    environment: dict[str, str]  # the function's own variables from the template
    code_zip: bytes              # the deployment package
    code_sha256: str
    reserved_concurrency: int | None
    revision: str                # changes whenever code or configuration changes


@dataclass
class InvokeResult:
    status_code: int             # 200 RequestResponse, 202 Event, 204 DryRun, 429 throttled, 404 unknown
    payload: bytes
    function_error: str | None   # "Unhandled" when the handler raised, timed out or failed init
    log_result: str | None       # base64 of the last 4 KB of this invocation's log when log_type == "Tail"
    executed_version: str = "$LATEST"
    log_lines: list[str] = field(default_factory=list)   # every line of the invocation's log, START to REPORT


@dataclass
class InvocationRecord:          # one per finished (or throttled) invocation, for metrics
    function_name: str
    request_id: str
    duration_ms: float
    billed_duration_ms: int
    cold_start: bool
    error: bool
    timed_out: bool
    throttled: bool
    concurrent_executions: int
    log_lines: list[str]         # what the handler printed during this invocation


@dataclass(eq=False)
class _Pool:
    """The workers of one function: idle ones (most recently used last) and a busy count."""
    cond: threading.Condition = field(default_factory=threading.Condition)
    idle: list[Worker] = field(default_factory=list)
    busy: int = 0


class LambdaRuntime:
    def __init__(self, resolve: Callable[[str], FunctionSpec],
                 log_sink: Callable[[str, str, list[tuple[int, str]]], None], *,
                 base_env: dict[str, str], work_dir: Path, max_workers_per_function: int = 8,
                 idle_timeout: float = 300.0, max_concurrent_inits: int | None = None,
                 python: str = sys.executable):
        """``python``: the interpreter of the workers (where the functions' libraries are)."""
        self._resolve = resolve
        self._python = python
        self._base_env = dict(base_env)
        self._work_dir = Path(work_dir)
        self._max_workers = max_workers_per_function
        self._lock = threading.Lock()        # pools, workers, closed
        self._pools: dict[str, _Pool] = {}
        self._workers: set[Worker] = set()
        self._closed = False
        self._code_lock = threading.Lock()
        self._code_dirs: dict[str, Path] = {}
        self._code_used: dict[str, float] = {}   # code hash -> when a worker was last given it
        self._listeners: list[Callable[[InvocationRecord], None]] = []
        self._logs = _LogShipper(log_sink)
        self._spawner = _Spawner(python)
        self._idle_timeout = idle_timeout
        self._init_slots = threading.BoundedSemaphore(max_concurrent_inits or os.cpu_count() or 2)
        self._stop_reaper = threading.Event()
        threading.Thread(target=self._retire_idle_loop, daemon=True, name="lambda-idle-reaper").start()

    # ------------------------------------------------------------------ public
    def invoke(self, function_name: str, payload: bytes, *, invocation_type: str = "RequestResponse",
               log_type: str = "None", client_context: str | None = None,
               spec: FunctionSpec | None = None) -> InvokeResult:
        """``spec``: the function's definition when the caller has just resolved it."""
        if self._closed:
            raise RuntimeError("the Lambda runtime is shut down")
        try:
            spec = spec or self._resolve(function_name)
        except KeyError:
            body = {"Type": "User", "message": f"Function not found: {function_name}"}
            return InvokeResult(404, json.dumps(body).encode(), None, None)
        context = _client_context_json(client_context)
        if invocation_type == "DryRun":
            return InvokeResult(204, b"", None, None)
        if invocation_type == "Event":
            threading.Thread(target=self._run_event, args=(spec, payload, context), daemon=True,
                             name=f"lambda-event-{spec.name}").start()
            return InvokeResult(202, b"", None, None)
        if invocation_type != "RequestResponse":
            raise ValueError(f"unknown invocation type {invocation_type!r}")
        return self._run(spec, payload, context, tail=log_type == "Tail", wait=False)

    def add_listener(self, fn: Callable[[InvocationRecord], None]) -> None:
        """``fn`` is called in the invoking thread after each invocation: keep it quick."""
        self._listeners.append(fn)

    def shutdown(self) -> None:
        """Kills every worker's process group, reaps them, flushes the logs. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            workers = list(self._workers)
            pools = list(self._pools.values())
        self._stop_reaper.set()
        for pool in pools:
            with pool.cond:
                pool.cond.notify_all()
        for worker in workers:
            worker.kill()
        for worker in workers:
            worker.join(timeout=5)
        self._spawner.close()
        self._logs.close()

    # ------------------------------------------------------------------ one invocation
    def _run_event(self, spec: FunctionSpec, payload: bytes, context: str | None) -> None:
        try:   # asynchronous events are queued by Lambda: wait for capacity instead of 429
            self._run(spec, payload, context, tail=False, wait=True)
        except RuntimeError:   # shut down meanwhile
            pass
        except Exception:
            log.exception("asynchronous invocation of %s failed", spec.name)

    def _run(self, spec: FunctionSpec, payload: bytes, context: str | None, *, tail: bool,
             wait: bool) -> InvokeResult:
        pool = self._pool(spec.name)
        acquired = self._acquire(pool, spec, wait)
        if acquired is None:
            self._notify(InvocationRecord(spec.name, str(uuid.uuid4()), 0.0, 0, False, False, False,
                                          True, pool.busy, []))
            return InvokeResult(429, THROTTLED, None, None)
        worker, cold, concurrent = acquired
        inv = Invocation(request_id=str(uuid.uuid4()), payload=payload, function_arn=spec.arn,
                         timeout=spec.timeout, trace_id=_trace_id(), client_context=context)
        try:
            assigned_at = time.monotonic()
            worker.assign(inv)
            self._await(worker, inv, assigned_at)
            result, record = self._conclude(spec, worker, inv, cold, concurrent, assigned_at, tail)
        finally:
            self._release(pool, worker, spec)
        self._notify(record)
        return result

    def _await(self, worker: Worker, inv: Invocation, assigned_at: float) -> None:
        """Waits for the outcome; past the deadline the worker is killed. A cold worker first
        gets up to INIT_TIMEOUT to pick the event up. The wait is re-armed at least every
        ``timeout`` seconds, as the deadline only becomes exact once the worker has the event."""
        while True:
            remaining = self._deadline(inv, assigned_at) - time.monotonic()
            if inv.done.wait(max(0.0, min(remaining, inv.timeout))):
                return
            if time.monotonic() >= self._deadline(inv, assigned_at) and inv.finish("timeout"):
                worker.kill()

    @staticmethod
    def _deadline(inv: Invocation, assigned_at: float) -> float:
        if inv.handed_at is not None:
            return inv.handed_at + inv.timeout
        return assigned_at + INIT_TIMEOUT + inv.timeout

    def _conclude(self, spec: FunctionSpec, worker: Worker, inv: Invocation, cold: bool,
                  concurrent: int, assigned_at: float, tail: bool) -> tuple[InvokeResult, InvocationRecord]:
        rid = inv.request_id
        started = inv.handed_at if inv.handed_at is not None else assigned_at
        duration = max(0.0, (inv.finished_at - started) * 1000)
        if inv.handed_at is not None:
            init_ms = worker.init_ms or 0.0
            billed = math.ceil(duration + (init_ms if cold else 0.0))   # INIT is billed since 2025-08
        else:   # the whole time went into an init that never completed
            init_ms = (inv.finished_at - worker.spawned_at) * 1000
            billed = math.ceil(duration)
        lines: list[str] = []
        if inv.handed_at is None:   # never reached the handler: init failed, crashed or hung
            if inv.outcome == "init_error":
                lines.append(f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: init\tStatus: error"
                             f"\tError Type: {inv.error_type}")
            lines.append(f"START RequestId: {rid} Version: $LATEST")
        status = ""
        payload, function_error = inv.body, "Unhandled"
        if inv.outcome == "response":
            function_error = None
        elif inv.outcome == "timeout":
            message = f"{_rfc3339(time.time())} {rid} Task timed out after {spec.timeout:.2f} seconds"
            payload = json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": message}).encode()
            lines.append(message)
            status = "\tStatus: timeout"
        elif inv.outcome == "exit":
            lines.append(json.loads(inv.body)["errorMessage"] + "\nRuntime.ExitError")
            status = "\tStatus: error\tError Type: Runtime.ExitError"
        report = (f"REPORT RequestId: {rid}\tDuration: {duration:.2f} ms\tBilled Duration: {billed} ms"
                  f"\tMemory Size: {spec.memory_size} MB\tMax Memory Used: {worker.max_memory_mb()} MB")
        if cold:
            report += f"\tInit Duration: {init_ms:.2f} ms"
        lines += [f"END RequestId: {rid}", report + status]
        worker.end_invocation(inv, lines)
        log_result = None
        if tail:
            text = ("\n".join(inv.tail) + "\n").encode()
            log_result = base64.b64encode(text[-TAIL_BYTES:]).decode()
        result = InvokeResult(200, payload, function_error, log_result, log_lines=inv.tail)
        record = InvocationRecord(spec.name, rid, duration, billed, cold, function_error is not None,
                                  inv.outcome == "timeout", False, concurrent, inv.lines)
        return result, record

    # ------------------------------------------------------------------ workers
    def _pool(self, name: str) -> _Pool:
        pool = self._pools.get(name)
        if pool is None:
            with self._lock:
                pool = self._pools.setdefault(name, _Pool())
        return pool

    def _acquire(self, pool: _Pool, spec: FunctionSpec, wait: bool) -> tuple[Worker, bool, int] | None:
        """A worker for one invocation, or None when reserved concurrency throttles it."""
        reserved = spec.reserved_concurrency
        limit = reserved if reserved is not None else self._max_workers
        retired: list[Worker] = []
        try:
            with pool.cond:
                while True:
                    if self._closed:
                        raise RuntimeError("the Lambda runtime is shut down")
                    keep = [w for w in pool.idle if w.alive and w.revision == spec.revision]
                    retired += [w for w in pool.idle if w not in keep]
                    pool.idle = keep
                    if pool.busy < limit:
                        break
                    if limit <= 0 or (reserved is not None and not wait):
                        return None
                    pool.cond.wait()
                pool.busy += 1
                concurrent = pool.busy
                worker = _take_idle(pool, spec, retired)
        finally:
            for w in retired:
                w.kill()
        if worker is not None:
            return worker, False, concurrent
        # A cold start. At most one init per core runs at a time (more only slow each other
        # down on two cores); while this one waits for its turn, a warm worker of the function
        # that frees up is taken instead.
        while not self._init_slots.acquire(timeout=0.005):
            with pool.cond:
                if self._closed:
                    pool.busy -= 1
                    raise RuntimeError("the Lambda runtime is shut down")
                dead: list[Worker] = []
                warm = _take_idle(pool, spec, dead)
            for w in dead:
                w.kill()
            if warm is not None:
                return warm, False, concurrent
        release = _once(self._init_slots.release)
        try:
            return self._start_worker(spec, pool, on_init_done=release), True, concurrent
        except BaseException:
            release()
            with pool.cond:
                pool.busy -= 1
                pool.cond.notify()
            raise

    def _release(self, pool: _Pool, worker: Worker, spec: FunctionSpec) -> None:
        with pool.cond:
            pool.busy -= 1
            keep = worker.alive and not self._closed and worker.revision == spec.revision
            if keep:
                worker.idle_since = time.monotonic()   # (set when it joins the idle list)
                pool.idle.append(worker)
            pool.cond.notify()
        if not keep:
            worker.kill()

    def retire_idle(self, idle_seconds: float | None = None) -> int:
        """Stops the workers nobody has used for ``idle_seconds`` (Lambda reclaims idle execution
        environments too: the pools shrink back after a burst); returns how many."""
        limit = self._idle_timeout if idle_seconds is None else idle_seconds
        now, retired = time.monotonic(), []
        with self._lock:
            pools = list(self._pools.values())
        for pool in pools:
            with pool.cond:
                keep = [w for w in pool.idle if now - w.idle_since < limit]
                retired += [w for w in pool.idle if w not in keep]
                pool.idle = keep
        for worker in retired:
            worker.kill()
        return len(retired)

    def retire_stale(self, function_name: str) -> int:
        """Stops the idle workers of a function that no longer run its current code and
        configuration (after UpdateFunctionCode, UpdateFunctionConfiguration, DeleteFunction):
        Lambda's new execution environments. Busy ones end after their invocation (``_release``).
        Returns how many."""
        try:
            spec = self._resolve(function_name)
            name, revision = spec.name, spec.revision
        except KeyError:   # deleted: none of its workers is current
            name, revision = function_name.rsplit(":function:", 1)[-1].split(":")[0], None
        pool = self._pools.get(name)
        if pool is None:
            return 0
        with pool.cond:
            retired = [w for w in pool.idle if w.revision != revision]
            pool.idle = [w for w in pool.idle if w.revision == revision]
        for worker in retired:
            worker.kill()
        return len(retired)

    def _retire_idle_loop(self) -> None:
        while not self._stop_reaper.wait(min(30.0, self._idle_timeout / 2)):
            try:
                self.retire_idle()
                self.prune_code()
            except Exception:
                log.exception("retiring idle workers failed")

    def _start_worker(self, spec: FunctionSpec, pool: _Pool,
                      on_init_done: Callable[[], None] | None = None) -> Worker:
        task_root = self._code_dir(spec)

        def on_exit(worker: Worker) -> None:
            with pool.cond:
                if worker in pool.idle:
                    pool.idle.remove(worker)
            with self._lock:
                self._workers.discard(worker)

        worker = Worker(function_name=spec.name, revision=spec.revision,
                        argv=[self._python, "-m", "awslambdaric", spec.handler], cwd=str(task_root),
                        env=self._worker_env(spec, task_root), spawn=self._spawner.spawn,
                        ship_log=self._logs.add, on_exit=on_exit, on_init_done=on_init_done)
        with self._lock:
            closed = self._closed
            if not closed:
                self._workers.add(worker)
        if closed:
            worker.kill()
            worker.join(timeout=5)
            raise RuntimeError("the Lambda runtime is shut down")
        return worker

    def _worker_env(self, spec: FunctionSpec, task_root: Path) -> dict[str, str]:
        """base_env + the function's variables + Lambda's reserved variables (these win)."""
        env = {**self._base_env, **spec.environment}
        python_path = env.get("PYTHONPATH")
        env.update({
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_XRAY_SDK_ENABLED": "false",
            "LAMBDA_TASK_ROOT": str(task_root),
            "LAMBDA_RUNTIME_DIR": sysconfig.get_paths()["purelib"],
            "PYTHONPATH": str(task_root) + (os.pathsep + python_path if python_path else ""),
            "PYTHONUNBUFFERED": "1",
            "TZ": ":UTC",
            "_HANDLER": spec.handler,
        })
        return env   # AWS_LAMBDA_RUNTIME_API and AWS_LAMBDA_LOG_STREAM_NAME: per worker

    def _code_dir(self, spec: FunctionSpec) -> Path:
        """The deployment package, extracted once per code hash: LAMBDA_TASK_ROOT. Functions
        deployed from the same package (one CodeUri) share it, read-only as /var/task is, so a
        new package (a hot reload) is extracted and compiled once, not once per function."""
        key = spec.code_sha256
        with self._code_lock:
            path = self._code_dirs.get(key)
            if path is None:
                safe = re.sub(r"[^A-Za-z0-9_-]", "", spec.code_sha256.replace("+", "-").replace("/", "_"))
                path = self._work_dir / "code" / (safe or "code")
                if not path.is_dir():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=".extract-"))
                    with zipfile.ZipFile(io.BytesIO(spec.code_zip)) as archive:
                        archive.extractall(tmp)
                    # bytecode once per package, not in every cold start (.pyc is a cache:
                    # the sources are unchanged and stay what runs)
                    compileall.compile_dir(str(tmp), quiet=2, workers=1)
                    try:
                        os.rename(tmp, path)
                    except OSError:   # extracted concurrently by another runtime
                        shutil.rmtree(tmp, ignore_errors=True)
                self._code_dirs[key] = path
            self._code_used[key] = time.monotonic()
        return path

    def prune_code(self, keep_for: float = 60.0) -> int:
        """Removes the extracted packages that no function has any more and no worker runs (a hot
        reload extracts one per save), once unused for ``keep_for`` seconds; returns how many."""
        with self._lock:
            names, in_use = list(self._pools), {w.cwd for w in self._workers}
        current = set()
        for name in names:
            try:
                current.add(self._resolve(name).code_sha256)
            except KeyError:
                pass
        now, removed = time.monotonic(), []
        with self._code_lock:
            for sha, path in list(self._code_dirs.items()):
                if sha not in current and str(path) not in in_use and now - self._code_used[sha] >= keep_for:
                    del self._code_dirs[sha], self._code_used[sha]
                    removed.append(path)
        for path in removed:
            shutil.rmtree(path, ignore_errors=True)
        return len(removed)

    def _notify(self, record: InvocationRecord) -> None:
        for listener in list(self._listeners):
            try:
                listener(record)
            except Exception:
                log.exception("invocation listener failed")


def _take_idle(pool: "_Pool", spec: FunctionSpec, dead: list[Worker]) -> Worker | None:
    """The most recently idle worker of the spec's revision that is still there (see
    ``Worker.responsive``); the ones found gone are moved to ``dead``. Under the pool's lock."""
    while pool.idle:
        worker = pool.idle.pop()
        if worker.revision == spec.revision and worker.responsive():
            return worker
        dead.append(worker)
    return None


class _Spawner:
    """Starts processes from one long-lived thread with PR_SET_PDEATHSIG=SIGKILL, so they die
    with this process. (The signal fires when the *thread* that forked exits, hence one thread
    that lives as long as the runtime, not the short-lived request threads.)

    Workers are forked from a template process per Lambda runtime that has already imported the
    common libraries (``lambda_zygote.py``); the template processes are started here."""

    def __init__(self, python: str = sys.executable):
        self._python = python
        self._requests: SimpleQueue = SimpleQueue()
        self._lock = threading.Lock()          # templates, closed
        self._thread_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._templates: dict[tuple, Template] = {}

    def spawn(self, argv: list[str], cwd: str, env: dict[str, str]):
        """A worker (``python -m awslambdaric <handler>``), forked from its runtime's template."""
        return self._template_for(env).spawn(argv, cwd, env)

    def _template_for(self, worker_env: dict[str, str]) -> Template:
        env = template_env(worker_env)
        key = tuple(sorted(env.items()))
        with self._lock:
            if self._closed:
                raise RuntimeError("the Lambda runtime is shut down")
            template = self._templates.get(key)
            if template is None or not template.alive:
                template = Template(env, lambda argv, fds, env: self._popen(argv, str(ROOT), env, pass_fds=fds),
                                    python=self._python)
                self._templates[key] = template
            return template

    def _popen(self, argv: list[str], cwd: str, env: dict[str, str], **kwargs) -> subprocess.Popen:
        future: Future = Future()
        with self._thread_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True, name="lambda-spawner")
                self._thread.start()
        if self._closed:
            raise RuntimeError("the Lambda runtime is shut down")
        self._requests.put((argv, cwd, env, kwargs, future))
        return future.result()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            templates, self._templates = list(self._templates.values()), {}
        with self._thread_lock:
            if self._thread is not None:
                self._requests.put(None)
        for template in templates:
            template.close()

    def _run(self) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        parent = os.getpid()

        def die_with_parent() -> None:   # runs in the child between fork and exec
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != parent:
                os._exit(1)

        while (request := self._requests.get()) is not None:
            argv, cwd, env, kwargs, future = request
            try:
                future.set_result(subprocess.Popen(
                    argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                    start_new_session=True, preexec_fn=die_with_parent, **kwargs))
            except BaseException as exc:
                future.set_exception(exc)


class _LogShipper:
    """Batches log lines per (group, stream); ``sink`` is called from one background thread,
    200 ms after the first line of a batch or at 500 lines."""

    def __init__(self, sink: Callable[[str, str, list[tuple[int, str]]], None],
                 interval: float = 0.2, max_lines: int = 500):
        self._sink, self._interval, self._max = sink, interval, max_lines
        self._cond = threading.Condition()
        self._batch: dict[tuple[str, str], list[tuple[int, str]]] = {}
        self._count = 0
        self._closed = False
        self._thread = threading.Thread(target=self._run, daemon=True, name="lambda-logs")
        self._thread.start()

    def add(self, group: str, stream: str, timestamp_ms: int, message: str) -> None:
        with self._cond:
            self._batch.setdefault((group, stream), []).append((timestamp_ms, message))
            self._count += 1
            if self._count == 1 or self._count >= self._max:
                self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._count and not self._closed:
                    self._cond.wait()
                if self._count < self._max and not self._closed:
                    self._cond.wait(self._interval)
                batch, self._batch, self._count = self._batch, {}, 0
                closed = self._closed
            for (group, stream), events in batch.items():
                try:
                    self._sink(group, stream, events)
                except Exception:
                    log.exception("log sink failed for %s %s", group, stream)
            if closed and not batch:
                return


def _once(fn: Callable[[], None]) -> Callable[[], None]:
    """``fn`` the first time, nothing after (an init slot is given back exactly once)."""
    lock, done = threading.Lock(), [False]

    def call() -> None:
        with lock:
            if done[0]:
                return
            done[0] = True
        fn()
    return call


def _client_context_json(client_context: str | None) -> str | None:
    """The Invoke API takes the client context base64-encoded; the Runtime API passes JSON."""
    if not client_context:
        return None
    try:
        text = client_context if client_context.lstrip().startswith("{") \
            else base64.b64decode(client_context, validate=True).decode()
        return json.dumps(json.loads(text), separators=(",", ":"))
    except ValueError:   # also binascii.Error, UnicodeDecodeError
        return None


def _trace_id() -> str:
    return f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()};Parent={os.urandom(8).hex()};Sampled=0"


def _rfc3339(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
