"""Reporting benchmark (a script, not a test) against a running `make run`:

    .venv/bin/python -m tests.load.bench_reports

1. writes BENCH_SALES sales (default 100,000) straight into the retail sales table through the
   AWS endpoint (``batch_write_item``, the item shape retail writes; the table name is read
   from the deployed RetailFunction's environment through the Lambda API), spread over the
   last BENCH_DAYS days, BENCH_STORES stores and BENCH_PRODUCTS products, in time order (as
   sales happen, and as a stream delivers them);
2. waits until the reporting aggregates caught up (the sales report counts them all): the
   sales table's stream -> event source mapping -> ReportingStreamFunction path, end to end;
3. times BENCH_REQUESTS requests to each report endpoint through the gateway with the admin
   key (read from the API Gateway control plane) and prints p50/p95/p99 per endpoint, with
   the write rate and the ingest rate (sales folded into the aggregates per second).

The sales are real items in the local stack's data (sale ids far above retail's counter, so
they never collide with sales made through the API): they show up in every report afterwards.
Restart `make run` to get rid of them.

Settings (environment): BENCH_HOST (http://127.0.0.1:8000), BENCH_ENDPOINT_URL
(http://127.0.0.1:4566), BENCH_STACK (retail), BENCH_API_KEY (overrides the control plane),
BENCH_SALES (100000; 0 only times the reports), BENCH_DAYS (30), BENCH_STORES (5), BENCH_PRODUCTS (200),
BENCH_MAX_LINES (4), BENCH_WRITERS (4 writer threads), BENCH_REQUESTS (100 per endpoint),
BENCH_CONCURRENCY (1 client thread per endpoint run), BENCH_TIMEOUT (1800 s to catch up),
BENCH_SEED (42).
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import requests
from boto3.dynamodb.types import TypeSerializer
from botocore.config import Config

ENDPOINTS = [
    ("GET /api/v1/reports/sales", "/api/v1/reports/sales", {}),
    ("GET /api/v1/reports/sales?group_by=store", "/api/v1/reports/sales", {"group_by": "store"}),
    ("GET /api/v1/reports/performance", "/api/v1/reports/performance", {}),
    ("GET /api/v1/reports/inventory", "/api/v1/reports/inventory", {}),
    ("GET /api/v1/analytics/trends", "/api/v1/analytics/trends", {}),
    ("GET /api/v1/dashboards", "/api/v1/dashboards", {}),
]


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Settings:
    def __init__(self) -> None:
        self.host = os.environ.get("BENCH_HOST", "http://127.0.0.1:8000").rstrip("/")
        self.endpoint_url = os.environ.get("BENCH_ENDPOINT_URL", "http://127.0.0.1:4566")
        self.stack = os.environ.get("BENCH_STACK", "retail")
        self.region = os.environ.get("AWS_REGION", "us-east-1")
        self.sales = env_int("BENCH_SALES", 100_000)
        self.days = env_int("BENCH_DAYS", 30)
        self.stores = env_int("BENCH_STORES", 5)
        self.products = env_int("BENCH_PRODUCTS", 200)
        self.max_lines = env_int("BENCH_MAX_LINES", 4)
        self.writers = env_int("BENCH_WRITERS", 4)
        self.requests = env_int("BENCH_REQUESTS", 100)
        self.concurrency = env_int("BENCH_CONCURRENCY", 1)
        self.timeout = env_int("BENCH_TIMEOUT", 1800)
        self.seed = env_int("BENCH_SEED", 42)
        if not 1 <= self.days <= 366:
            raise SystemExit("BENCH_DAYS must be 1..366 (the longest report period)")


def client(settings: Settings, service: str):
    return boto3.client(
        service,
        endpoint_url=settings.endpoint_url,
        region_name=settings.region,
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        config=Config(retries={"max_attempts": 10, "mode": "adaptive"}, max_pool_connections=max(10, settings.writers * 2)),
    )


def admin_key(settings: Settings) -> str:
    if os.environ.get("BENCH_API_KEY"):
        return os.environ["BENCH_API_KEY"]
    for key in client(settings, "apigateway").get_api_keys(includeValues=True)["items"]:
        if key["name"] == f"{settings.stack}-admin":
            return key["value"]
    raise SystemExit("no admin API key found: is `make run` running?")


def sales_table(settings: Settings) -> str:
    """The table RetailFunction writes its sales to, from its deployed environment."""
    config = client(settings, "lambda").get_function_configuration(FunctionName=f"{settings.stack}-RetailFunction")
    return config["Environment"]["Variables"]["SALES_TABLE"]


# ---------------------------------------------------------------- the sales
def make_sales(settings: Settings, first_id: int, today: date) -> list[dict[str, Any]]:
    rng = random.Random(settings.seed)
    prices = {p: Decimal(rng.randint(99, 19_999)) / 100 for p in range(1, settings.products + 1)}
    first_day = today - timedelta(days=settings.days - 1)
    sales = []
    for offset in range(settings.sales):
        day = first_day + timedelta(days=rng.randrange(settings.days))
        moment = datetime(day.year, day.month, day.day, rng.randint(8, 20), rng.randint(0, 59), rng.randint(0, 59), tzinfo=UTC)
        if moment > datetime.now(UTC):
            moment = datetime.now(UTC).replace(microsecond=0)
        products = rng.sample(range(1, settings.products + 1), rng.randint(1, min(settings.max_lines, settings.products)))
        lines = []
        for product_id in products:
            quantity = rng.choice((1, 1, 1, 2, 2, 3))
            lines.append({"product_id": product_id, "quantity": quantity, "unit_price": prices[product_id],
                          "line_total": prices[product_id] * quantity})
        sales.append({
            "sale_id": first_id + offset,
            "store_id": rng.randint(1, settings.stores),
            "register_id": 1,
            "created_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "sale_date": moment.date().isoformat(),
            "lines": lines,
            "total": sum((line["line_total"] for line in lines), Decimal(0)),
            "item_count": sum(line["quantity"] for line in lines),
            "source": "bench",
        })
    # a stream delivers sales in the order they happen: write them in time order (ids follow)
    sales.sort(key=lambda sale: sale["created_at"])
    for offset, sale in enumerate(sales):
        sale["sale_id"] = first_id + offset
    return sales


def write_sales(settings: Settings, table: str, sales: list[dict[str, Any]]) -> float:
    """batch_write_item in 25-item requests from BENCH_WRITERS threads; returns the seconds taken."""
    serializer = TypeSerializer()
    items = [{name: serializer.serialize(value) for name, value in sale.items()} for sale in sales]
    batches = [items[i : i + 25] for i in range(0, len(items), 25)]
    local = threading.local()
    written = [0]
    lock = threading.Lock()

    def write(batch: list[dict[str, Any]]) -> None:
        ddb = getattr(local, "ddb", None) or client(settings, "dynamodb")
        local.ddb = ddb
        request = {table: [{"PutRequest": {"Item": item}} for item in batch]}
        delay = 0.05
        while request:
            unprocessed = ddb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
            request = unprocessed
            if request:
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
        with lock:
            written[0] += len(batch)
            if written[0] % 10_000 < 25:
                print(f"  written {written[0]:>7,} sales", flush=True)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=settings.writers) as pool:
        list(pool.map(write, batches))
    return time.perf_counter() - start


# ---------------------------------------------------------------- reports
def reported_sales(session: requests.Session, settings: Settings, start: date, end: date) -> dict[str, Any]:
    response = session.get(f"{settings.host}/api/v1/reports/sales",
                           params={"from": start.isoformat(), "to": end.isoformat(), "group_by": "store"}, timeout=60)
    response.raise_for_status()
    return response.json()["totals"]


def settled_count(session: requests.Session, settings: Settings, start: date, end: date) -> int:
    """The reported sales count once it stops moving (a backlog from the demo data may be in flight)."""
    previous = reported_sales(session, settings, start, end)["sales_count"]
    while True:
        time.sleep(2)
        current = reported_sales(session, settings, start, end)["sales_count"]
        if current == previous:
            return current
        previous = current


def time_endpoint(settings: Settings, key: str, path: str, params: dict[str, str]) -> tuple[list[float], int]:
    durations: list[float] = []
    failures = [0]
    lock = threading.Lock()

    def run(count: int) -> None:
        with requests.Session() as session:
            session.headers["x-api-key"] = key
            session.get(f"{settings.host}{path}", params=params, timeout=60)  # warm the connection and the worker
            for _ in range(count):
                started = time.perf_counter()
                response = session.get(f"{settings.host}{path}", params=params, timeout=60)
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    durations.append(elapsed)
                    if response.status_code != 200:
                        failures[0] += 1

    share = [settings.requests // settings.concurrency + (1 if i < settings.requests % settings.concurrency else 0)
             for i in range(settings.concurrency)]
    with ThreadPoolExecutor(max_workers=settings.concurrency) as pool:
        list(pool.map(run, share))
    return durations, failures[0]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def main() -> None:
    settings = Settings()
    key = admin_key(settings)
    table = sales_table(settings)
    session = requests.Session()
    session.headers["x-api-key"] = key
    today = datetime.now(UTC).date()
    first_day = today - timedelta(days=settings.days - 1)
    first_id = int(time.time() * 1000) * 1000  # far above retail's counter, unique per run, < 2**53

    print(f"reporting benchmark: {settings.sales:,} sales over {settings.days} days, {settings.stores} stores, "
          f"{settings.products} products -> {table}")
    baseline = settled_count(session, settings, first_day, today)
    sales = make_sales(settings, first_id, today)
    expected = baseline + len(sales)
    revenue = sum((sale["total"] for sale in sales), Decimal(0))
    print(f"  reported before: {baseline:,} sales in {first_day}..{today}; writing {len(sales):,} "
          f"(revenue {revenue:,.2f}) with {settings.writers} writers")

    write_seconds = ingest_seconds = 0.0
    if sales:
        started = time.perf_counter()
        write_seconds = write_sales(settings, table, sales)
        print(f"  written in {write_seconds:.1f} s ({len(sales) / write_seconds:,.0f} sales/s); waiting for the aggregates")
        deadline = time.monotonic() + settings.timeout
        last_print = 0.0
        while True:
            count = reported_sales(session, settings, first_day, today)["sales_count"]
            elapsed = time.perf_counter() - started
            if count >= expected:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"the aggregates did not catch up in {settings.timeout} s: {count:,} of {expected:,}")
            if elapsed - last_print >= 10:
                print(f"  {elapsed:6.0f} s: {count - baseline:>7,} of {len(sales):,} sales in the reports", flush=True)
                last_print = elapsed
            time.sleep(0.5)
        ingest_seconds = time.perf_counter() - started
        if count != expected:
            print(f"  WARNING: {count - expected:,} more sales reported than written (other traffic?)")
        print(f"  caught up after {ingest_seconds:.1f} s\n")
    print(f"timing {settings.requests} requests per endpoint ({settings.concurrency} client thread(s)) on {settings.host}")
    rows = []
    for name, path, params in ENDPOINTS:
        durations, failures = time_endpoint(settings, key, path, params)
        rows.append((name, len(durations), failures, statistics.fmean(durations), percentile(durations, 50),
                     percentile(durations, 95), percentile(durations, 99)))

    print("\n=== reporting benchmark ===")
    if sales:
        print(f"sales written      {len(sales):,} in {write_seconds:.1f} s  ({len(sales) / write_seconds:,.0f} sales/s)")
        print(f"ingest (end to end) {len(sales):,} in {ingest_seconds:.1f} s  ({len(sales) / ingest_seconds:,.0f} "
              "sales/s, write -> stream -> ReportingStreamFunction -> aggregates)")
    print(f"\n{'endpoint':45} {'n':>5} {'fail':>5} {'mean':>8} {'p50':>8} {'p95':>8} {'p99':>8}")
    for name, n, failures, mean, p50, p95, p99 in rows:
        print(f"{name:45} {n:>5} {failures:>5} {mean:>6.1f}ms {p50:>6.1f}ms {p95:>6.1f}ms {p99:>6.1f}ms")
    if any(row[2] for row in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
