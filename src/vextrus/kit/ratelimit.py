"""Token-bucket rate limiting: in process memory (one process) or in Redis (shared by every process).

A bucket holds at most ``burst`` tokens and refills at ``rate`` tokens per second; a request takes
one. :meth:`RateLimiter.take` checks several buckets at once (say the caller's user and tenant) and
takes a token from each only when every one has a token, so a refused request costs nothing.
A refusal says which bucket refused and when it will hold a token again (``Retry-After``).

The Redis limiter runs one Lua script per request (one round trip, atomic across processes, the
clock is Redis's own so gateways on different machines agree). When Redis cannot be reached the
limiter lets requests through (fails open: rate limiting protects the platform; it must not be the
reason it is down) and counts the failure in ``rate_limiter_errors_total``.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from prometheus_client import Counter

log = structlog.get_logger("vextrus.ratelimit")

RATE_LIMITER_ERRORS = Counter(
    "rate_limiter_errors_total", "Rate-limit checks that failed and let the request through", ["backend"]
)


@dataclass(frozen=True)
class Limit:
    """``rate`` tokens per second, at most ``burst`` at once."""

    rate: float
    burst: int

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError("a limit needs rate > 0 and burst >= 1")


@dataclass(frozen=True)
class Decision:
    """The outcome of one check: allowed, or refused by bucket ``index`` until ``retry_after`` s."""

    allowed: bool
    index: int = -1
    retry_after: float = 0.0

    @property
    def retry_after_header(self) -> str:
        """``Retry-After`` in whole seconds (at least 1)."""
        return str(max(1, math.ceil(self.retry_after)))


ALLOWED = Decision(True)


class RateLimiter(Protocol):
    backend: str

    async def take(self, buckets: Sequence[tuple[str, Limit]]) -> Decision: ...

    async def close(self) -> None: ...


def refill(tokens: float, elapsed: float, limit: Limit) -> float:
    """Tokens in a bucket that held ``tokens`` ``elapsed`` seconds ago."""
    return min(float(limit.burst), tokens + max(elapsed, 0.0) * limit.rate)


def wait_for_token(tokens: float, limit: Limit) -> float:
    """Seconds until a bucket holding ``tokens`` holds one whole token."""
    return max(0.0, (1.0 - tokens) / limit.rate)


class MemoryRateLimiter:
    """Buckets in this process (embedded mode). Bounded: past ``max_buckets`` the buckets that are
    full again are dropped (a dropped bucket comes back full: dropping only ever forgives), then the
    oldest if that is not enough."""

    backend = "memory"

    def __init__(self, max_buckets: int = 100_000) -> None:
        # key -> (tokens, when, when it is full again)
        self._buckets: dict[str, tuple[float, float, float]] = {}
        self._max_buckets = max_buckets

    async def take(self, buckets: Sequence[tuple[str, Limit]]) -> Decision:
        now = time.monotonic()
        stored = self._buckets
        levels: list[float] = []
        for index, (key, limit) in enumerate(buckets):
            state = stored.get(key)
            if state is None:
                tokens = float(limit.burst)
            else:
                tokens = state[0] + (now - state[1]) * limit.rate
                if tokens > limit.burst:
                    tokens = float(limit.burst)
            if tokens < 1.0:
                return Decision(False, index, (1.0 - tokens) / limit.rate)
            levels.append(tokens)
        for (key, limit), tokens in zip(buckets, levels, strict=True):
            left = tokens - 1.0
            stored[key] = (left, now, now + (limit.burst - left) / limit.rate)
        if len(stored) > self._max_buckets:
            self._prune(now)
        return ALLOWED

    def _prune(self, now: float) -> None:
        stored = self._buckets
        for key in [key for key, state in stored.items() if state[2] <= now]:
            del stored[key]
        excess = len(stored) - self._max_buckets // 2
        if excess > 0:
            for key in list(itertools.islice(stored, excess)):
                del stored[key]

    async def close(self) -> None:
        self._buckets.clear()


# KEYS: the buckets; ARGV: per bucket rate and burst. Returns {0} when allowed, else
# {index (1-based), milliseconds until a token}. Each bucket is a hash {tokens, at (ms)} that
# expires once it would be full again anyway.
_TAKE_SCRIPT = """
local now_parts = redis.call('TIME')
local now = now_parts[1] * 1000 + math.floor(now_parts[2] / 1000)
local levels = {}
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = burst
  if state[1] then
    local elapsed = math.max(0, now - tonumber(state[2])) / 1000
    tokens = math.min(burst, tonumber(state[1]) + elapsed * rate)
  end
  if tokens < 1 then
    return {i, math.ceil((1 - tokens) / rate * 1000)}
  end
  levels[i] = tokens
end
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  redis.call('HSET', key, 'tokens', tostring(levels[i] - 1), 'at', tostring(now))
  redis.call('PEXPIRE', key, math.ceil(burst / rate * 1000) + 1000)
end
return {0}
"""


class RedisRateLimiter:
    """Buckets in Redis, shared by every gateway process (distributed mode)."""

    backend = "redis"

    def __init__(self, url: str, prefix: str = "vextrus:ratelimit:") -> None:
        import redis.asyncio as redis

        self._client: Any = redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._script: Any = self._client.register_script(_TAKE_SCRIPT)
        self._prefix = prefix
        self._errors = RATE_LIMITER_ERRORS.labels(self.backend)
        self._last_warning = 0.0

    async def take(self, buckets: Sequence[tuple[str, Limit]]) -> Decision:
        if not buckets:
            return ALLOWED
        keys = [self._prefix + key for key, _ in buckets]
        args: list[float | int] = []
        for _, limit in buckets:
            args.extend((limit.rate, limit.burst))
        try:
            result = await self._script(keys=keys, args=args)
        except Exception as error:  # fail open, loudly
            self._errors.inc()
            now = time.monotonic()
            if now - self._last_warning > 10.0:
                self._last_warning = now
                log.warning("rate_limiter_unavailable", backend=self.backend, error=f"{type(error).__name__}: {error}")
            return ALLOWED
        if int(result[0]) == 0:
            return ALLOWED
        return Decision(False, int(result[0]) - 1, int(result[1]) / 1000)

    async def close(self) -> None:
        await self._client.aclose()


def build_rate_limiter(cache_url: str) -> RateLimiter:
    """Memory for ``memory://``, Redis for ``redis://``/``rediss://`` (the platform's cache URL)."""
    if cache_url.startswith("memory"):
        return MemoryRateLimiter()
    return RedisRateLimiter(cache_url)
