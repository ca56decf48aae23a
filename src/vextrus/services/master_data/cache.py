"""Read-through cache of master records (the runtime cache: memory embedded, Redis distributed).

A record is cached as its JSON representation under ``md:<entity>:<tenant>:<id>``; the account
tree under ``md:account-tree:<tenant>``. A change invalidates its keys only after its transaction
commits, and marks them "quiet" for a moment: a read that loaded the old row just before the
commit must not put it back after the invalidation (the reader checks the marker before and
after filling). Cache failures never fail a request: reads fall back to the database.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.cache import Cache
from vextrus.kit.db import after_commit
from vextrus.services.master_data import metrics

log = structlog.get_logger("vextrus.master_data.cache")

TTL_SECONDS = 300.0
QUIET_SECONDS = 2.0
_PENDING = "md_cache_invalidations"


def record_key(entity: str, tenant_id: uuid.UUID, ident: uuid.UUID) -> str:
    return f"md:{entity}:{tenant_id}:{ident}"


def tree_key(tenant_id: uuid.UUID) -> str:
    return f"md:account-tree:{tenant_id}"


class RecordCache:
    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    async def get(self, key: str) -> Any | None:
        try:
            value = await self.cache.get(key)
        except Exception:
            log.warning("master_data_cache_unavailable", exc_info=True)
            value = None
        if value is None:
            metrics.CACHE_MISSES.inc()
            return None
        metrics.CACHE_HITS.inc()
        return value

    async def fill(self, key: str, value: Any) -> None:
        quiet = key + ":quiet"
        try:
            if await self.cache.get(quiet) is not None:
                return
            await self.cache.set(key, value, TTL_SECONDS)
            if await self.cache.get(quiet) is not None:
                await self.cache.delete(key)
        except Exception:
            log.warning("master_data_cache_unavailable", exc_info=True)

    def invalidate_after_commit(self, session: AsyncSession, *keys: str) -> None:
        pending: set[str] = session.info.setdefault(_PENDING, set())
        fresh = [key for key in keys if key not in pending]
        if not fresh:
            return
        pending.update(fresh)
        cache = self.cache

        async def invalidate() -> None:
            for key in fresh:
                await cache.set(key + ":quiet", 1, QUIET_SECONDS)
            await cache.delete(*fresh)

        after_commit(session, invalidate)
