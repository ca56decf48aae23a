"""Users: invitation, profile, activation and deactivation, sessions, and ``/me``."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from vextrus.kit.errors import AppError, FieldError, invalid_field, not_found
from vextrus.kit.events import record_event
from vextrus.kit.models import new_id, utcnow
from vextrus.kit.pagination import Page, PageRequest
from vextrus.kit.tenancy import Principal
from vextrus.services.auth.core import (
    Access,
    Auth,
    load_role_graph,
    resolve_access,
    revoke_sessions,
)
from vextrus.services.auth.events import (
    MFA_CHANGED,
    SESSION_REVOKED,
    USER_ACTIVATED,
    USER_DEACTIVATED,
    USER_INVITED,
    USER_UPDATED,
    MfaChanged,
    SessionRevoked,
    UserInvited,
    UserStatusChanged,
    UserUpdated,
)
from vextrus.services.auth.models import Credential, OneTimeToken, Session, User
from vextrus.services.auth.rbac import role_permissions
from vextrus.services.auth.repository import (
    CredentialRepository,
    OneTimeTokenRepository,
    RecoveryCodeRepository,
    SessionRepository,
    UserRepository,
)
from vextrus.services.auth.roles import assignment_out, check_grantable, grant
from vextrus.services.auth.schemas import (
    CompanyOut,
    MeOut,
    SessionList,
    SessionOut,
    TenantOut,
    UserInvite,
    UserOut,
    UserPatch,
)
from vextrus.services.auth.tokens import INVITATION_TOKEN, digest, new_secret
from vextrus.services.organization.client import UserAccess

PROFILE_FIELDS = ("full_name", "name_bn", "phone", "preferred_language")


async def new_user(
    session: AsyncSession,
    *,
    email: str,
    full_name: str,
    name_bn: str | None,
    phone: str | None,
    preferred_language: str,
    status: str,
    now: dt.datetime,
    user_id: uuid.UUID | None = None,
    password_hash: str | None = None,
    invited_by: uuid.UUID | None = None,
) -> tuple[User, Credential]:
    """Stage a user of the current tenant with its credential row."""
    user = UserRepository(session).add(
        User(
            id=user_id or new_id(),
            email=email,
            full_name=full_name,
            name_bn=name_bn,
            phone=phone,
            preferred_language=preferred_language,
            status=status,
            invited_by=invited_by,
            activated_at=now if status == "active" else None,
        )
    )
    await session.flush()  # the user row first: the credential references it
    credential = CredentialRepository(session).add(
        Credential(user_id=user.id, password_hash=password_hash, password_changed_at=now if password_hash else None)
    )
    return user, credential


def user_out(user: User, credential: Credential | None) -> UserOut:
    return UserOut(
        id=user.id,
        tenant_id=user.tenant_id,
        email=user.email,
        full_name=user.full_name,
        name_bn=user.name_bn,
        phone=user.phone,
        preferred_language=user.preferred_language,
        status=user.status,
        mfa_enabled=bool(credential and credential.mfa_enabled),
        last_login_at=credential.last_login_at if credential else None,
        created_at=user.created_at,
        updated_at=user.updated_at,
        version=user.version,
    )


async def user_or_404(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await UserRepository(session).get(user_id)
    if user is None:
        raise not_found("User", user_id, "ব্যবহারকারী")
    return user


async def list_users(
    session: AsyncSession,
    page: PageRequest,
    status: str | None,
    role: str | None = None,
    company_id: uuid.UUID | None = None,
) -> Page[UserOut]:
    """The tenant's users; ``role``: those holding that role now (``company_id``: tenant-wide or
    in that company). A well-formed key no role has gives an empty page."""
    if company_id is not None and role is None:
        raise invalid_field(
            "query.company_id",
            "company_id narrows a role filter: give role too",
            "company_id কেবল role-এর সাথে দেওয়া যায়",
            "requires_role",
        )
    users = await UserRepository(session).page(page, status, role=role, company_id=company_id)
    credentials = await CredentialRepository(session).of_users([user.id for user in users.items])
    return Page[UserOut](
        items=[user_out(user, credentials.get(user.id)) for user in users.items], next_cursor=users.next_cursor
    )


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> UserOut:
    user = await user_or_404(session, user_id)
    return user_out(user, await CredentialRepository(session).of(user.id))


def _user_exists(email: str) -> AppError:
    return AppError(
        409,
        "user_exists",
        f"{email} already has an account in this organisation",
        f"{email}-এর এই প্রতিষ্ঠানে আগে থেকেই অ্যাকাউন্ট আছে",
        errors=[FieldError("body.email", "user_exists", "already has an account", "আগে থেকেই অ্যাকাউন্ট আছে")],
    )


async def invite_user(auth: Auth, session: AsyncSession, principal: Principal, data: UserInvite) -> UserOut:
    """A user who sets a password through the invitation (sent by ``auth.user.invited``)."""
    if await UserRepository(session).by_email(data.email) is not None:
        raise _user_exists(data.email)
    graph = await load_role_graph(session)
    roles = []
    for index, key in enumerate(dict.fromkeys(data.roles)):
        role = graph.by_key.get(key)
        if role is None:
            raise invalid_field(f"body.roles[{index}]", f"there is no role '{key}'", f"'{key}' নামে কোনো ভূমিকা নেই")
        check_grantable(principal, role_permissions([role.id], graph.nodes), f"body.roles[{index}]")
        roles.append(role)
    now = utcnow()
    try:
        user, credential = await new_user(
            session,
            email=data.email,
            full_name=data.full_name,
            name_bn=data.name_bn,
            phone=data.phone,
            preferred_language=data.preferred_language,
            status="invited",
            now=now,
            invited_by=principal.subject,
        )
        await session.flush()
    except IntegrityError:
        raise _user_exists(data.email) from None
    for role in roles:
        await grant(session, user, role, company_id=None, expires_at=None, actor=principal.subject)
    token = new_secret(INVITATION_TOKEN)
    expires_at = now + dt.timedelta(seconds=auth.settings.invitation_ttl_seconds)
    OneTimeTokenRepository(session).add(
        OneTimeToken(user_id=user.id, purpose="invitation", token_hash=digest(token), expires_at=expires_at)
    )
    record_event(
        session,
        USER_INVITED,
        UserInvited(
            user_id=user.id,
            tenant_id=user.tenant_id,
            email=user.email,
            full_name=user.full_name,
            preferred_language=user.preferred_language,
            invited_by=principal.subject,
            invitation_token=token,
            expires_at=expires_at,
        ),
        subject=user.id,
    )
    await session.flush()
    return user_out(user, credential)


def _version_conflict(current: int) -> AppError:
    return AppError(
        409,
        "version_conflict",
        f"The user is at version {current}; reload and apply your change again",
        f"ব্যবহারকারীর তথ্য এখন সংস্করণ {current}-এ আছে; আবার লোড করে পরিবর্তনটি করুন",
        extra={"current_version": current},
    )


async def update_profile(session: AsyncSession, user_id: uuid.UUID, patch: UserPatch, actor: uuid.UUID) -> UserOut:
    given = patch.model_fields_set - {"expected_version"}
    for name in ("full_name", "preferred_language"):
        if name in given and getattr(patch, name) is None:
            raise invalid_field(f"body.{name}", "must not be null", "ফাঁকা (null) হতে পারে না")
    user = await user_or_404(session, user_id)
    current = user.version
    if patch.expected_version is not None and patch.expected_version != current:
        raise _version_conflict(current)
    changes: dict[str, Any] = {}
    for name in PROFILE_FIELDS:
        if name in given and getattr(patch, name) != getattr(user, name):
            changes[name] = {"old": getattr(user, name), "new": getattr(patch, name)}
            setattr(user, name, getattr(patch, name))
    if changes:
        try:
            await session.flush()
        except StaleDataError:
            raise _version_conflict(current) from None
        record_event(
            session,
            USER_UPDATED,
            UserUpdated(user_id=user.id, tenant_id=user.tenant_id, changes=changes, version=user.version),
            subject=user.id,
            actor=str(actor),
        )
    return user_out(user, await CredentialRepository(session).of(user.id))


def _state_error(detail: str, detail_bn: str) -> AppError:
    return AppError(409, "invalid_user_state", detail, detail_bn)


async def activate_user(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> UserOut:
    user = await user_or_404(session, user_id)
    if user.status == "invited":
        raise _state_error("The user has not accepted the invitation yet", "ব্যবহারকারী এখনো আমন্ত্রণ গ্রহণ করেননি")
    if user.status != "active":
        user.status = "active"
        user.activated_at = utcnow()
        user.deactivated_at = None
        await session.flush()
        record_event(
            session,
            USER_ACTIVATED,
            UserStatusChanged(
                user_id=user.id, tenant_id=user.tenant_id, status="active", via="administrator", actor=principal.subject
            ),
            subject=user.id,
        )
    return user_out(user, await CredentialRepository(session).of(user.id))


async def deactivate_user(auth: Auth, session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> UserOut:
    """The user can no longer sign in; their sessions end and their API keys stop working."""
    if user_id == principal.subject:
        raise _state_error("You cannot deactivate yourself", "আপনি নিজেকে নিষ্ক্রিয় করতে পারবেন না")
    user = await user_or_404(session, user_id)
    if user.status != "deactivated":
        now = utcnow()
        user.status = "deactivated"
        user.deactivated_at = now
        await session.flush()
        revoked = await revoke_sessions(
            auth, session, await SessionRepository(session).of_user(user.id), "user_deactivated", now
        )
        await OneTimeTokenRepository(session).use_all(user.id, "invitation", now)
        await OneTimeTokenRepository(session).use_all(user.id, "password_reset", now)
        record_event(
            session,
            USER_DEACTIVATED,
            UserStatusChanged(
                user_id=user.id,
                tenant_id=user.tenant_id,
                status="deactivated",
                via="administrator",
                actor=principal.subject,
            ),
            subject=user.id,
        )
        _record_revoked(session, user, revoked, "user_deactivated")
    return user_out(user, await CredentialRepository(session).of(user.id))


def _record_revoked(session: AsyncSession, user: User, revoked: list[uuid.UUID], reason: str) -> None:
    if revoked:
        record_event(
            session,
            SESSION_REVOKED,
            SessionRevoked(user_id=user.id, tenant_id=user.tenant_id, session_ids=revoked, reason=reason),
            subject=user.id,
        )


async def reset_mfa(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> UserOut:
    """An administrator turns a user's second factor off (lost phone and recovery codes)."""
    user = await user_or_404(session, user_id)
    credential = await CredentialRepository(session).of(user.id, for_update=True)
    assert credential is not None
    if credential.mfa_enabled or credential.mfa_pending_secret:
        credential.mfa_enabled = False
        credential.mfa_secret = None
        credential.mfa_pending_secret = None
        await RecoveryCodeRepository(session).delete_of_user(user.id)
        await session.flush()
        record_event(
            session,
            MFA_CHANGED,
            MfaChanged(user_id=user.id, tenant_id=user.tenant_id, enabled=False, actor=principal.subject),
            subject=user.id,
        )
    return user_out(user, credential)


