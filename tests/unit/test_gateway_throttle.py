"""Usage-plan throttling (token bucket) and quotas with injected clocks: no sleeps."""

from __future__ import annotations

import calendar
import threading
from datetime import datetime, timezone

import pytest

from gateway import Quota, QuotaCounter, RateLimiter, Throttle, TokenBucket, UsagePlan
from gateway.throttle import QUOTA_EXCEEDED, THROTTLED, period_start


class FakeClock:
    def __init__(self, t: float = 1000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def utc(*args: int) -> float:
    return float(calendar.timegm(datetime(*args, tzinfo=timezone.utc).utctimetuple()))


def plan(rate=None, burst=None, quota=None, period="DAY", offset=0, plan_id="p1", method_throttles=None) -> UsagePlan:
    return UsagePlan(
        id=plan_id,
        name=plan_id,
        throttle=Throttle.from_api(rate, burst),
        quota=Quota(limit=quota, period=period, offset=offset) if quota is not None else None,
        method_throttles=method_throttles or {},
    )


@pytest.fixture
def clocks():
    return FakeClock(1000.0), FakeClock(utc(2026, 3, 10, 12, 0, 0))


@pytest.fixture
def limiter(clocks):
    mono, wall = clocks
    return RateLimiter(clock=mono, wall_clock=wall)


# --------------------------------------------------------------------- token bucket


def test_bucket_starts_full_and_allows_burst():
    b = TokenBucket(rate=1.0, capacity=3, now=0.0)
    assert [b.try_acquire(0.0) for _ in range(4)] == [True, True, True, False]


def test_bucket_refills_at_rate():
    b = TokenBucket(rate=2.0, capacity=4, now=0.0)
    for _ in range(4):
        assert b.try_acquire(0.0)
    assert not b.try_acquire(0.0)
    assert not b.try_acquire(0.4)  # 0.8 token
    assert b.try_acquire(0.5)  # 1 token
    assert not b.try_acquire(0.5)
    assert b.available(10.0) == pytest.approx(4.0)  # never above capacity


def test_bucket_fractional_rate():
    b = TokenBucket(rate=0.5, capacity=1, now=0.0)
    assert b.try_acquire(0.0)
    assert not b.try_acquire(1.9)
    assert b.try_acquire(2.0)


def test_bucket_zero_burst_rejects_everything():
    b = TokenBucket(rate=10.0, capacity=0, now=0.0)
    assert not b.try_acquire(0.0)
    assert not b.try_acquire(100.0)


def test_bucket_reconfigure_keeps_level():
    b = TokenBucket(rate=1.0, capacity=10, now=0.0)
    for _ in range(8):
        b.try_acquire(0.0)
    b.reconfigure(rate=1.0, capacity=5, now=0.0)
    assert b.available(0.0) == pytest.approx(2.0)
    b.reconfigure(rate=1.0, capacity=1, now=0.0)
    assert b.available(0.0) == pytest.approx(1.0)


def test_bucket_is_thread_safe():
    b = TokenBucket(rate=0.0, capacity=500, now=0.0)
    results: list[bool] = []
    lock = threading.Lock()

    def worker():
        local = [b.try_acquire(0.0) for _ in range(100)]
        with lock:
            results.extend(local)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 500
    assert results.count(False) == 16 * 100 - 500


def test_throttle_from_api_defaults():
    assert Throttle.from_api(None, None) is None
    assert Throttle.from_api(10, 20) == Throttle(10.0, 20)
    assert Throttle.from_api(2.5, None) == Throttle(2.5, 3)
    assert Throttle.from_api(None, 7) == Throttle(7.0, 7)
    assert Throttle.from_api(-1, -1) is None


# --------------------------------------------------------------------- quota periods


def test_period_start_day_week_month():
    t = utc(2026, 3, 11, 17, 30, 5)  # a Wednesday
    assert period_start(t, "DAY") == utc(2026, 3, 11)
    assert period_start(t, "WEEK") == utc(2026, 3, 9)  # Monday
    assert period_start(t, "MONTH") == utc(2026, 3, 1)
    with pytest.raises(ValueError):
        period_start(t, "YEAR")


def test_quota_counter_resets_at_utc_midnight():
    now = utc(2026, 3, 10, 23, 59, 58)
    q = QuotaCounter(Quota(limit=2, period="DAY"), now)
    assert q.try_consume(now)
    assert q.try_consume(now)
    assert not q.try_consume(now + 1)
    assert q.try_consume(utc(2026, 3, 11, 0, 0, 0))
    assert q.remaining(utc(2026, 3, 11, 0, 0, 1)) == 1


def test_quota_offset_applies_to_first_period_only():
    now = utc(2026, 3, 10, 8)
    q = QuotaCounter(Quota(limit=3, period="DAY", offset=2), now)
    assert q.try_consume(now)
    assert not q.try_consume(now)
    tomorrow = utc(2026, 3, 11, 8)
    assert [q.try_consume(tomorrow) for _ in range(4)] == [True, True, True, False]


def test_quota_week_and_month_boundaries():
    q = QuotaCounter(Quota(limit=1, period="WEEK"), utc(2026, 3, 15, 23))  # Sunday
    assert q.try_consume(utc(2026, 3, 15, 23))
    assert not q.try_consume(utc(2026, 3, 15, 23, 59, 59))
    assert q.try_consume(utc(2026, 3, 16, 0))  # Monday
    m = QuotaCounter(Quota(limit=1, period="MONTH"), utc(2026, 2, 28, 12))
    assert m.try_consume(utc(2026, 2, 28, 12))
    assert not m.try_consume(utc(2026, 2, 28, 23))
    assert m.try_consume(utc(2026, 3, 1, 0))


# --------------------------------------------------------------------- rate limiter


def test_usage_plan_burst_then_throttled_then_refilled(limiter, clocks):
    mono, _ = clocks
    p = plan(rate=1, burst=3)
    assert [limiter.check_usage_plan(p, "k1") for _ in range(4)] == [None, None, None, THROTTLED]
    mono.advance(1.0)
    assert limiter.check_usage_plan(p, "k1") is None
    assert limiter.check_usage_plan(p, "k1") == THROTTLED


def test_buckets_are_per_key(limiter):
    p = plan(rate=1, burst=1)
    assert limiter.check_usage_plan(p, "k1") is None
    assert limiter.check_usage_plan(p, "k1") == THROTTLED
    assert limiter.check_usage_plan(p, "k2") is None


def test_quota_exceeded_until_next_period(limiter, clocks):
    mono, wall = clocks
    p = plan(rate=1000, burst=1000, quota=2)
    assert [limiter.check_usage_plan(p, "k1") for _ in range(3)] == [None, None, QUOTA_EXCEEDED]
    wall.advance(3600)
    assert limiter.check_usage_plan(p, "k1") == QUOTA_EXCEEDED
    wall.t = utc(2026, 3, 11, 0, 0, 0)
    assert limiter.check_usage_plan(p, "k1") is None
    assert limiter.quota_remaining(p, "k1") == 1


def test_throttled_requests_do_not_use_quota(limiter, clocks):
    mono, _ = clocks
    p = plan(rate=1, burst=1, quota=2)
    assert limiter.check_usage_plan(p, "k1") is None
    assert limiter.check_usage_plan(p, "k1") == THROTTLED
    assert limiter.check_usage_plan(p, "k1") == THROTTLED
    assert limiter.quota_remaining(p, "k1") == 1
    mono.advance(1)
    assert limiter.check_usage_plan(p, "k1") is None
    mono.advance(1)
    assert limiter.check_usage_plan(p, "k1") == QUOTA_EXCEEDED


def test_plan_without_throttle_or_quota_allows_all(limiter):
    p = plan()
    assert all(limiter.check_usage_plan(p, "k1") is None for _ in range(1000))


def test_per_method_plan_throttle_overrides_plan_throttle(limiter):
    p = plan(rate=100, burst=100, method_throttles={("/api/v1/orders", "POST"): Throttle(1, 1)})
    assert limiter.check_usage_plan(p, "k1", ("/api/v1/orders", "POST")) is None
    assert limiter.check_usage_plan(p, "k1", ("/api/v1/orders", "POST")) == THROTTLED
    assert limiter.check_usage_plan(p, "k1", ("/api/v1/products", "GET")) is None


def test_redeployed_plan_limits_apply_without_losing_state(limiter):
    assert limiter.check_usage_plan(plan(rate=1, burst=5), "k1") is None  # 4 left
    smaller = plan(rate=1, burst=2)
    assert [limiter.check_usage_plan(smaller, "k1") for _ in range(3)] == [None, None, THROTTLED]


def test_quota_reconfigured(limiter):
    assert limiter.check_usage_plan(plan(quota=1), "k1") is None
    assert limiter.check_usage_plan(plan(quota=1), "k1") == QUOTA_EXCEEDED
    assert limiter.check_usage_plan(plan(quota=2), "k1") is None


def test_stage_method_throttle(limiter, clocks):
    mono, _ = clocks
    t = Throttle(rate_limit=2, burst_limit=2)
    assert limiter.check_method(("api", "prod", "/x", "GET"), t)
    assert limiter.check_method(("api", "prod", "/x", "GET"), t)
    assert not limiter.check_method(("api", "prod", "/x", "GET"), t)
    assert limiter.check_method(("api", "prod", "/y", "GET"), t)  # per method
    assert limiter.check_method(("api", "prod", "/x", "GET"), None)
    mono.advance(0.5)
    assert limiter.check_method(("api", "prod", "/x", "GET"), t)


def test_limiter_concurrent_keys_exact_counts(clocks):
    mono, wall = clocks
    limiter = RateLimiter(clock=mono, wall_clock=wall)
    p = plan(rate=0.0001, burst=50, quota=1000)
    outcomes: dict[str, list] = {f"k{i}": [] for i in range(8)}

    def worker(key):
        outcomes[key].extend(limiter.check_usage_plan(p, key) for _ in range(80))

    threads = [threading.Thread(target=worker, args=(k,)) for k in outcomes for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for key, res in outcomes.items():
        assert res.count(None) == 50, key
        assert res.count(THROTTLED) == 110, key
