"""template.yaml is valid for CloudFormation and SAM, and the offline transform covers it."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.deploy.build import BuildError, CodeSource
from infra.deploy.resources import PROVISIONERS, package_folder
from infra.deploy.template import load_yaml, package_locally, to_cloudformation
from infra.openapi import load_template, template_routes
from shared.api import OPENAPI_PATH

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(*args):
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)


def test_cfn_lint_passes():
    result = run(str(BIN / "cfn-lint"), "template.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_sam_validate_lint_passes():
    result = run(str(BIN / "sam"), "validate", "--lint", "--template-file", "template.yaml", "--region", "us-east-1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


def translated(**parameters):
    packaged, artifacts = package_locally(load_yaml(ROOT / "template.yaml"), ROOT)
    return to_cloudformation(packaged, parameters, "us-east-1", "123456789012", "retail"), artifacts


def test_offline_transform_only_produces_types_the_deployer_provisions():
    cfn, artifacts = translated(EnableTestHooks="true")
    types = {r["Type"] for r in cfn["Resources"].values()}
    assert types <= PROVISIONERS.keys(), types - PROVISIONERS.keys()
    functions = {lid for lid, r in load_yaml(ROOT / "template.yaml")["Resources"].items()
                 if r["Type"] == "AWS::Serverless::Function"}
    assert artifacts == {f".aws-sam/build/{lid}": CodeSource(ROOT / "functions", lid) for lid in functions}


def _when_test_hooks_on(node):
    """A conditional (``Fn::If``) entry of the translated body, as deployed with test hooks on."""
    while isinstance(node, dict) and list(node) == ["Fn::If"]:
        node = node["Fn::If"][1]
    return node


def test_every_route_but_health_and_the_web_pages_requires_an_api_key_and_the_role_authorizer():
    cfn, _ = translated()
    body = cfn["Resources"]["RetailApi"]["Properties"]["Body"]
    checked = set()
    for path, operations in body["paths"].items():
        for verb, op in _when_test_hooks_on(operations).items():
            op = _when_test_hooks_on(op)
            # the back office's pages are for people: they call the API with the signed-in person's key
            keyless = path == "/api/v1/health" or path == "/" or path == "/ui" or path.startswith("/ui/")
            # the test hook of a failing authorizer (gateway's 500 AuthorizerConfigurationException)
            authorizer = "DiagnosticsAuthorizer" if path == "/api/v1/_diagnostics/authorizer" else "RoleAuthorizer"
            expected = [] if keyless else [{authorizer: []}, {"api_key": []}]
            assert op.get("security") == expected, (path, verb, op.get("security"))
            checked.add((verb.lower(), path))
    # every Api event of the template was checked (the diagnostics hooks included), none skipped
    assert checked == set(template_routes(load_template())), set(template_routes(load_template())) ^ checked


def test_api_key_values_are_generated_or_meet_api_gateway_minimum_length():
    import re

    params = load_yaml(ROOT / "template.yaml")["Parameters"]
    for name in ("AdminApiKeyValue", "FrontendApiKeyValue", "StoreApiKeyValue"):
        allowed = re.compile(params[name]["AllowedPattern"])
        assert params[name]["Default"] == "" and allowed.fullmatch("")   # empty: API Gateway generates the key
        assert allowed.fullmatch("k" * 20) and not allowed.fullmatch("k" * 19) and not allowed.fullmatch("k" * 129)


def test_every_function_is_packaged_with_its_domain_and_the_shared_package_only():
    """Each function is built by functions/Makefile (as `sam build` does with BuildMethod:
    makefile), and its package holds the domain of its handler and shared/, nothing else."""
    template = load_yaml(ROOT / "template.yaml")
    assert template["Globals"]["Function"]["CodeUri"] == "functions/"
    functions = {lid: r for lid, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    assert len(functions) >= 20
    serves_openapi = template_routes(load_template())[("get", OPENAPI_PATH)]
    for logical_id, resource in functions.items():
        assert resource.get("Metadata") == {"BuildMethod": "makefile"}, logical_id
        assert "CodeUri" not in resource["Properties"], logical_id
        domain = resource["Properties"]["Handler"].split(".")[0]
        document = {"openapi.json"} if logical_id == serves_openapi else set()
        with CodeSource(ROOT / "functions", logical_id).built() as built:
            assert {p.name for p in built.iterdir()} == {domain, "shared"} | document, logical_id
            assert not list(built.rglob("__pycache__")), logical_id
            if document:   # the whole API's document, as its package cannot build it (shared.openapi.document_json)
                assert (built / "openapi.json").read_text() == (ROOT / "docs" / "openapi.json").read_text()


def test_a_function_the_makefile_does_not_know_fails_to_build():
    with pytest.raises(BuildError, match="NoSuchFunction has no domain"):
        with CodeSource(ROOT / "functions", "NoSuchFunction").built():
            pass


def test_a_saved_file_rebuilds_the_functions_whose_package_holds_it_only():
    """What hot reload builds again (infra/deploy/watch.py): a file of the domain, of shared/, or
    beside the Makefile; not a file of another domain."""
    functions = ROOT / "functions"
    inventory = CodeSource(functions, "InventoryFunction")
    with inventory.built():
        pass
    for path in ("inventory/logic/stock.py", "shared/errors.py", "Makefile", "requirements.txt"):
        assert inventory.affected_by([functions / path]), path
    for path in ("web/app.py", "reporting/handlers/api.py", "newdomain/module.py"):
        assert not inventory.affected_by([functions / path]), path
    assert not inventory.affected_by([ROOT / "infra" / "local.py"])


def test_function_package_is_reproducible(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("X = 1\n")
    (tmp_path / "pkg" / "__pycache__").mkdir()
    (tmp_path / "pkg" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"junk")
    first = package_folder(tmp_path)
    (tmp_path / "pkg" / "mod.py").touch()
    assert package_folder(tmp_path) == first


def test_every_cached_read_keys_its_entries_on_every_query_string_it_takes():
    """A cached method's entries are split only by its declared cache keys (as on AWS), so every
    query string the API documents for it must be one, or two different queries share an answer."""
    import json

    cfn, _ = translated()
    body = cfn["Resources"]["RetailApi"]["Properties"]["Body"]
    documented = json.loads((ROOT / "docs" / "openapi.json").read_text())["paths"]
    stages = [r["Properties"] for r in cfn["Resources"].values() if r["Type"] == "AWS::ApiGateway::Stage"]
    cached = [m for stage in stages for m in stage.get("MethodSettings", []) if m.get("CachingEnabled")]
    assert len(cached) >= 11  # catalogue, stock and report reads
    for setting in cached:
        path = setting["ResourcePath"].replace("~1", "/")[1:]  # "/~1api~1v1~1stock" -> "/api/v1/stock"
        assert setting["HttpMethod"] == "GET", path
        keys = set(body["paths"][path]["get"]["x-amazon-apigateway-integration"].get("cacheKeyParameters", []))
        for parameter in documented[path]["get"].get("parameters", []):
            where = {"query": "querystring", "path": "path"}.get(parameter["in"])
            if where:
                assert f"method.request.{where}.{parameter['name']}" in keys, (path, parameter["name"])
