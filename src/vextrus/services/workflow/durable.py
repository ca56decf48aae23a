"""Durable execution with DBOS Transact: SLA timers and system steps that survive a crash.

DBOS keeps its own system database, never the application's: a separate SQLite file in embedded
mode (``<app db>.dbos.sqlite``), its own PostgreSQL database otherwise (``<app db>_dbos``), or
``VEXTRUS_WORKFLOW_SYSTEM_DATABASE_URL``. Two kinds of durable workflow run here:

- ``sla-timer``: sleeps until a step's reminder and then its deadline (``DBOS.sleep_async`` keeps
  the original deadline across restarts) and applies the SLA of that process.
- ``system-state``: runs a system state's steps in order, each attempt a checkpointed DBOS step
  with a timeout; transient failures are retried after durable back-off sleeps; a step that fails
  for good compensates the completed ones in reverse order (saga), then the state is left through
  ``failed``. A restarted process resumes at the step it was in; finished steps are not re-run.

Workflow ids are derived from the process (``wf-system-<instance>-<entry>``), so starting one twice
(a retry, the sweep) never runs it twice. DBOS is one per process: every runtime of the process
that serves the workflow service shares it (embedded mode has one; tests may build several on
the same database), and workflows find their runtime by the database they name.
"""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import structlog
from dbos import DBOS, SetWorkflowID
from sqlalchemy.engine import make_url

from vextrus.kit.models import utcnow
from vextrus.kit.settings import Settings
from vextrus.services.workflow import system
from vextrus.services.workflow.definitions import SystemStep
from vextrus.services.workflow.engine import SystemRunRequest, TimerRequest, WorkflowEngine
from vextrus.services.workflow.settings import WorkflowSettings

log = structlog.get_logger("vextrus.workflow.durable")

# Recovery resumes only workflows of the same application version: bump this when a workflow's
# sequence of steps changes incompatibly.
DURABLE_VERSION = "vextrus-workflow-1"
ENGINE_WAIT_SECONDS = 30.0


def system_database_url(settings: Settings, workflow: WorkflowSettings) -> str:
    """The DBOS system database: configured, or derived from (but never equal to) the application's."""
    if workflow.system_database_url:
        return workflow.system_database_url
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if not database or database == ":memory:":
            raise ValueError("an in-memory application database needs VEXTRUS_WORKFLOW_SYSTEM_DATABASE_URL")
        path = Path(database).resolve()
        return f"sqlite:///{path.with_name(path.stem + '.dbos.sqlite')}"
    return url.set(drivername="postgresql", database=f"{url.database}_dbos").render_as_string(hide_password=False)


class _Host:
    """The process's one DBOS and the engines (by application database) its workflows serve."""

    def __init__(self) -> None:
        self.url: str | None = None
        self.engines: dict[str, list[WorkflowEngine]] = {}
        self.lock: asyncio.Lock | None = None

    def engine(self, db_key: str) -> WorkflowEngine | None:
        stack = self.engines.get(db_key)
        return stack[-1] if stack else None

    def count(self) -> int:
        return sum(len(stack) for stack in self.engines.values())


_HOST = _Host()


def _lock() -> asyncio.Lock:
    if _HOST.lock is None:
        _HOST.lock = asyncio.Lock()
    return _HOST.lock


async def start(engine: WorkflowEngine) -> None:
    """Launch DBOS (once per process) and register ``engine``; launching recovers pending workflows."""
    url = system_database_url(engine.runtime.settings, engine.settings)
    async with _lock():
        if _HOST.url is not None and _HOST.url != url:
            # One DBOS per process: a runtime on another system database replaces it (tests build
            # several apps in one process). The engines it served start it again on their next use.
            log.warning("durable_runtime_replaced", previous=_HOST.url.split("@")[-1], current=url.split("@")[-1])
            for evicted in [item for stack in _HOST.engines.values() for item in stack]:
                evicted.started = False
            _HOST.engines.clear()
            await _shutdown()
        _HOST.engines.setdefault(engine.db_key, []).append(engine)
        if _HOST.url is None:
            try:
                await _launch(url, engine.settings)
            except Exception:
                _HOST.engines[engine.db_key].remove(engine)
                raise
            _HOST.url = url


async def stop(engine: WorkflowEngine) -> None:
    async with _lock():
        stack = _HOST.engines.get(engine.db_key, [])
        if engine in stack:
            stack.remove(engine)
        if _HOST.url is not None and _HOST.count() == 0:
            await _shutdown()


