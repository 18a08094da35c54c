"""Lambda proxy integration: event v1 shape, proxy response mapping, integration errors."""

from __future__ import annotations

import base64
import json
import socket

import pytest

from gateway import (
    GatewayServer,
    IntegrationTimeout,
    IntegrationUnreachable,
    InvokeResponse,
    MalformedProxyResponse,
    ProxyRequest,
    build_config,
    build_proxy_event,
    parse_proxy_response,
)
from gateway.events import format_request_time, is_error_payload, parse_query

EVENT_KEYS = {
    "resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
    "multiValueQueryStringParameters", "pathParameters", "stageVariables", "requestContext",
    "body", "isBase64Encoded",
}
CONTEXT_KEYS = {
    "accountId", "apiId", "resourceId", "resourcePath", "stage", "requestId", "extendedRequestId",
    "requestTime", "requestTimeEpoch", "protocol", "httpMethod", "path", "domainName", "identity",
}


def _req(**overrides) -> ProxyRequest:
    base = dict(
        http_method="POST",
        path="/api/v1/products/42",
        raw_path="/prod/api/v1/products/42",
        query_string="a=1&a=2&b=x%20y&flag",
        headers=[("Host", "127.0.0.1:8000"), ("User-Agent", "pytest"), ("Accept", "text/plain"),
                 ("Accept", "application/json"), ("Content-Type", "application/json"), ("Content-Length", "13"),
                 ("x-api-key", "admin-key-12345-local-dev")],
        body=b'{"name":"x"}\n',
        source_ip="127.0.0.1",
        resource_path="/api/v1/products/{id}",
        resource_id="res42",
        path_parameters={"id": "42"},
        stage="prod",
        stage_variables={"env": "local"},
        api_id="api123",
        account_id="123456789012",
        request_id="11111111-2222-3333-4444-555555555555",
        extended_request_id="FOjNQEjfBcwFtAg=",
        request_time_epoch=1775000000.123,
        domain_name="127.0.0.1",
        api_key="admin-key-12345-local-dev",
        api_key_id="keyid1",
    )
    base.update(overrides)
    return ProxyRequest(**base)


# --------------------------------------------------------------------- event


def test_event_top_level_shape():
    ev = build_proxy_event(_req())
    assert set(ev) == EVENT_KEYS
    assert ev["resource"] == "/api/v1/products/{id}"
    assert ev["path"] == "/api/v1/products/42"
    assert ev["httpMethod"] == "POST"
    assert ev["pathParameters"] == {"id": "42"}
    assert ev["stageVariables"] == {"env": "local"}
    assert ev["body"] == '{"name":"x"}\n'
    assert ev["isBase64Encoded"] is False
    json.dumps(ev)  # serializable


def test_event_headers_single_and_multi_value():
    ev = build_proxy_event(_req())
    assert ev["headers"]["Accept"] == "application/json"  # last value
    assert ev["multiValueHeaders"]["Accept"] == ["text/plain", "application/json"]
    assert ev["headers"]["x-api-key"] == "admin-key-12345-local-dev"
    assert "Content-Length" not in ev["headers"]
    assert set(ev["headers"]) == set(ev["multiValueHeaders"])


def test_event_header_names_differing_in_case_are_one_header():
    ev = build_proxy_event(_req(headers=[("X-Thing", "1"), ("x-thing", "2")]))
    assert ev["headers"] == {"X-Thing": "2"}
    assert ev["multiValueHeaders"] == {"X-Thing": ["1", "2"]}


def test_event_query_parameters():
    ev = build_proxy_event(_req())
    assert ev["queryStringParameters"] == {"a": "2", "b": "x y", "flag": ""}
    assert ev["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x y"], "flag": [""]}
    assert parse_query("") == (None, None)


def test_event_nulls_when_absent():
    ev = build_proxy_event(_req(query_string="", body=b"", path_parameters={}, stage_variables={}, http_method="GET"))
    assert ev["queryStringParameters"] is None
    assert ev["multiValueQueryStringParameters"] is None
    assert ev["pathParameters"] is None
    assert ev["stageVariables"] is None
    assert ev["body"] is None
    assert ev["isBase64Encoded"] is False


