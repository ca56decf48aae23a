"""Scheduler (port 3005): cron and one-off jobs, per tenant and system-wide, in Asia/Dhaka time,
run exactly once per due time across replicas (database leases), with history and retries."""

from __future__ import annotations

from pathlib import Path

from vextrus.kit.service import ReadinessCheck, Service
from vextrus.services.scheduler import api, events, models
from vextrus.services.scheduler.lifecycle import on_start, on_stop, runner_check
from vextrus.services.scheduler.seed import seed
from vextrus.services.scheduler.settings import SchedulerSettings

service = Service(
    name="scheduler",
    port=3005,
    title="Scheduler",
    description=(
        "Cron and one-off jobs per tenant and for the platform, in Asia/Dhaka time; each due time runs "
        "exactly once across replicas (database leases); retries with back-off, run history, pause, "
        "resume and run now. Jobs publish an event or call a service (SLA sweeps, VAT return reminders, "
        "recurring documents, retention)."
    ),
    router=api.router,
    metadata=models.Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    publishes=events.PUBLISHES,
    consumes=events.HANDLERS,
    checks=[ReadinessCheck("scheduler_runner", runner_check)],
    permissions=api.PERMISSIONS,
    seed=seed,
    on_start=on_start,
    on_stop=on_stop,
    settings=SchedulerSettings,
)

__all__ = ["service"]
