"""Hot reload (infra/deploy/watch.py) on the test session's cloud: a copy of a small stack in a
temporary folder is deployed and watched, and the tests edit the copy (never functions/, which
a running `make run` may be watching)."""
from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import polling

from infra.deploy import deploy
from infra.deploy.watch import HotReload

FIXTURE = Path(__file__).parent / "fixtures" / "reload_stack"
DOMAINS = Path(__file__).parent / "fixtures" / "domains_stack"   # per-domain packages (BuildMethod: makefile)
ROOT = Path(__file__).resolve().parents[2]
WAIT = 30.0   # generous: the suite may run on two busy cores


def watched_copy(fixture: Path, stack_name: str, session_stack, tmp_path, caplog):
    folder = tmp_path / "stack"
    shutil.copytree(fixture, folder)
    stack = deploy(session_stack.endpoint_url, template_path=folder / "template.yaml", stack_name=stack_name,
                   region=session_stack.region)
    caplog.set_level(logging.INFO, logger="hot-reload")
    watcher = HotReload(session_stack.endpoint_url, stack, folder / "template.yaml", region=session_stack.region,
                        interval=0.2).start()
    yield folder, stack
    watcher.stop()


@pytest.fixture
def reload_stack(session_stack, tmp_path, caplog):
    yield from watched_copy(FIXTURE, "reload", session_stack, tmp_path, caplog)


@pytest.fixture
def domains_stack(session_stack, tmp_path, caplog):
    yield from watched_copy(DOMAINS, "domains", session_stack, tmp_path, caplog)


def invoke(aws, name: str) -> tuple[dict, str | None]:
    result = aws("lambda").invoke(FunctionName=name, Payload=b"{}")
    return json.loads(result["Payload"].read()), result.get("FunctionError")


def eventually(what: str, check, timeout: float = WAIT):
    value = polling.eventually(check, timeout)
    if not value:
        pytest.fail(f"not within {timeout:.0f}s: {what}")
    return value


def save(path: Path, text: str) -> None:
    path.write_text(text)
    os.utime(path, ns=(time.time_ns(), time.time_ns()))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_saved_module_is_the_next_invocations_code_and_a_syntax_error_heals(aws, reload_stack, caplog):
    folder, stack = reload_stack
    fn, other = stack.physical_id("ReloadFunction"), stack.physical_id("OtherFunction")
    first, error = invoke(aws, fn)
    assert error is None and first["answer"] == "v1" and first["greeting"] == "hello"
    other_pid = invoke(aws, other)[0]["pid"]
    sha = aws("lambda").get_function_configuration(FunctionName=fn)["CodeSha256"]

    save(folder / "src" / "answer.py", 'ANSWER = "v2"\n')
    second = eventually("the new answer", lambda: (body := invoke(aws, fn)[0]).get("answer") == "v2" and body)
    assert second["pid"] != first["pid"], "the new code runs in a new worker"
    assert aws("lambda").get_function_configuration(FunctionName=fn)["CodeSha256"] != sha
    assert "src/answer.py changed: new code for every function (2)" in caplog.text
    # every function of the package got the new code: the other one's warm worker is stopped too
    eventually("the old workers drained", lambda: not alive(first["pid"]) and not alive(other_pid))
    assert invoke(aws, other)[0]["pid"] != other_pid

    handler = (folder / "src" / "app.py").read_text()
    save(folder / "src" / "app.py", handler.replace("def handler(event, context):", "def handler(event, context)"))
    body, error = eventually("the init error", lambda: (answer := invoke(aws, fn))[1] and answer)
    assert error == "Unhandled" and body["errorType"] == "Runtime.UserCodeSyntaxError", body
    assert "app.py" in body["errorMessage"]

    save(folder / "src" / "app.py", handler)
    healed = eventually("the fixed handler", lambda: (answer := invoke(aws, fn))[1] is None and answer[0])
    assert healed["answer"] == "v2"


