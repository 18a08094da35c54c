"""The load harness's API key (no throttle, no quota, local stacks only) and its other control-plane reads.

The keys of template.yaml are throttled by their usage plans (admin: 200 req/s, burst 400), so a
load run with them measures the throttle. ``ensure_bench_key`` creates, through the API Gateway
control plane of the AWS endpoint and idempotently:

* the API key ``<stack>-bench`` with the fixed value BENCH_KEY_VALUE (below),
* the usage plan ``<stack>-bench`` on the API's stage, with no throttle and no quota,
* the key's attachment to that plan,

then waits until the gateway (which re-reads its configuration every 5 s) accepts the key.
`make bench`, `make load` and `make soak` use it; alone:

    .venv/bin/python -m tests.load.bench_key [--host http://127.0.0.1:8000] [--endpoint-url http://127.0.0.1:4566]

A deployed stage never gets this key: it only exists where someone ran the harness.
"""
from __future__ import annotations

import argparse
import os
import time

import boto3
import urllib3

BENCH_KEY_VALUE = "bench-key-00000-local-unthrottled"
DEFAULT_HOST = "http://127.0.0.1:8000"
DEFAULT_ENDPOINT_URL = "http://127.0.0.1:4566"


def apigateway(endpoint_url: str, region: str | None = None):
    return boto3.client("apigateway", endpoint_url=endpoint_url,
                        region_name=region or os.environ.get("AWS_REGION", "us-east-1"),
                        aws_access_key_id="test", aws_secret_access_key="test")


def _items(client, operation: str, **kwargs) -> list[dict]:
    items, position = [], None
    while True:
        page = getattr(client, operation)(**kwargs, **({"position": position} if position else {}))
        items += page.get("items", [])
        position = page.get("position")
        if not position:
            return items


def find_api(client, stack: str) -> tuple[str, str]:
    """(rest api id, stage name) of the stack's API (``<stack>-api``; BENCH_STAGE or its only stage)."""
    apis = [api for api in _items(client, "get_rest_apis") if api["name"] == f"{stack}-api"]
    if not apis:
        raise SystemExit(f"no REST API {stack}-api on the endpoint: is `make run` running?")
    api_id = apis[0]["id"]
    stages = [stage["stageName"] for stage in client.get_stages(restApiId=api_id).get("item", [])]
    wanted = os.environ.get("BENCH_STAGE")
    if wanted:
        return api_id, wanted
    if len(stages) != 1:
        raise SystemExit(f"{stack}-api has the stages {stages}: set BENCH_STAGE")
    return api_id, stages[0]


def ensure_bench_key(endpoint_url: str = DEFAULT_ENDPOINT_URL, host: str = DEFAULT_HOST, *, stack: str = "retail",
                     value: str = BENCH_KEY_VALUE, timeout: float = 30.0, quiet: bool = False) -> str:
    """Creates (if absent) the un-throttled bench key and plan; returns the key once the gateway takes it."""
    client = apigateway(endpoint_url)
    api_id, stage = find_api(client, stack)
    name = f"{stack}-bench"
    keys = [key for key in _items(client, "get_api_keys", includeValues=True, nameQuery=name) if key["name"] == name]
    if keys:
        key = keys[0]
        if key.get("value") != value or not key.get("enabled", True):
            raise SystemExit(f"API key {name} exists with another value or disabled: delete it and run again")
    else:
        key = client.create_api_key(name=name, value=value, enabled=True, tags={"role": "admin"},
                                    description="make bench / make load: un-throttled key for local load runs")
    plans = [plan for plan in _items(client, "get_usage_plans") if plan["name"] == name]
    if plans:
        plan = plans[0]
        if not any(s.get("apiId") == api_id and s.get("stage") == stage for s in plan.get("apiStages") or []):
            client.update_usage_plan(usagePlanId=plan["id"], patchOperations=[
                {"op": "add", "path": "/apiStages", "value": f"{api_id}:{stage}"}])
    else:
        # no throttle and no quota: the gateway applies none (API Gateway's account-level limit
        # does not exist locally)
        plan = client.create_usage_plan(name=name, apiStages=[{"apiId": api_id, "stage": stage}],
                                        description="make bench / make load: no throttle, no quota")
    attached = {item["id"] for item in _items(client, "get_usage_plan_keys", usagePlanId=plan["id"])}
    if key["id"] not in attached:
        client.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    wait_until_accepted(host, value, timeout)
    if not quiet:
        print(f"API key: {value} (usage plan {name}: no throttle, no quota; created by tests/load/bench_key.py)")
    return value


def wait_until_accepted(host: str, key: str, timeout: float) -> None:
    """Polls until a request with the key stops answering 403 (the gateway re-reads every 5 s)."""
    http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=2, read=30))
    url = f"{host.rstrip('/')}/api/v1/products?limit=1"
    deadline = time.monotonic() + timeout
    while True:
        try:
            status = http.request("GET", url, headers={"x-api-key": key}).status
        except urllib3.exceptions.HTTPError as exc:
            raise SystemExit(f"the gateway at {host} does not answer ({exc}): is `make run` running?") from exc
        if status != 403:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"the gateway at {host} still answers 403 to the bench key after {timeout:.0f} s")
        time.sleep(0.5)


def method_caching(endpoint_url: str, stack: str, routes: list[tuple[str, str]]) -> dict[tuple[str, str], bool]:
    """(resource, method) -> whether the stage caches it: the stage's cache cluster is on and the
    method's setting (or the stage-wide ``*/*`` one) has caching enabled."""
    client = apigateway(endpoint_url)
    api_id, stage_name = find_api(client, stack)
    stage = client.get_stage(restApiId=api_id, stageName=stage_name)
    # methodSettings keys: "~1api~1v1~1products/GET" (or "api/v1/products/GET"), "*/*"
    by_key = {key.replace("~1", "/").lstrip("/"): value for key, value in (stage.get("methodSettings") or {}).items()}
    stage_wide = by_key.get("*/*") or {}
    return {(resource, method): bool(stage.get("cacheClusterEnabled")) and bool(
                (by_key.get(f"{resource.lstrip('/')}/{method}") or stage_wide).get("cachingEnabled"))
            for resource, method in routes}


def main() -> None:
    parser = argparse.ArgumentParser(description="Create the un-throttled bench API key (idempotent) and print it.")
    parser.add_argument("--host", default=os.environ.get("BENCH_HOST", DEFAULT_HOST))
    parser.add_argument("--endpoint-url", default=os.environ.get("BENCH_ENDPOINT_URL", DEFAULT_ENDPOINT_URL))
    parser.add_argument("--stack", default=os.environ.get("BENCH_STACK", "retail"))
    args = parser.parse_args()
    ensure_bench_key(args.endpoint_url, args.host, stack=args.stack)


if __name__ == "__main__":
    main()
