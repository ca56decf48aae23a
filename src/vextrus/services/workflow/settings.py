"""Settings of the workflow service (``VEXTRUS_WORKFLOW_*``), loaded once per process by the runtime."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from vextrus.kit.settings import ServiceSettings


class WorkflowSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="VEXTRUS_WORKFLOW_", env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True
    )

    # The durable runtime's own system database (DBOS). Empty: beside the application database, a
    # separate SQLite file `<name>.dbos.sqlite` in embedded mode, the database `<name>_dbos` on the
    # same PostgreSQL server otherwise (the role needs CREATEDB once, or create it beforehand).
    # Never the application's own database file.
    system_database_url: str | None = None
    # Identifies this replica to the durable runtime: a restarted replica resumes the timers and
    # system steps it was running. Give each replica a stable id (e.g. the StatefulSet pod name).
    executor_id: str = Field(default="local", min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")
    # Largest document a process may carry (JSON bytes).
    max_document_bytes: int = Field(default=32 * 1024, ge=1024, le=1024 * 1024)
    # Tasks handled per SLA sweep call.
    sweep_batch_size: int = Field(default=500, ge=1, le=10_000)
