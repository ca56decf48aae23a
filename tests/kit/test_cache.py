"""Both cache backends behave the same: set, get, expire, delete, ping."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator

import pytest

from vextrus.kit.cache import Cache, MemoryCache, RedisCache


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(params=["memory", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    if request.param == "memory":
        backend: Cache = MemoryCache(max_entries=3)
    else:
        if not redis_up():
            pytest.skip("no Redis on 127.0.0.1:6379")
        backend = RedisCache("redis://127.0.0.1:6379/15", prefix=f"test:{uuid.uuid4().hex}:")
    yield backend
    await backend.close()


async def test_set_get_delete(cache: Cache) -> None:
    value = {"timezone": "Asia/Dhaka", "amount": "1250000.50", "flags": [1, 2]}
    assert await cache.get("k") is None
    await cache.set("k", value, ttl_seconds=30)
    assert await cache.get("k") == value
    await cache.delete("k", "absent")
    assert await cache.get("k") is None
    assert (await cache.ping())["backend"] == cache.backend


async def test_entries_expire(cache: Cache) -> None:
    await cache.set("short", "lived", ttl_seconds=0.05)
    await asyncio.sleep(0.12)
    assert await cache.get("short") is None


async def test_memory_cache_is_bounded() -> None:
    cache = MemoryCache(max_entries=3)
    for index in range(5):
        await cache.set(f"k{index}", index, ttl_seconds=60)
    assert [await cache.get(f"k{index}") for index in range(5)] == [None, None, 2, 3, 4]
