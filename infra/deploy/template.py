"""template.yaml -> a CloudFormation template, offline, as `sam package` + the SAM transform do.

Local paths (CodeUri, ContentUri, DefinitionUri) are swapped for placeholder S3 locations
before the transform (the translator only accepts S3 locations, as after `sam package`), and
the deployer builds and packages what is behind each placeholder itself (``build.CodeSource``):
a function built by a makefile (``Metadata: BuildMethod: makefile``) gets a placeholder of its
own, ``.aws-sam/build/<LogicalId>``, as `sam build` gives it a build folder of its own.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml
import boto3
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.utils.py27hash_fix import undo_mark_unicode_str_in_template
from samtranslator.yaml_helper import yaml_parse

from infra.deploy.build import CodeSource

LOCAL_BUCKET = "local-artifacts"

# AWS managed policies a template may name by short name (SAM's `Policies: [Name]`). Offline,
# instead of listing IAM: the translator only needs name -> ARN.
MANAGED_POLICIES = {
    name: f"arn:aws:iam::aws:policy/{path}{name}"
    for path, names in {
        "service-role/": ["AWSLambdaBasicExecutionRole", "AWSLambdaDynamoDBExecutionRole",
                          "AWSLambdaVPCAccessExecutionRole", "AWSLambdaRole"],
        "": ["AWSXrayWriteOnlyAccess", "AWSXRayDaemonWriteAccess", "AmazonDynamoDBFullAccess",
             "AmazonDynamoDBReadOnlyAccess", "CloudWatchLambdaInsightsExecutionRolePolicy",
             "AWSStepFunctionsFullAccess", "CloudWatchFullAccess", "AmazonSQSFullAccess"],
    }.items()
    for name in names
}


def load_yaml(path: Path) -> dict[str, Any]:
    return yaml_parse(path.read_text())


def _local_artifact(value: Any, base: Path, artifacts: dict[str, CodeSource], logical_id: str | None = None) -> Any:
    """The placeholder S3 location of a local path; ``logical_id``: built by its makefile."""
    if isinstance(value, str) and not value.startswith("s3://"):
        local = (base / value).resolve()
        key = local.relative_to(base.resolve()).as_posix() if local.is_relative_to(base.resolve()) else str(local)
        if logical_id is not None:
            key = f".aws-sam/build/{logical_id}"
        artifacts[key] = CodeSource(local, logical_id)
        return f"s3://{LOCAL_BUCKET}/{key}"
    return value


def package_locally(template: dict[str, Any], base: Path) -> tuple[dict[str, Any], dict[str, CodeSource]]:
    """Returns (template with S3 placeholders, {s3 key: what to build and package})."""
    tpl = copy.deepcopy(template)
    artifacts: dict[str, CodeSource] = {}
    fn_globals = tpl.get("Globals", {}).get("Function", {})
    for logical_id, res in tpl.get("Resources", {}).items():
        props = res.get("Properties") or {}
        rtype = res.get("Type")
        if rtype == "AWS::Serverless::Function" and "CodeUri" in {**fn_globals, **props}:
            built_by = logical_id if (res.get("Metadata") or {}).get("BuildMethod") == "makefile" else None
            props["CodeUri"] = _local_artifact(props.get("CodeUri", fn_globals.get("CodeUri")), base, artifacts, built_by)
        elif rtype == "AWS::Serverless::LayerVersion" and "ContentUri" in props:
            props["ContentUri"] = _local_artifact(props["ContentUri"], base, artifacts)
        elif rtype in ("AWS::Serverless::StateMachine",) and isinstance(props.get("DefinitionUri"), str):
            path = (base / props.pop("DefinitionUri"))
            text = path.read_text()
            props["Definition"] = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if isinstance(fn_globals.get("CodeUri"), str):
        del fn_globals["CodeUri"]   # every function has its own placeholder now
    return tpl, artifacts


def to_cloudformation(template: dict[str, Any], parameters: dict[str, str], region: str,
                      account_id: str, stack_name: str) -> dict[str, Any]:
    """The SAM transform with the same pseudo-parameters CloudFormation would give it."""
    params = {
        **_defaults(template),
        **parameters,
        "AWS::Region": region,
        "AWS::AccountId": account_id,
        "AWS::StackName": stack_name,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::StackId": f"arn:aws:cloudformation:{region}:{account_id}:stack/{stack_name}/local",
        "AWS::NotificationARNs": [],
        "AWS::NoValue": None,
    }
    if "Transform" not in template:
        return copy.deepcopy(template)
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    cfn = translator.translate(copy.deepcopy(template), parameter_values=params,
                               get_managed_policy_map=lambda: dict(MANAGED_POLICIES))
    return undo_mark_unicode_str_in_template(cfn)


def _defaults(template: dict[str, Any]) -> dict[str, Any]:
    return {name: p["Default"] for name, p in template.get("Parameters", {}).items() if "Default" in p}
