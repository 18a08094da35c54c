"""`make load-sagas`: users start order sagas and follow each to its end, against a running
`make run`; prints completed sagas per second and the time from POST to final status.

Settings (environment): LOAD_HOST (http://127.0.0.1:8000), LOAD_ENDPOINT_URL
(http://127.0.0.1:4566), LOAD_API_KEY (default: the un-throttled bench key, tests/load/bench_key.py), LOAD_USERS (10),
LOAD_SPAWN_RATE (users/s, 5), LOAD_DURATION (60s), LOAD_CUSTOMER_ID (1).
"""
from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.load.bench_key import ensure_bench_key

HERE = Path(__file__).resolve().parent


def main() -> None:
    host = os.environ.get("LOAD_HOST", "http://127.0.0.1:8000")
    key = os.environ.get("LOAD_API_KEY") or ensure_bench_key(os.environ.get("LOAD_ENDPOINT_URL", "http://127.0.0.1:4566"), host)
    users = os.environ.get("LOAD_USERS", "10")
    spawn_rate = os.environ.get("LOAD_SPAWN_RATE", "5")
    duration = os.environ.get("LOAD_DURATION", "60s")
    print(f"saga load: {users} users (+{spawn_rate}/s) for {duration}, each starting a saga and polling it to its end")
    wait_for_demo_data(host, key, int(os.environ.get("LOAD_CUSTOMER_ID", "1")))
    with tempfile.TemporaryDirectory() as tmp:
        prefix = Path(tmp) / "sagas"
        subprocess.run([sys.executable, "-m", "locust", "-f", str(HERE / "saga_locustfile.py"), "--headless",
                        "--host", host, "-u", users, "-r", spawn_rate, "-t", duration, "--csv", str(prefix),
                        "--only-summary", "--loglevel", "WARNING"],
                       env={**os.environ, "LOAD_API_KEY": key, "LOAD_SAGA_LOG": str(Path(tmp) / "started.txt")},
                       check=False)
        with open(f"{prefix}_stats.csv") as f:
            rows = {(r["Type"], r["Name"]): r for r in csv.DictReader(f)}
        started_file = Path(tmp) / "started.txt"
        started = started_file.read_text().split() if started_file.exists() else []
    seconds = float(duration.rstrip("s")) if duration.endswith("s") and duration[:-1].isdigit() else None
    sagas = {name: row for (kind, name), row in rows.items() if kind == "SAGA"}
    post = rows.get(("POST", "POST /customers/{id}/order-processing"), {})
    finished = sum(int(row["Request Count"]) for row in sagas.values())
    completed = int(sagas["COMPLETED"]["Request Count"]) if "COMPLETED" in sagas else 0
    print("\n=== order sagas: POST -> final status ===")
    for name in ("COMPLETED", "COMPENSATED", "FAILED", "TIMEOUT"):
        if name in sagas:
            row = sagas[name]
            print(f"{name:<12} {row['Request Count']:>6}   p50 {row['50%']} ms   p95 {row['95%']} ms   max {float(row['Max Response Time']):.0f} ms")
    print(f"finished     {finished}")
    if seconds:
        print(f"completed/s  {completed / seconds:.2f}")
    if post:
        print(f"POST         p50 {post.get('50%')} ms   p95 {post.get('95%')} ms   failures {post.get('Failure Count')}")
    stuck = not_final(host, key, started)
    print(f"check        {len(started) - len(stuck)} of the {len(started)} sagas started reached a final status"
          + (f"; still not final after 60 s: {', '.join(stuck[:10])}" if stuck else ""))
    if stuck:
        sys.exit(1)


def wait_for_demo_data(host: str, key: str, customer_id: int, timeout: float = 120.0) -> None:
    """Right after `make run` the demo data may still be loading: wait for warehouse stock and
    for the customer the sagas order for."""
    import json
    import time

    import urllib3

    http = urllib3.PoolManager(retries=False, timeout=10)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = http.request("GET", f"{host}/api/v1/stock?location_id=warehouse&limit=100",
                                headers={"x-api-key": key})
        customer = http.request("GET", f"{host}/api/v1/customers/{customer_id}", headers={"x-api-key": key})
        if response.status == 200 and customer.status == 200 \
                and any(row.get("available", 0) >= 50 for row in json.loads(response.data)["items"]):
            return
        time.sleep(1)
    raise SystemExit(f"no warehouse stock or no customer {customer_id} after {timeout:.0f} s: is the demo data loaded?")


def not_final(host: str, key: str, saga_ids: list[str], timeout: float = 60.0) -> list[str]:
    """The sagas that do not reach COMPLETED, COMPENSATED or FAILED within ``timeout`` (the run
    stops its users mid-saga: this follows the ones they left)."""
    import json
    import time

    import urllib3

    http = urllib3.PoolManager(retries=False, timeout=10)
    pending, deadline = list(saga_ids), time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        still = []
        for saga_id in pending:
            response = http.request("GET", f"{host}/api/v1/sagas/{saga_id}", headers={"x-api-key": key})
            status = json.loads(response.data).get("status") if response.status == 200 else None
            if status not in ("COMPLETED", "COMPENSATED", "FAILED"):
                still.append(saga_id)
        pending = still
        if pending:
            time.sleep(0.5)
    return pending


if __name__ == "__main__":
    main()
