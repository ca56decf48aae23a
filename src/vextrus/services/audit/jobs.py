"""The periodic retention purge (every ``VEXTRUS_AUDIT_PURGE_INTERVAL_HOURS``; 0 turns it off)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import structlog

from vextrus.services.audit.service import purge_all
from vextrus.services.audit.settings import AuditSettings

if TYPE_CHECKING:
    from vextrus.kit.runtime import Runtime

log = structlog.get_logger("vextrus.audit")
_TASKS: dict[int, asyncio.Task[None]] = {}


async def _loop(runtime: Runtime, interval_seconds: float) -> None:
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            purged = await purge_all(runtime)
            if purged:
                log.info("audit_retention_purge", purged=purged)
        except Exception:
            log.exception("audit_retention_purge_failed")


async def start(runtime: Runtime) -> None:
    hours = runtime.settings_of(AuditSettings).purge_interval_hours
    if hours > 0 and id(runtime) not in _TASKS:
        _TASKS[id(runtime)] = asyncio.create_task(_loop(runtime, hours * 3600), name="audit-retention")


async def stop(runtime: Runtime) -> None:
    task = _TASKS.pop(id(runtime), None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
