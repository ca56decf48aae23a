"""Versions, renaming, soft delete, restore, retention and purge; the events each change records."""

from __future__ import annotations

import json
import uuid
from typing import Any

from files_support import BASE, FilesApp, pdf, png, problem, stored_objects
from sqlalchemy import select

from vextrus.kit.events.models import OutboxEvent


async def events_of(files: FilesApp, tenant: uuid.UUID) -> list[dict[str, Any]]:
    async with files.runtime.database.transaction() as session:
        rows = (await session.execute(select(OutboxEvent).where(OutboxEvent.service == "files"))).scalars().all()
    found = [json.loads(row.envelope) for row in rows]
    return sorted([item for item in found if item["tenantid"] == str(tenant)], key=lambda item: item["time"])


async def test_versions_keep_every_content(files: FilesApp, tenant: uuid.UUID) -> None:
    headers = files.headers(tenant)
    first = (await files.upload(tenant, pdf("rev A"), "নকশা.pdf", "application/pdf")).json()
    url = f"{BASE}/{first['id']}"

    second = await files.client.post(
        f"{url}/versions",
        params={"name": "নকশা (সংশোধিত).pdf"},
        content=pdf("rev B"),
        headers={**headers, "Content-Type": "application/pdf"},
    )
    assert second.status_code == 201, second.text
    assert (second.json()["id"], second.json()["version"]) == (first["id"], 2)
    same_again = await files.client.post(
        f"{url}/versions",
        params={"name": "নকশা (সংশোধিত).pdf"},
        content=pdf("rev B"),
        headers={**headers, "Content-Type": "application/pdf"},
    )
    assert (same_again.json()["version"], same_again.json()["deduplicated"]) == (2, True)  # no empty version
    wrong_type = await files.client.post(
        f"{url}/versions", params={"name": "নকশা.pdf"}, content=png(), headers={**headers, "Content-Type": "image/png"}
    )
    assert wrong_type.status_code == 415

    versions = (await files.client.get(f"{url}/versions", headers=headers)).json()["items"]
    assert [(item["number"], item["name"]) for item in versions] == [(2, "নকশা (সংশোধিত).pdf"), (1, "নকশা.pdf")]
    current = await files.client.get(f"{url}/content", headers=headers)
    old = await files.client.get(f"{url}/content", params={"version": 1}, headers=headers)
    missing = await files.client.get(f"{url}/content", params={"version": 3}, headers=headers)
    assert (current.content, old.content, missing.status_code) == (pdf("rev B"), pdf("rev A"), 404)
    assert len(stored_objects(files, tenant)) == 2


async def test_rename_keeps_the_content_type_honest(files: FilesApp, tenant: uuid.UUID) -> None:
    headers = files.headers(tenant)
    stored = (await files.upload(tenant, pdf(), "scan.pdf", "application/pdf")).json()
    renamed = await files.client.patch(f"{BASE}/{stored['id']}", json={"name": "চালান ১২.pdf"}, headers=headers)
    assert (renamed.status_code, renamed.json()["name"]) == (200, "চালান ১২.pdf")
    for bad in ("photo.png", "run.exe"):
        refused = await files.client.patch(f"{BASE}/{stored['id']}", json={"name": bad}, headers=headers)
        assert refused.status_code == 422
        assert problem(refused)["errors"][0]["field"] == "body.name"


