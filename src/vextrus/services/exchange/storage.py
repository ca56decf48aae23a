"""The service's own file storage: a directory per tenant and job under ``storage_dir`` (a setting,
``var/exchange`` by default), until a file-storage service exists.

``<storage_dir>/<tenant>/<job>/source.<csv|xlsx>`` is the uploaded file (streamed to disk, size
limited, hashed), ``outcomes.csv`` the outcome of every row, ``result.xlsx`` the result file built
from both on first download. A commit job reads the source of its dry run.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from vextrus.services.exchange.files import ZIP_MAGIC, Utf8Check


@dataclass(frozen=True)
class Stored:
    key: str  # relative to the storage directory
    path: Path
    size: int
    sha256: str
    file_format: str  # csv | xlsx
    utf8: bool


class UploadTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


class Storage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def job_dir(self, tenant_id: uuid.UUID, job_id: uuid.UUID) -> Path:
        return self.root / str(tenant_id) / str(job_id)

    def path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError("storage key outside the storage directory")
        return path

    def outcomes(self, tenant_id: uuid.UUID, job_id: uuid.UUID) -> Path:
        return self.job_dir(tenant_id, job_id) / "outcomes.csv"

    def result(self, tenant_id: uuid.UUID, job_id: uuid.UUID) -> Path:
        return self.job_dir(tenant_id, job_id) / "result.xlsx"

    async def save_upload(
        self, tenant_id: uuid.UUID, job_id: uuid.UUID, chunks: AsyncIterator[bytes], limit: int
    ) -> Stored:
        """Stream the request body to ``source.<ext>``: the format from the first bytes, a SHA-256,
        the size checked as it grows (the partial file is removed when the limit is passed)."""
        directory = self.job_dir(tenant_id, job_id)
        directory.mkdir(parents=True, exist_ok=True)
        partial = directory / "upload.part"
        digest = hashlib.sha256()
        size = 0
        head = b""
        utf8 = Utf8Check()
        try:
            with partial.open("wb") as handle:
                async for chunk in chunks:
                    if not chunk:
                        continue
                    size += len(chunk)
                    if size > limit:
                        raise UploadTooLarge(limit)
                    if len(head) < 4:
                        head += chunk[:4]
                    digest.update(chunk)
                    utf8.feed(chunk)
                    handle.write(chunk)
            utf8.feed(b"", final=True)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        file_format = "xlsx" if head.startswith(ZIP_MAGIC) else "csv"
        final = directory / f"source.{file_format}"
        os.replace(partial, final)
        key = final.relative_to(self.root).as_posix()
        return Stored(key, final, size, digest.hexdigest(), file_format, utf8.ok)

    def discard(self, tenant_id: uuid.UUID, job_id: uuid.UUID) -> None:
        directory = self.job_dir(tenant_id, job_id)
        if directory.is_dir():
            for item in directory.iterdir():
                item.unlink(missing_ok=True)
            directory.rmdir()
