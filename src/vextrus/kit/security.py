"""Access tokens: asymmetric signing (Ed25519/EdDSA), local verification, route permissions.

Tokens are short-lived JWTs. The issuer (the auth service; in development also `vextrus token`)
signs with a private key; every service verifies with the public keys, either its own key file
(embedded mode) or the JWKS published at ``/.well-known/jwks.json`` (``VEXTRUS_JWKS_URL``).

Every route declares either ``require("service.entity.action")`` or ``PUBLIC``; the conformance
tests fail for a route with neither.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi import Depends, Request
from jwt.algorithms import OKPAlgorithm

from vextrus.kit.errors import AppError
from vextrus.kit.logging import bind_request_context
from vextrus.kit.settings import Settings
from vextrus.kit.tenancy import Principal, bind_principal

ALGORITHM = "EdDSA"


def _key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class SigningKey:
    private_key: Ed25519PrivateKey
    kid: str

    @classmethod
    def load_or_create(cls, path: Path) -> SigningKey:
        """Load the PEM key at ``path``; create it (mode 0600) the first time."""
        if path.exists():
            loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(loaded, Ed25519PrivateKey):
                raise ValueError(f"{path} is not an Ed25519 private key")
            key = loaded
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(pem)
        return cls(key, _key_id(key.public_key()))

    def public_jwk(self) -> dict[str, Any]:
        jwk = cast(dict[str, Any], json.loads(OKPAlgorithm.to_jwk(self.private_key.public_key())))
        jwk.update({"kid": self.kid, "use": "sig", "alg": ALGORITHM})
        return jwk

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk()]}


class TokenIssuer:
    """Signs access tokens for principals."""

    def __init__(self, key: SigningKey, settings: Settings) -> None:
        self._key = key
        self._settings = settings

    def issue(self, principal: Principal, ttl_seconds: int | None = None) -> str:
        now = int(time.time())
        claims = {
            "iss": self._settings.jwt_issuer,
            "aud": self._settings.jwt_audience,
            "sub": str(principal.subject),
            "tid": str(principal.tenant_id),
            "perms": sorted(principal.permissions),
            "roles": list(principal.roles),
            "cids": [str(company) for company in principal.company_ids],
            "iat": now,
            "exp": now + (ttl_seconds or self._settings.access_token_ttl_seconds),
            "jti": uuid.uuid4().hex,
        }
        if principal.email:
            claims["email"] = principal.email
        return jwt.encode(claims, self._key.private_key, algorithm=ALGORITHM, headers={"kid": self._key.kid})


def _unauthorized(detail: str, detail_bn: str) -> AppError:
    return AppError(401, "unauthorized", detail, detail_bn, headers={"WWW-Authenticate": "Bearer"})


class TokenVerifier:
    """Verifies access tokens against known public keys; caches verified tokens until they expire."""

    _CACHE_SIZE = 10_000
    _JWKS_REFRESH_SECONDS = 300.0

    def __init__(
        self, settings: Settings, keys: Mapping[str, Ed25519PublicKey] | None = None, jwks_url: str | None = None
    ) -> None:
        self._settings = settings
        self._keys: dict[str, Ed25519PublicKey] = dict(keys or {})
        self._jwks_url = jwks_url
        self._jwks_fetched_at = 0.0
        self._cache: OrderedDict[str, tuple[float, Principal]] = OrderedDict()

    async def _refresh_jwks(self) -> None:
        if not self._jwks_url or time.monotonic() - self._jwks_fetched_at < 5.0:
            return
        async with httpx.AsyncClient(timeout=5.0) as client:
            response = await client.get(self._jwks_url)
            response.raise_for_status()
        for item in jwt.PyJWKSet.from_dict(response.json()).keys:
            if item.key_id and isinstance(item.key, Ed25519PublicKey):
                self._keys[item.key_id] = item.key
        self._jwks_fetched_at = time.monotonic()

    async def _key_for(self, kid: str) -> Ed25519PublicKey:
        stale = time.monotonic() - self._jwks_fetched_at > self._JWKS_REFRESH_SECONDS
        if kid not in self._keys or (self._jwks_url and stale):
            try:
                await self._refresh_jwks()
            except (httpx.HTTPError, jwt.PyJWKSetError) as error:
                if kid not in self._keys:
                    raise AppError(503, "service_unavailable", f"signing keys unavailable: {error}") from None
        key = self._keys.get(kid)
        if key is None:
            raise _unauthorized("The token was signed by an unknown key", "টোকেনটি অজানা কী দিয়ে স্বাক্ষরিত")
        return key

    async def verify(self, token: str) -> Principal:
        cached = self._cache.get(token)
        if cached is not None and cached[0] > time.time():
            self._cache.move_to_end(token)
            return cached[1]
        try:
            header = jwt.get_unverified_header(token)
            key = await self._key_for(str(header.get("kid", "")))
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._settings.jwt_audience,
                issuer=self._settings.jwt_issuer,
                options={"require": ["exp", "sub", "tid", "iss", "aud"]},
            )
            principal = Principal(
                subject=uuid.UUID(claims["sub"]),
                tenant_id=uuid.UUID(claims["tid"]),
                permissions=frozenset(claims.get("perms", ())),
                roles=tuple(claims.get("roles", ())),
                company_ids=tuple(uuid.UUID(item) for item in claims.get("cids", ())),
                email=claims.get("email"),
            )
        except jwt.ExpiredSignatureError:
            raise _unauthorized("The access token has expired", "অ্যাক্সেস টোকেনের মেয়াদ শেষ") from None
        except (jwt.InvalidTokenError, ValueError, KeyError, TypeError):
            raise _unauthorized("The access token is invalid", "অ্যাক্সেস টোকেনটি সঠিক নয়") from None
        self._cache[token] = (float(claims["exp"]), principal)
        if len(self._cache) > self._CACHE_SIZE:
            self._cache.popitem(last=False)
        return principal


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("Use 'Authorization: Bearer <token>'", "'Authorization: Bearer <token>' ব্যবহার করুন")
    return token.strip()


async def authenticate(request: Request) -> Principal:
    """Verify the bearer token of ``request`` and bind its principal to the current context."""
    existing = getattr(request.state, "principal", None)
    if isinstance(existing, Principal):
        return existing
    token = bearer_token(request)
    if token is None:
        raise _unauthorized("An access token is required", "একটি অ্যাক্সেস টোকেন প্রয়োজন")
    verifier: TokenVerifier = request.app.state.runtime.verifier
    principal = await verifier.verify(token)
    request.state.principal = principal
    bind_principal(principal)
    bind_request_context(tenant=str(principal.tenant_id), user=str(principal.subject))
    return principal


class Require:
    """Route dependency: an authenticated principal holding ``permission``."""

    def __init__(self, permission: str) -> None:
        self.permission = permission

    async def __call__(self, request: Request) -> Principal:
        principal = await authenticate(request)
        if not principal.has(self.permission):
            raise AppError(
                403,
                "forbidden",
                f"This action needs the permission '{self.permission}'",
                f"এই কাজের জন্য '{self.permission}' অনুমতি প্রয়োজন",
                extra={"permission": self.permission},
            )
        return principal


class Public:
    """Route marker: deliberately reachable without a token."""

    async def __call__(self) -> None:
        return None


def require(permission: str) -> Any:
    """``principal: Principal = require("configuration.setting.write")`` in a route signature."""
    return Depends(Require(permission))


PUBLIC: Any = Depends(Public())


def route_permissions(dependencies: Iterable[Any]) -> tuple[list[str], bool]:
    """The permissions a route requires and whether it is marked public (for conformance/docs)."""
    permissions: list[str] = []
    public = False
    stack = list(dependencies)
    while stack:
        dependant = stack.pop()
        call = getattr(dependant, "call", None)
        if isinstance(call, Require):
            permissions.append(call.permission)
        elif isinstance(call, Public):
            public = True
        stack.extend(getattr(dependant, "dependencies", ()))
    return permissions, public
