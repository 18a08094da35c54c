"""One provisioner per CloudFormation resource type: create it, or bring it up to date.

Each ``provision_*`` takes (ctx, logical_id, properties) and returns a ``Provisioned`` with
the value ``Ref`` gives and the attributes ``Fn::GetAtt`` reads. Every one is idempotent:
resources are found by their deterministic name (``<stack>-<LogicalId>`` when the template
gives none), so running the deployer again on a live endpoint changes only what differs.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from infra.deploy.build import CodeSource

log = logging.getLogger("deployer")


@dataclass
class Provisioned:
    ref: str
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    stack_name: str
    region: str
    account_id: str
    client: Callable[[str], Any]          # service name -> boto3 client on the target endpoint
    artifacts: dict[str, CodeSource]      # s3 key placeholder -> what to build and package (template.py)
    bundle_dependencies: bool = False     # vendor requirements.txt into the package (LocalStack, AWS)
    changes: list[str] = field(default_factory=list)
    code_sources: dict[str, CodeSource] = field(default_factory=dict)   # function name -> its code

    def physical_name(self, logical_id: str, max_len: int = 64) -> str:
        name = f"{self.stack_name}-{logical_id}"
        if len(name) <= max_len:
            return name
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        return f"{name[: max_len - 9]}-{digest}"

    def changed(self, what: str) -> None:
        self.changes.append(what)
        log.info("  %s", what)


def _error_code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


# --------------------------------------------------------------------------- IAM
def provision_role(ctx: Context, logical_id: str, props: dict[str, Any]) -> Provisioned:
    iam = ctx.client("iam")
    name = props.get("RoleName") or ctx.physical_name(logical_id)
    trust = json.dumps(props["AssumeRolePolicyDocument"])
    try:
        role = iam.get_role(RoleName=name)["Role"]
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=trust)
    except ClientError as exc:
        if _error_code(exc) != "NoSuchEntity":
            raise
        role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust,
                               Path=props.get("Path", "/"),
                               Tags=props.get("Tags", []))["Role"]
        ctx.changed(f"created role {name}")
    attached = {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]}
    for arn in props.get("ManagedPolicyArns", []):
        if arn not in attached:
            iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    for policy in props.get("Policies", []):
        # IAM reads a document without Version as the 2008 language; say the current one.
        document = {"Version": "2012-10-17", **policy["PolicyDocument"]}
        iam.put_role_policy(RoleName=name, PolicyName=policy["PolicyName"],
                            PolicyDocument=json.dumps(document))
    return Provisioned(name, {"Arn": role["Arn"], "RoleId": role["RoleId"]})


# --------------------------------------------------------------------------- DynamoDB
def provision_table(ctx: Context, logical_id: str, props: dict[str, Any]) -> Provisioned:
    ddb = ctx.client("dynamodb")
    name = props.get("TableName") or ctx.physical_name(logical_id, 255)
    try:
        table = ddb.describe_table(TableName=name)["Table"]
    except ClientError as exc:
        if _error_code(exc) != "ResourceNotFoundException":
            raise
        args: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "ProvisionedThroughput",
                    "StreamSpecification", "SSESpecification", "Tags"):
            if key in props:
                args[key] = props[key]
        if args.get("StreamSpecification"):
            args["StreamSpecification"] = {"StreamEnabled": True, **args["StreamSpecification"]}
        table = ddb.create_table(**args)["TableDescription"]
        ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
        if props.get("TimeToLiveSpecification", {}).get("Enabled"):
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=props["TimeToLiveSpecification"])
        ctx.changed(f"created table {name}")
    else:
        _add_missing_indexes(ctx, ddb, name, table, props)
    attrs = {"Arn": table["TableArn"]}
    if table.get("LatestStreamArn"):
        attrs["StreamArn"] = table["LatestStreamArn"]
    return Provisioned(name, attrs)


def _add_missing_indexes(ctx: Context, ddb: Any, name: str, table: dict, props: dict) -> None:
    existing = {i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])}
    for index in props.get("GlobalSecondaryIndexes", []):
        if index["IndexName"] in existing:
            continue
        create = {k: v for k, v in index.items() if k in ("IndexName", "KeySchema", "Projection",
                                                          "ProvisionedThroughput")}
        ddb.update_table(TableName=name, AttributeDefinitions=props["AttributeDefinitions"],
                         GlobalSecondaryIndexUpdates=[{"Create": create}])
        ctx.changed(f"added index {index['IndexName']} to {name}")


# --------------------------------------------------------------------------- Lambda
def package_folder(*folders: Path) -> bytes:
    """A reproducible zip (fixed timestamps, sorted) so an unchanged folder keeps its sha256."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for folder in folders:
            for path in sorted(folder.rglob("*")):
                rel = path.relative_to(folder)
                if path.is_dir() or not packaged(rel):
                    continue
                info = zipfile.ZipInfo(rel.as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, path.read_bytes())
    return buf.getvalue()


def packaged(rel: Path) -> bool:
    """Whether a file at ``rel`` in a code folder goes into the package (no bytecode, no dot folder)."""
    return "__pycache__" not in rel.parts and rel.suffix != ".pyc" and not rel.parts[0].startswith(".")


def code_sha256(zip_bytes: bytes) -> str:
    """A package's CodeSha256 as the Lambda API reports it (base64 of the digest)."""
    return base64.b64encode(hashlib.sha256(zip_bytes).digest()).decode()


