"""Events the auth service publishes (it consumes none).

Until a notification service exists, the secrets people must receive by e-mail travel in two
events: ``auth.user.invited`` (invitation token) and ``auth.password.reset_requested`` (reset
token). They are single-use and short-lived; consumers must not log them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel

from vextrus.kit.service import Consumer, Topic


class UserRegistered(BaseModel):
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    full_name: str


class UserLogin(BaseModel):
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    session_id: uuid.UUID
    method: Literal["password", "mfa", "signup"]
    ip: str | None = None


LoginFailureReason = Literal[
    "unknown_email",
    "wrong_password",
    "locked",
    "wrong_mfa_code",
    "user_deactivated",
    "tenant_suspended",
    "tenant_closed",
]


class LoginFailed(BaseModel):
    email: str
    reason: LoginFailureReason
    tenant_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    ip: str | None = None


class UserLocked(BaseModel):
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    locked_until: dt.datetime


class UserLoggedOut(BaseModel):
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    session_id: uuid.UUID


class UserInvited(BaseModel):
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    full_name: str
    preferred_language: str
    invited_by: uuid.UUID | None
    invitation_token: str
    expires_at: dt.datetime


class UserStatusChanged(BaseModel):
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    status: Literal["active", "deactivated"]
    via: Literal["invitation", "administrator"]
    actor: uuid.UUID | None


class UserUpdated(BaseModel):
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    changes: dict[str, Any]
    version: int


class TokenRefreshed(BaseModel):
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    session_id: uuid.UUID


class TokenReuseDetected(BaseModel):
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    session_id: uuid.UUID
    ip: str | None = None


class SessionRevoked(BaseModel):
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    session_ids: list[uuid.UUID]
    reason: str


class PasswordChanged(BaseModel):
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    via: Literal["change", "reset", "invitation"]


class PasswordResetRequested(BaseModel):
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    full_name: str
    preferred_language: str
    reset_token: str
    expires_at: dt.datetime


class RoleChanged(BaseModel):
    role_id: uuid.UUID
    tenant_id: uuid.UUID
    key: str
    action: Literal["created", "updated", "deleted"]
    permissions: list[str]
    inherits: list[str]
    version: int
    actor: uuid.UUID | None


class RoleAssignmentChanged(BaseModel):
    assignment_id: uuid.UUID
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    role_id: uuid.UUID
    role_key: str
    company_id: uuid.UUID | None
    expires_at: dt.datetime | None
    actor: uuid.UUID | None


class ApiKeyChanged(BaseModel):
    api_key_id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    prefix: str
    permissions: list[str]
    expires_at: dt.datetime
    actor: uuid.UUID | None


class MfaChanged(BaseModel):
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    enabled: bool
    actor: uuid.UUID | None


class SigningKeyRotated(BaseModel):
    kid: str
    trusted_kids: list[str]
    actor: uuid.UUID | None


USER_REGISTERED = Topic("auth.user.registered", UserRegistered, "A sign-up created a tenant's first administrator")
USER_LOGIN = Topic("auth.user.login", UserLogin, "A user signed in (a session started); subject is the user")
LOGIN_FAILED = Topic(
    "auth.user.login_failed",
    LoginFailed,
    "A sign-in was refused (reason inside; platform-wide when the e-mail matched no account)",
)
USER_LOCKED = Topic("auth.user.locked", UserLocked, "Too many failed sign-ins locked the account for a while")
USER_LOGGED_OUT = Topic("auth.user.logged_out", UserLoggedOut, "A session ended by logout")
USER_INVITED = Topic(
    "auth.user.invited", UserInvited, "A user was invited; carries the single-use invitation token to e-mail"
)
USER_ACTIVATED = Topic("auth.user.activated", UserStatusChanged, "A user became active (invitation or administrator)")
USER_DEACTIVATED = Topic("auth.user.deactivated", UserStatusChanged, "A user was deactivated; their sessions ended")
USER_UPDATED = Topic("auth.user.updated", UserUpdated, "A user's profile changed (fields inside)")
TOKEN_REFRESHED = Topic("auth.token.refreshed", TokenRefreshed, "A refresh token was exchanged for a new pair")
TOKEN_REUSE_DETECTED = Topic(
    "auth.token.reuse_detected",
    TokenReuseDetected,
    "A spent refresh token was presented again (likely theft): the whole session was revoked",
)
SESSION_REVOKED = Topic("auth.session.revoked", SessionRevoked, "Sessions were revoked (reason inside)")
PASSWORD_CHANGED = Topic(
    "auth.password.changed", PasswordChanged, "A user's password changed (change, reset, invitation)"
)
PASSWORD_RESET_REQUESTED = Topic(
    "auth.password.reset_requested",
    PasswordResetRequested,
    "A password reset was requested; carries the single-use reset token to e-mail",
)
ROLE_CHANGED = Topic("auth.role.changed", RoleChanged, "A role was created, changed or deleted")
ROLE_GRANTED = Topic("auth.role.granted", RoleAssignmentChanged, "A role was assigned to a user")
ROLE_REVOKED = Topic("auth.role.revoked", RoleAssignmentChanged, "A role assignment was removed")
API_KEY_CREATED = Topic("auth.api-key.created", ApiKeyChanged, "An API key was created")
API_KEY_REVOKED = Topic("auth.api-key.revoked", ApiKeyChanged, "An API key was revoked")
MFA_CHANGED = Topic("auth.mfa.changed", MfaChanged, "A user's second factor was enabled or disabled")
SIGNING_KEY_ROTATED = Topic(
    "auth.signing-key.rotated", SigningKeyRotated, "Access tokens are now signed with a new key (platform-wide)"
)

PUBLISHES: tuple[Topic, ...] = (
    USER_REGISTERED,
    USER_LOGIN,
    LOGIN_FAILED,
    USER_LOCKED,
    USER_LOGGED_OUT,
    USER_INVITED,
    USER_ACTIVATED,
    USER_DEACTIVATED,
    USER_UPDATED,
    TOKEN_REFRESHED,
    TOKEN_REUSE_DETECTED,
    SESSION_REVOKED,
    PASSWORD_CHANGED,
    PASSWORD_RESET_REQUESTED,
    ROLE_CHANGED,
    ROLE_GRANTED,
    ROLE_REVOKED,
    API_KEY_CREATED,
    API_KEY_REVOKED,
    MFA_CHANGED,
    SIGNING_KEY_ROTATED,
)
HANDLERS: tuple[Consumer, ...] = ()