# --- sessions -------------------------------------------------------------------------------------------


def session_out(item: Session, now: dt.datetime) -> SessionOut:
    return SessionOut(
        id=item.id,
        user_id=item.user_id,
        method=item.method,
        company_id=item.company_id,
        ip=item.ip,
        user_agent=item.user_agent,
        created_at=item.created_at,
        last_used_at=item.last_used_at,
        expires_at=item.expires_at,
        revoked_at=item.revoked_at,
        active=item.revoked_at is None and item.expires_at > now,
    )


async def list_sessions(session: AsyncSession, user_id: uuid.UUID, *, only_active: bool = True) -> SessionList:
    now = utcnow()
    items = [session_out(item, now) for item in await SessionRepository(session).of_user(user_id)]
    return SessionList(items=[item for item in items if item.active or not only_active])


async def revoke_session(
    auth: Auth, session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID, reason: str
) -> None:
    item = await SessionRepository(session).get(session_id)
    if item is None or item.user_id != user_id:
        raise not_found("Session", session_id, "সেশন")
    user = await user_or_404(session, user_id)
    revoked = await revoke_sessions(auth, session, [item], reason, utcnow())
    _record_revoked(session, user, revoked, reason)


async def revoke_all_sessions(auth: Auth, session: AsyncSession, user_id: uuid.UUID, reason: str) -> int:
    user = await user_or_404(session, user_id)
    sessions = await SessionRepository(session).of_user(user.id)
    revoked = await revoke_sessions(auth, session, sessions, reason, utcnow())
    _record_revoked(session, user, revoked, reason)
    return len(revoked)


# --- me -------------------------------------------------------------------------------------------------


def not_a_user() -> AppError:
    return AppError(
        404,
        "not_a_user",
        "This token does not belong to a user of the organisation (an API key or a service?)",
        "এই টোকেনটি প্রতিষ্ঠানের কোনো ব্যবহারকারীর নয় (API কী বা কোনো সেবা?)",
    )


async def me(session: AsyncSession, principal: Principal, access: UserAccess) -> MeOut:
    user = await UserRepository(session).get(principal.subject)
    if user is None:
        raise not_a_user()
    now = utcnow()
    acting = principal.company_ids[0] if principal.company_ids else None
    resolved: Access = await resolve_access(session, user, access, acting, now)
    graph = await load_role_graph(session)
    return MeOut(
        user=user_out(user, await CredentialRepository(session).of(user.id)),
        tenant=TenantOut(
            id=access.tenant.id, slug=access.tenant.slug, name=access.tenant.name, status=access.tenant.status
        ),
        companies=[CompanyOut(id=item.id, name=item.name, primary=item.primary) for item in access.companies],
        acting_company_id=resolved.acting_company_id,
        roles=[assignment_out(item, graph, now) for item in resolved.assignments],
        permissions=sorted(resolved.principal.permissions),
    )
