"""Cold starts in milliseconds: a template process that forks Lambda workers.

Starting ``python -m awslambdaric <handler>`` from scratch costs over a second of CPU, most
of it importing the same libraries in every worker (boto3 and botocore, powertools, pydantic,
pynamodb, the X-Ray SDK). As Lambda SnapStart restores a snapshot instead of initialising
again, the runtime starts one *template* process per Lambda runtime (``python3.11`` ...),
which imports those libraries once and then forks a worker on demand. The fork then does
what a fresh process would: a new session and process group, stdin from /dev/null,
stdout/stderr into the runtime's pipe, the function's own environment, working directory
and ``sys.path``, and finally awslambdaric's own ``main``, which imports the handler, reports
an init error through the Runtime API if that fails, and serves invocations. Nothing of the
function is loaded before the fork, so each worker still runs its own init (module state,
cold-start metrics, INIT errors) exactly as before.

Protocol (a SOCK_SEQPACKET socket pair, one JSON message per packet):

- runtime -> template: ``{"id", "argv", "cwd", "env"}`` with the pipe's write end attached
  (SCM_RIGHTS); the template answers ``{"id", "pid"}`` or ``{"id", "error"}``.
- template -> runtime: ``{"exit": pid, "status": code}`` when a worker has ended; before it
  reaps the worker, the template kills what is left of its process group (as the runtime
  does for workers it starts itself), so the group id cannot be reused meanwhile.

The template dies with the runtime (PR_SET_PDEATHSIG), and each worker with the template.
"""
from __future__ import annotations

import ctypes
import gc
import importlib
import json
import os
import selectors
import signal
import socket
import sys
import threading
from concurrent.futures import Future
from typing import Any, Callable

PR_SET_PDEATHSIG = 1
MAX_MESSAGE = 1 << 20

# Imported once in the template. Only libraries whose import does not depend on a function's
# own settings: the template's environment carries the variables every worker shares (see
# ``template_env``), the function's own ones only exist after the fork.
PRELOAD = (
    "boto3", "botocore.session", "botocore.client", "botocore.endpoint", "botocore.parsers",
    "botocore.serialize", "botocore.regions", "botocore.httpsession", "botocore.crt.auth",
    "pydantic", "pynamodb.models", "pynamodb.attributes", "pynamodb.transactions",
    "aws_xray_sdk.core",
    "aws_lambda_powertools", "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.event_handler.api_gateway", "aws_lambda_powertools.utilities.data_classes",
    "pydantic.type_adapter", "pydantic.json_schema",
    "aws_lambda_powertools.event_handler.openapi.models",
    "aws_lambda_powertools.event_handler.middlewares.openapi_validation",
    "aws_lambda_powertools.logging", "aws_lambda_powertools.metrics", "aws_lambda_powertools.tracing",
    "aws_lambda_powertools.utilities.typing", "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.idempotency.persistence.dynamodb",
    "chalice.app", "jinja2", "itsdangerous",   # the web back office (functions/web)
)
# Not awslambdaric: its C client reads AWS_LAMBDA_RUNTIME_API (one per worker) when imported.
# What every worker of a runtime has in common and the libraries above read at import time
# (powertools' user agent and cold-start type, the X-Ray SDK's Lambda mode).
SHARED_VARIABLES = ("AWS_EXECUTION_ENV", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_XRAY_SDK_ENABLED",
                    "LAMBDA_RUNTIME_DIR", "AWS_REGION", "AWS_DEFAULT_REGION", "TZ", "LANG", "PATH",
                    "VIRTUAL_ENV")


# --------------------------------------------------------------------------- template side
def _preload() -> None:
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception as exc:  # a missing optional library only makes cold starts slower
            print(f"lambda template: could not preload {name}: {exc!r}", file=sys.stderr, flush=True)


# The AWS services whose botocore models the template parses once (see _share_botocore_models):
# the ones this project's handlers, pynamodb and the X-Ray SDK create clients for.
MODELS = ("dynamodb", "dynamodbstreams", "stepfunctions", "xray", "cloudwatch", "logs", "lambda",
          "secretsmanager", "sts")


