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
from typing import Annotated, Any, cast

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi import Depends, Request
from jwt.algorithms import OKPAlgorithm

from vextrus.kit.clients import ServiceClients
from vextrus.kit.errors import AppError, FieldError
from vextrus.kit.events.denials import Denial, DenialRecorder
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


class KeyRing:
    """The active signing key and the retired keys still trusted.

    The active key lives at ``path``. Rotation writes a new key there and keeps the previous one
    beside it (``<stem>.retired-<kid>.pem``) for ``retain_seconds`` (at least the access-token
    lifetime), so tokens it signed keep verifying until they expire; JWKS publishes all of them.
    """

    def __init__(self, path: Path, retain_seconds: float) -> None:
        self.path = path
        self.retain_seconds = retain_seconds
        self.active = SigningKey.load_or_create(path)
        self.retired: list[SigningKey] = []
        now = time.time()
        for retired_path in sorted(path.parent.glob(f"{path.stem}.retired-*.pem")):
            if now - retired_path.stat().st_mtime > retain_seconds:
                retired_path.unlink(missing_ok=True)
                continue
            loaded = serialization.load_pem_private_key(retired_path.read_bytes(), password=None)
            if isinstance(loaded, Ed25519PrivateKey):
                self.retired.append(SigningKey(loaded, _key_id(loaded.public_key())))

    def rotate(self) -> SigningKey:
        """Make a new key active; the previous one becomes retired (still verifying)."""
        previous = self.active
        retired_path = self.path.with_name(f"{self.path.stem}.retired-{previous.kid}.pem")
        os.replace(self.path, retired_path)
        os.utime(retired_path)  # retirement time, for pruning
        self.active = SigningKey.load_or_create(self.path)
        self.retired.insert(0, previous)
        return self.active

    def trusted_keys(self) -> list[SigningKey]:
        return [self.active, *self.retired]

    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        return {key.kid: key.private_key.public_key() for key in self.trusted_keys()}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.public_jwk() for key in self.trusted_keys()]}


class TokenIssuer:
    """Signs access tokens for principals with the current signing key (``kid`` in the header)."""

    def __init__(self, key: SigningKey, settings: Settings) -> None:
        self._key = key
        self._settings = settings

    def use(self, key: SigningKey) -> None:
        """Sign with ``key`` from now on (after a rotation)."""
        self._key = key

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


class TokenRejected(AppError):
    """A 401 for credentials that were presented and refused; ``reason`` and, when the token's
    signature verified (an expired token), its tenant and subject go into the access-denied event."""

    def __init__(
        self,
        reason: str,
        detail: str,
        detail_bn: str,
        tenant_id: uuid.UUID | None = None,
        subject: str | None = None,
    ) -> None:
        super().__init__(401, "unauthorized", detail, detail_bn, headers={"WWW-Authenticate": "Bearer"})
        self.reason = reason
        self.tenant_id = tenant_id
        self.subject = subject


def _expired(token: str, key: Ed25519PublicKey, settings: Settings) -> TokenRejected:
    """The rejection of an expired token whose signature verified: its tenant and subject are known."""
    tenant_id: uuid.UUID | None = None
    subject: str | None = None
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"verify_exp": False},
        )
        tenant_id, subject = uuid.UUID(str(claims["tid"])), str(uuid.UUID(str(claims["sub"])))
    except (jwt.InvalidTokenError, ValueError, KeyError, TypeError):
        pass
    return TokenRejected("token_expired", "The access token has expired", "অ্যাক্সেস টোকেনের মেয়াদ শেষ", tenant_id, subject)


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

    def trust(self, kid: str, key: Ed25519PublicKey) -> None:
        """Accept tokens signed by ``key`` (a newly rotated local key)."""
        self._keys[kid] = key

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
            raise TokenRejected(
                "token_unknown_key", "The token was signed by an unknown key", "টোকেনটি অজানা কী দিয়ে স্বাক্ষরিত"
            )
        return key

    async def verify(self, token: str) -> Principal:
        cached = self._cache.get(token)
        if cached is not None and cached[0] > time.time():
            self._cache.move_to_end(token)
            return cached[1]
        key: Ed25519PublicKey | None = None
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
            assert key is not None
            raise _expired(token, key, self._settings) from None
        except (jwt.InvalidTokenError, ValueError, KeyError, TypeError):
            raise TokenRejected("token_invalid", "The access token is invalid", "অ্যাক্সেস টোকেনটি সঠিক নয়") from None
        self._cache[token] = (float(claims["exp"]), principal)
        if len(self._cache) > self._CACHE_SIZE:
            self._cache.popitem(last=False)
        return principal


API_KEY_INTROSPECTION_PATH = "/api/v1/auth/api-keys/introspect"


