"""Tables of the auth service (schema ``auth``, tables prefixed ``auth_``).

Every table is tenant-owned (``tenant_id``, row-level security on PostgreSQL). Look-ups made
before the tenant is known (a login by e-mail, a refresh token, an API key) run inside the kit's
``cross_tenant()`` and always by a secret or the e-mail being signed in.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from vextrus.kit.models import (
    TYPE_ANNOTATION_MAP,
    IdMixin,
    Tenanted,
    Timestamped,
    UTCDateTime,
    Versioned,
    service_metadata,
    utcnow,
)

SCHEMA = "auth"
EMAIL_LENGTH = 254
NAME_LENGTH = 200
ROLE_KEY_LENGTH = 64
TOKEN_HASH_LENGTH = 64  # sha256 hex


class Base(DeclarativeBase):
    metadata = service_metadata(SCHEMA)
    type_annotation_map = TYPE_ANNOTATION_MAP


class User(IdMixin, Tenanted, Timestamped, Versioned, Base):
    """A person of one tenant: the profile people edit (optimistically locked)."""

    __tablename__ = "auth_users"
    __table_args__ = (
        UniqueConstraint("tenant_id", "email"),
        Index("ix_auth_users_email", "email"),
    )

    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH))
    full_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    name_bn: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    phone: Mapped[str | None] = mapped_column(String(20))
    preferred_language: Mapped[str] = mapped_column(String(2), default="en")
    # invited (no password yet) | active | deactivated
    status: Mapped[str] = mapped_column(String(16), default="active")
    invited_by: Mapped[uuid.UUID | None]
    activated_at: Mapped[dt.datetime | None]
    deactivated_at: Mapped[dt.datetime | None]


class Credential(Tenanted, Base):
    """A user's secrets and sign-in state, apart from the profile so logins never bump its version."""

    __tablename__ = "auth_credentials"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth.auth_users.id", ondelete="CASCADE"), primary_key=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_changed_at: Mapped[dt.datetime | None]
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None]
    last_login_at: Mapped[dt.datetime | None]
    mfa_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    mfa_secret: Mapped[str | None] = mapped_column(String(64))
    mfa_pending_secret: Mapped[str | None] = mapped_column(String(64))
    # The last TOTP time step accepted: a code is never accepted twice.
    mfa_last_step: Mapped[int | None]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Role(IdMixin, Tenanted, Timestamped, Versioned, Base):
    """A named set of permission keys or patterns; a role also holds what the roles it inherits hold."""

    __tablename__ = "auth_roles"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    key: Mapped[str] = mapped_column(String(ROLE_KEY_LENGTH))
    name: Mapped[str] = mapped_column(String(100))
    name_bn: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(500))
    permissions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)


class RoleParent(Tenanted, Base):
    """``role_id`` inherits ``parent_id``."""

    __tablename__ = "auth_role_parents"

    role_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth.auth_roles.id", ondelete="CASCADE"), primary_key=True)
    parent_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth.auth_roles.id", ondelete="RESTRICT"), primary_key=True, index=True
    )


class RoleAssignment(IdMixin, Tenanted, Base):
    """A role granted to a user, tenant-wide (``company_id`` NULL) or in one company, maybe until a time."""

    __tablename__ = "auth_role_assignments"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth.auth_users.id", ondelete="CASCADE"), index=True)
    role_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth.auth_roles.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[uuid.UUID | None]
    expires_at: Mapped[dt.datetime | None]
    granted_by: Mapped[uuid.UUID | None]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Session(IdMixin, Tenanted, Base):
    """One sign-in: the family of its rotating refresh tokens."""

    __tablename__ = "auth_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth.auth_users.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[uuid.UUID | None]  # the company the session acts in
    method: Mapped[str] = mapped_column(String(16))  # password | mfa | signup
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(32))


class RefreshToken(IdMixin, Tenanted, Base):
    """A refresh token, stored as its sha256; spent when exchanged."""

    __tablename__ = "auth_refresh_tokens"

    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth.auth_sessions.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(TOKEN_HASH_LENGTH), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime]
    spent_at: Mapped[dt.datetime | None]


class OneTimeToken(IdMixin, Tenanted, Base):
    """A single-use secret: the MFA step of a login, a password reset or an invitation."""

    __tablename__ = "auth_one_time_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth.auth_users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # mfa_login | password_reset | invitation
    token_hash: Mapped[str] = mapped_column(String(TOKEN_HASH_LENGTH), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class RecoveryCode(IdMixin, Tenanted, Base):
    """A one-time MFA recovery code, stored as its sha256."""

    __tablename__ = "auth_recovery_codes"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth.auth_users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(TOKEN_HASH_LENGTH))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[dt.datetime | None]


class ApiKey(IdMixin, Tenanted, Base):
    """An integration's key: shown once, stored as its sha256, scoped to permissions and companies."""

    __tablename__ = "auth_api_keys"

    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))  # the key's first characters, to recognise it
    key_hash: Mapped[str] = mapped_column(String(TOKEN_HASH_LENGTH), unique=True)
    permissions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    company_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_by: Mapped[uuid.UUID]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]
