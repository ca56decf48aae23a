"""The background render worker: queued documents (``mode: async``, or large ones) are rendered here.

Jobs are rows of ``doc_documents`` (status ``queued``), so they survive a restart. The worker claims
the oldest due job in a short transaction (across tenants: the one place this service reads
another tenant's rows, like the outbox relay does, and only to lease the job), then renders and
stores it *as that tenant*, with no transaction open, and records the outcome. A job whose process
died while rendering is claimed again when its lease expires; a failing job is retried
``job_max_attempts`` times, ``job_retry_seconds`` apart, then marked ``failed`` (with an event).

The kit has no start/stop hook for services yet, so the worker starts on first use (a queued job,
the readiness probe) and stops with the process's relay; :func:`on_start` and :func:`on_stop` are
what a kit hook should call.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import json
import weakref
from typing import TYPE_CHECKING, Any

import structlog

from vextrus.kit.errors import AppError
from vextrus.kit.models import utcnow
from vextrus.kit.tenancy import acting_as, cross_tenant
from vextrus.services.documents import metrics, service
from vextrus.services.documents.formatting import language_of
from vextrus.services.documents.models import Document
from vextrus.services.documents.repository import DocumentRepository, claim_next

if TYPE_CHECKING:
    from vextrus.kit.runtime import Runtime

log = structlog.get_logger("vextrus.documents.jobs")


class RenderWorker:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.settings = service.state_of(runtime).settings
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._saw_relay = False

    # --- lifecycle ------------------------------------------------------------------------------

    def ensure_started(self) -> None:
        if self.settings.worker_enabled and (self._task is None or self._task.done()):
            # A fresh context: the worker never runs as the principal of the request that woke it.
            self._task = asyncio.get_running_loop().create_task(
                self._loop(), name="documents-render-worker", context=contextvars.Context()
            )

    def wake(self) -> None:
        self.ensure_started()
        self._wake.set()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _process_stopping(self) -> bool:
        running = self.runtime.relay.running
        self._saw_relay = self._saw_relay or running
        return self._saw_relay and not running

    async def _loop(self) -> None:
        while not self._process_stopping():
            try:
                worked = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("render_worker_failed")
                worked = False
            if not worked:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.settings.worker_poll_seconds)

    # --- one job --------------------------------------------------------------------------------

    async def run_once(self, now: dt.datetime | None = None) -> bool:
        """Claim and process one due job; False when there was none."""
        moment = now or utcnow()
        with cross_tenant():
            async with self.runtime.database.transaction() as session:
                job = await claim_next(session, moment, self.settings.job_lease_seconds)
                claimed = (job.id, job.tenant_id) if job is not None else None
        if claimed is None:
            return False
        document_id, tenant_id = claimed
        with acting_as(tenant_id=tenant_id):
            await self._process(document_id)
        return True

    async def _process(self, document_id: Any) -> None:
        async with self.runtime.database.transaction() as session:
            row = await DocumentRepository(session).get(document_id)
            if row is None or row.status != "rendering":
                return
            job = _job_of(row)
        try:
            produced = await service.produce(self.runtime, job)
            stored = await service.store_output(self.runtime, job, produced)
        except Exception as error:
            await self._failed(document_id, error)
            return
        file_id, file_version, size, sha256 = stored
        async with self.runtime.database.transaction() as session:
            row = await DocumentRepository(session).get(document_id)
            if row is None:
                return
            row.status, row.lease_until, row.completed_at = "done", None, utcnow()
            row.file_id, row.file_version, row.size, row.sha256 = file_id, file_version, size, sha256
            row.pages, row.error_code, row.error_detail = produced.rendered.pages, None, None
            await session.flush()
            service.rendered_event(session, row)

    async def _failed(self, document_id: Any, error: Exception) -> None:
        if isinstance(error, AppError):
            code, detail = error.code, error.detail or error.code
            final = error.status < 500  # the data or the template is wrong: retrying cannot help
        else:
            code, detail, final = "internal", f"{type(error).__name__}: {error}", False
            log.exception("render_job_failed", document_id=str(document_id))
        async with self.runtime.database.transaction() as session:
            row = await DocumentRepository(session).get(document_id)
            if row is None:
                return
            row.error_code, row.error_detail, row.lease_until = code[:60], detail[:4000], None
            if final or row.attempts >= self.settings.job_max_attempts:
                row.status = "failed"
                await session.flush()
                service.failed_event(session, row)
                metrics.FAILURES.labels(row.template_key, "job_failed").inc()
            else:
                row.status = "queued"
                row.not_before = utcnow() + dt.timedelta(seconds=self.settings.job_retry_seconds * row.attempts)
                await session.flush()


def _job_of(row: Document) -> service.Job:
    return service.Job(
        tenant_id=row.tenant_id,
        template=row.template_key,
        version=row.template_version,
        format=row.format,
        language=language_of(row.language),
        company_id=row.company_id,
        data=json.loads(row.data or "{}"),
        filename=row.filename,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        requested_by=row.requested_by,
    )


_WORKERS: weakref.WeakKeyDictionary[Runtime, RenderWorker] = weakref.WeakKeyDictionary()


def worker_for(runtime: Runtime) -> RenderWorker:
    worker = _WORKERS.get(runtime)
    if worker is None:
        worker = RenderWorker(runtime)
        _WORKERS[runtime] = worker
    return worker


async def on_start(runtime: Runtime) -> None:
    worker_for(runtime).ensure_started()


async def on_stop(runtime: Runtime) -> None:
    await worker_for(runtime).stop()


async def worker_check(runtime: Runtime) -> dict[str, Any]:
    """Readiness: the render worker runs in this process (started here if it was not)."""
    worker = worker_for(runtime)
    worker.ensure_started()
    return {"worker": "running" if worker.settings.worker_enabled else "disabled"}
