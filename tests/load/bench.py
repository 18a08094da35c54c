"""`make bench`: the request path's figures, side by side with two baselines, in one run.

Against a running `make run`; prints one table (req/s, p50, p95, p99, errors, CPU ms per request
summed over the stack's processes, ratio to the scenario's baseline) and one table of CPU ms per
request per process group (gateway, endpoint, DynamoDB Local, each function's workers, the load
generator). docs/performance.md ("How to measure") explains each scenario and why ratios.

Scenarios (SCENARIOS below; BENCH_SCENARIOS=A,B,403,... runs a subset):

  A         baseline: InventoryFunction's handler called in-process in a loop (one thread, its deployed
            environment, DynamoDB Local reached directly), with a real proxy event for GET /products/{id}
  B         baseline: a stdlib ThreadingHTTPServer hello world under the same load generator
  403       the gateway's own path: an unknown path, answered 403 before any Lambda
  product   GET /api/v1/products/{id}, ids 1..200: uncached while the stage does not cache it
  customer  GET /api/v1/customers/{id}, ids 1..50: the full path, never cached (not a catalogue read)
  list      GET /api/v1/products: the cached path once the stage caches it
  sagas     BENCH_SAGA_CLIENTS clients each start an order saga and poll it to its final status
  sagaread  GET /api/v1/sagas/{id} on 20 finished sagas: what one client poll costs
  cold      cold starts: each round changes three functions' configuration (a new revision, as on
            AWS) and invokes each once; the new worker's CPU from its fork to the end of that first
            invocation (the configuration is put back at the end)

HTTP scenarios run wrk (1 thread, BENCH_CONNECTIONS connections, tests/load/wrk.lua) for
BENCH_DURATION seconds after BENCH_WARMUP seconds of the same load that are not counted.

Settings (environment): BENCH_HOST (http://127.0.0.1:8000), BENCH_ENDPOINT_URL
(http://127.0.0.1:4566), BENCH_STACK (retail), BENCH_DURATION (10 s per scenario), BENCH_WARMUP
(2 s), BENCH_CONNECTIONS (50), BENCH_SAGA_CLIENTS (10), BENCH_SAGA_TIMEOUT (60 s from POST to a
final status), BENCH_SAGA_POLL (0.1 s), BENCH_SCENARIOS (all), BENCH_API_KEY (default: the
un-throttled bench key, created if absent, see tests/load/bench_key.py).
"""
from __future__ import annotations

import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import urllib3

from tests.load import procs
from tests.load.bench_key import (DEFAULT_ENDPOINT_URL, DEFAULT_HOST, apigateway, ensure_bench_key, find_api,
                                  method_caching)
from tests.load.stats import (WrkResult, fmt_cpu, fmt_ms, fmt_rate, fmt_ratio, parse_duration, parse_wrk,
                              percentile, ratio, table)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WRK_SCRIPT = HERE / "wrk.lua"
FINAL = ("COMPLETED", "COMPENSATED", "FAILED")
INVOCATIONS_PER_SAGA = 8   # the saga API's POST + 6 steps + RECORD_OUTCOME (README, "Order sagas")
LOADGEN = "load generator"


@dataclass(frozen=True)
class Scenario:
    key: str                       # what BENCH_SCENARIOS names
    title: str
    kind: str                      # "inproc" | "hello" | "wrk" | "sagas" | "saga-read" | "cold"
    paths: tuple[str, ...] = ()    # wrk: rotated in this order
    api_key: bool = True           # wrk: send the x-api-key header
    expected: frozenset[int] = frozenset({200})
    baseline: str | None = None    # key of the scenario the ratios compare with
    route: tuple[str, str] | None = None   # (resource, method) whose stage cache setting is shown
    target_rate: float | None = None       # issue 9's targets on this machine (rate in the scenario's unit)
    target_p95_ms: float | None = None


