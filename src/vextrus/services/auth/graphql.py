"""GraphQL part of the auth service (Strawberry, Federation v2): read-only.

Entity owned here: ``User`` (key ``id``, shareable, with ``resolve_reference``), so other services
reference people (``Task.assignee: User``) by importing this class. Other types carry the ``Auth``
prefix. Sign-in, tokens and every change stay on REST (``/api/v1/auth``).
"""

from __future__ import annotations

import datetime as dt
import uuid

import strawberry
from strawberry.types import Info

from vextrus.kit.errors import invalid_field
from vextrus.kit.graphql import GraphQLContext
from vextrus.kit.pagination import MAX_LIMIT, PageRequest
from vextrus.services.auth import roles, users
from vextrus.services.auth.core import Auth
from vextrus.services.auth.repository import CredentialRepository, UserRepository
from vextrus.services.auth.schemas import RoleOut, UserOut

ContextInfo = Info[GraphQLContext, None]


@strawberry.federation.type(keys=["id"], shareable=True, description="A person of the tenant")
class User:
    id: strawberry.ID
    email: str
    full_name: str
    name_bn: str | None
    phone: str | None
    preferred_language: str = strawberry.field(description="en or bn")
    status: str = strawberry.field(description="invited, active or deactivated")
    mfa_enabled: bool
    last_login_at: dt.datetime | None
    version: int

    @classmethod
    def from_out(cls, item: UserOut) -> User:
        return cls(
            id=strawberry.ID(str(item.id)),
            email=item.email,
            full_name=item.full_name,
            name_bn=item.name_bn,
            phone=item.phone,
            preferred_language=item.preferred_language,
            status=item.status,
            mfa_enabled=item.mfa_enabled,
            last_login_at=item.last_login_at,
            version=item.version,
        )

    @classmethod
    async def resolve_reference(cls, info: ContextInfo, id: strawberry.ID) -> User | None:
        """A user of the caller's tenant (needs auth.user.read); anyone else is null."""
        info.context.require("auth.user.read")
        try:
            ident = uuid.UUID(str(id))
        except ValueError:
            return None
        async with info.context.transaction() as session:
            row = await UserRepository(session).get(ident)
            credential = await CredentialRepository(session).of(ident) if row is not None else None
        return cls.from_out(users.user_out(row, credential)) if row is not None else None


@strawberry.type(description="A page of users")
class AuthUserPage:
    items: list[User]
    next_cursor: str | None


@strawberry.type(description="A role: permissions and the roles it inherits")
class AuthRole:
    id: strawberry.ID
    key: str
    name: str
    name_bn: str | None
    description: str | None
    permissions: list[str]
    inherits: list[str]
    effective_permissions: list[str]
    builtin: bool
    version: int

    @classmethod
    def from_out(cls, item: RoleOut) -> AuthRole:
        return cls(
            id=strawberry.ID(str(item.id)),
            key=item.key,
            name=item.name,
            name_bn=item.name_bn,
            description=item.description,
            permissions=item.permissions,
            inherits=item.inherits,
            effective_permissions=item.effective_permissions,
            builtin=item.builtin,
            version=item.version,
        )


@strawberry.type(description="The signed-in user with their effective permissions")
class AuthMe:
    user: User
    tenant_slug: str
    acting_company_id: strawberry.ID | None
    roles: list[str]
    permissions: list[str]


async def auth_me(info: ContextInfo) -> AuthMe:
    principal = info.context.require("auth.self.read")
    access = await Auth.of(info.context.runtime).access_of(principal.tenant_id, principal.subject)
    async with info.context.transaction() as session:
        me = await users.me(session, principal, access)
    return AuthMe(
        user=User.from_out(me.user),
        tenant_slug=me.tenant.slug,
        acting_company_id=strawberry.ID(str(me.acting_company_id)) if me.acting_company_id else None,
        roles=sorted({item.role_key for item in me.roles if item.active}),
        permissions=me.permissions,
    )


async def auth_users(
    info: ContextInfo, status: str | None = None, limit: int = 50, cursor: str | None = None
) -> AuthUserPage:
    info.context.require("auth.user.read")
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid_field("limit", f"must be between 1 and {MAX_LIMIT}", f"১ থেকে {MAX_LIMIT}-এর মধ্যে হতে হবে")
    if status is not None and status not in ("invited", "active", "deactivated"):
        raise invalid_field("status", "must be invited, active or deactivated", "invited, active বা deactivated হতে হবে")
    async with info.context.transaction() as session:
        page = await users.list_users(session, PageRequest(limit, cursor), status)
    return AuthUserPage(items=[User.from_out(item) for item in page.items], next_cursor=page.next_cursor)


async def auth_roles(info: ContextInfo) -> list[AuthRole]:
    info.context.require("auth.role.read")
    async with info.context.transaction() as session:
        items = await roles.list_roles(session)
    return [AuthRole.from_out(item) for item in items]


@strawberry.type
class Query:
    auth_me: AuthMe = strawberry.field(resolver=auth_me, description="Who I am (needs auth.self.read)")
    auth_users: AuthUserPage = strawberry.field(
        resolver=auth_users, description="The tenant's users (needs auth.user.read)"
    )
    auth_roles: list[AuthRole] = strawberry.field(
        resolver=auth_roles, description="The tenant's roles (needs auth.role.read)"
    )