def vendored_dependencies(folder: Path) -> Path | None:
    """What `sam build` does for a python3.11 function: its requirements.txt installed for the
    Lambda platform (manylinux x86_64), cached by the file's hash under .aws-sam/deps/."""
    import subprocess
    import sys

    requirements = folder / "requirements.txt"
    if not requirements.exists():
        return None
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
    target = folder.parent / ".aws-sam" / "deps" / digest
    if not (target / ".complete").exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-r", str(requirements),
                        "--target", str(target), "--platform", "manylinux2014_x86_64",
                        "--implementation", "cp", "--python-version", "3.11", "--only-binary=:all:"],
                       check=True)
        (target / ".complete").touch()
    return target


def _code_zip(ctx: Context, code: dict[str, Any]) -> bytes:
    if "ZipFile" in code:  # inline code (CloudFormation's Code.ZipFile is source text)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("index.py", code["ZipFile"])
        return buf.getvalue()
    key = code.get("S3Key")
    if key not in ctx.artifacts:
        raise ValueError(f"code at s3://{code.get('S3Bucket')}/{key} is not a local folder")
    return ctx.artifacts[key].package(ctx.bundle_dependencies)


def provision_function(ctx: Context, logical_id: str, props: dict[str, Any]) -> Provisioned:
    lam = ctx.client("lambda")
    name = props.get("FunctionName") or ctx.physical_name(logical_id)
    zip_bytes = _code_zip(ctx, props["Code"])
    if props["Code"].get("S3Key") in ctx.artifacts:
        ctx.code_sources[name] = ctx.artifacts[props["Code"]["S3Key"]]
    sha = code_sha256(zip_bytes)
    config: dict[str, Any] = {
        "Role": props["Role"],
        "Handler": props.get("Handler"),
        "Runtime": props.get("Runtime"),
        "Description": props.get("Description", ""),
        "Timeout": int(props.get("Timeout", 3)),
        "MemorySize": int(props.get("MemorySize", 128)),
        "Environment": {"Variables": {k: str(v) for k, v in
                                      props.get("Environment", {}).get("Variables", {}).items()}},
        "TracingConfig": props.get("TracingConfig", {"Mode": "PassThrough"}),
        "Layers": props.get("Layers", []),
    }
    try:
        current = lam.get_function(FunctionName=name)["Configuration"]
    except ClientError as exc:
        if _error_code(exc) != "ResourceNotFoundException":
            raise
        tags = {t["Key"]: t["Value"] for t in props.get("Tags", [])}
        current = lam.create_function(FunctionName=name, Code={"ZipFile": zip_bytes},
                                      Architectures=props.get("Architectures", ["x86_64"]),
                                      Tags=tags, **config)
        ctx.changed(f"created function {name}")
    else:
        if current.get("CodeSha256") != sha:
            lam.update_function_code(FunctionName=name, ZipFile=zip_bytes)
            ctx.changed(f"updated code of {name}")
        if _config_differs(current, config):
            lam.update_function_configuration(FunctionName=name, **config)
            ctx.changed(f"updated configuration of {name}")
    reserved = props.get("ReservedConcurrentExecutions")
    if reserved is not None:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=int(reserved))
    else:
        lam.delete_function_concurrency(FunctionName=name)
    return Provisioned(name, {"Arn": current["FunctionArn"]})


def _config_differs(current: dict[str, Any], wanted: dict[str, Any]) -> bool:
    have = {
        "Role": current.get("Role"),
        "Handler": current.get("Handler"),
        "Runtime": current.get("Runtime"),
        "Description": current.get("Description", ""),
        "Timeout": current.get("Timeout"),
        "MemorySize": current.get("MemorySize"),
        "Environment": {"Variables": current.get("Environment", {}).get("Variables", {})},
        "TracingConfig": current.get("TracingConfig", {"Mode": "PassThrough"}),
        "Layers": [layer["Arn"] for layer in current.get("Layers", [])],
    }
    return have != wanted


def provision_permission(ctx: Context, logical_id: str, props: dict[str, Any]) -> Provisioned:
    lam = ctx.client("lambda")
    args = {"FunctionName": props["FunctionName"], "StatementId": logical_id,
            "Action": props["Action"], "Principal": props["Principal"]}
    if props.get("SourceArn"):
        args["SourceArn"] = props["SourceArn"]
    try:
        lam.add_permission(**args)
    except ClientError as exc:
        if _error_code(exc) != "ResourceConflictException":
            raise
    return Provisioned(logical_id)


def provision_event_source_mapping(ctx: Context, logical_id: str, props: dict[str, Any]) -> Provisioned:
    """Found by (function, event source): updated in place when its settings differ."""
    lam = ctx.client("lambda")
    settings: dict[str, Any] = {k: props[k] for k in (
        "BatchSize", "MaximumBatchingWindowInSeconds", "MaximumRetryAttempts", "BisectBatchOnFunctionError",
        "FunctionResponseTypes", "Enabled", "ParallelizationFactor", "MaximumRecordAgeInSeconds") if k in props}
    for key in ("BatchSize", "MaximumBatchingWindowInSeconds", "MaximumRetryAttempts",
                "ParallelizationFactor", "MaximumRecordAgeInSeconds"):
        if key in settings:
            settings[key] = int(settings[key])
    if "Enabled" in settings:
        settings["Enabled"] = str(settings["Enabled"]).lower() == "true"
    existing = lam.list_event_source_mappings(FunctionName=props["FunctionName"],
                                              EventSourceArn=props["EventSourceArn"])["EventSourceMappings"]
    if existing:
        current = existing[0]
        wanted = {k: v for k, v in settings.items() if k != "Enabled"}
        enabled = settings.get("Enabled", True)
        if any(current.get(k) != v for k, v in wanted.items()) or (current.get("State") == "Enabled") != enabled:
            lam.update_event_source_mapping(UUID=current["UUID"], **settings)
            ctx.changed(f"updated event source mapping {logical_id}")
        return Provisioned(current["UUID"])
    created = lam.create_event_source_mapping(FunctionName=props["FunctionName"],
                                              EventSourceArn=props["EventSourceArn"],
                                              StartingPosition=props.get("StartingPosition", "TRIM_HORIZON"),
                                              **settings)
    ctx.changed(f"created event source mapping {logical_id}")
    return Provisioned(created["UUID"])


