"""What every auth flow shares: the service context, its errors, how a user's principal (token
claims) is computed, and how a session with its first refresh token is opened."""

from __future__ import annotations

import datetime as dt
import uuid
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.db import after_commit
from vextrus.kit.errors import AppError, FieldError, register_error_titles
from vextrus.kit.models import utcnow
from vextrus.kit.tenancy import Principal, cross_tenant
from vextrus.services.auth import metrics
from vextrus.services.auth.models import RefreshToken, Role, RoleAssignment, Session, User
from vextrus.services.auth.passwords import Passwords
from vextrus.services.auth.rbac import RoleNode, effective_permissions, permission_catalogue
from vextrus.services.auth.repository import (
    AssignmentRepository,
    RefreshTokenRepository,
    RoleRepository,
    SessionRepository,
    count_active_sessions,
)
from vextrus.services.auth.schemas import TokenPair
from vextrus.services.auth.settings import AuthSettings
from vextrus.services.auth.tokens import REFRESH_TOKEN, digest, new_secret
from vextrus.services.organization.client import OrganizationClient, TenantRef, UserAccess

if TYPE_CHECKING:
    from vextrus.kit.runtime import Runtime


register_error_titles(
    {
        "invalid_credentials": {"en": "Sign-in failed", "bn": "সাইন-ইন ব্যর্থ হয়েছে"},
        "tenant_required": {"en": "Choose the organisation", "bn": "প্রতিষ্ঠান বেছে নিন"},
        "user_deactivated": {"en": "Account deactivated", "bn": "অ্যাকাউন্ট নিষ্ক্রিয়"},
        "tenant_suspended": {"en": "Organisation suspended", "bn": "প্রতিষ্ঠান স্থগিত"},
        "tenant_closed": {"en": "Organisation closed", "bn": "প্রতিষ্ঠান বন্ধ"},
        "invalid_refresh_token": {"en": "Invalid refresh token", "bn": "রিফ্রেশ টোকেন সঠিক নয়"},
        "refresh_token_reused": {
            "en": "Refresh token already used",
            "bn": "রিফ্রেশ টোকেন আগেই ব্যবহৃত",
        },
        "invalid_mfa_token": {"en": "Invalid sign-in step", "bn": "সাইন-ইনের ধাপটি সঠিক নয়"},
        "invalid_mfa_code": {"en": "Wrong verification code", "bn": "যাচাই কোড ভুল"},
        "signup_disabled": {"en": "Sign-up is closed", "bn": "সাইন-আপ বন্ধ"},
        "invalid_token": {"en": "Invalid or expired link", "bn": "লিংকটি সঠিক নয় বা মেয়াদোত্তীর্ণ"},
        "user_exists": {"en": "The user already exists", "bn": "ব্যবহারকারী আগে থেকেই আছেন"},
        "role_exists": {"en": "The role already exists", "bn": "ভূমিকাটি আগে থেকেই আছে"},
        "role_in_use": {"en": "The role is in use", "bn": "ভূমিকাটি ব্যবহৃত হচ্ছে"},
        "role_builtin": {"en": "Built-in role", "bn": "অন্তর্নির্মিত ভূমিকা"},
        "assignment_exists": {"en": "The role is already assigned", "bn": "ভূমিকাটি আগেই দেওয়া আছে"},
        "permission_not_held": {"en": "Cannot grant what you do not hold", "bn": "নিজের নেই এমন অনুমতি দেওয়া যায় না"},
        "mfa_already_enabled": {"en": "Two-step sign-in is already on", "bn": "দুই-ধাপের সাইন-ইন আগে থেকেই চালু"},
        "mfa_not_enrolled": {"en": "Two-step sign-in is not set up", "bn": "দুই-ধাপের সাইন-ইন চালু করা হয়নি"},
        "invalid_user_state": {"en": "Not possible in the user's state", "bn": "ব্যবহারকারীর বর্তমান অবস্থায় সম্ভব নয়"},
        "tenant_unavailable": {"en": "Organisation unavailable", "bn": "প্রতিষ্ঠান পাওয়া যাচ্ছে না"},
        "not_a_user": {"en": "Not a user", "bn": "ব্যবহারকারী নন"},
        "last_administrator": {"en": "Last administrator", "bn": "শেষ প্রশাসক"},
    }
)


def invalid_credentials() -> AppError:
    """The one answer for an unknown e-mail, a wrong password and a locked account."""
    return AppError(
        401,
        "invalid_credentials",
        "The e-mail or password is wrong, or the account is locked for a while after too many failed attempts",
        "ই-মেইল বা পাসওয়ার্ড ভুল, অথবা বারবার ভুল চেষ্টার কারণে অ্যাকাউন্টটি কিছু সময়ের জন্য বন্ধ আছে",
        headers={"WWW-Authenticate": "Bearer"},
    )


