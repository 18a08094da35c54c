"""`make soak`: mixed reads at a fixed rate for a while against a running `make run`; prints p50,
p95 and max per endpoint, and the memory (RSS) of every process of the stack at the start and the
end (and the largest seen), with the number of Lambda worker processes.

The reads (tests/load/soak_locustfile.py): products, one product, stock by product and by store,
sales by store, and every report endpoint (sales, sales by store, performance, inventory,
inventory of a store, trends, dashboards), chosen uniformly at SOAK_RATE requests/s in all
(locust FastHttpUser, constant throughput). The stack's processes are found from its ports
(tests/load/procs.py) and sampled every SOAK_SAMPLE seconds, so workers that come and go show.

Targets (issue 9): max latency < 500 ms, every report endpoint p95 < 100 ms, memory flat.

Settings (environment): LOAD_HOST (http://127.0.0.1:8000), LOAD_ENDPOINT_URL
(http://127.0.0.1:4566), LOAD_STACK (retail), LOAD_API_KEY (default: the un-throttled bench key),
SOAK_RATE (30 req/s), SOAK_DURATION (180s), SOAK_USERS (30), SOAK_SAMPLE (30 s), SOAK_WARMUP (20s: the
same load first, not counted, while the worker pools grow; its max latency is printed apart).
"""
from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.load import procs
from tests.load.bench_key import DEFAULT_ENDPOINT_URL, DEFAULT_HOST, ensure_bench_key
from tests.load.stats import parse_duration, table

HERE = Path(__file__).resolve().parent
MIB = 1024 * 1024
TARGET_MAX_MS = 500
TARGET_REPORT_P95_MS = 100
REPORT_PREFIXES = ("GET /reports/", "GET /analytics/", "GET /dashboards")


def memory_table(start: dict[str, tuple[int, int]], end: dict[str, tuple[int, int]],
                 peak: dict[str, int]) -> str:
    """Rows per group: processes and RSS (MiB) at the start and the end, and the largest total seen."""
    groups = sorted(set(start) | set(end), key=lambda g: -max(start.get(g, (0, 0))[1], end.get(g, (0, 0))[1]))
    rows = []
    for group in groups:
        (n0, rss0), (n1, rss1) = start.get(group, (0, 0)), end.get(group, (0, 0))
        rows.append([group, str(n0), str(n1), f"{rss0 / MIB:.0f}", f"{rss1 / MIB:.0f}", f"{(rss1 - rss0) / MIB:+.0f}",
                     f"{peak.get(group, 0) / MIB:.0f}"])
    total0, total1 = sum(v[1] for v in start.values()), sum(v[1] for v in end.values())
    rows.append(["all", str(sum(v[0] for v in start.values())), str(sum(v[0] for v in end.values())),
                 f"{total0 / MIB:.0f}", f"{total1 / MIB:.0f}", f"{(total1 - total0) / MIB:+.0f}", ""])
    return table(["process (group)", "procs start", "end", "RSS MiB start", "end", "change", "max seen"], rows)


def workers(rss: dict[str, tuple[int, int]]) -> int:
    return sum(count for group, (count, _) in rss.items() if group.startswith("worker"))


