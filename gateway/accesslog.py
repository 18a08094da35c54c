"""JSON-lines access log, written by one background thread and flushed after every line.

Request threads only enqueue the record (no file I/O or lock on the request path).
"""

from __future__ import annotations

import json
import logging
import os
import queue
import sys
import threading
from typing import IO, Any, Mapping

LOG = logging.getLogger(__name__)

_STOP = object()


class AccessLogWriter:
    def __init__(self, target: str | os.PathLike | IO[str] | None):
        """`target`: a file path (appended to, parent directories created), '-' for stdout,
        an open text stream, or None (nothing written)."""
        self._own = False
        self._stream: IO[str] | None
        if target is None:
            self._stream = None
        elif target == "-":
            self._stream = sys.stdout
        elif hasattr(target, "write"):
            self._stream = target  # type: ignore[assignment]
        else:
            path = os.fspath(target)
            parent = os.path.dirname(path)
            if parent:
                os.makedirs(parent, exist_ok=True)
            self._stream = open(path, "a", encoding="utf-8", buffering=1)
            self._own = True
        self._queue: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        if self._stream is not None:
            self._thread = threading.Thread(target=self._run, name="gateway-access-log", daemon=True)
            self._thread.start()

    @property
    def enabled(self) -> bool:
        return self._stream is not None

    def write(self, record: Mapping[str, Any]) -> None:
        if self._stream is not None:
            self._queue.put(record)

    def _run(self) -> None:
        stream = self._stream
        assert stream is not None
        while True:
            item = self._queue.get()
            if item is _STOP:
                break
            try:
                stream.write(json.dumps(item, separators=(",", ":"), default=str) + "\n")
                stream.flush()
            except Exception:  # noqa: BLE001 - a logging failure must not stop the gateway
                LOG.exception("gateway: cannot write the access log")

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout=5)
            self._thread = None
        if self._own and self._stream is not None:
            self._stream.close()
        self._stream = None
