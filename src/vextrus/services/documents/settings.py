"""Settings of the document generator (``VEXTRUS_DOCUMENTS_*``), loaded once per process."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from vextrus.kit.settings import ServiceSettings


class DocumentsSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="VEXTRUS_DOCUMENTS_", env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True
    )

    # `mode: auto` renders at once up to these sizes and queues a background job above them.
    sync_max_rows: int = Field(default=300, ge=1, le=100_000)
    sync_max_bytes: int = Field(default=256 * 1024, ge=1024, le=64 * 1024 * 1024)
    # Largest `data` a render request may carry (JSON bytes).
    max_data_bytes: int = Field(default=8 * 1024 * 1024, ge=1024, le=256 * 1024 * 1024)
    # Largest registered template (HTML/CSS/Jinja source).
    max_template_bytes: int = Field(default=256 * 1024, ge=1024, le=4 * 1024 * 1024)
    # Renders at once in this process (WeasyPrint is CPU-bound; each runs in a worker thread).
    render_concurrency: int = Field(default=2, ge=1, le=64)
    # The background worker: on/off, how often it looks for queued jobs, how long a claimed job
    # stays leased, and how often a failing job is tried.
    worker_enabled: bool = True
    worker_poll_seconds: float = Field(default=2.0, gt=0, le=300)
    job_lease_seconds: float = Field(default=300.0, ge=5, le=86_400)
    job_max_attempts: int = Field(default=3, ge=1, le=20)
    job_retry_seconds: float = Field(default=10.0, ge=0, le=3600)
    # Lifetime of the download links render responses carry.
    link_ttl_seconds: int = Field(default=900, ge=10, le=604_800)
    # Largest logo fetched from file storage for a letterhead.
    logo_max_bytes: int = Field(default=512 * 1024, ge=1024, le=10 * 1024 * 1024)
