"""The stage's access log as API Gateway writes it: the `$context` format rendered per request
(gateway.accesslog), the stage's accessLogSettings read from the control plane (gateway.config),
and the batches shipped to CloudWatch Logs (gateway.cloudwatch_logs)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from gateway.accesslog import CONTEXT_VARIABLE, _VARIABLES, render_access_log
from gateway.cloudwatch_logs import CloudWatchAccessLog, log_group_from_arn, stream_name
from gateway.config import ApiConfig, build_config
from infra.deploy.template import load_yaml

ROOT = Path(__file__).resolve().parents[2]

RECORD = {
    "requestId": "7d3f5c1e-1f0b-4a57-9a55-0c7f0e1c2b3a",
    "extendedRequestId": "FOjNQEjfBcwFtAg=",
    "ip": "127.0.0.1",
    "userAgent": "python-requests/2.32",
    "requestTime": "24/Nov/2026:06:13:27 +0000",
    "requestTimeEpoch": 1795500807123,
    "httpMethod": "POST",
    "resourcePath": "/api/v1/customers/{customer_id}/order-processing",
    "resourceId": "abc123",
    "path": "/api/v1/customers/1/order-processing",
    "stage": "prod",
    "status": 202,
    "protocol": "HTTP/1.1",
    "responseLength": 101,
    "latency": 41.734,
    "integrationLatency": 39.2,
    "integrationStatus": 200,
    "apiKeyId": "k1",
    "apiKeyName": "retail-admin",
    "usagePlanId": "p1",
    "usagePlanName": "retail-admin",
    "errorType": None,
    "errorResponseType": None,
    "errorMessage": None,
}


def template_format() -> str:
    return load_yaml(ROOT / "template.yaml")["Resources"]["RetailApi"]["Properties"]["AccessLogSetting"]["Format"]


def test_the_template_format_renders_one_json_object_per_request():
    line = render_access_log(template_format(), RECORD)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["requestId"] == RECORD["requestId"]
    assert entry["extendedRequestId"] == "FOjNQEjfBcwFtAg="
    assert entry["ip"] == "127.0.0.1"
    assert entry["httpMethod"] == "POST"
    assert entry["resourcePath"] == "/api/v1/customers/{customer_id}/order-processing"
    assert entry["path"] == "/api/v1/customers/1/order-processing"
    assert entry["status"] == "202"
    assert entry["responseLatency"] == "42" and entry["integrationLatency"] == "39"
    assert entry["integrationStatus"] == "200"
    assert entry["apiKeyId"] == "k1"
    assert entry["requestTime"] == "24/Nov/2026:06:13:27 +0000"
    assert entry["errorResponseType"] == "-" and entry["errorMessage"] == "-"  # no value: "-", as on AWS


def test_the_template_format_uses_only_variables_the_gateway_knows_and_no_key_value():
    fmt = template_format()
    names = set(CONTEXT_VARIABLE.findall(fmt))
    assert names <= set(_VARIABLES), names - set(_VARIABLES)
    assert "identity.apiKey" not in names  # the key itself never goes to a log
    assert {"requestId", "identity.sourceIp", "status", "responseLatency", "integrationLatency"} <= names


def test_values_are_json_escaped_and_unknown_variables_are_a_dash():
    record = {**RECORD, "userAgent": 'evil "agent"\n\\x', "errorMessage": 'Forbidden ("no key")'}
    fmt = '{"ua":"$context.identity.userAgent","w":"$context.wafResponseCode","m":$context.error.messageString}'
    entry = json.loads(render_access_log(fmt, record))
    assert entry == {"ua": 'evil "agent"\n\\x', "w": "-", "m": 'Forbidden ("no key")'}


def test_common_log_format_and_trailing_punctuation():
    fmt = ('$context.identity.sourceIp $context.identity.caller [$context.requestTime] '
           '"$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength '
           '$context.requestId.')
    assert render_access_log(fmt, RECORD) == (
        '127.0.0.1 - [24/Nov/2026:06:13:27 +0000] "POST /api/v1/customers/{customer_id}/order-processing HTTP/1.1" '
        f'202 101 {RECORD["requestId"]}.')


def test_gateway_errors_render_their_response_type():
    record = {**RECORD, "status": 403, "resourcePath": None, "apiKeyId": None, "integrationLatency": None,
              "integrationStatus": None, "errorResponseType": "MISSING_AUTHENTICATION_TOKEN",
              "errorMessage": "Missing Authentication Token"}
    entry = json.loads(render_access_log(template_format(), record))
    assert entry["status"] == "403" and entry["resourcePath"] == "-" and entry["apiKeyId"] == "-"
    assert entry["errorResponseType"] == "MISSING_AUTHENTICATION_TOKEN"
    assert entry["errorMessage"] == "Missing Authentication Token"
    assert render_access_log("$context.integration.error", record) == "-"
    failed = {**record, "integrationLatency": 3.0, "errorResponseType": "DEFAULT_5XX", "errorMessage": "Internal server error"}
    assert render_access_log("$context.integration.error", failed) == "Internal server error"


def test_log_group_from_arn():
    assert log_group_from_arn("arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/retail-access:*") \
        == "/aws/apigateway/retail-access"
    assert log_group_from_arn("arn:aws:logs:us-east-1:123456789012:log-group:my-group") == "my-group"
    assert log_group_from_arn("arn:aws:firehose:us-east-1:123456789012:deliverystream/amazon-apigateway-x") is None
    assert log_group_from_arn(None) is None


def test_stream_name_is_per_day_stage_and_gateway():
    assert stream_name(RECORD["requestTimeEpoch"], "prod", "ab12") == "2026/11/24/[prod]ab12"


def _stage(settings: dict | None) -> dict:
    stage = {"stageName": "prod", "deploymentId": "d1"}
    if settings is not None:
        stage["accessLogSettings"] = settings
    return stage


def test_config_reads_the_stages_access_log_settings():
    common = dict(rest_api={"id": "api1", "name": "retail-api"}, resources=[], usage_plans=[], api_keys=[],
                  usage_plan_keys={}, region="us-east-1")
    cfg = build_config(stage=_stage({"destinationArn": "arn:aws:logs:us-east-1:1:log-group:g:*", "format": "$context.requestId"}),
                       **common)
    assert cfg.access_log_destination_arn == "arn:aws:logs:us-east-1:1:log-group:g:*"
    assert cfg.access_log_format == "$context.requestId"
    bare = build_config(stage=_stage(None), **common)
    assert bare.access_log_destination_arn is None and bare.access_log_format is None


# ---------------------------------------------------------------- shipping


class FakeLogs:
    def __init__(self, fail_put: Exception | None = None, groups=("g",)):
        self.groups = set(groups)
        self.streams: dict[tuple[str, str], list[dict]] = {}
        self.calls: list[str] = []
        self.fail_put = fail_put
        self.lock = threading.Lock()

    def create_log_stream(self, logGroupName, logStreamName):
        with self.lock:
            self.calls.append("create_log_stream")
            if logGroupName not in self.groups:
                raise ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "CreateLogStream")
            if (logGroupName, logStreamName) in self.streams:
                raise ClientError({"Error": {"Code": "ResourceAlreadyExistsException"}}, "CreateLogStream")
            self.streams[(logGroupName, logStreamName)] = []

    def put_log_events(self, logGroupName, logStreamName, logEvents):
        with self.lock:
            self.calls.append("put_log_events")
            if self.fail_put is not None:
                raise self.fail_put
            if (logGroupName, logStreamName) not in self.streams:
                raise ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "PutLogEvents")
            timestamps = [e["timestamp"] for e in logEvents]
            assert timestamps == sorted(timestamps)
            self.streams[(logGroupName, logStreamName)] += logEvents


def _cfg(arn="arn:aws:logs:us-east-1:123456789012:log-group:g:*", fmt='{"id":"$context.requestId","api":"$context.apiId"}'):
    return ApiConfig(deployed=True, rest_api_name="retail-api", stage_name="prod", region="us-east-1",
                     rest_api_id="api1", access_log_destination_arn=arn, access_log_format=fmt)


def _shipper(client, cfg):
    box = {"cfg": cfg}
    return CloudWatchAccessLog(None, "us-east-1", lambda: box["cfg"], client=client, interval=0.01).start(), box


def test_lines_are_shipped_in_batches_to_the_stages_group():
    logs = FakeLogs()
    shipper, _ = _shipper(logs, _cfg())
    try:
        for i in range(25):
            shipper.submit({**RECORD, "requestId": f"r{i}", "requestTimeEpoch": RECORD["requestTimeEpoch"] + (25 - i)})
        assert shipper.flush()
    finally:
        shipper.close()
    (key, events), = logs.streams.items()
    assert key == ("g", f"2026/11/24/[prod]{shipper.instance}")
    assert sorted(json.loads(e["message"])["id"] for e in events) == sorted(f"r{i}" for i in range(25))
    assert all(json.loads(e["message"])["api"] == "api1" for e in events)
    assert logs.calls.count("create_log_stream") == 1  # the stream is created on first use only
    assert logs.calls.count("put_log_events") < 25  # batched
    assert shipper.shipped == 25 and shipper.dropped == 0


def test_nothing_is_shipped_without_access_log_settings():
    logs = FakeLogs()
    shipper, box = _shipper(logs, _cfg(arn=None, fmt=None))
    try:
        shipper.submit(RECORD)
        assert shipper.flush()
        box["cfg"] = _cfg()  # settings appear with the next configuration read
        shipper.submit(RECORD)
        assert shipper.flush()
    finally:
        shipper.close()
    assert sum(len(v) for v in logs.streams.values()) == 1


@pytest.mark.parametrize("client", [
    FakeLogs(fail_put=ClientError({"Error": {"Code": "ThrottlingException"}}, "PutLogEvents")),
    FakeLogs(fail_put=ConnectionError("endpoint down")),
    FakeLogs(groups=()),  # the group does not exist: AWS does not create it either
])
def test_a_failure_to_ship_is_logged_never_raised(client, caplog):
    shipper, _ = _shipper(client, _cfg())
    try:
        shipper.submit(RECORD)  # never raises, never blocks
        assert shipper.flush()
        assert shipper.dropped == 1 and shipper.shipped == 0
        shipper.submit(RECORD)
        assert shipper.flush()
    finally:
        shipper.close()
    assert any("access log" in r.getMessage() for r in caplog.records)


def test_a_full_queue_drops_instead_of_blocking():
    shipper = CloudWatchAccessLog(None, "us-east-1", _cfg, client=FakeLogs(), max_queue=2)  # not started
    for _ in range(5):
        shipper.submit(RECORD)
    assert shipper.dropped == 3


def test_close_ships_what_is_queued():
    logs = FakeLogs()
    shipper = CloudWatchAccessLog(None, "us-east-1", _cfg, client=logs, interval=5.0).start()
    for i in range(3):
        shipper.submit({**RECORD, "requestId": f"c{i}"})
    shipper.close()
    assert sum(len(v) for v in logs.streams.values()) == 3


def test_the_local_access_log_file_rotates_past_its_size_bound(tmp_path, monkeypatch):
    import json

    from gateway import accesslog

    monkeypatch.setattr(accesslog, "MAX_FILE_BYTES", 2_000)
    path = tmp_path / "logs" / "access.log"
    path.parent.mkdir()
    path.write_text("x" * 3_000)   # a full file from an earlier run is rotated at start
    writer = accesslog.AccessLogWriter(str(path))
    assert (tmp_path / "logs" / "access.log.1").read_text() == "x" * 3_000
    for i in range(100):
        writer.write({"requestId": f"r{i}", "status": 200, "path": "/api/v1/products"})
    writer.close()
    current = [json.loads(line) for line in path.read_text().splitlines()]
    backup = [json.loads(line) for line in (tmp_path / "logs" / "access.log.1").read_text().splitlines()]
    ids = [r["requestId"] for r in backup + current]
    assert path.stat().st_size < 2_000 + 100 * 80   # bounded: at most one batch past the bound
    assert ids and ids == [f"r{i}" for i in range(100 - len(ids), 100)]   # the newest lines, in order


def test_the_authorizers_variables_render_what_it_answered():
    allowed = {**RECORD, "authorizerPrincipalId": "k1", "authorizerContext": {"role": "store", "keyName": "retail-store"},
               "authorizerStatus": 200, "authorizerLatency": 3.4, "authorizerIntegrationLatency": 2.6,
               "authorizerIntegrationStatus": 200}
    entry = json.loads(render_access_log(template_format(), allowed))
    assert entry["principalId"] == "k1" and entry["authorizerError"] == "-"
    assert render_access_log("$context.authorizer.role $context.authorizer.keyName $context.authorizer.status "
                             "$context.authorizer.latency $context.authorizer.integrationLatency "
                             "$context.authorizer.nothing", allowed) == "store retail-store 200 3 3 -"
    refused = {**RECORD, "status": 401, "apiKeyId": None, "authorizerStatus": 401, "authorizerError": "Unauthorized",
               "errorResponseType": "UNAUTHORIZED", "errorMessage": "Unauthorized"}
    entry = json.loads(render_access_log(template_format(), refused))
    assert entry["principalId"] == "-" and entry["authorizerError"] == "Unauthorized"
    # a method without an authorizer: every $context.authorizer variable is "-"
    assert render_access_log("$context.authorizer.principalId $context.authorizer.role", RECORD) == "- -"
