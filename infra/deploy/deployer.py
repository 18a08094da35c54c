"""Deploys template.yaml onto an AWS-compatible endpoint (the embedded cloud, LocalStack).

    template.yaml --SAM transform (offline)--> CloudFormation resources
                  --dependency order, intrinsics--> boto3 calls on the endpoint

Real AWS uses `sam deploy` instead; this is the local equivalent of a CloudFormation stack,
kept small: resources are found by name, so a second run changes only what differs.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from infra.deploy.intrinsics import Resolver, TemplateError, dependencies
from infra.deploy.build import CodeSource
from infra.deploy.resources import PROVISIONERS, Context, Provisioned, code_sha256
from infra.deploy.stack_record import record_stack, stack_record
from infra.deploy.template import load_yaml, package_locally, to_cloudformation

log = logging.getLogger("deployer")
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class StackResult:
    stack_name: str
    resources: dict[str, Provisioned]
    resource_types: dict[str, str]
    outputs: dict[str, Any]
    parameters: dict[str, Any]
    changes: list[str] = field(default_factory=list)
    code_sources: dict[str, CodeSource] = field(default_factory=dict)   # function name -> its code
    bundle_dependencies: bool = False

    def physical_id(self, logical_id: str) -> str:
        return self.resources[logical_id].ref

    def to_json(self) -> dict[str, Any]:
        return {
            "StackName": self.stack_name,
            "Resources": {k: {"Type": self.resource_types[k], "PhysicalResourceId": v.ref,
                              "Attributes": v.attributes} for k, v in self.resources.items()},
            "Outputs": self.outputs,
            "Changes": self.changes,
        }


def clients_for(endpoint_url: str | None, region: str):
    session = boto3.session.Session(
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        region_name=region,
    )
    config = Config(retries={"max_attempts": 5, "mode": "standard"})
    cache: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in cache:
            cache[service] = session.client(service, endpoint_url=endpoint_url, config=config)
        return cache[service]

    return client


def deploy(endpoint_url: str, *, template_path: Path = ROOT / "template.yaml", stack_name: str = "retail",
           region: str = "us-east-1", parameters: dict[str, str] | None = None,
           account_id: str | None = None, bundle_dependencies: bool = False) -> StackResult:
    """``account_id``: AWS::AccountId; by default the endpoint's own (STS GetCallerIdentity:
    moto's 123456789012, LocalStack's 000000000000), as CloudFormation takes the caller's."""
    clients = clients_for(endpoint_url, region)
    if account_id is None:
        account_id = clients("sts").get_caller_identity()["Account"]
    template = load_yaml(template_path)
    packaged, artifacts = package_locally(template, template_path.parent)
    cfn = to_cloudformation(packaged, parameters or {}, region, account_id, stack_name)
    params = {
        **{n: p.get("Default") for n, p in cfn.get("Parameters", {}).items()},
        **(parameters or {}),
        "AWS::Region": region, "AWS::AccountId": account_id, "AWS::StackName": stack_name,
        "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com",
        "AWS::StackId": f"arn:aws:cloudformation:{region}:{account_id}:stack/{stack_name}/local",
    }
    for name, spec in cfn.get("Parameters", {}).items():
        if params.get(name) is None:
            raise TemplateError(f"parameter {name} has no value")
        if spec.get("Type") == "Number":
            params[name] = str(params[name])
    resources_def: dict[str, Any] = cfn["Resources"]
    created: dict[str, Provisioned] = {}

    def ref(logical_id: str) -> Any:
        if logical_id not in created:
            raise TemplateError(f"Ref to {logical_id}, which is not (yet) created")
        return created[logical_id].ref

    def get_att(logical_id: str, attribute: str) -> Any:
        try:
            return created[logical_id].attributes[attribute]
        except KeyError:
            raise TemplateError(f"Fn::GetAtt {logical_id}.{attribute} is not available") from None

    resolver = Resolver(params, cfn.get("Conditions", {}), ref, get_att, cfn.get("Mappings", {}))
    wanted = {lid: r for lid, r in resources_def.items()
              if "Condition" not in r or resolver.condition(r["Condition"])}
    unsupported = sorted({r["Type"] for r in wanted.values()} - PROVISIONERS.keys())
    if unsupported:
        raise TemplateError(f"the local deployer has no provisioner for {', '.join(unsupported)}")

    graph = {}
    for lid, res in wanted.items():
        deps = dependencies(res.get("Properties", {}), set(wanted))
        depends_on = res.get("DependsOn", [])
        deps |= set([depends_on] if isinstance(depends_on, str) else depends_on) & set(wanted)
        graph[lid] = deps
    ctx = Context(stack_name, region, account_id, clients, artifacts,
                  bundle_dependencies=bundle_dependencies)
    log.info("deploying stack %s (%d resources) to %s", stack_name, len(wanted), endpoint_url)
    for lid in TopologicalSorter(graph).static_order():
        res = wanted[lid]
        props = resolver.resolve(res.get("Properties", {})) or {}
        created[lid] = PROVISIONERS[res["Type"]](ctx, lid, props)

    outputs = {}
    for name, out in cfn.get("Outputs", {}).items():
        if "Condition" in out and not resolver.condition(out["Condition"]):
            continue
        outputs[name] = resolver.resolve(out["Value"])
    result = StackResult(stack_name, created, {k: wanted[k]["Type"] for k in created}, outputs,
                         {k: v for k, v in params.items() if not k.startswith("AWS::")}, ctx.changes,
                         ctx.code_sources, bundle_dependencies)
    record_stack(endpoint_url, stack_name, stack_record(result, template_path.read_text(), cfn, region))
    return result


def sync_code(endpoint_url: str, stack: StackResult, region: str = "us-east-1",
              changed: set[Path] | None = None) -> list[str]:
    """`sam sync --code`: builds again each function of the stack (only those whose sources are
    among the ``changed`` files, if given) and calls UpdateFunctionCode for those whose package
    differs from the deployed one; nothing else is touched. Returns the names of the functions
    updated."""
    lam = clients_for(endpoint_url, region)("lambda")
    updated = []
    for name, source in sorted(stack.code_sources.items()):
        if changed is not None and not source.affected_by(changed):
            continue
        zip_bytes = source.package(stack.bundle_dependencies)
        if lam.get_function_configuration(FunctionName=name).get("CodeSha256") != code_sha256(zip_bytes):
            lam.update_function_code(FunctionName=name, ZipFile=zip_bytes)
            updated.append(name)
    return updated


def write_state(result: StackResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.to_json(), indent=2, default=str))
