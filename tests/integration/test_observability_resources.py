"""The deployed stack has the four CloudWatch dashboards and the five alarms of template.yaml,
as the deployer put them on the endpoint (``aws cloudwatch list-dashboards / describe-alarms``)."""
from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.integration  # starts the whole stack (the session's session_stack)

DASHBOARDS = ("gateway-overview", "services-performance", "business", "saga")
ALARMS = ("api-5xx-rate", "api-latency-p95", "saga-failed", "throttling", "low-stock")


@pytest.fixture(scope="module")
def cloudwatch(aws):
    return aws("cloudwatch")


def test_the_four_dashboards_are_deployed(cloudwatch, session_stack):
    stack = session_stack.stack_name
    names = {d["DashboardName"] for d in cloudwatch.list_dashboards(DashboardNamePrefix=f"{stack}-")["DashboardEntries"]}
    assert {f"{stack}-{suffix}" for suffix in DASHBOARDS} <= names
    for suffix in DASHBOARDS:
        body = json.loads(cloudwatch.get_dashboard(DashboardName=f"{stack}-{suffix}")["DashboardBody"])
        assert body["widgets"]
        text = json.dumps(body)
        assert "${" not in text  # every Fn::Sub variable was resolved
        assert f'"region": "{session_stack.region}"' in text


def test_dashboards_name_the_deployed_api_functions_and_alarms(cloudwatch, session_stack):
    stack = session_stack.stack_name
    gateway = cloudwatch.get_dashboard(DashboardName=f"{stack}-gateway-overview")["DashboardBody"]
    assert f'"ApiName", "{stack}-api", "Stage", "{session_stack.parameters.get("StageName", "prod")}"' in gateway
    alarm_arn = cloudwatch.describe_alarms(AlarmNames=[f"{stack}-api-5xx-rate"])["MetricAlarms"][0]["AlarmArn"]
    assert alarm_arn in gateway
    services = cloudwatch.get_dashboard(DashboardName=f"{stack}-services-performance")["DashboardBody"]
    assert f'"FunctionName", "{session_stack.stack.physical_id("InventoryFunction")}"' in services


def test_the_five_alarms_are_deployed(cloudwatch, session_stack):
    stack = session_stack.stack_name
    found = cloudwatch.describe_alarms(AlarmNames=[f"{stack}-{a}" for a in ALARMS])["MetricAlarms"]
    alarms = {a["AlarmName"].removeprefix(f"{stack}-"): a for a in found}
    assert set(alarms) == set(ALARMS)
    for alarm in alarms.values():
        assert alarm["TreatMissingData"] == "notBreaching"
        assert alarm["AlarmActions"] == []  # no AlarmTopicArn: state only

    latency = alarms["api-latency-p95"]
    assert (latency["Namespace"], latency["MetricName"], latency["ExtendedStatistic"]) == ("AWS/ApiGateway", "Latency", "p95")
    assert {d["Name"]: d["Value"] for d in latency["Dimensions"]}["ApiName"] == f"{stack}-api"
    assert latency["Threshold"] == 1000.0 and latency["ComparisonOperator"] == "GreaterThanThreshold"

    failed = alarms["saga-failed"]
    assert (failed["Namespace"], failed["MetricName"], failed["Statistic"]) == ("RetailPlatform", "Sagas", "Sum")
    assert {d["Name"]: d["Value"] for d in failed["Dimensions"]} == {"service": "sagas", "status": "failed"}
    assert failed["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" and failed["Threshold"] == 1.0

    rate = alarms["api-5xx-rate"]
    expressions = [q["Expression"] for q in rate["Metrics"] if q.get("Expression")]
    stats = {q["MetricStat"]["Metric"]["MetricName"] for q in rate["Metrics"] if q.get("MetricStat")}
    assert expressions == ["100 * FILL(errors, 0) / requests"] and stats == {"5XXError", "Count"}
    assert rate["Threshold"] == 5.0

    throttling = {(q["MetricStat"]["Metric"]["Namespace"], q["MetricStat"]["Metric"]["MetricName"])
                  for q in alarms["throttling"]["Metrics"] if q.get("MetricStat")}
    assert throttling == {("RetailPlatform/Gateway", "ThrottledRequests"), ("AWS/Lambda", "Throttles")}

    low = [q["MetricStat"]["Metric"] for q in alarms["low-stock"]["Metrics"] if q.get("MetricStat")]
    assert {m["MetricName"] for m in low} == {"LowStockAlerts"}
    assert {m["Dimensions"][0]["Value"] for m in low} == {"inventory", "retail"}


def test_the_access_log_throttle_metric_filter_is_deployed(aws, session_stack):
    group = f"/aws/apigateway/{session_stack.stack_name}-access"
    (metric_filter,) = aws("logs").describe_metric_filters(logGroupName=group)["metricFilters"]
    assert metric_filter["filterPattern"] == '{ $.status = "429" }'
    (transformation,) = metric_filter["metricTransformations"]
    assert (transformation["metricNamespace"], transformation["metricName"]) == ("RetailPlatform/Gateway", "ThrottledRequests")
