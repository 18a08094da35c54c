"""LocalStack's Lambda without Docker: a runtime executor backed by our Lambda runtime.

LocalStack runs a function's code through a *runtime executor*, loaded as a plugin from the
entry point group ``localstack.lambda.runtime_executor`` and chosen with
``LAMBDA_RUNTIME_EXECUTOR`` (its only built-in one, ``docker``, needs a Docker engine). This
module is the plugin ``LAMBDA_RUNTIME_EXECUTOR=retail-local``, declared by
``infra/localstack/plugin/pyproject.toml`` and installed in LocalStack's own virtual
environment. It runs inside the LocalStack process.

LocalStack keeps doing what the Lambda service does: the Invoke API, versions, reserved
concurrency (429), its execution environments and their lifecycle, and the logs it writes to
CloudWatch Logs from each invocation's output. Each of its environments hands its invocations
to one shared ``LambdaRuntime`` (``lambda_runtime.py``), the runtime of the embedded cloud:
warm ``awslambdaric`` workers forked from a template process, the function's timeout (the
worker is killed, ``Sandbox.Timedout``), init and handler errors in Lambda's shape, the
START/END/REPORT lines. The workers run on the project's interpreter (``RETAIL_LAMBDA_PYTHON``,
the project's ``.venv``), where the functions' libraries are installed, not on LocalStack's.
"""
from __future__ import annotations

import io
import os
import sys
import threading
from pathlib import Path
from typing import Any

from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin
from localstack.services.lambda_.invocation.runtime_executor import RuntimeExecutor

from infra.cloud.lambda_runtime import FunctionSpec, LambdaRuntime

PLUGIN_NAME = "retail-local"
# what LocalStack sets for the execution environment and our runtime sets itself (reserved
# variables, paths inside a container) or must not see (LocalStack's internal runtime API)
NOT_PASSED = ("LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "_HANDLER", "AWS_LAMBDA_LOG_STREAM_NAME",
              "LOCALSTACK_RUNTIME_ID", "LOCALSTACK_RUNTIME_ENDPOINT", "LOCALSTACK_USER", "EDGE_PORT",
              "LOCALSTACK_HOSTNAME", "AWS_XRAY_DAEMON_ADDRESS", "_AWS_XRAY_DAEMON_ADDRESS",
              "_AWS_XRAY_DAEMON_PORT", "AWS_XRAY_CONTEXT_MISSING", "AWS_LAMBDA_FUNCTION_TIMEOUT")

_runtime: LambdaRuntime | None = None
_runtime_lock = threading.Lock()
_code: dict[str, bytes] = {}   # code sha256 -> the deployment package


def shared_runtime() -> LambdaRuntime:
    """One runtime for every environment of every function: its workers are the warm
    environments; LocalStack's environments only decide when an invocation may start."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            work_dir = Path(os.environ.get("RETAIL_LAMBDA_WORK_DIR") or
                            Path(os.environ.get("FILESYSTEM_ROOT", "/tmp")) / "retail-lambda")
            _runtime = LambdaRuntime(_unknown_function, lambda group, stream, events: None,
                                     base_env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"},
                                     work_dir=work_dir, python=os.environ.get("RETAIL_LAMBDA_PYTHON", sys.executable),
                                     max_workers_per_function=int(os.environ.get("RETAIL_LAMBDA_MAX_WORKERS", "8")))
        return _runtime


def _unknown_function(name: str) -> FunctionSpec:   # every invoke passes its spec
    raise KeyError(name)


def _package(function_version: FunctionVersion) -> bytes:
    code = function_version.config.code
    package = _code.get(code.code_sha256)
    if package is None:
        buffer = io.BytesIO()
        code._download_archive_to_file(buffer)   # LocalStack's copy of the zip (its internal S3)
        package = _code[code.code_sha256] = buffer.getvalue()
    return package


class RetailRuntimeExecutor(RuntimeExecutor):
    """One of LocalStack's execution environments: its invocations go to the shared runtime."""

    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id, function_version)
        self.spec: FunctionSpec | None = None

    def start(self, env_vars: dict[str, str]) -> None:
        config = self.function_version.config
        environment = {k: str(v) for k, v in env_vars.items() if k not in NOT_PASSED}
        self.spec = FunctionSpec(
            name=self.function_version.id.function_name, arn=self.function_version.qualified_arn,
            handler=config.handler, runtime=str(config.runtime), timeout=float(config.timeout),
            memory_size=int(config.memory_size), environment=environment,
            code_zip=_package(self.function_version), code_sha256=config.code.code_sha256,
            reserved_concurrency=None,   # LocalStack throttles (429) before an environment is used
            revision=config.internal_revision)
        # the environment is ready at once: the worker (a cold start) starts with its first invocation

    def invoke(self, payload: dict[str, Any]) -> InvocationResult:
        result = shared_runtime().invoke(self.spec.name, payload["payload"].encode(), spec=self.spec)
        return InvocationResult(request_id=payload["invoke-id"], payload=result.payload,
                                is_error=result.function_error is not None,
                                logs="\n".join(result.log_lines) + "\n")

    def stop(self) -> None:
        pass   # the worker stays warm in the runtime until it idles out or the code changes

    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        return "127.0.0.1"

    def get_runtime_endpoint(self) -> str:
        return ""   # the runtime does not call LocalStack's internal runtime API

    def get_logs(self) -> str:
        return ""

    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        pass

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        _code.pop(function_version.config.code.code_sha256, None)


class RetailRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    name = PLUGIN_NAME

    def load(self, *args: Any, **kwargs: Any) -> type[RuntimeExecutor]:
        return RetailRuntimeExecutor
