"""Local API Gateway data plane: serves one deployed REST API stage like Amazon API Gateway.

Everything is read from the API Gateway control plane of an AWS-compatible endpoint (rest
API by name, resources and methods, stage with its cache settings, usage plans, API keys) and
re-read periodically. Cached methods are answered from the stage cache (gateway/cache.py).

    from gateway import GatewayServer
    gw = GatewayServer("http://127.0.0.1:4566", "us-east-1", "retail-api", "prod",
                       host="127.0.0.1", port=0, access_log="-")
    gw.start()          # returns once listening; gw.port is the bound port
    gw.add_listener(print)
    gw.metrics.snapshot()
    gw.stop()

CLI: python -m gateway --endpoint-url http://127.0.0.1:4566 --rest-api-name retail-api ...
"""

from .cache import StageCache, TTLCache
from .config import ApiConfig, ApiKey, ConfigStore, ControlPlaneLoader, MethodCache, Quota, Throttle, UsagePlan, build_config
from .events import MalformedProxyResponse, ProxyRequest, build_proxy_event, parse_proxy_response
from .invoker import IntegrationTimeout, IntegrationUnreachable, InvokeResponse, LambdaInvoker
from .metrics import GatewayMetrics
from .router import RouteMatch, Router
from .server import ACCESS_LOG_FIELDS, GatewayServer
from .throttle import QuotaCounter, RateLimiter, TokenBucket

__all__ = [
    "ACCESS_LOG_FIELDS",
    "ApiConfig",
    "ApiKey",
    "ConfigStore",
    "ControlPlaneLoader",
    "GatewayMetrics",
    "GatewayServer",
    "IntegrationTimeout",
    "IntegrationUnreachable",
    "InvokeResponse",
    "LambdaInvoker",
    "MalformedProxyResponse",
    "MethodCache",
    "ProxyRequest",
    "Quota",
    "QuotaCounter",
    "RateLimiter",
    "RouteMatch",
    "Router",
    "StageCache",
    "TTLCache",
    "Throttle",
    "TokenBucket",
    "UsagePlan",
    "build_config",
    "build_proxy_event",
    "parse_proxy_response",
]
