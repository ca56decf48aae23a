"""Large documents render in the background: the request answers 202 at once, the worker renders,
stores and records the document; a failing job is retried, then marked failed (with an event) and
can be queued again. Events announce every rendered document."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from documents_support import BASE, SYNC_MAX_ROWS, Docs, is_a4, page_sizes, pdf_text
from sqlalchemy import select

from vextrus.kit.events.models import OutboxEvent
from vextrus.services.documents.builtins import BUILTINS


async def events_of(docs: Docs, tenant: uuid.UUID) -> list[dict[str, Any]]:
    async with docs.runtime.database.transaction() as session:
        rows = (await session.execute(select(OutboxEvent).where(OutboxEvent.service == "documents"))).scalars().all()
    found = [json.loads(row.envelope) for row in rows]
    return sorted([item for item in found if item["tenantid"] == str(tenant)], key=lambda item: item["time"])


async def test_a_large_statement_is_rendered_in_the_background(docs: Docs, tenant: uuid.UUID, tmp_path: Path) -> None:
    entries = SYNC_MAX_ROWS * 3
    data = BUILTINS["customer-statement"].example(entries=entries)
    response = await docs.render(
        tenant,
        {"template": "customer-statement", "data": data, "entity_type": "crm.customer", "entity_id": "C-0042"},
    )
    assert response.status_code == 202, response.text
    queued = response.json()
    assert (queued["status"], queued["mode"], queued["file_id"], queued["link"]) == ("queued", "async", None, None)
    assert response.headers["location"] == f"{BASE}/{queued['id']}"

    done = await docs.wait_done(tenant, queued["id"])
    assert done["status"] == "done", done
    assert done["attempts"] == 1
    assert done["pages"] >= 2
    link = await docs.client.post(f"{BASE}/{queued['id']}/link", headers=docs.headers(tenant))
    assert link.status_code == 200
    path = tmp_path / "statement.pdf"
    path.write_bytes((await docs.download(link.json()["url"])).content)
    assert all(is_a4(size) for size in page_sizes(path))
    assert len(page_sizes(path)) == done["pages"]
    assert f"INV-{entries - 1:05d}" in pdf_text(path) or f"MR-{entries - 1:05d}" in pdf_text(path)

    # the output is in file storage, attached to the entity the request named
    files = await docs.client.get(
        "/api/v1/files", params={"entity_type": "crm.customer", "entity_id": "C-0042"}, headers=docs.headers(tenant)
    )
    assert [item["id"] for item in files.json()["items"]] == [done["file_id"]]

    (event,) = [item for item in await events_of(docs, tenant) if item["type"] == "documents.document.rendered"]
    assert event["subject"] == queued["id"]
    assert event["data"]["file_id"] == done["file_id"]
    assert event["data"]["template"] == "customer-statement"
    assert event["data"]["entity_id"] == "C-0042"


async def test_async_can_be_asked_for_small_documents_too(docs: Docs, tenant: uuid.UUID) -> None:
    response = await docs.render(
        tenant, {"template": "mushak-6.7", "data": BUILTINS["mushak-6.7"].example(), "mode": "async"}
    )
    assert response.status_code == 202
    done = await docs.wait_done(tenant, response.json()["id"])
    assert (done["status"], done["reference"]) == ("done", "MBL/CN/2025-26/000017")


async def test_a_failing_background_render_is_retried_then_failed_then_queued_again(
    docs: Docs, tenant: uuid.UUID
) -> None:
    headers = docs.headers(tenant)
    template = {"key": "flaky-letter", "name": "Letter", "body": "<p>{{ data.amount / data.divisor }}</p>"}
    assert (await docs.client.post(f"{BASE}/templates", json=template, headers=headers)).status_code == 201
    response = await docs.render(
        tenant, {"template": "flaky-letter", "data": {"amount": 10, "divisor": 0}, "mode": "async"}
    )
    assert response.status_code == 202
    failed = await docs.wait_done(tenant, response.json()["id"])
    assert (failed["status"], failed["error_code"]) == ("failed", "template_error")
    assert "ZeroDivisionError" in failed["error_detail"]
    assert failed["attempts"] == 1  # a template error cannot heal by itself: no second attempt
    types = [item["type"] for item in await events_of(docs, tenant)]
    assert "documents.document.failed" in types

    # the template is fixed (a new version); the document is queued again and renders
    template["body"] = "<p>{{ data.amount }}</p>"
    assert (await docs.client.post(f"{BASE}/templates", json=template, headers=headers)).status_code == 201
    retry = await docs.client.post(f"{BASE}/{failed['id']}/retry", headers=headers)
    assert retry.status_code == 200
    still_v1 = await docs.wait_done(tenant, failed["id"])
    assert still_v1["template_version"] == 1  # a document keeps the version it was asked with
    assert still_v1["status"] == "failed"
    again = await docs.render(tenant, {"template": "flaky-letter", "data": {"amount": 10}, "mode": "async"})
    assert (await docs.wait_done(tenant, again.json()["id"]))["status"] == "done"
    not_failed = await docs.client.post(f"{BASE}/{again.json()['id']}/retry", headers=headers)
    assert not_failed.status_code == 409
