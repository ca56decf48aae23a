"""The chart of accounts: a tree of group and posting accounts, the Bangladesh template
installed idempotently, and the cached tree view."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.cache import Cache
from vextrus.kit.errors import AppError
from vextrus.kit.tenancy import require_tenant_id
from vextrus.services.master_data import metrics, rules
from vextrus.services.master_data.cache import RecordCache, tree_key
from vextrus.services.master_data.catalogue import BANGLADESH_COA_TEMPLATE
from vextrus.services.master_data.models import Account
from vextrus.services.master_data.outputs import account_out
from vextrus.services.master_data.repository import Accounts
from vextrus.services.master_data.schemas import (
    AccountCreate,
    AccountNode,
    AccountOut,
    AccountPatch,
    TemplateResult,
)
from vextrus.services.master_data.service import (
    ACCOUNT,
    Actor,
    SessionScope,
    announce_created,
    apply_changes,
    check_code_free,
    clean_names,
    counted,
    finish_update,
    flush,
    given_fields,
    live_row,
    violation,
)

# --- accounts -----------------------------------------------------------------------------------------


async def _check_account_parent(
    session: AsyncSession, account_type: str, parent_id: uuid.UUID | None, own: uuid.UUID | None
) -> None:
    if parent_id is None:
        return
    repository = Accounts(session)
    parent = await repository.get(parent_id)
    if parent is None or parent.deleted_at is not None:
        raise violation(
            rules.RuleViolation(
                "parent_id", "No such account in this tenant", "এই টেন্যান্টে এমন কোনো হিসাব নেই", "account"
            )
        )
    try:
        rules.check_parent(account_type, parent.type, parent.is_group)
    except rules.RuleViolation as error:
        raise violation(error) from None
    if own is not None and rules.creates_cycle(own, parent_id, await repository.parents()):
        raise violation(
            rules.RuleViolation(
                "parent_id",
                "An account cannot sit under itself or its own sub-account",
                "কোনো হিসাব নিজের বা নিজের উপ-হিসাবের অধীনে থাকতে পারে না",
                "account",
            )
        )


async def create_account(
    actor: Actor, data: AccountCreate, *, ident: uuid.UUID | None = None, is_system: bool = False
) -> AccountOut:
    try:
        code = rules.normalize_code(data.code)
    except rules.RuleViolation as error:
        raise violation(error) from None
    await _check_account_parent(actor.session, data.type, data.parent_id, None)
    await check_code_free(ACCOUNT, actor.session, code, None)
    name, name_bn = clean_names(data.name, data.name_bn)
    row = Accounts(actor.session).add(
        Account(
            code=code,
            name=name,
            name_bn=name_bn,
            type=data.type,
            normal_balance=data.normal_balance or rules.default_normal_balance(data.type),
            is_group=data.is_group,
            parent_id=data.parent_id,
            description=data.description,
            is_system=is_system,
            created_by=actor.user,
            updated_by=actor.user,
        )
    )
    if ident is not None:
        row.id = ident
    await flush(actor.session, f"Account {code}", 0, code)
    announce_created(actor, ACCOUNT, row)
    return account_out(row)


async def update_account(
    actor: Actor, ident: uuid.UUID, patch: AccountPatch, expected: int | None = None
) -> AccountOut:
    given = given_fields(patch, ("code", "name", "normal_balance", "is_group"))
    row = await live_row(ACCOUNT, actor.session, ident, expected)
    values: dict[str, Any] = {}
    if "code" in given:
        try:
            values["code"] = rules.normalize_code(str(patch.code))
        except rules.RuleViolation as error:
            raise violation(error) from None
        await check_code_free(ACCOUNT, actor.session, values["code"], row.id)
    if "name" in given or "name_bn" in given:
        name, name_bn = clean_names(patch.name, patch.name_bn)
        if "name" in given:
            values["name"] = name
        if "name_bn" in given:
            values["name_bn"] = name_bn
    for name in ("normal_balance", "description", "is_group", "parent_id"):
        if name in given:
            values[name] = getattr(patch, name)
    if "parent_id" in values and values["parent_id"] != row.parent_id:
        await _check_account_parent(actor.session, row.type, values["parent_id"], row.id)
    if values.get("is_group") is False and row.is_group and await Accounts(actor.session).live_children_count(row.id):
        raise AppError(
            409,
            "account_has_children",
            f"Account {row.code} has sub-accounts: it must stay a group",
            f"{row.code} হিসাবের অধীনে উপ-হিসাব আছে: এটি গ্রুপ হিসাবেই থাকবে",
        )
    current = row.version
    changes = apply_changes(row, values)
    await finish_update(actor, ACCOUNT, row, changes, current)
    return account_out(row)


def _build_tree(rows: Iterable[Account]) -> list[AccountNode]:
    nodes = {
        row.id: AccountNode(
            id=row.id,
            code=row.code,
            name=row.name,
            name_bn=row.name_bn,
            type=row.type,
            normal_balance=row.normal_balance,
            is_group=row.is_group,
            children=[],
        )
        for row in rows
    }
    roots: list[AccountNode] = []
    for row in rows:
        node = nodes[row.id]
        parent = nodes.get(row.parent_id) if row.parent_id is not None else None
        (parent.children if parent is not None else roots).append(node)
    return roots


async def account_tree(cache: Cache, session_scope: SessionScope) -> list[dict[str, Any]]:
    """The live chart of accounts as a tree (ordered by code), cached per tenant."""
    tenant = require_tenant_id()
    records = RecordCache(cache)
    data = await records.get(tree_key(tenant))
    if data is None:
        async with session_scope() as session:
            rows = await Accounts(session).all_live()
        data = [node.model_dump(mode="json") for node in _build_tree(rows)]
        await records.fill(tree_key(tenant), data)
    metrics.CRUD_OPERATIONS.labels("account", "tree").inc()
    return list(data)


def template_account_id(tenant_id: uuid.UUID, code: str) -> uuid.UUID:
    """Stable ids for template accounts: the same code gets the same id in every installation."""
    return uuid.uuid5(tenant_id, f"master-data:account-template:{code}")


async def install_template(actor: Actor) -> TemplateResult:
    """Add the accounts of the Bangladesh template that the tenant does not have (by code).

    Existing accounts are left as they are, so running it again adds nothing. A template account
    whose parent code exists but is not a group of its type is added at the top level.
    """
    tenant = require_tenant_id()
    repository = Accounts(actor.session)
    existing = {row.code: row for row in await repository.all()}
    created: list[str] = []
    for item in BANGLADESH_COA_TEMPLATE:
        if item.code in existing:
            continue
        parent = existing.get(item.parent) if item.parent else None
        parent_ok = parent is not None and parent.deleted_at is None and parent.is_group and parent.type == item.type
        await create_account(
            actor,
            AccountCreate(
                code=item.code,
                name=item.name,
                name_bn=item.name_bn,
                type=item.type,
                normal_balance=item.normal_balance,
                is_group=item.group,
                parent_id=parent.id if parent is not None and parent_ok else None,
            ),
            ident=template_account_id(tenant, item.code),
            is_system=True,
        )
        row = await repository.get(template_account_id(tenant, item.code))
        assert row is not None
        existing[item.code] = row
        created.append(item.code)
    counted(actor.session, "account", "template")
    return TemplateResult(created=len(created), existing=len(BANGLADESH_COA_TEMPLATE) - len(created), codes=created)
