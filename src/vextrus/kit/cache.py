"""Cache: in-process memory (embedded) or Redis (distributed), one small async interface.

Values are JSON-serialisable. Writers invalidate keys after their transaction commits
(``db.after_commit``); readers fill on miss with a TTL as a safety net.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from typing import Any, Protocol

from prometheus_client import Counter

CACHE_REQUESTS = Counter("cache_requests_total", "Cache look-ups", ["backend", "result"])


class Cache(Protocol):
    backend: str

    async def get(self, key: str) -> Any | None: ...

    async def set(self, key: str, value: Any, ttl_seconds: float) -> None: ...

    async def delete(self, *keys: str) -> None: ...

    async def ping(self) -> dict[str, Any]: ...

    async def close(self) -> None: ...


class MemoryCache:
    """A bounded LRU with per-key expiry, for one process."""

    backend = "memory"

    def __init__(self, max_entries: int = 50_000) -> None:
        self._items: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._max_entries = max_entries
        self._hits = CACHE_REQUESTS.labels(self.backend, "hit")
        self._misses = CACHE_REQUESTS.labels(self.backend, "miss")

    async def get(self, key: str) -> Any | None:
        item = self._items.get(key)
        if item is None or item[0] < time.monotonic():
            if item is not None:
                del self._items[key]
            self._misses.inc()
            return None
        self._items.move_to_end(key)
        self._hits.inc()
        return item[1]

    async def set(self, key: str, value: Any, ttl_seconds: float) -> None:
        self._items[key] = (time.monotonic() + ttl_seconds, value)
        self._items.move_to_end(key)
        while len(self._items) > self._max_entries:
            self._items.popitem(last=False)

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._items.pop(key, None)

    async def ping(self) -> dict[str, Any]:
        return {"backend": self.backend, "entries": len(self._items)}

    async def close(self) -> None:
        self._items.clear()


class RedisCache:
    backend = "redis"

    def __init__(self, url: str, prefix: str = "vextrus:") -> None:
        import redis.asyncio as redis

        self._client = redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self._prefix = prefix
        self._hits = CACHE_REQUESTS.labels(self.backend, "hit")
        self._misses = CACHE_REQUESTS.labels(self.backend, "miss")

    async def get(self, key: str) -> Any | None:
        raw = await self._client.get(self._prefix + key)
        if raw is None:
            self._misses.inc()
            return None
        self._hits.inc()
        return json.loads(raw)

    async def set(self, key: str, value: Any, ttl_seconds: float) -> None:
        await self._client.set(self._prefix + key, json.dumps(value), px=int(ttl_seconds * 1000))

    async def delete(self, *keys: str) -> None:
        if keys:
            await self._client.delete(*(self._prefix + key for key in keys))

    async def ping(self) -> dict[str, Any]:
        await self._client.ping()
        return {"backend": self.backend}

    async def close(self) -> None:
        await self._client.aclose()


def build_cache(url: str) -> Cache:
    if url.startswith("memory"):
        return MemoryCache()
    return RedisCache(url)