# Edit here: what `make bench` measures, in this order (baselines first: the others compare with them).
SCENARIOS = [
    Scenario("A", "baseline A: handler in-process (GET /products/{id})", "inproc"),
    Scenario("B", "baseline B: hello world (stdlib http.server)", "hello"),
    Scenario("403", "gateway only: unknown path -> 403", "wrk", ("/api/v1/bench/unknown-path",), api_key=False,
             expected=frozenset({403}), baseline="B"),
    Scenario("product", "GET /api/v1/products/{id} (ids 1..200)", "wrk",
             tuple(f"/api/v1/products/{i}" for i in range(1, 201)), baseline="A",
             route=("/api/v1/products/{product_id}", "GET"), target_rate=500),
    Scenario("customer", "GET /api/v1/customers/{id} (ids 1..50)", "wrk",
             tuple(f"/api/v1/customers/{i}" for i in range(1, 51)), baseline="A",
             route=("/api/v1/customers/{customer_id}", "GET"), target_rate=500),
    Scenario("list", "GET /api/v1/products (cached path)", "wrk", ("/api/v1/products",), baseline="B",
             route=("/api/v1/products", "GET"), target_rate=3000),
    Scenario("sagas", "order sagas: POST -> final status", "sagas", baseline="A", target_rate=20, target_p95_ms=1000),
    Scenario("sagaread", "GET /api/v1/sagas/{id} (what a poll costs; 20 finished sagas)", "saga-read", baseline="A"),
    Scenario("cold", "cold starts: a new worker's CPU, fork -> end of its first invocation", "cold"),
]
# the cold-start scenario: functions whose new workers it measures, each with an event it answers
COLD_FUNCTIONS = ("InventoryFunction", "InventoryCheckStockFunction", "EcommerceConfirmOrderFunction")
COLD_ROUNDS = 3
COLD_TARGET_MS = 100.0


@dataclass
class Settings:
    host: str = field(default_factory=lambda: os.environ.get("BENCH_HOST", DEFAULT_HOST).rstrip("/"))
    endpoint_url: str = field(default_factory=lambda: os.environ.get("BENCH_ENDPOINT_URL", DEFAULT_ENDPOINT_URL))
    stack: str = field(default_factory=lambda: os.environ.get("BENCH_STACK", "retail"))
    duration: float = field(default_factory=lambda: parse_duration(os.environ.get("BENCH_DURATION", "10")))
    warmup: float = field(default_factory=lambda: parse_duration(os.environ.get("BENCH_WARMUP", "2")))
    connections: int = field(default_factory=lambda: int(os.environ.get("BENCH_CONNECTIONS", "50")))
    saga_clients: int = field(default_factory=lambda: int(os.environ.get("BENCH_SAGA_CLIENTS", "10")))
    saga_timeout: float = field(default_factory=lambda: parse_duration(os.environ.get("BENCH_SAGA_TIMEOUT", "60")))
    saga_poll: float = field(default_factory=lambda: float(os.environ.get("BENCH_SAGA_POLL", "0.1")))
    only: set[str] = field(default_factory=lambda: {s.strip() for s in os.environ.get("BENCH_SCENARIOS", "").split(",") if s.strip()})


@dataclass
class Result:
    scenario: Scenario
    count: int                      # requests, calls or finished sagas
    rate: float                     # per second
    unit: str                       # "req/s", "calls/s", "sagas/s"
    p50: float = float("nan")       # ms
    p95: float = float("nan")
    p99: float = float("nan")
    errors: int = 0
    cpu_s: dict[str, float] = field(default_factory=dict)   # group -> CPU seconds (the system measured)
    loadgen_cpu_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    def cpu_ms(self, group: str | None = None) -> float | None:
        if not self.count or not self.cpu_s:
            return None
        seconds = self.loadgen_cpu_s if group == LOADGEN else (
            sum(self.cpu_s.values()) if group is None else self.cpu_s.get(group, 0.0))
        return seconds * 1000 / self.count