def main() -> None:
    host = os.environ.get("LOAD_HOST", DEFAULT_HOST).rstrip("/")
    endpoint_url = os.environ.get("LOAD_ENDPOINT_URL", DEFAULT_ENDPOINT_URL)
    rate = float(os.environ.get("SOAK_RATE", "30"))
    users = int(os.environ.get("SOAK_USERS", "30"))
    duration = parse_duration(os.environ.get("SOAK_DURATION", "180s"))
    sample = parse_duration(os.environ.get("SOAK_SAMPLE", "30"))
    key = os.environ.get("LOAD_API_KEY") or ensure_bench_key(endpoint_url, host, stack=os.environ.get("LOAD_STACK", "retail"))
    ports = procs.port_of(host), procs.port_of(endpoint_url)
    print(f"soak: {rate:g} req/s of mixed reads for {duration:g} s on {host} ({users} locust FastHttpUsers, constant "
          f"throughput); memory sampled every {sample:g} s")
    warmup = parse_duration(os.environ.get("SOAK_WARMUP", "20s"))
    if warmup > 0:   # the pools grow to the load first (cold starts): measured apart, not counted
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                [sys.executable, "-m", "locust", "-f", str(HERE / "soak_locustfile.py"), "--headless", "--host", host,
                 "-u", str(users), "-r", str(users), "-t", f"{warmup:g}s", "--csv", str(Path(tmp) / "warm"),
                 "--only-summary", "--loglevel", "WARNING"],
                env={**os.environ, "LOAD_API_KEY": key, "SOAK_RATE": str(rate), "SOAK_USERS": str(users)},
                stdout=subprocess.DEVNULL, check=False)
            with open(Path(tmp) / "warm_stats.csv") as f:
                warm = next(r for r in csv.DictReader(f) if r["Name"] == "Aggregated")
        print(f"warm-up (not counted): {warmup:g} s, {warm['Request Count']} requests, {warm['Failure Count']} failures,"
              f" p95 {warm['95%']} ms, max {float(warm['Max Response Time']):.0f} ms (the cold starts of a fresh stack)")
    start = procs.rss_by_group(procs.snapshot(procs.stack_processes(*ports)))
    if not start:
        print(f"WARNING: no process of this machine listens on {ports[0]} / {ports[1]}: no memory figures", file=sys.stderr)
    peak = {group: rss for group, (_, rss) in start.items()}
    with tempfile.TemporaryDirectory() as tmp:
        prefix = Path(tmp) / "soak"
        locust = subprocess.Popen(
            [sys.executable, "-m", "locust", "-f", str(HERE / "soak_locustfile.py"), "--headless", "--host", host,
             "-u", str(users), "-r", str(users), "-t", f"{duration:g}s", "--csv", str(prefix), "--only-summary",
             "--loglevel", "WARNING"],
            env={**os.environ, "LOAD_API_KEY": key, "SOAK_RATE": str(rate), "SOAK_USERS": str(users)},
            stdout=subprocess.DEVNULL)
        began = time.monotonic()
        next_sample = began + sample
        end = start
        while locust.poll() is None:
            time.sleep(min(1.0, max(0.0, next_sample - time.monotonic())))
            if time.monotonic() >= next_sample and locust.poll() is None:
                next_sample += sample
                end = procs.rss_by_group(procs.snapshot(procs.stack_processes(*ports)))
                for group, (_, rss) in end.items():
                    peak[group] = max(peak.get(group, 0), rss)
                biggest = sorted(end.items(), key=lambda item: -item[1][1])[:3]
                print(f"  {time.monotonic() - began:5.0f} s: {workers(end)} workers, RSS {sum(v[1] for v in end.values()) / MIB:,.0f} MiB"
                      f" ({', '.join(f'{g} {v[1] / MIB:.0f}' for g, v in biggest)})", flush=True)
        end = procs.rss_by_group(procs.snapshot(procs.stack_processes(*ports)))
        for group, (_, rss) in end.items():
            peak[group] = max(peak.get(group, 0), rss)
        with open(f"{prefix}_stats.csv") as f:
            rows = list(csv.DictReader(f))
    endpoint_rows, worst_max, worst_report_p95 = [], 0.0, 0.0
    for row in sorted(rows, key=lambda r: (r["Name"] == "Aggregated", r["Name"])):
        name = row["Name"] if row["Name"] != "Aggregated" else "all"
        endpoint_rows.append([name, row["Request Count"], row["Failure Count"], row["50%"], row["95%"],
                              f"{float(row['Max Response Time']):.0f}"])
        if name != "all":
            worst_max = max(worst_max, float(row["Max Response Time"]))
            if name.startswith(REPORT_PREFIXES):
                worst_report_p95 = max(worst_report_p95, float(row["95%"]))
    print(f"\n=== soak: {rate:g} req/s mixed reads, {duration:g} s ===")
    print(table(["endpoint", "requests", "failures", "p50 ms", "p95 ms", "max ms"], endpoint_rows))
    print(f"\nmax latency {worst_max:.0f} ms (target < {TARGET_MAX_MS} ms: {'met' if worst_max < TARGET_MAX_MS else 'NOT met'}); "
          f"worst report p95 {worst_report_p95:.0f} ms (target < {TARGET_REPORT_P95_MS} ms: "
          f"{'met' if worst_report_p95 < TARGET_REPORT_P95_MS else 'NOT met'})")
    print(f"\nmemory (RSS) of the stack's processes; Lambda workers: {workers(start)} at the start, {workers(end)} at the end")
    print(memory_table(start, end, peak))


if __name__ == "__main__":
    main()
