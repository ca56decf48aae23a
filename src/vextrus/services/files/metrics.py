"""Business metrics of the file storage service."""

from __future__ import annotations

from vextrus.kit.metrics import counter, gauge

FILES_UPLOADED = counter(
    "files_uploaded_total",
    "Files and new versions stored, by kind and whether the content was already stored (deduplicated)",
    ["kind", "deduplicated"],
)
UPLOADS_REFUSED = counter(
    "files_uploads_refused_total",
    "Uploads refused, by reason (executable_refused, type_mismatch, too_large, quota_exceeded, ...)",
    ["reason"],
)
DOWNLOADS = counter(
    "files_downloads_total",
    "Downloads served by the service, by route (direct: authenticated; link: signed link)",
    ["via"],
)
STORAGE_USED = gauge(
    "storage_used_bytes",
    "Bytes a tenant stores (distinct content), as last changed by this process",
    ["tenant"],
)
