"""Role-based access control, as pure functions and data.

Permission keys are ``service.resource.action`` (``finance.invoice.post``). A role holds keys and
patterns:

- ``*`` — everything inside the tenant (the kit's ``*`` never covers ``platform.*``);
- a prefix wildcard ``finance.*`` / ``finance.invoice.*`` — passed to tokens as is, the kit
  checks it;
- a pattern with ``*`` in an inner segment, e.g. ``*.*.read`` (every read permission) or
  ``master-data.*.read`` — expanded against the permission catalogue whenever a token is issued,
  so it also covers services added later.

``platform.*`` permissions (operating Vextrus across tenants) are never granted by a tenant role.
Roles inherit other roles; the inheritance graph has no cycles.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

from vextrus.kit.service import load_registry
from vextrus.kit.tenancy import PLATFORM_NAMESPACE

PERMISSION_MAX_LENGTH = 100
_SEGMENT = r"(?:[a-z][a-z0-9_-]*|\*)"
PERMISSION_PATTERN = re.compile(rf"^(?:\*|{_SEGMENT}(?:\.{_SEGMENT})+)$")
ROLE_KEY_PATTERN = r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$"

# Every signed-in user may read and manage their own account (profile, password, MFA, sessions).
SELF_PERMISSIONS: tuple[str, ...] = ("auth.self.read", "auth.self.manage")


@cache
def permission_catalogue() -> dict[str, tuple[str, str]]:
    """Every permission every registered service declares: key -> (service, description)."""
    catalogue: dict[str, tuple[str, str]] = {}
    for service in load_registry():
        for key, description in service.permissions.items():
            catalogue.setdefault(key, (service.name, description))
    return dict(sorted(catalogue.items()))


def is_valid_permission(pattern: str) -> bool:
    return len(pattern) <= PERMISSION_MAX_LENGTH and bool(PERMISSION_PATTERN.match(pattern))


def is_platform(pattern: str) -> bool:
    """A permission of the platform namespace (never in a tenant role)."""
    return pattern == "platform" or pattern.startswith(PLATFORM_NAMESPACE)


def is_glob(pattern: str) -> bool:
    """A pattern with ``*`` before its last segment: expanded against the catalogue."""
    return pattern != "*" and "*" in pattern.split(".")[:-1]


def glob_matches(pattern: str, key: str) -> bool:
    """``*`` matches one segment; a final ``*`` matches one or more (as the kit's wildcards do)."""
    wanted, parts = pattern.split("."), key.split(".")
    if wanted[-1] == "*":
        if len(parts) < len(wanted):
            return False
        wanted, parts = wanted[:-1], parts[: len(wanted) - 1]
    elif len(parts) != len(wanted):
        return False
    return all(want in ("*", part) for want, part in zip(wanted, parts, strict=True))


def expand(patterns: Iterable[str], catalogue: Collection[str]) -> frozenset[str]:
    """Token permissions for ``patterns``: inner-wildcard patterns become catalogue keys; nothing
    of the platform namespace survives."""
    result: set[str] = set()
    for pattern in patterns:
        if is_platform(pattern):
            continue
        if is_glob(pattern):
            result.update(key for key in catalogue if not is_platform(key) and glob_matches(pattern, key))
        else:
            result.add(pattern)
    return frozenset(result)


def covers(has: Callable[[str], bool], pattern: str, catalogue: Collection[str]) -> bool:
    """Whether a holder (its ``Principal.has``) holds everything ``pattern`` grants."""
    if is_glob(pattern):
        return all(has(key) for key in expand([pattern], catalogue))
    return has(pattern)


def permission_problem(pattern: str, catalogue: Collection[str]) -> tuple[str, str, str] | None:
    """Why ``pattern`` may not be put into a tenant role or API key: (code, English, Bengali)."""
    if not is_valid_permission(pattern):
        return (
            "invalid_permission",
            f"'{pattern}' is not a permission key (service.resource.action) or pattern",
            f"'{pattern}' কোনো অনুমতির কী (service.resource.action) বা প্যাটার্ন নয়",
        )
    if is_platform(pattern):
        return (
            "platform_permission",
            f"'{pattern}' is a platform permission and cannot be granted inside a tenant",
            f"'{pattern}' প্ল্যাটফর্মের অনুমতি; কোনো টেন্যান্টের ভেতরে দেওয়া যায় না",
        )
    if "*" not in pattern and pattern not in catalogue:
        return (
            "unknown_permission",
            f"'{pattern}' is not in the permission catalogue (GET /api/v1/auth/permissions)",
            f"'{pattern}' অনুমতির তালিকায় নেই (GET /api/v1/auth/permissions)",
        )
    return None


# --- the role graph ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleNode:
    key: str
    permissions: tuple[str, ...]
    parents: tuple[uuid.UUID, ...] = ()


def closure(role_ids: Iterable[uuid.UUID], roles: Mapping[uuid.UUID, RoleNode]) -> set[uuid.UUID]:
    """``role_ids`` and every role they inherit, directly or not (unknown ids are ignored)."""
    seen: set[uuid.UUID] = set()
    stack = [role for role in role_ids if role in roles]
    while stack:
        role = stack.pop()
        if role in seen:
            continue
        seen.add(role)
        stack.extend(parent for parent in roles[role].parents if parent in roles and parent not in seen)
    return seen


def find_cycle(
    role_id: uuid.UUID, new_parents: Sequence[uuid.UUID], roles: Mapping[uuid.UUID, RoleNode]
) -> list[uuid.UUID] | None:
    """The cycle ``role_id`` would close if it inherited ``new_parents`` (a path back to itself)."""
    for start in new_parents:
        if start == role_id:
            return [role_id, role_id]
        # Depth-first search from the new parent, looking for role_id; the path is the cycle.
        stack: list[tuple[uuid.UUID, list[uuid.UUID]]] = [(start, [role_id, start])]
        seen: set[uuid.UUID] = set()
        while stack:
            node, path = stack.pop()
            if node in seen or node not in roles:
                continue
            seen.add(node)
            for parent in roles[node].parents:
                if parent == role_id:
                    return [*path, role_id]
                stack.append((parent, [*path, parent]))
    return None


def role_permissions(role_ids: Iterable[uuid.UUID], roles: Mapping[uuid.UUID, RoleNode]) -> list[str]:
    """The permission patterns of ``role_ids`` with everything they inherit (unexpanded, sorted)."""
    patterns: set[str] = set()
    for role in closure(role_ids, roles):
        patterns.update(roles[role].permissions)
    return sorted(patterns)


def effective_permissions(
    role_ids: Iterable[uuid.UUID], roles: Mapping[uuid.UUID, RoleNode], catalogue: Collection[str]
) -> frozenset[str]:
    """What a token carries for a user holding ``role_ids``: inherited roles included, patterns
    expanded, the self-service permissions every user has, and never a ``platform.*`` key."""
    return expand([*role_permissions(role_ids, roles), *SELF_PERMISSIONS], catalogue)


# --- the roles every tenant starts with -----------------------------------------------------------------


@dataclass(frozen=True)
class BuiltinRole:
    key: str
    name: str
    name_bn: str
    description: str
    permissions: tuple[str, ...]
    inherits: tuple[str, ...] = field(default_factory=tuple)


TENANT_ADMIN = "tenant-admin"

BUILTIN_ROLES: tuple[BuiltinRole, ...] = (
    BuiltinRole(
        TENANT_ADMIN,
        "Tenant administrator",
        "টেন্যান্ট প্রশাসক",
        "Everything inside the organisation: users, roles, settings and every module",
        ("*",),
    ),
    BuiltinRole(
        "viewer",
        "Viewer",
        "দর্শক",
        "Reads everything the modules offer, changes nothing",
        ("*.*.read",),
    ),
    BuiltinRole(
        "approver",
        "Approver",
        "অনুমোদনকারী",
        "Reads, and approves or rejects the workflow tasks assigned to them",
        ("workflow.task.*",),
        ("viewer",),
    ),
    BuiltinRole(
        "accountant",
        "Accountant",
        "হিসাবরক্ষক",
        "Keeps the books: vouchers, invoices, payments, VAT and TDS returns; maintains customers and vendors",
        ("finance.*", "master-data.*"),
        ("viewer",),
    ),
    BuiltinRole(
        "finance-manager",
        "Finance manager",
        "অর্থ ব্যবস্থাপক",
        "An accountant who also approves, and manages the company's finance settings",
        ("configuration.setting.*",),
        ("accountant", "approver"),
    ),
    BuiltinRole(
        "project-manager",
        "Project manager",
        "প্রকল্প ব্যবস্থাপক",
        "Runs projects: plans, budgets, progress, requisitions, documents and RAJUK/CDA submissions",
        ("projects.*", "scm.requisition.*", "documents.*", "files.*", "compliance.*"),
        ("approver",),
    ),
    BuiltinRole(
        "procurement-officer",
        "Procurement officer",
        "ক্রয় কর্মকর্তা",
        "Buys materials and services: requisitions, purchase orders, goods receipts, vendors",
        ("scm.*", "master-data.*"),
        ("viewer",),
    ),
    BuiltinRole(
        "site-engineer",
        "Site engineer",
        "সাইট প্রকৌশলী",
        "Works on site: project tasks and progress, material requisitions, site photos and files",
        ("projects.task.*", "projects.progress.*", "scm.requisition.*", "files.*"),
        ("viewer",),
    ),
    BuiltinRole(
        "hr-manager",
        "HR manager",
        "মানবসম্পদ ব্যবস্থাপক",
        "Employees, attendance, leave and payroll",
        ("hr.*",),
        ("viewer",),
    ),
)
BUILTIN_KEYS = frozenset(role.key for role in BUILTIN_ROLES)
