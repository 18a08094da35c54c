"""Users browsing the catalogue with an API key: GET /api/v1/products, one request per user per second.

Each user paces itself to LOAD_RATE_PER_USER requests per second (locust's constant_throughput,
default 1: 100 users offer 100 req/s, 300 users 300 req/s, as long as the answers come back in
under a second). FastHttpUser (geventhttpclient): the load generator shares the machine's two
cores with the system it measures, so it must cost as little CPU per request as possible.

Run it with `make load` (tests/load/run_medium.py), which picks the profile (medium: ramp to 100
users; LOAD_USERS=300: the reference stress profile) and prints the figures. The key comes from
LOAD_API_KEY (run_medium sets the un-throttled bench key, tests/load/bench_key.py).
"""
import os

from locust import constant_throughput, task
from locust.contrib.fasthttp import FastHttpUser


class CatalogueBrowser(FastHttpUser):
    wait_time = constant_throughput(float(os.environ.get("LOAD_RATE_PER_USER", "1")))
    default_headers = {"x-api-key": os.environ["LOAD_API_KEY"]}

    @task
    def list_products(self) -> None:
        with self.client.get("/api/v1/products", name="GET /api/v1/products", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {(response.text or '')[:200]}")
