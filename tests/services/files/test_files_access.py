"""Attachments to entities, signed download links (service-signed and S3 presigned), permissions,
and tenant isolation: another tenant's file is a 404 everywhere and stays unchanged."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
from files_support import BASE, URL_SECRET, FilesApp, disposition_filename, pdf, png, problem

from vextrus.services.files.signing import LinkClaims, sign


async def test_files_attach_to_any_entity_and_list_by_it(files: FilesApp, tenant: uuid.UUID) -> None:
    headers = files.headers(tenant)
    invoice = ("finance.invoice", str(uuid.uuid4()))
    site = ("projects.site", "SITE-GULSHAN-01")
    bill = (await files.upload(tenant, pdf("bill"), "bill.pdf", "application/pdf", entity=invoice)).json()
    photo = (await files.upload(tenant, png(), "site.png", "image/png", entity=site)).json()
    await files.upload(tenant, pdf("other"), "other.pdf", "application/pdf")

    attached = await files.client.post(
        f"{BASE}/{photo['id']}/attachments", json={"entity_type": invoice[0], "entity_id": invoice[1]}, headers=headers
    )
    assert attached.status_code == 201
    again = await files.client.post(
        f"{BASE}/{photo['id']}/attachments", json={"entity_type": invoice[0], "entity_id": invoice[1]}, headers=headers
    )
    assert again.status_code == 200
    assert len(again.json()["attachments"]) == 2

    def listing(entity_type: str, entity_id: str | None = None) -> dict[str, str]:
        return {"entity_type": entity_type} | ({"entity_id": entity_id} if entity_id else {})

    by_invoice = (await files.client.get(BASE, params=listing(*invoice), headers=headers)).json()["items"]
    assert {item["id"] for item in by_invoice} == {bill["id"], photo["id"]}
    by_site = (await files.client.get(BASE, params=listing(*site), headers=headers)).json()["items"]
    assert [item["id"] for item in by_site] == [photo["id"]]
    all_sites = (await files.client.get(BASE, params=listing("projects.site"), headers=headers)).json()["items"]
    assert [item["id"] for item in all_sites] == [photo["id"]]
    only_id = await files.client.get(BASE, params={"entity_id": "x"}, headers=headers)
    assert only_id.status_code == 422

    link_id = next(item["id"] for item in attached.json()["attachments"] if item["entity_type"] == invoice[0])
    assert (
        await files.client.delete(f"{BASE}/{photo['id']}/attachments/{link_id}", headers=headers)
    ).status_code == 204
    by_invoice = (await files.client.get(BASE, params=listing(*invoice), headers=headers)).json()["items"]
    assert [item["id"] for item in by_invoice] == [bill["id"]]


async def test_listing_pages_with_a_cursor(files: FilesApp, tenant: uuid.UUID) -> None:
    ids = [(await files.upload(tenant, pdf(str(n)), f"{n}.pdf", "application/pdf")).json()["id"] for n in range(5)]
    headers = files.headers(tenant)
    first = (await files.client.get(BASE, params={"limit": 3}, headers=headers)).json()
    second = (await files.client.get(BASE, params={"limit": 3, "cursor": first["next_cursor"]}, headers=headers)).json()
    assert [item["id"] for item in first["items"] + second["items"]] == list(reversed(ids))
    assert second["next_cursor"] is None


async def test_a_signed_link_downloads_without_a_token(files: FilesApp, tenant: uuid.UUID) -> None:
    content = pdf("link")
    name = "মূসক-৬.৩ চালান.pdf"
    stored = (await files.upload(tenant, content, name, "application/pdf")).json()
    response = await files.client.post(
        f"{BASE}/{stored['id']}/link",
        json={"expires_in": 120, "disposition": "inline"},
        headers=files.headers(tenant, ["files.file.read"]),
    )
    assert response.status_code == 200, response.text
    link = response.json()
    assert link["version"] == 1
    assert 100 <= _seconds_until(link["expires_at"]) <= 121
    if files.storage == "s3":
        assert link["direct"] is True
        assert link["url"].startswith(files.s3_endpoint or "")
        async with httpx.AsyncClient() as outside:
            download = await outside.get(link["url"])
    else:
        assert link["direct"] is False
        assert link["url"].startswith(f"{BASE}/signed/")
        download = await files.client.get(link["url"])  # no Authorization header
    assert download.status_code == 200, download.text
    assert download.content == content
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("inline;")
    assert disposition_filename(download.headers["content-disposition"]) == name


def _seconds_until(timestamp: str) -> float:
    import datetime as dt

    return (dt.datetime.fromisoformat(timestamp) - dt.datetime.now(dt.UTC)).total_seconds()


async def test_forged_and_expired_links_are_refused(files: FilesApp, tenant: uuid.UUID) -> None:
    stored = (await files.upload(tenant, pdf("secret"), "secret.pdf", "application/pdf")).json()
    file_id = uuid.UUID(stored["id"])
    key = URL_SECRET.encode()
    expired = sign(LinkClaims(tenant, file_id, 1, int(time.time()) - 1, "attachment"), key)
    forged = sign(LinkClaims(tenant, file_id, 1, int(time.time()) + 600, "attachment"), b"not the key" * 4)
    other_tenant = sign(LinkClaims(uuid.uuid4(), file_id, 1, int(time.time()) + 600, "attachment"), key)
    for token, status, code in (
        (expired, 403, "link_expired"),
        (forged, 403, "link_invalid"),
        ("garbage", 403, "link_invalid"),
        (other_tenant, 404, "not_found"),  # a valid signature for a tenant that has no such file
    ):
        response = await files.client.get(f"{BASE}/signed/{token}")
        assert response.status_code == status, (token, response.text)
        assert problem(response)["code"] == code
    await files.client.delete(f"{BASE}/{file_id}", headers=files.headers(tenant))
    valid_but_deleted = sign(LinkClaims(tenant, file_id, 1, int(time.time()) + 600, "attachment"), key)
    assert (await files.client.get(f"{BASE}/signed/{valid_but_deleted}")).status_code == 404


async def test_link_lifetime_is_bounded(files: FilesApp, tenant: uuid.UUID) -> None:
    stored = (await files.upload(tenant, pdf(), "a.pdf", "application/pdf")).json()
    too_long = await files.client.post(
        f"{BASE}/{stored['id']}/link", json={"expires_in": 10**7}, headers=files.headers(tenant)
    )
    assert too_long.status_code == 422
    default = await files.client.post(f"{BASE}/{stored['id']}/link", headers=files.headers(tenant))
    assert 880 <= _seconds_until(default.json()["expires_at"]) <= 901


@pytest.mark.parametrize(
    ("permissions", "method", "path", "status"),
    [
        (["files.file.read"], "POST", "", 403),
        (["files.file.write"], "DELETE", "/{id}", 403),
        (["files.file.read"], "GET", "/{id}/content", 200),
        (["files.usage.read"], "GET", "/{id}", 403),
        (["files.file.delete"], "DELETE", "/{id}", 204),
    ],
)
async def test_each_action_needs_its_permission(
    files: FilesApp, tenant: uuid.UUID, permissions: list[str], method: str, path: str, status: int
) -> None:
    stored = (await files.upload(tenant, pdf(), "a.pdf", "application/pdf")).json()
    response = await files.client.request(
        method,
        BASE + path.format(id=stored["id"]),
        params={"name": "b.pdf"} if method == "POST" else None,
        content=pdf("b") if method == "POST" else None,
        headers=files.headers(tenant, permissions),
    )
    assert response.status_code == status, response.text


async def test_another_tenants_file_is_404_everywhere_and_unchanged(files: FilesApp, tenant: uuid.UUID) -> None:
    owner = files.headers(tenant)
    stranger_tenant = uuid.uuid4()
    stranger = files.headers(stranger_tenant, ["*"])
    stored = (await files.upload(tenant, pdf("mine"), "mine.pdf", "application/pdf", entity=("crm.lead", "L-1"))).json()
    url = f"{BASE}/{stored['id']}"
    before = (await files.client.get(url, headers=owner)).json()
    attachment_id = before["attachments"][0]["id"]
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", url, {}),
        ("GET", f"{url}/content", {}),
        ("GET", f"{url}/versions", {}),
        ("PATCH", url, {"json": {"name": "theirs.pdf"}}),
        ("DELETE", url, {}),
        ("POST", f"{url}/restore", {}),
        ("POST", f"{url}/link", {"json": {}}),
        ("POST", f"{url}/attachments", {"json": {"entity_type": "crm.lead", "entity_id": "L-2"}}),
        ("DELETE", f"{url}/attachments/{attachment_id}", {}),
        (
            "POST",
            f"{url}/versions",
            {"params": {"name": "x.pdf"}, "content": pdf("theirs"), "headers": {"Content-Type": "application/pdf"}},
        ),
    ]
    for method, path, extra in calls:
        headers = {**stranger, **extra.pop("headers", {})}
        response = await files.client.request(method, path, headers=headers, **extra)
        assert response.status_code == 404, f"{method} {path}: {response.status_code}"
    assert (await files.client.get(BASE, params={"entity_type": "crm.lead"}, headers=stranger)).json()["items"] == []
    assert (await files.client.get(BASE, headers=stranger)).json()["items"] == []
    assert (await files.client.get(f"{BASE}/usage", headers=stranger)).json()["used_bytes"] == 0
    after = (await files.client.get(url, headers=owner)).json()
    assert after == before
    content = await files.client.get(f"{url}/content", headers=owner)
    assert content.content == pdf("mine")
