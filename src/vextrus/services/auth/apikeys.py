"""API keys for integrations: shown once, stored as their sha256, scoped to a subset of the
creator's permissions and companies, expiring, revocable.

Every service accepts ``Authorization: ApiKey <key>``: the kit asks ``introspect`` here (and caches
the answer briefly). A key stops working when it expires, is revoked, or its creator is
deactivated.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.errors import AppError, FieldError, invalid_field, not_found
from vextrus.kit.events import record_event
from vextrus.kit.models import utcnow
from vextrus.kit.pagination import Page, PageRequest
from vextrus.kit.service import Topic
from vextrus.kit.tenancy import Principal, cross_tenant
from vextrus.services.auth import metrics
from vextrus.services.auth.core import Auth, catalogue_keys, permission_not_held
from vextrus.services.auth.events import API_KEY_CREATED, API_KEY_REVOKED, ApiKeyChanged
from vextrus.services.auth.models import ApiKey, User
from vextrus.services.auth.rbac import covers, expand, is_glob, permission_problem
from vextrus.services.auth.repository import ApiKeyRepository, api_key_by_hash
from vextrus.services.auth.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut, IntrospectOut
from vextrus.services.auth.tokens import API_KEY, digest, looks_like, new_secret

LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def api_key_out(key: ApiKey, now: dt.datetime) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        permissions=list(key.permissions or ()),
        company_ids=[uuid.UUID(str(item)) for item in key.company_ids or ()],
        created_by=key.created_by,
        created_at=key.created_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        last_used_at=key.last_used_at,
        active=key.revoked_at is None and key.expires_at > now,
    )


def _scope(principal: Principal, patterns: list[str]) -> list[str]:
    """The key's permissions: each must be valid and held by the creator (platform ones only when
    held explicitly); inner-wildcard patterns are expanded now."""
    catalogue = catalogue_keys()
    errors = []
    granted: set[str] = set()
    for index, pattern in enumerate(patterns):
        field = f"body.permissions[{index}]"
        problem = permission_problem(pattern, catalogue)
        if problem is not None and not (problem[0] == "platform_permission" and principal.has(pattern)):
            code, reason, reason_bn = problem
            errors.append(FieldError(field, code, reason, reason_bn))
            continue
        if not covers(principal.has, pattern, catalogue):
            raise permission_not_held(pattern, field)
        granted.update(expand([pattern], catalogue) if is_glob(pattern) else [pattern])
    if errors:
        raise AppError(
            422,
            "validation_failed",
            "; ".join(item.reason for item in errors),
            "; ".join(item.reason_bn or item.reason for item in errors),
            errors=errors,
        )
    return sorted(granted)


async def create_api_key(auth: Auth, session: AsyncSession, principal: Principal, data: ApiKeyCreate) -> ApiKeyCreated:
    now = utcnow()
    permissions = _scope(principal, data.permissions)
    if data.company_ids is None:
        companies = list(principal.company_ids)
    else:
        companies = list(dict.fromkeys(data.company_ids))
        for index, company in enumerate(companies):
            if not principal.may_act_in(company):
                raise invalid_field(
                    f"body.company_ids[{index}]",
                    "you are not a member of this company",
                    "আপনি এই কোম্পানির সদস্য নন",
                    code="not_a_member",
                )
    longest = now + dt.timedelta(days=auth.settings.api_key_max_ttl_days)
    expires_at = data.expires_at or longest
    if expires_at <= now:
        raise invalid_field("body.expires_at", "must be in the future", "ভবিষ্যতের সময় হতে হবে")
    if expires_at > longest:
        days = auth.settings.api_key_max_ttl_days
        raise invalid_field("body.expires_at", f"may be at most {days} days away", f"সর্বোচ্চ {days} দিন পরের হতে পারে")
    secret = new_secret(API_KEY)
    key = ApiKeyRepository(session).add(
        ApiKey(
            name=data.name,
            prefix=secret[:12],
            key_hash=digest(secret),
            permissions=permissions,
            company_ids=[str(company) for company in companies],
            created_by=principal.subject,
            created_at=now,
            expires_at=expires_at.astimezone(dt.UTC),
        )
    )
    await session.flush()
    _record(session, API_KEY_CREATED, key, principal.subject)
    return ApiKeyCreated(**api_key_out(key, now).model_dump(), key=secret)


def _record(session: AsyncSession, topic: Topic, key: ApiKey, actor: uuid.UUID) -> None:
    record_event(
        session,
        topic,
        ApiKeyChanged(
            api_key_id=key.id,
            tenant_id=key.tenant_id,
            name=key.name,
            prefix=key.prefix,
            permissions=list(key.permissions or ()),
            expires_at=key.expires_at,
            actor=actor,
        ),
        subject=key.id,
    )


async def list_api_keys(session: AsyncSession, page: PageRequest) -> Page[ApiKeyOut]:
    now = utcnow()
    keys = await ApiKeyRepository(session).page(page)
    return Page[ApiKeyOut](items=[api_key_out(key, now) for key in keys.items], next_cursor=keys.next_cursor)


async def revoke_api_key(session: AsyncSession, principal: Principal, key_id: uuid.UUID) -> ApiKeyOut:
    key = await ApiKeyRepository(session).get(key_id)
    if key is None:
        raise not_found("API key", key_id, "API কী")
    now = utcnow()
    if key.revoked_at is None:
        key.revoked_at = now
        await session.flush()
        _record(session, API_KEY_REVOKED, key, principal.subject)
    return api_key_out(key, now)


async def introspect(auth: Auth, secret: str) -> IntrospectOut:
    """What a presented key may do, or ``active: false`` (for any reason, which is not told)."""
    inactive = IntrospectOut(active=False)
    if not looks_like(secret, API_KEY):
        metrics.API_KEY_INTROSPECTIONS.labels("inactive").inc()
        return inactive
    now = utcnow()
    with cross_tenant():
        async with auth.runtime.database.transaction() as session:
            key = await api_key_by_hash(session, digest(secret))
            creator = await session.get(User, key.created_by) if key is not None else None
            usable = (
                key is not None
                and key.revoked_at is None
                and key.expires_at > now
                and (creator is None or (creator.tenant_id == key.tenant_id and creator.status == "active"))
            )
            if (
                usable
                and key is not None
                and (key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION)
            ):
                key.last_used_at = now
    if not usable or key is None:
        metrics.API_KEY_INTROSPECTIONS.labels("inactive").inc()
        return inactive
    metrics.API_KEY_INTROSPECTIONS.labels("active").inc()
    return IntrospectOut(
        active=True,
        subject=key.id,
        tenant_id=key.tenant_id,
        permissions=list(key.permissions or ()),
        roles=["api-key"],
        company_ids=[uuid.UUID(str(item)) for item in key.company_ids or ()],
        expires_at=key.expires_at,
    )
