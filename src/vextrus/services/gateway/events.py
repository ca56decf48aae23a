"""Events the gateway publishes. Rejected requests come in floods, so the gateway samples: at most
one event per key (client address, user, tenant) per window, carrying how many rejections it
stands for, and at most ``events_per_minute`` in all (see :class:`EventSampler`)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field

from vextrus.kit.service import Topic


class RateLimited(BaseModel):
    scope: Literal["ip", "user", "tenant"] = Field(description="The bucket that refused")
    key: str = Field(description="The client address, user id or tenant id")
    method: str
    route: str = Field(description="Route key, e.g. /api/v1/configuration")
    limit_per_second: float
    burst: int
    rejected: int = Field(description="Requests refused for this key since the previous event (this one included)")
    window_seconds: float


class AuthFailed(BaseModel):
    reason: str = Field(description="Problem code: unauthorized, or service_unavailable when keys could not be had")
    detail: str
    client_ip: str
    method: str
    route: str
    rejected: int = Field(description="Failures from this client address since the previous event (this one included)")
    window_seconds: float


class FederationError(BaseModel):
    upstream: str = Field(description="The federation gateway's upstream name (graphql)")
    operation: str = Field(description="query, mutation, subscription, batch or unknown")
    status: int = Field(description="HTTP status the client got")
    failures: int = Field(description="Subgraph fetches that failed in the last occurrence")
    detail: str
    occurrences: int = Field(description="Failed operations since the previous event (this one included)")
    window_seconds: float


RATE_LIMITED = Topic("gateway.rate.limited", RateLimited, "A client, user or tenant was refused with 429 (sampled)")
AUTH_FAILED = Topic("gateway.auth.failed", AuthFailed, "Credentials failed verification at the gateway (sampled)")
FEDERATION_ERROR = Topic(
    "gateway.federation.error", FederationError, "A GraphQL operation failed in the federation layer (sampled)"
)
PUBLISHES = [RATE_LIMITED, AUTH_FAILED, FEDERATION_ERROR]


class EventSampler:
    """Decides which occurrences become events: the first for a key, then at most one per
    ``window_seconds`` for it (counting the ones in between), within a global budget per minute."""

    def __init__(
        self,
        window_seconds: float,
        per_minute: int,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window_seconds = window_seconds
        self._per_minute = per_minute
        self._clock = clock
        self._keys: OrderedDict[tuple[str, str], tuple[float, int]] = OrderedDict()
        self._max_keys = max_keys
        self._budget = float(per_minute)
        self._budget_at = self._clock()

    def _spend(self, now: float) -> bool:
        if self._per_minute <= 0:
            return False
        self._budget = min(float(self._per_minute), self._budget + (now - self._budget_at) * self._per_minute / 60.0)
        self._budget_at = now
        if self._budget < 1.0:
            return False
        self._budget -= 1.0
        return True

    def admit(self, topic: str, key: str, now: float | None = None) -> int | None:
        """The number of occurrences the event should report, or None: no event this time."""
        now = self._clock() if now is None else now
        last_sent, pending = self._keys.pop((topic, key), (float("-inf"), 0))
        pending += 1
        if now - last_sent < self.window_seconds or not self._spend(now):
            self._keys[(topic, key)] = (last_sent, pending)
            self._trim()
            return None
        self._keys[(topic, key)] = (now, 0)
        self._trim()
        return pending

    def _trim(self) -> None:
        while len(self._keys) > self._max_keys:
            self._keys.popitem(last=False)
