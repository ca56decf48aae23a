"""Access denials reported by the kit (``platform.access.denied``) reach the trail: the first of a
kind at once, a flood coalesced into counts, never a 500, never lost when the database fails."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from audit_support import BASE, events, until_recorded
from sqlalchemy import select
from tests.conftest import TEST_SERVICE_SETTINGS

from vextrus.kit.app import build_app
from vextrus.kit.db import Database
from vextrus.kit.events.denials import Denial, DenialRecorder
from vextrus.kit.events.models import OutboxEvent
from vextrus.kit.runtime import Runtime
from vextrus.kit.service import Service

DENIED = "platform.access.denied"
FORGED = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"  # a JWT signed by no key we know


async def _denial_rows(platform, tenant: uuid.UUID | None, route: str) -> list[dict[str, object]]:
    async with platform.runtime.database.transaction() as session:
        rows = (await session.execute(select(OutboxEvent).where(OutboxEvent.topic == DENIED))).scalars().all()
    found = [json.loads(row.envelope) for row in rows]
    wanted = None if tenant is None else str(tenant)
    return [item for item in found if item["tenantid"] == wanted and item["data"]["route"] == route]


async def test_a_missing_permission_is_audited_with_who_what_and_why(platform, tenant) -> None:
    user = uuid.uuid4()
    response = await platform.client.get(
        "/api/v1/files/usage", headers=platform.headers(tenant, ("audit.event.read",), subject=user)
    )
    assert response.status_code == 403
    [record] = await until_recorded(platform, tenant, 1, type=DENIED)
    assert record["actor"] == str(user)
    assert record["subject"] == str(user)
    assert record["entity_type"] == "platform.access"
    payload = record["payload"]
    assert payload["reason"] == "missing_permission"
    assert payload["permission"] == "files.usage.read"
    assert (payload["method"], payload["route"], payload["count"]) == ("GET", "/api/v1/files/usage", 1)


async def test_a_flood_of_denials_is_coalesced_and_stays_a_403(platform, tenant) -> None:
    headers = platform.headers(tenant, ("audit.event.read",))
    for _ in range(60):
        response = await platform.client.get(f"{BASE}/retention", headers=headers)
        assert response.status_code == 403
    await platform.runtime.denials.flush()  # the end of the window
    rows = await _denial_rows(platform, tenant, f"{BASE}/retention")
    assert len(rows) == 2  # the first at once, the 59 repeats as one event
    assert sorted(row["data"]["count"] for row in rows) == [1, 59]
    records = await until_recorded(platform, tenant, 2, type=DENIED)
    assert sum(record["payload"]["count"] for record in records) == 60


@pytest.fixture
async def audit_alone(platform) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    """The audit service served alone on the platform's database (distributed mode: no gateway edge
    in front, so the kit's own token verification refuses bad tokens)."""
    app = build_app([_audit(platform)], platform.runtime.settings, service_settings=TEST_SERVICE_SETTINGS)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://audit.test") as client:
            yield client, app.state.runtime
    finally:
        await app.state.runtime.database.dispose()


def _audit(platform) -> Service:
    return next(service for service in platform.runtime.services if service.name == "audit")


async def test_rejected_tokens_are_audited(platform, tenant, audit_alone) -> None:
    client, runtime = audit_alone
    user = uuid.uuid4()
    expired = platform.token(tenant, ("audit.*",), subject=user, ttl_seconds=-120)
    response = await client.get(f"{BASE}/verify", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    # written by the audit process (outbox, owner "platform"), relayed and recorded by the platform
    [record] = await until_recorded(platform, tenant, 1, type=DENIED)
    assert record["payload"]["reason"] == "token_expired"
    assert record["actor"] == str(user)
    assert record["payload"]["service"] == "audit"

    for token, reason in (("not-a-jwt", "token_invalid"), (FORGED, "token_unknown_key")):
        response = await client.get(f"{BASE}/export", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
        await runtime.denials.flush()
        rows = await _denial_rows(platform, None, f"{BASE}/export")  # no verified tenant: platform-wide
        assert any(row["data"]["reason"] == reason and row["subject"] == "anonymous" for row in rows), reason


async def test_the_gateway_edge_reports_bad_tokens_which_are_audited(platform, tenant) -> None:
    response = await platform.client.get(f"{BASE}/events", headers={"Authorization": f"Bearer {FORGED}"})
    assert response.status_code == 401
    for _ in range(100):
        await platform.runtime.relay.drain()
        found = (await events(platform, uuid.UUID(int=0), type="gateway.auth.failed"))["items"]
        if found:
            break
        await asyncio.sleep(0.05)
    assert found
    assert found[0]["payload"]["route"]


async def test_a_failing_database_never_raises_and_keeps_the_counts() -> None:
    broken = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none", ["platform"])
    recorder = DenialRecorder(broken, immediate_per_window=1)
    try:
        denial = Denial("missing_permission", "GET", "/api/v1/x", "gateway", uuid.uuid4(), "u", "x.y.z")
        for _ in range(3):
            await recorder.report(denial)  # must not raise
        assert await recorder.flush() == 0  # written nowhere: kept for the next window
        assert await recorder.flush() == 0
    finally:
        await broken.dispose()
