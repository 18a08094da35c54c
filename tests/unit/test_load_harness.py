"""The pure logic of the load harness (tests/load): percentiles, ratios, wrk's output, /proc parsing,
CPU accounting between two snapshots, and the ratios `make bench` prints."""
from __future__ import annotations

import math

import pytest

from tests.load import procs
from tests.load.bench import SCENARIOS, Result, Scenario, compare
from tests.load.stats import fmt_ms, fmt_ratio, parse_duration, parse_wrk, percentile, ratio, table

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:8000
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   272.31ms  392.20ms   1.34s    80.13%
  1700 requests in 10.00s, 100.87KB read
Requests/sec:    170.00
bench requests 1700
bench duration_us 10000000
bench error connect 0
bench error read 0
bench error write 0
bench error timeout 2
bench status 200 1690
bench status 502 8
bench latency p50 210000
bench latency p90 600000
bench latency p95 713000
bench latency p99 1010000
bench latency mean 272310.0
bench latency max 1340000
"""


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([7.0], 99) == 7.0
    assert percentile([3, 1, 2], 0) == 1
    assert math.isnan(percentile([], 50))


def test_ratio_guards_missing_and_zero_baselines():
    assert ratio(50, 200) == 0.25
    assert ratio(1, None) is None
    assert ratio(None, 1) is None
    assert ratio(1, 0) is None
    assert ratio(math.nan, 1) is None


@pytest.mark.parametrize("text, seconds", [("10", 10), ("10s", 10), ("3m", 180), ("1h", 3600), ("1m30s", 90),
                                           ("2.5", 2.5)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "ten", "10x", "5s10"])
def test_parse_duration_refuses_nonsense(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_parse_wrk_reads_the_bench_lines():
    result = parse_wrk(WRK_OUTPUT)
    assert result.requests == 1700
    assert result.rate == pytest.approx(170.0)
    assert result.statuses == {200: 1690, 502: 8}
    assert result.latency_ms("p95") == pytest.approx(713.0)
    assert result.latency_ms("p50") == pytest.approx(210.0)
    assert math.isnan(result.latency_ms("p75"))
    # 8 unexpected statuses + 2 timeouts; a 403 scenario expects 403 and counts the 200s too
    assert result.errors({200}) == 10
    assert result.errors({403}) == 1700
    assert result.errors({200, 502}) == 2


def test_parse_wrk_without_the_script_says_so():
    with pytest.raises(ValueError, match="wrk.lua"):
        parse_wrk("Running 10s test @ http://x\nRequests/sec: 10\n")


def test_parse_stat_with_spaces_and_parentheses_in_comm():
    fields = ["S", "42", "1", "1", "0", "-1", "0", "0", "0", "0", "0", "150", "50", "7", "3", "20", "0", "3", "0",
              "98765", "123456789", "2048"] + ["0"] * 30
    stat = procs.parse_stat("1234 (python (bench) x) " + " ".join(fields))
    assert (stat.pid, stat.comm, stat.ppid) == (1234, "python (bench) x", 42)
    assert stat.cpu_ticks == 200 and stat.children_ticks == 10
    assert stat.start_ticks == 98765 and stat.rss_pages == 2048


def test_listening_inodes_keeps_listeners_of_the_port_only():
    table_text = (
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1\n"
        "   1: 0100007F:1F40 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 222 1\n"
        "   2: 0100007F:11D6 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 333 1\n")
    assert procs.listening_inodes(table_text, 8000) == {"111"}
    assert procs.listening_inodes(table_text, 4566) == {"333"}
    assert procs.listening_inodes(table_text, 9999) == set()


@pytest.mark.parametrize("cmdline, environ, group", [
    (["/usr/bin/java", "-Xss1m", "-jar", "/x/DynamoDBLocal.jar", "-port", "4000"], None, procs.DYNAMODB),
    (["/v/bin/python", "-m", "awslambdaric", "inventory.handlers.api.lambda_handler"], None,
     "worker inventory.handlers.api.lambda_handler"),
    (["python -m awslambdaric retail.handlers.api.lambda_handler"], {}, "worker retail.handlers.api.lambda_handler"),
    (["/v/bin/python", "-m", "infra.cloud.lambda_zygote", "12"], {"_HANDLER": "sagas.handlers.api.lambda_handler"},
     "worker sagas.handlers.api.lambda_handler"),
    (["/v/bin/python", "-m", "infra.cloud.lambda_zygote", "12"], {}, "endpoint child infra.cloud.lambda_zygote"),
    (["/usr/bin/node", "x.js"], {}, "endpoint child node"),
])
def test_classify(cmdline, environ, group):
    assert procs.classify(cmdline, environ, "endpoint") == group


def _stat(pid: int, cpu: int, children: int = 0, start: int = 1) -> procs.Stat:
    return procs.Stat(pid=pid, comm="x", ppid=1, cpu_ticks=cpu, children_ticks=children, start_ticks=start, rss_pages=1)


def test_cpu_by_group_counts_new_reused_and_exited_processes():
    tck = procs.CLK_TCK
    before = procs.Snapshot(
        stats={1: _stat(1, 100), 2: _stat(2, 50), 3: _stat(3, 40), 4: _stat(4, 10, start=5)},
        groups={1: "endpoint", 2: "worker a", 3: "worker a", 4: "worker b"})
    after = procs.Snapshot(
        # 1 reaped worker 3 (40 ticks before, 60 in all); 4's pid now belongs to a new process; 5 is new
        stats={1: _stat(1, 100 + tck, children=60), 2: _stat(2, 50 + tck), 4: _stat(4, 3, start=9), 5: _stat(5, tck)},
        groups={1: "endpoint", 2: "worker a", 4: "worker b", 5: "worker a"})
    cpu = procs.cpu_by_group(before, after)
    assert cpu["endpoint"] == pytest.approx(1.0)
    assert cpu["worker a"] == pytest.approx(2.0)
    assert cpu["worker b"] == pytest.approx(3 / tck)
    # reaped 60 ticks, less what the two gone processes had used at "before" (40 + 10)
    assert cpu[procs.EXITED] == pytest.approx(10 / tck)


def test_rss_by_group_sums_processes():
    snap = procs.Snapshot(stats={1: _stat(1, 0), 2: _stat(2, 0), 3: _stat(3, 0)},
                          groups={1: "gateway", 2: "worker a", 3: "worker a"})
    assert procs.rss_by_group(snap) == {"gateway": (1, procs.PAGE_SIZE), "worker a": (2, 2 * procs.PAGE_SIZE)}


def test_port_of():
    assert procs.port_of("http://127.0.0.1:8701") == 8701
    assert procs.port_of("http://localhost") == 80
    assert procs.port_of("https://example.com/x") == 443


def _result(key: str, kind: str, rate: float, cpu_s: float, count: int, baseline: str | None = None) -> Result:
    return Result(Scenario(key, key, kind, baseline=baseline), count=count, rate=rate, unit="req/s",
                  cpu_s={"all": cpu_s})


def test_compare_prints_rate_and_cpu_ratios_to_the_baseline():
    a = _result("A", "inproc", rate=400, cpu_s=1.0, count=1000)             # 1 ms per call
    http = _result("product", "wrk", rate=200, cpu_s=8.0, count=2000, baseline="A")   # 4 ms per request
    assert compare(http, {"A": a}) == "A: 0.50x rate, 4.00x CPU"
    sagas = _result("sagas", "sagas", rate=10, cpu_s=16.0, count=100, baseline="A")  # 160 ms per saga
    assert compare(sagas, {"A": a}) == "Ax8: 0.20x rate, 20x CPU"
    assert compare(http, {}) == "-"


def test_scenarios_have_unique_keys_and_known_baselines():
    keys = [s.key for s in SCENARIOS]
    assert len(keys) == len(set(keys))
    for scenario in SCENARIOS:
        assert scenario.kind in ("inproc", "hello", "wrk", "sagas", "saga-read", "cold")
        assert scenario.baseline is None or keys.index(scenario.baseline) < keys.index(scenario.key)
        assert scenario.kind != "wrk" or scenario.paths


def test_formatting():
    assert fmt_ms(0.5) == "0.50ms" and fmt_ms(12.34) == "12.3ms" and fmt_ms(713) == "713ms" and fmt_ms(1500) == "1.50s"
    assert fmt_ms(math.nan) == "-"
    assert fmt_ratio(None) == "-" and fmt_ratio(0.5) == "0.50x" and fmt_ratio(12.4) == "12x"
    assert table(["a", "b"], [["x", "1"], ["yy", "22"]]).splitlines() == ["a    b", "--  --", "x    1", "yy  22"]


def test_target_needs_the_rate_the_p95_and_no_error():
    from tests.load.bench import target

    sagas = Scenario("sagas", "sagas", "sagas", target_rate=20, target_p95_ms=1000)
    ok = Result(sagas, count=200, rate=21.0, unit="sagas/s", p95=900.0)
    assert target(ok) == ">= 20 sagas/s, p95 <= 1.00s: met"
    assert target(Result(sagas, count=200, rate=21.0, unit="sagas/s", p95=1200.0)).endswith("NOT met")
    assert target(Result(sagas, count=200, rate=21.0, unit="sagas/s", p95=900.0, errors=1)).endswith("NOT met")
    assert target(Result(Scenario("B", "B", "hello"), count=1, rate=1.0, unit="req/s")) == "-"


def test_capacity_is_cores_over_cpu_per_request():
    from tests.load.bench import capacity

    result = _result("product", "wrk", rate=200, cpu_s=8.0, count=2000)   # 4 ms per request
    result.loadgen_cpu_s = 2.0                                            # + 1 ms
    assert capacity(result, cpus=2) == pytest.approx(400)
    assert capacity(Result(Scenario("x", "x", "wrk"), count=0, rate=0, unit="req/s"), cpus=2) is None


def test_the_open_loop_client_paces_its_users_and_counts_failures():
    """tests/load/open_loop.py against a tiny local server: one request per user per pace,
    non-200 answers counted as failures."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from tests.load.open_loop import run

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            status = 200 if self.headers.get("x-api-key") == "k" else 403
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/x"
        ok = run(url, "k", users=3, per_user=10, seconds=1.0)
        assert ok["failures"] == 0 and 15 <= ok["requests"] <= 33 and ok["p50"] > 0
        denied = run(url, "wrong", users=1, per_user=5, seconds=0.5)
        assert denied["failures"] == denied["requests"] > 0
    finally:
        server.shutdown()
