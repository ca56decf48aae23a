"""The trail: events of other services recorded once each, the query API, entity history, CSV
export and GraphQL, on both databases."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

from audit_support import BASE, TOPIC, deliver, envelope, events, until_recorded, verify

from vextrus.kit.service import load_registry


async def test_the_audit_service_consumes_every_topic_of_the_registry(platform) -> None:
    audit = next(service for service in platform.runtime.services if service.name == "audit")
    consumed = {consumer.topic for consumer in audit.consumes}
    assert consumed == set(load_registry().topics())
    assert {"platform.access.denied", TOPIC} <= consumed


async def test_an_event_of_another_service_is_recorded_once_with_its_context(platform, tenant) -> None:
    user = uuid.uuid4()
    headers = platform.headers(tenant, ("configuration.*",), subject=user)
    response = await platform.client.put(
        "/api/v1/configuration/settings/vat.withholding_entity", json={"value": True}, headers=headers
    )
    assert response.status_code == 200, response.text
    [record] = await until_recorded(platform, tenant, 1, type=TOPIC)
    assert record["seq"] == 1
    assert record["actor"] == str(user)
    assert record["source"] == "/vextrus/configuration"
    assert record["entity_type"] == "configuration.setting"
    assert record["entity_id"] == record["subject"]
    assert record["payload"]["key"] == "vat.withholding_entity"
    assert record["prev_hash"] == "0" * 64
    assert len(record["hash"]) == 64
    # delivered again (a replay, a duplicate on the bus): no second record
    await platform.runtime.relay.drain()
    assert len((await events(platform, tenant))["items"]) == 1
    history = await platform.client.get(
        f"{BASE}/entities/configuration.setting/{record['entity_id']}", headers=platform.headers(tenant, ("audit.*",))
    )
    assert [item["id"] for item in history.json()["items"]] == [record["id"]]
    report = await verify(platform, tenant)
    assert report["ok"] is True
    assert report["records_checked"] == 1
    assert report["last_seq"] == 1


async def test_duplicate_deliveries_leave_one_record(platform, tenant) -> None:
    event = envelope(tenant)
    await deliver(platform, event, event, event)
    assert len((await events(platform, tenant))["items"]) == 1


async def test_filters_and_keyset_pagination(platform, tenant) -> None:
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    start = dt.datetime(2026, 1, 1, 10, tzinfo=dt.UTC)
    items = [
        envelope(tenant, actor=alice if i % 2 == 0 else bob, subject=f"s-{i % 3}", time=start + dt.timedelta(hours=i))
        for i in range(9)
    ]
    items.append(envelope(tenant, topic="files.file.uploaded", subject="f-1", actor=alice, data={"name": "boq.pdf"}))
    await deliver(platform, *items)

    assert len((await events(platform, tenant, actor=alice))["items"]) == 6
    assert len((await events(platform, tenant, type="files.file.uploaded"))["items"]) == 1
    assert len((await events(platform, tenant, subject="s-1"))["items"]) == 3
    assert len((await events(platform, tenant, entity_type="configuration.setting", entity_id="s-2"))["items"]) == 3
    window = await events(platform, tenant, **{"from": "2026-01-01T12:00:00Z", "to": "2026-01-01T15:00:00+00:00"})
    assert [item["seq"] for item in window["items"]] == [5, 4, 3]

    seen: list[int] = []
    cursor = None
    while True:
        page = await events(platform, tenant, limit=4, **({"cursor": cursor} if cursor else {}))
        seen.extend(item["seq"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(range(10, 0, -1))


async def test_bad_queries_answer_422_and_other_tenants_404(platform, tenant) -> None:
    headers = platform.headers(tenant, ("audit.*",))
    cases = [
        {"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
        {"from": "2026-01-01T00:00:00"},  # no timezone
        {"cursor": "not-a-cursor"},
        {"type": "Not A Topic"},
        {"entity_type": "customer"},
        {"limit": 0},
    ]
    for params in cases:
        response = await platform.client.get(f"{BASE}/events", params=params, headers=headers)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    bad_entity = await platform.client.get(f"{BASE}/entities/NOPE/1", headers=headers)
    assert bad_entity.status_code == 422

    other = uuid.uuid4()
    await deliver(platform, envelope(other))
    [foreign] = (await events(platform, other))["items"]
    response = await platform.client.get(f"{BASE}/events/{foreign['id']}", headers=headers)
    assert response.status_code == 404
    assert (await events(platform, tenant))["items"] == []


async def test_reading_needs_the_permission(platform, tenant) -> None:
    headers = platform.headers(tenant, ("files.file.read",))
    for path in ("/events", "/verify", "/export", "/retention"):
        assert (await platform.client.get(f"{BASE}{path}", headers=headers)).status_code == 403
    assert (await platform.client.get(f"{BASE}/events")).status_code == 401


async def test_csv_export_streams_every_matching_record(platform, tenant) -> None:
    batch = [envelope(tenant, subject=f"s-{i}", data={"name": f"রড {i}", "note": 'a,"b"\nc'}) for i in range(25)]
    await deliver(platform, *batch)
    response = await platform.client.get(
        f"{BASE}/export", params={"type": TOPIC}, headers=platform.headers(tenant, ("audit.event.export",))
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [int(row["seq"]) for row in rows] == list(range(1, 26))
    assert rows[3]["payload"] == '{"name":"রড 3","note":"a,\\"b\\"\\nc"}'
    assert rows[1]["prev_hash"] == rows[0]["hash"]


async def test_graphql_lists_and_resolves_audit_events(platform, tenant) -> None:
    await deliver(platform, envelope(tenant, subject="g-1"), envelope(tenant, subject="g-2"))
    headers = platform.headers(tenant, ("audit.*",))
    query = "{ auditEvents(limit: 1) { items { id seq type entityId payload } nextCursor } auditChain { ok lastSeq } }"
    response = await platform.client.post("/graphql", json={"query": query}, headers=headers)
    data = response.json()["data"]
    [item] = data["auditEvents"]["items"]
    assert item["seq"] == 2
    assert item["entityId"] == "g-2"
    assert item["payload"]["key"] == "vat.withholding_entity"
    assert data["auditEvents"]["nextCursor"]
    assert data["auditChain"] == {"ok": True, "lastSeq": 2}
    lookup = "query($reps: [_Any!]!) { _entities(representations: $reps) { ... on AuditEvent { id seq } } }"
    variables = {"reps": [{"__typename": "AuditEvent", "id": item["id"]}]}
    found = await platform.client.post("/graphql", json={"query": lookup, "variables": variables}, headers=headers)
    assert found.json()["data"]["_entities"] == [{"id": item["id"], "seq": 2}]
    denied = await platform.client.post("/graphql", json={"query": query}, headers=platform.headers(tenant, ("x.y.z",)))
    assert denied.json()["errors"][0]["extensions"]["code"] == "forbidden"


async def test_events_without_tenant_go_to_the_platform_chain(platform, tenant) -> None:
    item = envelope(tenant, topic="configuration.flag.updated", subject=f"flag-{uuid.uuid4().hex[:6]}")
    platform_wide = item.model_copy(update={"tenantid": None})
    await deliver(platform, platform_wide)
    assert (await events(platform, tenant))["items"] == []
    nil = uuid.UUID(int=0)
    found = await events(platform, nil, subject=platform_wide.subject)
    assert [record["event_id"] for record in found["items"]] == [platform_wide.id]


async def test_the_demo_seed_is_idempotent_and_chains(platform) -> None:
    from vextrus.demo import demo_id
    from vextrus.kit.service import SeedContext

    audit = next(service for service in platform.runtime.services if service.name == "audit")
    assert audit.seed is not None
    meghna = demo_id("tenant", "meghna-group")
    for _ in range(2):
        await audit.seed(SeedContext(platform.runtime))
    logins = (await events(platform, meghna, type="auth.user.login"))["items"]
    seeded = [item for item in logins if item["payload"].get("ip", "").startswith("103.4.145.")]
    assert len(seeded) == 2
    denied = (await events(platform, meghna, type="platform.access.denied"))["items"]
    assert any(item["payload"]["permission"] == "finance.invoice.post" for item in denied)
    assert (await verify(platform, meghna))["ok"] is True
    retention = await platform.client.get(f"{BASE}/retention", headers=platform.headers(meghna, ("audit.*",)))
    assert retention.json() == {"retention_days": 2557, "default": False, "updated_at": retention.json()["updated_at"]}


async def test_metrics_count_events_by_type_and_time_verification(platform, tenant) -> None:
    await deliver(platform, envelope(tenant, topic="files.file.uploaded", subject="m-1", data={"name": "x.pdf"}))
    await verify(platform, tenant)
    denied = await platform.client.get(f"{BASE}/verify", headers=platform.headers(tenant, ("audit.event.read",)))
    assert denied.status_code == 403
    text = (await platform.client.get("/metrics")).text
    assert 'audit_events_total{type="files.file.uploaded"}' in text
    assert "audit_chain_verify_duration_seconds_count" in text
    assert 'access_denials_total{reason="missing_permission"}' in text