def user_deactivated() -> AppError:
    return AppError(
        403,
        "user_deactivated",
        "Your account has been deactivated; ask your organisation's administrator",
        "আপনার অ্যাকাউন্ট নিষ্ক্রিয় করা হয়েছে; আপনার প্রতিষ্ঠানের প্রশাসকের সাথে যোগাযোগ করুন",
    )


def tenant_refused(tenant: TenantRef) -> AppError:
    if tenant.status == "suspended":
        return AppError(
            403,
            "tenant_suspended",
            f"{tenant.name} is suspended on Vextrus; sign-in is not possible until it is reactivated",
            f"{tenant.name} Vextrus-এ স্থগিত আছে; পুনরায় চালু না হওয়া পর্যন্ত সাইন-ইন করা যাবে না",
            extra={"tenant": tenant.slug},
        )
    return AppError(
        403,
        "tenant_closed",
        f"{tenant.name} has been closed on Vextrus",
        f"{tenant.name} Vextrus-এ বন্ধ করে দেওয়া হয়েছে",
        extra={"tenant": tenant.slug},
    )


def permission_not_held(permission: str, field: str) -> AppError:
    return AppError(
        403,
        "permission_not_held",
        f"You cannot grant '{permission}': you do not hold it yourself",
        f"'{permission}' দেওয়া যাবে না: এই অনুমতি আপনার নিজের নেই",
        errors=[FieldError(field, "permission_not_held", f"you do not hold '{permission}'", "এই অনুমতি আপনার নেই")],
        extra={"permission": permission},
    )


@dataclass(frozen=True)
class ClientInfo:
    """Where a request came from, kept with sessions and security events."""

    ip: str | None = None
    user_agent: str | None = None


