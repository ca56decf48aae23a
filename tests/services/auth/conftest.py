"""Fixtures of the auth tests: organisations signed up through the public API, and extra apps
(same database, other auth settings) for the behaviours that depend on settings."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.conftest import TEST_SERVICE_SETTINGS, Platform, make_settings

from vextrus.kit.app import build_app
from vextrus.kit.events.models import OutboxEvent
from vextrus.kit.service import load_registry

BASE = "/api/v1/auth"
PASSWORD = "Correct-Horse-Battery-9"


@dataclass
class Account:
    """A signed-up organisation and its first administrator."""

    tenant_id: uuid.UUID
    company_id: uuid.UUID
    slug: str
    user_id: uuid.UUID
    email: str
    password: str
    tokens: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}


SignUp = Callable[..., Awaitable[Account]]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def sign_up(platform: Platform) -> SignUp:
    async def run(
        client: httpx.AsyncClient | None = None,
        *,
        email: str | None = None,
        password: str = PASSWORD,
        name: str = "Meghna Test Builders",
    ) -> Account:
        slug = unique("org")
        email = email or f"{unique('admin')}@example.com.bd"
        response = await (client or platform.client).post(
            f"{BASE}/signup",
            json={
                "organization": {"name": name, "slug": slug},
                "user": {"email": email, "password": password, "full_name": "Farhana Rahman"},
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        return Account(
            tenant_id=uuid.UUID(body["tenant"]["id"]),
            company_id=uuid.UUID(body["company_id"]),
            slug=slug,
            user_id=uuid.UUID(body["user"]["id"]),
            email=email,
            password=password,
            tokens=body["tokens"],
        )

    return run


async def outbox_events(platform: Platform, topic: str, **match: Any) -> list[dict[str, Any]]:
    """Envelopes of ``topic`` in the outbox whose data has the given values, oldest first."""
    async with platform.runtime.database.transaction() as session:
        rows = (await session.execute(select(OutboxEvent).where(OutboxEvent.topic == topic))).scalars().all()
    envelopes = [json.loads(row.envelope) for row in rows]
    found = [item for item in envelopes if all(item["data"].get(key) == value for key, value in match.items())]
    return sorted(found, key=lambda item: item["time"])


@pytest.fixture
def outbox(platform: Platform) -> Callable[..., Awaitable[list[dict[str, Any]]]]:
    async def run(topic: str, **match: Any) -> list[dict[str, Any]]:
        return await outbox_events(platform, topic, **match)

    return run


AppFactory = Callable[..., AbstractAsyncContextManager[tuple[httpx.AsyncClient, Any]]]


@pytest.fixture
def auth_app(platform: Platform, tmp_path: Path) -> AppFactory:
    """Another app on the platform's database with other auth settings (``**settings``)."""

    @asynccontextmanager
    async def build(
        key_dir: Path | None = None, **auth_settings: object
    ) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
        overrides: Mapping[str, Mapping[str, object]] = {
            **TEST_SERVICE_SETTINGS,
            "auth": {**TEST_SERVICE_SETTINGS["auth"], **auth_settings},
        }
        settings = make_settings(platform.runtime.settings.database_url, key_dir or platform_key_dir(platform))
        app = build_app(list(load_registry()), settings, service_settings=overrides)
        # Started without an outbox relay of its own: the platform's relay delivers what this app
        # records (and the kit's relay.stop() can hang on Python 3.11, see the auth report).
        runtime = app.state.runtime
        await runtime.transport.start()
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app, raise_app_exceptions=False), base_url="http://other.test"
            ) as client:
                yield client, app
        finally:
            await runtime.clients.close()
            await runtime.transport.stop()
            await runtime.cache.close()
            await runtime.database.dispose()

    return build


def platform_key_dir(platform: Platform) -> Path:
    return platform.runtime.settings.signing_key_path.parent


@dataclass
class Member:
    user_id: uuid.UUID
    email: str
    password: str


AddUser = Callable[..., Awaitable[Member]]


@pytest.fixture
def add_user(platform: Platform) -> AddUser:
    """Invite a user into ``account``'s organisation and accept the invitation (a working login)."""

    async def run(account: Account, roles: tuple[str, ...] = (), *, password: str = PASSWORD) -> Member:
        email = f"{unique('member')}@example.com.bd"
        invited = await platform.client.post(
            f"{BASE}/users/invite",
            json={"email": email, "full_name": "Shirin Akter", "roles": list(roles)},
            headers=account.headers,
        )
        assert invited.status_code == 201, invited.text
        user_id = invited.json()["id"]
        events = await outbox_events(platform, "auth.user.invited", user_id=user_id)
        token = events[-1]["data"]["invitation_token"]
        accepted = await platform.client.post(f"{BASE}/invitations/accept", json={"token": token, "password": password})
        assert accepted.status_code == 204, accepted.text
        return Member(uuid.UUID(user_id), email, password)

    return run


async def sign_in(client: httpx.AsyncClient, email: str, password: str, tenant: str | None = None) -> httpx.Response:
    body: dict[str, str] = {"email": email, "password": password}
    if tenant is not None:
        body["tenant"] = tenant
    return await client.post(f"{BASE}/login", json=body)


AddCompany = Callable[..., Awaitable[uuid.UUID]]


@pytest.fixture
def add_company(platform: Platform) -> AddCompany:
    """A second company in ``account``'s organisation (through the organization API) with members."""

    async def run(account: Account, members: tuple[uuid.UUID, ...] = (), code: str = "KRN") -> uuid.UUID:
        operator = platform.headers(uuid.UUID(int=0), ("platform.tenant.manage",))
        plan = await platform.client.put(
            f"/api/v1/organizations/tenants/{account.tenant_id}/plan", json={"plan": "enterprise"}, headers=operator
        )
        assert plan.status_code == 200, plan.text
        created = await platform.client.post(
            "/api/v1/organizations/companies",
            json={"code": code, "name": "Karnaphuli Ready-Mix Concrete Ltd."},
            headers=account.headers,
        )
        assert created.status_code == 201, created.text
        company_id = created.json()["id"]
        for user_id in members:
            added = await platform.client.post(
                f"/api/v1/organizations/companies/{company_id}/members",
                json={"user_id": str(user_id)},
                headers=account.headers,
            )
            assert added.status_code == 201, added.text
        return uuid.UUID(company_id)

    return run
