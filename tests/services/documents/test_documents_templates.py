"""Templates services and tenants register: versioned, sandboxed, rendered with the letterhead;
letterheads per company (logo from file storage, colours); another tenant sees none of it; the
demo seed renders a Mushak-6.3."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from documents_support import BASE, Docs, is_a4, page_sizes, pdf_text, png_logo

from vextrus.demo import DEMO_TENANTS
from vextrus.kit.service import SeedContext
from vextrus.services.documents import service as documents_service

LETTER = """{% extends "base.html" %}
{% block body %}
<p>{{ pick('Dear ' ~ data.name, data.name_bn) }},</p>
<p>Advance received: <b>{{ taka(data.amount) }}</b> ({{ words(data.amount) }}) on {{ date(data.day) }}.</p>
<p>Version {{ data.marker }}</p>
{% endblock %}"""


async def register(docs: Docs, tenant: uuid.UUID, body: dict[str, object], **headers: str) -> dict[str, object]:
    response = await docs.client.post(f"{BASE}/templates", json=body, headers={**docs.headers(tenant), **headers})
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


async def test_registered_templates_are_versioned_and_render_with_the_letterhead(
    docs: Docs, tenant: uuid.UUID, tmp_path: Path
) -> None:
    first = await register(
        docs, tenant, {"key": "crm.advance-letter", "name": "Advance receipt letter", "body": LETTER}
    )
    assert (first["version"], first["source"], first["shared"]) == (1, "registered", False)
    second = await register(
        docs,
        tenant,
        {"key": "crm.advance-letter", "name": "Advance receipt letter", "body": LETTER.replace("Version", "Revision")},
    )
    assert [item["number"] for item in second["versions"]] == [2, 1]  # type: ignore[index]
    data = {"name": "Rahim Uddin", "name_bn": "রহিম উদ্দিন", "amount": "1500000", "day": "2025-12-01", "marker": "X1"}
    texts = {}
    for version in (1, 2):
        response = await docs.render(
            tenant, {"template": "crm.advance-letter", "version": version, "data": data, "language": "bilingual"}
        )
        assert response.status_code == 201, response.text
        assert (response.json()["template_version"], response.json()["source"]) == (version, "registered")
        path = tmp_path / f"v{version}.pdf"
        path.write_bytes((await docs.download(response.json()["link"]["url"])).content)
        assert all(is_a4(size) for size in page_sizes(path))
        texts[version] = " ".join(pdf_text(path).split())
    assert "Version X1" in texts[1]
    assert "Revision X1" in texts[2]
    assert "৳15,00,000.00" in texts[2]  # taka with lakh grouping
    assert "Fifteen Lakh" in texts[2]
    assert "01 Dec 2025" in texts[2]
    listed = (await docs.client.get(f"{BASE}/templates", headers=docs.headers(tenant))).json()["items"]
    assert {"mushak-6.3", "customer-statement", "crm.advance-letter"} <= {item["key"] for item in listed}


@pytest.mark.parametrize(
    ("body", "code", "reason_part"),
    [
        ("<p>{{ ''.__class__.__mro__[1].__subclasses__() }}</p>", "template_error", "unsafe"),
        ("<p>{{ data.missing_field }}</p>", "template_error", "missing_field"),
        ("<p>{% for %}</p>", None, None),  # refused at registration
    ],
)
async def test_the_sandbox_refuses_what_a_template_must_not_do(
    docs: Docs, tenant: uuid.UUID, body: str, code: str | None, reason_part: str | None
) -> None:
    key = f"t{uuid.uuid4().hex[:8]}"
    response = await docs.client.post(
        f"{BASE}/templates", json={"key": key, "name": "T", "body": body}, headers=docs.headers(tenant)
    )
    if code is None:
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "body.body"
        return
    assert response.status_code == 201
    rendered = await docs.render(tenant, {"template": key, "data": {"x": 1}})
    assert rendered.status_code == 422, rendered.text
    assert rendered.json()["code"] == code
    assert reason_part in rendered.json()["detail"]


async def test_templates_cannot_reach_files_or_the_network(docs: Docs, tenant: uuid.UUID, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    body = (
        f'<link rel="stylesheet" href="file://{secret}"><img src="file://{secret}">'
        '<img src="http://127.0.0.1:9/x.png"><iframe src="file:///etc/passwd"></iframe><p>still here</p>'
    )
    key = f"t{uuid.uuid4().hex[:8]}"
    await register(docs, tenant, {"key": key, "name": "Probe", "body": body})
    response = await docs.render(tenant, {"template": key, "data": {}})
    assert response.status_code == 201
    path = tmp_path / "probe.pdf"
    path.write_bytes((await docs.download(response.json()["link"]["url"])).content)
    text = pdf_text(path)
    assert "still here" in text
    assert "TOP-SECRET" not in text
    assert "root:" not in text


async def test_shared_templates_and_reserved_keys(docs: Docs, tenant: uuid.UUID) -> None:
    body = {"key": "finance.remittance", "name": "Remittance advice", "body": "<p>{{ data.n }}</p>", "shared": True}
    denied = await docs.client.post(f"{BASE}/templates", json=body, headers=docs.headers(tenant, ["*"]))
    assert denied.status_code == 403
    operator = docs.headers(uuid.uuid4(), ["documents.template.write", "platform.documents.manage"])
    assert (await docs.client.post(f"{BASE}/templates", json=body, headers=operator)).status_code == 201
    # any tenant renders the shared template
    other = uuid.uuid4()
    assert (await docs.render(other, {"template": "finance.remittance", "data": {"n": 7}})).status_code == 201
    reserved = await docs.client.post(
        f"{BASE}/templates", json={"key": "mushak-6.3", "name": "Mine", "body": "<p/>"}, headers=docs.headers(tenant)
    )
    assert (reserved.status_code, reserved.json()["code"]) == (409, "reserved_key")


async def test_a_company_letterhead_with_its_logo(docs: Docs, tenant: uuid.UUID, tmp_path: Path) -> None:
    company = uuid.uuid4()
    headers = docs.headers(tenant, companies=[company])
    logo = await docs.client.post(
        "/api/v1/files",
        params={"name": "logo.png"},
        content=png_logo(),
        headers={**headers, "Content-Type": "image/png"},
    )
    assert logo.status_code == 201, logo.text
    letterhead = {
        "name": "Padma Tower Builders Ltd.",
        "name_bn": "পদ্মা টাওয়ার বিল্ডার্স লিমিটেড",
        "bin": "003915624 0101",
        "address": "Holding 215, Greater Road, Rajshahi 6000",
        "primary_colour": "#7a1f1f",
        "logo_file_id": logo.json()["id"],
        "letterhead_note": "RDA enlisted developer",
    }
    saved = await docs.client.put(f"{BASE}/branding/{company}", json=letterhead, headers=headers)
    assert saved.status_code == 200, saved.text
    assert (saved.json()["bin"], saved.json()["primary_colour"], saved.json()["id"]) == (
        "003915624-0101",
        "#7A1F1F",
        str(company),
    )
    stranger_company = await docs.client.put(f"{BASE}/branding/{uuid.uuid4()}", json=letterhead, headers=headers)
    assert (stranger_company.status_code, stranger_company.json()["code"]) == (403, "company_forbidden")
    bad_bin = await docs.client.put(f"{BASE}/branding/{company}", json={**letterhead, "bin": "12"}, headers=headers)
    assert bad_bin.status_code == 422
    assert bad_bin.json()["errors"][0]["field"] == "body.bin"

    from vextrus.services.documents.builtins import BUILTINS

    response = await docs.client.post(
        f"{BASE}/render",
        json={"template": "payment-voucher", "data": BUILTINS["payment-voucher"].example(), "language": "en"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["company_id"] == str(company)
    path = tmp_path / "voucher.pdf"
    content = (await docs.download(response.json()["link"]["url"])).content
    path.write_bytes(content)
    text = pdf_text(path)
    assert "Padma Tower Builders Ltd." in text
    assert "RDA enlisted developer" in text
    assert b"/Subtype /Image" in content or b"/Subtype/Image" in content  # the logo is embedded

    listed = (await docs.client.get(f"{BASE}/branding", headers=headers)).json()["items"]
    assert [item["company_id"] for item in listed] == [str(company)]
    assert (await docs.client.delete(f"{BASE}/branding/{company}", headers=headers)).status_code == 204
    assert (await docs.client.get(f"{BASE}/branding/{company}", headers=headers)).status_code == 404


async def test_another_tenants_documents_and_letterheads_are_404(docs: Docs, tenant: uuid.UUID) -> None:
    from vextrus.services.documents.builtins import BUILTINS

    company = uuid.uuid4()
    owner = docs.headers(tenant, companies=[company])
    await docs.client.put(f"{BASE}/branding/{company}", json={"name": "Mine Ltd."}, headers=owner)
    await register(docs, tenant, {"key": "private-note", "name": "Note", "body": "<p>{{ data.x }}</p>"})
    rendered = await docs.client.post(
        f"{BASE}/render", json={"template": "mushak-6.8", "data": BUILTINS["mushak-6.8"].example()}, headers=owner
    )
    document_id = rendered.json()["id"]
    before = (await docs.client.get(f"{BASE}/{document_id}", headers=owner)).json()

    stranger = docs.headers(uuid.uuid4(), ["*"], companies=[uuid.uuid4()])
    for method, path, body in (
        ("GET", f"{BASE}/{document_id}", None),
        ("POST", f"{BASE}/{document_id}/link", None),
        ("POST", f"{BASE}/{document_id}/retry", None),
        ("GET", f"{BASE}/branding/{company}", None),
        ("DELETE", f"{BASE}/branding/{company}", None),
        ("GET", f"{BASE}/templates/private-note", None),
        ("POST", f"{BASE}/render", {"template": "private-note", "data": {"x": 1}}),
    ):
        response = await docs.client.request(method, path, json=body, headers=stranger)
        assert response.status_code == 404, f"{method} {path}: {response.status_code}"
    assert (await docs.client.get(BASE, headers=stranger)).json()["items"] == []
    assert (await docs.client.get(f"{BASE}/branding", headers=stranger)).json()["items"] == []
    assert (await docs.client.get(f"{BASE}/{document_id}", headers=owner)).json() == before
    assert (await docs.client.get(f"/api/v1/files/{before['file_id']}", headers=stranger)).status_code == 404


async def test_the_demo_seed_renders_a_mushak_6_3(docs: Docs, tmp_path: Path) -> None:
    demo = DEMO_TENANTS[0]
    for _ in range(2):  # idempotent
        assert documents_service.seed is not None
        await documents_service.seed(SeedContext(docs.runtime))
    headers = docs.headers(demo.id, companies=[company.id for company in demo.companies])
    documents = (await docs.client.get(BASE, params={"template": "mushak-6.3"}, headers=headers)).json()["items"]
    assert len(documents) == 1
    (invoice,) = documents
    assert (invoice["status"], invoice["reference"], invoice["company_id"]) == (
        "done",
        "MBL/2025-26/000123",
        str(demo.companies[0].id),
    )
    link = (await docs.client.post(f"{BASE}/{invoice['id']}/link", headers=headers)).json()
    path = tmp_path / "demo.pdf"
    path.write_bytes((await docs.download(link["url"])).content)
    text = " ".join(pdf_text(path).split())
    assert "004512789-0101" in text
    assert "35,34,616.88" in text
    assert "accounts@meghna.com.bd" in text  # the seeded letterhead
