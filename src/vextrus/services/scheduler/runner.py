"""The scheduler's runner: claims due jobs with database leases and runs them.

Exactly once per due time, across any number of replicas:

1. *Claim* (one short transaction, every tenant): lock due jobs (``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL; SQLite's single writer serializes), insert the run of the due time (unique per job,
   due time and trigger) with a lease, and move ``next_run_at`` past now. A replica that races
   for the same due time either skips the locked row or fails on the unique run: the run is the
   other replica's.
2. *Run* with no transaction open: publish the job's event (in the same transaction that marks the
   run succeeded) or call its service as the scheduler in the job's tenant, with a timeout.
3. *Record*: succeeded, or retrying with exponential back-off until ``max_attempts``, then failed.
   A run whose replica died (lease expired while ``running``) is taken over by the next tick.

Missed due times (the platform was down) are not replayed one by one: the latest is run once.
The clock is injectable (tests move it instead of sleeping).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import time
import uuid
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from vextrus.kit.errors import AppError
from vextrus.kit.events import record_event
from vextrus.kit.models import new_id, utcnow
from vextrus.kit.tenancy import Principal, acting_as, cross_tenant
from vextrus.services.scheduler import metrics
from vextrus.services.scheduler.events import JOB_TRIGGERED, RUN_FINISHED, JobTriggered, RunFinished
from vextrus.services.scheduler.models import Run
from vextrus.services.scheduler.repository import JobRepository, RunRepository, due_jobs, runs_to_resume
from vextrus.services.scheduler.service import SERVICE_SUBJECT, dump, load, next_due
from vextrus.services.scheduler.settings import SchedulerSettings

if TYPE_CHECKING:
    from vextrus.kit.runtime import Runtime

log = structlog.get_logger("vextrus.scheduler")

MAX_OUTPUT_BYTES = 8 * 1024


class SchedulerRunner:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.settings = runtime.settings_of(SchedulerSettings)
        self.clock: Callable[[], dt.datetime] = utcnow
        self.owner = uuid.uuid4().hex
        self._task: asyncio.Task[None] | None = None
        self._tick_lock = asyncio.Lock()

    def now(self) -> dt.datetime:
        return self.clock()

    # --- lifecycle ------------------------------------------------------------------------------

    def ensure_started(self) -> None:
        """Start the background loop (once) when this process runs jobs."""
        if self._task is None and self.settings.runner_enabled:
            self._task = asyncio.get_running_loop().create_task(self._loop(), context=contextvars.Context())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler_tick_failed")
            await asyncio.sleep(self.settings.tick_seconds)

    # --- one tick -------------------------------------------------------------------------------

    async def tick(self) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """Claim what is due now and run it; returns the ``(run, tenant)`` pairs this replica ran."""
        async with self._tick_lock:
            now = self.now()
            claimed = await self._claim_due(now) + await self._claim_resumable(now)
            for run_id, tenant_id in claimed:
                await self.execute(run_id, tenant_id)
            return claimed

    async def _claim_due(self, now: dt.datetime) -> list[tuple[uuid.UUID, uuid.UUID]]:
        claimed: list[tuple[uuid.UUID, uuid.UUID]] = []
        try:
            with cross_tenant():
                async with self.runtime.database.transaction() as session:
                    for job in await due_jobs(session, now, self.settings.batch_size):
                        due = job.next_run_at
                        assert due is not None
                        run = Run(
                            id=new_id(),
                            tenant_id=job.tenant_id,
                            job_id=job.id,
                            job_key=job.key,
                            scheduled_for=due,
                            trigger="schedule",
                            status="running",
                            attempts=1,
                            lease_owner=self.owner,
                            lease_until=now + dt.timedelta(seconds=self.settings.lease_seconds),
                            started_at=now,
                            created_at=now,
                        )
                        session.add(run)
                        job.last_run_at = due
                        job.next_run_at = next_due(job, max(due, now))
                        job.updated_at = now
                        claimed.append((run.id, job.tenant_id))
                        metrics.START_DELAY.observe(max(0.0, (now - due).total_seconds()))
        except (IntegrityError, StaleDataError):
            metrics.CLAIM_CONFLICTS.inc()
            log.info("scheduler_claim_lost", owner=self.owner)
            return []
        return claimed

    async def _claim_resumable(self, now: dt.datetime) -> list[tuple[uuid.UUID, uuid.UUID]]:
        claimed: list[tuple[uuid.UUID, uuid.UUID]] = []
        try:
            with cross_tenant():
                async with self.runtime.database.transaction() as session:
                    for run in await runs_to_resume(session, now, self.settings.batch_size):
                        run.status = "running"
                        run.attempts += 1
                        run.lease_owner = self.owner
                        run.lease_until = now + dt.timedelta(seconds=self.settings.lease_seconds)
                        run.next_attempt_at = None
                        claimed.append((run.id, run.tenant_id))
        except (IntegrityError, StaleDataError):
            metrics.CLAIM_CONFLICTS.inc()
            return []
        return claimed

    async def trigger(self, job_id: uuid.UUID, tenant_id: uuid.UUID) -> uuid.UUID:
        """Run a job now (manually), whatever its schedule; returns the run id."""
        now = self.now()
        with acting_as(tenant_id=tenant_id):
            async with self.runtime.database.transaction() as session:
                job = await JobRepository(session).get(job_id)
                if job is None:
                    raise AppError(404, "not_found", f"Job {job_id} was not found", f"নির্ধারিত কাজ {job_id} পাওয়া যায়নি")
                run = Run(
                    id=new_id(),
                    tenant_id=tenant_id,
                    job_id=job.id,
                    job_key=job.key,
                    scheduled_for=now,
                    trigger="manual",
                    status="running",
                    attempts=1,
                    lease_owner=self.owner,
                    lease_until=now + dt.timedelta(seconds=self.settings.lease_seconds),
                    started_at=now,
                    created_at=now,
                )
                RunRepository(session).add(run)
        await self.execute(run.id, tenant_id)
        return run.id

    # --- running --------------------------------------------------------------------------------

    async def execute(self, run_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
        with acting_as(tenant_id=tenant_id):
            async with self.runtime.database.transaction() as session:
                run = await RunRepository(session).get(run_id)
                job = await JobRepository(session).get(run.job_id) if run is not None else None
                if run is None or job is None or run.status != "running" or run.lease_owner != self.owner:
                    return
                target = load(job.target)
                snapshot = {
                    "payload": load(job.payload),
                    "timeout": job.timeout_seconds,
                    "attempts": run.attempts,
                    "max_attempts": job.max_attempts,
                    "retry_delay": job.retry_delay_seconds,
                }
            started = time.perf_counter()
            if target["type"] == "event":
                await self._publish(run_id, snapshot)
                metrics.RUN_DURATION.labels("event").observe(time.perf_counter() - started)
                return
            ok, output, error = await self._call(target, tenant_id, run_id, snapshot)
            metrics.RUN_DURATION.labels("http").observe(time.perf_counter() - started)
            await self._record(run_id, snapshot, "http", ok, output, error)

    async def _publish(self, run_id: uuid.UUID, snapshot: dict[str, Any]) -> None:
        """The event and the run's success commit together: published exactly once."""
        async with self.runtime.database.transaction() as session:
            run = await RunRepository(session).get(run_id)
            if run is None or run.status != "running":
                return
            record_event(
                session,
                JOB_TRIGGERED,
                JobTriggered(
                    job_id=run.job_id,
                    job_key=run.job_key,
                    run_id=run.id,
                    scheduled_for=run.scheduled_for,
                    trigger=run.trigger,
                    payload=snapshot["payload"],
                ),
                subject=run.job_id,
            )
            await self._finish(session, run, "succeeded", {"event": JOB_TRIGGERED.name}, None, "event")

    async def _call(
        self, target: dict[str, Any], tenant_id: uuid.UUID, run_id: uuid.UUID, snapshot: dict[str, Any]
    ) -> tuple[bool | None, Any, str | None]:
        """``(ok, output, error)``; ok None means a transient failure worth a retry."""
        service = target["service"]
        runtime = self.runtime
        if not any(item.name == service for item in runtime.services) and service not in runtime.settings.service_urls:
            return False, None, f"the {service} service is not deployed"
        caller = Principal(
            subject=SERVICE_SUBJECT,
            tenant_id=tenant_id,
            permissions=frozenset(target.get("permissions", ())),
            roles=("system",),
        )
        try:
            response = await asyncio.wait_for(
                runtime.clients.request(
                    service,
                    target.get("method", "POST"),
                    target["path"],
                    principal=caller,
                    json=target.get("body"),
                    headers={"Idempotency-Key": f"scheduler-run-{run_id}"},
                ),
                timeout=snapshot["timeout"],
            )
        except TimeoutError:
            return None, None, f"no answer from {service} within {snapshot['timeout']} s"
        except AppError as error:
            return None, None, f"{service}: {error.code} {error.detail or ''}".strip()
        try:
            output: Any = response.json()
        except ValueError:
            output = {"status": response.status_code}
        if 200 <= response.status_code < 300:
            return True, output, None
        message = f"{service} answered {response.status_code}"
        transient = response.status_code in (408, 425, 429) or response.status_code >= 500
        return (None if transient else False), output, message

    async def _record(
        self, run_id: uuid.UUID, snapshot: dict[str, Any], target: str, ok: bool | None, output: Any, error: str | None
    ) -> None:
        async with self.runtime.database.transaction() as session:
            run = await RunRepository(session).get(run_id)
            if run is None or run.status != "running":
                return
            if ok is None and run.attempts < snapshot["max_attempts"]:
                run.status = "retrying"
                run.error = error
                run.output = _output(output)
                delay = snapshot["retry_delay"] * 2 ** (run.attempts - 1)
                run.next_attempt_at = self.now() + dt.timedelta(seconds=delay)
                run.lease_until = None
                return
            await self._finish(session, run, "succeeded" if ok else "failed", output, error, target)

    async def _finish(self, session: Any, run: Run, status: str, output: Any, error: str | None, target: str) -> None:
        now = self.now()
        run.status = status
        run.output = _output(output)
        run.error = error
        run.finished_at = now
        run.lease_until = None
        job = await JobRepository(session).get(run.job_id)
        if job is not None:
            job.last_status = status
            if job.kind == "once" and run.trigger == "schedule":
                job.status = "completed"
                job.next_run_at = None
            job.updated_at = now
        record_event(
            session,
            RUN_FINISHED,
            RunFinished(
                job_id=run.job_id,
                job_key=run.job_key,
                run_id=run.id,
                scheduled_for=run.scheduled_for,
                status=status,
                attempts=run.attempts,
                error=error,
            ),
            subject=run.job_id,
        )
        metrics.RUNS.labels(target, status).inc()


def _output(output: Any) -> str | None:
    if output is None:
        return None
    text = dump(output)
    return text if len(text.encode()) <= MAX_OUTPUT_BYTES else dump({"truncated": True})


_RUNNERS: weakref.WeakKeyDictionary[Runtime, SchedulerRunner] = weakref.WeakKeyDictionary()


def runner_for(runtime: Runtime) -> SchedulerRunner:
    existing = _RUNNERS.get(runtime)
    if existing is None:
        existing = SchedulerRunner(runtime)
        _RUNNERS[runtime] = existing
    return existing
