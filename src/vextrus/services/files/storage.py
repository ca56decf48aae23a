"""Where file content lives: a local directory (embedded default) or an S3-compatible bucket
(AWS S3, MinIO, ...), chosen by URL (``VEXTRUS_FILES_STORAGE_URL``).

Content is addressed by tenant and SHA-256 (``<tenant>/<ab>/<sha256>``), so storing the same bytes
twice writes one object, and a key never changes meaning. Uploads are spooled to a file first
(:mod:`vextrus.services.files.upload`), then handed to :meth:`Storage.put`; reads stream in chunks.

The S3 backend uses boto3 (the AWS SDK; its client is thread-safe) in worker threads, so the event
loop never blocks on the network: multipart uploads for large files, presigned GET URLs.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

CHUNK_BYTES = 64 * 1024
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,511}$")


class StorageError(RuntimeError):
    """The backend failed (unreachable, refused, missing object)."""


class ObjectMissing(StorageError):
    """No object at the key."""


def _checked_key(key: str) -> str:
    if not _KEY.match(key) or ".." in key.split("/"):
        raise ValueError(f"invalid storage key {key!r}")
    return key


class Storage(Protocol):
    kind: str

    def spool_directory(self) -> Path:
        """Where uploads are spooled before :meth:`put` (the same file system as a local root)."""
        ...

    async def put(self, key: str, source: Path, content_type: str) -> None:
        """Store the file at ``source`` under ``key`` (the source may be moved away)."""
        ...

    def read(self, key: str) -> AsyncIterator[bytes]:
        """The object's bytes in chunks; raises :class:`ObjectMissing` on the first iteration."""
        ...

    async def delete(self, key: str) -> None: ...

    async def exists(self, key: str) -> bool: ...

    def presigned_url(self, key: str, *, expires_in: int, content_type: str, disposition: str) -> str | None:
        """A URL the backend itself honours (S3 presigned GET), or None when it has none."""
        ...

    async def check(self) -> dict[str, Any]:
        """Readiness: the backend answers (raises otherwise)."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class LocalTarget:
    root: Path


@dataclass(frozen=True)
class S3Target:
    bucket: str
    prefix: str
    endpoint: str | None
    region: str
    access_key: str | None
    secret_key: str | None
    path_style: bool


def parse_storage_url(url: str) -> LocalTarget | S3Target:
    """``file://./var/files``, ``file:///srv/files`` or
    ``s3://[key:secret@]bucket[/prefix]?endpoint=...&region=...&path_style=true``; ValueError otherwise."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        path = (parts.netloc + parts.path) if parts.netloc else parts.path
        if not path:
            raise ValueError("file:// needs a directory, e.g. file://./var/files")
        return LocalTarget(Path(unquote(path)))
    if parts.scheme == "s3":
        bucket = parts.netloc.rpartition("@")[2].split(":", 1)[0]
        if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket):
            raise ValueError("s3:// needs a bucket name (3-63 lower-case letters, digits, '.', '-')")
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        unknown = set(query) - {"endpoint", "region", "path_style"}
        if unknown:
            raise ValueError(f"unknown s3 URL parameters: {', '.join(sorted(unknown))}")
        endpoint = query.get("endpoint") or None
        if endpoint is not None and urlsplit(endpoint).scheme not in ("http", "https"):
            raise ValueError("endpoint must be an http(s) URL")
        prefix = parts.path.strip("/")
        if prefix and not _KEY.match(prefix):
            raise ValueError("invalid key prefix")
        return S3Target(
            bucket=bucket,
            prefix=prefix + "/" if prefix else "",
            endpoint=endpoint,
            region=query.get("region", "us-east-1"),
            access_key=unquote(parts.username) if parts.username else None,
            secret_key=unquote(parts.password) if parts.password else None,
            path_style=query.get("path_style", "true" if endpoint else "false").lower() in ("1", "true", "yes"),
        )
    raise ValueError("must start with file:// or s3://")


def describe(url: str) -> str:
    """The URL without credentials, for logs and health output."""
    target = parse_storage_url(url)
    if isinstance(target, LocalTarget):
        return f"file://{target.root}"
    where = f" at {target.endpoint}" if target.endpoint else ""
    return f"s3://{target.bucket}/{target.prefix}{where}"