async def _launch(url: str, settings: WorkflowSettings) -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    DBOS(
        config={
            "name": "vextrus-workflow",
            "system_database_url": url,
            "application_version": DURABLE_VERSION,
            "executor_id": settings.executor_id,
            "log_level": "ERROR",
            "notification_listener_polling_interval_sec": 0.1,
        }
    )
    # Launched from the app's event loop, DBOS runs (and recovers) async workflows on this loop.
    DBOS.launch()
    await DBOS._configure_asyncio_thread_pool()
    log.info("durable_runtime_started", system_database=url.split("@")[-1])


async def _shutdown() -> None:
    """Stop DBOS; its workflows in flight stay PENDING and resume at the next launch."""
    from dbos._dbos import _dbos_global_instance

    instance = _dbos_global_instance
    if instance is not None:
        for task in list(getattr(instance, "_workflow_tasks", ())):
            task.cancel()
        await asyncio.sleep(0)
    await asyncio.to_thread(DBOS.destroy)
    # DBOS made its (now shut down) executor the loop's default one; give the loop a fresh pool.
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(thread_name_prefix="asyncio"))
    _HOST.url = None


async def _engine(db_key: str) -> WorkflowEngine:
    """The engine serving ``db_key`` (waits briefly while a runtime is starting)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ENGINE_WAIT_SECONDS
    while True:
        engine = _HOST.engine(db_key)
        if engine is not None:
            return engine
        if loop.time() > deadline:
            raise RuntimeError(f"no workflow engine serves {db_key}")
        await asyncio.sleep(0.2)


async def start_timer(engine: WorkflowEngine, timer: TimerRequest) -> None:
    with SetWorkflowID(timer.workflow_id):
        await DBOS.start_workflow_async(
            sla_timer,
            engine.db_key,
            str(timer.tenant_id),
            str(timer.instance_id),
            timer.remind_at.isoformat() if timer.remind_at else None,
            timer.due_at.isoformat(),
        )


async def start_system_run(engine: WorkflowEngine, run: SystemRunRequest) -> None:
    with SetWorkflowID(run.workflow_id):
        await DBOS.start_workflow_async(
            system_state, engine.db_key, str(run.tenant_id), str(run.instance_id), run.entry_seq
        )


async def workflow_status(workflow_id: str) -> str | None:
    status = await DBOS.get_workflow_status_async(workflow_id)
    return None if status is None else str(status.status)


# --- steps (checkpointed: a finished step is never run again) ----------------------------------------


@DBOS.step(name="vextrus.workflow.seconds-until")
async def _seconds_until(db_key: str, moment: str) -> float:
    # Durable sleeps run on the wall clock; the engine's (injectable) clock decides what is due
    # when the timer wakes, exactly as the sweep does.
    return max(0.0, (system.parse_time(moment) - utcnow()).total_seconds())


@DBOS.step(name="vextrus.workflow.apply-sla")
async def _apply_sla(db_key: str, tenant: str, instance: str) -> dict[str, int]:
    from vextrus.services.workflow.sla import apply_sla

    engine = await _engine(db_key)
    return await apply_sla(engine, uuid.UUID(tenant), uuid.UUID(instance))


@DBOS.step(name="vextrus.workflow.system-plan")
async def _system_plan(db_key: str, tenant: str, instance: str, entry_seq: int) -> dict[str, Any] | None:
    engine = await _engine(db_key)
    return await system.system_plan(engine, uuid.UUID(tenant), uuid.UUID(instance), entry_seq)


@DBOS.step(name="vextrus.workflow.mark")
async def _mark(
    db_key: str,
    tenant: str,
    instance: str,
    entry_seq: int,
    state: str,
    position: int,
    name: str,
    kind: str,
    status: str,
) -> None:
    engine = await _engine(db_key)
    if status == "running":
        await system.begin(engine, uuid.UUID(tenant), uuid.UUID(instance), entry_seq, state, position, name, kind, 1)
    else:
        await system.end(engine, uuid.UUID(tenant), uuid.UUID(instance), entry_seq, position, kind, status)


@DBOS.step(name="vextrus.workflow.attempt")
async def _attempt(
    db_key: str,
    tenant: str,
    instance: str,
    entry_seq: int,
    state: str,
    position: int,
    kind: str,
    raw_step: dict[str, Any],
    context: dict[str, Any],
    attempt: int,
    last: bool,
) -> dict[str, Any]:
    """One attempt of a step's action (``kind`` action) or compensation, recorded before and after."""
    engine = await _engine(db_key)
    tenant_id, instance_id = uuid.UUID(tenant), uuid.UUID(instance)
    step = SystemStep.model_validate(raw_step)
    action = step.action if kind == "action" else step.compensation
    assert action is not None
    await system.begin(engine, tenant_id, instance_id, entry_seq, state, position, step.name, kind, attempt)
    outcome, result, error = await system.perform(engine, tenant_id, instance_id, action, context, step.timeout_seconds)
    if outcome == "retry" and last:
        outcome = "failed"
    recorded = {"completed": "completed" if kind == "action" else "compensated"}.get(outcome, outcome)
    await system.end(
        engine,
        tenant_id,
        instance_id,
        entry_seq,
        position,
        kind,
        "retrying" if outcome == "retry" else recorded,
        result=result,
        error=error,
    )
    return {"outcome": outcome, "result": result, "error": error}


