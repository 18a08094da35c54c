"""Dashboards and alarms only use metrics the system publishes (observability/catalog.py), and the
code publishes every metric of the catalog.

- template.yaml: the four CloudWatch dashboards and the five alarms name only catalog metrics,
  with the catalog's dimension names.
- observability/grafana and observability/prometheus: every PromQL expression names only the
  catalog's Prometheus metrics (histograms as ``_bucket``/``_sum``/``_count``) and their labels.
- every catalog metric's ``source`` file emits it.
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import yaml

from infra.deploy.template import load_yaml
from observability import catalog

ROOT = Path(__file__).resolve().parents[2]
OBS = ROOT / "observability"
TEMPLATE = load_yaml(ROOT / "template.yaml")
RESOURCES = TEMPLATE["Resources"]

DASHBOARDS = {"GatewayOverviewDashboard": "gateway-overview", "ServicesPerformanceDashboard": "services-performance",
              "BusinessDashboard": "business", "SagaDashboard": "saga"}
ALARMS = {"Api5xxRateAlarm", "ApiLatencyP95Alarm", "SagaFailedAlarm", "ThrottlingAlarm", "LowStockAlarm"}
GRAFANA = ("gateway-overview", "services-performance", "business", "saga")
SUB_VAR = re.compile(r"\$\{([^!}][^}]*)\}")
EXPRESSION_ID = re.compile(r"\b([a-z][A-Za-z0-9_]*)\b")  # metric math ids; functions are upper case


# --------------------------------------------------------------------------- CloudWatch side
def _dimension_sets() -> dict[tuple[str, str], list[set[str]]]:
    """(namespace, name) -> the dimension-name sets it is published with (CloudWatch dimensions are a set)."""
    sets: dict[tuple[str, str], list[set[str]]] = {}
    for m in catalog.METRICS:
        sets.setdefault((m.namespace, m.name), []).append(set(m.dimensions))
    for namespace, name, dims in catalog.CLOUDWATCH_ONLY:
        sets.setdefault((namespace, name), []).append(set(dims))
    return sets


PUBLISHED = _dimension_sets()


def check_metric(namespace: str, name: str, dimensions: list[str], where: str) -> None:
    assert (namespace, name) in catalog.published(), f"{where}: {namespace} {name} is not in the catalog"
    assert len(dimensions) == len(set(dimensions)), f"{where}: {namespace} {name} repeats a dimension {dimensions}"
    assert set(dimensions) in PUBLISHED[(namespace, name)], (
        f"{where}: {namespace} {name} with dimensions {sorted(dimensions)}; the catalog publishes it with "
        f"{[sorted(s) for s in PUBLISHED[(namespace, name)]]}")


def dashboard_body(logical_id: str) -> dict:
    text = RESOURCES[logical_id]["Properties"]["DashboardBody"]["Fn::Sub"]
    return json.loads(SUB_VAR.sub(lambda m: "placeholder-" + m.group(1).replace(":", "-"), text))


def metric_entries(body: dict):
    """(widget title, entry) for every entry of every metric widget's ``metrics``."""
    for widget in body["widgets"]:
        if widget["type"] == "metric":
            for entry in widget["properties"]["metrics"]:
                yield widget["properties"]["title"], widget, entry


