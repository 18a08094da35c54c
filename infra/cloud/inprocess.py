"""The CloudWatch calls of the gateway answered by this process's backends directly.

When the embedded cloud serves the gateway itself, the gateway's access log (CloudWatch Logs
``CreateLogStream``/``PutLogEvents``) and its metrics (``PutMetricData``) would otherwise go
through boto3 and HTTP back into this very process: serialized by botocore, parsed again by
moto's server, several percent of the endpoint's CPU under load (docs/performance.md). These
two small clients take the same calls, with the same arguments, and hand them to the same
moto backends the API would reach; errors come back as botocore ``ClientError``s with the
API's error codes, as the callers expect. (Lambda's own logs and metrics already take this
path: ``server.LogsSink``, ``metrics.MetricsHub``.)
"""
from __future__ import annotations

from typing import Any, Callable

from botocore.exceptions import ClientError


def _client_error(exc: Exception, operation: str) -> ClientError:
    code = getattr(exc, "error_type", None) or type(exc).__name__
    return ClientError({"Error": {"Code": code.split("#")[-1], "Message": getattr(exc, "message", str(exc))}},
                       operation)


class LogsClient:
    def __init__(self, backend: Callable[[], Any]):
        self._backend = backend

    def create_log_stream(self, *, logGroupName: str, logStreamName: str) -> dict:
        try:
            self._backend().create_log_stream(logGroupName, logStreamName)
        except Exception as exc:  # moto's API errors -> the API's error codes
            raise _client_error(exc, "CreateLogStream") from exc
        return {}

    def put_log_events(self, *, logGroupName: str, logStreamName: str, logEvents: list[dict]) -> dict:
        try:
            self._backend().put_log_events(logGroupName, logStreamName, logEvents)
        except Exception as exc:
            raise _client_error(exc, "PutLogEvents") from exc
        return {}


class CloudWatchClient:
    def __init__(self, backend: Callable[[], Any]):
        self._backend = backend

    def put_metric_data(self, *, Namespace: str, MetricData: list[dict]) -> dict:  # noqa: N803 - the API's names
        try:
            self._backend().put_metric_data(Namespace, MetricData)
        except Exception as exc:
            raise _client_error(exc, "PutMetricData") from exc
        return {}
