"""One warm Lambda execution environment: a ``python -m awslambdaric <handler>`` process,
the Lambda Runtime API server that only this process talks to, and its captured output.

The Runtime API (version 2018-06-01) as awslambdaric's C client (aws-lambda-cpp) uses it:

- ``GET  /2018-06-01/runtime/invocation/next`` blocks until there is an event; the answer
  carries ``Lambda-Runtime-Aws-Request-Id``, ``-Deadline-Ms``, ``-Invoked-Function-Arn``,
  ``-Trace-Id`` and, when given, ``-Client-Context`` (JSON).
- ``POST /2018-06-01/runtime/invocation/<id>/response``: the handler's result, as is.
- ``POST /2018-06-01/runtime/invocation/<id>/error``: ``{"errorMessage", "errorType",
  "requestId", "stackTrace"}`` with header ``Lambda-Runtime-Function-Error-Type``.
- ``POST /2018-06-01/runtime/init/error``: the same body when the handler cannot be loaded
  (``Runtime.ImportModuleError`` ...); the process then exits with status 1.

The C client keeps one keep-alive connection and gives a POST only 100 ms, so answers are
written in one ``sendall`` on a TCP_NODELAY socket.
"""
from __future__ import annotations

import json
import os
import select
import signal
import socket
import socketserver
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from queue import SimpleQueue
from typing import Callable

from gateway.http1 import FastHeadersMixin   # the request head without the e-mail parser

RUNTIME_PREFIX = "/2018-06-01/runtime"
NEXT_PATH = RUNTIME_PREFIX + "/invocation/next"
INVOCATION_PREFIX = RUNTIME_PREFIX + "/invocation/"
INIT_ERROR_PATH = RUNTIME_PREFIX + "/init/error"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
_REASONS = {200: "OK", 202: "Accepted", 400: "Bad Request", 404: "Not Found"}
_ACCEPTED = b'{"status":"OK"}'


@dataclass(eq=False)
class Invocation:
    """One event on its way through a worker. ``finish`` is called once by whoever ends it
    first: the Runtime API (response/error/init error), the process exit, or the timeout."""

    request_id: str
    payload: bytes
    function_arn: str
    timeout: float
    trace_id: str
    client_context: str | None = None
    handed_at: float | None = None    # monotonic time the worker received the event
    finished_at: float = 0.0
    outcome: str | None = None        # response | error | init_error | exit | timeout
    body: bytes = b""
    error_type: str | None = None
    lines: list[str] = field(default_factory=list)   # what the handler printed
    tail: list[str] = field(default_factory=list)    # every log line of this invocation
    done: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def finish(self, outcome: str, body: bytes = b"", error_type: str | None = None) -> bool:
        with self._lock:
            if self.outcome is not None:
                return False
            self.outcome, self.body, self.error_type = outcome, body, error_type
            self.finished_at = time.monotonic()
        self.done.set()
        return True


