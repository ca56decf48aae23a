"""Settings of the import-export service (``VEXTRUS_EXCHANGE_*``), loaded once per process."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from vextrus.kit.settings import ServiceSettings


class ExchangeSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="VEXTRUS_EXCHANGE_", env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True
    )

    # Where uploaded files and result files are kept (one folder per tenant and job) until a
    # file-storage service exists. Relative paths are relative to the working directory.
    storage_dir: Path = Path("var/exchange")
    # Largest file accepted for import, in MiB (the upload is streamed to disk, never held in memory).
    max_upload_mb: int = Field(default=100, ge=1, le=4096)
    # Most data rows one file may have.
    max_rows: int = Field(default=1_000_000, ge=1, le=10_000_000)
    # Rows sent to master data per call (its import route takes at most 1,000).
    batch_rows: int = Field(default=500, ge=1, le=1000)
    # Batches of one job in flight at once (accounts always one: rows may name earlier rows as parents;
    # SQLite always one: it has one writer).
    parallel_batches: int = Field(default=2, ge=1, le=8)
    # Import jobs run at the same time in one process; more wait (queued).
    max_concurrent_jobs: int = Field(default=2, ge=1, le=64)
    # A queued or running job whose process stopped reporting for this long is marked failed.
    stale_job_seconds: float = Field(default=300.0, ge=10, le=86_400)
