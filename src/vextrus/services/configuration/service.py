"""Business logic of the configuration service: typed tenant settings, feature flags, history.

No HTTP and no SQL here. REST (api.py), GraphQL (graphql.py) and the demo seed call these
functions with a session in one transaction; the functions flush, the caller's boundary commits.
Every change writes a history record and an outbox event in that same transaction, and the
effective-settings cache is invalidated only after the commit.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal, TypedDict

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from vextrus.kit.cache import Cache
from vextrus.kit.db import after_commit
from vextrus.kit.errors import AppError, invalid_field, not_found, register_error_titles
from vextrus.kit.events import record_event
from vextrus.kit.pagination import Page, PageRequest
from vextrus.kit.tenancy import require_tenant_id
from vextrus.services.configuration import metrics
from vextrus.services.configuration.definitions import (
    CATALOGUE,
    CATALOGUE_ITEMS,
    InvalidSettingValue,
    SettingDefinition,
)
from vextrus.services.configuration.events import (
    FLAG_UPDATED,
    SETTING_UPDATED,
    FieldChange,
    FlagUpdated,
    SettingUpdated,
)
from vextrus.services.configuration.models import ChangeRecord, FeatureFlag, FlagOverride, TenantSetting
from vextrus.services.configuration.repository import (
    FlagRepository,
    HistoryRepository,
    OverrideRepository,
    SettingRepository,
)
from vextrus.services.configuration.schemas import (
    ChangeOut,
    FlagCreate,
    FlagEvaluationOut,
    FlagOut,
    FlagPatch,
    LocalizedText,
    OverrideOut,
    SettingDefinitionOut,
)

log = structlog.get_logger("vextrus.configuration")

register_error_titles(
    {
        "flag_exists": {"en": "The feature flag already exists", "bn": "ফিচার ফ্ল্যাগটি আগে থেকেই আছে"},
    }
)

SETTINGS_CACHE_TTL_SECONDS = 300.0
# After a change, readers skip filling the cache for this long, so a read that started before
# the commit cannot put the old state back after the invalidation (see SettingsCache.fill).
SETTINGS_CACHE_QUIET_SECONDS = 2.0


# --- JSON values ---------------------------------------------------------------------------------


def dump_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def load_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


# --- effective settings and their cache ------------------------------------------------------------


class SettingJson(TypedDict):
    """One effective setting, JSON-ready (this is also what the cache holds)."""

    key: str
    value: Any
    default: Any
    source: Literal["tenant", "default"]
    version: int
    updated_at: str | None
    updated_by: str | None


EffectiveSettings = dict[str, SettingJson]
SessionScope = Callable[[], AbstractAsyncContextManager[AsyncSession]]


def settings_cache_key(tenant_id: uuid.UUID) -> str:
    return f"cfg:settings:{tenant_id}"


class SettingsCache:
    """Per-tenant effective settings in the runtime cache, invalidated after commits.

    Fill on miss with a TTL; a change sets a short "quiet" marker and deletes the entry after its
    commit. A reader fills only while no marker exists and checks again after writing its entry,
    removing it if a change committed meanwhile: without that, a read that loaded the old rows just
    before a commit could store them after the invalidation and serve them for a whole TTL.
    Cache failures never fail a request: reads fall back to the database.
    """

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    async def get(self, tenant_id: uuid.UUID) -> EffectiveSettings | None:
        try:
            value = await self.cache.get(settings_cache_key(tenant_id))
        except Exception:
            log.warning("settings_cache_unavailable", exc_info=True)
            value = None
        if value is None:
            metrics.CACHE_MISSES.inc()
            return None
        metrics.CACHE_HITS.inc()
        return value  # type: ignore[no-any-return]

    async def fill(self, tenant_id: uuid.UUID, settings: EffectiveSettings) -> None:
        key = settings_cache_key(tenant_id)
        quiet = key + ":quiet"
        try:
            if await self.cache.get(quiet) is not None:
                return
            await self.cache.set(key, settings, SETTINGS_CACHE_TTL_SECONDS)
            if await self.cache.get(quiet) is not None:
                await self.cache.delete(key)
        except Exception:
            log.warning("settings_cache_unavailable", exc_info=True)

    def invalidate_after_commit(self, session: AsyncSession, tenant_id: uuid.UUID) -> None:
        pending: set[uuid.UUID] = session.info.setdefault("cfg_cache_invalidations", set())
        if tenant_id in pending:
            return
        pending.add(tenant_id)
        key = settings_cache_key(tenant_id)
        cache = self.cache

        async def invalidate() -> None:
            await cache.set(key + ":quiet", 1, SETTINGS_CACHE_QUIET_SECONDS)
            await cache.delete(key)

        after_commit(session, invalidate)


def _setting_json(definition: SettingDefinition, row: TenantSetting | None) -> SettingJson:
    value, source = definition.default, "default"
    if row is not None and row.value is not None:
        stored = load_json(row.value)
        try:
            value, source = definition.validate(stored), "tenant"
        except InvalidSettingValue:
            # The catalogue became stricter than a stored value: serve the default, keep the row.
            log.warning("stored_setting_invalid", key=definition.key, tenant_id=str(row.tenant_id))
    return {
        "key": definition.key,
        "value": value,
        "default": definition.default,
        "source": "tenant" if source == "tenant" else "default",
        "version": row.version if row is not None else 0,
        "updated_at": row.updated_at.isoformat() if row is not None else None,
        "updated_by": str(row.updated_by) if row is not None and row.updated_by else None,
    }


async def _load_effective(session: AsyncSession) -> EffectiveSettings:
    rows = {row.key: row for row in await SettingRepository(session).all_for_tenant()}
    return {item.key: _setting_json(item, rows.get(item.key)) for item in CATALOGUE_ITEMS}


async def effective_settings(cache: Cache, session_scope: SessionScope) -> EffectiveSettings:
    """All catalogue settings of the current tenant, tenant values over defaults (cached).

    ``session_scope`` opens a transaction (``Database.transaction``) and is entered only on a
    cache miss: a hit costs one cache look-up and no database work at all.
    """
    tenant_id = require_tenant_id()
    settings_cache = SettingsCache(cache)
    cached = await settings_cache.get(tenant_id)
    if cached is not None:
        return cached
    async with session_scope() as session:
        loaded = await _load_effective(session)
    await settings_cache.fill(tenant_id, loaded)
    return loaded


def definition_or_404(key: str) -> SettingDefinition:
    definition = CATALOGUE.get(key)
    if definition is None:
        raise not_found("Setting", key, "সেটিং")
    return definition


async def effective_setting(cache: Cache, session_scope: SessionScope, key: str) -> SettingJson:
    definition_or_404(key)
    return (await effective_settings(cache, session_scope))[key]


def setting_schema() -> list[SettingDefinitionOut]:
    return [
        SettingDefinitionOut(
            key=item.key,
            group=item.group,
            type=item.type,
            default=item.default,
            choices=list(item.choices) or None,
            label=LocalizedText(en=item.label.en, bn=item.label.bn),
            description=LocalizedText(en=item.description.en, bn=item.description.bn),
            json_schema=item.json_schema(),
        )
        for item in CATALOGUE_ITEMS
    ]


# --- optimistic locking ----------------------------------------------------------------------------


def version_conflict(what: str, current: int) -> AppError:
    return AppError(
        409,
        "version_conflict",
        f"{what} is at version {current}; reload it and apply your change again",
        f"{what} এখন সংস্করণ {current}-এ আছে; আবার লোড করে পরিবর্তনটি করুন",
        extra={"current_version": current},
    )


def check_version(what: str, expected: int | None, current: int) -> None:
    if expected is not None and expected != current:
        raise version_conflict(what, current)


async def _flush_versioned(session: AsyncSession, what: str, current: int) -> None:
    """Flush; a concurrent writer that got there first (stale version, duplicate row) is a 409."""
    try:
        await session.flush()
    except (StaleDataError, IntegrityError):
        raise version_conflict(what, current) from None


# --- settings changes ---------------------------------------------------------------------------


def _record_setting_change(
    session: AsyncSession,
    cache: Cache,
    row: TenantSetting,
    before: SettingJson,
    after: SettingJson,
    action: Literal["updated", "reset"],
    actor: uuid.UUID | None,
) -> None:
    tenant_id = require_tenant_id()
    HistoryRepository(session).add(
        ChangeRecord(
            tenant_id=tenant_id,
            kind="setting",
            key=row.key,
            action=action,
            old_value=dump_json(before["value"]),
            new_value=dump_json(after["value"]),
            version=row.version,
            actor=actor,
        )
    )
    record_event(
        session,
        SETTING_UPDATED,
        SettingUpdated(
            tenant_id=tenant_id,
            key=row.key,
            old_value=before["value"],
            new_value=after["value"],
            source=after["source"],
            version=row.version,
            action=action,
            actor=actor,
        ),
        subject=row.id,
        tenant_id=tenant_id,
        actor=str(actor) if actor else None,
    )
    SettingsCache(cache).invalidate_after_commit(session, tenant_id)
    counter = metrics.SETTING_UPDATES.labels(row.key, action)
    after_commit(session, counter.inc)


async def update_setting(
    session: AsyncSession,
    cache: Cache,
    key: str,
    value: Any,
    *,
    expected_version: int | None = None,
    actor: uuid.UUID | None = None,
    field: str = "body.value",
) -> SettingJson:
    """Set a tenant's value; a value equal to the stored one changes nothing (no new version)."""
    definition = definition_or_404(key)
    try:
        value = definition.validate(value)
    except InvalidSettingValue:
        raise invalid_field(field, definition.invalid_reason.en, definition.invalid_reason.bn) from None
    repository = SettingRepository(session)
    row = await repository.by_key(key)
    current = row.version if row is not None else 0
    check_version(f"Setting {key}", expected_version, current)
    before = _setting_json(definition, row)
    if row is not None and row.value is not None and before["source"] == "tenant" and before["value"] == value:
        return before
    if row is None:
        row = repository.add(TenantSetting(key=key, value=dump_json(value), updated_by=actor))
    else:
        row.value = dump_json(value)
        row.updated_by = actor
    await _flush_versioned(session, f"Setting {key}", current)
    after = _setting_json(definition, row)
    _record_setting_change(session, cache, row, before, after, "updated", actor)
    return after


