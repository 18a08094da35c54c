"""infra/localstack: what LocalStack finds before it starts (its DynamoDB packages, provisioned
offline) and the settings of host mode. The run itself is tests/e2e with --target localstack."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

from infra import localstack


def test_provision_puts_what_localstack_would_download_where_it_looks(tmp_path):
    localstack.provision(tmp_path)
    libs = tmp_path / "var" / "lib" / "localstack" / "lib"
    java = libs / "java" / "21" / "bin" / "java"   # LocalStack's install marker of its JDK 21
    version = subprocess.run([str(java), "-version"], capture_output=True, text=True)
    assert version.returncode == 0 and "version" in version.stderr
    ddb = libs / "dynamodb-local" / "2"
    assert (ddb / "DynamoDBLocal.jar").stat().st_size > 1_000_000   # the npm package's jar
    assert any((ddb / "DynamoDBLocal_lib").iterdir())
    with zipfile.ZipFile(ddb / "ddb-local-loader-0.1.jar") as agent:   # the -javaagent it always passes
        assert "Premain-Class: NoopAgent" in agent.read("META-INF/MANIFEST.MF").decode()
        assert "NoopAgent.class" in agent.namelist()


def test_provision_twice_keeps_what_is_there(tmp_path):
    localstack.provision(tmp_path)
    jar = tmp_path / "var/lib/localstack/lib/dynamodb-local/2/DynamoDBLocal.jar"
    before = jar.stat().st_mtime_ns
    localstack.provision(tmp_path)
    assert jar.stat().st_mtime_ns == before


def test_host_mode_binds_loopback_and_runs_functions_in_our_runtime(tmp_path):
    env = localstack.environment(4599, tmp_path)
    assert env["GATEWAY_LISTEN"] == "127.0.0.1:4599"
    assert env["LAMBDA_RUNTIME_EXECUTOR"] == "retail-local"
    assert env["OVERRIDE_IN_DOCKER"] == "0" and env["DNS_ADDRESS"] == "0"
    assert Path(env["PYTHONPATH"]) == localstack.ROOT   # the plugin's code is the repository's
    assert not any(k.startswith("AWS_") for k in env)   # LocalStack is not pointed at another endpoint


def test_the_plugin_is_registered_under_the_executor_name():
    pyproject = (localstack.ROOT / "infra/localstack/plugin/pyproject.toml").read_text()
    assert f'{localstack.EXECUTOR} = "infra.cloud.localstack_executor:RetailRuntimeExecutorPlugin"' in pyproject
    assert f'PLUGIN_NAME = "{localstack.EXECUTOR}"' in (localstack.ROOT / "infra/cloud/localstack_executor.py").read_text()