def test_a_template_change_redeploys_and_a_broken_template_keeps_the_stack_serving(aws, reload_stack, caplog):
    folder, stack = reload_stack
    fn = stack.physical_id("ReloadFunction")
    template = (folder / "template.yaml").read_text()
    save(folder / "template.yaml", template.replace("GREETING: hello", "GREETING: bonjour"))
    eventually("the new environment", lambda: invoke(aws, fn)[0].get("greeting") == "bonjour")
    assert f"template.yaml changed: redeployed (1 changes: updated configuration of {fn})" in caplog.text

    save(folder / "template.yaml", template.replace("Resources:", "Resources: [unclosed"))
    eventually("the failure logged", lambda: "template.yaml changed: NOT redeployed" in caplog.text)
    body, error = invoke(aws, fn)
    assert error is None and (body["answer"], body["greeting"]) == ("v1", "bonjour")


def test_a_domain_s_file_reloads_its_functions_only_and_a_shared_one_every_function(aws, domains_stack, caplog):
    """Each function's package is its domain and the shared package (built by the stack's
    Makefile, as `sam build` does): a save in one domain builds and updates that domain's
    functions only; the other keeps its code and its warm worker."""
    folder, stack = domains_stack
    alpha, beta = stack.physical_id("AlphaFunction"), stack.physical_id("BetaFunction")
    first, error = invoke(aws, alpha)
    assert error is None and (first["answer"], first["beta_importable"]) == ("v1", False), first
    beta_pid = invoke(aws, beta)[0]["pid"]
    beta_sha = aws("lambda").get_function_configuration(FunctionName=beta)["CodeSha256"]

    save(folder / "src" / "alpha" / "answer.py", 'ANSWER = "v2"\n')
    eventually("alpha's new answer", lambda: invoke(aws, alpha)[0].get("answer") == "v2")
    assert f"src/alpha/answer.py changed: new code for {alpha} (" in caplog.text
    assert aws("lambda").get_function_configuration(FunctionName=beta)["CodeSha256"] == beta_sha
    assert invoke(aws, beta)[0]["pid"] == beta_pid, "the other domain's warm worker keeps serving"

    save(folder / "src" / "shared" / "greeting.py", 'GREETING = "bonjour"\n')
    for fn in (alpha, beta):
        eventually(f"{fn}'s new greeting", lambda: invoke(aws, fn)[0].get("greeting") == "bonjour")
    assert "src/shared/greeting.py changed: new code for every function (2)" in caplog.text


def test_a_file_the_build_copies_from_outside_the_code_folder_reloads_its_function(aws, domains_stack, caplog):
    """functions/Makefile packages docs/openapi.json into InventoryFunction; the fixture's alpha
    packages ../motd.txt the same way (``make sources-<id>`` names it): saving it reloads alpha."""
    folder, stack = domains_stack
    alpha, beta = stack.physical_id("AlphaFunction"), stack.physical_id("BetaFunction")
    assert invoke(aws, alpha)[0]["motd"] == "hello"
    beta_sha = aws("lambda").get_function_configuration(FunctionName=beta)["CodeSha256"]
    save(folder / "motd.txt", "bonjour\n")
    eventually("alpha's new message", lambda: invoke(aws, alpha)[0].get("motd") == "bonjour")
    assert f"motd.txt changed: new code for {alpha} (" in caplog.text
    assert aws("lambda").get_function_configuration(FunctionName=beta)["CodeSha256"] == beta_sha


def test_the_lambda_template_process_loads_no_function_code():
    """Workers are forked from a process that pre-imports libraries (lambda_zygote.py): were a
    module of functions/ among them, a fork would run the code of before the change."""
    probe = ("import sys; from infra.cloud import lambda_zygote as z; z._preload(); "
             "print('\\n'.join(str(getattr(m, '__file__', None) or '') for m in list(sys.modules.values())))")
    files = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                           check=True, timeout=120).stdout.split()
    assert files and not [f for f in files if f.startswith(str(ROOT / "functions"))]
