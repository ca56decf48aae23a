"""Business logic shared by all master records: errors, the entity table, the unit of work
(flush, change tracking, events, cache invalidation), cached reads, lists, delete and restore, and
identifier validation. The records' own rules live beside: parties.py (customers, vendors),
products.py (units, products), accounts.py (chart of accounts).

No HTTP and no SQL here. REST (api.py), GraphQL (graphql.py) and the demo seed call these
functions with a session in one transaction; they flush, the caller's boundary commits. Every
change writes its event (outbox) in that transaction; cached copies are dropped after the commit.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from vextrus import bd
from vextrus.kit.cache import Cache
from vextrus.kit.db import after_commit
from vextrus.kit.errors import AppError, FieldError, not_found, register_error_titles
from vextrus.kit.events import record_event
from vextrus.kit.models import utcnow
from vextrus.kit.pagination import Page, PageRequest
from vextrus.kit.service import Topic
from vextrus.kit.tenancy import require_tenant_id
from vextrus.services.master_data import events, metrics, rules
from vextrus.services.master_data.cache import RecordCache, record_key, tree_key
from vextrus.services.master_data.models import Account, Customer, MasterRecord, Product, Vendor
from vextrus.services.master_data.outputs import OUTPUTS, as_json
from vextrus.services.master_data.repository import (
    Accounts,
    Customers,
    Filters,
    MasterRepository,
    Products,
    Vendors,
)
from vextrus.services.master_data.schemas import ValidateOut

register_error_titles(
    {
        "duplicate_code": {"en": "The code is already used", "bn": "কোডটি আগেই ব্যবহৃত হয়েছে"},
        "duplicate_tin": {"en": "A vendor with this TIN exists", "bn": "এই টিআইএন-এর একজন সরবরাহকারী আছেন"},
        "record_deleted": {"en": "The record is deleted", "bn": "রেকর্ডটি মুছে ফেলা হয়েছে"},
        "invalid_transition": {"en": "Not allowed in the current state", "bn": "বর্তমান অবস্থায় অনুমোদিত নয়"},
        "account_has_children": {"en": "The account has sub-accounts", "bn": "হিসাবটির অধীনে উপ-হিসাব আছে"},
    }
)

SessionScope = Callable[[], AbstractAsyncContextManager[AsyncSession]]
Row = TypeVar("Row", bound=MasterRecord)


# --- errors ---------------------------------------------------------------------------------------


def violation(error: rules.RuleViolation, prefix: str = "body") -> AppError:
    """A 422 for a broken rule; counted by kind."""
    metrics.VALIDATION_ERRORS.labels(error.kind).inc()
    field = f"{prefix}.{error.field}" if prefix else error.field
    return AppError(
        422,
        "validation_failed",
        f"{field}: {error.reason}",
        f"{field}: {error.reason_bn}",
        errors=(FieldError(field, error.code, error.reason, error.reason_bn),),
    )


def version_conflict(what: str, current: int) -> AppError:
    return AppError(
        409,
        "version_conflict",
        f"{what} is at version {current}; reload it and apply your change again",
        f"{what} এখন সংস্করণ {bd.to_bengali_digits(current)}-এ আছে; আবার লোড করে পরিবর্তনটি করুন",
        extra={"current_version": current},
    )


def duplicate_code(code: str) -> AppError:
    return AppError(
        409,
        "duplicate_code",
        f"The code {code} is already used (perhaps by a deleted record: restore it instead)",
        f"{code} কোডটি আগেই ব্যবহৃত হয়েছে (হয়তো মুছে ফেলা কোনো রেকর্ডে: সেটি ফিরিয়ে আনুন)",
        errors=(FieldError("body.code", "duplicate", "already used", "আগেই ব্যবহৃত"),),
    )


def deleted_error(what: str, ident: uuid.UUID) -> AppError:
    return AppError(
        409,
        "record_deleted",
        f"{what} {ident} is deleted; restore it first",
        f"{what} {ident} মুছে ফেলা হয়েছে; আগে ফিরিয়ে আনুন",
    )


# --- entities -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entity(Generic[Row]):
    key: str
    label: str
    label_bn: str
    repository: type[MasterRepository[Row]]
    created: Topic
    updated: Topic
    deleted: Topic


CUSTOMER = Entity[Customer](
    "customer",
    "Customer",
    "গ্রাহক",
    Customers,
    events.CUSTOMER_CREATED,
    events.CUSTOMER_UPDATED,
    events.CUSTOMER_DELETED,
)
VENDOR = Entity[Vendor](
    "vendor",
    "Vendor",
    "সরবরাহকারী",
    Vendors,
    events.VENDOR_CREATED,
    events.VENDOR_UPDATED,
    events.VENDOR_DELETED,
)
PRODUCT = Entity[Product](
    "product",
    "Product",
    "পণ্য",
    Products,
    events.PRODUCT_CREATED,
    events.PRODUCT_UPDATED,
    events.PRODUCT_DELETED,
)
ACCOUNT = Entity[Account](
    "account",
    "Account",
    "হিসাব",
    Accounts,
    events.ACCOUNT_CREATED,
    events.ACCOUNT_UPDATED,
    events.ACCOUNT_DELETED,
)
ENTITIES: dict[str, Entity[Any]] = {item.key: item for item in (CUSTOMER, VENDOR, PRODUCT, ACCOUNT)}


# --- generic plumbing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who changes what: the session of the change, the runtime cache and the acting user."""

    session: AsyncSession
    cache: Cache
    user: uuid.UUID | None = None