def provision_log_group(ctx: Context, logical_id: str, props: dict[str, Any]) -> Provisioned:
    logs = ctx.client("logs")
    name = props.get("LogGroupName") or ctx.physical_name(logical_id, 512)
    try:
        logs.create_log_group(logGroupName=name)
        ctx.changed(f"created log group {name}")
    except ClientError as exc:
        if _error_code(exc) != "ResourceAlreadyExistsException":
            raise
    if props.get("RetentionInDays"):
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))
    arn = f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:{name}:*"
    return Provisioned(name, {"Arn": arn})


def provision_metric_filter(ctx: Context, logical_id: str, props: dict[str, Any]) -> Provisioned:
    """A CloudWatch Logs metric filter (AWS evaluates it on the log group's events; the embedded
    cloud stores it, and whoever writes that log publishes the metric itself)."""
    logs = ctx.client("logs")
    group = props["LogGroupName"]
    name = props.get("FilterName") or ctx.physical_name(logical_id, 512)
    transformations = [
        {key[0].lower() + key[1:]: value for key, value in t.items()} for t in props["MetricTransformations"]
    ]
    current = logs.describe_metric_filters(logGroupName=group, filterNamePrefix=name).get("metricFilters", [])
    same = [f for f in current if f.get("filterName") == name and f.get("filterPattern") == props["FilterPattern"]
            and [{k: v for k, v in t.items() if k in transformations[0]} for t in f.get("metricTransformations", [])]
            == transformations]
    if not same:
        logs.put_metric_filter(logGroupName=group, filterName=name, filterPattern=props["FilterPattern"],
                               metricTransformations=transformations)
        ctx.changed(f"put metric filter {name}")
    return Provisioned(name)


# --------------------------------------------------------------------------- API Gateway
def provision_rest_api(ctx: Context, logical_id: str, props: dict[str, Any]) -> Provisioned:
    apigw = ctx.client("apigateway")
    name = props.get("Name") or ctx.physical_name(logical_id)
    body = props.get("Body")
    existing = [a for a in _all(apigw.get_rest_apis, "items") if a["name"] == name]
    if existing:
        api = existing[0]
    else:
        described = {"description": props["Description"]} if props.get("Description") else {}
        api = apigw.create_rest_api(name=name, **described,   # (LocalStack refuses an empty one)
                                    endpointConfiguration=props.get("EndpointConfiguration", {"types": ["EDGE"]}))
        ctx.changed(f"created REST API {name} ({api['id']})")
    if body is not None:
        authorizer_ids = _sync_authorizers(ctx, apigw, api["id"], _authorizers_of_body(body))
        if _methods_of_body(body) != _methods_deployed(apigw, api["id"]):
            _import_openapi(apigw, api["id"], body, authorizer_ids)
            ctx.changed(f"imported the OpenAPI body of {name}")
        _delete_other_authorizers(ctx, apigw, api["id"], set(authorizer_ids.values()))
    root = next(r["id"] for r in _all(apigw.get_resources, "items", restApiId=api["id"]) if r["path"] == "/")
    return Provisioned(api["id"], {"RootResourceId": root})


def _security_schemes(body: dict[str, Any]) -> dict[str, Any]:
    return body.get("components", {}).get("securitySchemes") or body.get("securityDefinitions") or {}


