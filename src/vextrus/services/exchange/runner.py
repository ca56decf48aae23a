"""Import jobs in the background: the file is read in a worker thread, batch by batch (the next
batch is read while master data works on the current one), each batch goes to master data's
import route (``dry_run`` for a dry run), the outcome of every row is appended to the job's
outcomes file, and progress, counts and a heartbeat are written after each batch, where a
cancel request is also noticed.

At most ``max_concurrent_jobs`` jobs run per process; the others wait (queued, heartbeating). A
process that stops (``on_stop``) marks the jobs it was running failed at once; a job whose process
died stops heartbeating, and the next process to start (``on_start``), to start a job or to answer
a readiness probe marks it failed: running it again is safe, imports are idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import time
import uuid
import weakref
from collections import Counter, deque
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import update

from vextrus.kit.errors import AppError
from vextrus.kit.events import record_event
from vextrus.kit.models import utcnow
from vextrus.kit.tenancy import Principal, acting_as, cross_tenant
from vextrus.services.exchange import events, metrics
from vextrus.services.exchange.files import FileError
from vextrus.services.exchange.layouts import LAYOUTS, Layout, dedupe_key, describe
from vextrus.services.exchange.models import Job
from vextrus.services.exchange.reading import OUTCOME_HEADER, SourceRow, batches
from vextrus.services.exchange.repository import Jobs, heartbeat, jobs_among, stale_jobs
from vextrus.services.exchange.settings import ExchangeSettings
from vextrus.services.exchange.storage import Storage
from vextrus.services.master_data.client import AssumedAccount, ImportBatch, MasterDataClient

if TYPE_CHECKING:
    from vextrus.kit.runtime import Runtime

log = structlog.get_logger("vextrus.exchange")

SERVICE_SUBJECT = uuid.uuid5(uuid.NAMESPACE_URL, "vextrus:service:exchange")
INTERRUPTED = (
    "The process running this import stopped; run it again (imports are idempotent)",
    "এই আমদানি চালানো প্রক্রিয়াটি থেমে গেছে; আবার চালান (একই ফাইল আবার আমদানি করলে কিছু দ্বিগুণ হয় না)",
)


@dataclass
class Outcome:
    row: int
    status: str  # created | updated | unchanged | invalid | skipped
    code: str = ""
    errors: str = ""
    errors_bn: str = ""
    changed: str = ""

    def cells(self) -> list[Any]:
        return [self.row, self.status, self.code, self.errors, self.errors_bn, self.changed]


@dataclass
class Progress:
    counts: Counter[str] = field(default_factory=Counter)
    seen: dict[str, int] = field(default_factory=dict)  # code -> first row (duplicates in the file)
    would_create: dict[str, AssumedAccount] = field(default_factory=dict)  # accounts, dry runs

    @property
    def processed(self) -> int:
        return sum(self.counts[name] for name in ("created", "updated", "unchanged", "invalid"))


class Cancelled(Exception):
    pass


class JobRunner:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.settings = runtime.settings_of(ExchangeSettings)
        self.storage = Storage(self.settings.storage_dir)
        self._slots = asyncio.Semaphore(self.settings.max_concurrent_jobs)
        self._tasks: dict[uuid.UUID, asyncio.Task[None]] = {}
        self._active: set[uuid.UUID] = set()
        self._heartbeat: asyncio.Task[None] | None = None
        self._swept_at: float | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def submit(self, job_id: uuid.UUID, tenant_id: uuid.UUID, authorization: str | None) -> None:
        """Run the job in the background (a task of its own, in a clean context)."""
        self._active.add(job_id)
        task = asyncio.get_running_loop().create_task(self._run(job_id, tenant_id, authorization))
        self._tasks[job_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job_id, None))
        self._ensure_heartbeat()

    async def wait(self, job_id: uuid.UUID) -> None:
        """Until the job's task in this process is over (tests, benchmarks)."""
        task = self._tasks.get(job_id)
        if task is not None:
            await asyncio.shield(task)

    async def stop(self) -> None:
        """Cancel this process's jobs and mark them failed (their rows stay; run them again)."""
        interrupted = list(self._active)
        for task in list(self._tasks.values()):
            task.cancel()
        for task in list(self._tasks.values()):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if interrupted:
            try:
                await self._fail(interrupted)
            except Exception:
                log.exception("exchange_stop_failed_to_mark_jobs", jobs=[str(ident) for ident in interrupted])
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
            self._heartbeat = None

    def _ensure_heartbeat(self) -> None:
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.get_running_loop().create_task(self._beat())

    async def _beat(self) -> None:
        """Keep this process's queued and running jobs from looking abandoned."""
        interval = self.settings.stale_job_seconds / 3
        while self._active:
            await asyncio.sleep(interval)
            try:
                with cross_tenant():
                    async with self.runtime.database.transaction() as session:
                        await heartbeat(session, list(self._active), utcnow())
            except Exception:
                log.exception("exchange_heartbeat_failed")

    async def sweep(self) -> int:
        """Mark jobs whose process stopped reporting as failed (every tenant); returns how many."""
        self._swept_at = time.monotonic()
        before = utcnow() - dt.timedelta(seconds=self.settings.stale_job_seconds)
        failed = 0
        with cross_tenant():
            async with self.runtime.database.transaction() as session:
                for job in await stale_jobs(session, before):
                    if job.id in self._active:
                        continue
                    finish(session, job, "failed", INTERRUPTED, duration=0.0)
                    failed += 1
        return failed

    async def _fail(self, job_ids: list[uuid.UUID]) -> None:
        with cross_tenant():
            async with self.runtime.database.transaction() as session:
                for job in await jobs_among(session, job_ids):
                    if job.status in ("queued", "running"):
                        finish(session, job, "failed", INTERRUPTED, duration=0.0)

    async def ensure_swept(self) -> None:
        """Sweep at start and then at most every third of ``stale_job_seconds`` (cheap, indexed)."""
        interval = self.settings.stale_job_seconds / 3
        if self._swept_at is None or time.monotonic() - self._swept_at >= interval:
            await self.sweep()

    # --- one job -------------------------------------------------------------------------------

    async def _run(self, job_id: uuid.UUID, tenant_id: uuid.UUID, authorization: str | None) -> None:
        try:
            async with self._slots:
                with acting_as(tenant_id=tenant_id):
                    await self._execute(job_id, authorization)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("exchange_job_crashed", job_id=str(job_id))
        finally:
            self._active.discard(job_id)

    async def _execute(self, job_id: uuid.UUID, authorization: str | None) -> None:
        database = self.runtime.database
        async with database.transaction() as session:
            job = await Jobs(session).locked(job_id)
            if job is None or job.status != "queued":
                return  # cancelled while queued, or swept
            if job.cancel_requested:
                finish(session, job, "cancelled", None, duration=0.0)
                return
            job.status = "running"
            job.started_at = job.heartbeat_at = utcnow()
            record_event(
                session,
                events.JOB_STARTED,
                events.JobStarted(
                    tenant_id=job.tenant_id,
                    job_id=job.id,
                    entity=job.entity,
                    mode=job.mode,
                    file_name=job.file_name,
                    total_rows=job.total_rows,
                    source_job_id=job.source_job_id,
                    actor=job.created_by,
                ),
                subject=job.id,
                actor=str(job.created_by) if job.created_by else None,
            )
        metrics.JOBS_RUNNING.inc()
        started = time.monotonic()
        progress = Progress()
        status, error = "succeeded", None
        try:
            await self._process(job, authorization, progress)
        except Cancelled:
            status = "cancelled"
        except FileError as failure:
            status, error = "failed", (failure.reason, failure.reason_bn)
        except AppError as failure:
            detail = failure.detail or failure.code
            status, error = "failed", (f"Master data refused the import: {detail}", failure.detail_bn or detail)
        except Exception as failure:
            log.exception("exchange_job_failed", job_id=str(job.id))
            status, error = "failed", (f"Unexpected error: {type(failure).__name__}", "অপ্রত্যাশিত ত্রুটি")
        finally:
            metrics.JOBS_RUNNING.dec()
        async with database.transaction() as session:
            current = await Jobs(session).get(job.id)
            if current is not None:
                _apply_counts(current, progress, job.total_rows)
                finish(session, current, status, error, duration=time.monotonic() - started)

    def _client(self, job: Job, authorization: str | None) -> MasterDataClient:
        if self.runtime.issuer is not None:
            principal = Principal(
                subject=job.created_by or SERVICE_SUBJECT,
                tenant_id=job.tenant_id,
                permissions=frozenset(job.permissions),
            )
            return MasterDataClient(self.runtime, principal=principal)
        if authorization:
            return MasterDataClient(self.runtime, authorization=authorization)
        raise AppError(
            503,
            "service_unavailable",
            "This process can neither mint a token nor reuse the uploader's; start the import again",
            "এই প্রক্রিয়া টোকেন তৈরি বা আপলোডকারীর টোকেন ব্যবহার করতে পারে না; আবার আমদানি শুরু করুন",
        )

    async def _process(self, job: Job, authorization: str | None, progress: Progress) -> None:
        layout = LAYOUTS[job.entity]
        client = self._client(job, authorization)
        source = self.storage.path(job.file_key)
        outcomes_path = self.storage.outcomes(job.tenant_id, job.id)
        outcomes_path.parent.mkdir(parents=True, exist_ok=True)
        self.storage.result(job.tenant_id, job.id).unlink(missing_ok=True)
        reader: Generator[list[SourceRow]] = batches(source, job.file_format, layout, self.settings.batch_rows)
        reading: asyncio.Future[list[SourceRow] | None] | None = None
        # Batches in flight at once: master data works on one while the next is validated (its
        # database time overlaps our Python time). Accounts go one by one: a row may name a
        # parent created by an earlier batch. On SQLite (one writer) a second batch would only
        # queue for the write lock and starve other requests (job polls) of it.
        one_by_one = job.entity == "accounts" or self.runtime.database.is_sqlite
        depth = 1 if one_by_one else self.settings.parallel_batches
        in_flight: deque[asyncio.Task[list[Outcome]]] = deque()
        try:
            with outcomes_path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(OUTCOME_HEADER)

                async def complete() -> bool:
                    """Record the oldest batch in flight; True when a cancel was requested."""
                    outcomes = await in_flight.popleft()
                    for outcome in outcomes:
                        if outcome.status != "skipped":
                            progress.counts[outcome.status] += 1
                            metrics.ROWS_PROCESSED.labels(job.entity, job.mode, outcome.status).inc()
                    writer.writerows(outcome.cells() for outcome in outcomes)
                    handle.flush()
                    return await self._report(job, progress)

                cancelled = False
                reading = asyncio.ensure_future(asyncio.to_thread(next, reader, None))
                while not cancelled:
                    batch = await reading
                    reading = None
                    if batch is None:
                        break
                    reading = asyncio.ensure_future(asyncio.to_thread(next, reader, None))  # read ahead
                    in_flight.append(asyncio.ensure_future(self._batch(job, layout, client, batch, progress)))
                    if len(in_flight) >= depth:
                        cancelled = await complete()
                while in_flight:  # batches already sent are recorded, cancelled or not
                    cancelled = await complete() or cancelled
                if cancelled:
                    raise Cancelled
        finally:
            for task in in_flight:
                task.cancel()
            for task in in_flight:
                with contextlib.suppress(BaseException):
                    await task
            if reading is not None:
                with contextlib.suppress(Exception):
                    await reading  # never close the reader while a thread is inside it
            reader.close()

    async def _batch(
        self, job: Job, layout: Layout, client: MasterDataClient, batch: list[SourceRow], progress: Progress
    ) -> list[Outcome]:
        outcomes: dict[int, Outcome] = {}
        sending: list[tuple[SourceRow, dict[str, Any]]] = []
        for row in batch:
            if row.kind != "data" or row.parsed is None:
                if row.kind == "label":
                    outcomes[row.number] = Outcome(row.number, "skipped")
                continue
            parsed = row.parsed
            key = dedupe_key(parsed.values)
            problems = [(column, reason, reason_bn) for column, reason, reason_bn in parsed.errors]
            if key is not None:
                first = progress.seen.setdefault(key, row.number)
                if first != row.number:
                    problems.append(
                        (
                            "code",
                            f"the code {key} is also on row {first} of this file",
                            f"{key} কোডটি এই ফাইলের {first} নম্বর সারিতেও আছে",
                        )
                    )
            if problems:
                english = "; ".join(f"{column}: {reason}" for column, reason, _ in problems)
                bengali = "; ".join(f"{column}: {reason_bn}" for column, _, reason_bn in problems)
                outcomes[row.number] = Outcome(row.number, "invalid", key or "", english, bengali)
                continue
            sending.append((row, parsed.values))
        if sending:
            result = await self._send(job, client, [values for _, values in sending], progress)
            for (row, values), answer in zip(sending, result.results, strict=True):
                if answer.status == "invalid":
                    english, bengali = describe(layout, ((e.field, e.reason, e.reason_bn) for e in answer.errors))
                    outcomes[row.number] = Outcome(row.number, "invalid", answer.code or "", english, bengali)
                else:
                    changed = ", ".join(answer.changed)
                    outcomes[row.number] = Outcome(row.number, answer.status, answer.code or "", changed=changed)
                    if job.entity == "accounts" and answer.status == "created" and answer.code:
                        progress.would_create[answer.code] = AssumedAccount(
                            answer.code, str(values.get("type", "")), values.get("is_group") is True
                        )
        return [outcomes[number] for number in sorted(outcomes)]

    async def _send(
        self, job: Job, client: MasterDataClient, rows: list[dict[str, Any]], progress: Progress
    ) -> ImportBatch:
        dry_run = job.mode == "dry_run"
        assume: list[AssumedAccount] = []
        if dry_run and job.entity == "accounts":
            parents = {str(row.get("parent_code", "")).strip().upper() for row in rows}
            assume = [progress.would_create[code] for code in parents if code in progress.would_create]
        for attempt in (1, 2):
            try:
                return await client.import_rows(job.entity, rows, dry_run=dry_run, assume=assume)
            except AppError as error:
                # A concurrent change created some codes meanwhile: the retry sees them as updates.
                if error.status != 409 or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _report(self, job: Job, progress: Progress) -> bool:
        """Write progress and the heartbeat; True when a cancel was requested."""
        now = utcnow()
        total = max(job.total_rows, 1)
        async with self.runtime.database.transaction() as session:
            result = await session.execute(
                update(Job)
                .where(Job.id == job.id, Job.tenant_id == job.tenant_id)
                .values(
                    processed_rows=progress.processed,
                    created_rows=progress.counts["created"],
                    updated_rows=progress.counts["updated"],
                    unchanged_rows=progress.counts["unchanged"],
                    invalid_rows=progress.counts["invalid"],
                    progress=min(99, progress.processed * 100 // total),
                    heartbeat_at=now,
                    updated_at=now,
                )
                .returning(Job.cancel_requested)
            )
            return bool(result.scalar_one_or_none())


def finish(
    session: Any,
    job: Job,
    status: str,
    error: tuple[str, str] | None,
    *,
    duration: float,
    actor: uuid.UUID | None = None,
) -> None:
    """Record the end of a job: status, time, error, its event and metrics (the caller commits)."""
    actor = actor or job.created_by
    job.status = status
    job.finished_at = utcnow()
    if status == "succeeded":
        job.progress = 100
    job.error, job.error_bn = error if error is not None else (None, None)
    topic = {"succeeded": events.JOB_COMPLETED, "failed": events.JOB_FAILED}.get(status, events.JOB_CANCELLED)
    record_event(
        session,
        topic,
        events.JobFinished(
            tenant_id=job.tenant_id,
            job_id=job.id,
            entity=job.entity,
            mode=job.mode,
            status=status,
            counts=events.JobCounts(**job.counts()),
            duration_seconds=round(duration, 3),
            error=job.error,
            actor=actor,
        ),
        subject=job.id,
        tenant_id=job.tenant_id,
        actor=str(actor) if actor else None,
    )
    metrics.JOBS.labels(job.entity, job.mode, status).inc()
    metrics.JOB_DURATION.labels(job.entity, job.mode).observe(duration)


def _apply_counts(job: Job, progress: Progress, total: int) -> None:
    job.processed_rows = progress.processed
    job.created_rows = progress.counts["created"]
    job.updated_rows = progress.counts["updated"]
    job.unchanged_rows = progress.counts["unchanged"]
    job.invalid_rows = progress.counts["invalid"]
    job.progress = min(99, progress.processed * 100 // max(total, 1))


_RUNNERS: weakref.WeakKeyDictionary[Any, JobRunner] = weakref.WeakKeyDictionary()


def runner_for(runtime: Runtime) -> JobRunner:
    runner = _RUNNERS.get(runtime)
    if runner is None:
        runner = _RUNNERS[runtime] = JobRunner(runtime)
    return runner


async def on_start(runtime: Runtime) -> None:
    """Fail the jobs of processes that stopped without saying so (every tenant)."""
    try:
        await runner_for(runtime).ensure_swept()
    except Exception:  # the readiness probe and the next job sweep again
        log.exception("exchange_start_sweep_failed")


async def on_stop(runtime: Runtime) -> None:
    runner = _RUNNERS.pop(runtime, None)
    if runner is not None:
        await runner.stop()


async def runner_check(runtime: Runtime) -> dict[str, Any]:
    """Readiness: the storage directory is writable; stale jobs of stopped processes are failed."""
    runner = runner_for(runtime)
    directory = runner.storage.root
    directory.mkdir(parents=True, exist_ok=True)
    probe = directory / f".probe-{uuid.uuid4().hex}"
    probe.write_bytes(b"ok")
    probe.unlink()
    await runner.ensure_swept()
    return {"storage": str(directory), "jobs_running": len(runner._active)}
