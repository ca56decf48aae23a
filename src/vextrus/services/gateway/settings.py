"""The gateway's own settings (``VEXTRUS_GATEWAY_*``, documented in .env.example)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from vextrus.kit.dispatch import path_key
from vextrus.kit.settings import ServiceSettings

# Headers only the platform may set: whoever sends them from outside is trying to claim an identity.
DEFAULT_STRIPPED_HEADERS = [
    "x-tenant-id",
    "x-user-id",
    "x-principal",
    "x-user",
    "x-user-email",
    "x-user-roles",
    "x-roles",
    "x-permissions",
    "x-scopes",
    "x-forwarded-user",
    "x-forwarded-email",
    "x-auth-request-user",
    "x-auth-request-email",
    "x-authenticated-userid",
    "x-consumer-id",
    "x-consumer-username",
    "x-remote-user",
    "remote-user",
]


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="VEXTRUS_GATEWAY_", env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True
    )

    # Rate limits (token buckets; 0 turns one off). Requests without valid credentials count per
    # client address; authenticated ones per user and per tenant (an office behind one NAT address
    # is not one client). Memory in one process, Redis when VEXTRUS_CACHE_URL is redis://.
    rate_limit_enabled: bool = True
    rate_limit_ip_per_second: float = Field(default=20.0, ge=0)
    rate_limit_ip_burst: int = Field(default=100, ge=1)
    rate_limit_user_per_second: float = Field(default=50.0, ge=0)
    rate_limit_user_burst: int = Field(default=200, ge=1)
    rate_limit_tenant_per_second: float = Field(default=500.0, ge=0)
    rate_limit_tenant_burst: int = Field(default=1000, ge=1)

    # Request bodies: the default limit and larger ones per route key. Uploads of files and of import
    # files get room by default; those services enforce their own, finer limits (per tenant, per kind).
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    body_limits: dict[str, int] = Field(
        default_factory=lambda: {"/api/v1/files": 1024 * 1024 * 1024, "/api/v1/exchange": 100 * 1024 * 1024}
    )
    # Client headers removed before anything else sees the request (x-vextrus-* always are).
    strip_headers: list[str] = Field(default_factory=lambda: list(DEFAULT_STRIPPED_HEADERS))

    # Distributed mode. Route keys (/api/v1/<segment>) come from every registered service's router;
    # `routes` adds others, {"/api/v1/legacy": "legacy"}, the upstream's URL in VEXTRUS_SERVICE_URLS.
    routes: dict[str, str] = Field(default_factory=dict)
    # The federation gateway (federation/gateway.mjs) that /graphql goes to when no service with
    # GraphQL is served in this process, e.g. http://127.0.0.1:4001
    federation_url: str | None = None
    federation_dir: Path = Path("federation")

    upstream_connect_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    upstream_read_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    upstream_write_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    upstream_pool_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    upstream_max_connections: int = Field(default=200, ge=1, le=10_000)
    upstream_max_keepalive: int = Field(default=100, ge=0, le=10_000)
    # An idle connection is not reused after this long: keep it below the services' own keep-alive
    # (uvicorn closes idle connections after 5 s), or a request may meet a connection being closed.
    upstream_keepalive_seconds: float = Field(default=4.0, gt=0, le=3600)
    # Retries after a connection failure, for idempotent methods only (GET HEAD OPTIONS TRACE PUT
    # DELETE, RFC 9110 §9.2.2) whose body is small enough to send again.
    retry_attempts: int = Field(default=2, ge=0, le=5)
    retry_backoff_seconds: float = Field(default=0.05, ge=0, le=5)
    retry_body_max_bytes: int = Field(default=64 * 1024, ge=0)
    # Circuit breaker per upstream: open after this many consecutive failures, for this long.
    breaker_failure_threshold: int = Field(default=5, ge=1, le=1000)
    breaker_open_seconds: float = Field(default=10.0, gt=0, le=3600)
    upstream_health_timeout_seconds: float = Field(default=1.0, gt=0, le=30)

    # Events about rejected requests: at most one per key (client, user, tenant) per window, and at
    # most this many per minute in all.
    event_window_seconds: float = Field(default=60.0, gt=0)
    events_per_minute: int = Field(default=60, ge=0)

    @field_validator("strip_headers")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [item.strip().lower() for item in value if item.strip()]

    @field_validator("routes", "body_limits")
    @classmethod
    def _keys_are_paths(cls, value: dict[str, object]) -> dict[str, object]:
        for key in value:
            if not key.startswith("/") or path_key(key) != key:
                raise ValueError(f"{key!r} is not a route key: use /api/v1/<segment> or /<segment>")
        return value