def _authorizers_of_body(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The Lambda authorizers the body declares (a security scheme with ``x-amazon-apigateway-
    authorizer``), as CreateAuthorizer takes them, by name."""
    out = {}
    for name, scheme in _security_schemes(body).items():
        spec = scheme.get("x-amazon-apigateway-authorizer")
        if not spec:
            continue
        out[name] = {k: v for k, v in {
            "type": str(spec.get("type", "token")).upper(),
            "authorizerUri": spec.get("authorizerUri"),
            "identitySource": spec.get("identitySource"),
            "identityValidationExpression": spec.get("identityValidationExpression"),
            "authorizerCredentials": spec.get("authorizerCredentials"),
            "authorizerResultTtlInSeconds": int(spec.get("authorizerResultTtlInSeconds", 300)),
            "authType": scheme.get("x-amazon-apigateway-authtype"),
        }.items() if v is not None}
    return out


def _sync_authorizers(ctx: Context, apigw: Any, api_id: str, wanted: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Create the body's authorizers or bring them up to date (only what differs); name -> id."""
    have = {a["name"]: a for a in apigw.get_authorizers(restApiId=api_id).get("items", [])}
    ids = {}
    for name, spec in wanted.items():
        current = have.get(name)
        if current is None:
            ids[name] = apigw.create_authorizer(restApiId=api_id, name=name, **spec)["id"]
            ctx.changed(f"created authorizer {name}")
            continue
        ids[name] = current["id"]
        ops = [{"op": "replace", "path": f"/{k}", "value": str(v)} for k, v in spec.items() if current.get(k) != v]
        if ops:
            apigw.update_authorizer(restApiId=api_id, authorizerId=current["id"], patchOperations=ops)
            ctx.changed(f"updated authorizer {name}")
    return ids


def _delete_other_authorizers(ctx: Context, apigw: Any, api_id: str, keep: set[str]) -> None:
    """Authorizers the body no longer has (after the methods stopped naming them)."""
    for authorizer in apigw.get_authorizers(restApiId=api_id).get("items", []):
        if authorizer["id"] not in keep:
            apigw.delete_authorizer(restApiId=api_id, authorizerId=authorizer["id"])
            ctx.changed(f"deleted authorizer {authorizer['name']}")


def _operations(body: dict[str, Any]):
    """(path, method, API key required, authorizer name or None, integration) of every operation:
    its ``security`` (the API-wide one by default) names the API key scheme and/or an authorizer."""
    schemes = _security_schemes(body)
    authorizers = {n for n, s in schemes.items() if s.get("x-amazon-apigateway-authorizer")}
    key_schemes = {n for n, s in schemes.items() if s.get("type") == "apiKey"} - authorizers
    default_security = body.get("security", [])
    for path, operations in body.get("paths", {}).items():
        for verb, operation in operations.items():
            if not isinstance(operation, dict) or (verb.startswith("x-") and verb != "x-amazon-apigateway-any-method"):
                continue
            method = "ANY" if verb == "x-amazon-apigateway-any-method" else verb.upper()
            named = {name for requirement in operation.get("security", default_security) for name in requirement}
            authorizer = min(named & authorizers, default=None)
            yield path, method, bool(named & key_schemes), authorizer, operation.get("x-amazon-apigateway-integration") or {}


_PARAMETER_LOCATIONS = {"query": "querystring", "path": "path", "header": "header"}


def _request_parameters(body: dict[str, Any], path: str, method: str) -> dict[str, bool]:
    """The method's ``requestParameters`` (``method.request.querystring.limit`` -> required) from
    the operation's OpenAPI ``parameters``, as API Gateway's import makes them."""
    operation = body["paths"][path]["x-amazon-apigateway-any-method" if method == "ANY" else method.lower()]
    return {f"method.request.{_PARAMETER_LOCATIONS[p['in']]}.{p['name']}": bool(p.get("required"))
            for p in operation.get("parameters") or [] if p.get("in") in _PARAMETER_LOCATIONS}


def _methods_of_body(body: dict[str, Any]) -> set[tuple]:
    return {(path, method, api_key, authorizer, integration.get("uri"),
             tuple(sorted(_request_parameters(body, path, method).items())))
            for path, method, api_key, authorizer, integration in _operations(body)}


def _methods_deployed(apigw: Any, api_id: str) -> set[tuple]:
    # cacheKeyParameters are not compared: moto does not keep them (see _import_openapi); every
    # one of them is a declared request parameter, which is compared. Authorizers by name.
    names = {a["id"]: a["name"] for a in apigw.get_authorizers(restApiId=api_id).get("items", [])}
    return {(r["path"], verb, bool(m.get("apiKeyRequired")),
             names.get(m.get("authorizerId")) if m.get("authorizationType") == "CUSTOM" else None,
             m.get("methodIntegration", {}).get("uri"), tuple(sorted((m.get("requestParameters") or {}).items())))
            for r in _all(apigw.get_resources, "items", restApiId=api_id, embed=["methods"])
            for verb, m in r.get("resourceMethods", {}).items()}


def _import_openapi(apigw: Any, api_id: str, body: dict[str, Any], authorizer_ids: dict[str, str] | None = None) -> None:
    """Overwrite-mode import of the OpenAPI body SAM generates, through the resource/method API
    (the same calls on AWS, LocalStack and moto): a resource per path, a method per operation
    with ``apiKeyRequired`` from its ``security`` (an apiKey scheme; the API-wide ``security`` is
    the default), its authorizer (``authorizationType`` CUSTOM) when the ``security`` names one,
    and its ``x-amazon-apigateway-integration``."""
    resources = {r["path"]: r for r in _all(apigw.get_resources, "items", restApiId=api_id)}
    wanted_paths = set(body.get("paths", {}))
    for path in sorted(resources, key=len, reverse=True):  # drop what the body no longer has
        if path != "/" and not any(w == path or w.startswith(path + "/") for w in wanted_paths):
            try:
                apigw.delete_resource(restApiId=api_id, resourceId=resources.pop(path)["id"])
            except ClientError as exc:
                if _error_code(exc) != "NotFoundException":
                    raise
    for path, method, api_key, authorizer, integration in _operations(body):
        parent = resources["/"]
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts) + 1):
            sub_path = "/" + "/".join(parts[:depth])
            if sub_path not in resources:
                resources[sub_path] = apigw.create_resource(restApiId=api_id, parentId=parent["id"],
                                                            pathPart=parts[depth - 1])
            parent = resources[sub_path]
        resource_id = resources[path]["id"]
        auth = {"authorizationType": "CUSTOM", "authorizerId": (authorizer_ids or {})[authorizer]} if authorizer else \
            {"authorizationType": "NONE"}
        apigw.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=method, apiKeyRequired=api_key,
                         requestParameters=_request_parameters(body, path, method), **auth)
        if integration:
            cache_keys = list(integration.get("cacheKeyParameters") or [])
            extra = {"cacheNamespace": integration["cacheNamespace"]} if integration.get("cacheNamespace") else {}
            put = apigw.put_integration(
                restApiId=api_id, resourceId=resource_id, httpMethod=method,
                type=integration["type"].upper(),
                integrationHttpMethod=integration.get("httpMethod", "POST"),
                uri=integration.get("uri", ""),
                timeoutInMillis=int(integration.get("timeoutInMillis", 29000)),
                cacheKeyParameters=cache_keys, **extra,
            )
            if cache_keys and not put.get("cacheKeyParameters"):
                _warn_cache_keys_dropped(method, path, cache_keys, _request_parameters(body, path, method))


