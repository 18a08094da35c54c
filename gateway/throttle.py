"""Usage-plan throttling (token bucket) and quotas, as API Gateway applies them per API key.

* Throttle: a bucket of `burstLimit` tokens refilled continuously at `rateLimit` tokens per
  second; a request takes one token, an empty bucket means 429 "Too Many Requests".
* Quota: at most `limit` requests per calendar period (DAY, WEEK starting Monday, MONTH),
  boundaries in UTC; past it, 429 "Limit Exceeded" until the next period. `offset` is
  subtracted from the limit in the first period (the API's QuotaSettings.offset).

Every bucket and counter has its own lock: requests of different keys never wait for each
other, and each check is O(1). Clocks are injectable so tests need no sleeps.
"""

from __future__ import annotations

import calendar
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Callable, Hashable

from .config import Quota, Throttle, UsagePlan

THROTTLED = "THROTTLED"
QUOTA_EXCEEDED = "QUOTA_EXCEEDED"

_EPS = 1e-9


class TokenBucket:
    """Thread-safe token bucket. `now` values come from a monotonic clock, in seconds."""

    __slots__ = ("rate", "capacity", "tokens", "updated", "_lock")

    def __init__(self, rate: float, capacity: int, now: float):
        self.rate = float(rate)
        self.capacity = float(capacity)
        self.tokens = float(capacity)
        self.updated = now
        self._lock = threading.Lock()

    def _refill(self, now: float) -> None:
        elapsed = now - self.updated
        if elapsed > 0:
            self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
            self.updated = now

    def try_acquire(self, now: float, tokens: float = 1.0) -> bool:
        with self._lock:
            self._refill(now)
            if self.tokens + _EPS >= tokens:
                self.tokens -= tokens
                return True
            return False

    def available(self, now: float) -> float:
        with self._lock:
            self._refill(now)
            return self.tokens

    def reconfigure(self, rate: float, capacity: int, now: float) -> None:
        """Apply new limits (a redeployed plan) keeping the current fill level."""
        with self._lock:
            self._refill(now)
            self.rate = float(rate)
            self.capacity = float(capacity)
            self.tokens = min(self.tokens, self.capacity)


def period_start(epoch: float, period: str) -> float:
    """Start (epoch seconds, UTC) of the DAY / WEEK (Monday) / MONTH containing `epoch`."""
    d = datetime.fromtimestamp(epoch, tz=timezone.utc)
    day = d.replace(hour=0, minute=0, second=0, microsecond=0)
    period = period.upper()
    if period == "DAY":
        start = day
    elif period == "WEEK":
        start = day - timedelta(days=day.weekday())
    elif period == "MONTH":
        start = day.replace(day=1)
    else:
        raise ValueError(f"unknown quota period {period!r}")
    return float(calendar.timegm(start.utctimetuple()))


class QuotaCounter:
    """Requests used in the current quota period. `now` values are wall-clock epoch seconds."""

    __slots__ = ("limit", "offset", "period", "used", "start", "first_start", "_lock")

    def __init__(self, quota: Quota, now: float):
        self.limit = int(quota.limit)
        self.offset = int(quota.offset or 0)
        self.period = quota.period
        self.start = period_start(now, quota.period)
        self.first_start = self.start
        self.used = 0
        self._lock = threading.Lock()

    def _roll(self, now: float) -> None:
        start = period_start(now, self.period)
        if start != self.start:
            self.start = start
            self.used = 0

    def _effective_limit(self) -> int:
        if self.start == self.first_start:
            return max(0, self.limit - self.offset)
        return self.limit

    def exhausted(self, now: float) -> bool:
        with self._lock:
            self._roll(now)
            return self.used >= self._effective_limit()

    def try_consume(self, now: float) -> bool:
        with self._lock:
            self._roll(now)
            if self.used >= self._effective_limit():
                return False
            self.used += 1
            return True

    def remaining(self, now: float) -> int:
        with self._lock:
            self._roll(now)
            return max(0, self._effective_limit() - self.used)

    def reconfigure(self, quota: Quota, now: float) -> None:
        with self._lock:
            if quota.period != self.period:
                self.period = quota.period
                self.start = period_start(now, quota.period)
                self.first_start = self.start
                self.used = 0
            self.limit = int(quota.limit)
            self.offset = int(quota.offset or 0)


class RateLimiter:
    """Per-key usage-plan limits and per-method stage throttles.

    State survives configuration refreshes: buckets are keyed by plan/key/method and
    reconfigured in place when a redeploy changes their limits.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ):
        self.clock = clock
        self.wall_clock = wall_clock
        self._buckets: dict[Hashable, TokenBucket] = {}
        self._quotas: dict[Hashable, QuotaCounter] = {}
        self._create_lock = threading.Lock()  # taken only when a bucket is first created

    def _bucket(self, key: Hashable, throttle: Throttle, now: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            with self._create_lock:
                bucket = self._buckets.get(key)
                if bucket is None:
                    bucket = TokenBucket(throttle.rate_limit, throttle.burst_limit, now)
                    self._buckets[key] = bucket
                    return bucket
        if bucket.rate != throttle.rate_limit or bucket.capacity != throttle.burst_limit:
            bucket.reconfigure(throttle.rate_limit, throttle.burst_limit, now)
        return bucket

    def _quota(self, key: Hashable, quota: Quota, now: float) -> QuotaCounter:
        counter = self._quotas.get(key)
        if counter is None:
            with self._create_lock:
                counter = self._quotas.get(key)
                if counter is None:
                    counter = QuotaCounter(quota, now)
                    self._quotas[key] = counter
                    return counter
        if counter.limit != quota.limit or counter.period != quota.period or counter.offset != quota.offset:
            counter.reconfigure(quota, now)
        return counter

    def check_usage_plan(self, plan: UsagePlan, key_id: str, method_key: tuple[str, str] | None = None) -> str | None:
        """Meter one request of `key_id` under `plan`.

        Returns None when allowed, THROTTLED or QUOTA_EXCEEDED otherwise. A throttled request
        does not count against the quota. A per-method throttle of the plan replaces the
        plan-wide one for that method.
        """
        quota = None
        wall = 0.0
        if plan.quota is not None:
            wall = self.wall_clock()
            quota = self._quota((plan.id, key_id), plan.quota, wall)
            if quota.exhausted(wall):
                return QUOTA_EXCEEDED
        throttle = plan.throttle
        scope: tuple = (plan.id, key_id)
        if method_key is not None and plan.method_throttles:
            per_method = plan.method_throttles.get(method_key)
            if per_method is not None:
                throttle, scope = per_method, (plan.id, key_id, method_key)
        if throttle is not None:
            now = self.clock()
            if not self._bucket(("plan",) + scope, throttle, now).try_acquire(now):
                return THROTTLED
        if quota is not None and not quota.try_consume(wall):
            return QUOTA_EXCEEDED
        return None

    def check_method(self, scope: Hashable, throttle: Throttle | None) -> bool:
        """Stage/method throttling (all clients of one method share the bucket)."""
        if throttle is None:
            return True
        now = self.clock()
        return self._bucket(("stage", scope), throttle, now).try_acquire(now)

    def quota_remaining(self, plan: UsagePlan, key_id: str) -> int | None:
        if plan.quota is None:
            return None
        wall = self.wall_clock()
        return self._quota((plan.id, key_id), plan.quota, wall).remaining(wall)
