"""The Operations page: the reference's dashboards (API traffic, latency, errors, throttling;
Lambda errors and duration per function; sagas by status, compensations by type) as
GetMetricData queries, and their answers as charts."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from web.errors import BadInput
from web.logic.charts import Chart, Dataset

APIGATEWAY, GATEWAY, LAMBDA = "AWS/ApiGateway", "RetailPlatform/Gateway", "AWS/Lambda"
WINDOWS = {"1": ("Last hour", 60), "3": ("Last 3 hours", 300), "24": ("Last 24 hours", 900)}


@dataclass(frozen=True)
class Window:
    hours: int
    period: int            # seconds per point of the time series
    start: dt.datetime
    end: dt.datetime

    @property
    def seconds(self) -> int:
        return self.hours * 3600

    def axis(self) -> list[dt.datetime]:
        first = self.start.replace(second=0, microsecond=0)
        count = self.seconds // self.period + 1
        return [first + dt.timedelta(seconds=i * self.period) for i in range(count)]


def window(hours: str | None, now: dt.datetime) -> Window:
    key = hours or "1"
    if key not in WINDOWS:
        raise BadInput(f"The window is one of {', '.join(WINDOWS)} hours, not {key!r}.")
    end = now.astimezone(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(minutes=1)
    return Window(int(key), WINDOWS[key][1], end - dt.timedelta(hours=int(key)), end)


def _query(qid: str, namespace: str, metric: str, dimensions: dict[str, str], stat: str, period: int) -> dict[str, Any]:
    return {"Id": qid, "ReturnData": True, "MetricStat": {
        "Metric": {"Namespace": namespace, "MetricName": metric,
                   "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()]},
        "Period": period, "Stat": stat}}


def api_queries(api_name: str, stage: str, w: Window) -> list[dict[str, Any]]:
    dims = {"ApiName": api_name, "Stage": stage}
    return [_query("requests", APIGATEWAY, "Count", dims, "Sum", w.period),
            _query("errors4xx", APIGATEWAY, "4XXError", dims, "Sum", w.period),
            _query("errors5xx", APIGATEWAY, "5XXError", dims, "Sum", w.period),
            _query("throttled", GATEWAY, "ThrottledRequests", {}, "Sum", w.period),
            _query("latency_avg", APIGATEWAY, "Latency", dims, "Average", w.period),
            _query("latency_max", APIGATEWAY, "Latency", dims, "Maximum", w.period)]


def p95_query(api_name: str, stage: str, w: Window) -> list[dict[str, Any]]:
    """Asked on its own: an endpoint that computes no percentiles fails this query alone."""
    return [_query("latency_p95", APIGATEWAY, "Latency", {"ApiName": api_name, "Stage": stage}, "p95", w.period)]


def total_queries(namespace: str, functions: list[str], statuses: list[str], compensations: list[str],
                  w: Window) -> list[dict[str, Any]]:
    """One value per series over the whole window: Lambda errors and duration per function, sagas
    per status, compensations per type."""
    queries = []
    for i, name in enumerate(functions):
        queries.append(_query(f"fn_errors_{i}", LAMBDA, "Errors", {"FunctionName": name}, "Sum", w.seconds))
        queries.append(_query(f"fn_invocations_{i}", LAMBDA, "Invocations", {"FunctionName": name}, "Sum", w.seconds))
        queries.append(_query(f"fn_duration_{i}", LAMBDA, "Duration", {"FunctionName": name}, "Average", w.seconds))
        queries.append(_query(f"fn_duration_max_{i}", LAMBDA, "Duration", {"FunctionName": name}, "Maximum", w.seconds))
    for i, status in enumerate(statuses):
        queries.append(_query(f"saga_{i}", namespace, "Sagas", {"service": "sagas", "status": status}, "Sum", w.seconds))
    for i, kind in enumerate(compensations):
        queries.append(_query(f"comp_{i}", namespace, "SagaCompensations",
                              {"service": "sagas", "compensation_type": kind}, "Sum", w.seconds))
    return queries


Points = list[tuple[dt.datetime, float]]


def on_axis(points: Points, w: Window, *, fill: float | None) -> list[float | None]:
    """A series on the window's axis (one value per period; ``fill`` where there is no datum)."""
    axis = w.axis()
    values: list[float | None] = [fill] * len(axis)
    for when, value in points:
        index = int((when - axis[0]).total_seconds() // w.period)
        if 0 <= index < len(axis):
            values[index] = value if values[index] is None else values[index] + value  # type: ignore[operator]
    return values


def _labels(w: Window) -> list[str]:
    return [t.strftime("%H:%M" if w.hours < 24 else "%d %H:%M") for t in w.axis()]


def traffic_chart(data: dict[str, Points], w: Window) -> Chart:
    per_second = [round(v / w.period, 3) for v in on_axis(data["requests"], w, fill=0.0)]  # type: ignore[operator]
    return Chart("traffic", "API requests per second, errors and throttled requests", "line", _labels(w), [
        Dataset("Requests/s", per_second, 2),
        Dataset("4xx (per period)", on_axis(data["errors4xx"], w, fill=0.0)),
        Dataset("5xx (per period)", on_axis(data["errors5xx"], w, fill=0.0)),
        Dataset("Throttled 429 (per period)", on_axis(data["throttled"], w, fill=0.0)),
    ], y_title=f"per second / per {w.period} s", label_title="Time (UTC)")


def latency_chart(data: dict[str, Points], w: Window) -> Chart:
    datasets = []
    if "latency_p95" in data:
        datasets.append(Dataset("p95", on_axis(data["latency_p95"], w, fill=None)))
    datasets += [Dataset("Average", on_axis(data["latency_avg"], w, fill=None)),
                 Dataset("Maximum", on_axis(data["latency_max"], w, fill=None))]
    for d in datasets:
        d.decimals = 1
    return Chart("latency", "API latency (ms)", "line", _labels(w), datasets, y_title="ms", label_title="Time (UTC)")


def _total(points: Points) -> float:
    return round(sum(v for _, v in points), 3)


def _last(points: Points) -> float | None:
    return round(points[-1][1], 1) if points else None


def short_name(function: str, stack_prefix: str) -> str:
    return function.removeprefix(stack_prefix)


def functions_chart(data: dict[str, Points], functions: list[str], stack_prefix: str) -> Chart:
    return Chart("functions", "Lambda functions: invocations, errors, duration (ms)", "bar",
                 [short_name(f, stack_prefix) for f in functions], [
                     Dataset("Invocations", [_total(data[f"fn_invocations_{i}"]) for i in range(len(functions))]),
                     Dataset("Errors", [_total(data[f"fn_errors_{i}"]) for i in range(len(functions))]),
                     Dataset("Average duration (ms)", [_last(data[f"fn_duration_{i}"]) for i in range(len(functions))], 1),
                     Dataset("Maximum duration (ms)",
                             [_last(data[f"fn_duration_max_{i}"]) for i in range(len(functions))], 1, in_chart=False),
                 ], y_title="count / ms", label_title="Function")


def sagas_chart(data: dict[str, Points], statuses: list[str]) -> Chart:
    return Chart("sagas", "Sagas ended, by status", "bar", statuses,
                 [Dataset("Sagas", [_total(data[f"saga_{i}"]) for i in range(len(statuses))])],
                 y_title="sagas", label_title="Status")


def compensations_chart(data: dict[str, Points], kinds: list[str]) -> Chart:
    return Chart("compensations", "Compensations, by type", "bar", kinds,
                 [Dataset("Compensations", [_total(data[f"comp_{i}"]) for i in range(len(kinds))])],
                 y_title="compensations", label_title="Compensation")


def alarm_rows(alarms: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": a["AlarmName"], "state": a.get("StateValue", "INSUFFICIENT_DATA"),
             "reason": a.get("StateReason", ""), "description": a.get("AlarmDescription", ""),
             "updated": a.get("StateUpdatedTimestamp")} for a in alarms]
