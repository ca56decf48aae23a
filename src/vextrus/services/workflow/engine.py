"""The workflow engine of one runtime: its settings, its clock (injectable), the database it
works in, and the hand-off of durable work (timers, system steps) to the durable runtime after a
transaction commits."""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import uuid
import weakref
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.models import utcnow
from vextrus.kit.tenancy import acting_as, cross_tenant
from vextrus.services.workflow.settings import WorkflowSettings

if TYPE_CHECKING:
    from vextrus.kit.runtime import Runtime

log = structlog.get_logger("vextrus.workflow")

SERVICE_NAME = "workflow"
SERVICE_SUBJECT = uuid.uuid5(uuid.NAMESPACE_URL, f"vextrus:service:{SERVICE_NAME}")
"""The workflow service acting as itself (timers, system steps, calls to other services)."""


@dataclass(frozen=True)
class TimerRequest:
    tenant_id: uuid.UUID
    instance_id: uuid.UUID
    workflow_id: str
    remind_at: dt.datetime | None
    due_at: dt.datetime


@dataclass(frozen=True)
class SystemRunRequest:
    tenant_id: uuid.UUID
    instance_id: uuid.UUID
    entry_seq: int
    workflow_id: str


@dataclass
class Effects:
    """Durable work a transaction asks for; started only once it has committed."""

    timers: list[TimerRequest] = field(default_factory=list)
    system_runs: list[SystemRunRequest] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.timers or self.system_runs)


def database_key(runtime: Runtime) -> str:
    """Names the application database in durable workflows' arguments (no password)."""
    return make_url(str(runtime.database.url)).render_as_string(hide_password=True)


class WorkflowEngine:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.settings = runtime.settings_of(WorkflowSettings)
        self.clock: Callable[[], dt.datetime] = utcnow
        self.db_key = database_key(runtime)
        self.started = False
        self._start_lock: asyncio.Lock | None = None
        self._pending: set[asyncio.Task[Any]] = set()

    def now(self) -> dt.datetime:
        return self.clock()

    @asynccontextmanager
    async def transaction(self, tenant_id: uuid.UUID | None = None) -> AsyncIterator[AsyncSession]:
        """A transaction in ``tenant_id`` (default: the request's tenant already in context)."""
        if tenant_id is None:
            async with self.runtime.database.transaction() as session:
                yield session
            return
        with acting_as(tenant_id=tenant_id):
            async with self.runtime.database.transaction() as session:
                yield session

    async def ensure_started(self) -> None:
        """Start the durable runtime for this engine (once); safe to call on every request."""
        if self.started:
            return
        if self._start_lock is None:
            self._start_lock = asyncio.Lock()
        async with self._start_lock:
            if self.started:
                return
            from vextrus.services.workflow import durable

            await durable.start(self)
            self.started = True
            await self.recount()

    async def recount(self) -> None:
        """Set ``workflow_active_processes`` from the database (every tenant: a metric, not data)."""
        from vextrus.services.workflow.metrics import ACTIVE_PROCESSES
        from vextrus.services.workflow.repository import count_running_by_definition

        try:
            with cross_tenant():
                async with self.runtime.database.transaction() as session:
                    counts = await count_running_by_definition(session)
        except Exception:  # a metric must not stop the engine
            log.exception("workflow_recount_failed")
            return
        for definition, count in counts.items():
            ACTIVE_PROCESSES.labels(definition).set(count)

    async def stop(self) -> None:
        if not self.started:
            return
        for task in list(self._pending):
            task.cancel()
        from vextrus.services.workflow import durable

        await durable.stop(self)
        self.started = False

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        """Run ``coroutine`` in a task with an empty context (no principal, no durable context)."""
        task = asyncio.get_running_loop().create_task(coroutine, context=contextvars.Context())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def dispatch(self, effects: Effects) -> None:
        """After a commit: start the timers and system runs the transaction asked for."""
        if effects:
            self.spawn(self._dispatch(effects))

    async def _dispatch(self, effects: Effects) -> None:
        from vextrus.services.workflow import durable

        try:
            await self.ensure_started()
            for timer in effects.timers:
                await durable.start_timer(self, timer)
            for run in effects.system_runs:
                await durable.start_system_run(self, run)
        except Exception:
            # The SLA sweep starts anything missed (same workflow ids, so never twice).
            log.exception("workflow_dispatch_failed")

    async def drain(self, seconds: float = 10.0) -> None:
        """Wait for dispatches in flight (tests, seeding)."""
        if self._pending:
            await asyncio.wait(list(self._pending), timeout=seconds)


_ENGINES: weakref.WeakKeyDictionary[Runtime, WorkflowEngine] = weakref.WeakKeyDictionary()


def engine_for(runtime: Runtime) -> WorkflowEngine:
    existing = _ENGINES.get(runtime)
    if existing is None:
        existing = WorkflowEngine(runtime)
        _ENGINES[runtime] = existing
    return existing
