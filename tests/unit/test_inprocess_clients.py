"""The gateway's CloudWatch calls answered in-process (infra/cloud/inprocess.py): same backend
effects and the same API error codes as the HTTP API."""
import time
import uuid

import pytest
from botocore.exceptions import ClientError
from moto.cloudwatch.models import cloudwatch_backends
from moto.logs.models import logs_backends

from infra.cloud.inprocess import CloudWatchClient, LogsClient

ACCOUNT, REGION = "123456789012", "eu-west-3"


@pytest.fixture
def logs():
    backend = logs_backends[ACCOUNT][REGION]
    group = f"/aws/apigateway/test-{uuid.uuid4().hex[:8]}"
    backend.create_log_group(group, tags={})
    return backend, group, LogsClient(lambda: backend)


def test_log_events_land_in_the_stream(logs):
    backend, group, client = logs
    client.create_log_stream(logGroupName=group, logStreamName="s")
    client.put_log_events(logGroupName=group, logStreamName="s",
                          logEvents=[{"timestamp": int(time.time() * 1000), "message": "line"}])
    assert [e.message for e in backend.groups[group].streams["s"].events] == ["line"]


def test_errors_carry_the_api_error_codes(logs):
    _, group, client = logs
    client.create_log_stream(logGroupName=group, logStreamName="s")
    with pytest.raises(ClientError) as err:
        client.create_log_stream(logGroupName=group, logStreamName="s")
    assert err.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    with pytest.raises(ClientError) as err:
        client.put_log_events(logGroupName=group + "-missing", logStreamName="s",
                              logEvents=[{"timestamp": 1_700_000_000_000, "message": "x"}])
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_metric_data_reaches_the_cloudwatch_backend():
    backend = cloudwatch_backends[ACCOUNT][REGION]
    namespace = f"Test/{uuid.uuid4().hex[:8]}"
    CloudWatchClient(lambda: backend).put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": "Count", "Dimensions": [{"Name": "ApiName", "Value": "a"}], "Unit": "Count",
         "StatisticValues": {"SampleCount": 3, "Sum": 3, "Minimum": 1, "Maximum": 1}}])
    assert any(d.namespace == namespace and d.name == "Count" for d in backend.metric_data)
