"""`make run`: the whole system on this machine, in one process tree, without Docker.

    1. an AWS cloud on 127.0.0.1:4566: the embedded cloud (moto + DynamoDB Local + our Lambda
       runtime), or with ``TARGET=localstack`` LocalStack's core in host mode (infra/localstack/)
       with our Lambda runtime as its runtime executor
    2. template.yaml deployed onto it (infra.deploy), demo data loaded (infra.seed)
    3. our API Gateway data plane for the deployed stage on 127.0.0.1:8000 (in the embedded
       cloud's process; beside LocalStack, a process of its own that reads LocalStack's API
       Gateway configuration and invokes through LocalStack's Lambda)

Ctrl-C stops everything; no process is left behind. With ``persist`` (``make run`` on the
embedded cloud) the data is kept under the state directory (``.local/``) and comes back at the
next start: DynamoDB Local's tables, the Step Functions executions, the stack's generated
secrets, and the demo data is not loaded twice; the stack itself is deployed again
(idempotent). LocalStack's community edition keeps nothing across restarts. ``StackRunner`` is
also what the tests start, once per session, on free ports and in memory.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

from localstack_client.session import Session

ROOT = Path(__file__).resolve().parents[1]


class CloudSession(Session):
    """localstack-client's session with every service at one endpoint, whatever the environment
    says: localstack-client lets ``AWS_ENDPOINT_URL`` win over the host it is given, and a test
    process runs several stacks (and the demo-data loader points the environment at the one it
    loads) at once."""

    def __init__(self, endpoint_url: str, region_name: str):
        super().__init__(aws_access_key_id="test", aws_secret_access_key="test", region_name=region_name)
        self._service_endpoint_mapping = dict.fromkeys(self._service_endpoint_mapping, endpoint_url)


log = logging.getLogger("local")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_until(ready: Callable[[], bool], proc: subprocess.Popen, what: str, timeout: float = 60,
               poll: float = 0.05) -> None:
    """Until ``ready()`` holds; fails at once if ``proc`` exits, or after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with status {proc.returncode}; see its log")
        if ready():
            return
        time.sleep(poll)
    raise RuntimeError(f"{what} was not ready within {timeout:.0f}s")


def wait_for_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 60) -> None:
    wait_until(lambda: port_in_use(port), proc, f"{what} (port {port})", timeout)


def answers_2xx(url: str) -> bool:
    """``url`` answers 2xx (the gateway serves the deployed stage, not the 403 of one it does
    not know yet)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return 200 <= resp.status < 300
    except (urllib.error.URLError, OSError):
        return False


def key_in_a_usage_plan(url: str, key: str) -> bool:
    """The gateway lets ``key`` through to ``url``'s function: any answer but its 403
    ``{"message":"Forbidden"}`` (a key in no usage plan it knows of)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"x-api-key": key}), timeout=10):
            return True
    except urllib.error.HTTPError as exc:
        return not (exc.code == 403 and b'"Forbidden"' in exc.read())
    except (urllib.error.URLError, OSError):
        return False