def test_event_request_context():
    ev = build_proxy_event(_req())
    ctx = ev["requestContext"]
    assert CONTEXT_KEYS <= set(ctx)
    assert ctx["accountId"] == "123456789012"
    assert ctx["apiId"] == "api123"
    assert ctx["resourceId"] == "res42"
    assert ctx["resourcePath"] == "/api/v1/products/{id}"
    assert ctx["stage"] == "prod"
    assert ctx["requestId"] == "11111111-2222-3333-4444-555555555555"
    assert ctx["extendedRequestId"] == "FOjNQEjfBcwFtAg="
    assert ctx["httpMethod"] == "POST"
    assert ctx["path"] == "/prod/api/v1/products/42"
    assert ctx["protocol"] == "HTTP/1.1"
    assert ctx["domainName"] == "127.0.0.1"
    assert ctx["requestTimeEpoch"] == 1775000000123
    assert ctx["requestTime"] == format_request_time(1775000000.123)
    ident = ctx["identity"]
    assert ident["sourceIp"] == "127.0.0.1"
    assert ident["userAgent"] == "pytest"
    assert ident["apiKey"] == "admin-key-12345-local-dev"
    assert ident["apiKeyId"] == "keyid1"
    assert ident["caller"] is None and ident["user"] is None


def test_identity_without_api_key():
    ev = build_proxy_event(_req(api_key=None, api_key_id=None))
    assert "apiKey" not in ev["requestContext"]["identity"]


def test_request_time_format():
    # 2026-04-01 00:00:00 UTC
    assert format_request_time(1775001600.0) == "01/Apr/2026:00:00:00 +0000"


def test_binary_bodies_are_base64():
    raw = bytes(range(256))
    ev = build_proxy_event(_req(body=raw, headers=[("Content-Type", "application/octet-stream")]))
    assert ev["isBase64Encoded"] is True
    assert base64.b64decode(ev["body"]) == raw
    ev = build_proxy_event(_req(body=b"hello", headers=[("Content-Type", "image/png")], binary_media_types=("image/*",)))
    assert ev["isBase64Encoded"] is True
    assert base64.b64decode(ev["body"]) == b"hello"


# --------------------------------------------------------------------- response


def test_minimal_response_defaults():
    r = parse_proxy_response(b"{}")
    assert r.status_code == 200
    assert r.body == b""
    assert ("Content-Type", "application/json") in r.headers


def test_response_status_headers_body():
    r = parse_proxy_response(json.dumps({
        "statusCode": 201,
        "headers": {"Content-Type": "text/plain", "X-One": "1", "X-Flag": True},
        "body": "created",
        "isBase64Encoded": False,
    }))
    assert r.status_code == 201
    assert r.body == b"created"
    assert ("Content-Type", "text/plain") in r.headers
    assert ("X-One", "1") in r.headers
    assert ("X-Flag", "true") in r.headers
    assert sum(1 for k, _ in r.headers if k.lower() == "content-type") == 1


def test_response_status_code_as_string():
    assert parse_proxy_response(b'{"statusCode": "404"}').status_code == 404


def test_multi_value_headers_merge_and_win():
    r = parse_proxy_response(json.dumps({
        "statusCode": 200,
        "headers": {"Set-Cookie": "a=1", "X-Single": "s"},
        "multiValueHeaders": {"Set-Cookie": ["b=2", "c=3"], "X-Multi": ["m1", "m2"]},
    }))
    assert [v for k, v in r.headers if k == "Set-Cookie"] == ["b=2", "c=3"]
    assert [v for k, v in r.headers if k == "X-Multi"] == ["m1", "m2"]
    assert ("X-Single", "s") in r.headers


def test_base64_response_body():
    raw = bytes(range(10))
    r = parse_proxy_response(json.dumps({"statusCode": 200, "body": base64.b64encode(raw).decode(), "isBase64Encoded": True}))
    assert r.body == raw


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b'"a string"',
        b"[1, 2]",
        b"null",
        b'{"statusCode": 200, "body": {"not": "a string"}}',
        b'{"statusCode": 200, "extra": 1}',
        b'{"statusCode": "abc"}',
        b'{"statusCode": 99}',
        b'{"statusCode": 200, "headers": {"X-Num": 5}}',
        b'{"statusCode": 200, "headers": ["a"]}',
        b'{"statusCode": 200, "headers": {"Bad Name": "x"}}',
        b'{"statusCode": 200, "headers": {"X-Inject": "a\\r\\nb: c"}}',
        b'{"errorMessage": "boom", "errorType": "Exception"}',
    ],
)
def test_malformed_responses(payload):
    with pytest.raises(MalformedProxyResponse):
        parse_proxy_response(payload)


def test_error_payload_detection():
    assert is_error_payload(b'{"errorMessage": "boom", "errorType": "ValueError"}')
    assert not is_error_payload(b'{"statusCode": 200}')


# --------------------------------------------------------------------- over HTTP

URI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{}/invocations"

