"""Roles, their inheritance, and role assignments (with scope and expiry).

Nobody grants what they do not hold: creating or changing a role, or assigning one, requires the
acting principal to hold every permission the role gives (inherited ones included).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from vextrus.kit.errors import AppError, FieldError, invalid_field, not_found
from vextrus.kit.events import record_event
from vextrus.kit.models import new_id, utcnow
from vextrus.kit.tenancy import Principal, require_tenant_id
from vextrus.services.auth.core import (
    RoleGraph,
    assignment_active,
    catalogue_keys,
    load_role_graph,
    permission_not_held,
)
from vextrus.services.auth.events import (
    ROLE_CHANGED,
    ROLE_GRANTED,
    ROLE_REVOKED,
    RoleAssignmentChanged,
    RoleChanged,
)
from vextrus.services.auth.models import Role, RoleAssignment, User
from vextrus.services.auth.rbac import (
    BUILTIN_ROLES,
    TENANT_ADMIN,
    RoleNode,
    covers,
    find_cycle,
    permission_problem,
    role_permissions,
)
from vextrus.services.auth.repository import AssignmentRepository, RoleRepository, UserRepository
from vextrus.services.auth.schemas import AssignmentIn, AssignmentOut, RoleCreate, RoleOut, RolePatch


def _version_conflict(current: int) -> AppError:
    return AppError(
        409,
        "version_conflict",
        f"The role is at version {current}; reload it and apply your change again",
        f"ভূমিকাটি এখন সংস্করণ {current}-এ আছে; আবার লোড করে পরিবর্তনটি করুন",
        extra={"current_version": current},
    )


def _builtin(role: Role, what: str, what_bn: str) -> AppError:
    return AppError(
        409,
        "role_builtin",
        f"'{role.key}' is a built-in role: {what}",
        f"'{role.key}' একটি অন্তর্নির্মিত ভূমিকা: {what_bn}",
    )


# --- the seeded roles --------------------------------------------------------------------------------


async def ensure_builtin_roles(session: AsyncSession) -> RoleGraph:
    """Create the built-in roles the current tenant lacks (idempotent); the tenant's role graph."""
    repository = RoleRepository(session)
    existing = (await load_role_graph(session)).by_key
    created: list[tuple[Role, Sequence[str]]] = []
    for builtin in BUILTIN_ROLES:
        if builtin.key in existing:
            continue
        role = repository.add(
            Role(
                key=builtin.key,
                name=builtin.name,
                name_bn=builtin.name_bn,
                description=builtin.description,
                permissions=list(builtin.permissions),
                builtin=True,
            )
        )
        existing[builtin.key] = role
        created.append((role, builtin.inherits))
    if created:
        await session.flush()
        for role, inherits in created:
            await repository.set_parents(role, [existing[key].id for key in inherits])
        await session.flush()
    return await load_role_graph(session)


# --- reading -----------------------------------------------------------------------------------------


def role_out(role: Role, graph: RoleGraph) -> RoleOut:
    return RoleOut(
        id=role.id,
        key=role.key,
        name=role.name,
        name_bn=role.name_bn,
        description=role.description,
        permissions=sorted(role.permissions or ()),
        inherits=graph.parent_keys(role.id) if role.id in graph.nodes else [],
        effective_permissions=role_permissions([role.id], graph.nodes),
        builtin=role.builtin,
        version=role.version,
        created_at=role.created_at,
        updated_at=role.updated_at,
    )


async def list_roles(session: AsyncSession) -> list[RoleOut]:
    graph = await load_role_graph(session)
    return [role_out(role, graph) for role in sorted(graph.roles.values(), key=lambda item: item.key)]


async def _role_or_404(session: AsyncSession, role_id: uuid.UUID) -> Role:
    role = await RoleRepository(session).get(role_id)
    if role is None:
        raise not_found("Role", role_id, "ভূমিকা")
    return role


async def get_role(session: AsyncSession, role_id: uuid.UUID) -> RoleOut:
    role = await _role_or_404(session, role_id)
    return role_out(role, await load_role_graph(session))


# --- validation ----------------------------------------------------------------------------------------


