"""Token buckets of the kit's rate limiter, in memory and in a real Redis: bursts, refill, several
buckets taken together (a refusal takes nothing), expiry, and failing open without Redis."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis
from prometheus_client import REGISTRY

from vextrus.kit.ratelimit import (
    Decision,
    Limit,
    MemoryRateLimiter,
    RateLimiter,
    RedisRateLimiter,
    refill,
    wait_for_token,
)

REDIS_URL = "redis://127.0.0.1:6379/13"


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[RateLimiter]:
    if request.param == "memory":
        built: RateLimiter = MemoryRateLimiter()
    else:
        if not redis_available():
            pytest.skip("no Redis on 127.0.0.1:6379")
        built = RedisRateLimiter(REDIS_URL, prefix=f"test:{uuid.uuid4().hex}:")
    yield built
    await built.close()


@pytest.mark.parametrize(
    ("tokens", "elapsed", "rate", "burst", "expected"),
    [
        (0.0, 1.0, 2.0, 10, 2.0),
        (9.5, 1.0, 2.0, 10, 10.0),  # never above the burst
        (3.0, -5.0, 2.0, 10, 3.0),  # a clock going back adds nothing
        (0.0, 0.25, 4.0, 1, 1.0),
    ],
)
def test_refill(tokens: float, elapsed: float, rate: float, burst: int, expected: float) -> None:
    assert refill(tokens, elapsed, Limit(rate, burst)) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("tokens", "rate", "expected"), [(0.0, 2.0, 0.5), (0.5, 1.0, 0.5), (1.0, 1.0, 0.0), (-1.0, 4.0, 0.5)]
)
def test_wait_for_token(tokens: float, rate: float, expected: float) -> None:
    assert wait_for_token(tokens, Limit(rate, 5)) == pytest.approx(expected)


@pytest.mark.parametrize(("retry_after", "header"), [(0.01, "1"), (1.0, "1"), (1.2, "2"), (30.0, "30")])
def test_retry_after_is_whole_seconds_rounded_up(retry_after: float, header: str) -> None:
    assert Decision(False, 0, retry_after).retry_after_header == header


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 5), (1, 0)])
def test_a_limit_needs_a_rate_and_a_burst(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="rate > 0"):
        Limit(rate, burst)


async def test_a_burst_then_refusal_then_refill(limiter: RateLimiter) -> None:
    bucket = [(f"user:{uuid.uuid4()}", Limit(rate=10.0, burst=3))]
    assert [(await limiter.take(bucket)).allowed for _ in range(4)] == [True, True, True, False]
    refused = await limiter.take(bucket)
    assert refused.index == 0
    assert 0 < refused.retry_after <= 0.11
    await asyncio.sleep(0.12)
    assert (await limiter.take(bucket)).allowed
    assert not (await limiter.take(bucket)).allowed


async def test_buckets_are_taken_together_and_a_refusal_takes_nothing(limiter: RateLimiter) -> None:
    tenant = (f"tenant:{uuid.uuid4()}", Limit(rate=0.01, burst=3))
    user = (f"user:{uuid.uuid4()}", Limit(rate=0.01, burst=1))
    assert (await limiter.take([user, tenant])).allowed
    refused = await limiter.take([user, tenant])
    assert (refused.allowed, refused.index) == (False, 0)
    # the refused request took nothing from the tenant: two tokens are left
    other_user = (f"user:{uuid.uuid4()}", Limit(rate=0.01, burst=5))
    results = [(await limiter.take([other_user, tenant])) for _ in range(3)]
    assert [result.allowed for result in results] == [True, True, False]
    assert results[2].index == 1
    assert results[2].retry_after == pytest.approx(100, rel=0.05)


async def test_separate_keys_are_separate_buckets(limiter: RateLimiter) -> None:
    limit = Limit(rate=0.01, burst=1)
    keys = [f"ip:198.51.100.{n}" + uuid.uuid4().hex for n in range(5)]
    assert all([(await limiter.take([(key, limit)])).allowed for key in keys])
    assert not any([(await limiter.take([(key, limit)])).allowed for key in keys])


@pytest.mark.skipif(not redis_available(), reason="no Redis on 127.0.0.1:6379")
async def test_redis_buckets_expire_once_they_would_be_full_again() -> None:
    prefix = f"test:{uuid.uuid4().hex}:"
    limiter = RedisRateLimiter(REDIS_URL, prefix=prefix)
    client = redis.from_url(REDIS_URL)
    try:
        await limiter.take([("user:a", Limit(rate=2.0, burst=10))])
        ttl_ms = await client.pttl(prefix + "user:a")
        assert 5000 < ttl_ms <= 6000  # 10 tokens at 2/s: full again after 5 s (plus a second)
        assert await client.hget(prefix + "user:a", "tokens") == b"9"
    finally:
        await client.delete(prefix + "user:a")
        await client.aclose()
        await limiter.close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_without_redis_requests_go_through_and_the_failure_is_counted() -> None:
    limiter = RedisRateLimiter(f"redis://127.0.0.1:{_closed_port()}/0")
    before = REGISTRY.get_sample_value("rate_limiter_errors_total", {"backend": "redis"}) or 0.0
    try:
        decisions = [await limiter.take([("user:x", Limit(rate=0.01, burst=1))]) for _ in range(3)]
    finally:
        await limiter.close()
    assert all(decision.allowed for decision in decisions)
    assert REGISTRY.get_sample_value("rate_limiter_errors_total", {"backend": "redis"}) == before + 3


async def test_memory_buckets_are_bounded_and_drop_full_ones_first() -> None:
    limiter = MemoryRateLimiter(max_buckets=10)
    slow = Limit(rate=0.001, burst=1)
    fast = Limit(rate=1000.0, burst=1)
    assert (await limiter.take([("spent", slow)])).allowed
    for n in range(20):
        await limiter.take([(f"client-{n}", fast)])
        await asyncio.sleep(0.002)  # the fast buckets are full again at once
    assert len(limiter._buckets) <= 10
    assert not (await limiter.take([("spent", slow)])).allowed  # the empty bucket was kept
