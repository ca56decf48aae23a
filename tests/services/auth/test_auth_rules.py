"""The auth service's rules as pure functions, each with a table of cases: password policy,
lockout, permission patterns and their expansion, role inheritance, TOTP steps."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pyotp
import pytest

from vextrus.kit.tenancy import Principal
from vextrus.services.auth.passwords import common_passwords, password_problems
from vextrus.services.auth.rbac import (
    BUILTIN_ROLES,
    SELF_PERMISSIONS,
    RoleNode,
    closure,
    covers,
    effective_permissions,
    expand,
    find_cycle,
    glob_matches,
    is_glob,
    permission_problem,
    role_permissions,
)
from vextrus.services.auth.tokens import (
    LockoutState,
    after_failure,
    is_locked,
    new_recovery_codes,
    normalize_recovery_code,
    totp_step,
)

EMAIL = "farhana.rahman@meghna.com.bd"


@pytest.mark.parametrize(
    ("password", "codes"),
    [
        ("Correct-Horse-Battery-9", []),
        ("পদ্মা-সেতু-২০২৬-নদী", []),  # Bengali passphrases are fine
        ("short", ["too_short"]),
        ("123456789", ["too_short"]),  # nine characters
        ("Tk9-pLm3xQ", []),  # exactly ten, not common
        ("farhana.rahman@meghna.com.bd", ["same_as_email"]),
        ("FARHANA.RAHMAN@MEGHNA.COM.BD", ["same_as_email"]),
        ("farhana.rahman", ["same_as_email"]),
        ("Farhana.Rahman ", ["same_as_email"]),
        ("password123", ["common_password"]),
        ("Bangladesh123", ["common_password"]),
        ("1234567890", ["common_password"]),
        ("qwerty", ["too_short"]),
        ("admin", ["too_short"]),
    ],
)
def test_password_policy(password: str, codes: list[str]) -> None:
    assert [problem.code for problem in password_problems(password, EMAIL)] == codes


def test_password_policy_explains_in_english_and_bengali() -> None:
    problems = password_problems("farhana", "farhana@example.com", min_length=10)
    assert [problem.code for problem in problems] == ["too_short", "same_as_email"]
    assert all(problem.reason and problem.reason_bn and problem.reason != problem.reason_bn for problem in problems)
    assert "10" in problems[0].reason


def test_common_password_list_ships_with_the_package() -> None:
    passwords = common_passwords()
    assert len(passwords) > 150
    assert all(item == item.casefold() for item in passwords)


NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("failed", "locked_until", "expected_failed", "expected_locked", "locks_now"),
    [
        (0, None, 1, None, False),
        (3, None, 4, None, False),
        (4, None, 0, NOW + dt.timedelta(minutes=30), True),  # the fifth failure locks
        (0, NOW + dt.timedelta(minutes=5), 0, NOW + dt.timedelta(minutes=5), False),  # locked: unchanged
        (0, NOW - dt.timedelta(seconds=1), 1, NOW - dt.timedelta(seconds=1), False),  # expired lock: counting again
        (4, NOW - dt.timedelta(minutes=1), 0, NOW + dt.timedelta(minutes=30), True),
    ],
)
def test_lockout_after_failures(
    failed: int,
    locked_until: dt.datetime | None,
    expected_failed: int,
    expected_locked: dt.datetime | None,
    locks_now: bool,
) -> None:
    state, locked_now = after_failure(LockoutState(failed, locked_until), NOW, threshold=5, duration_seconds=1800)
    assert (state.failed_attempts, state.locked_until, locked_now) == (expected_failed, expected_locked, locks_now)


def test_five_consecutive_failures_lock_and_the_lock_expires() -> None:
    state = LockoutState(0, None)
    for attempt in range(1, 6):
        state, locked_now = after_failure(state, NOW, threshold=5, duration_seconds=1800)
        assert locked_now == (attempt == 5)
    assert is_locked(state.locked_until, NOW + dt.timedelta(minutes=29, seconds=59))
    assert not is_locked(state.locked_until, NOW + dt.timedelta(minutes=30))


@pytest.mark.parametrize(
    ("pattern", "key", "matches"),
    [
        ("*.*.read", "configuration.setting.read", True),
        ("*.*.read", "configuration.setting.write", False),
        ("*.*.read", "finance.invoice.line.read", False),  # one segment each
        ("master-data.*.read", "master-data.customer.read", True),
        ("master-data.*.read", "finance.customer.read", False),
        ("*.invoice.*", "finance.invoice.post", True),
        ("*.invoice.*", "finance.invoice.line.post", True),  # a final * covers the rest
        ("*.invoice.*", "finance.invoice", False),
    ],
)
def test_glob_matching(pattern: str, key: str, matches: bool) -> None:
    assert glob_matches(pattern, key) is matches


CATALOGUE = [
    "configuration.setting.read",
    "configuration.setting.write",
    "configuration.flag.read",
    "platform.flag.manage",
    "platform.tenant.read",
    "auth.user.read",
    "auth.user.manage",
]


@pytest.mark.parametrize(
    ("patterns", "expected"),
    [
        (["*"], {"*"}),
        (["finance.*"], {"finance.*"}),  # prefix wildcards go to the token as they are
        (["*.*.read"], {"configuration.setting.read", "configuration.flag.read", "auth.user.read"}),
        (["auth.*.manage", "finance.invoice.post"], {"auth.user.manage", "finance.invoice.post"}),
        (["platform.flag.manage", "platform.*"], set()),  # never from a tenant role
        (["*.tenant.read"], set()),  # an expansion never reaches the platform namespace
    ],
)
def test_expand(patterns: list[str], expected: set[str]) -> None:
    assert expand(patterns, CATALOGUE) == expected


@pytest.mark.parametrize(
    ("pattern", "code"),
    [
        ("configuration.setting.read", None),
        ("*", None),
        ("finance.*", None),
        ("*.*.read", None),
        ("finance.invoice.post", "unknown_permission"),  # an exact key must exist
        ("platform.flag.manage", "platform_permission"),
        ("platform.*", "platform_permission"),
        ("Finance.Invoice", "invalid_permission"),
        ("finance", "invalid_permission"),
        ("finance..post", "invalid_permission"),
        ("finance.invoice.post; drop", "invalid_permission"),
    ],
)
def test_permission_problems(pattern: str, code: str | None) -> None:
    problem = permission_problem(pattern, CATALOGUE)
    assert (problem[0] if problem else None) == code


@pytest.mark.parametrize(
    ("held", "pattern", "granted"),
    [
        ({"*"}, "*", True),
        ({"*"}, "platform.flag.manage", False),
        ({"configuration.*"}, "configuration.setting.write", True),
        ({"configuration.*"}, "configuration.*", True),
        ({"configuration.setting.*"}, "configuration.*", False),
        ({"configuration.setting.read"}, "*.*.read", False),  # not all reads
        ({"configuration.*", "auth.*"}, "*.*.read", True),
        ({"auth.user.read"}, "*", False),
    ],
)
def test_covers(held: set[str], pattern: str, granted: bool) -> None:
    principal = Principal(subject=uuid.uuid4(), tenant_id=uuid.uuid4(), permissions=frozenset(held))
    assert covers(principal.has, pattern, CATALOGUE) is granted
    assert is_glob(pattern) == ("*" in pattern.split(".")[:-1])


def ids(*names: str) -> dict[str, uuid.UUID]:
    return {name: uuid.uuid5(uuid.NAMESPACE_DNS, name) for name in names}


ROLE = ids("viewer", "approver", "accountant", "finance-manager", "auditor")
GRAPH = {
    ROLE["viewer"]: RoleNode("viewer", ("*.*.read",)),
    ROLE["approver"]: RoleNode("approver", ("workflow.task.*",), (ROLE["viewer"],)),
    ROLE["accountant"]: RoleNode("accountant", ("finance.*",), (ROLE["viewer"],)),
    ROLE["finance-manager"]: RoleNode("finance-manager", (), (ROLE["accountant"], ROLE["approver"])),
    ROLE["auditor"]: RoleNode("auditor", ("auth.user.read",)),
}


def test_inheritance_closure_and_permissions() -> None:
    assert closure([ROLE["finance-manager"]], GRAPH) == {
        ROLE["finance-manager"],
        ROLE["accountant"],
        ROLE["approver"],
        ROLE["viewer"],
    }
    assert role_permissions([ROLE["finance-manager"]], GRAPH) == ["*.*.read", "finance.*", "workflow.task.*"]
    assert effective_permissions([ROLE["finance-manager"]], GRAPH, CATALOGUE) == {
        "finance.*",
        "workflow.task.*",
        "configuration.setting.read",
        "configuration.flag.read",
        "auth.user.read",
        *SELF_PERMISSIONS,
    }
    assert effective_permissions([], GRAPH, CATALOGUE) == set(SELF_PERMISSIONS)


@pytest.mark.parametrize(
    ("role", "parents", "cycle"),
    [
        ("viewer", ["approver"], ["viewer", "approver", "viewer"]),
        ("viewer", ["accountant"], ["viewer", "accountant", "viewer"]),
        ("viewer", ["viewer"], ["viewer", "viewer"]),
        ("finance-manager", ["auditor"], None),
        ("auditor", ["finance-manager"], None),
        ("accountant", ["approver"], None),  # a diamond is not a cycle
    ],
)
def test_inheritance_cycles_are_found(role: str, parents: list[str], cycle: list[str] | None) -> None:
    found = find_cycle(ROLE[role], [ROLE[name] for name in parents], GRAPH)
    names = {value: key for key, value in ROLE.items()}
    assert ([names[item] for item in found] if found else None) == cycle


def test_a_longer_cycle_is_a_path_back_to_the_role() -> None:
    found = find_cycle(ROLE["viewer"], [ROLE["finance-manager"]], GRAPH)
    assert found is not None
    names = [GRAPH[item].key for item in found]
    assert names[0] == names[-1] == "viewer"
    assert names[1] == "finance-manager"
    for child, parent in itertools.pairwise(found[1:]):
        assert parent in GRAPH[child].parents


def test_builtin_roles_form_a_graph_without_cycles_or_platform_permissions() -> None:
    keys = {role.key: uuid.uuid5(uuid.NAMESPACE_DNS, role.key) for role in BUILTIN_ROLES}
    graph = {
        keys[role.key]: RoleNode(role.key, role.permissions, tuple(keys[parent] for parent in role.inherits))
        for role in BUILTIN_ROLES
    }
    expected_roles = {
        "tenant-admin",
        "accountant",
        "finance-manager",
        "project-manager",
        "procurement-officer",
        "approver",
        "viewer",
    }
    assert expected_roles <= set(keys)
    for role in BUILTIN_ROLES:
        assert find_cycle(keys[role.key], [keys[parent] for parent in role.inherits], graph) is None
        assert not any(item.startswith("platform") for item in role.permissions)
    assert role_permissions([keys["tenant-admin"]], graph) == ["*"]
    assert "*.*.read" in role_permissions([keys["finance-manager"]], graph)


def test_totp_step_accepts_each_code_once_within_the_window() -> None:
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    now = dt.datetime(2026, 11, 24, 10, 0, 15, tzinfo=dt.UTC)
    step = int(now.timestamp()) // 30
    assert totp_step(secret, totp.at(now), now, None) == step
    assert totp_step(secret, totp.at(now), now, last_step=step) is None  # replay
    assert totp_step(secret, totp.at(now - dt.timedelta(seconds=30)), now, None) == step - 1  # clock drift
    assert totp_step(secret, totp.at(now + dt.timedelta(seconds=30)), now, last_step=step) == step + 1
    assert totp_step(secret, totp.at(now - dt.timedelta(seconds=90)), now, None) is None  # too old
    assert totp_step(secret, "12345", now, None) is None
    assert totp_step(secret, "১২৩৪৫৬", now, None) is None


def test_recovery_codes_are_distinct_and_normalised() -> None:
    codes = new_recovery_codes()
    assert len(set(codes)) == 10
    assert all(len(code) == 14 and code.count("-") == 2 for code in codes)
    assert normalize_recovery_code(f" {codes[0].lower()} ") == codes[0].replace("-", "")