def test_the_template_has_the_four_dashboards_and_five_alarms():
    dashboards = {lid for lid, r in RESOURCES.items() if r["Type"] == "AWS::CloudWatch::Dashboard"}
    alarms = {lid for lid, r in RESOURCES.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    assert dashboards == set(DASHBOARDS)
    assert alarms == ALARMS
    for lid, suffix in DASHBOARDS.items():
        assert RESOURCES[lid]["Properties"]["DashboardName"] == {"Fn::Sub": "${AWS::StackName}-" + suffix}


@pytest.mark.parametrize("logical_id", sorted(DASHBOARDS))
def test_dashboard_body_is_json_with_widgets(logical_id):
    body = dashboard_body(logical_id)
    assert body["widgets"], logical_id
    for widget in body["widgets"]:
        assert widget["type"] in ("metric", "text", "alarm"), widget
        assert {"x", "y", "width", "height"} <= widget.keys()
        assert widget["x"] + widget["width"] <= 24
        if widget["type"] == "metric":
            props = widget["properties"]
            assert props["title"] and props["metrics"] and props["region"] == "placeholder-AWS--Region"


@pytest.mark.parametrize("logical_id", sorted(DASHBOARDS))
def test_dashboard_metrics_are_in_the_catalog_with_its_dimensions(logical_id):
    body = dashboard_body(logical_id)
    for title, widget, entry in metric_entries(body):
        where = f"{logical_id} / {title}"
        if len(entry) == 1 and isinstance(entry[0], dict):
            assert "expression" in entry[0], where
            ids = {e[-1]["id"] for e in widget["properties"]["metrics"] if isinstance(e[-1], dict) and "id" in e[-1]}
            used = set(EXPRESSION_ID.findall(entry[0]["expression"]))
            assert used <= ids, f"{where}: expression {entry[0]['expression']} uses undefined ids {used - ids}"
            continue
        names = [e for e in entry if isinstance(e, str)]
        assert "..." not in names and "." not in names, f"{where}: write every entry in full (no '...' shorthand)"
        assert all(isinstance(e, str) for e in entry[:len(names)]), where  # options only at the end
        namespace, name, *pairs = names
        assert len(pairs) % 2 == 0, f"{where}: {entry}"
        check_metric(namespace, name, pairs[0::2], where)


def test_every_dashboard_covers_its_reference_dashboard():
    def names(lid):
        return {entry[1] for _, _, entry in metric_entries(dashboard_body(lid)) if isinstance(entry[0], str)}

    assert {"Count", "Latency", "4XXError", "5XXError", "IntegrationLatency", "ThrottledRequests"} <= names(
        "GatewayOverviewDashboard")
    assert {"Duration", "Invocations", "Errors", "Throttles", "ConcurrentExecutions", "ColdStart"} <= names(
        "ServicesPerformanceDashboard")
    assert {"OrdersCreated", "ProductsSold", "OrderValue", "LowStockAlerts", "SalesCreated", "PaymentsCaptured",
            "PaymentsDeclined"} <= names("BusinessDashboard")
    assert {"Sagas", "SagaDuration", "SagaSteps", "SagaCompensations", "SagaServiceCalls"} <= names("SagaDashboard")


def test_dashboard_alarm_widgets_name_the_template_alarms():
    for lid in DASHBOARDS:
        text = RESOURCES[lid]["Properties"]["DashboardBody"]["Fn::Sub"]
        for var in SUB_VAR.findall(text):
            if var.endswith(".Arn"):
                assert var.removesuffix(".Arn") in ALARMS, (lid, var)


def _value_names(dimensions) -> list[str]:
    return [d["Name"] for d in dimensions or []]


@pytest.mark.parametrize("logical_id", sorted(ALARMS))
def test_alarm_metrics_are_in_the_catalog_with_its_dimensions(logical_id):
    props = RESOURCES[logical_id]["Properties"]
    assert props["TreatMissingData"] == "notBreaching"
    assert props["AlarmName"]["Fn::Sub"].startswith("${AWS::StackName}-")
    if "Metrics" in props:
        assert "MetricName" not in props and "Namespace" not in props
        ids = {q["Id"] for q in props["Metrics"]}
        assert sum(1 for q in props["Metrics"] if q.get("ReturnData", True)) == 1, logical_id
        for query in props["Metrics"]:
            if "Expression" in query:
                used = set(EXPRESSION_ID.findall(query["Expression"]))
                assert used <= ids, f"{logical_id}: {query['Expression']} uses undefined ids {used - ids}"
            else:
                metric = query["MetricStat"]["Metric"]
                check_metric(metric["Namespace"], metric["MetricName"], _value_names(metric.get("Dimensions")),
                             logical_id)
    else:
        assert ("Statistic" in props) != ("ExtendedStatistic" in props), logical_id
        check_metric(props["Namespace"], props["MetricName"], _value_names(props.get("Dimensions")), logical_id)


def test_alarm_definitions():
    fivexx = RESOURCES["Api5xxRateAlarm"]["Properties"]
    assert fivexx["ComparisonOperator"] == "GreaterThanThreshold" and fivexx["Threshold"] == 5
    latency = RESOURCES["ApiLatencyP95Alarm"]["Properties"]
    assert latency["ExtendedStatistic"] == "p95" and latency["Threshold"] == 1000
    failed = RESOURCES["SagaFailedAlarm"]["Properties"]
    assert failed["Dimensions"] == [{"Name": "service", "Value": "sagas"}, {"Name": "status", "Value": "failed"}]
    assert failed["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" and failed["Threshold"] == 1
    low = RESOURCES["LowStockAlarm"]["Properties"]
    services = {q["MetricStat"]["Metric"]["Dimensions"][0]["Value"] for q in low["Metrics"] if "MetricStat" in q}
    assert services == {"inventory", "retail"}


# --------------------------------------------------------------------------- Prometheus side
PROM_NAMES: dict[str, catalog.MetricDef] = {}
for _m in catalog.METRICS:
    if _m.kind == "histogram":
        for _suffix in ("_bucket", "_sum", "_count"):
            PROM_NAMES[_m.prometheus + _suffix] = _m
    else:
        PROM_NAMES[_m.prometheus] = _m

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
            "offset", "inf", "nan"}
STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
SELECTOR = re.compile(r"([A-Za-z_:][\w:]*)\s*\{([^}]*)\}")
MATCHER = re.compile(r"([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)")
GROUPING = re.compile(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)")
IDENT = re.compile(r"(?<![\w:$.])([A-Za-z_:][\w:]*)(?![\w:])(?!\s*\()")


def promql_metrics(expr: str) -> tuple[set[str], set[str], set[str]]:
    """(metric names, labels in matchers, labels in by/on clauses) of a PromQL expression."""
    matcher_labels: set[str] = set()
    for _, inner in SELECTOR.findall(STRING.sub('""', expr)):
        matcher_labels |= set(MATCHER.findall(inner))
    grouping = {label.strip() for group in GROUPING.findall(expr) for label in group.split(",") if label.strip()}
    bare = STRING.sub('""', expr)
    bare = re.sub(r"\{[^}]*\}", "", bare)
    bare = re.sub(r"\[[^\]]*\]", "", bare)
    bare = GROUPING.sub("", bare)
    names = {n for n in IDENT.findall(bare) if n.lower() not in KEYWORDS}
    return names, matcher_labels, grouping


def check_promql(expr: str, where: str) -> None:
    names, matchers, grouping = promql_metrics(expr)
    assert names, f"{where}: no metric in {expr}"
    unknown = names - PROM_NAMES.keys()
    assert not unknown, f"{where}: {sorted(unknown)} not catalog Prometheus names ({expr})"
    labels = {"le"} | {label for n in names for label in PROM_NAMES[n].labels}
    assert matchers <= labels, f"{where}: labels {sorted(matchers - labels)} are not the catalog's ({expr})"
    assert grouping <= labels, f"{where}: grouping by {sorted(grouping - labels)}, not catalog labels ({expr})"


def test_the_promql_checker_finds_names_and_labels():
    names, matchers, grouping = promql_metrics(
        'histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket{status=~"5..",'
        'consumer="a"}[$__rate_interval]))) / sum(increase(total_orders_created[5m])) > 1')
    assert names == {"http_request_duration_seconds_bucket", "total_orders_created"}
    assert matchers == {"status", "consumer"} and grouping == {"le", "route"}
    with pytest.raises(AssertionError):
        check_promql("sum(rate(total_orders_created_total[5m]))", "x")
    with pytest.raises(AssertionError):
        check_promql('sum(rate(http_requests_total{code="500"}[5m]))', "x")


def grafana(name: str) -> dict:
    return json.loads((OBS / "grafana" / "dashboards" / f"{name}.json").read_text())


def panels(dashboard: dict):
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


@pytest.mark.parametrize("name", GRAFANA)
def test_grafana_dashboard_loads_and_needs_no_editing_to_import(name):
    dashboard = grafana(name)
    assert dashboard["schemaVersion"] == 39 and dashboard["uid"] and dashboard["title"]
    assert "${DS_" not in json.dumps(dashboard) and "__inputs" not in dashboard
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    uids = [p.get("id") for p in panels(dashboard)]
    assert len(uids) == len(set(uids))
    graphs = [p for p in panels(dashboard) if p["type"] != "row"]
    assert graphs
    for panel in graphs:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"], panel["title"]
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24


@pytest.mark.parametrize("name", GRAFANA)
def test_grafana_queries_use_catalog_prometheus_names(name):
    dashboard = grafana(name)
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            check_promql(target["expr"], f"{name} / {panel['title']}")
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
            match = re.fullmatch(r"label_values\((\w+),\s*(\w+)\)", query)
            assert match, query
            assert match.group(1) in PROM_NAMES and match.group(2) in PROM_NAMES[match.group(1)].labels, query


def test_alert_rules_are_the_five_alarms_in_promql():
    rules = yaml.safe_load((OBS / "prometheus" / "alert_rules.yml").read_text())
    alerts = [rule for group in rules["groups"] for rule in group["rules"]]
    assert {a["alert"] for a in alerts} == {"Api5xxRate", "ApiLatencyP95", "SagaFailed", "Throttling", "LowStock"}
    assert {a["labels"]["cloudwatch_alarm"] for a in alerts} == ALARMS
    for alert in alerts:
        assert alert["annotations"]["summary"] and alert["labels"]["severity"]
        check_promql(alert["expr"], alert["alert"])
    by_name = {a["alert"]: a["expr"] for a in alerts}
    assert 'http_requests_total{status=~"5.."}' in by_name["Api5xxRate"]
    assert "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))" in by_name[
        "ApiLatencyP95"]
    assert 'saga_orchestrator_sagas_total{status="failed"}' in by_name["SagaFailed"]
    assert {"api_throttled_requests_total", "lambda_throttles_total"} <= promql_metrics(by_name["Throttling"])[0]
    assert promql_metrics(by_name["LowStock"])[0] == {"inventory_low_stock_alerts"}


def test_prometheus_config_scrapes_the_local_endpoint():
    config = yaml.safe_load((OBS / "prometheus" / "prometheus.yml").read_text())
    assert config["rule_files"] == ["alert_rules.yml"]
    assert (OBS / "prometheus" / "alert_rules.yml").exists()  # relative to the config file
    jobs = config["scrape_configs"]
    job = next(j for j in jobs if any("127.0.0.1:4566" in s["targets"] for s in j["static_configs"]))
    assert job.get("metrics_path", "/metrics") == "/metrics"
    assert job.get("scrape_interval", config["global"]["scrape_interval"]) == "15s"


def test_grafana_provisioning_finds_the_datasource_and_dashboards():
    datasources = yaml.safe_load((OBS / "grafana/provisioning/datasources/prometheus.yml").read_text())
    (source,) = datasources["datasources"]
    assert source["type"] == "prometheus" and source["url"] == "http://127.0.0.1:9090"
    providers = yaml.safe_load((OBS / "grafana/provisioning/dashboards/dashboards.yml").read_text())
    (provider,) = providers["providers"]
    folder = ROOT / provider["options"]["path"]  # relative to Grafana's working directory: the repository root
    assert provider["type"] == "file" and sorted(p.stem for p in folder.glob("*.json")) == sorted(GRAFANA)


# --------------------------------------------------------------------------- the code emits the catalog
SOURCED = [m for m in catalog.METRICS if m.source.split("/")[0] in ("functions", "gateway", "infra")]


def _called_name(call: ast.Call) -> str | None:
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", None)


def _metric_name_keys(node: ast.Dict) -> list[ast.expr]:
    return [value for key, value in zip(node.keys, node.values, strict=True)
            if isinstance(key, ast.Constant) and key.value == "MetricName"]


def emitted_metric_names(source: str) -> set[str]:
    """The metric names a module hands to a publishing construct, read from its syntax tree (so a
    name in a comment, a docstring or an unrelated string does not count):

    - powertools ``metrics.add_metric(name="X", ...)``;
    - a saga outcome datum ``Metric("X", ...)``;
    - a CloudWatch datum ``{"MetricName": "X", ...}``;
    - a call ``helper("X", ...)`` of a module function that builds ``{"MetricName": <its first
      parameter>, ...}`` (gateway/cloudwatch.py ``_count`` and ``_latencies``).
    """
    tree = ast.parse(source)
    helpers = {
        function.name
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef) and function.args.args
        and any(isinstance(value, ast.Name) and value.id == function.args.args[0].arg
                for node in ast.walk(function) if isinstance(node, ast.Dict) for value in _metric_name_keys(node))
    }
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            names |= {value.value for value in _metric_name_keys(node) if isinstance(value, ast.Constant)}
        elif isinstance(node, ast.Call):
            called = _called_name(node)
            if called == "add_metric":
                names |= {kw.value.value for kw in node.keywords if kw.arg == "name" and isinstance(kw.value, ast.Constant)}
            elif (called == "Metric" or called in helpers) and node.args and isinstance(node.args[0], ast.Constant):
                names.add(node.args[0].value)
    return names


