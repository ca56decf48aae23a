"""Time-limited download links the file service signs and verifies itself (HMAC-SHA256).

A token is ``<payload>.<signature>``, both URL-safe base64 without padding; the payload names the
tenant, file, version, disposition and expiry (Unix seconds). Nothing in it is secret, nothing in
it can be changed without the key. On S3 the service hands out S3 presigned URLs instead (the
bucket checks those), unless configured otherwise.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from vextrus.services.files.names import Disposition

MIN_KEY_BYTES = 32


@dataclass(frozen=True)
class LinkClaims:
    tenant_id: uuid.UUID
    file_id: uuid.UUID
    version: int
    expires: int
    disposition: Disposition


class LinkError(ValueError):
    def __init__(self, reason: Literal["malformed", "signature", "expired"]) -> None:
        super().__init__(reason)
        self.reason = reason


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(claims: LinkClaims, key: bytes) -> str:
    body = json.dumps(
        {
            "t": str(claims.tenant_id),
            "f": str(claims.file_id),
            "v": claims.version,
            "e": claims.expires,
            "d": claims.disposition,
        },
        separators=(",", ":"),
    ).encode()
    payload = _b64(body)
    signature = _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{signature}"


def verify(token: str, key: bytes, now: float) -> LinkClaims:
    """The claims of a valid, unexpired token; :class:`LinkError` says why not otherwise."""
    payload, dot, signature = token.partition(".")
    if not dot or not payload or not signature or len(token) > 1024 or not token.isascii():
        raise LinkError("malformed")  # (compare_digest refuses non-ASCII text: never let it raise)
    expected = _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature):
        raise LinkError("signature")
    try:
        body = json.loads(_unb64(payload))
        claims = LinkClaims(
            tenant_id=uuid.UUID(body["t"]),
            file_id=uuid.UUID(body["f"]),
            version=int(body["v"]),
            expires=int(body["e"]),
            disposition="inline" if body["d"] == "inline" else "attachment",
        )
    except (ValueError, KeyError, TypeError):
        raise LinkError("malformed") from None
    if claims.expires <= now:
        raise LinkError("expired")
    return claims


def load_or_create_key(path: Path) -> bytes:
    """The link-signing key kept at ``path`` (created once, mode 0600), for when no secret is set."""
    if path.exists():
        key = path.read_bytes()
        if len(key) >= MIN_KEY_BYTES:
            return key
        raise ValueError(f"{path} holds fewer than {MIN_KEY_BYTES} bytes")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(MIN_KEY_BYTES)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it meanwhile
        return path.read_bytes()
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key)
    return key
