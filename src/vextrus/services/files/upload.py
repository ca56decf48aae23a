"""Receiving an upload: the request body streamed to a spool file, never held whole in memory.

While the bytes arrive they are counted against the size limit (the first chunk that crosses it
ends the upload with 413), hashed (SHA-256) and written in blocks of about 1 MiB from a worker
thread. The first :data:`~vextrus.services.files.sniff.HEAD_BYTES` bytes are sniffed as soon as
they are in: an executable is refused before the rest is read, and the limit of the file's kind
applies from then on.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from vextrus.services.files.sniff import HEAD_BYTES, Sniffed, sniff_head

WRITE_BLOCK = 1024 * 1024


@dataclass(frozen=True)
class Spooled:
    path: Path
    size: int
    sha256: str
    sniffed: Sniffed


class UploadTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


class UploadRefused(Exception):
    """The content was refused from its first bytes (an executable or active content)."""

    def __init__(self, sniffed: Sniffed) -> None:
        super().__init__(sniffed.label)
        self.sniffed = sniffed


def _write(handle: IO[bytes], digest: hashlib._Hash, block: bytes) -> None:
    digest.update(block)
    handle.write(block)


async def spool(
    chunks: AsyncIterator[bytes],
    directory: Path,
    *,
    limit: int,
    limit_for: Callable[[Sniffed], int],
) -> Spooled:
    """Write ``chunks`` to a new file in ``directory``; the caller removes ``Spooled.path``.

    ``limit`` bounds the upload until its type is known, ``limit_for(sniffed)`` after that.
    """
    descriptor, name = tempfile.mkstemp(dir=directory, prefix="upload-", suffix=".part")
    path = Path(name)
    handle = os.fdopen(descriptor, "wb")
    digest = hashlib.sha256()
    size = 0
    head = bytearray()
    sniffed: Sniffed | None = None
    buffer = bytearray()
    try:
        async for chunk in chunks:
            if not chunk:
                continue
            size += len(chunk)
            if sniffed is None:
                head += chunk[: HEAD_BYTES - len(head)]
                if len(head) >= HEAD_BYTES:
                    sniffed = sniff_head(bytes(head))
                    if sniffed.refused:
                        raise UploadRefused(sniffed)
                    limit = limit_for(sniffed)
            if size > limit:
                raise UploadTooLarge(limit)
            buffer += chunk
            if len(buffer) >= WRITE_BLOCK:
                await asyncio.to_thread(_write, handle, digest, bytes(buffer))
                buffer.clear()
        if buffer:
            await asyncio.to_thread(_write, handle, digest, bytes(buffer))
        await asyncio.to_thread(handle.close)
        if sniffed is None:
            sniffed = sniff_head(bytes(head))
            if sniffed.refused:
                raise UploadRefused(sniffed)
            if size > limit_for(sniffed):
                raise UploadTooLarge(limit_for(sniffed))
    except BaseException:
        handle.close()
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    return Spooled(path=path, size=size, sha256=digest.hexdigest(), sniffed=sniffed)
