"""Settings of the audit service (``VEXTRUS_AUDIT_*``), loaded once per process by the runtime."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from vextrus.kit.settings import ServiceSettings


class AuditSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="VEXTRUS_AUDIT_", env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True
    )

    # Retention of a tenant that set none: 7 years (the finance retention requirement), in days.
    default_retention_days: int = Field(default=2557, ge=1, le=36500)
    # Shortest retention a tenant administrator may set.
    min_retention_days: int = Field(default=365, ge=1, le=36500)
    # Records per archive file (and per purge step): one archive, one checkpoint, one delete.
    purge_batch_size: int = Field(default=10_000, ge=1, le=1_000_000)
    # Records read per transaction while verifying a chain or streaming a CSV export.
    read_batch_size: int = Field(default=2000, ge=10, le=100_000)
    # Run the retention purge of every tenant this often (0 = only on request, POST /retention/purge).
    purge_interval_hours: float = Field(default=24.0, ge=0, le=24 * 365)
