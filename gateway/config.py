"""What was deployed: an immutable snapshot of one REST API stage, read from the control plane.

The data plane never calls the control plane on the request path. `ConfigStore` holds the
current `ApiConfig` (an immutable value) and a background thread replaces it every few
seconds with a freshly loaded one, so a redeploy is picked up without a restart. Readers
just take `store.current` (a single attribute read) and use that snapshot for the whole
request.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping

from .router import Router

LOG = logging.getLogger(__name__)

DEFAULT_INTEGRATION_TIMEOUT_MS = 29_000
DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_AUTHORIZER_TTL_SECONDS = 300  # authorizerResultTtlInSeconds when not set

_EMPTY: Mapping[Any, Any] = MappingProxyType({})

# arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function arn>/invocations
_LAMBDA_URI = re.compile(
    r"^arn:aws[a-zA-Z-]*:apigateway:[^:]*:lambda:path/[0-9-]+/functions/(?P<fn>.+?)/invocations/?$"
)
_STAGE_VAR = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")


@dataclass(frozen=True)
class Throttle:
    """Token bucket parameters: `burst_limit` tokens, refilled at `rate_limit` per second."""

    rate_limit: float
    burst_limit: int

    @classmethod
    def from_api(cls, rate: Any, burst: Any) -> "Throttle | None":
        """Build from control-plane values. Missing both -> no throttle.

        Only a rate -> a bucket of one second's worth (at least 1); only a burst -> refilled
        at burst/s. AWS always stores both when a throttle is configured.
        """
        if rate is None and burst is None:
            return None
        if (rate is not None and float(rate) < 0) or (burst is not None and float(burst) < 0):
            return None  # -1 means "not set" in method settings
        if rate is None:
            rate = float(burst)
        if burst is None:
            burst = max(1, int(-(-float(rate) // 1)))
        return cls(rate_limit=max(0.0, float(rate)), burst_limit=max(0, int(burst)))


@dataclass(frozen=True)
class Quota:
    limit: int
    period: str  # DAY | WEEK | MONTH
    offset: int = 0


@dataclass(frozen=True)
class UsagePlan:
    id: str
    name: str
    throttle: Throttle | None
    quota: Quota | None
    # per-method throttles for this api stage, keyed ("/resource/path", "GET")
    method_throttles: Mapping[tuple[str, str], Throttle] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    value: str
    enabled: bool


@dataclass(frozen=True)
class Integration:
    type: str  # AWS_PROXY, AWS, MOCK, HTTP, HTTP_PROXY
    uri: str | None
    http_method: str | None
    timeout_ms: int
    function_arn: str | None  # set for Lambda integrations
    # the stage cache: request parameters whose values key a cached response, and the group of
    # resources that share entries (API Gateway's default: the resource id)
    cache_key_parameters: tuple[str, ...] = ()
    cache_namespace: str | None = None
    request_parameters: Mapping[str, str] = field(default_factory=lambda: _EMPTY)  # integration <- method
    # MOCK only: {"200": {"headers": {...}, "body": "..."}}, selected status
    mock_status: int = 200
    mock_headers: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    mock_body: str = ""


@dataclass(frozen=True)
class Authorizer:
    """A Lambda authorizer of the API (GetAuthorizers): what gateway/authorizer.py runs."""

    id: str
    name: str
    type: str  # REQUEST | TOKEN (COGNITO_USER_POOLS is not run locally)
    function_arn: str | None
    # where the identity is read: ("header", "x-api-key"), ("querystring", "q"), ("stageVariables", "v")
    identity_sources: tuple[tuple[str, str], ...]
    ttl_seconds: int  # authorizerResultTtlInSeconds: 0 turns result caching off


@dataclass(frozen=True)
class Method:
    http_method: str
    api_key_required: bool
    authorization_type: str
    integration: Integration | None
    # method.request.{querystring|path|header}.<name> -> required (the method request's parameters)
    request_parameters: Mapping[str, bool] = field(default_factory=lambda: _EMPTY)
    authorizer_id: str | None = None  # authorizationType CUSTOM: the authorizer to run first


@dataclass(frozen=True)
class Resource:
    id: str
    path: str
    methods: Mapping[str, Method]

    def method_for(self, http_method: str) -> Method | None:
        return self.methods.get(http_method) or self.methods.get("ANY")


@dataclass(frozen=True)
class ApiConfig:
    """Everything the data plane needs for one stage; never mutated after construction."""

    deployed: bool
    rest_api_name: str
    stage_name: str
    region: str
    rest_api_id: str = ""
    deployment_id: str = ""
    account_id: str = DEFAULT_ACCOUNT_ID
    stage_variables: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    binary_media_types: tuple[str, ...] = ()
    api_key_source: str = "HEADER"
    resources: tuple[Resource, ...] = ()
    router: Router = field(default_factory=lambda: Router(()))
    api_keys_by_value: Mapping[str, ApiKey] = field(default_factory=lambda: _EMPTY)
    authorizers: Mapping[str, Authorizer] = field(default_factory=lambda: _EMPTY)  # by id
    # only usage plans attached to this api + stage, by API key id
    plans_by_key_id: Mapping[str, UsagePlan] = field(default_factory=lambda: _EMPTY)
    # stage-level method throttling ("*/*" in methodSettings) and per-method overrides
    stage_throttle: Throttle | None = None
    method_throttles: Mapping[tuple[str, str], Throttle] = field(default_factory=lambda: _EMPTY)
    # the stage's accessLogSettings: CloudWatch Logs group ARN and the $context line format
    access_log_destination_arn: str | None = None
    access_log_format: str | None = None
    # the stage cache: the cache cluster, and the caching of each method that has it, by
    # (resource path, declared method) (see MethodCache)
    cache_cluster_enabled: bool = False
    cache_cluster_size: str | None = None
    method_caches: Mapping[tuple[str, str], "MethodCache"] = field(default_factory=lambda: _EMPTY)
    loaded_at: float = 0.0

    @classmethod
    def not_deployed(cls, rest_api_name: str, stage_name: str, region: str) -> "ApiConfig":
        return cls(deployed=False, rest_api_name=rest_api_name, stage_name=stage_name, region=region)

    def stage_throttle_for(self, resource_path: str, http_method: str) -> Throttle | None:
        return self.method_throttles.get((resource_path, http_method)) or self.stage_throttle

    def cache_for(self, resource_path: str, declared_method: str, request_method: str) -> "MethodCache | None":
        """How the stage cache applies to this request, or None when it does not."""
        mc = self.method_caches.get((resource_path, declared_method))
        if mc is None or (mc.get_only and request_method != "GET"):
            return None
        return mc


# ----------------------------------------------------------------------------- stage cache

DEFAULT_CACHE_TTL_SECONDS = 300  # API Gateway's default; at most 3600, and 0 turns caching off
MAX_CACHE_TTL_SECONDS = 3600
UNAUTHORIZED_STRATEGIES = ("FAIL_WITH_403", "SUCCEED_WITH_RESPONSE_HEADER", "SUCCEED_WITHOUT_RESPONSE_HEADER")


@dataclass(frozen=True)
class CacheKeyParameter:
    location: str  # querystring | path | header (lower-case name) | literal
    name: str


@dataclass(frozen=True)
class MethodCache:
    """The caching of one method of a stage whose cache cluster is enabled.

    `namespace` and `key_parameters` (the integration's cacheNamespace and cacheKeyParameters)
    make the key; `require_authorization` and `unauthorized_strategy` decide what
    `Cache-Control: max-age=0` does (gateway/cache.py). `get_only`: enabled by the stage-wide
    `*/*` setting, which only caches GET requests.
    """

    ttl_seconds: int
    namespace: str
    key_parameters: tuple[CacheKeyParameter, ...] = ()
    require_authorization: bool = True
    unauthorized_strategy: str = "SUCCEED_WITH_RESPONSE_HEADER"
    get_only: bool = True


def _key_parameter(name: str, integration_parameters: Mapping[str, str]) -> CacheKeyParameter | None:
    """`method.request.querystring.limit`, or an integration request parameter mapped from one
    (or from a 'literal')."""
    if not name.startswith("method.request."):
        mapped = integration_parameters.get(name)
        if not mapped:
            return None
        if len(mapped) >= 2 and mapped[0] == mapped[-1] == "'":
            return CacheKeyParameter("literal", mapped[1:-1])
        name = mapped
    location, _, param = name.removeprefix("method.request.").partition(".")
    if location == "multivaluequerystring":
        location = "querystring"
    if location not in ("querystring", "path", "header") or not param:
        return None
    return CacheKeyParameter(location, param.lower() if location == "header" else param)


def _method_cache(resource: "Resource", method: "Method", stage_default: Mapping[str, Any],
                  own: Mapping[str, Any] | None) -> MethodCache | None:
    """API Gateway's rules: the stage default (`*/*`) caches GET methods only; a method's own
    setting may enable any method; its fields override the default's; the TTL defaults to 300 s,
    at most 3600, and 0 means no caching."""
    layered = {**stage_default, **(own or {})}
    if method.http_method == "GET" or method.http_method == "ANY":
        enabled, get_only = bool(layered.get("cachingEnabled")), not (own or {}).get("cachingEnabled")
    else:
        enabled, get_only = bool((own or {}).get("cachingEnabled")), False
    if not enabled:
        return None
    try:
        ttl = int(layered.get("cacheTtlInSeconds", DEFAULT_CACHE_TTL_SECONDS))
    except (TypeError, ValueError):
        ttl = DEFAULT_CACHE_TTL_SECONDS
    ttl = min(ttl, MAX_CACHE_TTL_SECONDS)
    if ttl <= 0:
        return None
    integration = method.integration
    names: tuple[str, ...] = integration.cache_key_parameters if integration else ()
    if not names:
        # moto 5.2.5 does not keep an integration's cacheKeyParameters (see infra/deploy): key on
        # every request parameter the method declares. For our template, where every declared
        # parameter is a cache key, this is API Gateway's key; it is never less precise.
        names = tuple(sorted(method.request_parameters))
    mapping = integration.request_parameters if integration else _EMPTY
    params = tuple(p for p in (_key_parameter(n, mapping) for n in names) if p is not None)
    strategy = str(layered.get("unauthorizedCacheControlHeaderStrategy") or "SUCCEED_WITH_RESPONSE_HEADER")
    return MethodCache(
        ttl_seconds=ttl,
        namespace=(integration.cache_namespace if integration and integration.cache_namespace else resource.id),
        key_parameters=params,
        require_authorization=layered.get("requireAuthorizationForCacheControl", True) is not False,
        unauthorized_strategy=strategy if strategy in UNAUTHORIZED_STRATEGIES else "SUCCEED_WITH_RESPONSE_HEADER",
        get_only=get_only,
    )


def build_method_caches(stage: Mapping[str, Any], resources: Iterable["Resource"]) -> dict[tuple[str, str], MethodCache]:
    """(resource path, method) -> MethodCache for every method the stage caches."""
    if not stage.get("cacheClusterEnabled"):
        return {}
    settings = stage.get("methodSettings") or {}
    stage_default = settings.get("*/*") or {}
    own_settings = {target: v for k, v in settings.items() if (target := _method_settings_key_to_method(k))}
    out = {}
    for resource in resources:
        for verb, method in resource.methods.items():
            mc = _method_cache(resource, method, stage_default, own_settings.get((resource.path, verb)))
            if mc is not None:
                out[(resource.path, verb)] = mc
    return out


# ----------------------------------------------------------------------------- parsing


def function_arn_from_uri(uri: str | None, stage_variables: Mapping[str, str] = _EMPTY) -> str | None:
    """The Lambda function (ARN or name) of an integration URI, stage variables substituted."""
    if not uri:
        return None
    m = _LAMBDA_URI.match(uri)
    if not m:
        return None
    fn = m.group("fn")
    if "${" in fn:
        fn = _STAGE_VAR.sub(lambda v: stage_variables.get(v.group(1), ""), fn)
    return fn


def _method_settings_key_to_method(key: str) -> tuple[str, str] | None:
    """'~1api~1v1~1products/GET' -> ('/api/v1/products', 'GET'); '*/*' -> None."""
    path, sep, method = key.rpartition("/")
    if not sep or path == "*":
        return None
    return path.replace("~1", "/"), method.upper()


def _plan_method_key(key: str) -> tuple[str, str] | None:
    """Usage plan apiStages[].throttle keys look like '/api/v1/products/GET'."""
    path, sep, method = key.rpartition("/")
    if not sep:
        return None
    return (path or "/"), method.upper()


def _mock_integration(raw: Mapping[str, Any]) -> tuple[int, dict[str, str], str]:
    """Static part of a MOCK integration: status from the request template, static headers/body."""
    status = 200
    for template in (raw.get("requestTemplates") or {}).values():
        m = re.search(r'"statusCode"\s*:\s*(\d{3})', template or "")
        if m:
            status = int(m.group(1))
            break
    headers: dict[str, str] = {}
    body = ""
    responses = raw.get("integrationResponses") or {}
    selected = responses.get(str(status))
    if selected is None:
        selected = next((r for r in responses.values() if not r.get("selectionPattern")), None)
    if selected:
        if selected.get("statusCode"):
            try:
                status = int(selected["statusCode"])
            except (TypeError, ValueError):
                pass
        for name, value in (selected.get("responseParameters") or {}).items():
            prefix = "method.response.header."
            if name.startswith(prefix) and isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == "'":
                headers[name[len(prefix):]] = value[1:-1]
        templates = selected.get("responseTemplates") or {}
        tmpl = templates.get("application/json")
        if tmpl and "$" not in tmpl and "#" not in tmpl:
            body = tmpl
    return status, headers, body


def _parse_integration(raw: Mapping[str, Any] | None, stage_variables: Mapping[str, str]) -> Integration | None:
    if not raw:
        return None
    try:
        timeout_ms = int(raw.get("timeoutInMillis") or DEFAULT_INTEGRATION_TIMEOUT_MS)
    except (TypeError, ValueError):
        timeout_ms = DEFAULT_INTEGRATION_TIMEOUT_MS
    itype = str(raw.get("type") or "").upper()
    mock_status, mock_headers, mock_body = (200, {}, "")
    if itype == "MOCK":
        mock_status, mock_headers, mock_body = _mock_integration(raw)
    return Integration(
        type=itype,
        uri=raw.get("uri"),
        http_method=raw.get("httpMethod"),
        timeout_ms=timeout_ms,
        function_arn=function_arn_from_uri(raw.get("uri"), stage_variables),
        cache_key_parameters=tuple(raw.get("cacheKeyParameters") or ()),
        cache_namespace=raw.get("cacheNamespace") or None,
        request_parameters=MappingProxyType(dict(raw.get("requestParameters") or {})),
        mock_status=mock_status,
        mock_headers=MappingProxyType(dict(mock_headers)),
        mock_body=mock_body,
    )


def build_resources(items: Iterable[Mapping[str, Any]], stage_variables: Mapping[str, str] = _EMPTY) -> tuple[Resource, ...]:
    """Resources from `get_resources(embed=["methods"])` items."""
    resources = []
    for item in items:
        methods = {}
        for verb, m in (item.get("resourceMethods") or {}).items():
            verb = verb.upper()
            methods[verb] = Method(
                http_method=verb,
                api_key_required=bool(m.get("apiKeyRequired")),
                authorization_type=str(m.get("authorizationType") or "NONE"),
                integration=_parse_integration(m.get("methodIntegration"), stage_variables),
                request_parameters=MappingProxyType({k: bool(v) for k, v in (m.get("requestParameters") or {}).items()}),
                authorizer_id=m.get("authorizerId") if str(m.get("authorizationType")).upper() == "CUSTOM" else None,
            )
        resources.append(Resource(id=item["id"], path=item.get("path") or "/", methods=MappingProxyType(methods)))
    return tuple(resources)


_IDENTITY_SOURCE = re.compile(r"^(?:method\.request\.(header|querystring)|(stageVariables))\.(.+)$")


def build_authorizers(items: Iterable[Mapping[str, Any]], stage_variables: Mapping[str, str] = _EMPTY) -> dict[str, Authorizer]:
    """Authorizers from `get_authorizers` items. `identitySource` is a comma-separated list of
    mapping expressions (`method.request.header.x-api-key, method.request.querystring.q`);
    `context.*` sources are not read locally."""
    out = {}
    for item in items:
        sources = []
        for expression in str(item.get("identitySource") or "").split(","):
            m = _IDENTITY_SOURCE.match(expression.strip())
            if m:
                location = m.group(1) or m.group(2)
                sources.append((location, m.group(3).lower() if location == "header" else m.group(3)))
        try:
            ttl = min(int(item.get("authorizerResultTtlInSeconds", DEFAULT_AUTHORIZER_TTL_SECONDS)), 3600)
        except (TypeError, ValueError):
            ttl = DEFAULT_AUTHORIZER_TTL_SECONDS
        out[item["id"]] = Authorizer(
            id=item["id"], name=item.get("name") or item["id"], type=str(item.get("type") or "TOKEN").upper(),
            function_arn=function_arn_from_uri(item.get("authorizerUri"), stage_variables),
            identity_sources=tuple(sources), ttl_seconds=max(ttl, 0))
    return out


def build_config(
    *,
    rest_api: Mapping[str, Any],
    stage: Mapping[str, Any],
    resources: Iterable[Mapping[str, Any]],
    usage_plans: Iterable[Mapping[str, Any]],
    api_keys: Iterable[Mapping[str, Any]],
    usage_plan_keys: Mapping[str, Iterable[Mapping[str, Any]]],
    region: str,
    account_id: str = DEFAULT_ACCOUNT_ID,
    authorizers: Iterable[Mapping[str, Any]] = (),
) -> ApiConfig:
    """Pure function from control-plane responses to an immutable `ApiConfig`."""
    api_id = rest_api["id"]
    stage_name = stage["stageName"]
    stage_variables = MappingProxyType(dict(stage.get("variables") or {}))
    res = build_resources(resources, stage_variables)

    stage_throttle = None
    method_throttles: dict[tuple[str, str], Throttle] = {}
    for key, settings in (stage.get("methodSettings") or {}).items():
        throttle = Throttle.from_api(settings.get("throttlingRateLimit"), settings.get("throttlingBurstLimit"))
        if throttle is None:
            continue
        target = _method_settings_key_to_method(key)
        if target is None:
            stage_throttle = throttle
        else:
            method_throttles[target] = throttle

    keys_by_id = {}
    for k in api_keys:
        if not k.get("value"):
            continue
        keys_by_id[k["id"]] = ApiKey(id=k["id"], name=k.get("name") or k["id"], value=k["value"], enabled=bool(k.get("enabled")))

    plans_by_key_id: dict[str, UsagePlan] = {}
    for p in usage_plans:
        stages = [s for s in (p.get("apiStages") or []) if s.get("apiId") == api_id and s.get("stage") == stage_name]
        if not stages:
            continue
        per_method: dict[tuple[str, str], Throttle] = {}
        for s in stages:
            for key, t in (s.get("throttle") or {}).items():
                target = _plan_method_key(key)
                throttle = Throttle.from_api(t.get("rateLimit"), t.get("burstLimit"))
                if target and throttle:
                    per_method[target] = throttle
        t = p.get("throttle") or {}
        q = p.get("quota") or {}
        quota = None
        if q.get("limit") is not None:
            quota = Quota(limit=int(q["limit"]), period=str(q.get("period") or "DAY").upper(), offset=int(q.get("offset") or 0))
        plan = UsagePlan(
            id=p["id"],
            name=p.get("name") or p["id"],
            throttle=Throttle.from_api(t.get("rateLimit"), t.get("burstLimit")),
            quota=quota,
            method_throttles=MappingProxyType(per_method),
        )
        for upk in usage_plan_keys.get(p["id"], ()):  # AWS allows one plan per key per stage
            if upk.get("type", "API_KEY") == "API_KEY" and upk.get("id") in keys_by_id:
                plans_by_key_id.setdefault(upk["id"], plan)

    return ApiConfig(
        deployed=True,
        rest_api_name=rest_api.get("name") or "",
        stage_name=stage_name,
        region=region,
        rest_api_id=api_id,
        deployment_id=stage.get("deploymentId") or "",
        account_id=account_id,
        stage_variables=stage_variables,
        binary_media_types=tuple(rest_api.get("binaryMediaTypes") or ()),
        api_key_source=str(rest_api.get("apiKeySource") or "HEADER").upper(),
        resources=res,
        router=Router(res),
        api_keys_by_value=MappingProxyType({k.value: k for k in keys_by_id.values()}),
        authorizers=MappingProxyType(build_authorizers(authorizers, stage_variables)),
        plans_by_key_id=MappingProxyType(plans_by_key_id),
        stage_throttle=stage_throttle,
        access_log_destination_arn=(stage.get("accessLogSettings") or {}).get("destinationArn") or None,
        access_log_format=(stage.get("accessLogSettings") or {}).get("format") or None,
        method_throttles=MappingProxyType(method_throttles),
        cache_cluster_enabled=bool(stage.get("cacheClusterEnabled")),
        cache_cluster_size=str(stage["cacheClusterSize"]) if stage.get("cacheClusterSize") else None,
        method_caches=MappingProxyType(build_method_caches(stage, res)),
        loaded_at=time.time(),
    )


# ----------------------------------------------------------------------------- loading


def _paginate(client: Any, operation: str, key: str = "items", **kwargs: Any) -> list[dict]:
    out: list[dict] = []
    if client.can_paginate(operation):
        for page in client.get_paginator(operation).paginate(**kwargs):
            out.extend(page.get(key) or [])
    else:  # pragma: no cover - every operation used here has a paginator
        out.extend(getattr(client, operation)(**kwargs).get(key) or [])
    return out


class ControlPlaneLoader:
    """Reads one REST API stage from the API Gateway control plane of an AWS-compatible endpoint."""

    def __init__(
        self,
        endpoint_url: str | None,
        region: str,
        rest_api_name: str,
        stage: str,
        *,
        client: Any = None,
        sts_client: Any = None,
    ):
        self.endpoint_url = endpoint_url
        self.region = region
        self.rest_api_name = rest_api_name
        self.stage = stage
        self._client = client
        self._sts = sts_client
        self._account_id: str | None = None
        # per deployment: (api id, deployment id), resources, authorizers
        self._resources: tuple[tuple[str, str | None], list[dict], list[dict]] | None = None

    def _session_kwargs(self) -> dict[str, Any]:
        import boto3

        kwargs: dict[str, Any] = {"region_name": self.region}
        if self.endpoint_url:
            kwargs["endpoint_url"] = self.endpoint_url
        if boto3.session.Session().get_credentials() is None:
            # a local endpoint accepts any credentials; don't fail on a machine without any
            kwargs.update(aws_access_key_id="test", aws_secret_access_key="test")
        return kwargs

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            cfg = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30)
            self._client = boto3.client("apigateway", config=cfg, **self._session_kwargs())
        return self._client

    def _account(self, resources: Iterable[Resource]) -> str:
        if self._account_id:
            return self._account_id
        try:
            if self._sts is None:
                import boto3

                self._sts = boto3.client("sts", **self._session_kwargs())
            self._account_id = self._sts.get_caller_identity()["Account"]
            return self._account_id
        except Exception:  # noqa: BLE001 - fall back on the function ARNs
            LOG.debug("sts get-caller-identity failed", exc_info=True)
        for r in resources:
            for m in r.methods.values():
                arn = m.integration.function_arn if m.integration else None
                if arn and arn.startswith("arn:"):
                    parts = arn.split(":")
                    if len(parts) > 4 and parts[4]:
                        return parts[4]
        return DEFAULT_ACCOUNT_ID

    def _find_rest_api(self) -> dict | None:
        candidates = [a for a in _paginate(self.client, "get_rest_apis") if a.get("name") == self.rest_api_name]
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0]
        # duplicates are allowed by API Gateway: prefer the newest one that has the stage
        with_stage = []
        for a in candidates:
            try:
                self.client.get_stage(restApiId=a["id"], stageName=self.stage)
                with_stage.append(a)
            except Exception:  # noqa: BLE001
                continue
        pool = with_stage or candidates
        return sorted(pool, key=lambda a: str(a.get("createdDate") or ""))[-1]

    def load(self) -> ApiConfig:
        """Load the current snapshot. Raises on endpoint errors; returns not-deployed if absent."""
        client = self.client
        api = self._find_rest_api()
        if api is None:
            return ApiConfig.not_deployed(self.rest_api_name, self.stage, self.region)
        try:
            stage = client.get_stage(restApiId=api["id"], stageName=self.stage)
        except client.exceptions.NotFoundException:
            return ApiConfig.not_deployed(self.rest_api_name, self.stage, self.region)
        # A stage serves its deployment: routes and integrations change only with a new
        # deployment, so they are read again only then (the biggest read, every few seconds);
        # keys, plans and stage settings change without one and are read every time.
        snapshot = (api["id"], stage.get("deploymentId"))
        if self._resources is not None and self._resources[0] == snapshot:
            resources, authorizers = self._resources[1], self._resources[2]
        else:
            resources = _paginate(client, "get_resources", restApiId=api["id"], embed=["methods"])
            authorizers = client.get_authorizers(restApiId=api["id"]).get("items") or []
            self._resources = (snapshot, resources, authorizers)
        plans = _paginate(client, "get_usage_plans")
        keys = _paginate(client, "get_api_keys", includeValues=True)
        plan_keys: dict[str, list[dict]] = {}
        for p in plans:
            if any(s.get("apiId") == api["id"] and s.get("stage") == self.stage for s in p.get("apiStages") or []):
                plan_keys[p["id"]] = _paginate(client, "get_usage_plan_keys", usagePlanId=p["id"])
        account_id = self._account(build_resources(resources))
        return build_config(
            rest_api=api,
            stage=stage,
            resources=resources,
            usage_plans=plans,
            api_keys=keys,
            usage_plan_keys=plan_keys,
            region=self.region,
            account_id=account_id,
            authorizers=authorizers,
        )


class ConfigStore:
    """Holds the current `ApiConfig` and refreshes it in a background thread.

    `current` is swapped atomically (one attribute assignment); a failed refresh keeps the
    previous snapshot.
    """

    def __init__(self, loader: Callable[[], ApiConfig], initial: ApiConfig, interval: float = 5.0):
        self._loader = loader
        self.current: ApiConfig = initial
        self.interval = interval
        self.last_error: BaseException | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refresh_lock = threading.Lock()  # serializes refreshes only, never requests

    def refresh(self) -> bool:
        """Reload now; True if the load succeeded."""
        with self._refresh_lock:
            try:
                cfg = self._loader()
            except Exception as exc:  # noqa: BLE001 - keep serving the previous snapshot
                if self.last_error is None or type(exc) is not type(self.last_error):
                    LOG.warning("gateway: could not read the API Gateway configuration: %s", exc)
                self.last_error = exc
                return False
            if self.last_error is not None:
                LOG.info("gateway: configuration readable again")
            self.last_error = None
            prev = self.current
            self.current = cfg
            if prev.deployed != cfg.deployed or prev.deployment_id != cfg.deployment_id:
                if cfg.deployed:
                    LOG.info(
                        "gateway: serving rest api %s (%s) stage %s, deployment %s, %d resources",
                        cfg.rest_api_name, cfg.rest_api_id, cfg.stage_name, cfg.deployment_id, len(cfg.resources),
                    )
                else:
                    LOG.warning("gateway: rest api %r stage %r is not deployed", cfg.rest_api_name, cfg.stage_name)
            return True

    def start(self) -> None:
        if self._thread is not None or self.interval <= 0:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="gateway-config-refresh", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        # until the stage is deployed, look often: a fresh stack is served as soon as it exists
        while not self._stop.wait(self.interval if self.current.deployed else min(self.interval, 0.25)):
            self.refresh()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