def _share_botocore_models() -> None:
    """botocore's models, loaded once for every worker of the template.

    Every botocore ``Session`` makes its own data ``Loader``, which parses the same JSON files
    again: ``endpoints.json``, each service's model and endpoint rule set, ~45 ms of CPU per
    session; a worker makes about three (pynamodb's, boto3's default one, the X-Ray SDK's), which
    was most of a cold start's first invocation. A Loader only reads botocore's data files and
    remembers what it parsed (models are read-only once loaded), so here the sessions created
    with botocore's default data path share one, filled in the template: the workers inherit it
    parsed. A session given its own ``data_path`` still gets its own Loader.
    """
    try:
        import botocore.loaders
        import botocore.session
    except ImportError:
        return
    shared = botocore.loaders.create_loader()
    make_loader = botocore.session.create_loader

    def create_loader(search_path_string: str | None = None) -> Any:
        return shared if search_path_string is None else make_loader(search_path_string)

    botocore.session.create_loader = create_loader
    session = botocore.session.Session()
    for service in MODELS:
        try:   # a client made with explicit credentials and endpoint reads no credential chain
            session.create_client(service, region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                                  aws_access_key_id="template", aws_secret_access_key="template")
        except Exception as exc:  # an unknown service only makes cold starts slower
            print(f"lambda template: could not load the {service} model: {exc!r}", file=sys.stderr, flush=True)


def serve(sock: socket.socket) -> None:
    """The template's loop: spawn requests in, worker exits out. Single-threaded (it forks)."""
    libc = ctypes.CDLL(None, use_errno=True)
    template_pid = os.getpid()
    base_path = [p for p in sys.path if p and p != os.getcwd()]
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    os.set_blocking(wake_r, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    children: set[int] = set()
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ, "request")
    selector.register(wake_r, selectors.EVENT_READ, "child")
    while True:
        for key, _ in selector.select():
            if key.data == "child":
                try:
                    while os.read(wake_r, 4096):
                        pass
                except BlockingIOError:
                    pass
                _reap(children, sock)
                continue
            try:
                data, fds, _flags, _addr = socket.recv_fds(sock, MAX_MESSAGE, 4)
            except InterruptedError:
                continue
            if not data:      # the runtime went away
                for pid in children:
                    _kill_group(pid)
                os._exit(0)
            request = json.loads(data)
            out_fd = fds[0] if fds else None
            try:
                pid = os.fork()
            except OSError as exc:
                _send(sock, {"id": request["id"], "error": repr(exc)})
                pid = -1
            if pid == 0:
                try:
                    selector.close()
                    os.close(wake_r)
                    os.close(wake_w)
                    sock.close()
                    _become_worker(libc, template_pid, request, out_fd, base_path)
                finally:
                    os._exit(1)
            if out_fd is not None:
                os.close(out_fd)
            if pid > 0:
                children.add(pid)
                _send(sock, {"id": request["id"], "pid": pid})


def _reap(children: set[int], sock: socket.socket) -> None:
    for pid in list(children):
        try:   # observe the exit without reaping: the group id stays ours while we clean up
            info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            info = None
            children.discard(pid)
            continue
        if info is None:
            continue
        _kill_group(pid)
        _, status = os.waitpid(pid, 0)
        children.discard(pid)
        _send(sock, {"exit": pid, "status": os.waitstatus_to_exitcode(status)})


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _send(sock: socket.socket, message: dict[str, Any]) -> None:
    try:
        sock.send(json.dumps(message).encode())
    except OSError:
        os._exit(0)