class ApiKeyResolver:
    """Turns an integration's API key into its principal by asking the auth service (which owns
    the hashed keys), caching each answer for ``cache_seconds``: a revoked key stops working
    everywhere within that time."""

    def __init__(self, clients: ServiceClients, cache_seconds: float = 60.0) -> None:
        self._clients = clients
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Principal]] = {}

    async def resolve(self, key: str) -> Principal:
        digest = hashlib.sha256(key.encode()).hexdigest()
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        response = await self._clients.request("auth", "POST", API_KEY_INTROSPECTION_PATH, json={"key": key})
        body = response.json() if response.status_code == 200 else {}
        if not body.get("active"):
            self._cache.pop(digest, None)
            raise TokenRejected(
                "api_key_invalid", "The API key is invalid, expired or revoked", "API কী সঠিক নয়, মেয়াদোত্তীর্ণ বা বাতিল"
            )
        principal = Principal(
            subject=uuid.UUID(body["subject"]),
            tenant_id=uuid.UUID(body["tenant_id"]),
            permissions=frozenset(body.get("permissions", ())),
            roles=tuple(body.get("roles", ())),
            company_ids=tuple(uuid.UUID(item) for item in body.get("company_ids", ())),
        )
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest] = (time.monotonic() + self._cache_seconds, principal)
        return principal


def credentials(request: Request) -> tuple[str, str] | None:
    """``("bearer", token)`` or ``("apikey", key)`` from the Authorization header, or None."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme not in ("bearer", "apikey") or not value.strip():
        raise _unauthorized(
            "Use 'Authorization: Bearer <token>' or 'Authorization: ApiKey <key>'",
            "'Authorization: Bearer <token>' অথবা 'Authorization: ApiKey <key>' ব্যবহার করুন",
        )
    return scheme, value.strip()


async def authenticate(request: Request) -> Principal:
    """Verify the credentials of ``request`` and bind their principal to the current context."""
    existing = getattr(request.state, "principal", None)
    if isinstance(existing, Principal):
        return existing
    found = credentials(request)
    if found is None:
        raise _unauthorized("An access token is required", "একটি অ্যাক্সেস টোকেন প্রয়োজন")
    scheme, secret = found
    runtime = request.app.state.runtime
    try:
        if scheme == "apikey":
            api_keys: ApiKeyResolver = runtime.api_keys
            principal = await api_keys.resolve(secret)
        else:
            verifier: TokenVerifier = runtime.verifier
            principal = await verifier.verify(secret)
    except TokenRejected as error:
        await report_denial(request, error.reason, tenant_id=error.tenant_id, subject=error.subject)
        raise
    request.state.principal = principal
    bind_principal(principal)
    bind_request_context(tenant=str(principal.tenant_id), user=str(principal.subject))
    return principal


COMPANY_HEADER = "X-Company-ID"


async def acting_company(request: Request) -> uuid.UUID:
    """The company (legal entity) the request acts in: ``X-Company-ID`` or the principal's primary one.

    The header is trusted only as far as the token allows: the company must be one of the
    principal's memberships (the ``cids`` claim, primary first).
    """
    principal = await authenticate(request)
    raw = request.headers.get(COMPANY_HEADER)
    if raw is None:
        if principal.company_ids:
            return principal.company_ids[0]
        raise AppError(
            400,
            "company_required",
            f"Name the company this request acts in with the {COMPANY_HEADER} header",
            f"কোন কোম্পানির পক্ষে অনুরোধ, তা {COMPANY_HEADER} হেডারে দিন",
            errors=[FieldError(f"header.{COMPANY_HEADER}", "required", "required", "প্রয়োজন")],
        )
    try:
        company = uuid.UUID(raw.strip())
    except ValueError:
        raise AppError(
            400,
            "bad_request",
            f"{COMPANY_HEADER} must be a company id (UUID)",
            f"{COMPANY_HEADER} একটি কোম্পানি আইডি (UUID) হতে হবে",
            errors=[FieldError(f"header.{COMPANY_HEADER}", "invalid", "not a UUID", "UUID নয়")],
        ) from None
    if not principal.may_act_in(company):
        raise AppError(
            403,
            "company_forbidden",
            f"You are not a member of company {company}",
            f"আপনি কোম্পানি {company}-এর সদস্য নন",
            extra={"company_id": str(company)},
        )
    return company


CompanyId = Annotated[uuid.UUID, Depends(acting_company)]
"""Route parameter type: ``company_id: CompanyId`` is the validated company of the request."""


class Require:
    """Route dependency: an authenticated principal holding ``permission``."""

    def __init__(self, permission: str) -> None:
        self.permission = permission

    async def __call__(self, request: Request) -> Principal:
        principal = await authenticate(request)
        if not principal.has(self.permission):
            await report_denial(
                request,
                "missing_permission",
                tenant_id=principal.tenant_id,
                subject=str(principal.subject),
                permission=self.permission,
            )
            raise AppError(
                403,
                "forbidden",
                f"This action needs the permission '{self.permission}'",
                f"এই কাজের জন্য '{self.permission}' অনুমতি প্রয়োজন",
                extra={"permission": self.permission},
            )
        return principal


async def report_denial(
    request: Request,
    reason: str,
    *,
    tenant_id: uuid.UUID | None = None,
    subject: str | None = None,
    permission: str | None = None,
) -> None:
    """Hand a refusal to the process's :class:`DenialRecorder` (``platform.access.denied``); never raises."""
    runtime = request.app.state.runtime
    recorder: DenialRecorder | None = getattr(runtime, "denials", None)
    if recorder is None:
        return
    route = request.scope.get("route")
    await recorder.report(
        Denial(
            reason=reason,
            method=request.method,
            route=str(getattr(route, "path", None) or request.url.path)[:300],
            service=str(runtime.name),
            tenant_id=tenant_id,
            subject=subject,
            permission=permission,
            client=request.client.host if request.client else None,
        )
    )


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