@DBOS.step(name="vextrus.workflow.compensated")
async def _compensated(db_key: str, tenant: str, instance: str, entry_seq: int, position: int) -> None:
    engine = await _engine(db_key)
    await system.mark_compensated(engine, uuid.UUID(tenant), uuid.UUID(instance), entry_seq, position)


@DBOS.step(name="vextrus.workflow.finish")
async def _finish(
    db_key: str, tenant: str, instance: str, entry_seq: int, outcome: str, error: str | None
) -> str | None:
    engine = await _engine(db_key)
    return await system.finish(
        engine,
        uuid.UUID(tenant),
        uuid.UUID(instance),
        entry_seq,
        "completed" if outcome == "completed" else "failed",
        error,
    )


# --- workflows (deterministic: only steps and durable sleeps) -----------------------------------------


@DBOS.workflow(name="vextrus.workflow.sla-timer")
async def sla_timer(db_key: str, tenant: str, instance: str, remind_at: str | None, due_at: str) -> str:
    for moment in (remind_at, due_at):
        if moment is None:
            continue
        await DBOS.sleep_async(await _seconds_until(db_key, moment))
        await _apply_sla(db_key, tenant, instance)
    return "done"


async def _run_with_retries(
    db_key: str,
    tenant: str,
    instance: str,
    entry_seq: int,
    state: str,
    position: int,
    kind: str,
    step: SystemStep,
    context: dict[str, Any],
) -> dict[str, Any]:
    attempt = 0
    while True:
        attempt += 1
        last = attempt > step.retries
        raw = step.model_dump(mode="json", exclude_none=True)
        outcome = await _attempt(
            db_key, tenant, instance, entry_seq, state, position, kind, raw, context, attempt, last
        )
        if outcome["outcome"] != "retry":
            return outcome
        await DBOS.sleep_async(step.retry_delay_seconds * 2 ** (attempt - 1))


@DBOS.workflow(name="vextrus.workflow.system-state")
async def system_state(db_key: str, tenant: str, instance: str, entry_seq: int) -> str:
    plan = await _system_plan(db_key, tenant, instance, entry_seq)
    if plan is None:
        return "stale"
    state: str = plan["state"]
    context: dict[str, Any] = plan["context"]
    done: list[int] = []
    failure: str | None = None
    for position, raw in enumerate(plan["steps"]):
        step = SystemStep.model_validate(raw)
        if step.action.kind == "delay":
            assert step.action.seconds is not None
            await _mark(db_key, tenant, instance, entry_seq, state, position, step.name, "delay", "running")
            await DBOS.sleep_async(step.action.seconds)
            await _mark(db_key, tenant, instance, entry_seq, state, position, step.name, "delay", "completed")
            continue
        outcome = await _run_with_retries(db_key, tenant, instance, entry_seq, state, position, "action", step, context)
        if outcome["outcome"] in ("completed", "skipped"):
            context["steps"][step.name] = outcome["result"] if isinstance(outcome["result"], dict) else {}
            if outcome["outcome"] == "completed" and step.compensation is not None:
                done.append(position)
            continue
        failure = f"{step.name}: {outcome['error'] or 'failed'}"
        break
    if failure is None:
        await _finish(db_key, tenant, instance, entry_seq, "completed", None)
        return "completed"
    for position in reversed(done):
        step = SystemStep.model_validate(plan["steps"][position])
        compensation = await _run_with_retries(
            db_key, tenant, instance, entry_seq, state, position, "compensation", step, context
        )
        if compensation["outcome"] == "completed":
            await _compensated(db_key, tenant, instance, entry_seq, position)
    await _finish(db_key, tenant, instance, entry_seq, "failed", failure)
    return "failed"