def validate_permissions(patterns: Sequence[str], field: str) -> list[str]:
    """The patterns, de-duplicated; 422 naming every one a tenant role may not hold."""
    catalogue = catalogue_keys()
    errors = []
    for index, pattern in enumerate(patterns):
        problem = permission_problem(pattern, catalogue)
        if problem is not None:
            code, reason, reason_bn = problem
            errors.append(FieldError(f"{field}[{index}]", code, reason, reason_bn))
    if errors:
        raise AppError(
            422,
            "validation_failed",
            "; ".join(item.reason for item in errors),
            "; ".join(item.reason_bn or item.reason for item in errors),
            errors=errors,
        )
    return sorted(dict.fromkeys(patterns))


def check_grantable(principal: Principal, patterns: Sequence[str], field: str) -> None:
    """403 unless ``principal`` holds everything ``patterns`` grant."""
    catalogue = catalogue_keys()
    for pattern in patterns:
        if not covers(principal.has, pattern, catalogue):
            raise permission_not_held(pattern, field)


def _parent_ids(keys: Sequence[str], graph: RoleGraph, field: str) -> list[uuid.UUID]:
    by_key = graph.by_key
    ids = []
    for index, key in enumerate(keys):
        role = by_key.get(key)
        if role is None:
            raise invalid_field(f"{field}[{index}]", f"there is no role '{key}'", f"'{key}' নামে কোনো ভূমিকা নেই")
        ids.append(role.id)
    return list(dict.fromkeys(ids))


def _check_cycle(role_id: uuid.UUID, parent_ids: Sequence[uuid.UUID], graph: RoleGraph, field: str) -> None:
    cycle = find_cycle(role_id, parent_ids, graph.nodes)
    if cycle is None:
        return
    keys = [graph.roles[item].key if item in graph.roles else "(this role)" for item in cycle]
    path = " → ".join(keys)
    raise invalid_field(
        field,
        f"inheriting these roles would create a cycle: {path}",
        f"এই ভূমিকাগুলো উত্তরাধিকার নিলে একটি চক্র তৈরি হবে: {path}",
        code="inheritance_cycle",
    )


def _granted_by(
    graph: RoleGraph, role_id: uuid.UUID, permissions: Sequence[str], parent_ids: Sequence[uuid.UUID]
) -> list[str]:
    """What a role would grant with ``permissions`` and ``parent_ids`` (inheritance included)."""
    nodes = dict(graph.nodes)
    key = graph.roles[role_id].key if role_id in graph.roles else "(new)"
    nodes[role_id] = RoleNode(key, tuple(permissions), tuple(parent_ids))
    return role_permissions([role_id], nodes)


# --- changing roles ---------------------------------------------------------------------------------------


def _record_role(session: AsyncSession, role: Role, graph: RoleGraph, action: str, actor: uuid.UUID | None) -> None:
    record_event(
        session,
        ROLE_CHANGED,
        RoleChanged(
            role_id=role.id,
            tenant_id=role.tenant_id,
            key=role.key,
            action=action,
            permissions=sorted(role.permissions or ()),
            inherits=graph.parent_keys(role.id) if role.id in graph.nodes else [],
            version=role.version,
            actor=actor,
        ),
        subject=role.id,
    )


async def create_role(session: AsyncSession, principal: Principal, data: RoleCreate) -> RoleOut:
    permissions = validate_permissions(data.permissions, "body.permissions")
    graph = await load_role_graph(session)
    if data.key in graph.by_key:
        raise _role_exists(data.key)
    parent_ids = _parent_ids(data.inherits, graph, "body.inherits")
    role_id = new_id()
    check_grantable(principal, _granted_by(graph, role_id, permissions, parent_ids), "body.permissions")
    repository = RoleRepository(session)
    role = repository.add(
        Role(
            id=role_id,
            key=data.key,
            name=data.name,
            name_bn=data.name_bn,
            description=data.description,
            permissions=permissions,
            builtin=False,
        )
    )
    try:
        await session.flush()
    except IntegrityError:
        raise _role_exists(data.key) from None
    await repository.set_parents(role, parent_ids)
    await session.flush()
    graph = await load_role_graph(session)
    _record_role(session, role, graph, "created", principal.subject)
    return role_out(role, graph)


def _role_exists(key: str) -> AppError:
    return AppError(
        409,
        "role_exists",
        f"A role with key '{key}' already exists",
        f"'{key}' কী-এর একটি ভূমিকা আগে থেকেই আছে",
        errors=[FieldError("body.key", "role_exists", "already exists", "আগে থেকেই আছে")],
    )


