"""Every query of the auth service.

Tenant-owned rows go through :class:`TenantRepository` (default deny). The few look-ups that must
happen before the tenant is known — the accounts of an e-mail being signed in, and the row of a
presented secret (refresh token, one-time token, API key) — are the module functions at the end,
called inside the kit's ``cross_tenant()`` and keyed by that e-mail or secret only.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.models import utcnow
from vextrus.kit.pagination import Page, PageRequest, paginate
from vextrus.kit.repository import TenantRepository
from vextrus.services.auth.models import (
    ApiKey,
    Credential,
    OneTimeToken,
    RecoveryCode,
    RefreshToken,
    Role,
    RoleAssignment,
    RoleParent,
    Session,
    User,
)


class UserRepository(TenantRepository[User]):
    model = User

    async def by_email(self, email: str) -> User | None:
        return await self.first(User.email == email)

    async def by_ids(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, User]:
        if not ids:
            return {}
        return {user.id: user for user in await self.all(User.id.in_(ids))}

    async def page(
        self,
        page: PageRequest,
        status: str | None = None,
        *,
        role: str | None = None,
        company_id: uuid.UUID | None = None,
        now: dt.datetime | None = None,
    ) -> Page[User]:
        """Users page by page; ``role``: only those holding that role key now (an assignment not
        expired at ``now``), tenant-wide or — with ``company_id`` — tenant-wide or in that company.
        Every table of the sub-query is filtered by tenant explicitly (SQLite has no RLS)."""
        statement = self.select()
        if status is not None:
            statement = statement.where(User.status == status)
        if role is not None:
            tenant = self.tenant_id
            holders = (
                select(RoleAssignment.user_id)
                .join(Role, Role.id == RoleAssignment.role_id)
                .where(
                    RoleAssignment.tenant_id == tenant,
                    Role.tenant_id == tenant,
                    Role.key == role,
                    or_(RoleAssignment.expires_at.is_(None), RoleAssignment.expires_at > (now or utcnow())),
                )
            )
            if company_id is not None:
                holders = holders.where(
                    or_(RoleAssignment.company_id.is_(None), RoleAssignment.company_id == company_id)
                )
            statement = statement.where(User.id.in_(holders))
        return await paginate(self.session, statement, [User.created_at, User.id], page, lambda row: row)


class CredentialRepository(TenantRepository[Credential]):
    model = Credential

    async def of(self, user_id: uuid.UUID, *, for_update: bool = False) -> Credential | None:
        statement = self.select().where(Credential.user_id == user_id)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.scalars(statement)).one_or_none()

    async def of_users(self, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Credential]:
        if not user_ids:
            return {}
        return {row.user_id: row for row in await self.all(Credential.user_id.in_(user_ids))}


class RoleRepository(TenantRepository[Role]):
    model = Role

    async def by_key(self, key: str) -> Role | None:
        return await self.first(Role.key == key)

    async def all_roles(self) -> Sequence[Role]:
        return await self.all(order_by=[Role.key])

    async def edges(self) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """Every (role, parent) inheritance edge of the tenant."""
        rows = await self.session.execute(
            select(RoleParent.role_id, RoleParent.parent_id).where(RoleParent.tenant_id == self.tenant_id)
        )
        return [(row.role_id, row.parent_id) for row in rows]

    async def set_parents(self, role: Role, parent_ids: Sequence[uuid.UUID]) -> None:
        existing = (
            await self.session.scalars(
                select(RoleParent).where(RoleParent.tenant_id == self.tenant_id, RoleParent.role_id == role.id)
            )
        ).all()
        wanted = set(parent_ids)
        for edge in existing:
            if edge.parent_id not in wanted:
                await self.session.delete(edge)
        have = {edge.parent_id for edge in existing}
        for parent in parent_ids:
            if parent not in have:
                self.session.add(RoleParent(tenant_id=self.tenant_id, role_id=role.id, parent_id=parent))

    async def children_of(self, role_id: uuid.UUID) -> list[uuid.UUID]:
        rows = await self.session.scalars(
            select(RoleParent.role_id).where(RoleParent.tenant_id == self.tenant_id, RoleParent.parent_id == role_id)
        )
        return list(rows)


class AssignmentRepository(TenantRepository[RoleAssignment]):
    model = RoleAssignment

    async def of_user(self, user_id: uuid.UUID) -> Sequence[RoleAssignment]:
        return await self.all(RoleAssignment.user_id == user_id, order_by=[RoleAssignment.created_at])

    async def of_role(self, role_id: uuid.UUID) -> Sequence[RoleAssignment]:
        return await self.all(RoleAssignment.role_id == role_id)


class SessionRepository(TenantRepository[Session]):
    model = Session

    async def of_user(self, user_id: uuid.UUID) -> Sequence[Session]:
        return await self.all(Session.user_id == user_id, order_by=[Session.created_at.desc(), Session.id])

    async def active_of_user(self, user_id: uuid.UUID, now: dt.datetime) -> Sequence[Session]:
        return await self.all(
            Session.user_id == user_id,
            Session.revoked_at.is_(None),
            Session.expires_at > now,
        )


class RefreshTokenRepository(TenantRepository[RefreshToken]):
    model = RefreshToken

    async def spend(self, token_id: uuid.UUID, now: dt.datetime) -> bool:
        """Mark the token spent; False when someone spent it first (a concurrent exchange)."""
        result = await self.session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.tenant_id == self.tenant_id, RefreshToken.id == token_id, RefreshToken.spent_at.is_(None)
            )
            .values(spent_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def spend_session(self, session_id: uuid.UUID, now: dt.datetime) -> None:
        await self.session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.tenant_id == self.tenant_id,
                RefreshToken.session_id == session_id,
                RefreshToken.spent_at.is_(None),
            )
            .values(spent_at=now)
            .execution_options(synchronize_session=False)
        )


class OneTimeTokenRepository(TenantRepository[OneTimeToken]):
    model = OneTimeToken

    async def use(self, token_id: uuid.UUID, now: dt.datetime) -> bool:
        """Consume the token; False when it was consumed already (concurrently)."""
        result = await self.session.execute(
            update(OneTimeToken)
            .where(
                OneTimeToken.tenant_id == self.tenant_id, OneTimeToken.id == token_id, OneTimeToken.used_at.is_(None)
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def use_all(self, user_id: uuid.UUID, purpose: str, now: dt.datetime) -> None:
        await self.session.execute(
            update(OneTimeToken)
            .where(
                OneTimeToken.tenant_id == self.tenant_id,
                OneTimeToken.user_id == user_id,
                OneTimeToken.purpose == purpose,
                OneTimeToken.used_at.is_(None),
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )


class RecoveryCodeRepository(TenantRepository[RecoveryCode]):
    model = RecoveryCode

    async def unused(self, user_id: uuid.UUID, code_hash: str) -> RecoveryCode | None:
        return await self.first(
            RecoveryCode.user_id == user_id, RecoveryCode.code_hash == code_hash, RecoveryCode.used_at.is_(None)
        )

    async def delete_of_user(self, user_id: uuid.UUID) -> None:
        for row in await self.all(RecoveryCode.user_id == user_id):
            await self.delete(row)


class ApiKeyRepository(TenantRepository[ApiKey]):
    model = ApiKey

    async def page(self, page: PageRequest) -> Page[ApiKey]:
        return await paginate(self.session, self.select(), [ApiKey.created_at, ApiKey.id], page, lambda row: row)


# --- look-ups before the tenant is known (call inside cross_tenant()) -------------------------------------


async def accounts_by_email(session: AsyncSession, email: str) -> Sequence[User]:
    """Every tenant's user with this e-mail (a login without a tenant, a password reset)."""
    rows = await session.scalars(select(User).where(User.email == email).order_by(User.tenant_id))
    return rows.all()


async def credentials_of(session: AsyncSession, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Credential]:
    """The credentials of these users, whatever their tenants (the accounts of a login)."""
    rows = await session.scalars(select(Credential).where(Credential.user_id.in_(user_ids)))
    return {row.user_id: row for row in rows}


async def refresh_token_by_hash(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    return (await session.scalars(select(RefreshToken).where(RefreshToken.token_hash == token_hash))).one_or_none()


async def one_time_token_by_hash(session: AsyncSession, token_hash: str, purpose: str) -> OneTimeToken | None:
    statement = select(OneTimeToken).where(OneTimeToken.token_hash == token_hash, OneTimeToken.purpose == purpose)
    return (await session.scalars(statement)).one_or_none()


async def api_key_by_hash(session: AsyncSession, key_hash: str) -> ApiKey | None:
    return (await session.scalars(select(ApiKey).where(ApiKey.key_hash == key_hash))).one_or_none()


async def count_active_sessions(session: AsyncSession, now: dt.datetime) -> int:
    statement = select(func.count()).select_from(Session).where(Session.revoked_at.is_(None), Session.expires_at > now)
    return int((await session.execute(statement)).scalar_one())
