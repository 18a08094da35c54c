"""CloudWatch on the endpoint the environment names (AWS_ENDPOINT_URL*): metric data, the
dimensions a metric has been published with, and the stack's alarms."""
from __future__ import annotations

import datetime as dt
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.aws import client
from web.errors import ApiUnavailable


def _cloudwatch(attempts: int = 2) -> Any:
    return client("cloudwatch", read_timeout=10, retries=attempts)


def _unavailable(exc: Exception) -> ApiUnavailable:
    return ApiUnavailable(f"CloudWatch could not answer ({exc.__class__.__name__}: {exc}).")


def metric_data(queries: list[dict[str, Any]], start: dt.datetime, end: dt.datetime,
                *, attempts: int = 2) -> dict[str, list[tuple[dt.datetime, float]]]:
    """Query id -> [(timestamp, value)], oldest first."""
    results: dict[str, list[tuple[dt.datetime, float]]] = {q["Id"]: [] for q in queries}
    try:
        for chunk in (queries[i:i + 500] for i in range(0, len(queries), 500)):
            paginator = _cloudwatch(attempts).get_paginator("get_metric_data")
            for page in paginator.paginate(MetricDataQueries=chunk, StartTime=start, EndTime=end,
                                           ScanBy="TimestampAscending"):
                for result in page["MetricDataResults"]:
                    results[result["Id"]] += [(t.astimezone(dt.timezone.utc), float(v))
                                              for t, v in zip(result["Timestamps"], result["Values"], strict=False)
                                              if v is not None]
    except (ClientError, BotoCoreError) as exc:
        raise _unavailable(exc) from None
    return {k: sorted(v) for k, v in results.items()}


def dimension_values(namespace: str, metric: str, dimension: str) -> list[str]:
    """Every value of ``dimension`` that ``metric`` has been published with."""
    values: set[str] = set()
    try:
        for page in _cloudwatch().get_paginator("list_metrics").paginate(Namespace=namespace, MetricName=metric):
            for m in page["Metrics"]:
                values |= {d["Value"] for d in m.get("Dimensions", []) if d["Name"] == dimension}
    except (ClientError, BotoCoreError) as exc:
        raise _unavailable(exc) from None
    return sorted(values)


def alarms(prefix: str) -> list[dict[str, Any]]:
    try:
        found: list[dict[str, Any]] = []
        for page in _cloudwatch().get_paginator("describe_alarms").paginate(AlarmNamePrefix=prefix):
            found += page.get("MetricAlarms", []) + page.get("CompositeAlarms", [])
    except (ClientError, BotoCoreError) as exc:
        raise _unavailable(exc) from None
    return sorted(found, key=lambda a: a["AlarmName"])