async def update_role(session: AsyncSession, principal: Principal, role_id: uuid.UUID, patch: RolePatch) -> RoleOut:
    given = patch.model_fields_set - {"expected_version"}
    for name in ("name", "permissions", "inherits"):
        if name in given and getattr(patch, name) is None:
            raise invalid_field(f"body.{name}", "must not be null", "ফাঁকা (null) হতে পারে না")
    role = await _role_or_404(session, role_id)
    if patch.expected_version is not None and patch.expected_version != role.version:
        raise _version_conflict(role.version)
    graph = await load_role_graph(session)
    permissions = list(role.permissions or ())
    parent_ids = list(graph.nodes[role.id].parents)
    if "permissions" in given and patch.permissions is not None:
        permissions = validate_permissions(patch.permissions, "body.permissions")
    if "inherits" in given and patch.inherits is not None:
        parent_ids = _parent_ids(patch.inherits, graph, "body.inherits")
        _check_cycle(role.id, parent_ids, graph, "body.inherits")
    access_changed = sorted(permissions) != sorted(role.permissions or ()) or sorted(parent_ids) != sorted(
        graph.nodes[role.id].parents
    )
    if access_changed:
        if role.key == TENANT_ADMIN:
            raise _builtin(role, "its permissions cannot change", "এর অনুমতি পরিবর্তন করা যায় না")
        # Changing what a role grants requires holding what it grants before and after the change.
        check_grantable(principal, role_permissions([role.id], graph.nodes), "body.permissions")
        check_grantable(principal, _granted_by(graph, role.id, permissions, parent_ids), "body.permissions")
    current = role.version
    for name in ("name", "name_bn", "description"):
        if name in given:
            setattr(role, name, getattr(patch, name))
    role.permissions = permissions
    repository = RoleRepository(session)
    await repository.set_parents(role, parent_ids)
    try:
        await session.flush()
    except StaleDataError:
        raise _version_conflict(current) from None
    graph = await load_role_graph(session)
    _record_role(session, role, graph, "updated", principal.subject)
    return role_out(role, graph)


async def delete_role(session: AsyncSession, principal: Principal, role_id: uuid.UUID) -> None:
    role = await _role_or_404(session, role_id)
    if role.builtin:
        raise _builtin(role, "it cannot be deleted", "এটি মুছে ফেলা যায় না")
    repository = RoleRepository(session)
    children = await repository.children_of(role.id)
    now = utcnow()
    assignments = await AssignmentRepository(session).of_role(role.id)
    active = [item for item in assignments if assignment_active(item, now)]
    if children or active:
        raise AppError(
            409,
            "role_in_use",
            f"'{role.key}' is assigned to {len(active)} user(s) and inherited by {len(children)} role(s); "
            "remove those first",
            f"'{role.key}' {len(active)} জন ব্যবহারকারীকে দেওয়া এবং {len(children)}টি ভূমিকা এটি উত্তরাধিকার নেয়; আগে সেগুলো সরান",
            extra={"assigned_users": len(active), "inherited_by": len(children)},
        )
    check_grantable(principal, role_permissions([role.id], (await load_role_graph(session)).nodes), "path.role_id")
    graph = await load_role_graph(session)
    _record_role(session, role, graph, "deleted", principal.subject)
    await repository.delete(role)
    await session.flush()


# --- assignments -------------------------------------------------------------------------------------------


def assignment_out(item: RoleAssignment, graph: RoleGraph, now: dt.datetime) -> AssignmentOut:
    role = graph.roles.get(item.role_id)
    return AssignmentOut(
        id=item.id,
        user_id=item.user_id,
        role_id=item.role_id,
        role_key=role.key if role is not None else "",
        company_id=item.company_id,
        expires_at=item.expires_at,
        active=assignment_active(item, now),
        granted_by=item.granted_by,
        created_at=item.created_at,
    )


async def grant(
    session: AsyncSession,
    user: User,
    role: Role,
    *,
    company_id: uuid.UUID | None,
    expires_at: dt.datetime | None,
    actor: uuid.UUID | None,
) -> RoleAssignment:
    """Assign ``role`` to ``user`` (no checks: callers check first) and announce it."""
    assignment = AssignmentRepository(session).add(
        RoleAssignment(user_id=user.id, role_id=role.id, company_id=company_id, expires_at=expires_at, granted_by=actor)
    )
    await session.flush()
    record_event(
        session,
        ROLE_GRANTED,
        _assignment_event(assignment, role, actor),
        subject=user.id,
    )
    return assignment