def _become_worker(libc: Any, template_pid: int, request: dict[str, Any], out_fd: int | None,
                   base_path: list[str]) -> None:
    """In the fork: the same process `subprocess.Popen([python, -m, awslambdaric, handler])`
    would have started, then awslambdaric's main. Never returns."""
    signal.set_wakeup_fd(-1)
    for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    os.setsid()
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != template_pid:
        os._exit(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    if out_fd is not None:
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        os.close(out_fd)
    os.chdir(request["cwd"])
    env = request["env"]
    os.environ.clear()
    os.environ.update(env)
    # `python -m` puts the working directory first, then PYTHONPATH, then the interpreter's own
    extra = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    sys.path[:] = [request["cwd"], *extra, *[p for p in base_path if p not in extra]]
    sys.stdin = open(0, "r", closefd=False)
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", closefd=False)
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)
    argv = request["argv"]   # [python, -m, awslambdaric, handler]
    sys.argv = [argv[2], *argv[3:]]
    try:   # what `ps` shows, as for a worker started with that command line
        import setproctitle

        setproctitle.setproctitle(" ".join(argv))
    except ImportError:
        pass
    code = 0
    try:
        from awslambdaric.__main__ import main

        main(sys.argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def main() -> None:   # python -m infra.cloud.lambda_zygote <fd of the control socket>
    sock = socket.socket(fileno=int(sys.argv[1]))
    try:   # setproctitle must see the original argv and environment: before any worker changes them
        import setproctitle

        setproctitle.getproctitle()
    except ImportError:
        pass
    _preload()
    _share_botocore_models()
    # What the template loaded stays shared with its workers (copy-on-write) only while nobody
    # writes to it: a worker's full garbage collection would visit, and so copy, every page of
    # it. gc.freeze() moves it all to a generation the collector never visits (CPython's
    # documented use: "before a POSIX fork() call to make the gc copy-on-write friendly").
    gc.freeze()
    sys.stdout.flush()
    sys.stderr.flush()
    serve(sock)


# --------------------------------------------------------------------------- runtime side
class ForkedProcess:
    """What the runtime knows of a worker the template forked: the Popen subset it uses."""

    def __init__(self, pid: int, stdout: Any):
        self.pid, self.stdout = pid, stdout
        self.returncode: int | None = None
        self._exited = threading.Event()

    def wait(self, timeout: float | None = None) -> int:
        """Returns once the template has reaped the worker (its group already killed)."""
        if not self._exited.wait(timeout):
            raise TimeoutError(f"worker {self.pid} still running")
        assert self.returncode is not None
        return self.returncode

    def _set_exit(self, code: int) -> None:
        self.returncode = code
        self._exited.set()


class Template:
    """One template process for one Lambda runtime; ``spawn`` forks a worker from it."""

    def __init__(self, env: dict[str, str], start: Callable[..., Any], python: str = sys.executable):
        """``start(argv, pass_fds, env)`` starts the template process (a Popen) on ``python``."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._sock = ours
        self._lock = threading.Lock()
        self._next_id = 0
        self._pending: dict[int, tuple[Future, Any]] = {}
        self._procs: dict[int, ForkedProcess] = {}
        self._early_exits: dict[int, int] = {}
        self._closed = False
        try:
            self.proc = start([python, "-m", "infra.cloud.lambda_zygote", str(theirs.fileno())],
                              (theirs.fileno(),), env)
        finally:
            theirs.close()
        self._reader = threading.Thread(target=self._read, daemon=True, name="lambda-template")
        self._reader.start()

    @property
    def alive(self) -> bool:
        return not self._closed and self.proc.poll() is None

    def spawn(self, argv: list[str], cwd: str, env: dict[str, str]) -> ForkedProcess:
        read_fd, write_fd = os.pipe()
        stdout = os.fdopen(read_fd, "rb", buffering=0)
        future: Future = Future()
        try:
            with self._lock:
                if self._closed:
                    raise RuntimeError("the Lambda template process is gone")
                self._next_id += 1
                self._pending[self._next_id] = (future, stdout)
                message = json.dumps({"id": self._next_id, "argv": argv, "cwd": cwd, "env": env}).encode()
                socket.send_fds(self._sock, [message], [write_fd])
        except BaseException:
            stdout.close()
            raise
        finally:
            os.close(write_fd)
        return future.result(timeout=30)

    def close(self) -> None:
        with self._lock:
            self._closed = True
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        try:
            self.proc.wait(timeout=5)
        except Exception:
            self.proc.kill()

    def _read(self) -> None:
        while True:
            try:
                data = self._sock.recv(MAX_MESSAGE)
            except OSError:
                data = b""
            if not data:
                break
            message = json.loads(data)
            with self._lock:
                if "exit" in message:
                    proc = self._procs.pop(message["exit"], None)
                    if proc is None:
                        self._early_exits[message["exit"]] = message["status"]
                    else:
                        proc._set_exit(message["status"])
                    continue
                future, stdout = self._pending.pop(message["id"])
                if "error" in message:
                    stdout.close()
                    future.set_exception(OSError(message["error"]))
                    continue
                proc = ForkedProcess(message["pid"], stdout)
                code = self._early_exits.pop(proc.pid, None)
                if code is None:
                    self._procs[proc.pid] = proc
                else:
                    proc._set_exit(code)
            future.set_result(proc)
        with self._lock:   # the template died: its workers died with it (PDEATHSIG)
            self._closed = True
            procs, self._procs = list(self._procs.values()), {}
            pending, self._pending = list(self._pending.values()), {}
        for proc in procs:
            proc._set_exit(-signal.SIGKILL)
        for future, stdout in pending:
            stdout.close()
            future.set_exception(RuntimeError("the Lambda template process is gone"))


def template_env(worker_env: dict[str, str]) -> dict[str, str]:
    """The template's environment: what all workers of a runtime share, from one worker's."""
    env = {k: worker_env[k] for k in SHARED_VARIABLES if k in worker_env}
    env["PYTHONUNBUFFERED"] = "1"
    env["LAMBDA_TASK_ROOT"] = worker_env.get("LAMBDA_RUNTIME_DIR", "/tmp")   # X-Ray SDK: "in Lambda"
    return env


if __name__ == "__main__":
    main()
