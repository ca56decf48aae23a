"""File storage service (port 3008): files on the local disk or in S3-compatible storage, checked,
deduplicated, versioned, attached to any entity, with quotas and signed download links."""

from __future__ import annotations

from pathlib import Path

from vextrus.kit.service import ReadinessCheck, Service
from vextrus.services.files import api, events, models
from vextrus.services.files.seed import seed
from vextrus.services.files.service import storage_check
from vextrus.services.files.settings import FilesSettings

service = Service(
    name="files",
    port=3008,
    title="File storage",
    description=(
        "Streamed uploads checked by content (disguised executables refused), SHA-256 deduplication, versions, "
        "soft delete with retention, per-tenant quotas and size limits, signed expiring download links, "
        "attachments to any entity; local disk or S3-compatible storage."
    ),
    router=api.router,
    metadata=models.Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    publishes=events.PUBLISHES,
    consumes=events.HANDLERS,
    checks=[ReadinessCheck("storage", storage_check)],
    permissions=api.PERMISSIONS,
    seed=seed,
    settings=FilesSettings,
)

__all__ = ["service"]
