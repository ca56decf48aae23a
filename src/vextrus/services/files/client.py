"""What other services use to keep files: ``FilesClient(runtime).store(...)`` and friends.

Built on the kit's service clients (``runtime.clients``): in-process when the file service is
served by the same process, otherwise at its URL in ``VEXTRUS_SERVICE_URLS``. Every call acts for
a principal of the caller's choosing (a short-lived token is minted for it, so give it only the
``files.*`` permissions the call needs) or forwards a token the caller holds.

On SQLite the caller must not hold its own write transaction across these calls (one writer):
call first, then write.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import httpx

from vextrus.kit.errors import AppError, FieldError
from vextrus.kit.tenancy import Principal

if TYPE_CHECKING:
    from vextrus.kit.runtime import Runtime

SERVICE = "files"
PREFIX = "/api/v1/files"
WRITE = frozenset({"files.file.write", "files.file.read"})
READ = frozenset({"files.file.read"})


@dataclass(frozen=True)
class StoredFile:
    id: uuid.UUID
    version: int
    name: str
    content_type: str
    size: int
    sha256: str
    deduplicated: bool


@dataclass(frozen=True)
class DownloadLink:
    url: str
    expires_at: dt.datetime
    direct: bool


def as_files_user(tenant_id: uuid.UUID, subject: uuid.UUID, permissions: frozenset[str] = WRITE) -> Principal:
    """A principal for calls to the file service on behalf of ``subject``, with file permissions only."""
    return Principal(subject=subject, tenant_id=tenant_id, permissions=permissions)


class FilesClient:
    def __init__(self, runtime: Runtime) -> None:
        self._clients = runtime.clients

    async def _call(
        self, method: str, path: str, principal: Principal | None, token: str | None, **kwargs: Any
    ) -> httpx.Response:
        response = await self._clients.request(SERVICE, method, path, principal=principal, token=token, **kwargs)
        if response.status_code >= 400:
            raise _problem(response)
        return response

    async def store(
        self,
        content: bytes | AsyncIterable[bytes],
        *,
        name: str,
        content_type: str,
        principal: Principal | None = None,
        token: str | None = None,
        entity_type: str | None = None,
        entity_id: str | None = None,
        file_id: uuid.UUID | None = None,
    ) -> StoredFile:
        """Store ``content`` as a new file (or a new version of ``file_id``), optionally attached."""
        params: dict[str, str] = {"name": name}
        if entity_type is not None and entity_id is not None:
            params.update(entity_type=entity_type, entity_id=entity_id)
        path = PREFIX if file_id is None else f"{PREFIX}/{file_id}/versions"
        response = await self._call(
            "POST",
            path,
            principal,
            token,
            params=params,
            content=content,
            headers={"Content-Type": content_type},
        )
        body = response.json()
        return StoredFile(
            id=uuid.UUID(body["id"]),
            version=int(body["version"]),
            name=body["name"],
            content_type=body["content_type"],
            size=int(body["size"]),
            sha256=body["sha256"],
            deduplicated=bool(body["deduplicated"]),
        )

    async def link(
        self,
        file_id: uuid.UUID,
        *,
        principal: Principal | None = None,
        token: str | None = None,
        version: int | None = None,
        expires_in: int | None = None,
        disposition: Literal["attachment", "inline"] = "attachment",
    ) -> DownloadLink:
        """A signed, expiring download link for the file."""
        body: dict[str, Any] = {"disposition": disposition}
        if version is not None:
            body["version"] = version
        if expires_in is not None:
            body["expires_in"] = expires_in
        response = await self._call("POST", f"{PREFIX}/{file_id}/link", principal, token, json=body)
        data = response.json()
        return DownloadLink(
            url=data["url"], expires_at=dt.datetime.fromisoformat(data["expires_at"]), direct=bool(data["direct"])
        )

    async def read(
        self,
        file_id: uuid.UUID,
        *,
        principal: Principal | None = None,
        token: str | None = None,
        version: int | None = None,
        max_bytes: int = 10 * 1024 * 1024,
    ) -> tuple[bytes, str]:
        """The file's bytes and content type (small files only: refused above ``max_bytes``)."""
        params = {"version": str(version)} if version is not None else None
        response = await self._call("GET", f"{PREFIX}/{file_id}/content", principal, token, params=params)
        if len(response.content) > max_bytes:
            raise AppError(413, "file_too_large", f"File {file_id} is larger than {max_bytes} bytes")
        return response.content, response.headers.get("content-type", "application/octet-stream")


def _problem(response: httpx.Response) -> AppError:
    """The file service's problem as the caller's error: client errors keep their status and code."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    detail = str(body.get("detail") or response.reason_phrase)
    if response.status_code >= 500:
        return AppError(503, "service_unavailable", f"File storage failed: {detail}")
    errors = [
        FieldError(str(item.get("field", "")), str(item.get("code", "invalid")), str(item.get("reason", "")))
        for item in body.get("errors", [])
        if isinstance(item, dict)
    ]
    return AppError(
        response.status_code, str(body.get("code") or "bad_request"), f"File storage: {detail}", errors=errors
    )
