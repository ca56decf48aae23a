"""Helpers of the file storage tests: the app under test, a real S3 API server (moto), sample files."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import uuid
import zipfile
import zlib
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
from fastapi import FastAPI

from vextrus.kit.runtime import Runtime
from vextrus.kit.tenancy import Principal

BASE = "/api/v1/files"
URL_SECRET = "test-link-secret-0123456789abcdef0123456789"
BUCKET = "vextrus-test-files"


@dataclass
class FilesApp:
    """The file service under test on one database and one storage backend."""

    backend: str
    storage: str
    app: FastAPI
    client: httpx.AsyncClient
    storage_root: Path | None
    s3_endpoint: str | None

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    def headers(
        self, tenant_id: uuid.UUID, permissions: Iterable[str] = ("*",), *, subject: uuid.UUID | None = None
    ) -> dict[str, str]:
        assert self.runtime.issuer is not None
        principal = Principal(subject=subject or uuid.uuid4(), tenant_id=tenant_id, permissions=frozenset(permissions))
        return {"Authorization": f"Bearer {self.runtime.issuer.issue(principal)}"}

    async def upload(
        self,
        tenant: uuid.UUID,
        content: bytes | AsyncIterator[bytes],
        name: str,
        content_type: str = "application/octet-stream",
        *,
        entity: tuple[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        params = {"name": name}
        if entity is not None:
            params.update(entity_type=entity[0], entity_id=entity[1])
        return await self.client.post(
            BASE,
            params=params,
            content=content,
            headers={**(headers or self.headers(tenant)), "Content-Type": content_type},
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """A real S3 API (moto's server) on a free loopback port; yields its endpoint URL."""
    executable = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or shutil.which("moto_server")
    assert executable, "moto_server missing: pip install 'moto[server]'"
    port = free_port()
    process = subprocess.Popen(
        [executable, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"},
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{endpoint}/moto-api/", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "moto_server did not start"
            assert process.poll() is None, "moto_server exited"
            time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def create_bucket(endpoint: str, bucket: str = BUCKET) -> None:
    import boto3

    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    client.create_bucket(Bucket=bucket)


def s3_objects(endpoint: str, bucket: str = BUCKET, prefix: str = "") -> list[str]:
    import boto3

    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    listing = client.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for item in listing.get("Contents", [])]


def stored_objects(files: FilesApp, tenant: uuid.UUID) -> list[str]:
    """Objects the backend holds for a tenant (keys relative to the root/prefix)."""
    if files.storage == "local":
        assert files.storage_root is not None
        root = files.storage_root / str(tenant)
        return sorted(str(path.relative_to(files.storage_root)) for path in root.rglob("*") if path.is_file())
    assert files.s3_endpoint is not None
    return sorted(key.removeprefix("tenants/") for key in s3_objects(files.s3_endpoint, prefix=f"tenants/{tenant}/"))


def spool_leftovers(files: FilesApp) -> list[Path]:
    workdir = files.runtime.settings.signing_key_path.parent
    directory = files.storage_root / ".incoming" if files.storage_root is not None else workdir / "spool"
    return [path for path in directory.glob("*") if path.is_file()]


# --- sample content ------------------------------------------------------------------------------


def png(width: int = 4, height: int = 3, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(colour) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def pdf(text: str = "Vextrus test") -> bytes:
    body = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>endobj\n"
        b"4 0 obj<</Length "
        + str(len(body)).encode()
        + b">>stream\n"
        + body
        + b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def windows_program() -> bytes:
    """A PE header: 'MZ', e_lfanew at 0x3C pointing at 'PE\\0\\0' (what a real .exe starts with)."""
    header = bytearray(b"MZ" + b"\x90\x00" + b"\x00" * 0x38)
    header[0x3C:0x40] = struct.pack("<I", 0x80)
    header += b"\x00" * (0x80 - len(header)) + b"PE\x00\x00" + b"\x4c\x01" + b"\x00" * 200
    return bytes(header)


def elf_program() -> bytes:
    return b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def docx() -> bytes:
    return zip_of(
        {
            "[Content_Types].xml": b"<?xml version='1.0'?><Types/>",
            "word/document.xml": b"<w:document/>",
            "_rels/.rels": b"<Relationships/>",
        }
    )


def xlsx() -> bytes:
    return zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})


def jar() -> bytes:
    return zip_of({"META-INF/MANIFEST.MF": b"Main-Class: Evil\n", "Evil.class": b"\xca\xfe\xba\xbe\x00"})


def apk() -> bytes:
    return zip_of({"AndroidManifest.xml": b"\x03\x00", "classes.dex": b"dex\n035\x00"})


def ole2(clsid: bytes, stream_name: str = "") -> bytes:
    """A minimal Compound File: header (512-byte sectors) and a root directory entry with ``clsid``."""
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<H", header, 0x1A, 3)
    struct.pack_into("<H", header, 0x1C, 0xFFFE)
    struct.pack_into("<H", header, 0x1E, 9)
    struct.pack_into("<I", header, 0x30, 0)  # first directory sector
    directory = bytearray(512)
    name = "Root Entry".encode("utf-16-le")
    directory[0 : len(name)] = name
    directory[0x50:0x60] = clsid
    if stream_name:
        encoded = stream_name.encode("utf-16-le")
        directory[128 : 128 + len(encoded)] = encoded
    return bytes(header + directory)


MSI_CLSID = bytes.fromhex("84100c0000000000c000000000000046")


def disposition_filename(header: str) -> str:
    """The name a client reads from ``filename*=UTF-8''...`` (RFC 8187)."""
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == "filename*":
            charset, _, encoded = value.partition("''")
            assert charset.upper() == "UTF-8"
            return unquote(encoded, encoding="utf-8")
    raise AssertionError(f"no filename* in {header!r}")


async def chunked(data: bytes, size: int = 65536) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body: dict[str, Any] = response.json()
    return body