async def reset_setting(
    session: AsyncSession,
    cache: Cache,
    key: str,
    *,
    expected_version: int | None = None,
    actor: uuid.UUID | None = None,
) -> SettingJson:
    """Go back to the catalogue default (the row stays, so the version keeps growing)."""
    definition = definition_or_404(key)
    row = await SettingRepository(session).by_key(key)
    current = row.version if row is not None else 0
    check_version(f"Setting {key}", expected_version, current)
    before = _setting_json(definition, row)
    if row is None or row.value is None:
        return before
    row.value = None
    row.updated_by = actor
    await _flush_versioned(session, f"Setting {key}", current)
    after = _setting_json(definition, row)
    _record_setting_change(session, cache, row, before, after, "reset", actor)
    return after


# --- feature flag evaluation (pure) -------------------------------------------------------------


def rollout_bucket(flag_key: str, tenant_id: uuid.UUID, subject: str | None = None) -> int:
    """A stable bucket 0-99 for a tenant (or one subject inside it) and a flag."""
    seed = f"{flag_key}:{tenant_id}" if subject is None else f"{flag_key}:{tenant_id}:{subject}"
    return int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 100


def evaluate_flag(
    key: str,
    *,
    enabled: bool,
    rollout_percentage: int,
    override: bool | None,
    tenant_id: uuid.UUID,
    subject: str | None = None,
) -> FlagEvaluationOut:
    """The flag's state: a tenant override wins; else a disabled flag is off; else the rollout."""
    if override is not None:
        return FlagEvaluationOut(key=key, enabled=override, reason="override", subject=subject)
    if not enabled:
        return FlagEvaluationOut(key=key, enabled=False, reason="disabled", subject=subject)
    bucket = rollout_bucket(key, tenant_id, subject)
    inside = bucket < rollout_percentage
    return FlagEvaluationOut(
        key=key, enabled=inside, reason="rollout" if inside else "not_in_rollout", bucket=bucket, subject=subject
    )


