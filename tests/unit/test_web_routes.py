"""The back office's routes and its deployment agree: Chalice routes on the resource path, so
every route must be one event of WebFunction (no API key, no authorizer) and every such event a route; the
front-end files it serves are the ones package.json pins."""
from __future__ import annotations

import json
from pathlib import Path

from infra.deploy.template import load_yaml

ROOT = Path(__file__).resolve().parents[2]


def _events() -> set[tuple[str, str]]:
    web = load_yaml(ROOT / "template.yaml")["Resources"]["WebFunction"]["Properties"]
    events = set()
    for event in web["Events"].values():
        props = event["Properties"]
        assert event["Type"] == "Api" and props["Auth"] == {"ApiKeyRequired": False, "Authorizer": "NONE"}, props
        events.add((props["Path"], props["Method"].upper()))
    return events


def test_every_chalice_route_is_an_event_of_the_function_and_back():
    from web.app import app

    routes = {(path, method) for path, methods in app.routes.items() for method in methods}
    assert routes == _events()


def test_the_function_is_wired_as_every_handler():
    web = load_yaml(ROOT / "template.yaml")["Resources"]["WebFunction"]["Properties"]
    assert web["Handler"] == "web.app.lambda_handler"
    variables = web["Environment"]["Variables"]
    assert variables["SESSION_SECRET_ID"] == {"Ref": "WebSessionSecret"}
    assert variables["API_URL"] == {"Ref": "WebApiUrl"}
    from web.settings import WebSettings

    names = set(WebSettings.env_names())
    template_set = set(variables) | {"STAGE", "POWERTOOLS_METRICS_NAMESPACE"}   # Globals
    optional = {"SESSION_MAX_AGE_SECONDS"}
    assert names - optional <= template_set


def test_served_front_end_files_are_the_pinned_npm_packages():
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]
    assert pinned["chart.js"].count(".") == 2 and pinned["htmx.org"].count(".") == 2   # exact versions
    vendor = ROOT / "functions" / "web" / "static" / "vendor"
    for served, source in (("chart.umd.min.js", "chart.js/dist/chart.umd.min.js"),
                           ("htmx.min.js", "htmx.org/dist/htmx.min.js")):
        assert (vendor / served).read_bytes() == (ROOT / "node_modules" / source).read_bytes(), served
        assert json.loads((ROOT / "node_modules" / source.split("/dist")[0] / "package.json").read_text())[
            "version"] == pinned[source.split("/dist")[0]]


def test_chalice_local_config_names_the_same_variables():
    from web.settings import WebSettings

    config = json.loads((ROOT / "functions" / "web" / ".chalice" / "config.json").read_text())
    variables = config["stages"]["local"]["environment_variables"]
    # the two URLs come from the command line (`make web-local` sets them): chalice's config would override them
    assert set(WebSettings.env_names()) - {"SESSION_MAX_AGE_SECONDS", "API_URL"} <= set(variables)
    assert "API_URL" not in variables and "AWS_ENDPOINT_URL" not in variables


def _event(path: str, seen_path: str) -> dict:
    return {"resource": path, "path": path, "httpMethod": "GET", "headers": {}, "multiValueHeaders": {},
            "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
            "stageVariables": None, "body": None, "isBase64Encoded": False,
            "requestContext": {"resourcePath": path, "httpMethod": "GET", "path": seen_path, "stage": "prod",
                               "domainName": "abc123.execute-api.us-east-1.amazonaws.com", "requestId": "r-1"}}


def test_links_carry_the_stage_prefix_the_browser_sees():
    from web.app import app

    assert app(_event("/", "/prod/"), None)["headers"]["Location"] == "/prod/ui"     # execute-api URL
    assert app(_event("/", "/"), None)["headers"]["Location"] == "/ui"              # stage served at the root
    assert app(_event("/ui/static/{name}", "/prod/ui/static/app.css") | {"pathParameters": {"name": "app.css"}},
               None)["statusCode"] == 200
