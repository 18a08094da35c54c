"""Order sagas under load: each user starts a saga (POST .../order-processing) and follows it
(GET /api/v1/sagas/{id}) until it ends, then starts the next one.

Besides the HTTP requests, every finished saga is reported to locust as one request of type
``SAGA`` named after its final status (``COMPLETED`` ...), whose response time is the time
from the POST to the first GET that saw the final status: locust's percentiles of that entry
are the saga latencies. Run it with `make load-sagas` (tests/load/run_sagas.py).

Environment: LOAD_API_KEY (required), LOAD_CUSTOMER_ID (1), LOAD_POLL_SECONDS (0.1).
"""
from __future__ import annotations

import os
import random
import time

from locust import HttpUser, between, task

FINAL = ("COMPLETED", "COMPENSATED", "FAILED")
MIN_STOCK = 50  # only products the warehouse has plenty of: the run measures completions


class SagaCustomer(HttpUser):
    wait_time = between(0.0, 0.2)

    def on_start(self) -> None:
        self.client.headers["x-api-key"] = os.environ["LOAD_API_KEY"]
        self.customer_id = int(os.environ.get("LOAD_CUSTOMER_ID", "1"))
        self.poll = float(os.environ.get("LOAD_POLL_SECONDS", "0.1"))
        rows = self.client.get("/api/v1/stock", params={"location_id": "warehouse", "limit": "100"},
                               name="GET /api/v1/stock").json()["items"]
        self.products = [row["product_id"] for row in rows if row["available"] >= MIN_STOCK]
        if not self.products:
            raise RuntimeError("no product with warehouse stock: is the demo data seeded?")

    @task
    def order(self) -> None:
        body = {"products": [{"product_id": random.choice(self.products), "quantity": 1}],
                "shipping_address": "123 Main St", "payment_method": "credit_card"}
        started = time.perf_counter()
        with self.client.post(f"/api/v1/customers/{self.customer_id}/order-processing", json=body,
                              name="POST /customers/{id}/order-processing", catch_response=True) as response:
            if response.status_code != 202:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
                return
            saga_id = response.json()["saga_id"]
        if os.environ.get("LOAD_SAGA_LOG"):   # run_sagas.py checks afterwards that each one ended
            with open(os.environ["LOAD_SAGA_LOG"], "a") as log:
                log.write(saga_id + "\n")
        deadline = started + 120
        while time.perf_counter() < deadline:
            time.sleep(self.poll)
            with self.client.get(f"/api/v1/sagas/{saga_id}", name="GET /sagas/{id}", catch_response=True) as response:
                if response.status_code != 200:
                    response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
                    return
                status = response.json()["status"]
            if status in FINAL:
                self.environment.events.request.fire(
                    request_type="SAGA", name=status, response_time=(time.perf_counter() - started) * 1000,
                    response_length=0, exception=None, context={})
                return
        self.environment.events.request.fire(
            request_type="SAGA", name="TIMEOUT", response_time=(time.perf_counter() - started) * 1000,
            response_length=0, exception=TimeoutError(f"saga {saga_id} still running after 120 s"), context={})