# --- feature flags --------------------------------------------------------------------------------

FLAG_FIELDS = ("description", "description_bn", "enabled", "rollout_percentage")


def _flag_out(flag: FeatureFlag, override: FlagOverride | None) -> FlagOut:
    tenant_id = require_tenant_id()
    override_value = override.enabled if override is not None else None
    return FlagOut(
        key=flag.key,
        description=flag.description,
        description_bn=flag.description_bn,
        enabled=flag.enabled,
        rollout_percentage=flag.rollout_percentage,
        version=flag.version,
        created_at=flag.created_at,
        updated_at=flag.updated_at,
        updated_by=flag.updated_by,
        override=override_value,
        evaluation=evaluate_flag(
            flag.key,
            enabled=flag.enabled,
            rollout_percentage=flag.rollout_percentage,
            override=override_value,
            tenant_id=tenant_id,
        ),
    )


async def _flag_or_404(session: AsyncSession, key: str) -> FeatureFlag:
    flag = await FlagRepository(session).by_key(key)
    if flag is None:
        raise not_found("Feature flag", key, "ফিচার ফ্ল্যাগ")
    return flag


async def list_flags(session: AsyncSession, page: PageRequest) -> Page[FlagOut]:
    flags = await FlagRepository(session).page(page)
    overrides = await OverrideRepository(session).for_flags([flag.key for flag in flags.items])
    return Page[FlagOut](
        items=[_flag_out(flag, overrides.get(flag.key)) for flag in flags.items], next_cursor=flags.next_cursor
    )


