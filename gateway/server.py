"""The HTTP side of the gateway: serves one deployed REST API stage like API Gateway's data plane.

Per request: route (403 Missing Authentication Token) -> Lambda authorizer (401, 403, 500;
gateway/authorizer.py) -> API key (403 Forbidden) -> usage-plan throttle and quota (429) ->
stage/method throttle (429) -> stage cache (a hit answers; gateway/cache.py) -> integration
(Lambda proxy: 502 / 504 on failures) -> response with x-amzn-RequestId, x-amz-apigw-id and
X-Amzn-Trace-Id. Every request produces one access-log record, which feeds the metrics and the
listeners.

The server is a ThreadingHTTPServer (one daemon thread per connection, HTTP/1.1 keep-alive,
TCP_NODELAY). The request path reads only an immutable configuration snapshot and
per-key/per-series locks; nothing is serialized behind a global lock.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any, Callable
from urllib.parse import unquote, urlsplit

from . import responses as gr
from .accesslog import AccessLogWriter
from .authorizer import AuthorizerRunner, Outcome, build_authorizer_event, identity_values, method_arn
from .cache import HIT, MISS, StageCache
from .cloudwatch_logs import CloudWatchAccessLog
from .http1 import FastHeadersMixin
from .config import DEFAULT_INTEGRATION_TIMEOUT_MS, ApiConfig, Authorizer, ConfigStore, ControlPlaneLoader, Integration
from .events import (
    MalformedProxyResponse,
    ProxyRequest,
    build_proxy_event,
    format_request_time,
    is_error_payload,
    new_extended_request_id,
    new_request_id,
    new_trace_id,
    parse_proxy_response,
)
from .invoker import IntegrationTimeout, IntegrationUnreachable, InvokeResponse, LambdaInvoker
from .metrics import GatewayMetrics
from .router import RouteMatch, split_path
from .throttle import QUOTA_EXCEEDED, THROTTLED, RateLimiter

LOG = logging.getLogger("gateway")

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
_NO_BODY_STATUSES = frozenset({204, 304})

# Fields of one access-log record (also the dict given to listeners and metrics); the authorizer's
# only when the method has a Lambda authorizer.
ACCESS_LOG_FIELDS = (
    "requestId", "extendedRequestId", "ip", "userAgent", "requestTime", "requestTimeEpoch",
    "httpMethod", "resourcePath", "resourceId", "path", "stage", "status", "protocol",
    "responseLength", "latency", "integrationLatency", "integrationStatus",
    "apiKeyId", "apiKeyName", "usagePlanId", "usagePlanName",
    "errorType", "errorResponseType", "errorMessage", "cacheStatus",
    "authorizerPrincipalId", "authorizerContext", "authorizerStatus", "authorizerError", "authorizerLatency",
    "authorizerIntegrationLatency", "authorizerIntegrationStatus",
)


class _BodyError(Exception):
    def __init__(self, error: gr.GatewayError):
        self.error = error


class _Exchange:
    """Mutable per-request state (lives in one thread only)."""

    __slots__ = (
        "t0", "epoch", "request_id", "extended_request_id", "trace_id", "method", "raw_path",
        "query", "resource_path", "resource_id", "api_key_id", "api_key_name", "plan_id",
        "plan_name", "integration_latency", "integration_status", "error", "error_detail", "cache_status",
        "authorization",
    )

    def __init__(self, method: str, target: str):
        self.t0 = time.perf_counter()
        self.epoch = time.time()
        self.request_id = new_request_id()
        self.extended_request_id = new_extended_request_id()
        self.trace_id = ""
        self.method = method
        if target.startswith(("http://", "https://")):  # absolute-form request target
            parts = urlsplit(target)
            self.raw_path, self.query = parts.path or "/", parts.query
        else:
            path, _, query = target.partition("?")
            self.raw_path, self.query = path or "/", query
        self.resource_path: str | None = None
        self.resource_id: str | None = None
        self.api_key_id: str | None = None
        self.api_key_name: str | None = None
        self.plan_id: str | None = None
        self.plan_name: str | None = None
        self.integration_latency: float | None = None
        self.integration_status: int | None = None
        self.error: gr.GatewayError | None = None
        self.error_detail: str | None = None
        self.cache_status: str | None = None  # HIT / MISS when the stage cache applies
        self.authorization: Outcome | None = None  # when the method has a Lambda authorizer


class _Response:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes):
        self.status = status
        self.headers = headers
        self.body = body


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024
    block_on_close = False

    gateway: "GatewayServer"

    def __init__(self, *args: Any, **kwargs: Any):
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()  # connection open/close only
        super().__init__(*args, **kwargs)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn); not needed here
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = port

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        try:  # without it every small response waits for the client's delayed ACK (~40 ms)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        with self._connections_lock:
            self._connections.add(sock)
        return sock, addr

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        LOG.debug("gateway: connection error from %s", client_address, exc_info=True)

    def close_connections(self) -> None:
        with self._connections_lock:
            conns = list(self._connections)
        for sock in conns:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(FastHeadersMixin, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "gateway"
    sys_version = ""
    timeout = 120  # idle keep-alive connections are closed after this many seconds
    server: _HTTPServer

    def handle_one_request(self) -> None:
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                self.requestline = ""
                self.request_version = ""
                self.command = ""
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():  # malformed line / headers: error already sent
                return
            self.server.gateway._serve(self)
        except (TimeoutError, ConnectionError, OSError):
            self.close_connection = True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol-level errors (bad request line, too many/long headers) as JSON; closes."""
        self.close_connection = True
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        body = json.dumps({"message": message or phrase}, separators=(",", ":")).encode()
        head = (
            f"HTTP/1.1 {int(code)} {phrase}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode("latin-1")
        try:
            self.wfile.write(head + (b"" if self.command == "HEAD" else body))
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        LOG.debug("gateway: %s - %s", self.address_string(), format % args)


class GatewayServer:
    """Local API Gateway data plane for one REST API stage.

    >>> gw = GatewayServer("http://127.0.0.1:4566", "us-east-1", "retail-api", "prod", port=0)
    >>> gw.start(); gw.port; gw.stop()
    """

    def __init__(
        self,
        endpoint_url: str = "http://127.0.0.1:4566",
        region: str = "us-east-1",
        rest_api_name: str = "retail-api",
        stage: str = "prod",
        host: str = "127.0.0.1",
        port: int = 8000,
        access_log: Any = None,
        *,
        invoker: Callable[[str, bytes, float], Any] | None = None,
        refresh_interval: float = 5.0,
        integration_timeout: float | None = None,
        control_plane_client: Any = None,
        loader: Callable[[], ApiConfig] | None = None,
        rate_limiter: RateLimiter | None = None,
        metrics: GatewayMetrics | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        cloudwatch_logs_client: Any = None,
    ):
        """
        endpoint_url: AWS-compatible endpoint (control plane and Lambda Invoke).
        access_log: file path, '-' for stdout, a text stream, or None.
        invoker: replaces the Lambda Invoke call: f(function_arn, payload_bytes, timeout_s)
            -> InvokeResponse (or a boto3-style dict); may raise IntegrationTimeout /
            IntegrationUnreachable.
        refresh_interval: seconds between control-plane reads (<= 0: only at start and on
            refresh()).
        integration_timeout: seconds; overrides each integration's timeoutInMillis (29 s).
        control_plane_client / loader: inject a boto3 apigateway client or a whole loader.
        rate_limiter: inject a RateLimiter (e.g. with fake clocks).
        """
        self.endpoint_url = endpoint_url
        self.region = region
        self.rest_api_name = rest_api_name
        self.stage = stage
        self.host = host
        self.port = port
        self.integration_timeout = integration_timeout
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics or GatewayMetrics()
        self.rate_limiter = rate_limiter or RateLimiter()
        self.cache = StageCache()  # the stage cache (gateway/cache.py)
        self.authorizers = AuthorizerRunner()  # Lambda authorizers and their result cache (gateway/authorizer.py)
        self._access_log_target = access_log
        self._cloudwatch_logs_client = cloudwatch_logs_client  # None: boto3 on endpoint_url
        self._access_log: AccessLogWriter | None = None
        self._cloudwatch_access_log: CloudWatchAccessLog | None = None  # the stage's accessLogSettings
        self._listeners: tuple[Callable[[dict], Any], ...] = ()
        self._listeners_lock = threading.Lock()
        self._own_invoker = invoker is None
        self._invoker = invoker
        if loader is None:
            loader = ControlPlaneLoader(endpoint_url, region, rest_api_name, stage, client=control_plane_client).load
        self._store = ConfigStore(loader, ApiConfig.not_deployed(rest_api_name, stage, region), refresh_interval)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._warned: set[str] = set()

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def config(self) -> ApiConfig:
        """The configuration snapshot currently served."""
        return self._store.current

    def refresh(self) -> bool:
        """Re-read the control plane now (also done every `refresh_interval` seconds)."""
        return self._store.refresh()

    def start(self) -> "GatewayServer":
        """Load the configuration, bind, serve in a background thread; returns once listening."""
        if self._httpd is not None:
            return self
        httpd = _HTTPServer((self.host, self.port), _Handler)  # fails early if the port is taken
        httpd.gateway = self
        if self._invoker is None:
            self._invoker = LambdaInvoker(self.endpoint_url, self.region)
        if self._store.refresh() and not self._store.current.deployed:
            LOG.warning("gateway: rest api %r stage %r is not deployed yet (answering 403 until it is)",
                        self.rest_api_name, self.stage)
        self._access_log = AccessLogWriter(self._access_log_target)
        self._cloudwatch_access_log = CloudWatchAccessLog(self.endpoint_url, self.region, lambda: self._store.current,
                                                          client=self._cloudwatch_logs_client).start()
        self.add_listener(self._cloudwatch_access_log)
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.2}, name=f"gateway-{self.port}", daemon=True
        )
        self._thread.start()
        self._store.start()
        LOG.info("gateway: listening on %s (rest api %r, stage %r)", self.url, self.rest_api_name, self.stage)
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        self._store.stop()
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
            httpd.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._access_log is not None:
            self._access_log.close()
            self._access_log = None
        if self._cloudwatch_access_log is not None:
            self.remove_listener(self._cloudwatch_access_log)
            self._cloudwatch_access_log.close()
            self._cloudwatch_access_log = None
        if self._own_invoker and isinstance(self._invoker, LambdaInvoker):
            self._invoker.close()
            self._invoker = None

    def serve_forever(self) -> None:
        """Start (if needed) and block until stop() or KeyboardInterrupt."""
        self.start()
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> "GatewayServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def add_listener(self, listener: Callable[[dict], Any]) -> None:
        """`listener(record)` is called once per request with a copy of the access-log record.

        It runs in the request's thread just before the response is written (so a client
        that has its response can rely on the record having been delivered): keep it cheap.
        Exceptions are logged and ignored.
        """
        with self._listeners_lock:
            self._listeners = self._listeners + (listener,)

    def remove_listener(self, listener: Callable[[dict], Any]) -> None:
        with self._listeners_lock:
            self._listeners = tuple(x for x in self._listeners if x is not listener)

    # ------------------------------------------------------------------ request path

    def _serve(self, h: _Handler) -> None:
        ex = _Exchange(h.command, h.path)
        incoming_trace = h.headers.get("X-Amzn-Trace-Id")
        ex.trace_id = incoming_trace or new_trace_id(ex.epoch)
        try:
            try:
                body = self._read_body(h)
            except _BodyError as be:
                h.close_connection = True
                resp = self._error(ex, be.error)
            else:
                resp = self._process(h, ex, body)
        except Exception:  # noqa: BLE001 - nothing a client sends may crash the server
            LOG.exception("gateway: unexpected error on %s %s", ex.method, ex.raw_path)
            h.close_connection = True
            resp = self._error(ex, gr.API_CONFIGURATION_ERROR, "unexpected gateway error")
        if resp.status in _NO_BODY_STATUSES or resp.status < 200:
            resp.body = b""
        # the record is published (metrics, listeners, log queue) before the response is
        # written: once a client has its response, the request is already counted
        self._finish(h, ex, resp)
        try:
            self._send(h, ex, resp)
        except OSError:  # the client went away
            h.close_connection = True

    def _read_body(self, h: _Handler) -> bytes:
        te = (h.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            return self._read_chunked(h)
        length = h.headers.get("Content-Length")
        if length is None:
            return b""
        try:
            n = int(length.strip())
        except ValueError:
            raise _BodyError(gr.BAD_REQUEST) from None
        if n < 0:
            raise _BodyError(gr.BAD_REQUEST)
        if n > self.max_body_bytes:
            raise _BodyError(gr.REQUEST_TOO_LARGE)
        if n == 0:
            return b""
        data = h.rfile.read(n)
        if len(data) < n:
            h.close_connection = True
            raise ConnectionError("client closed the connection mid-body")
        return data

    def _read_chunked(self, h: _Handler) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = h.rfile.readline(1026)
            if not line:
                raise ConnectionError("client closed the connection mid-body")
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BodyError(gr.BAD_REQUEST) from None
            if size == 0:
                while True:  # trailers
                    trailer = h.rfile.readline(65537)
                    if not trailer or trailer in (b"\r\n", b"\n"):
                        break
                return b"".join(chunks)
            total += size
            if total > self.max_body_bytes:
                raise _BodyError(gr.REQUEST_TOO_LARGE)
            chunk = h.rfile.read(size)
            if len(chunk) < size:
                raise ConnectionError("client closed the connection mid-body")
            chunks.append(chunk)
            h.rfile.readline(3)  # CRLF after the chunk

    def _process(self, h: _Handler, ex: _Exchange, body: bytes) -> _Response:
        cfg = self._store.current
        if not cfg.deployed:
            return self._error(ex, gr.NOT_DEPLOYED, "rest api or stage not deployed")

        # -- routing: the stage is served at the root; a /<stage> prefix is accepted too
        segments = split_path(ex.raw_path)
        match = None
        rel_raw_path = ex.raw_path
        if segments and segments[0] == cfg.stage_name:
            match = cfg.router.match_segments(ex.method, segments[1:])
            if match is not None:
                rel_raw_path = ex.raw_path[len(cfg.stage_name) + 1:] or "/"
        if match is None:
            match = cfg.router.match_segments(ex.method, segments)
        if match is None:
            return self._error(ex, gr.MISSING_AUTHENTICATION_TOKEN)
        resource, method = match.resource, match.method
        ex.resource_path, ex.resource_id = resource.path, resource.id
        path = unquote(rel_raw_path)

        def proxy_request() -> ProxyRequest:  # what the authorizer's and the integration's events describe
            return self._proxy_request(h, ex, cfg, match, path, body)

        # -- Lambda authorizer (before the key: a refused caller is neither metered nor cached)
        if method.authorizer_id is not None:
            authorizer = cfg.authorizers.get(method.authorizer_id)
            if authorizer is None:
                return self._error(ex, gr.AUTHORIZER_CONFIGURATION_ERROR, f"no authorizer {method.authorizer_id}")
            ex.authorization = self._authorize(h, ex, cfg, authorizer, path, proxy_request)
            if ex.authorization.error is not None:
                return self._error(ex, ex.authorization.error, ex.authorization.detail)

        # -- API key and usage plan (only methods that require a key are metered)
        api_key = None
        if method.api_key_required:
            value = h.headers.get("x-api-key")
            api_key = cfg.api_keys_by_value.get(value) if value else None
            if api_key is None:
                return self._error(ex, gr.INVALID_API_KEY, "missing or unknown API key")
            ex.api_key_id, ex.api_key_name = api_key.id, api_key.name
            if not api_key.enabled:
                return self._error(ex, gr.INVALID_API_KEY, "API key disabled")
            plan = cfg.plans_by_key_id.get(api_key.id)
            if plan is None:
                return self._error(ex, gr.INVALID_API_KEY, "API key not in a usage plan of this stage")
            ex.plan_id, ex.plan_name = plan.id, plan.name
            verdict = self.rate_limiter.check_usage_plan(plan, api_key.id, (resource.path, method.http_method))
            if verdict == THROTTLED:
                return self._error(ex, gr.THROTTLED, "usage plan throttle")
            if verdict == QUOTA_EXCEEDED:
                return self._error(ex, gr.QUOTA_EXCEEDED, "usage plan quota")

        # -- stage / method throttling (methodSettings of the stage)
        stage_throttle = cfg.stage_throttle_for(resource.path, method.http_method)
        if stage_throttle is not None and not self.rate_limiter.check_method(
            (cfg.rest_api_id, cfg.stage_name, resource.path, method.http_method), stage_throttle
        ):
            return self._error(ex, gr.THROTTLED, "stage throttle")

        # -- integration
        integration = method.integration
        if integration is None:
            return self._error(ex, gr.API_CONFIGURATION_ERROR, "no integration defined for method")
        if integration.type == "MOCK":
            return self._mock(ex, integration)
        if integration.type == "AWS_PROXY" and integration.function_arn:
            # -- stage cache (after keys, usage plans and throttles: cached requests count too)
            cache = self.cache.plan(cfg, resource, method, ex.method, match.path_parameters, ex.query, h.headers)
            if isinstance(cache, gr.GatewayError):
                return self._error(ex, cache, "not authorized to invalidate the cache (Cache-Control: max-age=0)")
            if cache is not None:
                ex.cache_status, cached = MISS, cache.lookup()
                if cached is not None:
                    ex.cache_status = HIT
                    return _Response(cached.status, cache.headers(cached.headers), cached.body)
            proxy_req = proxy_request()
            if api_key is not None:
                proxy_req.api_key, proxy_req.api_key_id = api_key.value, api_key.id
            if ex.authorization is not None:
                proxy_req.authorizer = ex.authorization.request_context
            resp = self._invoke_lambda(ex, integration, proxy_req)
            if cache is not None:
                cache.store(resp.status, resp.headers, resp.body, integration_answered=ex.error is None)
                resp.headers = cache.headers(resp.headers)
            return resp
        self._warn_once(f"unsupported:{integration.type}", "gateway: integration type %s of %s %s is not supported locally",
                        integration.type, method.http_method, resource.path)
        return self._error(ex, gr.API_CONFIGURATION_ERROR, f"unsupported integration {integration.type}")

    @staticmethod
    def _event_headers(h: _Handler, ex: _Exchange) -> list[tuple[str, str]]:
        headers = [(k, v) for k, v in h.headers.items()]
        lower = {k.lower() for k, _ in headers}
        client_ip = h.client_address[0] if h.client_address else ""
        xff = h.headers.get("X-Forwarded-For")
        headers = [(k, v) for k, v in headers if k.lower() != "x-forwarded-for"]
        headers.append(("X-Forwarded-For", f"{xff}, {client_ip}" if xff else client_ip))
        if "x-forwarded-port" not in lower:
            headers.append(("X-Forwarded-Port", str(h.server.server_address[1])))
        if "x-forwarded-proto" not in lower:
            headers.append(("X-Forwarded-Proto", "http"))
        if "x-amzn-trace-id" not in lower:
            headers.append(("X-Amzn-Trace-Id", ex.trace_id))
        return headers

    def _invoke_lambda(self, ex: _Exchange, integration: Integration, req: ProxyRequest) -> _Response:
        payload = json.dumps(build_proxy_event(req), separators=(",", ":")).encode()
        timeout = self.integration_timeout if self.integration_timeout is not None else integration.timeout_ms / 1000.0
        assert integration.function_arn is not None
        t = time.perf_counter()
        try:
            result = self._call(integration.function_arn, payload, timeout, ex.request_id)
        except IntegrationTimeout:
            return self._error(ex, gr.INTEGRATION_TIMEOUT, "integration timeout")
        except IntegrationUnreachable as exc:
            return self._error(ex, gr.INTEGRATION_FAILURE, f"lambda unreachable: {exc}")
        except Exception as exc:  # noqa: BLE001
            LOG.warning("gateway: lambda invoke of %s failed: %r", integration.function_arn, exc)
            return self._error(ex, gr.INTEGRATION_FAILURE, f"lambda invoke failed: {exc!r}")
        finally:
            ex.integration_latency = (time.perf_counter() - t) * 1000.0
        ex.integration_status = result.status_code
        if result.status_code == 429:
            return self._error(ex, gr.INTEGRATION_THROTTLED, "lambda throttled the invocation")
        if not 200 <= result.status_code < 300:
            return self._error(ex, gr.INTEGRATION_FAILURE, f"lambda invoke returned {result.status_code}: {result.payload[:200]!r}")
        if result.function_error or is_error_payload(result.payload):
            # A function that runs past its own Timeout is a Lambda error (502), as on AWS;
            # 504 is the integration timeout (timeoutInMillis, 29 s by default) above.
            return self._error(ex, gr.INTEGRATION_FAILURE, f"function error: {result.payload[:200]!r}")
        try:
            proxy = parse_proxy_response(result.payload)
        except MalformedProxyResponse as exc:
            return self._error(ex, gr.INTEGRATION_FAILURE, f"Malformed Lambda proxy response: {exc}")
        return _Response(proxy.status_code, proxy.headers, proxy.body)

    def _call(self, function_arn: str, payload: bytes, timeout: float, request_id: str) -> InvokeResponse:
        """Invoke a function (integration or authorizer); raises IntegrationTimeout / IntegrationUnreachable."""
        invoker = self._invoker
        assert invoker is not None
        if isinstance(invoker, LambdaInvoker):
            return InvokeResponse.coerce(invoker(function_arn, payload, timeout, request_id=request_id))
        return InvokeResponse.coerce(invoker(function_arn, payload, timeout))

    def _authorize(self, h: _Handler, ex: _Exchange, cfg: ApiConfig, authorizer: Authorizer, path: str,
                   request: Callable[[], ProxyRequest]) -> Outcome:
        arn = method_arn(cfg.region, cfg.account_id, cfg.rest_api_id, cfg.stage_name, ex.method, path)
        identity = identity_values(authorizer, h.headers, ex.query, cfg.stage_variables)
        timeout = self.integration_timeout if self.integration_timeout is not None else DEFAULT_INTEGRATION_TIMEOUT_MS / 1000.0
        return self.authorizers.authorize(
            authorizer, identity, arn,
            event=lambda: build_authorizer_event(authorizer, build_proxy_event(request()), arn, identity[0] if identity else None),
            invoke=lambda function_arn, payload: self._call(function_arn, payload, timeout, ex.request_id))

    def _proxy_request(self, h: _Handler, ex: _Exchange, cfg: ApiConfig, match: RouteMatch, path: str,
                       body: bytes) -> ProxyRequest:
        return ProxyRequest(
            http_method=ex.method,
            path=path,
            raw_path=ex.raw_path,
            query_string=ex.query,
            headers=self._event_headers(h, ex),
            body=body,
            source_ip=h.client_address[0] if h.client_address else "",
            resource_path=match.resource.path,
            resource_id=match.resource.id,
            path_parameters=match.path_parameters,
            stage=cfg.stage_name,
            stage_variables=cfg.stage_variables,
            api_id=cfg.rest_api_id,
            account_id=cfg.account_id,
            request_id=ex.request_id,
            extended_request_id=ex.extended_request_id,
            request_time_epoch=ex.epoch,
            protocol=h.request_version or "HTTP/1.1",
            domain_name=(h.headers.get("Host") or "").rsplit(":", 1)[0] if h.headers.get("Host") else "",
            binary_media_types=cfg.binary_media_types,
            deployment_id=cfg.deployment_id or None,
        )

    @staticmethod
    def _mock(ex: _Exchange, integration: Integration) -> _Response:
        headers = [("Content-Type", "application/json")]
        headers += [(k, v) for k, v in integration.mock_headers.items() if k.lower() != "content-type"]
        return _Response(integration.mock_status, headers, integration.mock_body.encode())

    @staticmethod
    def _error(ex: _Exchange, error: gr.GatewayError, detail: str | None = None) -> _Response:
        ex.error = error
        ex.error_detail = detail
        headers = [("Content-Type", "application/json")]
        if error.error_type:
            headers.append(("x-amzn-ErrorType", error.error_type))
        return _Response(error.status, headers, error.body)

    def _send(self, h: _Handler, ex: _Exchange, resp: _Response) -> None:
        try:
            phrase = HTTPStatus(resp.status).phrase
        except ValueError:
            phrase = "Unknown"
        lines = [f"HTTP/1.1 {resp.status} {phrase}"]
        for name, value in resp.headers:
            lines.append(f"{name}: {value}")
        lines.append(f"x-amzn-RequestId: {ex.request_id}")
        lines.append(f"x-amz-apigw-id: {ex.extended_request_id}")
        lines.append(f"X-Amzn-Trace-Id: {ex.trace_id}")
        lines.append(f"Date: {h.date_time_string()}")
        body = resp.body
        lines.append(f"Content-Length: {len(body)}")
        if h.close_connection:
            lines.append("Connection: close")
        elif h.request_version == "HTTP/1.0":
            lines.append("Connection: keep-alive")
        try:
            head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        except UnicodeEncodeError:
            head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
        h.wfile.write(head if ex.method == "HEAD" else head + body)

    def _finish(self, h: _Handler, ex: _Exchange, resp: _Response) -> None:
        err = ex.error
        record = {
            "requestId": ex.request_id,
            "extendedRequestId": ex.extended_request_id,
            "ip": h.client_address[0] if h.client_address else None,
            "userAgent": h.headers.get("User-Agent"),
            "requestTime": format_request_time(ex.epoch),
            "requestTimeEpoch": int(ex.epoch * 1000),
            "httpMethod": ex.method,
            "resourcePath": ex.resource_path,
            "resourceId": ex.resource_id,
            "path": ex.raw_path,
            "stage": self.stage,
            "status": resp.status,
            "protocol": h.request_version,
            "responseLength": len(resp.body),
            "latency": round((time.perf_counter() - ex.t0) * 1000.0, 3),
            "integrationLatency": round(ex.integration_latency, 3) if ex.integration_latency is not None else None,
            "integrationStatus": ex.integration_status,
            "apiKeyId": ex.api_key_id,
            "apiKeyName": ex.api_key_name,
            "usagePlanId": ex.plan_id,
            "usagePlanName": ex.plan_name,
            "errorType": err.error_type if err else None,
            "errorResponseType": err.response_type if err else None,
            "errorMessage": _error_message(err, ex.error_detail) if err else None,
            "cacheStatus": ex.cache_status,
            **_authorizer_fields(ex.authorization),
        }
        if err is not None and err.status >= 500:
            LOG.info("gateway: %s %s -> %s %s", ex.method, ex.raw_path, resp.status, record["errorMessage"])
        try:
            self.metrics.record(record)
        except Exception:  # noqa: BLE001
            LOG.exception("gateway: metrics failed")
        if self._access_log is not None:
            self._access_log.write(record)
        for listener in self._listeners:
            try:
                listener(dict(record))
            except Exception:  # noqa: BLE001 - a listener must not break the gateway
                LOG.exception("gateway: access-log listener failed")

    def _warn_once(self, key: str, msg: str, *args: Any) -> None:
        if key not in self._warned:
            self._warned.add(key)
            LOG.warning(msg, *args)


def _error_message(err: gr.GatewayError, detail: str | None) -> str | None:
    if err.message is None:
        return detail
    return f"{err.message} ({detail})" if detail else err.message


def _authorizer_fields(outcome: Outcome | None) -> dict[str, Any]:
    """The access-log record's authorizer fields ($context.authorizer.*), when a Lambda authorizer ran."""
    if outcome is None:
        return {}
    result = outcome.result
    return {
        "authorizerPrincipalId": result.principal_id if result else None,
        "authorizerContext": dict(result.context) if result else None,
        "authorizerStatus": outcome.error.status if outcome.error else 200,
        "authorizerError": outcome.detail if outcome.error else None,
        "authorizerLatency": round(outcome.latency_ms, 3),
        "authorizerIntegrationLatency": round(outcome.integration_latency_ms, 3),
        "authorizerIntegrationStatus": outcome.integration_status,
    }


__all__ = ["GatewayServer", "ACCESS_LOG_FIELDS"]
