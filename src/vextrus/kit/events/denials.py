"""Access denials as events: the kit reports every refusal by ``require(...)`` and every rejected
token as ``platform.access.denied`` (docs/events.md, "Access denials"), and the audit service
records them.

Rules, so that a denial is neither lost nor able to flood the database:

- The first denial of a kind (tenant, caller, reason, permission, method, route) in a window is
  written to the outbox at once, in a transaction of its own, before the 401/403 is answered; at
  most ``immediate_per_window`` of those per window and process.
- Repeats of a kind in the window (and first denials beyond that budget) are counted in memory and
  written at the end of the window as one event per kind (``count``, ``first_at``, ``last_at``). At
  most ``max_kinds`` kinds are counted per window; further ones fold into one ``overflow`` kind
  per reason. A flood therefore writes a bounded number of rows per window, whatever its rate.
- Reporting never raises: a failed write is logged and the denial goes back into the counts, to be
  written with the next window (the response stays a 401/403). Counts still in memory are written
  when the process stops; a crash loses at most one window of repeat counts, never the first
  denial of a kind.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from dataclasses import dataclass

import structlog
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.db import Database
from vextrus.kit.events.outbox import record_event
from vextrus.kit.models import utcnow
from vextrus.kit.service import ACCESS_DENIED, AccessDenied

log = structlog.get_logger("vextrus.denials")

ACCESS_DENIALS = Counter(
    "access_denials_total", "Callers refused by the kit (missing permission, rejected token)", ["reason"]
)
ACCESS_DENIAL_EVENTS = Counter(
    "access_denial_events_total",
    "platform.access.denied events written, by how (immediate: first of its kind; coalesced: repeats)",
    ["how"],
)
ANONYMOUS = "anonymous"
OVERFLOW_ROUTE = "*"


@dataclass(frozen=True)
class Denial:
    """One refusal. ``tenant_id`` only when the caller's token verified (or its signature did)."""

    reason: str
    method: str
    route: str
    service: str
    tenant_id: uuid.UUID | None = None
    subject: str | None = None
    permission: str | None = None
    client: str | None = None


@dataclass
class _Tally:
    count: int
    first_at: dt.datetime
    last_at: dt.datetime


class DenialRecorder:
    def __init__(
        self,
        database: Database,
        *,
        window_seconds: float = 10.0,
        immediate_per_window: int = 20,
        max_kinds: int = 200,
    ) -> None:
        self._database = database
        self._window_seconds = window_seconds
        self._immediate_per_window = immediate_per_window
        self._max_kinds = max_kinds
        self._seen: set[Denial] = set()
        self._immediate_left = immediate_per_window
        self._tallies: dict[Denial, _Tally] = {}
        self._task: asyncio.Task[None] | None = None

    async def report(self, denial: Denial) -> None:
        """Record ``denial`` (see the module's rules); never raises."""
        ACCESS_DENIALS.labels(denial.reason).inc()
        now = utcnow()
        if denial not in self._seen and self._immediate_left > 0:
            self._seen.add(denial)
            self._immediate_left -= 1
            try:
                async with self._database.transaction() as session:
                    _record(session, denial, _Tally(1, now, now))
                ACCESS_DENIAL_EVENTS.labels("immediate").inc()
                return
            except Exception:
                log.exception("access_denial_write_failed", reason=denial.reason)
        self._count(denial, _Tally(1, now, now))

    def _count(self, denial: Denial, tally: _Tally) -> None:
        if denial not in self._tallies and len(self._tallies) >= self._max_kinds:
            denial = Denial(denial.reason, "*", OVERFLOW_ROUTE, denial.service)  # the overflow kind
        existing = self._tallies.get(denial)
        if existing is None:
            self._tallies[denial] = tally
        else:
            existing.count += tally.count
            existing.first_at = min(existing.first_at, tally.first_at)
            existing.last_at = max(existing.last_at, tally.last_at)

    async def flush(self) -> int:
        """Write the counted denials (one event per kind) and open a new window; returns events written."""
        tallies, self._tallies = self._tallies, {}
        self._seen.clear()
        self._immediate_left = self._immediate_per_window
        if not tallies:
            return 0
        try:
            async with self._database.transaction() as session:
                for denial, tally in tallies.items():
                    _record(session, denial, tally)
        except Exception:
            log.exception("access_denial_flush_failed", kinds=len(tallies))
            for denial, tally in tallies.items():
                self._count(denial, tally)
            return 0
        ACCESS_DENIAL_EVENTS.labels("coalesced").inc(len(tallies))
        return len(tallies)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="access-denials")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._window_seconds)
            await self.flush()


def _record(session: AsyncSession, denial: Denial, tally: _Tally) -> None:
    payload = AccessDenied(
        reason=denial.reason,
        permission=denial.permission,
        subject=denial.subject,
        method=denial.method,
        route=denial.route,
        service=denial.service,
        client=denial.client,
        count=tally.count,
        first_at=tally.first_at.isoformat(),
        last_at=tally.last_at.isoformat(),
    )
    record_event(
        session,
        ACCESS_DENIED,
        payload,
        subject=denial.subject or ANONYMOUS,
        tenant_id=denial.tenant_id,
        actor=denial.subject,
        platform_wide=denial.tenant_id is None,
    )
