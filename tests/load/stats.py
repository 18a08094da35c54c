"""Pure helpers of the load harness: percentiles, ratios, durations, wrk's output, table layout."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of ``values``; NaN when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = math.ceil(q / 100 * len(ordered))
    return ordered[min(len(ordered), max(rank, 1)) - 1]


def ratio(value: float | None, baseline: float | None) -> float | None:
    """value / baseline, None when either is missing, zero or not a number."""
    if value is None or baseline is None or not baseline or math.isnan(value) or math.isnan(baseline):
        return None
    return value / baseline


def parse_duration(text: str) -> float:
    """'10', '10s', '3m', '1h', '1m30s' -> seconds (locust's and wrk's notation)."""
    text = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = re.findall(r"(\d+(?:\.\d+)?)([hms])", text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise ValueError(f"not a duration: {text!r} (e.g. 10s, 3m, 1h)")
    return sum(float(number) * {"h": 3600, "m": 60, "s": 1}[unit] for number, unit in parts)


@dataclass
class WrkResult:
    """What tests/load/wrk.lua prints at the end of a run (times in microseconds)."""
    requests: int = 0
    duration_us: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)   # connect, read, write, timeout
    statuses: dict[int, int] = field(default_factory=dict)
    latency_us: dict[str, float] = field(default_factory=dict)     # p50 p90 p95 p99 mean max

    @property
    def seconds(self) -> float:
        return self.duration_us / 1e6

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.duration_us else 0.0

    def errors(self, expected: frozenset[int] | set[int]) -> int:
        """Socket errors (including timeouts) plus responses whose status is not expected."""
        unexpected = sum(count for status, count in self.statuses.items() if status not in expected)
        return unexpected + sum(self.socket_errors.values())

    def latency_ms(self, name: str) -> float:
        return self.latency_us.get(name, math.nan) / 1000


def parse_wrk(output: str) -> WrkResult:
    """Reads the ``bench ...`` lines of tests/load/wrk.lua's done() from wrk's output."""
    result = WrkResult()
    seen = False
    for line in output.splitlines():
        parts = line.split()
        if len(parts) < 3 or parts[0] != "bench":
            continue
        seen = True
        if parts[1] == "status" and len(parts) == 4:
            result.statuses[int(parts[2])] = result.statuses.get(int(parts[2]), 0) + int(parts[3])
        elif parts[1] == "error":
            result.socket_errors[parts[2]] = int(parts[3])
        elif parts[1] == "latency":
            result.latency_us[parts[2]] = float(parts[3])
        elif parts[1] == "requests":
            result.requests = int(parts[2])
        elif parts[1] == "duration_us":
            result.duration_us = int(parts[2])
    if not seen:
        raise ValueError("no 'bench' lines in wrk's output (was it run with tests/load/wrk.lua?):\n" + output[-2000:])
    return result


# ------------------------------------------------------------------ formatting
def fmt_ms(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    if value >= 1000:
        return f"{value / 1000:.2f}s"
    if value >= 100:
        return f"{value:.0f}ms"
    return f"{value:.1f}ms" if value >= 1 else f"{value:.2f}ms"


def fmt_rate(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def fmt_ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}x" if value < 10 else f"{value:.0f}x"


def fmt_cpu(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def table(header: list[str], rows: list[list[str]], left: int = 1) -> str:
    """A plain-text table: the first ``left`` columns aligned left, the others right."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        cells = [str(cell).ljust(widths[i]) if i < left else str(cell).rjust(widths[i]) for i, cell in enumerate(row)]
        return "  ".join(cells).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])
