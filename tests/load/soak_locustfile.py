"""Mixed reads at a fixed rate for `make soak` (tests/load/soak.py): the catalogue, stock, sales
and every report endpoint, one request of a uniformly chosen endpoint at a time.

Each of the users paces itself to SOAK_RATE / SOAK_USERS requests per second (constant_throughput),
so the whole run offers SOAK_RATE requests per second however slow the answers (a slow answer only
delays its own user). Every endpoint is one locust name (its route), so the CSV gives p50/p95/max
per endpoint. Environment: LOAD_API_KEY (required), SOAK_RATE (30), SOAK_USERS (30).
"""
from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from locust import constant_throughput, task
from locust.contrib.fasthttp import FastHttpUser

STORES = range(1, 6)        # the demo data's stores (store N is location store-N)
PRODUCTS = range(1, 201)    # its products
_today = datetime.now(UTC).date()
PERIOD = {"from": (_today - timedelta(days=29)).isoformat(), "to": _today.isoformat()}


def endpoints() -> list[tuple[str, str, dict]]:
    """(locust name, path, query) for one request per endpoint, ids drawn at random."""
    store = random.choice(STORES)
    product = random.choice(PRODUCTS)
    return [
        ("GET /products", "/api/v1/products", {}),
        ("GET /products/{id}", f"/api/v1/products/{product}", {}),
        ("GET /stock?product_id", "/api/v1/stock", {"product_id": product}),
        ("GET /stock?location_id&low_stock", "/api/v1/stock", {"location_id": f"store-{store}", "low_stock": "true"}),
        ("GET /sales?store_id", "/api/v1/sales", {"store_id": store}),
        ("GET /reports/sales", "/api/v1/reports/sales", PERIOD),
        ("GET /reports/sales?group_by=store", "/api/v1/reports/sales", {**PERIOD, "group_by": "store"}),
        ("GET /reports/performance", "/api/v1/reports/performance", {}),
        ("GET /reports/inventory", "/api/v1/reports/inventory", {}),
        ("GET /reports/inventory?location_id", "/api/v1/reports/inventory", {"location_id": f"store-{store}"}),
        ("GET /analytics/trends", "/api/v1/analytics/trends", {"top": 5}),
        ("GET /dashboards", "/api/v1/dashboards", {}),
    ]


class MixedReader(FastHttpUser):
    wait_time = constant_throughput(float(os.environ.get("SOAK_RATE", "30")) / int(os.environ.get("SOAK_USERS", "30")))
    default_headers = {"x-api-key": os.environ["LOAD_API_KEY"]}

    @task
    def read(self) -> None:
        name, path, query = random.choice(endpoints())
        url = f"{path}?{urlencode(query)}" if query else path
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {(response.text or '')[:200]}")
