"""On a real Kafka-protocol broker (tansu), as in distributed mode: the configuration service and
the audit service run as two processes' apps on one database; an event of the configuration
service crosses the broker and is recorded in the audit trail exactly once, even when the broker
carries it twice."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from audit_support import BASE, TOPIC
from sqlalchemy.engine import make_url
from tests.conftest import APP_ROLE, PostgresServer, make_settings, migrate, service_settings_for
from tests.kafka_broker import KafkaBroker, eventually, kafka_test_settings

from vextrus.kit.app import build_app
from vextrus.kit.events.transport import topic_specs
from vextrus.kit.service import Registry
from vextrus.kit.tenancy import Principal


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_an_event_of_another_service_crosses_the_broker_into_the_trail_once(
    backend: str, request: pytest.FixtureRequest, registry: Registry, kafka_broker: KafkaBroker, tmp_path: Path
) -> None:
    kafka_broker.create_topics(topic_specs(registry))  # every registered topic: the audit group reads them all
    services = Registry([registry.get("configuration"), registry.get("audit")])
    server: PostgresServer | None = None
    if backend == "sqlite":
        url = app_url = f"sqlite+aiosqlite:///{tmp_path / 'distributed.db'}"
        await migrate(url, services)
    else:
        server = request.getfixturevalue("postgres_server")
        url = await server.create("vextrus_audit_kafka")
        await server.ensure_app_role()
        await migrate(url, services, app_role=APP_ROLE)
        app_url = make_url(url).set(username=APP_ROLE).render_as_string(hide_password=False)
    overrides = {**kafka_test_settings(kafka_broker), "kafka_group_prefix": f"audit-test-{uuid.uuid4().hex[:8]}"}
    settings = make_settings(app_url, tmp_path, **overrides)
    extra = service_settings_for(tmp_path)
    configuration = build_app([registry.get("configuration")], settings, service_settings=extra)
    audit = build_app([registry.get("audit")], settings, service_settings=extra)
    tenant, user = uuid.uuid4(), uuid.uuid4()
    try:
        async with configuration.router.lifespan_context(configuration), audit.router.lifespan_context(audit):
            issuer = configuration.state.runtime.issuer

            def headers(*permissions: str) -> dict[str, str]:
                principal = Principal(subject=user, tenant_id=tenant, permissions=frozenset(permissions))
                return {"Authorization": f"Bearer {issuer.issue(principal)}"}

            async with (
                httpx.AsyncClient(transport=httpx.ASGITransport(configuration), base_url="http://c") as config_client,
                httpx.AsyncClient(transport=httpx.ASGITransport(audit), base_url="http://a") as audit_client,
            ):
                changed = await config_client.put(
                    "/api/v1/configuration/settings/vat.withholding_entity",
                    json={"value": True},
                    headers=headers("configuration.*"),
                )
                assert changed.status_code == 200, changed.text

                async def recorded() -> list[dict[str, object]]:
                    response = await audit_client.get(
                        f"{BASE}/events", params={"type": TOPIC}, headers=headers("audit.*")
                    )
                    items: list[dict[str, object]] = response.json()["items"]
                    return items

                await eventually(recorded, within=60)
                [record] = await recorded()
                assert record["actor"] == str(user)

                # the broker carries the same event again (a relay that died after the broker's ack);
                # the next change of the same setting has the same key, so it arrives after the copy
                [original] = [
                    message
                    for message in kafka_broker.messages(TOPIC)
                    if message.headers.get("ce_id") == record["event_id"]
                ]
                kafka_broker.produce(TOPIC, original.key, original.value, original.headers)
                marker = await config_client.put(
                    "/api/v1/configuration/settings/vat.withholding_entity",
                    json={"value": False},
                    headers=headers("configuration.*"),
                )
                assert marker.status_code == 200
                await eventually(lambda: _count(recorded, 2), within=60)
                items = await recorded()
                assert len(items) == 2
                assert len({item["event_id"] for item in items}) == 2
                verified = await audit_client.get(f"{BASE}/verify", headers=headers("audit.*"))
                assert verified.json()["ok"] is True
                assert verified.json()["records_checked"] == 2
    finally:
        if server is not None:
            await server.drop(url)


async def _count(recorded, expected: int) -> bool:  # type: ignore[no-untyped-def]
    return len(await recorded()) >= expected
