"""The hash chain: its canonical form, verification finding the first broken link, the database
refusing to change records (raw SQL as the application role), concurrent appends, and retention
(archive, checkpoint, purge) keeping the chain verifiable."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid

import pytest
from audit_support import BASE, deliver, envelope, events, verify
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from vextrus.kit.tenancy import acting_as
from vextrus.services.audit.chain import GENESIS, ChainFields, ChainWalker, canonical_json

FIXED = ChainFields(
    tenant_id=uuid.UUID("11111111-2222-3333-4444-555555555555"),
    seq=1,
    prev_hash=GENESIS,
    id=uuid.UUID("01934f2a-0000-7000-8000-000000000001"),
    event_id="01934f2a-0000-7000-8000-0000000000aa",
    type="master-data.customer.created",
    source="/vextrus/master-data",
    actor="farhana",
    subject="c-1",
    entity_type="master-data.customer",
    entity_id="c-1",
    occurred_at=dt.datetime(2026, 11, 25, 4, 30, tzinfo=dt.UTC),
    recorded_at=dt.datetime(2026, 11, 25, 10, 30, 0, 123456, tzinfo=dt.timezone(dt.timedelta(hours=6))),
    trace=None,
    payload=canonical_json({"name": "মেঘনা", "amount": "1250000.00"}),
)


def test_canonical_serialization_is_exactly_as_documented() -> None:
    assert FIXED.canonical() == (
        '{"actor":"farhana","entity_id":"c-1","entity_type":"master-data.customer",'
        '"event_id":"01934f2a-0000-7000-8000-0000000000aa","id":"01934f2a-0000-7000-8000-000000000001",'
        '"occurred_at":"2026-11-25T04:30:00.000000Z",'
        '"payload":"{\\"amount\\":\\"1250000.00\\",\\"name\\":\\"মেঘনা\\"}",'
        f'"prev_hash":"{GENESIS}","recorded_at":"2026-11-25T04:30:00.123456Z","seq":1,'
        '"source":"/vextrus/master-data","subject":"c-1","tenant_id":"11111111-2222-3333-4444-555555555555",'
        '"trace":null,"type":"master-data.customer.created","v":1}'
    )
    assert FIXED.digest() == hashlib.sha256(FIXED.canonical().encode()).hexdigest()


@pytest.mark.parametrize(
    ("change", "reason", "at"),
    [
        ({}, None, None),
        ({"payload": '{"amount":"9.00"}'}, "hash_mismatch", 2),
        ({"prev_hash": "f" * 64}, "prev_hash_mismatch", 2),
        ({"seq": 3}, "gap", 2),
    ],
)
def test_the_walker_reports_the_first_broken_link(
    change: dict[str, object], reason: str | None, at: int | None
) -> None:
    first = FIXED
    second = ChainFields(**{**FIXED.__dict__, "seq": 2, "prev_hash": first.digest(), "id": uuid.uuid4()})

    class Row:
        def __init__(self, fields: ChainFields, **override: object) -> None:
            self.__dict__.update(fields.__dict__)
            self.hash = fields.digest()
            self.__dict__.update(override)

    walker = ChainWalker(GENESIS, 1)
    for row in (Row(first), Row(second, **change)):
        walker.feed(row)
    assert (walker.broken.reason if walker.broken else None) == reason
    assert (walker.broken.seq if walker.broken else None) == at


def _table(platform) -> str:
    return "audit.au_records" if platform.backend == "postgresql" else "au_records"


async def _raw(platform, acting: uuid.UUID, sql: str, **params: object) -> None:
    """Raw SQL through the platform's own connection: on PostgreSQL the application role
    (NOSUPERUSER NOBYPASSRLS) the services run as."""
    with acting_as(tenant_id=acting):
        async with platform.runtime.database.transaction() as session:
            await session.execute(text(sql), params)


async def test_the_database_refuses_update_delete_and_truncate(platform, tenant) -> None:
    await deliver(platform, envelope(tenant, subject="a"), envelope(tenant, subject="b"))
    table = _table(platform)
    for statement in (
        f"UPDATE {table} SET payload = '{{}}' WHERE tenant_id = :tenant",
        f"UPDATE {table} SET actor = 'someone-else' WHERE tenant_id = :tenant AND seq = 2",
        f"DELETE FROM {table} WHERE tenant_id = :tenant AND seq = 2",
        f"DELETE FROM {table} WHERE tenant_id = :tenant",
    ):
        param = uuid.UUID(str(tenant)).hex if platform.backend == "sqlite" else tenant
        with pytest.raises(DBAPIError) as refused:
            await _raw(platform, tenant, statement, tenant=param)
        assert "append-only" in str(refused.value) or "permission denied" in str(refused.value)
    if platform.backend == "postgresql":
        with pytest.raises(DBAPIError):
            await _raw(platform, tenant, f"TRUNCATE {table}")
        async with platform.runtime.database.engine.connect() as connection:
            role = (await connection.execute(text("SELECT current_user"))).scalar_one()
        assert role == "vextrus_app_test"
    report = await verify(platform, tenant)
    assert report["ok"] is True
    assert report["records_checked"] == 2


async def test_verify_reports_the_first_forged_record(platform, tenant) -> None:
    """An attacker with the database role can still INSERT: a forged record (and a head moved to
    it) is found by verification, at the first broken link."""
    await deliver(platform, *(envelope(tenant, subject=f"s-{i}") for i in range(3)))
    [last, *_] = (await events(platform, tenant))["items"]
    table = _table(platform)
    forged_id = uuid.uuid4()
    tenant_param = tenant.hex if platform.backend == "sqlite" else tenant
    id_param = forged_id.hex if platform.backend == "sqlite" else forged_id
    heads = "audit.au_chain_heads" if platform.backend == "postgresql" else "au_chain_heads"
    await _raw(
        platform,
        tenant,
        f"INSERT INTO {table} (id, tenant_id, seq, event_id, type, source, occurred_at, recorded_at, payload, "
        "prev_hash, hash) VALUES (:id, :tenant, 4, 'forged', 'finance.invoice.posted', '/vextrus/finance', "
        ":at, :at, '{}', :prev, :hash)",
        id=id_param,
        tenant=tenant_param,
        at=dt.datetime.now(dt.UTC),
        prev=last["hash"],
        hash="e" * 64,
    )
    await _raw(platform, tenant, f"UPDATE {heads} SET last_seq = 4, last_hash = :hash WHERE tenant_id = :tenant",
               hash="e" * 64, tenant=tenant_param)  # fmt: skip
    report = await verify(platform, tenant)
    assert report["ok"] is False
    assert report["records_checked"] == 3
    assert report["broken"]["seq"] == 4
    assert report["broken"]["reason"] == "hash_mismatch"
    assert report["broken"]["record_id"] == str(forged_id)


async def test_concurrent_appends_in_one_tenant_do_not_fork_the_chain(platform, tenant) -> None:
    batch = [envelope(tenant, subject=f"c-{i}") for i in range(24)]
    await deliver(platform, *batch, concurrently=True)
    items = (await events(platform, tenant, limit=100))["items"]
    assert sorted(item["seq"] for item in items) == list(range(1, 25))
    assert len({item["prev_hash"] for item in items}) == 24  # no two records share a parent
    report = await verify(platform, tenant)
    assert report["ok"] is True
    assert report["records_checked"] == 24


async def test_retention_archives_checkpoints_and_purges_keeping_the_chain_verifiable(platform, tenant) -> None:
    headers = platform.headers(tenant, ("audit.*", "files.file.read"))
    default = await platform.client.get(f"{BASE}/retention", headers=headers)
    assert default.json()["retention_days"] == 2557
    assert default.json()["default"] is True
    too_short = await platform.client.put(f"{BASE}/retention", json={"retention_days": 30}, headers=headers)
    assert too_short.status_code == 422
    assert too_short.json()["errors"][0]["field"] == "body.retention_days"
    assert (await platform.client.put(f"{BASE}/retention", json={"retention_days": 365}, headers=headers)).is_success

    now = dt.datetime.now(dt.UTC)
    old = [envelope(tenant, subject=f"old-{i}", time=now - dt.timedelta(days=800 - i)) for i in range(3)]
    recent = [envelope(tenant, subject=f"new-{i}", time=now - dt.timedelta(days=10)) for i in range(2)]
    late_old = envelope(tenant, subject="late", time=now - dt.timedelta(days=900))  # after a recent one
    await deliver(platform, *old, *recent, late_old)
    before = {item["seq"]: item for item in (await events(platform, tenant))["items"]}

    response = await platform.client.post(f"{BASE}/retention/purge", headers=headers)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["purged"] == 3
    assert len(result["archives"]) == 1
    assert len(result["checkpoint_seqs"]) == 1

    # the archive's upload is itself an event (files.file.uploaded), audited like any other
    remaining = [item for item in (await events(platform, tenant))["items"] if not item["type"].startswith("files.")]
    [checkpoint] = [item for item in remaining if item["type"] == "audit.chain.checkpoint"]
    assert checkpoint["seq"] == result["checkpoint_seqs"][0]
    assert sorted(item["seq"] for item in remaining if item is not checkpoint) == [4, 5, 6]  # prefix only
    assert checkpoint["payload"]["purged_through_seq"] == 3
    assert checkpoint["payload"]["purged_through_hash"] == before[3]["hash"]
    report = await verify(platform, tenant)
    assert report["ok"] is True
    assert report["first_seq"] == 4
    assert report["starts_after_checkpoint"] is True

    archive = await platform.client.get(f"/api/v1/files/{result['archives'][0]}/content", headers=headers)
    assert archive.status_code == 200
    assert hashlib.sha256(archive.content).hexdigest() == checkpoint["payload"]["archive_sha256"]
    document = json.loads(archive.content)
    assert [record["seq"] for record in document["records"]] == [1, 2, 3]
    assert [record["hash"] for record in document["records"]] == [before[seq]["hash"] for seq in (1, 2, 3)]
    fields = {key: value for key, value in document["records"][1].items() if key != "hash"}
    assert hashlib.sha256(canonical_json(fields).encode()).hexdigest() == before[2]["hash"]

    # the purge covered seq 1..3 only: the rest is still refused by the database
    table = _table(platform)
    param = tenant.hex if platform.backend == "sqlite" else tenant
    with pytest.raises(DBAPIError):
        await _raw(platform, tenant, f"DELETE FROM {table} WHERE tenant_id = :tenant AND seq = 4", tenant=param)
    again = await platform.client.post(f"{BASE}/retention/purge", headers=headers)
    assert again.json()["purged"] == 0