def counted(session: AsyncSession, entity: str, op: str) -> None:
    after_commit(session, metrics.CRUD_OPERATIONS.labels(entity, op).inc)


def invalidate(actor: Actor, entity: str, row: MasterRecord) -> None:
    keys = [record_key(entity, row.tenant_id, row.id)]
    if entity == "account":
        keys.append(tree_key(row.tenant_id))
    RecordCache(actor.cache).invalidate_after_commit(actor.session, *keys)


async def flush(session: AsyncSession, what: str, current: int, code: str | None = None) -> None:
    """Flush; a concurrent writer (stale version) is a 409, a duplicate code a 409 too."""
    try:
        await session.flush()
    except StaleDataError:
        raise version_conflict(what, current) from None
    except IntegrityError:
        if code is not None:
            raise duplicate_code(code) from None
        raise version_conflict(what, current) from None


async def row_or_404(entity: Entity[Row], session: AsyncSession, ident: uuid.UUID) -> Row:
    row = await entity.repository(session).get(ident)
    if row is None:
        raise not_found(entity.label, ident, entity.label_bn)
    return row


async def live_row(entity: Entity[Row], session: AsyncSession, ident: uuid.UUID, expected: int | None) -> Row:
    row = await row_or_404(entity, session, ident)
    if row.deleted_at is not None:
        raise deleted_error(entity.label, ident)
    if expected is not None and expected != row.version:
        raise version_conflict(f"{entity.label} {row.code}", row.version)
    return row


async def check_code_free(entity: Entity[Row], session: AsyncSession, code: str, own: uuid.UUID | None) -> None:
    existing = await entity.repository(session).by_code(code)
    if existing is not None and existing.id != own:
        raise duplicate_code(code)


def announce_created(actor: Actor, entity: Entity[Row], row: Row) -> None:
    out = OUTPUTS[entity.key](row)
    record_event(
        actor.session,
        entity.created,
        events.RecordCreated(
            tenant_id=row.tenant_id,
            id=row.id,
            code=row.code,
            name=row.name,
            name_bn=row.name_bn,
            version=row.version,
            record=as_json(out),
            actor=actor.user,
        ),
        subject=row.id,
    )
    # A new record was never cached; only the account tree it joins is.
    if entity.key == "account":
        RecordCache(actor.cache).invalidate_after_commit(actor.session, tree_key(row.tenant_id))
    counted(actor.session, entity.key, "create")


def apply_changes(row: MasterRecord, values: Mapping[str, Any]) -> dict[str, events.FieldChange]:
    """Set the values that differ; return what changed (old and new, JSON-ready)."""
    changes: dict[str, events.FieldChange] = {}
    for name, value in values.items():
        old = getattr(row, name)
        if old != value:
            changes[name] = events.FieldChange(old=old, new=value)
            setattr(row, name, value)
    return changes


async def finish_update(
    actor: Actor, entity: Entity[Row], row: Row, changes: dict[str, events.FieldChange], current: int
) -> None:
    if not changes:
        return
    row.updated_by = actor.user
    await flush(actor.session, f"{entity.label} {row.code}", current, row.code if "code" in changes else None)
    record_event(
        actor.session,
        entity.updated,
        events.RecordUpdated(
            tenant_id=row.tenant_id,
            id=row.id,
            code=row.code,
            version=row.version,
            changes={name: json_change(change) for name, change in changes.items()},
            actor=actor.user,
        ),
        subject=row.id,
    )
    invalidate(actor, entity.key, row)
    counted(actor.session, entity.key, "update")


def json_change(change: events.FieldChange) -> events.FieldChange:
    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(bd.round_money(value))  # every decimal a master record has is money or a rate
        if isinstance(value, dt.date | dt.datetime | uuid.UUID):
            return str(value)
        return value

    return events.FieldChange(old=plain(change.old), new=plain(change.new))