def _warn_cache_keys_dropped(method: str, path: str, cache_keys: list[str], declared: dict[str, bool]) -> None:
    """moto 5.2.5 ignores ``cacheKeyParameters`` (PutIntegration drops them, UpdateIntegration is
    not implemented). The gateway then keys a cached method on every request parameter it
    declares (gateway/config.py), which is the same key when all of them are cache keys."""
    others = sorted(set(declared) - set(cache_keys))
    if others:
        log.warning("  the endpoint does not keep cacheKeyParameters: the local gateway keys %s %s on %s too "
                    "(API Gateway would not)", method, path, ", ".join(others))


def provision_deployment(ctx: Context, logical_id: str, props: dict[str, Any]) -> Provisioned:
    """SAM names a deployment after a hash of the API body: same body, same deployment."""
    apigw = ctx.client("apigateway")
    description = f"{logical_id}: {props.get('Description', '')}".strip(": ")
    for deployment in _all(apigw.get_deployments, "items", restApiId=props["RestApiId"]):
        if deployment.get("description") == description:
            return Provisioned(deployment["id"])
    args = {"restApiId": props["RestApiId"], "description": description}
    if props.get("StageName"):
        args["stageName"] = props["StageName"]
    deployment = apigw.create_deployment(**args)
    ctx.changed(f"created deployment {logical_id}")
    return Provisioned(deployment["id"])


def provision_stage(ctx: Context, logical_id: str, props: dict[str, Any]) -> Provisioned:
    apigw = ctx.client("apigateway")
    api_id, stage = props["RestApiId"], props["StageName"]
    try:
        current = apigw.get_stage(restApiId=api_id, stageName=stage)
        apigw.update_stage(restApiId=api_id, stageName=stage, patchOperations=[
            {"op": "replace", "path": "/deploymentId", "value": props["DeploymentId"]}])
    except ClientError as exc:
        if _error_code(exc) != "NotFoundException":
            raise
        cache = {"cacheClusterSize": str(props["CacheClusterSize"])} if props.get("CacheClusterSize") else {}
        current = apigw.create_stage(restApiId=api_id, stageName=stage, deploymentId=props["DeploymentId"],
                                     description=props.get("Description", ""),
                                     variables=props.get("Variables", {}),
                                     tracingEnabled=bool(props.get("TracingEnabled", False)),
                                     cacheClusterEnabled=_flag(props.get("CacheClusterEnabled", False)), **cache)
        ctx.changed(f"created stage {stage}")
    _apply_access_log_setting(ctx, apigw, api_id, stage, current.get("accessLogSettings") or {},
                              props.get("AccessLogSetting") or {})
    _apply_cache_settings(ctx, apigw, api_id, stage, current, props)
    return Provisioned(stage)


# MethodSetting property -> (the path under "/<resource>/<method>/" UpdateStage patches, the
# field GetStage returns it in, its type)
_METHOD_SETTINGS = {
    "CachingEnabled": ("caching/enabled", "cachingEnabled", bool),
    "CacheTtlInSeconds": ("caching/ttlInSeconds", "cacheTtlInSeconds", int),
    "CacheDataEncrypted": ("caching/dataEncrypted", "cacheDataEncrypted", bool),
    "MetricsEnabled": ("metrics/enabled", "metricsEnabled", bool),
    "DataTraceEnabled": ("logging/dataTrace", "dataTraceEnabled", bool),
    "LoggingLevel": ("logging/loglevel", "loggingLevel", str),
    "ThrottlingBurstLimit": ("throttling/burstLimit", "throttlingBurstLimit", int),
    "ThrottlingRateLimit": ("throttling/rateLimit", "throttlingRateLimit", float),
}


def _apply_cache_settings(ctx: Context, apigw: Any, api_id: str, stage: str, current: dict[str, Any],
                          props: dict[str, Any]) -> None:
    """The stage's cache cluster and ``MethodSettings`` by UpdateStage patches, as CloudFormation
    does (CreateStage takes no method settings): ``/cacheClusterEnabled``, ``/cacheClusterSize``,
    ``/~1api~1v1~1products/GET/caching/ttlInSeconds``... Only what differs is patched; a method
    setting the template no longer has gets ``caching/enabled`` false (moto cannot remove one)."""
    ops: list[dict[str, str]] = []
    enabled = _flag(props.get("CacheClusterEnabled", False))
    if bool(current.get("cacheClusterEnabled")) != enabled:
        ops.append({"op": "replace", "path": "/cacheClusterEnabled", "value": str(enabled).lower()})
    size = props.get("CacheClusterSize")
    if enabled and size and str(current.get("cacheClusterSize")) != str(size):
        ops.append({"op": "replace", "path": "/cacheClusterSize", "value": str(size)})
    have = current.get("methodSettings") or {}
    wanted: set[str] = set()
    for setting in props.get("MethodSettings") or []:
        key = f"{setting.get('ResourcePath', '/*').removeprefix('/') or '~1'}/{setting.get('HttpMethod', '*')}"
        wanted.add(key)
        for prop, (path, field_name, kind) in _METHOD_SETTINGS.items():
            if prop not in setting:
                continue
            value = _flag(setting[prop]) if kind is bool else kind(setting[prop])
            if (have.get(key) or {}).get(field_name) != value:
                text = str(value).lower() if kind is bool else str(value)
                ops.append({"op": "replace", "path": f"/{key}/{path}", "value": text})
    for key, setting in have.items():
        if key not in wanted and setting.get("cachingEnabled"):
            ops.append({"op": "replace", "path": f"/{key}/caching/enabled", "value": "false"})
    if ops:
        apigw.update_stage(restApiId=api_id, stageName=stage, patchOperations=ops)
        ctx.changed(f"set the cache settings of stage {stage} ({len(ops)} changes)")


