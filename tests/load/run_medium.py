"""`make load`: the medium-load scenario (ramp to 100 users on GET /api/v1/products) against a
running `make run`, headless; prints request count, failures, p50, p95 and requests/s.

Settings (environment): LOAD_HOST (http://127.0.0.1:8000), LOAD_ENDPOINT_URL (the AWS endpoint
to read the admin key from, http://127.0.0.1:4566), LOAD_API_KEY (overrides), LOAD_USERS (100),
LOAD_SPAWN_RATE (users/s, 2), LOAD_DURATION (run time, 120s).
"""
from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import boto3

HERE = Path(__file__).resolve().parent


def admin_key(endpoint_url: str) -> str:
    client = boto3.client("apigateway", endpoint_url=endpoint_url, region_name=os.environ.get("AWS_REGION", "us-east-1"),
                          aws_access_key_id="test", aws_secret_access_key="test")
    for key in client.get_api_keys(includeValues=True)["items"]:
        if key["name"].endswith("-admin"):
            return key["value"]
    raise SystemExit("no admin API key found: is `make run` running?")


def run_locust(locustfile: Path, host: str, users: int, spawn_rate: float, duration: str, env: dict) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        prefix = Path(tmp) / "load"
        subprocess.run([sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--host", host,
                        "-u", str(users), "-r", str(spawn_rate), "-t", duration, "--csv", str(prefix),
                        "--only-summary", "--loglevel", "WARNING"],
                       env={**os.environ, **env}, check=False)
        with open(f"{prefix}_stats.csv") as f:
            rows = list(csv.DictReader(f))
    return next(r for r in rows if r["Name"] == "Aggregated")


def main() -> None:
    host = os.environ.get("LOAD_HOST", "http://127.0.0.1:8000")
    key = os.environ.get("LOAD_API_KEY") or admin_key(os.environ.get("LOAD_ENDPOINT_URL", "http://127.0.0.1:4566"))
    users = int(os.environ.get("LOAD_USERS", "100"))
    spawn_rate = float(os.environ.get("LOAD_SPAWN_RATE", "2"))
    duration = os.environ.get("LOAD_DURATION", "120s")
    print(f"medium load: {users} users (+{spawn_rate}/s) for {duration} on GET {host}/api/v1/products")
    stats = run_locust(HERE / "locustfile.py", host, users, spawn_rate, duration, {"LOAD_API_KEY": key})
    requests_, failures = int(stats["Request Count"]), int(stats["Failure Count"])
    print("\n=== medium load: GET /api/v1/products ===")
    print(f"requests     {requests_}")
    print(f"failures     {failures} ({100 * failures / max(requests_, 1):.2f}%)")
    print(f"p50          {stats['50%']} ms")
    print(f"p95          {stats['95%']} ms   (reference target: < 105 ms)")
    print(f"p99          {stats['99%']} ms")
    print(f"requests/s   {float(stats['Requests/s']):.1f}")


if __name__ == "__main__":
    main()
