"""Settings of the scheduler (``VEXTRUS_SCHEDULER_*``), loaded once per process by the runtime."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from vextrus.kit.settings import ServiceSettings


class SchedulerSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="VEXTRUS_SCHEDULER_", env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True
    )

    # Run due jobs in this process (every replica may: each due time runs once).
    runner_enabled: bool = True
    # How often the runner looks for due jobs and retries, in seconds.
    tick_seconds: float = Field(default=5.0, gt=0, le=300)
    # A replica holds a run this long; a run still "running" after it (a crashed replica) is retried.
    lease_seconds: float = Field(default=300.0, ge=5, le=86_400)
    # Due jobs claimed per tick.
    batch_size: int = Field(default=100, ge=1, le=10_000)
    # Most jobs one tenant may have.
    max_jobs_per_tenant: int = Field(default=200, ge=1, le=100_000)