class Worker:
    """A warm worker of one function revision. Threads: the Runtime API accept loop (plus one
    per connection), the output reader, and the waiter that reaps the process."""

    def __init__(self, *, function_name: str, revision: str, argv: list[str],
                 cwd: str, env: dict[str, str], spawn: Callable[..., object],
                 ship_log: Callable[[str, str, int, str], None],
                 on_exit: Callable[["Worker"], None],
                 on_init_done: Callable[[], None] | None = None):
        """``on_init_done`` is called once, when the worker first asks for an event (its init is
        over) or exits before that."""
        self.function_name, self.revision, self.cwd = function_name, revision, cwd
        self._on_init_done = on_init_done
        self.log_group = f"/aws/lambda/{function_name}"
        self.log_stream = time.strftime("%Y/%m/%d/", time.gmtime()) + "[$LATEST]" + uuid.uuid4().hex
        self.assigned: Invocation | None = None
        self.idle_since = time.monotonic()   # when it last became idle (the runtime's idle reaper)
        self.init_ms: float | None = None   # spawn -> first /next
        self.exited = False
        self._killed = False
        self._inbox: SimpleQueue[Invocation | None] = SimpleQueue()
        self.connection: socket.socket | None = None   # the runtime client's latest Runtime API connection
        self._ship_log, self._on_exit = ship_log, on_exit
        self._log_lock = threading.Lock()   # guards the pipe, the partial line and attribution
        self._partial = b""
        self._max_rss_kb = 0
        self._server = _RuntimeAPIServer(self)
        env = {**env, "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{self._server.server_address[1]}",
               "AWS_LAMBDA_LOG_STREAM_NAME": self.log_stream}
        self.spawned_at = time.monotonic()
        try:
            self.proc = spawn(argv, cwd, env)
        except BaseException:
            self._server.close()
            raise
        self.pid = self.proc.pid
        self._fd: int | None = self.proc.stdout.fileno()
        os.set_blocking(self._fd, False)
        self._reader = threading.Thread(target=self._read_output, daemon=True,
                                        name=f"lambda-out-{function_name}-{self.pid}")
        self._waiter = threading.Thread(target=self._wait, daemon=True,
                                        name=f"lambda-wait-{function_name}-{self.pid}")
        self._reader.start()
        self._waiter.start()

    @property
    def alive(self) -> bool:
        return not (self.exited or self._killed)

    def responsive(self) -> bool:
        """False if the worker's process is gone although its exit was not reported yet.

        The exit reaches the runtime through the template process (SIGCHLD, then a message), a
        few milliseconds after the kernel closed the process's sockets; an idle worker killed in
        between would be handed the next invocation and fail it too. Its Runtime API connection
        tells at once: a closed peer reads as end-of-file. Lambda, too, never sends an event to
        an execution environment that is gone. One non-blocking ``recv(MSG_PEEK)``."""
        if not self.alive:
            return False
        conn = self.connection
        if conn is None:
            return True   # still in its init: it has not connected yet
        try:
            return conn.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""   # data: its next request
        except BlockingIOError:
            return True   # connected, nothing to read: waiting for its event
        except OSError:
            return False  # reset by the peer

    # ------------------------------------------------------------------ invocation
    def assign(self, inv: Invocation) -> None:
        self.assigned = inv
        self._inbox.put(inv)

    def next_invocation(self) -> Invocation | None:
        """GET /next: blocks until an event is assigned (None: the worker is going away)."""
        self._init_done()
        inv = self._inbox.get()
        if inv is None:
            return None
        with self._log_lock:
            self._drain_locked()   # init output first, as in AWS's log stream
            inv.handed_at = now = time.monotonic()
            if self.init_ms is None:
                self.init_ms = (now - self.spawned_at) * 1000
            self._log(f"START RequestId: {inv.request_id} Version: $LATEST", platform=True)
        return inv

    def on_post(self, path: str, body: bytes, error_type: str | None) -> tuple[int, bytes]:
        inv = self.assigned
        if path == INIT_ERROR_PATH:
            if inv is not None:
                inv.finish("init_error", body, error_type or _error_type(body))
            return 202, _ACCEPTED
        if path.startswith(INVOCATION_PREFIX):
            request_id, _, kind = path[len(INVOCATION_PREFIX):].partition("/")
            if kind in ("response", "error"):
                if inv is None or inv.request_id != request_id:
                    return 400, b'{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}'
                if kind == "response":
                    inv.finish("response", body)
                else:
                    inv.finish("error", body, error_type or _error_type(body))
                return 202, _ACCEPTED
        return 404, b'{"errorMessage":"Not found","errorType":"NotFound"}'

    def end_invocation(self, inv: Invocation, platform_lines: list[str]) -> None:
        """Collects what the worker printed before it answered, then writes the closing lines."""
        with self._log_lock:
            self._drain_locked()
            if self._partial:   # a print without newline still belongs to this invocation
                self._emit_line(self._partial)
                self._partial = b""
            for line in platform_lines:
                self._log(line, platform=True)
            if self.assigned is inv:
                self.assigned = None

    def max_memory_mb(self) -> int:
        """Peak resident set of the worker process (VmHWM), like REPORT's Max Memory Used."""
        try:
            with open(f"/proc/{self.pid}/status", "rb") as f:
                for line in f:
                    if line.startswith(b"VmHWM:"):
                        self._max_rss_kb = max(self._max_rss_kb, int(line.split()[1]))
                        break
        except (OSError, ValueError):
            pass
        return -(-self._max_rss_kb // 1024)

    # ------------------------------------------------------------------ lifecycle
    def kill(self) -> None:
        """Kills the whole process group (the handler's children too). Idempotent."""
        if self._killed:
            return
        self._killed = True
        if not self.exited:
            self.max_memory_mb()
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._inbox.put(None)
        self._server.close()

    def join(self, timeout: float | None = None) -> None:
        self._waiter.join(timeout)

    def _wait(self) -> None:
        # The template process observes the exit without reaping, kills what the handler may
        # have left in its process group, then reaps it (lambda_zygote.py): the group id cannot
        # be reused meanwhile.
        code = self.proc.wait()
        self.exited = True
        inv = self.assigned
        if inv is not None:
            # What the process sent before it died is read first: awslambdaric posts an init
            # error, then exits, and may not wait for the answer (100 ms); under load the exit
            # could be seen first and the invocation end with Runtime.ExitError instead of the
            # error the runtime reported. Its connections end once their data is read.
            self._server.drain(timeout=2.0)
            status = f"signal: {signal.strsignal(-code).lower()}" if code < 0 else f"exit status {code}"
            message = f"RequestId: {inv.request_id} Error: Runtime exited with error: {status}"
            inv.finish("exit", json.dumps({"errorType": "Runtime.ExitError", "errorMessage": message}).encode(),
                       "Runtime.ExitError")
        self._inbox.put(None)
        self._server.close()
        self._reader.join(timeout=5)
        self._init_done()
        self._on_exit(self)

    def _init_done(self) -> None:
        callback, self._on_init_done = self._on_init_done, None
        if callback is not None:
            callback()

    # ------------------------------------------------------------------ output
    def _read_output(self) -> None:
        poller = select.poll()
        poller.register(self._fd, select.POLLIN | select.POLLHUP)
        while True:
            poller.poll()
            with self._log_lock:
                if self._drain_locked():
                    if self._partial:
                        self._emit_line(self._partial)
                        self._partial = b""
                    self._fd = None
                    self.proc.stdout.close()
                    return

    def _drain_locked(self) -> bool:
        """Reads what is in the pipe right now; True at end of file."""
        if self._fd is None:
            return True
        while True:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                return False
            if not data:
                return True
            *lines, self._partial = (self._partial + data).split(b"\n")
            for line in lines:
                self._emit_line(line)

    def _emit_line(self, raw: bytes) -> None:
        # awslambdaric joins the lines of one error with "\r": one log event, several lines.
        text = raw.decode("utf-8", "replace").rstrip("\r").replace("\r", "\n")
        if text:
            self._log(text, platform=False)

    def _log(self, text: str, platform: bool) -> None:
        self._ship_log(self.log_group, self.log_stream, int(time.time() * 1000), text)
        inv = self.assigned
        if inv is not None:
            inv.tail.append(text)
            if not platform:
                inv.lines.append(text)


def _error_type(body: bytes) -> str | None:
    try:
        return json.loads(body).get("errorType")
    except (ValueError, AttributeError):
        return None


class _RuntimeAPIHandler(FastHeadersMixin, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"        # keep-alive: awslambdaric reuses one connection
    disable_nagle_algorithm = True       # TCP_NODELAY, or each answer waits for a delayed ACK
    server: "_RuntimeAPIServer"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.server.opened()
        self.server.worker.connection = self.connection

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.ended()

    def do_GET(self) -> None:
        if self.path != NEXT_PATH:
            self._send(404, b'{"errorMessage":"Not found","errorType":"NotFound"}')
            return
        inv = self.server.worker.next_invocation()
        if inv is None:                  # the worker is being retired: drop the connection
            self.close_connection = True
            return
        deadline_ms = int((time.time() + inv.timeout) * 1000)
        headers = [
            f"Lambda-Runtime-Aws-Request-Id: {inv.request_id}",
            f"Lambda-Runtime-Deadline-Ms: {deadline_ms}",
            f"Lambda-Runtime-Invoked-Function-Arn: {inv.function_arn}",
            f"Lambda-Runtime-Trace-Id: {inv.trace_id}",
        ]
        if inv.client_context:
            headers.append(f"Lambda-Runtime-Client-Context: {inv.client_context}")
        self._send(200, inv.payload, headers)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, answer = self.server.worker.on_post(self.path, body, self.headers.get(ERROR_TYPE_HEADER))
        self._send(status, answer)

    def _send(self, status: int, body: bytes, headers: list[str] = ()) -> None:
        head = "\r\n".join([f"HTTP/1.1 {status} {_REASONS.get(status, '')}",
                            "Content-Type: application/json", f"Content-Length: {len(body)}",
                            *headers])
        self.wfile.write(head.encode("latin-1", "replace") + b"\r\n\r\n" + body)


class _RuntimeAPIServer(ThreadingHTTPServer):
    """The Runtime API of one worker, on 127.0.0.1:<ephemeral>. Its accept loop blocks without
    polling; ``close`` wakes it with a connection of its own."""

    daemon_threads = True

    def __init__(self, worker: Worker):
        self.worker = worker
        self._closing = False
        self._open = 0
        self._open_changed = threading.Condition()
        super().__init__(("127.0.0.1", 0), _RuntimeAPIHandler)
        threading.Thread(target=self._serve, daemon=True,
                         name=f"lambda-api-{worker.function_name}").start()

    def opened(self) -> None:
        with self._open_changed:
            self._open += 1

    def ended(self) -> None:
        with self._open_changed:
            self._open -= 1
            self._open_changed.notify_all()

    def drain(self, timeout: float) -> bool:
        """Waits until every connection of the worker has been read to its end (its process
        gone, they end by themselves); False if some is still open after ``timeout``."""
        with self._open_changed:
            return self._open_changed.wait_for(lambda: self._open <= 0, timeout)

    def server_bind(self) -> None:   # HTTPServer's version does a reverse DNS lookup
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def _serve(self) -> None:
        while not self._closing:
            self.handle_request()
        self.server_close()

    def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        try:
            socket.create_connection(self.server_address, timeout=1).close()
        except OSError:
            pass
