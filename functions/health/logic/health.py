"""The API's health: every dependency checked in parallel, one check shared for a few seconds.

A check costs one call per table and state machine (22 here); sharing it for
``HEALTH_CACHE_SECONDS`` means a burst of health requests costs one check, so the public
route cannot be used to hammer the tables. Concurrent requests wait for the check in flight
instead of starting their own.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone

from health.dal import dependencies
from health.schemas import Dependency, HealthDetails, PublicHealth
from health.settings import HealthSettings
from shared.version import __version__

_pool = ThreadPoolExecutor(max_workers=8)
_lock = threading.Lock()


@dataclass(frozen=True)
class Check:
    dependencies: list[Dependency]
    checked_at: datetime
    monotonic: float
    settings_key: tuple

    @property
    def healthy(self) -> bool:
        return all(d.healthy for d in self.dependencies)


_last: Check | None = None


def _run(settings: HealthSettings, key: tuple) -> Check:
    futures = [_pool.submit(dependencies.check_table, name) for name in settings.tables]
    futures += [_pool.submit(dependencies.check_state_machine, arn) for arn in settings.state_machines]
    return Check([f.result() for f in futures], datetime.now(timezone.utc), time.monotonic(), key)


def current_check(settings: HealthSettings) -> Check:
    """The last check if it is younger than the cache time (and of the same dependencies), else a new one."""
    global _last
    key = (settings.health_tables, settings.health_state_machines)
    with _lock:
        last = _last
        if last is None or last.settings_key != key or time.monotonic() - last.monotonic >= settings.cache_seconds:
            _last = last = _run(settings, key)
        return last


def public_health(settings: HealthSettings) -> tuple[PublicHealth, bool]:
    check = current_check(settings)
    return PublicHealth(status="healthy" if check.healthy else "unhealthy", version=__version__), check.healthy


def health_details(settings: HealthSettings) -> tuple[HealthDetails, bool]:
    check = current_check(settings)
    return HealthDetails(
        status="healthy" if check.healthy else "unhealthy", version=__version__, stage=settings.stage,
        checked_at=check.checked_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        age_seconds=round(time.monotonic() - check.monotonic, 3), dependencies=check.dependencies,
    ), check.healthy