CANNED: dict[str, object] = {
    "ok": InvokeResponse(200, json.dumps({
        "statusCode": 201,
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "headers": {"X-Custom": "yes"},
        "body": json.dumps({"ok": True}),
    }).encode()),
    "boto3dict": {"StatusCode": 200, "Payload": json.dumps({"statusCode": 202, "body": "dict"}).encode()},
    "binary": InvokeResponse(200, json.dumps({
        "statusCode": 200, "headers": {"Content-Type": "image/png"},
        "body": base64.b64encode(b"\x89PNG\x00\x01").decode(), "isBase64Encoded": True,
    }).encode()),
    "handled": InvokeResponse(200, b'{"errorMessage": "boom", "errorType": "ValueError"}', function_error="Unhandled"),
    "sandbox-timeout": InvokeResponse(200, b'{"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 2.00 seconds"}', function_error="Unhandled"),
    "malformed": InvokeResponse(200, b'{"statusCode": 200, "body": {"x": 1}}'),
    "not-json": InvokeResponse(200, b"hello"),
    "lambda-throttled": InvokeResponse(429, b'{"Type": "User", "message": "Rate Exceeded."}'),
    "lambda-404": InvokeResponse(404, b'{"Type": "User", "message": "Function not found"}'),
    "integration-timeout": IntegrationTimeout("read timed out"),
    "unreachable": IntegrationUnreachable("connection refused"),
    "crash": RuntimeError("invoker bug"),
    "echo": None,
}


def _invoker(arn, payload, timeout):
    name = arn.rsplit(":", 1)[-1]
    canned = CANNED[name]
    if canned is None:  # echo the event back
        return InvokeResponse(200, json.dumps({"statusCode": 200, "body": payload.decode()}).encode())
    if isinstance(canned, Exception):
        raise canned
    return canned


@pytest.fixture(scope="module")
def server():
    resources = [{"id": "root", "path": "/"}]
    for i, name in enumerate(CANNED):
        resources.append({
            "id": f"r{i}",
            "path": f"/t/{name}",
            "resourceMethods": {"ANY": {
                "httpMethod": "ANY", "apiKeyRequired": False,
                "methodIntegration": {"type": "AWS_PROXY", "httpMethod": "POST", "uri": URI.format(name)},
            }},
        })
    resources.append({"id": "noint", "path": "/t/no-integration", "resourceMethods": {"GET": {"httpMethod": "GET"}}})
    resources.append({"id": "mock", "path": "/t/mock", "resourceMethods": {"OPTIONS": {
        "httpMethod": "OPTIONS",
        "methodIntegration": {
            "type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "integrationResponses": {"200": {"statusCode": "200", "responseParameters": {
                "method.response.header.Access-Control-Allow-Origin": "'*'"}}},
        },
    }}})
    cfg = build_config(
        rest_api={"id": "api1", "name": "retail-api"},
        stage={"stageName": "prod", "deploymentId": "dep1", "variables": {"env": "test"}},
        resources=resources, usage_plans=[], api_keys=[], usage_plan_keys={}, region="us-east-1",
    )
    gw = GatewayServer(port=0, loader=lambda: cfg, invoker=_invoker, refresh_interval=0)
    records: list[dict] = []
    gw.add_listener(records.append)
    gw.records = records
    gw.start()
    yield gw
    gw.stop()


def _check_gateway_headers(r):
    assert r.headers["x-amzn-RequestId"]
    assert r.headers["x-amz-apigw-id"]
    assert r.headers["X-Amzn-Trace-Id"].startswith("Root=1-")


def test_success_mapping(server, http):
    r = http.request("POST", f"{server.url}/t/ok", body=b"{}")
    assert r.status == 201
    assert json.loads(r.data) == {"ok": True}
    assert r.headers["X-Custom"] == "yes"
    assert r.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    assert r.headers["Content-Type"] == "application/json"
    _check_gateway_headers(r)


def test_boto3_style_invoker_result(server, http):
    r = http.request("GET", f"{server.url}/t/boto3dict")
    assert (r.status, r.data) == (202, b"dict")


def test_binary_response(server, http):
    r = http.request("GET", f"{server.url}/t/binary")
    assert r.status == 200
    assert r.data == b"\x89PNG\x00\x01"
    assert r.headers["Content-Type"] == "image/png"


