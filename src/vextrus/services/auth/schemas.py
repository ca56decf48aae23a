"""Pydantic input and output models of the auth API."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from vextrus.bd.phone import validate_mobile
from vextrus.services.auth.models import EMAIL_LENGTH, NAME_LENGTH, ROLE_KEY_LENGTH
from vextrus.services.auth.passwords import MAX_PASSWORD_LENGTH
from vextrus.services.auth.rbac import PERMISSION_MAX_LENGTH, ROLE_KEY_PATTERN
from vextrus.services.auth.tokens import SECRET_MAX_LENGTH

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{1,48})[a-z0-9]$"
_EMAIL = re.compile(r"^[^@\s]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
MAX_VERSION = 2**31 - 1


def _encodable(value: str) -> str:
    if any(0xD800 <= ord(char) <= 0xDFFF for char in value):
        raise PydanticCustomError("invalid_text", "is not valid Unicode text", {"reason_bn": "বৈধ ইউনিকোড লেখা নয়"})
    return value


def _printable(value: str) -> str:
    _encodable(value)
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise PydanticCustomError(
            "control_characters", "must not contain control characters", {"reason_bn": "নিয়ন্ত্রণ অক্ষর থাকতে পারবে না"}
        )
    return value


def _utc(value: dt.datetime) -> dt.datetime:
    """An aware time as UTC; one beyond what a database can hold is refused, not a 500."""
    try:
        converted = value.astimezone(dt.UTC)
    except OverflowError:
        converted = None
    if converted is None or not 2000 <= converted.year <= 9000:
        raise PydanticCustomError(
            "time_out_of_range",
            "must be a time between the years 2000 and 9000",
            {"reason_bn": "২০০০ থেকে ৯০০০ সালের মধ্যের সময় হতে হবে"},
        )
    return converted


def _email(value: str) -> str:
    value = value.strip()
    if not _EMAIL.match(value):
        raise PydanticCustomError("invalid_email", "is not an e-mail address", {"reason_bn": "সঠিক ই-মেইল ঠিকানা নয়"})
    return value.lower()


def _phone(value: str) -> str:
    result = validate_mobile(value)
    if not result.valid or result.normalized is None:
        raise PydanticCustomError(
            "invalid_phone",
            result.reason or "is not a Bangladeshi mobile number",
            {"reason_bn": result.reason_bn or "বাংলাদেশি মোবাইল নম্বর নয়"},
        )
    return result.normalized


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "must not be blank", {"reason_bn": "ফাঁকা রাখা যাবে না"})
    return value.strip()


SafeText = Annotated[str, AfterValidator(_printable)]
Name = Annotated[
    str, Field(min_length=1, max_length=NAME_LENGTH), AfterValidator(_printable), AfterValidator(_not_blank)
]
Email = Annotated[str, Field(min_length=3, max_length=EMAIL_LENGTH), AfterValidator(_printable), AfterValidator(_email)]
# What a login accepts as an e-mail: anything short, so a malformed address fails like an unknown one.
LoginEmail = Annotated[str, Field(min_length=1, max_length=EMAIL_LENGTH), AfterValidator(_printable)]
Password = Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH), AfterValidator(_encodable)]
Time = Annotated[AwareDatetime, AfterValidator(_utc)]
Phone = Annotated[str, Field(min_length=5, max_length=32), AfterValidator(_phone)]
Language = Literal["en", "bn"]
Slug = Annotated[str, Field(min_length=3, max_length=50, pattern=SLUG_PATTERN)]
SecretText = Annotated[str, Field(min_length=1, max_length=SECRET_MAX_LENGTH)]
RoleKey = Annotated[str, Field(min_length=2, max_length=ROLE_KEY_LENGTH, pattern=ROLE_KEY_PATTERN)]
PermissionText = Annotated[str, Field(min_length=1, max_length=PERMISSION_MAX_LENGTH)]
TotpCode = Annotated[str, Field(min_length=6, max_length=32), AfterValidator(_printable)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- sign-up, login, tokens -----------------------------------------------------------------------


class SignupOrganization(_Input):
    name: Name
    slug: Slug
    name_bn: Name | None = None
    type: Literal["construction", "real-estate", "both"] | None = None


class SignupUser(_Input):
    email: Email
    password: Password
    full_name: Name
    name_bn: Name | None = None
    phone: Phone | None = None
    preferred_language: Language = "en"


class SignupIn(_Input):
    organization: SignupOrganization
    user: SignupUser


class LoginIn(_Input):
    email: LoginEmail
    password: Password
    tenant: Annotated[str, Field(min_length=1, max_length=50), AfterValidator(_printable)] | None = Field(
        default=None, description="The organisation's slug; needed when the e-mail has accounts in several"
    )


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105  (the scheme, not a secret)
    expires_in: int = Field(description="Seconds the access token lives")
    refresh_expires_in: int = Field(description="Seconds the refresh token lives")
    session_id: uuid.UUID


class MfaRequired(BaseModel):
    mfa_required: Literal[True] = True
    mfa_token: str = Field(description="Send it with a TOTP or recovery code to POST /login/mfa")
    expires_in: int


class MfaLoginIn(_Input):
    mfa_token: SecretText
    code: TotpCode = Field(description="The 6-digit code of the authenticator app, or a recovery code")


class RefreshIn(_Input):
    refresh_token: SecretText
    company_id: uuid.UUID | None = Field(
        default=None, description="Switch the session to this company (one of the user's memberships)"
    )


class LogoutIn(_Input):
    refresh_token: SecretText


class TenantOut(BaseModel):
    id: uuid.UUID
    slug: str
    name: str
    status: str


class CompanyOut(BaseModel):
    id: uuid.UUID
    name: str
    primary: bool


# --- users -------------------------------------------------------------------------------------


class UserOut(BaseModel):
    id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    full_name: str
    name_bn: str | None
    phone: str | None
    preferred_language: str
    status: Literal["invited", "active", "deactivated"]
    mfa_enabled: bool
    last_login_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class SignupOut(BaseModel):
    user: UserOut
    tenant: TenantOut
    company_id: uuid.UUID
    tokens: TokenPair


class UserInvite(_Input):
    email: Email
    full_name: Name
    name_bn: Name | None = None
    phone: Phone | None = None
    preferred_language: Language = "en"
    roles: list[RoleKey] = Field(default_factory=list, max_length=20, description="Role keys granted tenant-wide")


class UserPatch(_Input):
    full_name: Name | None = None
    name_bn: Name | None = None
    phone: Phone | None = None
    preferred_language: Language | None = None
    expected_version: int | None = Field(default=None, ge=1, le=MAX_VERSION)


class InvitationAccept(_Input):
    token: SecretText
    password: Password


class PasswordChange(_Input):
    current_password: Password
    new_password: Password


class PasswordResetRequest(_Input):
    email: LoginEmail
    tenant: Annotated[str, Field(min_length=1, max_length=50), AfterValidator(_printable)] | None = None


class PasswordReset(_Input):
    token: SecretText
    new_password: Password


class Accepted(BaseModel):
    status: Literal["accepted"] = "accepted"
    detail: str


# --- roles ----------------------------------------------------------------------------------------


class RoleCreate(_Input):
    key: RoleKey
    name: Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_printable), AfterValidator(_not_blank)]
    name_bn: Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_printable)] | None = None
    description: Annotated[SafeText, Field(max_length=500)] | None = None
    permissions: list[PermissionText] = Field(default_factory=list, max_length=200)
    inherits: list[RoleKey] = Field(default_factory=list, max_length=20)


class RolePatch(_Input):
    name: (
        Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_printable), AfterValidator(_not_blank)]
        | None
    ) = None
    name_bn: Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_printable)] | None = None
    description: Annotated[SafeText, Field(max_length=500)] | None = None
    permissions: list[PermissionText] | None = Field(default=None, max_length=200)
    inherits: list[RoleKey] | None = Field(default=None, max_length=20)
    expected_version: int | None = Field(default=None, ge=1, le=MAX_VERSION)


class RoleOut(BaseModel):
    id: uuid.UUID
    key: str
    name: str
    name_bn: str | None
    description: str | None
    permissions: list[str]
    inherits: list[str] = Field(description="Keys of the roles this one inherits")
    effective_permissions: list[str] = Field(description="Its permissions with everything it inherits")
    builtin: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class RoleList(BaseModel):
    items: list[RoleOut]


class AssignmentIn(_Input):
    role: RoleKey
    company_id: uuid.UUID | None = Field(default=None, description="Only in this company; omit for tenant-wide")
    expires_at: Time | None = Field(default=None, description="The assignment ends at this time")


class AssignmentOut(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    role_id: uuid.UUID
    role_key: str
    company_id: uuid.UUID | None
    expires_at: dt.datetime | None
    active: bool
    granted_by: uuid.UUID | None
    created_at: dt.datetime


class AssignmentList(BaseModel):
    items: list[AssignmentOut]


class PermissionOut(BaseModel):
    key: str
    service: str
    description: str


class PermissionList(BaseModel):
    items: list[PermissionOut]


# --- me, sessions ------------------------------------------------------------------------------------


class MeOut(BaseModel):
    user: UserOut
    tenant: TenantOut
    companies: list[CompanyOut]
    acting_company_id: uuid.UUID | None
    roles: list[AssignmentOut]
    permissions: list[str] = Field(description="Effective permissions in the acting company")


class SessionOut(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    method: str
    company_id: uuid.UUID | None
    ip: str | None
    user_agent: str | None
    created_at: dt.datetime
    last_used_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    active: bool


class SessionList(BaseModel):
    items: list[SessionOut]


# --- MFA -----------------------------------------------------------------------------------------------


class TotpEnrollment(BaseModel):
    secret: str = Field(description="Base32 secret; enter it in an authenticator app or use the URI")
    otpauth_uri: str


class TotpConfirm(_Input):
    code: TotpCode


class RecoveryCodes(BaseModel):
    recovery_codes: list[str] = Field(description="Shown once; each works once when the phone is lost")


class TotpDisable(_Input):
    password: Password
    code: TotpCode


# --- API keys ------------------------------------------------------------------------------------------


class ApiKeyCreate(_Input):
    name: Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_printable), AfterValidator(_not_blank)]
    permissions: list[PermissionText] = Field(min_length=1, max_length=100)
    company_ids: list[uuid.UUID] | None = Field(
        default=None, max_length=50, description="Companies the key acts in (default: the creator's)"
    )
    expires_at: Time | None = Field(default=None, description="Default and maximum: the configured life")


class ApiKeyOut(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str
    permissions: list[str]
    company_ids: list[uuid.UUID]
    created_by: uuid.UUID
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None
    active: bool


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself: shown only now, store it safely")


class ApiKeyList(BaseModel):
    items: list[ApiKeyOut]


class IntrospectIn(_Input):
    key: Annotated[str, Field(min_length=1, max_length=512)]


class IntrospectOut(BaseModel):
    active: bool
    subject: uuid.UUID | None = None
    tenant_id: uuid.UUID | None = None
    permissions: list[str] | None = None
    roles: list[str] | None = None
    company_ids: list[uuid.UUID] | None = None
    expires_at: dt.datetime | None = None


# --- signing keys -----------------------------------------------------------------------------------------


class KeyRotationOut(BaseModel):
    kid: str = Field(description="The key new tokens are signed with")
    trusted_kids: list[str] = Field(description="Every key tokens still verify with (the new one first)")
