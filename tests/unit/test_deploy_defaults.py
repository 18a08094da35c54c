"""A deploy with the template's defaults (what `sam deploy --guided` offers when every prompt is
accepted) cannot publish a documented key: the key parameters default to empty, an empty value
lets API Gateway generate the key, and only the local stack passes the dev values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra.deploy.template import load_yaml, package_locally, to_cloudformation
from infra.local import DEV_API_KEYS

ROOT = Path(__file__).resolve().parents[2]
KEY_PARAMETERS = ("AdminApiKeyValue", "FrontendApiKeyValue", "StoreApiKeyValue")


@pytest.fixture(scope="module")
def template() -> dict:
    return load_yaml(ROOT / "template.yaml")


def _api_keys(cfn: dict) -> dict[str, dict]:
    return {lid: r.get("Properties", {}) for lid, r in cfn["Resources"].items() if r["Type"] == "AWS::ApiGateway::ApiKey"}


def test_key_parameters_have_no_usable_default(template):
    for name in KEY_PARAMETERS:
        parameter = template["Parameters"][name]
        assert parameter.get("Default", "") == "", name
        assert parameter.get("NoEcho") is True, name
        assert re.fullmatch(parameter["AllowedPattern"], ""), "empty must mean: generate the key"
        assert not re.fullmatch(parameter["AllowedPattern"], "too-short"), "a short key must be refused"


def test_the_documented_keys_appear_only_in_the_local_stack(template):
    documented = {DEV_API_KEYS[name] for name in KEY_PARAMETERS}
    assert len(documented) == 3
    places = [ROOT / "template.yaml", *ROOT.glob("samconfig*"), *(ROOT / "localstack").glob("**/*.y*ml")]
    for path in places:
        text = path.read_text()
        assert not [key for key in documented if key in text], f"{path} carries a dev key"


def test_a_deploy_with_defaults_lets_api_gateway_generate_every_key(template):
    """The SAM transform with the default parameters, then the conditions the keys use: no key
    resource gets a Value, so API Gateway generates each (an output gives its id)."""
    packaged, _ = package_locally(template, ROOT)
    cfn = to_cloudformation(packaged, {}, "us-east-1", "123456789012", "retail")
    keys = _api_keys(cfn)
    assert set(keys) == {"AdminApiKey", "FrontendApiKey", "StoreApiKey"}
    for lid, props in keys.items():
        value = props["Value"]
        # Value: !If [Has<Key>Value, !Ref <Key>Value, !Ref AWS::NoValue]
        condition, _given, absent = value["Fn::If"]
        assert absent == {"Ref": "AWS::NoValue"}, lid
        definition = cfn["Conditions"][condition]
        assert definition == {"Fn::Not": [{"Fn::Equals": [{"Ref": f"{lid}Value"}, ""]}]}, lid
        assert {t["Key"]: t["Value"] for t in props["Tags"]}["role"] in {"admin", "shop", "store"}
    assert {"AdminApiKeyId", "FrontendApiKeyId", "StoreApiKeyId"} <= set(cfn["Outputs"])


def test_the_local_stack_passes_its_dev_keys_explicitly():
    from infra.local import StackRunner

    runner = StackRunner(1, 2)
    for name in KEY_PARAMETERS:
        assert runner.parameters[name] == DEV_API_KEYS[name]
