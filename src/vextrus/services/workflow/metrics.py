"""Business metrics of the workflow service."""

from __future__ import annotations

from vextrus.kit.metrics import counter, gauge, histogram

PROCESS_STARTS = counter("workflow_process_start_total", "Processes started, by definition", ["definition"])
PROCESS_ENDS = counter(
    "workflow_process_end_total", "Processes ended, by definition and outcome", ["definition", "outcome"]
)
TASK_DURATION = histogram(
    "workflow_task_duration_seconds",
    "Time from a task's creation to its decision, by definition and action",
    ["definition", "action"],
    buckets=(60, 600, 3600, 4 * 3600, 24 * 3600, 3 * 24 * 3600, 7 * 24 * 3600, 30 * 24 * 3600),
)
SLA_BREACHES = counter(
    "workflow_sla_breach_total",
    "Tasks past their SLA deadline, by definition and what followed",
    ["definition", "on_timeout"],
)
ACTIVE_PROCESSES = gauge(
    "workflow_active_processes",
    "Running processes by definition (recounted from the database when the engine starts)",
    ["definition"],
)
STEP_RUNS = counter(
    "workflow_step_runs_total",
    "System steps and compensations run durably, by kind and final status",
    ["kind", "status"],
)