class LocalStorage:
    """Objects as files under one directory; uploads spool in ``<root>/.incoming`` and are renamed in."""

    kind = "local"

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        return self.root / _checked_key(key)

    def spool_directory(self) -> Path:
        directory = self.root / ".incoming"
        directory.mkdir(parents=True, exist_ok=True)
        return directory

    async def put(self, key: str, source: Path, content_type: str) -> None:
        target = self._path(key)

        def move() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(source, target)
            except OSError:  # another file system
                shutil.copyfile(source, target)

        await asyncio.to_thread(move)

    async def read(self, key: str) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            raise ObjectMissing(key) from None
        try:
            while chunk := await asyncio.to_thread(handle.read, CHUNK_BYTES):
                yield chunk
        finally:
            handle.close()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    def presigned_url(self, key: str, *, expires_in: int, content_type: str, disposition: str) -> str | None:
        return None

    async def check(self) -> dict[str, Any]:
        def probe() -> None:
            self.root.mkdir(parents=True, exist_ok=True)
            if not os.access(self.root, os.W_OK):
                raise StorageError(f"{self.root} is not writable")

        await asyncio.to_thread(probe)
        return {"backend": "local", "root": str(self.root)}

    async def close(self) -> None:
        return None


class S3Storage:
    """Objects in an S3-compatible bucket through boto3, run in worker threads."""

    kind = "s3"

    def __init__(self, target: S3Target, spool_dir: Path | None = None) -> None:
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self.target = target
        self._spool = spool_dir
        self._client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=target.endpoint,
            region_name=target.region,
            aws_access_key_id=target.access_key,
            aws_secret_access_key=target.secret_key,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path" if target.path_style else "auto"},
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=60,
            ),
        )
        self._transfer = TransferConfig(multipart_threshold=16 * 1024 * 1024, multipart_chunksize=16 * 1024 * 1024)

    def _key(self, key: str) -> str:
        return self.target.prefix + _checked_key(key)

    def spool_directory(self) -> Path:
        directory = self._spool or Path(tempfile.gettempdir()) / "vextrus-files"
        directory.mkdir(parents=True, exist_ok=True)
        return directory

    def _failed(self, error: Exception) -> StorageError:
        return StorageError(f"S3 {self.target.bucket}: {type(error).__name__}: {error}")

    async def put(self, key: str, source: Path, content_type: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            await asyncio.to_thread(
                self._client.upload_file,
                str(source),
                self.target.bucket,
                self._key(key),
                ExtraArgs={"ContentType": content_type},
                Config=self._transfer,
            )
        except (BotoCoreError, ClientError) as error:
            raise self._failed(error) from None

    async def read(self, key: str) -> AsyncIterator[bytes]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = await asyncio.to_thread(self._client.get_object, Bucket=self.target.bucket, Key=self._key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise ObjectMissing(key) from None
            raise self._failed(error) from None
        except BotoCoreError as error:
            raise self._failed(error) from None
        body = response["Body"]
        try:
            while chunk := await asyncio.to_thread(body.read, CHUNK_BYTES):
                yield chunk
        finally:
            body.close()

    async def delete(self, key: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            await asyncio.to_thread(self._client.delete_object, Bucket=self.target.bucket, Key=self._key(key))
        except (BotoCoreError, ClientError) as error:
            raise self._failed(error) from None

    async def exists(self, key: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            await asyncio.to_thread(self._client.head_object, Bucket=self.target.bucket, Key=self._key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return False
            raise self._failed(error) from None
        except BotoCoreError as error:
            raise self._failed(error) from None
        return True

    def presigned_url(self, key: str, *, expires_in: int, content_type: str, disposition: str) -> str | None:
        url: str = self._client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.target.bucket,
                "Key": self._key(key),
                "ResponseContentType": content_type,
                "ResponseContentDisposition": disposition,
            },
            ExpiresIn=expires_in,
        )
        return url

    async def check(self) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            await asyncio.to_thread(self._client.head_bucket, Bucket=self.target.bucket)
        except (BotoCoreError, ClientError) as error:
            raise self._failed(error) from None
        return {"backend": "s3", "bucket": self.target.bucket, "endpoint": self.target.endpoint or "aws"}

    async def close(self) -> None:
        await asyncio.to_thread(self._client.close)


def build_storage(url: str, spool_dir: Path | None = None) -> Storage:
    target = parse_storage_url(url)
    if isinstance(target, LocalTarget):
        return LocalStorage(target.root)
    return S3Storage(target, spool_dir)


def object_key(tenant_id: object, sha256: str) -> str:
    """Content address of a blob: ``<tenant>/<first two hex digits>/<sha256>``."""
    return f"{tenant_id}/{sha256[:2]}/{sha256}"
