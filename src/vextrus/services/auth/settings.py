"""The auth service's own settings (``VEXTRUS_AUTH_*``), documented in ``.env.example``."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from vextrus.kit.settings import ServiceSettings


class AuthSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="VEXTRUS_AUTH_", env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True
    )

    # Public sign-up (a new organisation with its first administrator); off → 403 signup_disabled.
    signup_enabled: bool = True

    # Password hashing: argon2id cost. Defaults ≈ 120 ms per hash on 2 cores (bench/auth_login.py).
    argon2_time_cost: int = Field(default=3, ge=1, le=20)
    argon2_memory_kib: int = Field(default=65_536, ge=8, le=4_194_304)
    argon2_parallelism: int = Field(default=4, ge=1, le=64)
    password_min_length: int = Field(default=10, ge=8, le=128)

    # Lockout: this many consecutive failures lock the account for this long.
    lockout_threshold: int = Field(default=5, ge=1, le=100)
    lockout_duration_seconds: int = Field(default=1800, ge=1, le=86_400 * 7)

    # Opaque refresh tokens (rotating, one family per session).
    refresh_token_ttl_seconds: int = Field(default=7 * 86_400, ge=300, le=90 * 86_400)

    # Second factor (TOTP): issuer shown by authenticator apps, life and tries of the login step.
    mfa_issuer: str = Field(default="Vextrus", min_length=1, max_length=64)
    mfa_token_ttl_seconds: int = Field(default=300, ge=30, le=3600)
    mfa_max_attempts: int = Field(default=5, ge=1, le=20)

    # One-time links: password reset and invitations.
    password_reset_ttl_seconds: int = Field(default=3600, ge=300, le=86_400)
    invitation_ttl_seconds: int = Field(default=7 * 86_400, ge=3600, le=30 * 86_400)

    # API keys: longest allowed life (days); a key without an expiry gets this one.
    api_key_max_ttl_days: int = Field(default=365, ge=1, le=3650)