async def get_flag(session: AsyncSession, key: str) -> FlagOut:
    flag = await _flag_or_404(session, key)
    return _flag_out(flag, await OverrideRepository(session).by_flag(key))


def _record_flag_change(
    session: AsyncSession,
    *,
    flag: FeatureFlag,
    kind: Literal["flag", "override"],
    action: Literal["created", "updated", "override_set", "override_removed"],
    changes: dict[str, FieldChange],
    tenant_id: uuid.UUID | None,
    version: int,
    actor: uuid.UUID | None,
) -> None:
    old_value: str | None
    new_value: str | None
    history_action: str
    if kind == "flag":
        old = {name: change.old for name, change in changes.items()}
        new = {name: change.new for name, change in changes.items()}
        old_value = None if action == "created" else dump_json(old)
        new_value = dump_json(new)
        history_action = action
    else:
        before, after = changes["enabled"].old, changes["enabled"].new
        old_value = None if before is None else dump_json(before)
        new_value = None if after is None else dump_json(after)
        history_action = "set" if action == "override_set" else "removed"
    HistoryRepository(session).add(
        ChangeRecord(
            tenant_id=tenant_id,
            kind=kind,
            key=flag.key,
            action=history_action,
            old_value=old_value,
            new_value=new_value,
            version=version,
            actor=actor,
        )
    )
    payload = FlagUpdated(
        flag_key=flag.key, action=action, changes=changes, tenant_id=tenant_id, version=version, actor=actor
    )
    actor_text = str(actor) if actor else None
    record_event(
        session,
        FLAG_UPDATED,
        payload,
        subject=flag.key,
        tenant_id=tenant_id,
        actor=actor_text,
        platform_wide=tenant_id is None,
    )
    after_commit(session, metrics.FLAG_CHANGES.labels(action).inc)


def _changes(pairs: Iterable[tuple[str, Any, Any]]) -> dict[str, FieldChange]:
    return {name: FieldChange(old=old, new=new) for name, old, new in pairs if old != new}


async def create_flag(session: AsyncSession, data: FlagCreate, *, actor: uuid.UUID | None = None) -> FlagOut:
    """Create a platform-wide flag; answer with its state for the current tenant."""
    flag = await add_flag(session, data, actor=actor)
    return _flag_out(flag, None)  # a new flag has no overrides yet


async def add_flag(session: AsyncSession, data: FlagCreate, *, actor: uuid.UUID | None = None) -> FeatureFlag:
    """Create a platform-wide flag (needs no tenant in context: the seed uses it as the system)."""
    repository = FlagRepository(session)
    if await repository.by_key(data.key) is not None:
        raise _flag_exists(data.key)
    flag = repository.add(
        FeatureFlag(
            key=data.key,
            description=data.description,
            description_bn=data.description_bn,
            enabled=data.enabled,
            rollout_percentage=data.rollout_percentage,
            updated_by=actor,
        )
    )
    try:
        await session.flush()
    except IntegrityError:
        raise _flag_exists(data.key) from None
    changes = {name: FieldChange(old=None, new=getattr(flag, name)) for name in FLAG_FIELDS}
    _record_flag_change(
        session,
        flag=flag,
        kind="flag",
        action="created",
        changes=changes,
        tenant_id=None,
        version=flag.version,
        actor=actor,
    )
    return flag


def _flag_exists(key: str) -> AppError:
    return AppError(
        409,
        "flag_exists",
        f"A feature flag with key {key} already exists",
        f"{key} কী-এর একটি ফিচার ফ্ল্যাগ আগে থেকেই আছে",
    )


