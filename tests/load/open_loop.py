"""A small, efficient open-loop client for `make load` (LOAD_CLIENT=asyncio): N users, each one
keep-alive connection sending R requests per second at a fixed pace from a random phase, all in
one asyncio loop. It costs a few microseconds of CPU per request, so on this 2-core machine it
measures the system rather than itself (locust's FastHttpUser reports ~40 ms more at 300 users
against the same stack; docs/performance.md).
"""
from __future__ import annotations

import asyncio
import random
import time
from urllib.parse import urlsplit

from tests.load.stats import percentile


async def _user(host: str, port: int, request: bytes, pace: float, end: float, latencies: list[float],
                failures: list[str]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    await asyncio.sleep(random.random() * pace)
    try:
        while time.monotonic() < end:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            await reader.readexactly(length)
            elapsed = time.perf_counter() - started
            latencies.append(elapsed * 1000)
            if status != 200:
                failures.append(f"HTTP {status}")
            await asyncio.sleep(max(0.0, pace - elapsed))
    finally:
        writer.close()


def run(url: str, api_key: str, users: int, per_user: float, seconds: float) -> dict[str, float]:
    parts = urlsplit(url)
    request = (f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\nx-api-key: {api_key}\r\n"
               "User-Agent: open-loop\r\n\r\n").encode()
    latencies: list[float] = []
    failures: list[str] = []
    end = time.monotonic() + seconds

    async def main() -> None:
        await asyncio.gather(*[_user(parts.hostname or "127.0.0.1", parts.port or 80, request, 1 / per_user, end,
                                     latencies, failures) for _ in range(users)])

    started = time.monotonic()
    asyncio.run(main())
    elapsed = time.monotonic() - started
    latencies.sort()
    return {"requests": len(latencies), "failures": len(failures), "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95), "p99": percentile(latencies, 99), "rps": len(latencies) / elapsed}