class Stack:
    """The running stack's processes (found from its ports) and what the bench reads from its endpoint."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.gateway_port = procs.port_of(settings.host)
        self.endpoint_port = procs.port_of(settings.endpoint_url)

    def groups(self) -> dict[int, str]:
        return procs.stack_processes(self.gateway_port, self.endpoint_port)

    def snapshot(self) -> procs.Snapshot:
        return procs.snapshot(self.groups())


# ------------------------------------------------------------------ wrk
def run_wrk(settings: Settings, scenario: Scenario, key: str | None, duration: float, url: str | None = None
            ) -> tuple[WrkResult, float]:
    """One wrk run; returns its result and its own CPU seconds (from wait4)."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="bench-paths-") as paths:
        paths.write("\n".join(scenario.paths or ("/",)) + "\n")
        paths.flush()
        command = ["wrk", "-t1", f"-c{settings.connections}", f"-d{max(1, round(duration))}s", "--timeout", "30s",
                   "-s", str(WRK_SCRIPT)]
        if key and scenario.api_key:
            command += ["-H", f"x-api-key: {key}"]
        command += [url or settings.host, "--", paths.name]
        with tempfile.TemporaryFile("w+") as out:
            proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            text = out.read()
    if proc.returncode != 0:
        raise SystemExit(f"wrk failed ({proc.returncode}): {' '.join(command)}\n{text}")
    return parse_wrk(text), usage.ru_utime + usage.ru_stime


def wrk_scenario(settings: Settings, stack: Stack, scenario: Scenario, key: str, url: str | None = None,
                 extra: dict[int, str] | None = None, only_extra: bool = False) -> Result:
    if settings.warmup:
        run_wrk(settings, scenario, key, settings.warmup, url)
    groups_before = dict(extra or {}) if only_extra else {**stack.groups(), **(extra or {})}
    before = procs.snapshot(groups_before)
    wrk, loadgen_cpu = run_wrk(settings, scenario, key, settings.duration, url)
    groups_after = dict(extra or {}) if only_extra else {**stack.groups(), **(extra or {})}
    after = procs.snapshot(groups_after)
    result = Result(scenario, wrk.requests, wrk.rate, "req/s", wrk.latency_ms("p50"), wrk.latency_ms("p95"),
                    wrk.latency_ms("p99"), wrk.errors(scenario.expected), procs.cpu_by_group(before, after),
                    loadgen_cpu)
    unexpected = {status: n for status, n in sorted(wrk.statuses.items()) if status not in scenario.expected}
    socket_errors = {name: n for name, n in wrk.socket_errors.items() if n}
    if unexpected or socket_errors:
        result.notes.append(f"errors: statuses {unexpected or '-'}, socket errors {socket_errors or '-'}")
    return result


# ------------------------------------------------------------------ baseline B
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{proc.args} exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"{proc.args} did not listen on {port}")


def hello_scenario(settings: Settings, stack: Stack, scenario: Scenario) -> Result:
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(HERE / "hello_server.py"), str(port)], stdin=subprocess.DEVNULL)
    try:
        wait_listening(port, proc)
        return wrk_scenario(settings, stack, scenario, "", f"http://127.0.0.1:{port}",
                            extra={proc.pid: "hello server (http.server)"}, only_extra=True)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# ------------------------------------------------------------------ baseline A
def proxy_event(settings: Settings, key: str, resource_path: str, path: str, parameters: dict[str, str]
                ) -> tuple[dict, str]:
    """A REST API proxy event (v1) for ``path``, as the gateway builds it; and where it came from."""
    client = apigateway(settings.endpoint_url)
    api_id, stage = find_api(client, settings.stack)
    resources = client.get_resources(restApiId=api_id, limit=500)["items"]
    resource_id = next((r["id"] for r in resources if r["path"] == resource_path), "bench")
    key_id = next((k["id"] for k in client.get_api_keys(includeValues=True)["items"] if k.get("value") == key), None)
    headers = [("Host", f"127.0.0.1:{procs.port_of(settings.host)}"), ("User-Agent", "make-bench"),
               ("Accept", "*/*"), ("x-api-key", key)]
    try:
        from gateway.events import ProxyRequest, build_proxy_event

        request = ProxyRequest(
            http_method="GET", path=path, raw_path=path, query_string="", headers=headers, body=b"",
            source_ip="127.0.0.1", resource_path=resource_path, resource_id=resource_id, path_parameters=parameters,
            stage=stage, stage_variables={}, api_id=api_id, account_id="123456789012",
            request_id=str(uuid.uuid4()), extended_request_id="bench", request_time_epoch=time.time(),
            api_key=key, api_key_id=key_id)
        return build_proxy_event(request), "built by gateway.events.build_proxy_event, as the gateway sends it"
    except (ImportError, TypeError) as exc:   # the gateway's builder moved: AWS's documented shape
        event = {
            "resource": resource_path, "path": path, "httpMethod": "GET",
            "headers": dict(headers), "multiValueHeaders": {name: [value] for name, value in headers},
            "queryStringParameters": None, "multiValueQueryStringParameters": None,
            "pathParameters": parameters, "stageVariables": None, "body": None, "isBase64Encoded": False,
            "requestContext": {
                "resourceId": resource_id, "resourcePath": resource_path, "httpMethod": "GET",
                "requestId": str(uuid.uuid4()), "path": path, "accountId": "123456789012", "protocol": "HTTP/1.1",
                "stage": stage, "apiId": api_id, "requestTimeEpoch": int(time.time() * 1000),
                "identity": {"sourceIp": "127.0.0.1", "userAgent": "make-bench", "apiKey": key, "apiKeyId": key_id}},
        }
        return event, f"AWS's documented v1 shape (gateway.events unusable: {exc})"


