"""Fixtures of the organization tests: a provisioned tenant to act in."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.conftest import Platform

from vextrus.kit.events.models import OutboxEvent

BASE = "/api/v1/organizations"
PROVISION = ("platform.tenant.provision",)
PLATFORM_READ = ("platform.tenant.read",)
PLATFORM_MANAGE = ("platform.tenant.manage", "platform.tenant.read")


def slug_for(tenant: uuid.UUID, prefix: str = "t") -> str:
    return f"{prefix}-{tenant.hex[:16]}"


@dataclass
class Org:
    """A provisioned tenant: its first company and its administrator."""

    platform: Platform
    tenant_id: uuid.UUID
    slug: str
    admin_id: uuid.UUID
    company_id: uuid.UUID

    @property
    def client(self) -> httpx.AsyncClient:
        return self.platform.client

    def headers(self, permissions: Iterable[str] = ("*",), subject: uuid.UUID | None = None) -> dict[str, str]:
        return self.platform.headers(self.tenant_id, permissions, subject=subject or self.admin_id)

    def operator(self, permissions: Iterable[str] = PLATFORM_MANAGE) -> dict[str, str]:
        """A platform operator (its token's tenant is irrelevant to the routes it calls)."""
        return self.platform.headers(uuid.uuid4(), permissions)

    async def set_plan(self, plan: str, **limits: int) -> dict[str, Any]:
        response = await self.client.put(
            f"{BASE}/tenants/{self.tenant_id}/plan", json={"plan": plan, **limits}, headers=self.operator()
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def post(self, path: str, body: dict[str, Any], permissions: Iterable[str] = ("*",)) -> httpx.Response:
        return await self.client.post(BASE + path, json=body, headers=self.headers(permissions))

    async def create(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.post(path, body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


async def provision(
    platform: Platform,
    tenant: uuid.UUID,
    *,
    slug: str | None = None,
    admin: uuid.UUID | None = None,
    name: str = "Meghna Builders Ltd.",
    **extra: Any,
) -> Org:
    admin = admin or uuid.uuid4()
    slug = slug or slug_for(tenant)
    body = {"tenant_id": str(tenant), "name": name, "slug": slug, "admin_user_id": str(admin), **extra}
    response = await platform.client.post(
        f"{BASE}/tenants/provision", json=body, headers=platform.headers(tenant, PROVISION)
    )
    assert response.status_code == 201, response.text
    return Org(platform, tenant, slug, admin, uuid.UUID(response.json()["company"]["id"]))


@pytest.fixture
async def org(platform: Platform, tenant: uuid.UUID) -> Org:
    """The test's tenant, provisioned on the trial plan."""
    return await provision(platform, tenant)


@pytest.fixture
async def big_org(org: Org) -> Org:
    """The test's tenant on the business plan (10 companies, 100 users)."""
    await org.set_plan("business")
    return org


async def outbox(
    platform: Platform, topic: str, predicate: Callable[[dict[str, Any]], bool] = lambda _: True
) -> list[dict[str, Any]]:
    """Envelopes of ``topic`` in the outbox matching ``predicate``, oldest first."""
    async with platform.runtime.database.transaction() as session:
        rows = (await session.execute(select(OutboxEvent).where(OutboxEvent.topic == topic))).scalars().all()
    envelopes = [json.loads(row.envelope) for row in rows]
    return sorted((item for item in envelopes if predicate(item)), key=lambda item: item["time"])


@pytest.fixture
def provisioner(platform: Platform) -> Callable[..., Any]:
    """``await provisioner(tenant, slug=..., admin=...)`` provisions another tenant."""

    async def make(tenant: uuid.UUID, **kwargs: Any) -> Org:
        return await provision(platform, tenant, **kwargs)

    return make


@pytest.fixture
def events(platform: Platform) -> Callable[..., Any]:
    """``await events(topic, predicate)``: matching envelopes in the outbox, oldest first."""

    async def find(topic: str, predicate: Callable[[dict[str, Any]], bool] = lambda _: True) -> list[dict[str, Any]]:
        return await outbox(platform, topic, predicate)

    return find