def _apply_access_log_setting(ctx: Context, apigw: Any, api_id: str, stage: str, current: dict[str, Any],
                              wanted_prop: dict[str, Any]) -> None:
    """The stage's ``AccessLogSetting`` (CreateStage takes none: UpdateStage patches, as
    CloudFormation does); patched only when it differs, so a redeploy reports nothing."""
    wanted = {"destinationArn": wanted_prop.get("DestinationArn"), "format": wanted_prop.get("Format")}
    wanted = {k: v for k, v in wanted.items() if v}
    current = {k: v for k, v in current.items() if k in ("destinationArn", "format") and v}
    if wanted == current:
        return
    if wanted:
        ops = [{"op": "replace", "path": f"/accessLogSettings/{k}", "value": v} for k, v in sorted(wanted.items())]
    else:
        ops = [{"op": "remove", "path": "/accessLogSettings"}]
    apigw.update_stage(restApiId=api_id, stageName=stage, patchOperations=ops)
    ctx.changed(f"{'set' if wanted else 'removed'} the access log settings of stage {stage}")


def provision_api_key(ctx: Context, logical_id: str, props: dict[str, Any]) -> Provisioned:
    apigw = ctx.client("apigateway")
    name = props.get("Name") or ctx.physical_name(logical_id)
    value = props.get("Value")  # absent: API Gateway generates the key
    tags = {t["Key"]: str(t["Value"]) for t in props.get("Tags") or []}
    enabled = str(props.get("Enabled", True)).lower() == "true"
    for key in _all(apigw.get_api_keys, "items", nameQuery=name, includeValues=True):
        if key["name"] != name:
            continue
        if (value is None or key.get("value") == value) and (key.get("tags") or {}) == tags:
            if key.get("enabled") != enabled:
                apigw.update_api_key(apiKey=key["id"], patchOperations=[
                    {"op": "replace", "path": "/enabled", "value": str(enabled).lower()}])
            return Provisioned(key["id"])
        # a key's value cannot change, and not every endpoint tags keys (moto tags only REST APIs):
        # replace it, keeping a generated value
        value = value if value is not None else key.get("value")
        apigw.delete_api_key(apiKey=key["id"])
    args = {"name": name, "description": props.get("Description", ""), "enabled": enabled, "tags": tags}
    if value is not None:
        args["value"] = value
    key = apigw.create_api_key(**args)
    ctx.changed(f"created API key {name}")
    return Provisioned(key["id"])


def provision_usage_plan(ctx: Context, logical_id: str, props: dict[str, Any]) -> Provisioned:
    apigw = ctx.client("apigateway")
    name = props.get("UsagePlanName") or ctx.physical_name(logical_id)
    stages = [{"apiId": s["ApiId"], "stage": s["Stage"]} for s in props.get("ApiStages", [])]
    throttle = {k[0].lower() + k[1:]: (float(v) if k == "RateLimit" else int(v))
                for k, v in props.get("Throttle", {}).items()}
    quota = {k[0].lower() + k[1:]: (int(v) if k != "Period" else v) for k, v in props.get("Quota", {}).items()}
    existing = [p for p in _all(apigw.get_usage_plans, "items") if p["name"] == name]
    if existing and (existing[0].get("apiStages", []) != stages or existing[0].get("throttle", {}) != throttle
                     or existing[0].get("quota", {}) != quota):
        apigw.delete_usage_plan(usagePlanId=existing[0]["id"])  # recreate: simplest exact update
        ctx.changed(f"replacing usage plan {name}")
        existing = []
    if existing:
        return Provisioned(existing[0]["id"])
    plan = apigw.create_usage_plan(name=name, description=props.get("Description", ""),
                                   apiStages=stages, throttle=throttle, quota=quota)
    ctx.changed(f"created usage plan {name}")
    return Provisioned(plan["id"])


def provision_usage_plan_key(ctx: Context, logical_id: str, props: dict[str, Any]) -> Provisioned:
    apigw = ctx.client("apigateway")
    plan, key = props["UsagePlanId"], props["KeyId"]
    keys = {k["id"] for k in _all(apigw.get_usage_plan_keys, "items", usagePlanId=plan)}
    if key not in keys:
        apigw.create_usage_plan_key(usagePlanId=plan, keyId=key, keyType=props.get("KeyType", "API_KEY"))
        ctx.changed(f"attached key {key} to usage plan {plan}")
    return Provisioned(f"{plan}:{key}")


