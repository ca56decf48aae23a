"""Uploads through the API: streamed, checked by content, deduplicated, limited per kind and per
tenant; downloads with Bengali names intact. Every test runs on SQLite and PostgreSQL, with local
storage and with S3."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from files_support import (
    BASE,
    FilesApp,
    chunked,
    disposition_filename,
    pdf,
    png,
    problem,
    spool_leftovers,
    stored_objects,
    windows_program,
    xlsx,
)


async def usage(files: FilesApp, tenant: uuid.UUID) -> dict[str, object]:
    response = await files.client.get(f"{BASE}/usage", headers=files.headers(tenant))
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_a_bengali_named_pdf_round_trips(files: FilesApp, tenant: uuid.UUID) -> None:
    content = pdf("Mushak 6.3")
    name = "কর চালানপত্র (মূসক-৬.৩) নং ১২৩.pdf"
    response = await files.upload(tenant, content, name, "application/pdf")
    assert response.status_code == 201, response.text
    stored = response.json()
    assert response.headers["location"] == f"{BASE}/{stored['id']}"
    assert stored["name"] == name
    assert (stored["content_type"], stored["kind"], stored["size"]) == ("application/pdf", "pdf", len(content))
    assert stored["sha256"] == hashlib.sha256(content).hexdigest()
    assert (stored["version"], stored["deduplicated"], stored["deleted_at"]) == (1, False, None)

    download = await files.client.get(f"{BASE}/{stored['id']}/content", headers=files.headers(tenant))
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["etag"] == f'"{stored["sha256"]}"'
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert disposition_filename(disposition) == name

    inline = await files.client.get(
        f"{BASE}/{stored['id']}/content", params={"disposition": "inline"}, headers=files.headers(tenant)
    )
    assert inline.headers["content-disposition"].startswith("inline;")
    assert stored_objects(files, tenant) == [f"{tenant}/{stored['sha256'][:2]}/{stored['sha256']}"]


async def test_the_body_is_streamed_in_chunks(files: FilesApp, tenant: uuid.UUID) -> None:
    content = pdf("big") + b"%" + bytes(range(256)) * (3 * 4096)  # ~3 MiB after a PDF header
    response = await files.upload(tenant, chunked(content), "drawings.pdf", "application/pdf")
    assert response.status_code == 201, response.text
    assert response.json()["size"] == len(content)
    download = await files.client.get(f"{BASE}/{response.json()['id']}/content", headers=files.headers(tenant))
    assert hashlib.sha256(download.content).hexdigest() == hashlib.sha256(content).hexdigest()


async def test_the_same_content_is_stored_once(files: FilesApp, tenant: uuid.UUID) -> None:
    content = png()
    first = (await files.upload(tenant, content, "site-1.png", "image/png")).json()
    second = (await files.upload(tenant, content, "site-1 copy.png", "image/png")).json()
    assert first["id"] != second["id"]
    assert (first["deduplicated"], second["deduplicated"]) == (False, True)
    assert first["sha256"] == second["sha256"]
    used = await usage(files, tenant)
    assert (used["used_bytes"], used["blob_count"], used["file_count"]) == (len(content), 1, 2)
    assert len(stored_objects(files, tenant)) == 1
    # another tenant's identical upload is its own content (no cross-tenant dedupe)
    other = uuid.uuid4()
    assert (await files.upload(other, content, "x.png", "image/png")).json()["deduplicated"] is False


@pytest.mark.parametrize(
    ("content", "name", "declared", "status", "code"),
    [
        (windows_program(), "invoice.pdf", "application/pdf", 415, "executable_refused"),
        (windows_program() + b"\x00" * 20_000, "invoice.pdf", "application/pdf", 415, "executable_refused"),
        (png(), "scan.pdf", "application/pdf", 415, "type_mismatch"),
        (pdf(), "payload.exe", "application/pdf", 415, "dangerous_extension"),
        (b"<svg onload=alert(1)>", "logo.txt", "text/plain", 415, "active_content_refused"),
        (b"", "empty.txt", "text/plain", 422, "empty_file"),
    ],
)
async def test_refused_uploads_store_nothing(
    files: FilesApp, tenant: uuid.UUID, content: bytes, name: str, declared: str, status: int, code: str
) -> None:
    response = await files.upload(tenant, content, name, declared, headers=files.headers(tenant, ["files.file.*"]))
    assert response.status_code == status, response.text
    body = problem(response)
    assert body["code"] == code
    assert body["errors"][0]["field"] in ("body", "query.name")
    listing = await files.client.get(BASE, headers=files.headers(tenant))
    assert listing.json()["items"] == []
    assert (await usage(files, tenant))["used_bytes"] == 0
    assert stored_objects(files, tenant) == []


async def test_bengali_reasons_for_refusals(files: FilesApp, tenant: uuid.UUID) -> None:
    response = await files.upload(
        tenant,
        windows_program(),
        "bill.pdf",
        "application/pdf",
        headers={**files.headers(tenant), "Accept-Language": "bn"},
    )
    body = problem(response)
    assert body["title"] == "প্রোগ্রাম গ্রহণ করা হয় না"
    assert "প্রোগ্রাম" in body["errors"][0]["reason"]


def operator(files: FilesApp) -> dict[str, str]:
    return files.headers(uuid.uuid4(), ["platform.files.manage"])


async def test_size_limits_per_tenant_and_kind(files: FilesApp, tenant: uuid.UUID) -> None:
    limits = {"max_file_bytes": 50_000, "kind_limits": {"image": 2_000}}
    set_limits = await files.client.put(f"{BASE}/tenants/{tenant}/limits", json=limits, headers=operator(files))
    assert set_limits.status_code == 200, set_limits.text
    assert set_limits.json()["kind_limits"]["image"] == 2_000
    big_image = png(200, 200, (1, 2, 3)) + b"\x00" * 3_000
    too_big = await files.upload(tenant, big_image, "photo.png", "image/png")
    assert too_big.status_code == 413
    assert problem(too_big)["code"] == "file_too_large"
    # the same size is fine as a PDF (the tenant's general limit)
    assert (await files.upload(tenant, pdf() + b"\x00" * 3_000, "doc.pdf", "application/pdf")).status_code == 201
    # a body over the limit is cut off while streaming, even without Content-Length
    huge = await files.upload(tenant, chunked(pdf() + b"\x00" * 200_000, 8192), "huge.pdf", "application/pdf")
    assert huge.status_code == 413
    assert spool_leftovers(files) == []  # nothing left behind
    usage_now = await usage(files, tenant)
    assert usage_now["limits"] == {
        "quota_bytes": 10 * 1024**3,
        "max_file_bytes": 50_000,
        "kind_limits": {"image": 2_000, "text": 25 * 1024**2},
        "retention_days": 30,
    }


async def test_the_quota_counts_distinct_content(files: FilesApp, tenant: uuid.UUID) -> None:
    first, second = pdf("one") + b"\x00" * 500, pdf("two") + b"\x00" * 500
    response = await files.client.put(
        f"{BASE}/tenants/{tenant}/limits", json={"quota_bytes": len(first) + 100}, headers=operator(files)
    )
    assert response.status_code == 200
    assert (await files.upload(tenant, first, "a.pdf", "application/pdf")).status_code == 201
    assert (await files.upload(tenant, first, "a-again.pdf", "application/pdf")).status_code == 201  # dedupe: free
    over = await files.upload(tenant, second, "b.pdf", "application/pdf")
    assert over.status_code == 413
    assert problem(over)["code"] == "quota_exceeded"
    used = await usage(files, tenant)
    assert (used["used_bytes"], used["file_count"]) == (len(first), 2)
    assert len(stored_objects(files, tenant)) == 1  # the refused content was not kept


async def test_only_operators_set_limits(files: FilesApp, tenant: uuid.UUID) -> None:
    response = await files.client.put(
        f"{BASE}/tenants/{tenant}/limits", json={"quota_bytes": 10**15}, headers=files.headers(tenant, ["*"])
    )
    assert response.status_code == 403
    invalid = await files.client.put(
        f"{BASE}/tenants/{tenant}/limits", json={"kind_limits": {"video": 1}}, headers=operator(files)
    )
    assert invalid.status_code == 422


async def test_office_files_are_recognised_inside_their_zip(files: FilesApp, tenant: uuid.UUID) -> None:
    response = await files.upload(tenant, xlsx(), "BOQ ফেজ-১.xlsx", "application/octet-stream")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["content_type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert body["kind"] == "office"
    download = await files.client.get(
        f"{BASE}/{body['id']}/content", params={"disposition": "inline"}, headers=files.headers(tenant)
    )
    assert download.headers["content-disposition"].startswith("attachment;")  # never inline for office files


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"name": ""}, "query.name"),
        ({"name": "x.pdf", "entity_type": "finance.invoice"}, "query.entity_id"),
        ({"name": "x.pdf", "entity_type": "Bad Type", "entity_id": "1"}, "query.entity_type"),
        ({"name": "..."}, "query.name"),
    ],
)
async def test_bad_upload_parameters_are_422(
    files: FilesApp, tenant: uuid.UUID, params: dict[str, str], field: str
) -> None:
    response = await files.client.post(
        BASE, params=params, content=pdf(), headers={**files.headers(tenant), "Content-Type": "application/pdf"}
    )
    assert response.status_code == 422, response.text
    assert field in [item["field"] for item in problem(response)["errors"]]
