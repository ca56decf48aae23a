"""Settings of the file storage service (``VEXTRUS_FILES_*``), loaded once per process."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from vextrus.kit.settings import ServiceSettings
from vextrus.services.files.sniff import KINDS
from vextrus.services.files.storage import parse_storage_url

MIB = 1024 * 1024
GIB = 1024 * MIB


class FilesSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="VEXTRUS_FILES_", env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True
    )

    # Where content lives: file://<directory> (embedded default, relative to the working directory)
    # or s3://[key:secret@]bucket[/prefix]?endpoint=http://minio:9000&region=us-east-1 (credentials
    # from the URL or the standard AWS environment variables).
    storage_url: str = "file://./var/files"
    # Key of the HMAC-signed download links; when unset, a random key kept at url_key_path.
    url_secret: SecretStr | None = None
    url_key_path: Path = Path("var/keys/files-url-key")
    # Lifetime of a download link unless the request asks for another, and the longest allowed
    # (S3 presigned URLs cannot outlive 7 days).
    url_ttl_seconds: int = Field(default=900, ge=10, le=604_800)
    url_max_ttl_seconds: int = Field(default=604_800, ge=10, le=604_800)
    # Prefix of the service's own links (e.g. https://erp.example.com.bd); empty gives relative links.
    public_base_url: str = ""
    # On S3, hand out S3 presigned URLs (downloads bypass the service) rather than service links.
    presign_direct: bool = True
    # Per-tenant defaults; the platform operator sets other values per tenant.
    quota_bytes: int = Field(default=10 * GIB, ge=0)
    max_file_bytes: int = Field(default=100 * MIB, ge=1)
    # Size limits per kind (pdf, image, office, text, archive, cad) below max_file_bytes, as JSON.
    kind_limits: dict[str, int] = Field(default_factory=lambda: {"image": 25 * MIB, "text": 25 * MIB})
    # Days a deleted file stays restorable before it may be purged.
    retention_days: int = Field(default=30, ge=0, le=3650)
    # Where uploads are spooled before they are stored (S3); default: the system's temporary directory.
    spool_dir: Path | None = None

    @field_validator("storage_url")
    @classmethod
    def _storage_url(cls, value: str) -> str:
        parse_storage_url(value)
        return value

    @field_validator("kind_limits")
    @classmethod
    def _kind_limits(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(value) - set(KINDS))
        if unknown:
            raise ValueError(f"unknown kinds {unknown}; kinds are {', '.join(KINDS)}")
        if any(limit < 1 for limit in value.values()):
            raise ValueError("limits must be positive")
        return value

    @model_validator(mode="after")
    def _ttl(self) -> FilesSettings:
        if self.url_ttl_seconds > self.url_max_ttl_seconds:
            raise ValueError("url_ttl_seconds must not exceed url_max_ttl_seconds")
        return self