# --------------------------------------------------------------------------- Step Functions
def provision_state_machine(ctx: Context, logical_id: str, props: dict[str, Any]) -> Provisioned:
    sfn = ctx.client("stepfunctions")
    name = props.get("StateMachineName") or ctx.physical_name(logical_id, 80)
    definition = props.get("DefinitionString")
    if definition is None:
        definition = json.dumps(props["Definition"])
    for key, value in (props.get("DefinitionSubstitutions") or {}).items():
        definition = definition.replace("${" + key + "}", str(value))
    args: dict[str, Any] = {"definition": definition, "roleArn": props["RoleArn"]}
    for prop, arg in (("LoggingConfiguration", "loggingConfiguration"),
                      ("TracingConfiguration", "tracingConfiguration")):
        if props.get(prop):
            args[arg] = _lower_keys(props[prop])
    arn = f"arn:aws:states:{ctx.region}:{ctx.account_id}:stateMachine:{name}"
    try:
        current = sfn.describe_state_machine(stateMachineArn=arn)
        if current["definition"] != definition or current["roleArn"] != args["roleArn"]:
            sfn.update_state_machine(stateMachineArn=arn, **args)
            ctx.changed(f"updated state machine {name}")
    except ClientError as exc:
        if _error_code(exc) not in ("StateMachineDoesNotExist", "ResourceNotFound"):
            raise
        sfn.create_state_machine(name=name, type=props.get("StateMachineType", "STANDARD"), **args)
        ctx.changed(f"created state machine {name}")
    return Provisioned(arn, {"Arn": arn, "Name": name})


# --------------------------------------------------------------------------- CloudWatch
def provision_dashboard(ctx: Context, logical_id: str, props: dict[str, Any]) -> Provisioned:
    cloudwatch = ctx.client("cloudwatch")
    name = props.get("DashboardName") or ctx.physical_name(logical_id, 255)
    body = props["DashboardBody"]
    if not isinstance(body, str):
        body = json.dumps(body)
    try:
        current = cloudwatch.get_dashboard(DashboardName=name)["DashboardBody"]
    except ClientError as exc:
        # AWS: ResourceNotFound; LocalStack 4.9 answers InvalidParameterValue "... does not exist"
        if _error_code(exc) not in ("ResourceNotFound", "ResourceNotFoundException", "DashboardNotFoundError") \
                and "does not exist" not in str(exc):
            raise
        current = None
    if current is None or not _same_json(current, body):
        cloudwatch.put_dashboard(DashboardName=name, DashboardBody=body)
        ctx.changed(f"{'created' if current is None else 'updated'} dashboard {name}")
    return Provisioned(name)


def _same_json(a: str, b: str) -> bool:
    try:
        return json.loads(a) == json.loads(b)
    except ValueError:
        return a == b


def _flag(value: Any) -> bool:
    return str(value).lower() == "true"


_ALARM_INT = ("EvaluationPeriods", "DatapointsToAlarm", "Period")
_ALARM_LISTS = ("AlarmActions", "OKActions", "InsufficientDataActions", "Dimensions", "Metrics")
_ALARM_STRINGS = ("AlarmDescription", "ComparisonOperator", "Namespace", "MetricName", "Statistic",
                  "ExtendedStatistic", "Unit", "TreatMissingData", "EvaluateLowSampleCountPercentile",
                  "ThresholdMetricId")