def inproc_scenario(settings: Settings, stack: Stack, scenario: Scenario, key: str) -> Result:
    import boto3

    function = f"{settings.stack}-InventoryFunction"
    config = boto3.client("lambda", endpoint_url=settings.endpoint_url, region_name=os.environ.get("AWS_REGION", "us-east-1"),
                          aws_access_key_id="test", aws_secret_access_key="test").get_function_configuration(
        FunctionName=function)
    groups = stack.groups()
    dynamodb = procs.dynamodb_local_url(groups)
    dynamodb_note = f"{dynamodb} (DynamoDB Local directly, as the workers reach it)" if dynamodb else \
        f"{settings.endpoint_url} (the endpoint, which forwards DynamoDB: DynamoDB Local's process was not found)"
    stack_root = procs.root_cwd(groups, procs.ENDPOINT)
    code = stack_root / "functions" if stack_root and (stack_root / "functions").is_dir() else ROOT / "functions"
    region = os.environ.get("AWS_REGION", "us-east-1")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
        "AWS_REGION": region, "AWS_DEFAULT_REGION": region, "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "test",
        "AWS_ENDPOINT_URL": settings.endpoint_url,
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb or settings.endpoint_url,
        "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": dynamodb or settings.endpoint_url,
        **(config.get("Environment") or {}).get("Variables", {}),
        # what the local runtime adds for every worker (infra/cloud/lambda_runtime.py, _worker_env)
        "AWS_LAMBDA_FUNCTION_NAME": config["FunctionName"],
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.get("MemorySize", 128)),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{config['FunctionName']}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{config.get('Runtime', 'python3.11')}",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_XRAY_SDK_ENABLED": "false",
        "LAMBDA_TASK_ROOT": str(code), "PYTHONPATH": str(code), "PYTHONUNBUFFERED": "1", "TZ": ":UTC",
        "_HANDLER": config["Handler"],
    }
    if os.environ.get("VIRTUAL_ENV"):
        env["VIRTUAL_ENV"] = os.environ["VIRTUAL_ENV"]
    resource_path = "/api/v1/products/{product_id}"
    event, event_source = proxy_event(settings, key, resource_path, "/api/v1/products/1", {"product_id": "1"})
    request = {"handler": config["Handler"], "event": event, "function_name": config["FunctionName"],
               "memory_mb": int(config.get("MemorySize", 128)), "duration": settings.duration,
               "warmup": settings.warmup,
               "paths": [[f"/api/v1/products/{i}", {"product_id": str(i)}] for i in range(1, 201)]}
    proc = subprocess.Popen([sys.executable, str(HERE / "inproc_handler.py")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env, cwd=str(code))
    try:
        proc.stdin.write(json.dumps(request) + "\n")
        proc.stdin.flush()
        ready = json.loads(proc.stdout.readline() or "{}")
        if not ready.get("ready"):
            raise SystemExit(f"the in-process handler did not start (exit {proc.wait()}); see the traceback above")
        db = {pid: group for pid, group in groups.items() if group == procs.DYNAMODB}
        before = procs.snapshot(db)
        proc.stdin.write("go\n")
        proc.stdin.flush()
        done = json.loads(proc.stdout.readline())
        after = procs.snapshot(db)
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
    latencies = done["latencies_ms"]
    cpu = {"in-process handler (bench subprocess)": done["cpu_s"], **procs.cpu_by_group(before, after)}
    result = Result(scenario, done["calls"], done["calls"] / done["seconds"], "calls/s",
                    percentile(latencies, 50), percentile(latencies, 95), percentile(latencies, 99),
                    done["errors"], cpu)
    result.notes += [
        f"{config['Handler']} with {function}'s environment (Lambda API), code {code}",
        f"DynamoDB endpoint: {dynamodb_note}",
        f"event: {event_source}",
        f"import of the handler module (a cold start's init): {ready['import_cpu_s'] * 1000:.0f} ms CPU, "
        f"{ready['import_wall_s'] * 1000:.0f} ms wall",
    ]
    if done["errors"]:
        result.notes.append(f"errors: statuses {done['statuses']}")
    return result


# ------------------------------------------------------------------ sagas
def run_sagas(settings: Settings, http: urllib3.PoolManager, products: list[int], duration: float
              ) -> tuple[list[tuple[str, float]], list[float], float]:
    """BENCH_SAGA_CLIENTS threads start sagas for ``duration`` seconds and follow each to its end.

    Returns (final status or TIMEOUT / POST <status> / ERROR, ms from the POST to it) per saga, the
    POST latencies, and the seconds until the last saga ended."""
    finals: list[tuple[str, float]] = []
    post_ms: list[float] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def follow(saga_id: str, started: float) -> str:
        while time.perf_counter() - started < settings.saga_timeout:
            time.sleep(settings.saga_poll)
            try:
                poll = http.request("GET", f"{settings.host}/api/v1/sagas/{saga_id}")
            except urllib3.exceptions.HTTPError:
                continue
            if poll.status == 200 and (status := json.loads(poll.data)["status"]) in FINAL:
                return status
        return "TIMEOUT"

    def client() -> None:
        while time.monotonic() < stop_at:
            body = {"products": [{"product_id": random.choice(products), "quantity": 1}],
                    "shipping_address": "123 Main St", "payment_method": "credit_card"}
            started = time.perf_counter()
            try:
                response = http.request("POST", f"{settings.host}/api/v1/customers/1/order-processing",
                                        body=json.dumps(body).encode())
                outcome = "POST 202" if response.status == 202 else f"POST {response.status}"
            except urllib3.exceptions.HTTPError:
                outcome = "ERROR"
            posted = time.perf_counter()
            if outcome == "POST 202":
                outcome = follow(json.loads(response.data)["saga_id"], started)
            with lock:
                post_ms.append((posted - started) * 1000)
                finals.append((outcome, (time.perf_counter() - started) * 1000))

    start = time.monotonic()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(settings.saga_clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return finals, post_ms, time.monotonic() - start


def count_by_status(finals: list[tuple[str, float]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status, _ in finals:
        counts[status] = counts.get(status, 0) + 1
    return counts


def saga_scenario(settings: Settings, stack: Stack, scenario: Scenario, key: str) -> Result:
    http = urllib3.PoolManager(maxsize=settings.saga_clients, retries=False,
                               timeout=urllib3.Timeout(connect=5, read=30),
                               headers={"x-api-key": key, "content-type": "application/json"})
    rows = json.loads(http.request("GET", f"{settings.host}/api/v1/stock?location_id=warehouse&limit=100").data)["items"]
    products = [row["product_id"] for row in rows if row.get("available", 0) >= 50]
    if not products:
        raise SystemExit("no product with warehouse stock >= 50: is the demo data loaded?")
    warm: tuple[list, list, float] | None = None
    if settings.warmup:   # at least one saga per client, so that every participant has warm workers
        warm = run_sagas(settings, http, products, settings.warmup)
    before = stack.snapshot()
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    finals, post_ms, elapsed = run_sagas(settings, http, products, settings.duration)
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    after = stack.snapshot()
    by_status = count_by_status(finals)
    final_ms = [ms for status, ms in finals if status in FINAL]
    not_final = len(finals) - len(final_ms)
    result = Result(scenario, len(finals), by_status.get("COMPLETED", 0) / elapsed, "sagas/s",
                    percentile(final_ms, 50), percentile(final_ms, 95), percentile(final_ms, 99),
                    not_final, procs.cpu_by_group(before, after),
                    (usage1.ru_utime + usage1.ru_stime) - (usage0.ru_utime + usage0.ru_stime))
    if warm:
        result.notes.append(f"warm-up (not counted): {len(warm[0])} sagas in {warm[2]:.1f} s, "
                            f"{json.dumps(count_by_status(warm[0]))}")
    result.notes += [
        f"{len(finals)} sagas started in {settings.duration:g} s by {settings.saga_clients} clients, followed to the end "
        f"in {elapsed:.1f} s: {json.dumps(by_status)}; rate = COMPLETED / {elapsed:.1f} s",
        f"did not reach a final state within {settings.saga_timeout:g} s (or POST failed): {not_final}",
        f"POST p50 {fmt_ms(percentile(post_ms, 50))}, p95 {fmt_ms(percentile(post_ms, 95))}; "
        f"p50/p95/p99 columns: POST -> first GET that sees the final status (poll every {settings.saga_poll:g} s)",
        f"CPU per saga; ratio to baseline A x {INVOCATIONS_PER_SAGA} (the Lambda invocations of one saga)",
    ]
    return result


def saga_read_scenario(settings: Settings, stack: Stack, scenario: Scenario, key: str) -> Result:
    """wrk on the newest finished sagas (the ones the saga scenario made, or any)."""
    http = urllib3.PoolManager(headers={"x-api-key": key}, retries=False)
    page = json.loads(http.request("GET", f"{settings.host}/api/v1/sagas?limit=20&status=COMPLETED").data)
    paths = tuple(f"/api/v1/sagas/{item['saga_id']}" for item in page.get("items", []))
    if not paths:
        raise SystemExit("no finished saga to read: run the sagas scenario first (BENCH_SCENARIOS=sagas,sagaread)")
    return wrk_scenario(settings, stack, replace(scenario, paths=paths), key)


def cold_events(settings: Settings, key: str) -> dict[str, dict[str, Any]]:
    event, _ = proxy_event(settings, key, "/api/v1/products/{product_id}", "/api/v1/products/1", {"product_id": "1"})
    step = {"saga_id": "saga-bench-cold", "correlation_id": "bench-cold", "attempt": 0, "faults": []}
    return {"InventoryFunction": event,
            "InventoryCheckStockFunction": {**step, "location_id": "warehouse", "lines": [{"product_id": 1, "quantity": 1}]},
            "EcommerceConfirmOrderFunction": {**step, "order_id": 1}}


def cold_scenario(settings: Settings, stack: Stack, scenario: Scenario, key: str) -> Result:
    """Each round changes every measured function's configuration (one more environment variable,
    ``BENCH_COLD_START``), which on AWS as here retires its warm execution environments, then
    invokes it once: the invocation runs on a new worker, whose CPU time (its /proc stat) from
    the fork to the end of that first invocation is the cold start. The configuration is put back
    at the end (one more new revision)."""
    import boto3

    client = boto3.client("lambda", endpoint_url=settings.endpoint_url, region_name=os.environ.get("AWS_REGION", "us-east-1"),
                          aws_access_key_id="test", aws_secret_access_key="test")
    events = cold_events(settings, key)
    samples: dict[str, list[float]] = {}
    walls: list[float] = []
    originals: dict[str, dict[str, str]] = {}
    started = time.monotonic()
    try:
        for round_ in range(COLD_ROUNDS):
            for short in COLD_FUNCTIONS:
                name = f"{settings.stack}-{short}"
                config = client.get_function_configuration(FunctionName=name)
                variables = originals.setdefault(name, (config.get("Environment") or {}).get("Variables", {}))
                client.update_function_configuration(
                    FunctionName=name, Environment={"Variables": {**variables, "BENCH_COLD_START": f"{time.time()}-{round_}"}})
                before = set(stack.groups())
                t0 = time.perf_counter()
                client.invoke(FunctionName=name, Payload=json.dumps(events[short]).encode())
                walls.append((time.perf_counter() - t0) * 1000)
                groups = stack.groups()
                for pid in set(groups) - before:
                    group = groups[pid]
                    if group.startswith("worker ") and (stat := procs.read_stat(pid)) is not None:
                        samples.setdefault(group, []).append(stat.cpu_ticks / procs.CLK_TCK)
    finally:
        for name, variables in originals.items():
            client.update_function_configuration(FunctionName=name, Environment={"Variables": variables})
    elapsed = time.monotonic() - started
    count = sum(len(v) for v in samples.values())
    result = Result(scenario, count, count / elapsed if elapsed else 0.0, "starts/s", percentile(walls, 50),
                    percentile(walls, 95), percentile(walls, 99), 0,
                    {group: sum(values) for group, values in samples.items()}, 0.0)
    medians = {group: percentile([v * 1000 for v in values], 50) for group, values in samples.items()}
    for group, values in sorted(samples.items()):
        result.notes.append(f"{group}: {', '.join(f'{v * 1000:.0f}' for v in values)} ms of CPU "
                            f"(median {medians[group]:.0f} ms; /proc ticks are {1000 / procs.CLK_TCK:.0f} ms)")
    if not medians:
        result.notes.append("no new worker was seen: did the configuration updates reach the runtime? (see the endpoint's log)")
        return result
    worst = max(medians.values())
    result.notes.append(f"p50/p95/p99 columns: the invoke's wall time; CPU ms/req: per cold start; target: well under "
                        f"{COLD_TARGET_MS:g} ms of CPU per cold start: {'met' if worst < COLD_TARGET_MS else 'NOT met'} "
                        f"(worst median {worst:.0f} ms)")
    return result


# ------------------------------------------------------------------ report
def compare(result: Result, baselines: dict[str, Result]) -> str:
    base = baselines.get(result.scenario.baseline or "")
    if base is None:
        return "-"
    factor = INVOCATIONS_PER_SAGA if result.scenario.kind == "sagas" else 1
    rate = ratio(result.rate * factor, base.rate)
    cpu = ratio(result.cpu_ms(), (base.cpu_ms() or 0) * factor)
    label = f"{base.scenario.key}x{factor}" if factor > 1 else base.scenario.key
    return f"{label}: {fmt_ratio(rate)} rate, {fmt_ratio(cpu)} CPU"


def capacity(result: Result, cpus: int | None = None) -> float | None:
    """The rate this machine's cores allow at the measured CPU per request (load generator included)."""
    per_request = (result.cpu_ms() or 0) + (result.cpu_ms(LOADGEN) or 0)
    return (cpus or os.cpu_count() or 1) * 1000 / per_request if per_request else None


def target(result: Result) -> str:
    """Issue 9's target for the scenario and whether this run met it."""
    scenario, wanted, ok = result.scenario, [], True
    if scenario.target_rate is not None:
        wanted.append(f">= {scenario.target_rate:g} {result.unit}")
        ok = ok and result.rate >= scenario.target_rate
    if scenario.target_p95_ms is not None:
        wanted.append(f"p95 <= {fmt_ms(scenario.target_p95_ms)}")
        ok = ok and result.p95 <= scenario.target_p95_ms
    if not wanted:
        return "-"
    return f"{', '.join(wanted)}: {'met' if ok and not result.errors else 'NOT met'}"


def report(results: list[Result], cache: dict[tuple[str, str], str]) -> str:
    by_key = {r.scenario.key: r for r in results}
    header = ["scenario", "rate", "p50", "p95", "p99", "errors", "CPU ms/req", "loadgen ms/req", "CPU cap/s",
              "vs baseline", "target"]
    rows = []
    for r in results:
        title = r.scenario.title + (f" [stage cache {cache[r.scenario.route]}]" if r.scenario.route in cache else "")
        rows.append([f"{r.scenario.key:<8} {title}", f"{fmt_rate(r.rate)} {r.unit}", fmt_ms(r.p50), fmt_ms(r.p95),
                     fmt_ms(r.p99), f"{r.errors}/{r.count}", fmt_cpu(r.cpu_ms()),
                     fmt_cpu(r.cpu_ms(LOADGEN)) if r.scenario.kind in ("wrk", "hello", "sagas", "saga-read") else "-",
                     fmt_rate(capacity(r)), compare(r, by_key), target(r)])
    lines = [table(header, rows, left=1),
             f"CPU cap/s: {os.cpu_count()} cores / (CPU ms/req + loadgen ms/req), the most the measured CPU cost "
             "allows on this machine", ""]
    groups = sorted({g for r in results for g in r.cpu_s if (r.cpu_ms(g) or 0) >= 0.005},   # idle ones: noise
                    key=lambda g: -sum((r.cpu_ms(g) or 0) for r in results if g in r.cpu_s))
    cpu_header = ["CPU ms per request (per saga for sagas)", *[r.scenario.key for r in results]]
    cpu_rows = [[group, *[fmt_cpu(ms) if (ms := r.cpu_ms(group) or 0) >= 0.005 else "" for r in results]]
                for group in groups]
    cpu_rows.append([LOADGEN, *[fmt_cpu(r.cpu_ms(LOADGEN)) if r.scenario.kind != "inproc" else "" for r in results]])
    cpu_rows.append(["total without the load generator", *[fmt_cpu(r.cpu_ms()) for r in results]])
    lines += [table(cpu_header, cpu_rows, left=1), ""]
    for r in results:
        for note in r.notes:
            lines.append(f"{r.scenario.key}: {note}")
    return "\n".join(lines)


def main() -> None:
    settings = Settings()
    scenarios = [s for s in SCENARIOS if not settings.only or s.key in settings.only]
    if any(s.kind in ("wrk", "hello") for s in scenarios) and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: `make bench` installs it (apt-get install -y wrk)")
    stack = Stack(settings)
    key = os.environ.get("BENCH_API_KEY") or ensure_bench_key(settings.endpoint_url, settings.host,
                                                               stack=settings.stack, quiet=True)
    groups = stack.groups()
    if not any(procs.GATEWAY in g for g in groups.values()) or not any(procs.ENDPOINT in g for g in groups.values()):
        print(f"WARNING: no process of this machine listens on {stack.gateway_port} and {stack.endpoint_port} "
              "(another machine? not root?): the CPU columns miss the stack's processes", file=sys.stderr)
    print(f"make bench  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  gateway {settings.host}  endpoint {settings.endpoint_url}  "
          f"stack {settings.stack}  {os.cpu_count()} CPUs")
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split(" [")[0].strip() \
        if shutil.which("wrk") else "wrk"
    print(f"load generator: {wrk_version}, 1 thread, {settings.connections} connections, {settings.duration:g} s per "
          f"scenario after {settings.warmup:g} s of warm-up (not counted); sagas: Python threads (urllib3, one pooled "
          f"connection each), {settings.saga_clients} clients")
    print(f"API key: {key} (un-throttled: usage plan {settings.stack}-bench, no throttle, no quota)\n")
    routes = [s.route for s in scenarios if s.route]
    cache = {route: "on" if on else "off" for route, on in method_caching(settings.endpoint_url, settings.stack, routes).items()}
    results: list[Result] = []
    for scenario in scenarios:
        print(f"  running {scenario.key}: {scenario.title} ...", flush=True)
        if scenario.kind == "inproc":
            results.append(inproc_scenario(settings, stack, scenario, key))
        elif scenario.kind == "hello":
            results.append(hello_scenario(settings, stack, scenario))
        elif scenario.kind == "wrk":
            results.append(wrk_scenario(settings, stack, scenario, key))
        elif scenario.kind == "sagas":
            results.append(saga_scenario(settings, stack, scenario, key))
        elif scenario.kind == "saga-read":
            results.append(saga_read_scenario(settings, stack, scenario, key))
        elif scenario.kind == "cold":
            results.append(cold_scenario(settings, stack, scenario, key))
    print()
    print(report(results, cache))


if __name__ == "__main__":
    main()
