"""Pydantic output models of the import-export API (inputs are files and query parameters)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, Field

EntityName = Literal["customers", "vendors", "products", "accounts"]
FormatName = Literal["csv", "xlsx"]
JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
JobMode = Literal["dry_run", "commit"]


class JobCountsOut(BaseModel):
    total: int = Field(description="Data rows in the file (counted at upload)")
    processed: int
    created: int = Field(description="In a dry run: rows that would create a record")
    updated: int = Field(description="In a dry run: rows that would change a record")
    unchanged: int
    invalid: int = Field(description="Rows refused, with the reason in the result file")


class JobOut(BaseModel):
    id: uuid.UUID
    entity: EntityName
    mode: JobMode
    status: JobStatus
    progress: int = Field(ge=0, le=100, description="Percent of the file processed")
    counts: JobCountsOut
    file_name: str
    file_format: FormatName
    file_size: int
    file_sha256: str
    columns: list[str] = Field(description="The file's columns this entity knows")
    ignored_columns: list[str] = Field(description="Columns of the file that are not imported")
    source_job_id: uuid.UUID | None = Field(description="For a commit: the dry run it commits")
    cancel_requested: bool
    error: str | None = Field(description="Why the job failed (not about one row)")
    error_bn: str | None
    created_by: uuid.UUID | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    result_url: str | None = Field(description="The result file (XLSX; ?format=csv too), once the job finished")
