"""How long a caller waits for the inventory interface (shared.contracts.inventory): never so
long that its own invocation times out before it can take a call back (shared.aws deadline)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from shared import aws
from shared.contracts import inventory


@dataclass
class Context:
    remaining_ms: int

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture(autouse=True)
def region(monkeypatch):
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setattr(aws, "_clients", {})


def during(remaining_ms: int, call):
    return aws.with_deadline(lambda event, context: call())(None, Context(remaining_ms))


def test_outside_a_handler_there_is_no_deadline_and_the_full_read_timeout():
    assert aws.seconds_left() is None and inventory.read_timeout() == inventory.READ_TIMEOUT_SECONDS


@pytest.mark.parametrize(("remaining_ms", "timeout"), [(60_000, 8), (10_000, 3), (8_000, 2), (4_000, 1), (500, 1)])
def test_two_attempts_end_before_the_time_kept_to_compensate(remaining_ms, timeout):
    assert during(remaining_ms, inventory.read_timeout) == timeout
    left = during(remaining_ms, aws.seconds_left)
    assert remaining_ms / 1000 - 0.5 < left <= remaining_ms / 1000
    if remaining_ms >= 5_000:  # room for two attempts and the compensation
        assert inventory.ATTEMPTS * timeout + inventory.COMPENSATION_SECONDS <= remaining_ms / 1000


def test_the_client_of_a_call_has_that_read_timeout_and_one_retry():
    client = during(10_000, inventory.lambda_client)
    assert client.meta.config.read_timeout == 3
    assert client.meta.config.retries == {"total_max_attempts": inventory.ATTEMPTS, "mode": "standard"}
    assert during(10_000, inventory.lambda_client) is client  # one client per read timeout
    assert aws.seconds_left() is None  # the deadline ends with the invocation


def test_a_read_keeps_no_reserve():
    assert during(10_000, lambda: inventory.read_timeout(reserve=0)) == 4
    assert during(60_000, lambda: inventory.read_timeout(reserve=0)) == inventory.READ_TIMEOUT_SECONDS
