"""The reference system's medium-load scenario: users browsing the catalogue with an API key.

    GET /api/v1/products  (header x-api-key), one request per user per second

Run it with `make load` (tests/load/run_medium.py), which ramps to 100 users headless against
`make run` and prints the figures. The key comes from LOAD_API_KEY (run_medium reads the admin
key from the deployed stack).
"""
import os

from locust import HttpUser, constant, task


class CatalogueBrowser(HttpUser):
    wait_time = constant(float(os.environ.get("LOAD_WAIT_SECONDS", "1")))

    def on_start(self) -> None:
        self.client.headers["x-api-key"] = os.environ["LOAD_API_KEY"]

    @task
    def list_products(self) -> None:
        with self.client.get("/api/v1/products", name="GET /api/v1/products", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