def given_fields(patch: BaseModel, required: Iterable[str]) -> set[str]:
    """Fields the client sent (``version`` aside); null for a required field is a 422."""
    given = set(patch.model_fields_set) - {"version"}
    for name in required:
        if name in given and getattr(patch, name) is None:
            metrics.VALIDATION_ERRORS.labels("required").inc()
            raise AppError(
                422,
                "validation_failed",
                f"body.{name}: must not be null",
                f"body.{name}: ফাঁকা (null) হতে পারে না",
                errors=(FieldError(f"body.{name}", "required", "must not be null", "ফাঁকা (null) হতে পারে না"),),
            )
    return given


def clean_names(name: str | None, name_bn: str | None) -> tuple[str | None, str | None]:
    return (
        rules.nfc(name.strip()) if name else name,
        rules.nfc(name_bn.strip()) if name_bn else None,
    )


# --- reads (cached) -------------------------------------------------------------------------------


async def read(cache: Cache, session_scope: SessionScope, entity_key: str, ident: uuid.UUID) -> dict[str, Any]:
    """One record as JSON, from the cache or the database (a deleted record is still returned)."""
    entity = ENTITIES[entity_key]
    tenant = require_tenant_id()
    key = record_key(entity_key, tenant, ident)
    records = RecordCache(cache)
    data = await records.get(key)
    if data is None:
        async with session_scope() as session:
            row = await row_or_404(entity, session, ident)
            data = as_json(OUTPUTS[entity_key](row))
        await records.fill(key, data)
    if entity_key == "vendor":
        expiry = data.get("trade_licence_expiry")
        data = {
            **data,
            "trade_licence_expired": rules.trade_licence_expired(
                dt.date.fromisoformat(expiry) if expiry else None, bd.today_dhaka()
            ),
        }
    metrics.CRUD_OPERATIONS.labels(entity_key, "read").inc()
    return dict(data)


async def list_records(session: AsyncSession, entity_key: str, page: PageRequest, filters: Filters) -> Page[Any]:
    entity = ENTITIES[entity_key]
    metrics.CRUD_OPERATIONS.labels(entity_key, "list").inc()
    return await entity.repository(session).page(page, filters, OUTPUTS[entity_key])


# --- delete and restore ----------------------------------------------------------------------------


async def delete(actor: Actor, entity_key: str, ident: uuid.UUID, expected: int | None = None) -> None:
    """Soft-delete: the record disappears from lists and search but stays readable by id.
    Deleting a deleted record changes nothing."""
    entity = ENTITIES[entity_key]
    row = await row_or_404(entity, actor.session, ident)
    if row.deleted_at is not None:
        return
    if expected is not None and expected != row.version:
        raise version_conflict(f"{entity.label} {row.code}", row.version)
    if entity_key == "account" and await Accounts(actor.session).live_children_count(row.id):
        raise AppError(
            409,
            "account_has_children",
            f"Account {row.code} has sub-accounts; delete or move them first",
            f"{row.code} হিসাবের অধীনে উপ-হিসাব আছে; আগে সেগুলো মুছুন বা সরান",
        )
    current = row.version
    row.deleted_at = utcnow()
    row.deleted_by = actor.user
    row.updated_by = actor.user
    await flush(actor.session, f"{entity.label} {row.code}", current)
    record_event(
        actor.session,
        entity.deleted,
        events.RecordDeleted(
            tenant_id=row.tenant_id,
            id=row.id,
            code=row.code,
            version=row.version,
            deleted_at=row.deleted_at,
            actor=actor.user,
        ),
        subject=row.id,
    )
    invalidate(actor, entity_key, row)
    counted(actor.session, entity_key, "delete")


async def restore(actor: Actor, entity_key: str, ident: uuid.UUID, expected: int | None = None) -> BaseModel:
    """Undo a soft delete (an account only under a live parent)."""
    entity = ENTITIES[entity_key]
    row = await row_or_404(entity, actor.session, ident)
    if expected is not None and expected != row.version:
        raise version_conflict(f"{entity.label} {row.code}", row.version)
    if row.deleted_at is None:
        return OUTPUTS[entity_key](row)
    if isinstance(row, Account) and row.parent_id is not None:
        parent = await Accounts(actor.session).get(row.parent_id)
        if parent is None or parent.deleted_at is not None:
            raise AppError(
                409,
                "record_deleted",
                f"The parent of account {row.code} is deleted; restore it first",
                f"{row.code} হিসাবের মূল হিসাবটি মুছে ফেলা হয়েছে; আগে সেটি ফিরিয়ে আনুন",
            )
    current = row.version
    changes = apply_changes(row, {"deleted_at": None, "deleted_by": None})
    await finish_update(actor, entity, row, changes, current)
    counted(actor.session, entity_key, "restore")
    return OUTPUTS[entity_key](row)


# --- validation -----------------------------------------------------------------------------------------


def validate_identifier(kind: str, value: str) -> ValidateOut:
    result = bd.validate(kind, value)
    if not result.valid:
        metrics.VALIDATION_ERRORS.labels(kind).inc()
    return ValidateOut(**result.as_dict())
