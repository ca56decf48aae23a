"""Demo data: the jobs a Bangladeshi construction group runs.

Every demo tenant: the workflow SLA sweep every five minutes and the Mushak-9.1 VAT return
reminder at 09:00 on the 15th. Padma: its monthly rent invoices on the 1st. The platform: the
nightly retention job. Idempotent: a job is created only when its key is missing.
"""

from __future__ import annotations

import uuid
from typing import Any

from vextrus.demo import DEMO_TENANTS
from vextrus.kit.service import SeedContext
from vextrus.kit.tenancy import acting_as
from vextrus.services.scheduler import service
from vextrus.services.scheduler.repository import JobRepository
from vextrus.services.scheduler.runner import runner_for
from vextrus.services.scheduler.schemas import JobCreate

SLA_SWEEP: dict[str, Any] = {
    "key": "workflow.sla-sweep",
    "name": "Workflow SLA sweep",
    "description": "Reminders, escalations and auto-rejections of late approvals",
    "schedule": {"cron": "*/5 * * * *"},
    "target": {
        "type": "http",
        "service": "workflow",
        "method": "POST",
        "path": "/api/v1/workflows/sla/sweep",
        "permissions": ["workflow.sla.sweep"],
    },
    "max_attempts": 2,
    "retry_delay_seconds": 30,
}
VAT_REMINDER: dict[str, Any] = {
    "key": "vat.return-reminder",
    "name": "VAT return (Mushak-9.1) reminder",
    "description": "The monthly VAT return is due by the 15th of the following month",
    "schedule": {"cron": "0 9 15 * *"},
    "target": {"type": "event"},
    "payload": {
        "form": "Mushak-9.1",
        "return_period": "previous-month",
        "due_day": 15,
        "notify_roles": ["accountant", "finance-manager"],
    },
}
RENT_INVOICES: dict[str, Any] = {
    "key": "documents.recurring-rent-invoices",
    "name": "Monthly rent invoices",
    "description": "Raise the rent invoices of leased flats and shops on the 1st",
    "schedule": {"cron": "0 8 1 * *"},
    "target": {"type": "event"},
    "payload": {"document": "rent-invoice", "series": "RENT", "properties": ["Padma Tower, Rajshahi"]},
}
RETENTION: dict[str, Any] = {
    "key": "platform.retention",
    "name": "Data retention",
    "description": "Purge sent outbox events, old evaluation history and expired sessions",
    "schedule": {"cron": "30 2 * * *"},
    "target": {"type": "event"},
    "payload": {"outbox_days": 14, "evaluations_days": 400, "audit_years": 7},
}

JOBS: dict[str, tuple[dict[str, Any], ...]] = {
    "meghna-group": (SLA_SWEEP, VAT_REMINDER),
    "padma-developers": (SLA_SWEEP, VAT_REMINDER, RENT_INVOICES),
}
PLATFORM_JOBS = (RETENTION,)


async def _ensure(ctx: SeedContext, tenant_id: uuid.UUID, jobs: tuple[dict[str, Any], ...]) -> None:
    runner = runner_for(ctx.runtime)
    with acting_as(tenant_id=tenant_id):
        async with ctx.runtime.database.transaction() as session:
            repository = JobRepository(session)
            for job in jobs:
                if await repository.by_key(job["key"]) is None:
                    await service.create_job(
                        session, JobCreate.model_validate(job), None, runner.now(), runner.settings.max_jobs_per_tenant
                    )


async def seed(ctx: SeedContext) -> None:
    for tenant in DEMO_TENANTS:
        await _ensure(ctx, tenant.id, JOBS.get(tenant.slug, ()))
    await _ensure(ctx, service.PLATFORM_TENANT_ID, PLATFORM_JOBS)