def _die_with_parent() -> None:
    """Children get SIGTERM if this process dies without cleaning up (Linux prctl)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


# The local stack's documented API keys (README "API keys and roles"): local values only.
DEV_API_KEYS = {
    "AdminApiKeyValue": "admin-key-12345-local-dev",
    "FrontendApiKeyValue": "frontend-key-67890-local-dev",
    "StoreApiKeyValue": "store-key-24680-local-dev",
    "StoreApiKeyStores": "1 2",   # the dev store key belongs to stores 1 and 2
}


TARGETS = ("embedded", "localstack")


class StackRunner:
    """Starts cloud -> deploy -> seed -> gateway; ``stop()`` undoes it all. ``target`` is the
    cloud: ``embedded`` or ``localstack``."""

    def __init__(self, cloud_port: int = 4566, gateway_port: int = 8000, *, target: str = "embedded",
                 region: str = "us-east-1",
                 stack_name: str = "retail", seed: bool = True, state_dir: Path = ROOT / ".local",
                 parameters: dict[str, str] | None = None, seed_in_background: bool = False,
                 persist: bool = False, reset: bool = False,
                 seeder: Callable[[Any, str, str], dict[str, Any]] | None = None,
                 hot_reload: bool = False):
        if target not in TARGETS:
            raise ValueError(f"unknown target {target!r}: one of {', '.join(TARGETS)}")
        self.cloud_port, self.gateway_port, self.target = cloud_port, gateway_port, target
        self.region, self.stack_name, self.seed = region, stack_name, seed
        self.state_dir, self.reset = state_dir, reset   # reset: delete state_dir first
        self.persist = persist and target == "embedded"   # LocalStack's community edition keeps nothing
        self.seeder = seeder   # None: infra.seed.seed_all, the demo data
        self.endpoint_url = f"http://127.0.0.1:{cloud_port}"
        self.gateway_url = f"http://127.0.0.1:{gateway_port}"
        # the web back office calls the API through this gateway (template parameter WebApiUrl);
        # the documented dev keys are passed here, never template defaults (a deploy generates keys)
        self.parameters = {"EnableTestHooks": "true", "WebApiUrl": self.gateway_url, **DEV_API_KEYS,
                           **(parameters or {})}
        self.procs: list[subprocess.Popen] = []
        self.stack = None
        self.seed_summary: dict[str, Any] = {}
        self.seed_in_background = seed_in_background   # `make run`: serve first, load demo data meanwhile
        self.seeding: threading.Thread | None = None
        self.seed_error: BaseException | None = None
        self.seed_kept: dict[str, Any] | None = None   # the marker of demo data loaded by an earlier run
        self.hot_reload = hot_reload   # `make run`: code and template changes reach the stack (infra/deploy/watch.py)
        self.reloader = None

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"

    # what `persist` keeps (`make reset` deletes the whole state directory)
    @property
    def dynamodb_dir(self) -> Path:
        return self.state_dir / "dynamodb"

    @property
    def seed_marker(self) -> Path:
        """Written once the demo data is loaded, next to the data it describes."""
        return self.dynamodb_dir / "demo-data.json"

    @property
    def executions_file(self) -> Path:
        return self.state_dir / "stepfunctions" / "executions.jsonl"

    @property
    def secrets_file(self) -> Path:
        return self.state_dir / "secrets.json"

    def _spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        """``python <args>`` on this interpreter, or ``args`` as they are with ``env``."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        out = open(self.log_dir / f"{name}.log", "ab")
        if env is None:
            env = {**os.environ, "PYTHONUNBUFFERED": "1", "AWS_REGION": self.region,
                   "AWS_DEFAULT_REGION": self.region, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
            env.pop("AWS_ENDPOINT_URL", None)
            args = [sys.executable, *args]
        proc = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env, start_new_session=True,
                                preexec_fn=_die_with_parent)
        out.close()
        self.procs.append(proc)
        return proc

    def start(self) -> "StackRunner":
        for port in (self.cloud_port, self.gateway_port):
            if port_in_use(port):
                raise RuntimeError(f"port {port} is already in use (is another `make run` running?)")
        if self.reset and self.state_dir.exists():
            log.info("reset: deleting %s", self.state_dir)
            shutil.rmtree(self.state_dir)
        try:
            t0 = time.monotonic()
            gateway = self._start_embedded() if self.target == "embedded" else self._start_localstack()
            from infra.deploy import deploy, write_state

            if self.persist:
                self._restore_secrets()
            self.stack = deploy(self.endpoint_url, stack_name=self.stack_name, region=self.region,
                                parameters=self.parameters)
            write_state(self.stack, self.state_dir / "stack.json")
            if self.persist:
                self._save_secrets()
            log.info("stack %s deployed (%.1fs)", self.stack_name, time.monotonic() - t0)
            if gateway is None:   # beside LocalStack: the gateway reads the deployed API at its start
                gateway = self._start_gateway()
            # the stage, then the usage plans' keys (made after it): until the gateway has read
            # them, a key is a 403. Ready is when every key passes, to a product read every role
            # may make (a 404: an answer of the function, which is then warm)
            keys = list(self.api_keys().values())
            wait_until(lambda: answers_2xx(f"{self.gateway_url}/api/v1/health") and all(
                key_in_a_usage_plan(f"{self.gateway_url}/api/v1/products/0", key) for key in keys),
                gateway, "the gateway serving the stage and its keys", poll=0.1)
            log.info("gateway serving the stage on %s (%.1fs)", self.gateway_url, time.monotonic() - t0)
            if self.hot_reload:
                self._start_hot_reload()
            if self.seed and self.persist and self.seed_marker.exists():
                self.seed_kept = json.loads(self.seed_marker.read_text())
                log.info("demo data kept from the last run (loaded %s)", self.seed_kept.get("loaded_at"))
            elif self.seed and self.seed_in_background:
                self.seeding = threading.Thread(target=self._seed, args=(t0,), name="seed", daemon=True)
                self.seeding.start()
            elif self.seed:
                self._seed(t0)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_embedded(self) -> subprocess.Popen:
        """The embedded cloud, which also serves the gateway (in-process hand-off to the Lambda
        runtime); the gateway answers 403 until the stage is deployed and picks it up at once."""
        cloud = self._spawn("cloud", ["-m", "infra.cloud.server", "--port", str(self.cloud_port),
                                      "--region", self.region,
                                      "--work-dir", str(self.state_dir / "cloud"),
                                      "--gateway-port", str(self.gateway_port),
                                      "--rest-api-name", self.api_name, "--stage", self.stage,
                                      "--access-log", str(self.log_dir / "gateway-access.log"),
                                      *(["--dynamodb-path", str(self.dynamodb_dir),
                                         "--executions-file", str(self.executions_file)] if self.persist else [])])
        import infra.deploy   # noqa: F401 - its imports (0.4 s) while the cloud starts

        wait_for_port(self.cloud_port, cloud, "the embedded cloud")
        wait_for_port(self.gateway_port, cloud, "the gateway")
        log.info("embedded cloud up on %s", self.endpoint_url)
        return cloud

    def _start_localstack(self) -> None:
        """LocalStack in host mode (infra/localstack/); the gateway comes after the deploy."""
        from infra import localstack

        if not localstack.installed():
            raise RuntimeError("LocalStack is not installed: run `make localstack` (or make run TARGET=localstack)")
        root = self.state_dir / "localstack"
        localstack.provision(root)
        proc = self._spawn("localstack", localstack.command(), env=localstack.environment(self.cloud_port, root))
        wait_until(lambda: localstack.ready(self.endpoint_url), proc, "LocalStack", timeout=120, poll=0.2)
        log.info("LocalStack %s up on %s", localstack.VERSION, self.endpoint_url)
        return None

    def _start_gateway(self) -> subprocess.Popen:
        """Our API Gateway data plane as a process of its own, on the cloud's API Gateway
        control plane and Lambda Invoke API (usage plans, throttling and the stage cache as on
        AWS, which LocalStack's own API Gateway does not enforce)."""
        gateway = self._spawn("gateway", ["-m", "gateway", "--endpoint-url", self.endpoint_url,
                                          "--region", self.region, "--rest-api-name", self.api_name,
                                          "--stage", self.stage, "--port", str(self.gateway_port),
                                          "--access-log", str(self.log_dir / "gateway-access.log"),
                                          "--refresh-interval", "1"])
        wait_for_port(self.gateway_port, gateway, "the gateway")
        return gateway

    def _start_hot_reload(self) -> None:
        from infra.deploy import write_state
        from infra.deploy.watch import HotReload

        def deployed(stack) -> None:
            self.stack = stack
            write_state(stack, self.state_dir / "stack.json")

        self.reloader = HotReload(self.endpoint_url, self.stack, ROOT / "template.yaml", region=self.region,
                                  parameters=self.parameters, on_deployed=deployed).start()

    def _seed(self, t0: float) -> None:
        from infra.seed import seed_all

        try:
            self.seed_summary = (self.seeder or seed_all)(self.stack, self.endpoint_url, self.region)
            if self.persist:   # only once it is all in: a run stopped while loading loads again
                self.seed_marker.write_text(json.dumps({"loaded_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                                                        "summary": self.seed_summary}, default=str))
        except Exception as exc:  # noqa: BLE001 - reported, the stack keeps running
            self.seed_error = exc
            log.error("demo data could not be loaded: %r", exc)
            if not self.seed_in_background:
                raise
            return
        log.info("demo data loaded (%.1fs): %s", time.monotonic() - t0, json.dumps(self.seed_summary))

    def _secretsmanager(self) -> Any:
        return self.client("secretsmanager")

    def _save_secrets(self) -> None:
        """The secrets' values (the stack generates ``WebSessionSecret`` at its first deploy: a
        new one would sign every back-office user out), put back before the next deploy, which
        keeps a secret that exists."""
        sm = self._secretsmanager()
        secrets = [{"Name": s["Name"], "Description": s.get("Description", ""),
                    "SecretString": sm.get_secret_value(SecretId=s["ARN"])["SecretString"]}
                   for page in sm.get_paginator("list_secrets").paginate() for s in page["SecretList"]]
        self.secrets_file.touch(mode=0o600)
        self.secrets_file.write_text(json.dumps(secrets, indent=1))

    def _restore_secrets(self) -> None:
        if not self.secrets_file.exists():
            return
        sm = self._secretsmanager()
        for secret in json.loads(self.secrets_file.read_text()):
            try:
                sm.create_secret(**secret)
            except sm.exceptions.ResourceExistsException:
                pass

    def session(self) -> Session:
        """A boto3 session on this stack's cloud, either target (localstack-client's session, every
        service at ``endpoint_url``)."""
        return CloudSession(self.endpoint_url, region_name=self.region)

    def client(self, service: str):
        return self.session().client(service)

    @property
    def api_name(self) -> str:
        return f"{self.stack_name}-api"

    @property
    def stage(self) -> str:
        return self.stack.parameters["StageName"] if self.stack else self.parameters.get("StageName", "prod")

    def api_keys(self) -> dict[str, str]:
        """Consumer name -> key value, read back from the deployed API keys."""
        return {name: value for name, (value, _role) in self.api_keys_with_roles().items()}

    def api_keys_with_roles(self) -> dict[str, tuple[str, str]]:
        """Consumer name -> (key value, role tag), read back from the deployed API keys."""
        client = self.client("apigateway")
        keys = client.get_api_keys(includeValues=True, nameQuery=f"{self.stack_name}-")["items"]
        return {k["name"].removeprefix(f"{self.stack_name}-"): (k["value"], (k.get("tags") or {}).get("role", "-"))
                for k in keys}

    def stop(self) -> None:
        if self.reloader is not None:
            self.reloader.stop()
        for proc in reversed(self.procs):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs.clear()


def banner(runner: StackRunner) -> str:
    with_roles = runner.api_keys_with_roles()
    keys = {name: value for name, (value, _role) in with_roles.items()}
    lines = [
        "",
        "Retail platform running locally" + ("" if runner.target == "embedded" else
                                             f" on LocalStack {_localstack_version()} (host mode)"),
        f"  web back office    {runner.gateway_url}/ui   (sign in with an API key below)",
        f"  API (gateway)      {runner.gateway_url}/api/v1/...   (stage '{runner.stage}' served at the root)",
        f"  AWS endpoint       {runner.endpoint_url}   e.g. aws --endpoint-url {runner.endpoint_url} dynamodb list-tables",
        f"  health (no key)    curl -s {runner.gateway_url}/api/v1/health",
        "  API keys (header x-api-key):",
        *[f"    {name:<9} {value}   (role {role})" for name, (value, role) in sorted(with_roles.items())],
        f"  example            curl -s -H 'x-api-key: {keys.get('admin', '<admin key>')}' {runner.gateway_url}/api/v1/products",
        f"  order saga         curl -s -X POST -H 'x-api-key: {keys.get('admin', '<admin key>')}' "
        f"-H 'content-type: application/json' {runner.gateway_url}/api/v1/customers/1/order-processing "
        """-d '{"products":[{"product_id":1,"quantity":1}],"shipping_address":"123 Main St","payment_method":"credit_card"}'""",
        *([f"  metrics            {runner.endpoint_url}/metrics (Prometheus); CloudWatch on the AWS endpoint"]
          if runner.target == "embedded" else
          ["  metrics            CloudWatch on the AWS endpoint (no Prometheus /metrics on LocalStack)"]),
        "  function logs      make logs  (or make logs FILTER=<x-amzn-RequestId>)",
        f"  logs               {runner.log_dir}/ "
        + ("(cloud.log: endpoint and gateway; gateway-access.log)" if runner.target == "embedded" else
           "(localstack.log, gateway.log, gateway-access.log)"),
        *(["  hot reload         on: a saved file under functions/ is the next invocation's code; "
           "template.yaml redeploys (HOT_RELOAD=0: off)"] if runner.reloader else []),
        *([] if runner.seeding is None or not runner.seeding.is_alive() else
          ["  demo data          LOADING in the background: lists fill up over the next ~20 s "
           "('demo data loaded' is logged when done)"]),
        *([] if runner.seed_kept is None else
          [f"  demo data          kept from the last run (loaded {runner.seed_kept.get('loaded_at')}; "
           "make reset starts from fresh demo data)"]),
        *([f"  local data         {runner.state_dir}/ (kept across restarts; see README 'Local data')"]
          if runner.persist else []),
        *(["  local data         none kept: LocalStack's community edition starts empty at each run"]
          if runner.target == "localstack" else []),
        "Ctrl-C stops everything.",
        "",
    ]
    return "\n".join(lines)


def _localstack_version() -> str:
    from infra import localstack

    return localstack.VERSION


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the whole system locally.")
    parser.add_argument("command", choices=["up"], nargs="?", default="up")
    parser.add_argument("--cloud-port", type=int, default=int(os.environ.get("CLOUD_PORT", 4566)))
    parser.add_argument("--gateway-port", type=int, default=int(os.environ.get("GATEWAY_PORT", 8000)))
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    parser.add_argument("--target", choices=TARGETS, default=os.environ.get("TARGET") or "embedded",
                        help="the cloud: the embedded cloud (default) or LocalStack in host mode")
    parser.add_argument("--no-seed", action="store_true")
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".local",
                        help="where the data is kept across restarts, and the logs (default: .local/)")
    parser.add_argument("--reset", action="store_true",
                        help="delete the kept data first: start from empty tables and fresh demo data")
    parser.add_argument("--in-memory", action="store_true",
                        help="keep nothing, read nothing kept (DynamoDB Local -inMemory: transactions "
                             "about twice as fast; for benchmarks)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # feature-toggle chatter
    logging.getLogger("pynamodb").setLevel(logging.WARNING)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    runner = StackRunner(args.cloud_port, args.gateway_port, target=args.target, region=args.region,
                         seed=not args.no_seed, seed_in_background=True, state_dir=args.state_dir,
                         persist=not args.in_memory, reset=args.reset,
                         hot_reload=os.environ.get("HOT_RELOAD", "1") != "0")
    try:
        runner.start()
    except RuntimeError as exc:
        log.error("%s", exc)
        sys.exit(1)
    print(banner(runner), flush=True)
    seeding_reported = runner.seeding is None
    try:
        while not stop.is_set():
            if not seeding_reported and not runner.seeding.is_alive():
                seeding_reported = True
                print("Demo data loaded." if runner.seed_error is None else
                      f"Demo data NOT loaded: {runner.seed_error!r}", flush=True)
            for proc in runner.procs:
                if proc.poll() is not None:
                    log.error("a component exited (status %s); stopping; see %s", proc.returncode, runner.log_dir)
                    stop.set()
            stop.wait(0.5)
    finally:
        log.info("stopping ...")
        runner.stop()
        log.info("stopped")


if __name__ == "__main__":
    main()
