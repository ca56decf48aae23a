"""Business metrics of the import-export service."""

from __future__ import annotations

from vextrus.kit.metrics import counter, gauge, histogram

ROWS_PROCESSED = counter(
    "exchange_rows_processed_total",
    "Rows of import files processed, by entity, mode (dry_run, commit) and outcome "
    "(created, updated, unchanged, invalid; in a dry run what would happen)",
    ["entity", "mode", "outcome"],
)
JOBS = counter(
    "exchange_jobs_total",
    "Import jobs finished, by entity, mode and status (succeeded, failed, cancelled)",
    ["entity", "mode", "status"],
)
JOB_DURATION = histogram(
    "exchange_job_duration_seconds",
    "Duration of import jobs from start to finish, by entity and mode",
    ["entity", "mode"],
    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)
JOBS_RUNNING = gauge("exchange_jobs_running", "Import jobs running in this process")
EXPORTED_ROWS = counter(
    "exchange_exported_rows_total", "Records written to export files, by entity and format", ["entity", "format"]
)
