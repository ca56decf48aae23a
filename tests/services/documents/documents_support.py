"""Helpers of the document generator tests: the app under test (documents + file storage) and
PDF inspection with poppler (pdfinfo, pdftotext, pdftoppm)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from vextrus.kit.runtime import Runtime
from vextrus.kit.tenancy import Principal

BASE = "/api/v1/documents"
SYNC_MAX_ROWS = 40  # the test app's `sync_max_rows`: larger documents go to the background worker
A4_POINTS = (595.28, 841.89)


@dataclass
class Docs:
    backend: str
    app: FastAPI
    client: httpx.AsyncClient
    workdir: Path

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    def headers(
        self,
        tenant_id: uuid.UUID,
        permissions: Iterable[str] = ("*",),
        *,
        subject: uuid.UUID | None = None,
        companies: Iterable[uuid.UUID] = (),
        **extra: str,
    ) -> dict[str, str]:
        assert self.runtime.issuer is not None
        principal = Principal(
            subject=subject or uuid.uuid4(),
            tenant_id=tenant_id,
            permissions=frozenset(permissions),
            company_ids=tuple(companies),
        )
        return {"Authorization": f"Bearer {self.runtime.issuer.issue(principal)}", **extra}

    async def render(self, tenant: uuid.UUID, body: dict[str, Any], **headers: str) -> httpx.Response:
        return await self.client.post(f"{BASE}/render", json=body, headers={**self.headers(tenant), **headers})

    async def download(self, url: str) -> httpx.Response:
        """A link from a render response (a file-service signed link: no token needed)."""
        return await self.client.get(url)

    async def wait_done(self, tenant: uuid.UUID, document_id: str, seconds: float = 120) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            response = await self.client.get(f"{BASE}/{document_id}", headers=self.headers(tenant))
            body: dict[str, Any] = response.json()
            if body["status"] in ("done", "failed"):
                return body
            assert asyncio.get_running_loop().time() < deadline, f"still {body['status']}"
            await asyncio.sleep(0.2)


def png_logo(width: int = 120, height: int = 40) -> bytes:
    """A valid PNG (a two-colour bar) to stand in for a company logo."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(
        b"\x00" + b"".join(bytes((11, 83, 148)) if x < width // 3 else bytes((217, 231, 245)) for x in range(width))
        for _ in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def poppler(tool: str) -> str:
    path = shutil.which(tool)
    assert path, f"{tool} missing: apt-get install poppler-utils"
    return path


def pdf_info(path: Path) -> dict[str, str]:
    out = subprocess.run([poppler("pdfinfo"), str(path)], capture_output=True, text=True, check=True).stdout
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in out.splitlines())}


def page_sizes(path: Path) -> list[tuple[float, float]]:
    """Every page's size in points."""
    pages = int(pdf_info(path)["Pages"])
    out = subprocess.run(
        [poppler("pdfinfo"), "-f", "1", "-l", str(pages), str(path)], capture_output=True, text=True, check=True
    ).stdout
    sizes = []
    for line in out.splitlines():
        if line.startswith("Page") and "size:" in line:
            numbers = line.split("size:")[1].split("pts")[0].split("x")
            sizes.append((float(numbers[0]), float(numbers[1])))
    assert len(sizes) == pages
    return sizes


def pdf_text(path: Path) -> str:
    return subprocess.run(
        [poppler("pdftotext"), "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_png(path: Path, first_page: int = 1, resolution: int = 80) -> Path:
    prefix = path.with_suffix("")
    subprocess.run(
        [
            poppler("pdftoppm"),
            "-png",
            "-r",
            str(resolution),
            "-f",
            str(first_page),
            "-l",
            str(first_page),
            str(path),
            str(prefix),
        ],
        check=True,
    )
    found = sorted(path.parent.glob(f"{prefix.name}-*{first_page}.png"))
    assert found, "pdftoppm made no image"
    return found[0]


def is_a4(size: tuple[float, float]) -> bool:
    width, height = size
    return abs(width - A4_POINTS[0]) < 1 and abs(height - A4_POINTS[1]) < 1