def test_emitted_metric_names_reads_publishing_calls_only():
    source = '''
"""Docstring naming NotEmitted."""
# comment naming AlsoNotEmitted
LABEL = "StillNotEmitted"
def _count(name, dims):
    return {"MetricName": name, "Dimensions": dims}
def publish(metrics):
    metrics.add_metric(name="ByPowertools", unit="Count", value=1)
    data = [_count("ByHelper", []), {"MetricName": "ByDatum"}, Metric("BySaga", "Count", 1, ())]
'''
    assert emitted_metric_names(source) == {"ByPowertools", "ByHelper", "ByDatum", "BySaga"}


@pytest.mark.parametrize("metric", SOURCED, ids=[f"{m.namespace}:{m.name}:{len(m.dimensions)}" for m in SOURCED])
def test_catalog_metric_is_emitted_by_its_source(metric):
    path = ROOT / metric.source
    assert path.is_file(), f"{metric.name}: source {metric.source} does not exist"
    assert metric.name in emitted_metric_names(path.read_text()), f"{metric.source} never publishes {metric.name}"


def test_catalog_prometheus_names_are_unique():
    names = [m.prometheus for m in catalog.METRICS]
    assert len(names) == len(set(names))


def test_the_readme_lists_every_catalog_metric():
    readme = (OBS / "README.md").read_text()
    for m in catalog.METRICS:
        assert f"`{m.name}`" in readme and m.prometheus in readme, m.name