def _metric_query(query: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation MetricDataQuery as PutMetricAlarm takes it (and DescribeAlarms gives it back)."""
    out: dict[str, Any] = {"Id": query["Id"], "ReturnData": _flag(query.get("ReturnData", True))}
    for key in ("Expression", "Label", "AccountId"):
        if query.get(key) not in (None, ""):
            out[key] = str(query[key])
    if query.get("Period") not in (None, ""):
        out["Period"] = int(query["Period"])
    if query.get("MetricStat"):
        stat = query["MetricStat"]
        metric = stat["Metric"]
        out["MetricStat"] = {
            "Metric": {"Namespace": metric["Namespace"], "MetricName": metric["MetricName"],
                       "Dimensions": [{"Name": d["Name"], "Value": str(d["Value"])}
                                      for d in metric.get("Dimensions") or []]},
            "Period": int(stat["Period"]), "Stat": stat["Stat"],
            **({"Unit": stat["Unit"]} if stat.get("Unit") else {}),
        }
    return out


def _alarm_request(name: str, props: dict[str, Any]) -> dict[str, Any]:
    """Every AWS::CloudWatch::Alarm property as a PutMetricAlarm argument."""
    args: dict[str, Any] = {"AlarmName": name, "ActionsEnabled": _flag(props.get("ActionsEnabled", True)),
                            "Threshold": float(props["Threshold"]) if props.get("Threshold") is not None else None}
    for key in _ALARM_STRINGS:
        if props.get(key) not in (None, ""):
            args[key] = str(props[key])
    for key in _ALARM_INT:
        if props.get(key) not in (None, ""):
            args[key] = int(props[key])
    for key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
        args[key] = [str(a) for a in props.get(key) or []]
    args["Dimensions"] = [{"Name": d["Name"], "Value": str(d["Value"])} for d in props.get("Dimensions") or []]
    args["Metrics"] = [_metric_query(q) for q in props.get("Metrics") or []]
    if props.get("Tags"):
        args["Tags"] = [{"Key": t["Key"], "Value": str(t["Value"])} for t in props["Tags"]]
    return {k: v for k, v in args.items() if v is not None}


def _alarm_view(alarm: dict[str, Any]) -> dict[str, Any]:
    """The comparable part of a PutMetricAlarm request or a DescribeAlarms entry."""
    view: dict[str, Any] = {"ActionsEnabled": bool(alarm.get("ActionsEnabled", True))}
    if alarm.get("Threshold") is not None:
        view["Threshold"] = float(alarm["Threshold"])
    for key in (*_ALARM_STRINGS, *_ALARM_INT):
        if alarm.get(key) not in (None, ""):
            view[key] = alarm[key]
    for key in _ALARM_LISTS:
        value = alarm.get(key) or []
        if key == "Dimensions":
            value = sorted(value, key=lambda d: d["Name"])
        elif key == "Metrics":
            value = [_metric_query(q) for q in value]
            for q in value:
                if "MetricStat" in q:
                    q["MetricStat"]["Metric"]["Dimensions"].sort(key=lambda d: d["Name"])
        if value:
            view[key] = value
    return view


def provision_alarm(ctx: Context, logical_id: str, props: dict[str, Any]) -> Provisioned:
    cloudwatch = ctx.client("cloudwatch")
    name = props.get("AlarmName") or ctx.physical_name(logical_id, 255)
    wanted = _alarm_request(name, props)
    found = cloudwatch.describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm"]).get("MetricAlarms", [])
    current = found[0] if found else None
    if current is None or _alarm_view(current) != _alarm_view(wanted):
        cloudwatch.put_metric_alarm(**wanted)
        ctx.changed(f"{'created' if current is None else 'updated'} alarm {name}")
    arn = (current or {}).get("AlarmArn") or f"arn:aws:cloudwatch:{ctx.region}:{ctx.account_id}:alarm:{name}"
    if wanted.get("Tags") and current is not None:  # PutMetricAlarm ignores Tags on an existing alarm
        tags = {t["Key"]: t["Value"] for t in cloudwatch.list_tags_for_resource(ResourceARN=arn).get("Tags", [])}
        missing = [t for t in wanted["Tags"] if tags.get(t["Key"]) != t["Value"]]
        if missing:
            cloudwatch.tag_resource(ResourceARN=arn, Tags=missing)
            ctx.changed(f"tagged alarm {name}")
    return Provisioned(name, {"Arn": arn})


# --------------------------------------------------------------------------- Secrets Manager
# GenerateSecretString's properties, as GetRandomPassword takes them (CloudFormation calls it too)
_PASSWORD_OPTIONS = ("PasswordLength", "ExcludeCharacters", "ExcludeNumbers", "ExcludePunctuation",
                     "ExcludeUppercase", "ExcludeLowercase", "IncludeSpace", "RequireEachIncludedType")


def provision_secret(ctx: Context, logical_id: str, props: dict[str, Any]) -> Provisioned:
    """An ``AWS::SecretsManager::Secret``: ``SecretString``, or one generated once from
    ``GenerateSecretString`` (as CloudFormation does; a later deploy keeps the value). ``Ref``
    gives the ARN."""
    sm = ctx.client("secretsmanager")
    name = props.get("Name") or ctx.physical_name(logical_id, 512)
    try:
        arn = sm.describe_secret(SecretId=name)["ARN"]
    except ClientError as exc:
        if _error_code(exc) != "ResourceNotFoundException":
            raise
        arn = sm.create_secret(Name=name, Description=props.get("Description", ""),
                               SecretString=_secret_string(sm, props))["ARN"]
        ctx.changed(f"created secret {name}")
    return Provisioned(arn, {"Id": arn})


def _secret_string(sm: Any, props: dict[str, Any]) -> str:
    if "SecretString" in props:
        return str(props["SecretString"])
    generate = props.get("GenerateSecretString") or {}
    options = {key: (int(generate[key]) if key == "PasswordLength" else
                     generate[key] if key == "ExcludeCharacters" else _flag(generate[key]))
               for key in _PASSWORD_OPTIONS if key in generate}
    password = sm.get_random_password(**options)["RandomPassword"]
    if "SecretStringTemplate" not in generate:
        return password
    return json.dumps({**json.loads(generate["SecretStringTemplate"]), generate["GenerateStringKey"]: password})


def _lower_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k[0].lower() + k[1:]: _lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_keys(v) for v in value]
    return value


def _all(call: Callable, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    """Every page of an API Gateway list call."""
    items, position = [], None
    while True:
        page = call(**kwargs, **({"position": position} if position else {}), limit=500)
        items += page.get(key, [])
        position = page.get("position")
        if not position:
            return items


PROVISIONERS: dict[str, Callable[[Context, str, dict[str, Any]], Provisioned]] = {
    "AWS::IAM::Role": provision_role,
    "AWS::DynamoDB::Table": provision_table,
    "AWS::Lambda::Function": provision_function,
    "AWS::Lambda::Permission": provision_permission,
    "AWS::Lambda::EventSourceMapping": provision_event_source_mapping,
    "AWS::Logs::LogGroup": provision_log_group,
    "AWS::Logs::MetricFilter": provision_metric_filter,
    "AWS::ApiGateway::RestApi": provision_rest_api,
    "AWS::ApiGateway::Deployment": provision_deployment,
    "AWS::ApiGateway::Stage": provision_stage,
    "AWS::ApiGateway::ApiKey": provision_api_key,
    "AWS::ApiGateway::UsagePlan": provision_usage_plan,
    "AWS::ApiGateway::UsagePlanKey": provision_usage_plan_key,
    "AWS::StepFunctions::StateMachine": provision_state_machine,
    "AWS::CloudWatch::Dashboard": provision_dashboard,
    "AWS::CloudWatch::Alarm": provision_alarm,
    "AWS::SecretsManager::Secret": provision_secret,
}
