"""Workflow service (port 3011): approval chains and processes defined as data per tenant, run
durably (DBOS Transact), with tasks, SLAs, delegation and a full history."""

from __future__ import annotations

from pathlib import Path

from vextrus.kit.service import ReadinessCheck, Service
from vextrus.services.workflow import api, events, models
from vextrus.services.workflow.lifecycle import durable_check, on_start, on_stop
from vextrus.services.workflow.seed import seed
from vextrus.services.workflow.settings import WorkflowSettings

service = Service(
    name="workflow",
    port=3011,
    title="Workflow",
    description=(
        "Process definitions as data (states, transitions, approval chains computed by rules, SLAs with "
        "reminders, escalation and auto-reject, quorum, delegation), versioned per tenant; instances with "
        "tasks and full history; SLA timers and system steps (with saga compensation) run durably on DBOS."
    ),
    router=api.router,
    metadata=models.Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    publishes=events.PUBLISHES,
    consumes=events.HANDLERS,
    checks=[ReadinessCheck("durable_execution", durable_check)],
    permissions=api.PERMISSIONS,
    seed=seed,
    on_start=on_start,
    on_stop=on_stop,
    settings=WorkflowSettings,
)

__all__ = ["service"]