def test_event_received_by_function(server, http):
    r = http.request("PUT", f"{server.url}/prod/t/echo?x=1&x=2", body=b'{"bad json',
                     headers={"Content-Type": "application/json", "X-Multi": "a"})
    assert r.status == 200
    ev = json.loads(r.data)
    assert set(ev) == EVENT_KEYS
    assert ev["httpMethod"] == "PUT"
    assert ev["resource"] == "/t/echo"
    assert ev["path"] == "/t/echo"
    assert ev["body"] == '{"bad json'  # the gateway does not parse bodies
    assert ev["multiValueQueryStringParameters"] == {"x": ["1", "2"]}
    assert ev["stageVariables"] == {"env": "test"}
    ctx = ev["requestContext"]
    assert ctx["requestId"] == r.headers["x-amzn-RequestId"]
    assert ctx["extendedRequestId"] == r.headers["x-amz-apigw-id"]
    assert ctx["apiId"] == "api1" and ctx["stage"] == "prod" and ctx["resourceId"]
    assert ctx["identity"]["sourceIp"] == "127.0.0.1"
    assert ev["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert ev["headers"]["X-Multi"] == "a"


@pytest.mark.parametrize(
    "name,status,message,error_type",
    [
        ("handled", 502, "Internal server error", "InternalServerErrorException"),
        ("malformed", 502, "Internal server error", "InternalServerErrorException"),
        ("not-json", 502, "Internal server error", "InternalServerErrorException"),
        ("lambda-404", 502, "Internal server error", "InternalServerErrorException"),
        ("unreachable", 502, "Internal server error", "InternalServerErrorException"),
        ("crash", 502, "Internal server error", "InternalServerErrorException"),
        ("sandbox-timeout", 502, "Internal server error", "InternalServerErrorException"),
        ("integration-timeout", 504, "Endpoint request timed out", None),
        ("lambda-throttled", 429, "Too Many Requests", "TooManyRequestsException"),
        ("no-integration", 500, "Internal server error", "InternalServerErrorException"),
    ],
)
def test_integration_error_mapping(server, http, name, status, message, error_type):
    r = http.request("GET", f"{server.url}/t/{name}")
    assert r.status == status
    assert json.loads(r.data) == {"message": message}
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers.get("x-amzn-ErrorType") == error_type
    _check_gateway_headers(r)


def test_mock_integration(server, http):
    r = http.request("OPTIONS", f"{server.url}/t/mock")
    assert r.status == 200
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_head_has_no_body(server, http):
    r = http.request("HEAD", f"{server.url}/t/ok")
    assert r.status == 201
    assert r.data == b""


def test_access_log_record_and_metrics(server, http):
    before = len(server.records)
    r = http.request("GET", f"{server.url}/t/handled", headers={"User-Agent": "ua-test"})
    assert r.status == 502
    rec = next(x for x in server.records[before:] if x["requestId"] == r.headers["x-amzn-RequestId"])
    assert rec["status"] == 502
    assert rec["resourcePath"] == "/t/handled"
    assert rec["path"] == "/t/handled"
    assert rec["httpMethod"] == "GET"
    assert rec["userAgent"] == "ua-test"
    assert rec["errorType"] == "InternalServerErrorException"
    assert rec["responseLength"] == len(r.data)
    assert rec["integrationLatency"] is not None and rec["latency"] >= 0
    snap = server.metrics.snapshot()
    row = next(s for s in snap["series"] if s["resource"] == "/t/handled" and s["status"] == 502)
    assert row["count"] >= 1 and row["method"] == "GET" and row["apiKey"] == "-"
    assert snap["5xx"] >= 1


# --------------------------------------------------------------------- bad clients


def _raw(server, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            c = s.recv(65536)
            if not c:
                break
            chunks.append(c)
    return b"".join(chunks)


def test_bad_requests_do_not_crash_the_server(server, http):
    assert _raw(server, b"garbage\r\n\r\n").startswith(b"HTTP/1.1 400")
    assert _raw(server, b"GET /t/ok HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(200)) + b"\r\n").startswith(b"HTTP/1.1 431")
    assert _raw(server, b"GET /t/ok HTTP/1.1\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n").startswith(b"HTTP/1.1 431")
    assert _raw(server, b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 414")
    assert _raw(server, b"POST /t/echo HTTP/1.1\r\nContent-Length: nope\r\n\r\n").startswith(b"HTTP/1.1 400")
    assert _raw(server, b"POST /t/echo HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n").startswith(b"HTTP/1.1 413")
    # chunked bodies are read
    resp = _raw(server, b"POST /t/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    assert resp.startswith(b"HTTP/1.1 200")
    assert json.loads(resp.split(b"\r\n\r\n", 1)[1])["body"] == "hello world"
    # still serving
    assert http.request("GET", f"{server.url}/t/ok").status == 201


def test_keep_alive_serves_several_requests_on_one_connection(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        f = s.makefile("rb")
        for _ in range(3):
            s.sendall(b"GET /t/boto3dict HTTP/1.1\r\nHost: x\r\n\r\n")
            status = f.readline()
            assert status.startswith(b"HTTP/1.1 202")
            length = None
            while True:
                line = f.readline()
                if line in (b"\r\n", b""):
                    break
                k, _, v = line.decode().partition(":")
                if k.lower() == "content-length":
                    length = int(v)
                assert k.lower() != "connection" or "close" not in v.lower()
            assert f.read(length) == b"dict"