_INSTANCES: weakref.WeakKeyDictionary[Runtime, Auth] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Auth:
    """The auth service inside one process: its settings, password hasher and organization client."""

    runtime: Runtime
    settings: AuthSettings
    passwords: Passwords
    organization: OrganizationClient

    @classmethod
    def of(cls, runtime: Runtime) -> Auth:
        existing = _INSTANCES.get(runtime)
        if existing is None:
            settings = runtime.settings_of(AuthSettings)
            existing = cls(
                runtime, settings, Passwords.for_settings(settings), OrganizationClient(runtime, caller="auth")
            )
            _INSTANCES[runtime] = existing
        return existing

    @property
    def access_token_ttl(self) -> int:
        return self.runtime.settings.access_token_ttl_seconds

    def issue(self, principal: Principal) -> str:
        issuer = self.runtime.issuer
        if issuer is None:
            raise AppError(503, "service_unavailable", "This process holds no signing key to issue tokens")
        return issuer.issue(principal)

    async def access_of(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> UserAccess:
        """The user's tenant and companies; a tenant organization does not know is unavailable."""
        try:
            return await self.organization.access_of(tenant_id, user_id)
        except AppError as error:
            if error.status != 404:
                raise
            raise AppError(
                403,
                "tenant_unavailable",
                "Your organisation is not available on Vextrus",
                "আপনার প্রতিষ্ঠান Vextrus-এ পাওয়া যাচ্ছে না",
            ) from None

    def refresh_active_sessions_after_commit(self, session: AsyncSession) -> None:
        database = self.runtime.database

        async def refresh() -> None:
            with cross_tenant():
                async with database.transaction() as counting:
                    metrics.ACTIVE_SESSIONS.set(await count_active_sessions(counting, utcnow()))

        after_commit(session, refresh)


# --- roles and effective permissions --------------------------------------------------------------------


@dataclass(frozen=True)
class RoleGraph:
    roles: dict[uuid.UUID, Role]
    nodes: dict[uuid.UUID, RoleNode]

    @property
    def by_key(self) -> dict[str, Role]:
        return {role.key: role for role in self.roles.values()}

    def parent_keys(self, role_id: uuid.UUID) -> list[str]:
        return sorted(self.roles[parent].key for parent in self.nodes[role_id].parents if parent in self.roles)


async def load_role_graph(session: AsyncSession) -> RoleGraph:
    repository = RoleRepository(session)
    roles = {role.id: role for role in await repository.all_roles()}
    parents: dict[uuid.UUID, list[uuid.UUID]] = {}
    for role_id, parent_id in await repository.edges():
        parents.setdefault(role_id, []).append(parent_id)
    nodes = {
        role.id: RoleNode(role.key, tuple(role.permissions or ()), tuple(sorted(parents.get(role.id, ()))))
        for role in roles.values()
    }
    return RoleGraph(roles, nodes)


def assignment_active(assignment: RoleAssignment, now: dt.datetime) -> bool:
    return assignment.expires_at is None or assignment.expires_at > now


def catalogue_keys() -> list[str]:
    return list(permission_catalogue())


@dataclass(frozen=True)
class Access:
    """What a user may do in the company a session acts in."""

    principal: Principal
    acting_company_id: uuid.UUID | None
    assignments: Sequence[RoleAssignment]


async def resolve_access(
    session: AsyncSession, user: User, access: UserAccess, company_id: uuid.UUID | None, now: dt.datetime
) -> Access:
    """The principal of ``user`` acting in ``company_id`` (default: the primary company).

    Tenant-wide roles always count; a role assigned in one company counts only while acting in it.
    When the token carries such company-scoped permissions, its ``cids`` hold that company alone,
    so ``X-Company-ID`` cannot carry them into another company: switching company is a refresh
    with ``company_id``.
    """
    companies = list(access.company_ids)
    acting = company_id if company_id in companies else (companies[0] if companies else None)
    assignments = [
        item for item in await AssignmentRepository(session).of_user(user.id) if assignment_active(item, now)
    ]
    counted = [item for item in assignments if item.company_id is None or item.company_id == acting]
    graph = await load_role_graph(session)
    permissions = effective_permissions([item.role_id for item in counted], graph.nodes, catalogue_keys())
    role_keys = sorted({graph.roles[item.role_id].key for item in counted if item.role_id in graph.roles})
    if acting is not None and any(item.company_id is not None for item in counted):
        company_ids: tuple[uuid.UUID, ...] = (acting,)
    elif acting is not None:
        company_ids = (acting, *(company for company in companies if company != acting))
    else:
        company_ids = ()
    principal = Principal(
        subject=user.id,
        tenant_id=user.tenant_id,
        permissions=permissions,
        roles=tuple(role_keys),
        company_ids=company_ids,
        email=user.email,
    )
    return Access(principal, acting, assignments)


# --- sessions ---------------------------------------------------------------------------------------------


async def open_session(
    auth: Auth,
    session: AsyncSession,
    user: User,
    access: Access,
    method: str,
    client: ClientInfo,
    now: dt.datetime,
) -> tuple[Session, TokenPair]:
    """Start a session (a refresh-token family) and issue its first token pair."""
    ttl = auth.settings.refresh_token_ttl_seconds
    opened = Session(
        tenant_id=user.tenant_id,
        user_id=user.id,
        company_id=access.acting_company_id,
        method=method,
        ip=client.ip,
        user_agent=(client.user_agent or "")[:300] or None,
        created_at=now,
        last_used_at=now,
        expires_at=now + dt.timedelta(seconds=ttl),
    )
    SessionRepository(session).add(opened)
    await session.flush()
    refresh_token = add_refresh_token(session, opened, now, ttl)
    auth.refresh_active_sessions_after_commit(session)
    return opened, token_pair(auth, access.principal, refresh_token, opened, ttl)


def add_refresh_token(session: AsyncSession, owner: Session, now: dt.datetime, ttl: int) -> str:
    secret = new_secret(REFRESH_TOKEN)
    RefreshTokenRepository(session).add(
        RefreshToken(
            session_id=owner.id,
            token_hash=digest(secret),
            created_at=now,
            expires_at=now + dt.timedelta(seconds=ttl),
        )
    )
    owner.expires_at = now + dt.timedelta(seconds=ttl)
    return secret


def token_pair(auth: Auth, principal: Principal, refresh_token: str, owner: Session, ttl: int) -> TokenPair:
    return TokenPair(
        access_token=auth.issue(principal),
        refresh_token=refresh_token,
        expires_in=auth.access_token_ttl,
        refresh_expires_in=ttl,
        session_id=owner.id,
    )


async def revoke_sessions(
    auth: Auth, session: AsyncSession, sessions: Sequence[Session], reason: str, now: dt.datetime
) -> list[uuid.UUID]:
    """Revoke ``sessions`` (still active ones) and spend their refresh tokens; the revoked ids."""
    tokens = RefreshTokenRepository(session)
    revoked = []
    for item in sessions:
        if item.revoked_at is not None:
            continue
        item.revoked_at = now
        item.revoked_reason = reason
        await tokens.spend_session(item.id, now)
        revoked.append(item.id)
    if revoked:
        auth.refresh_active_sessions_after_commit(session)
    return revoked
