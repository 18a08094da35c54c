"""Baseline A of `make bench`: a Lambda handler called in-process, in a loop, in this process.

Run by tests/load/bench.py as a script (``python tests/load/inproc_handler.py``), so that only the
standard library and the handler's own imports are loaded, with the environment of the deployed
function. Protocol on stdin/stdout (the handler's own output, logs and EMF metrics, goes to
/dev/null, as it would go to the runtime's log pipe):

    stdin  line 1: {"handler": "pkg.module.function", "event": {...}, "paths": [["/api/v1/products/1", {"product_id": "1"}], ...],
                    "duration": 10.0, "warmup": 2.0, "function_name": "...", "memory_mb": 512}
    stdout         {"ready": true, "import_cpu_s": ..., "import_wall_s": ...}   after the import and the warm-up calls
    stdin  line 2: anything (go)
    stdout         {"calls": N, "seconds": ..., "cpu_s": ..., "errors": N, "statuses": {...}, "latencies_ms": [...]}
"""
from __future__ import annotations

import importlib
import json
import os
import sys
import time
import uuid
import warnings


class Context:
    """The LambdaContext attributes handlers and powertools read."""

    def __init__(self, function_name: str, memory_mb: int, timeout_s: float = 10.0):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_mb
        self.invoked_function_arn = f"arn:aws:lambda:{os.environ.get('AWS_REGION', 'us-east-1')}:123456789012:function:{function_name}"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "bench"
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main() -> None:
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    # powertools warns on every call that publishes no metric (the runtime's log would show it)
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    config = json.loads(sys.stdin.readline())
    module_name, _, function_name = config["handler"].rpartition(".")
    cpu0, wall0 = time.process_time(), time.perf_counter()
    handler = getattr(importlib.import_module(module_name), function_name)
    import_cpu, import_wall = time.process_time() - cpu0, time.perf_counter() - wall0
    template = config["event"]
    paths = config["paths"]

    def call(n: int) -> int:
        path, parameters = paths[n % len(paths)]
        event = dict(template)   # the handler gets a fresh top level and requestContext per call
        event["requestContext"] = dict(template["requestContext"])
        event["path"] = path
        event["pathParameters"] = parameters
        event["requestContext"]["path"] = path
        event["requestContext"]["requestId"] = str(uuid.uuid4())
        event["requestContext"]["requestTimeEpoch"] = int(time.time() * 1000)
        result = handler(event, Context(config["function_name"], config["memory_mb"]))
        return int(result.get("statusCode", 0)) if isinstance(result, dict) else 0

    n = 0
    warm_until = time.perf_counter() + config["warmup"]
    while n < 3 or time.perf_counter() < warm_until:
        call(n)
        n += 1
    proto.write(json.dumps({"ready": True, "import_cpu_s": import_cpu, "import_wall_s": import_wall}) + "\n")
    sys.stdin.readline()
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    cpu0 = time.process_time()
    start = time.perf_counter()
    end = start + config["duration"]
    now = start
    while now < end:
        status = call(n)
        n += 1
        after = time.perf_counter()
        latencies.append((after - now) * 1000)
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        now = after
    result = {"calls": len(latencies), "seconds": now - start, "cpu_s": time.process_time() - cpu0,
              "errors": sum(count for status, count in statuses.items() if status != "200"),
              "statuses": statuses, "latencies_ms": latencies}
    proto.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