def _assignment_event(assignment: RoleAssignment, role: Role, actor: uuid.UUID | None) -> RoleAssignmentChanged:
    return RoleAssignmentChanged(
        assignment_id=assignment.id,
        tenant_id=require_tenant_id(),
        user_id=assignment.user_id,
        role_id=role.id,
        role_key=role.key,
        company_id=assignment.company_id,
        expires_at=assignment.expires_at,
        actor=actor,
    )


async def _user_or_404(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await UserRepository(session).get(user_id)
    if user is None:
        raise not_found("User", user_id, "ব্যবহারকারী")
    return user


async def list_assignments(session: AsyncSession, user_id: uuid.UUID) -> list[AssignmentOut]:
    await _user_or_404(session, user_id)
    graph = await load_role_graph(session)
    now = utcnow()
    return [assignment_out(item, graph, now) for item in await AssignmentRepository(session).of_user(user_id)]


async def assign(
    session: AsyncSession,
    principal: Principal,
    user_id: uuid.UUID,
    data: AssignmentIn,
    member_companies: Sequence[uuid.UUID] | None,
) -> AssignmentOut:
    """Assign a role; ``member_companies`` are the user's companies (asked of organization when
    the assignment is scoped to one)."""
    user = await _user_or_404(session, user_id)
    now = utcnow()
    if data.expires_at is not None and data.expires_at <= now:
        raise invalid_field("body.expires_at", "must be in the future", "ভবিষ্যতের সময় হতে হবে")
    if data.company_id is not None and data.company_id not in (member_companies or ()):
        raise invalid_field(
            "body.company_id",
            "the user is not a member of this company",
            "ব্যবহারকারী এই কোম্পানির সদস্য নন",
            code="not_a_member",
        )
    graph = await load_role_graph(session)
    role = graph.by_key.get(data.role)
    if role is None:
        raise invalid_field("body.role", f"there is no role '{data.role}'", f"'{data.role}' নামে কোনো ভূমিকা নেই")
    check_grantable(principal, role_permissions([role.id], graph.nodes), "body.role")
    for existing in await AssignmentRepository(session).of_user(user.id):
        if existing.role_id == role.id and existing.company_id == data.company_id and assignment_active(existing, now):
            raise AppError(
                409,
                "assignment_exists",
                f"'{role.key}' is already assigned to this user there; remove it to change its expiry",
                f"'{role.key}' এই ব্যবহারকারীকে সেখানে আগেই দেওয়া আছে; মেয়াদ বদলাতে আগে সেটি সরান",
                extra={"assignment_id": str(existing.id)},
            )
    assignment = await grant(
        session, user, role, company_id=data.company_id, expires_at=data.expires_at, actor=principal.subject
    )
    return assignment_out(assignment, graph, now)


async def _keep_an_administrator(session: AsyncSession, leaving: RoleAssignment) -> None:
    """Refuse to remove the tenant's last active administrator (nobody could manage it after)."""
    now = utcnow()
    others = [
        item
        for item in await AssignmentRepository(session).of_role(leaving.role_id)
        if item.id != leaving.id and item.company_id is None and assignment_active(item, now)
    ]
    users = await UserRepository(session).by_ids([item.user_id for item in others])
    if not any(user.status == "active" for user in users.values()):
        raise AppError(
            409,
            "last_administrator",
            "This is the organisation's last administrator; make someone else administrator first",
            "ইনি প্রতিষ্ঠানের শেষ প্রশাসক; আগে অন্য কাউকে প্রশাসক করুন",
        )


async def unassign(session: AsyncSession, principal: Principal, user_id: uuid.UUID, assignment_id: uuid.UUID) -> None:
    await _user_or_404(session, user_id)
    repository = AssignmentRepository(session)
    assignment = await repository.get(assignment_id)
    if assignment is None or assignment.user_id != user_id:
        raise not_found("Role assignment", assignment_id, "ভূমিকা বরাদ্দ")
    graph = await load_role_graph(session)
    role = graph.roles[assignment.role_id]
    check_grantable(principal, role_permissions([role.id], graph.nodes), "path.assignment_id")
    if role.key == TENANT_ADMIN and assignment.company_id is None:
        await _keep_an_administrator(session, assignment)
    record_event(session, ROLE_REVOKED, _assignment_event(assignment, role, principal.subject), subject=user_id)
    await repository.delete(assignment)
    await session.flush()