async def patch_flag(
    session: AsyncSession, key: str, patch: FlagPatch, *, actor: uuid.UUID | None = None, field_prefix: str = "body"
) -> FlagOut:
    """Change a flag's description, state or rollout (platform-wide)."""
    given = patch.model_fields_set - {"expected_version"}
    for name in ("description", "enabled", "rollout_percentage"):
        if name in given and getattr(patch, name) is None:
            raise invalid_field(f"{field_prefix}.{name}", "must not be null", "ফাঁকা (null) হতে পারে না")
    flag = await _flag_or_404(session, key)
    check_version(f"Feature flag {key}", patch.expected_version, flag.version)
    changes = _changes((name, getattr(flag, name), getattr(patch, name)) for name in FLAG_FIELDS if name in given)
    if changes:
        current = flag.version
        for name, change in changes.items():
            setattr(flag, name, change.new)
        flag.updated_by = actor
        await _flush_versioned(session, f"Feature flag {key}", current)
        _record_flag_change(
            session,
            flag=flag,
            kind="flag",
            action="updated",
            changes=changes,
            tenant_id=None,
            version=flag.version,
            actor=actor,
        )
    return _flag_out(flag, await OverrideRepository(session).by_flag(key))


async def set_override(
    session: AsyncSession, key: str, enabled: bool, *, actor: uuid.UUID | None = None
) -> OverrideOut:
    """Turn a flag on or off for the current tenant, whatever its state and rollout."""
    flag = await _flag_or_404(session, key)
    repository = OverrideRepository(session)
    override = await repository.by_flag(key)
    previous = override.enabled if override is not None else None
    if override is None:
        override = repository.add(FlagOverride(flag_key=key, enabled=enabled, updated_by=actor))
    elif override.enabled != enabled:
        override.enabled = enabled
        override.updated_by = actor
    if previous != enabled:
        await _flush_versioned(session, f"Override of {key}", override.version or 0)
        _record_flag_change(
            session,
            flag=flag,
            kind="override",
            action="override_set",
            changes={"enabled": FieldChange(old=previous, new=enabled)},
            tenant_id=require_tenant_id(),
            version=override.version,
            actor=actor,
        )
    return OverrideOut(
        flag_key=key,
        enabled=override.enabled,
        version=override.version,
        updated_at=override.updated_at,
        updated_by=override.updated_by,
    )


async def remove_override(session: AsyncSession, key: str, *, actor: uuid.UUID | None = None) -> None:
    """Drop the current tenant's override (the flag's state and rollout decide again)."""
    flag = await _flag_or_404(session, key)
    repository = OverrideRepository(session)
    override = await repository.by_flag(key)
    if override is None:
        return
    previous, version = override.enabled, override.version
    await repository.delete(override)
    await _flush_versioned(session, f"Override of {key}", version)
    _record_flag_change(
        session,
        flag=flag,
        kind="override",
        action="override_removed",
        changes={"enabled": FieldChange(old=previous, new=None)},
        tenant_id=require_tenant_id(),
        version=version,
        actor=actor,
    )


async def evaluate(session: AsyncSession, key: str, subject: str | None = None) -> FlagEvaluationOut:
    flag = await _flag_or_404(session, key)
    override = await OverrideRepository(session).by_flag(key)
    result = evaluate_flag(
        flag.key,
        enabled=flag.enabled,
        rollout_percentage=flag.rollout_percentage,
        override=override.enabled if override is not None else None,
        tenant_id=require_tenant_id(),
        subject=subject,
    )
    metrics.FLAG_EVALUATIONS.labels(flag.key, result.reason).inc()
    return result


# --- history -------------------------------------------------------------------------------------


def _change_out(record: ChangeRecord) -> ChangeOut:
    return ChangeOut(
        id=record.id,
        kind=record.kind,
        key=record.key,
        action=record.action,
        old_value=load_json(record.old_value),
        new_value=load_json(record.new_value),
        version=record.version,
        actor=record.actor,
        changed_at=record.changed_at,
        tenant_id=record.tenant_id,
    )


async def history(
    session: AsyncSession, page: PageRequest, *, key: str | None = None, kind: str | None = None
) -> Page[ChangeOut]:
    """Changes visible to the current tenant (its settings and overrides, platform flags), newest first."""
    records = await HistoryRepository(session).page(page, key=key, kind=kind)
    return Page[ChangeOut](items=[_change_out(record) for record in records.items], next_cursor=records.next_cursor)
