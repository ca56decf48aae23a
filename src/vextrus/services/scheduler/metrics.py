"""Business metrics of the scheduler."""

from __future__ import annotations

from vextrus.kit.metrics import counter, histogram

RUNS = counter("scheduler_runs_total", "Job runs finished, by target type and status", ["target", "status"])
RUN_DURATION = histogram("scheduler_run_duration_seconds", "Duration of one attempt of a job run", ["target"])
START_DELAY = histogram(
    "scheduler_start_delay_seconds",
    "Delay between a run's due time and its start",
    buckets=(0.1, 1, 5, 15, 60, 300, 900, 3600),
)
CLAIM_CONFLICTS = counter("scheduler_claim_conflicts_total", "Claims lost to another replica (the run was theirs)")