async def test_delete_restore_and_purge_after_retention(files: FilesApp, tenant: uuid.UUID) -> None:
    headers = files.headers(tenant)
    kept = (await files.upload(tenant, pdf("kept"), "kept.pdf", "application/pdf")).json()
    shared = (await files.upload(tenant, png(), "photo.png", "image/png")).json()
    copy = (await files.upload(tenant, png(), "photo copy.png", "image/png")).json()
    doomed = (await files.upload(tenant, pdf("old"), "old.pdf", "application/pdf")).json()

    assert (await files.client.delete(f"{BASE}/{doomed['id']}", headers=headers)).status_code == 204
    assert (await files.client.delete(f"{BASE}/{doomed['id']}", headers=headers)).status_code == 204  # idempotent
    assert (await files.client.delete(f"{BASE}/{copy['id']}", headers=headers)).status_code == 204
    listed = (await files.client.get(BASE, headers=headers)).json()["items"]
    assert {item["id"] for item in listed} == {kept["id"], shared["id"]}
    everything = (await files.client.get(BASE, params={"include_deleted": True}, headers=headers)).json()["items"]
    assert len(everything) == 4
    deleted = (await files.client.get(f"{BASE}/{doomed['id']}", headers=headers)).json()
    assert deleted["deleted_at"] is not None
    assert deleted["purge_after"] > deleted["deleted_at"]
    assert (await files.client.get(f"{BASE}/{doomed['id']}/content", headers=headers)).status_code == 404
    assert (await files.client.post(f"{BASE}/{doomed['id']}/link", headers=headers)).status_code == 404

    restored = await files.client.post(f"{BASE}/{copy['id']}/restore", headers=headers)
    assert (restored.status_code, restored.json()["deleted_at"]) == (200, None)
    assert (await files.client.delete(f"{BASE}/{copy['id']}", headers=headers)).status_code == 204

    # within retention nothing is purged
    nothing = await files.client.post(f"{BASE}/purge", headers=headers)
    assert nothing.json() == {"purged_files": 0, "freed_bytes": 0}
    assert len(stored_objects(files, tenant)) == 3

    # the operator shortens the tenant's retention to zero days: files deleted from now on may go at once
    operator = files.headers(uuid.uuid4(), ["platform.files.manage"])
    await files.client.put(f"{BASE}/tenants/{tenant}/limits", json={"retention_days": 0}, headers=operator)
    for item in (doomed, copy):
        await files.client.post(f"{BASE}/{item['id']}/restore", headers=headers)
        await files.client.delete(f"{BASE}/{item['id']}", headers=headers)
    purged = await files.client.post(f"{BASE}/purge", headers=headers)
    assert purged.json() == {"purged_files": 2, "freed_bytes": len(pdf("old"))}  # the photo is still used by `shared`
    assert (await files.client.get(f"{BASE}/{doomed['id']}", headers=headers)).status_code == 404
    usage = (await files.client.get(f"{BASE}/usage", headers=headers)).json()
    assert (usage["used_bytes"], usage["file_count"], usage["deleted_file_count"]) == (
        len(pdf("kept")) + len(png()),
        2,
        0,
    )
    assert len(stored_objects(files, tenant)) == 2

    types = [item["type"] for item in await events_of(files, tenant)]
    assert types.count("files.file.uploaded") == 4
    assert types.count("files.file.deleted") == 5  # deleting an already deleted file recorded nothing
    assert types.count("files.file.restored") == 3
    assert types.count("files.file.purged") == 2


async def test_uploaded_event_carries_the_file(files: FilesApp, tenant: uuid.UUID) -> None:
    actor = uuid.uuid4()
    headers = files.headers(tenant, subject=actor)
    stored = (
        await files.upload(
            tenant,
            pdf("e"),
            "বিল.pdf",
            "application/pdf",
            entity=("finance.invoice", "INV-2025-26-000123"),
            headers=headers,
        )
    ).json()
    (event,) = [item for item in await events_of(files, tenant) if item["type"] == "files.file.uploaded"]
    assert (event["subject"], event["actor"], event["source"]) == (stored["id"], str(actor), "/vextrus/files")
    assert event["data"] == {
        "tenant_id": str(tenant),
        "file_id": stored["id"],
        "version": 1,
        "name": "বিল.pdf",
        "content_type": "application/pdf",
        "kind": "pdf",
        "size": stored["size"],
        "sha256": stored["sha256"],
        "deduplicated": False,
        "attachments": [{"entity_type": "finance.invoice", "entity_id": "INV-2025-26-000123"}],
        "actor": str(actor),
    }
