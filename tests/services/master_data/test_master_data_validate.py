"""POST /api/v1/bd/validate: the vextrus.bd validators over HTTP, with reasons in both languages."""

from __future__ import annotations

import pytest

URL = "/api/v1/bd/validate"
PERM = ("master-data.bd.read",)


@pytest.mark.parametrize(
    ("kind", "value", "valid", "normalized", "formatted", "code"),
    [
        ("tin", "১২৩৪-৫৬৭৮-৯০১২", True, "123456789012", "1234-5678-9012", None),
        ("tin", "1234567890", True, "1234567890", "1234567890", "legacy_tin"),
        ("tin", "12345", False, None, None, "wrong_length"),
        ("bin", "123456789 0101", True, "1234567890101", "123456789-0101", None),
        ("bin", "12345678X", False, None, None, "not_digits"),
        ("nid", "19851234567890123", True, "19851234567890123", "19851234567890123", None),
        ("nid", "18001234567890123", False, None, None, "implausible_birth_year"),
        ("mobile", "01712-345678", True, "+8801712345678", "+880 1712-345678", None),
        ("mobile", "01112345678", False, None, None, "closed_operator"),
        ("postal_code", "1000", True, "1000", "1000", None),
        ("postal_code", "0100", False, None, None, "leading_zero"),
        ("routing_number", "090262952", True, "090262952", "090262952", None),
    ],
)
async def test_validate(platform, client, tenant, kind, value, valid, normalized, formatted, code) -> None:
    response = await client.post(URL, json={"kind": kind, "value": value}, headers=platform.headers(tenant, PERM))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["kind"], body["value"], body["valid"]) == (kind, value, valid)
    assert (body["normalized"], body["formatted"], body["code"]) == (normalized, formatted, code)
    if not valid:
        assert body["reason"]
        assert body["reason_bn"]
        assert body["reason"] != body["reason_bn"]


async def test_details_of_a_mobile_number(platform, client, tenant) -> None:
    response = await client.post(
        URL, json={"kind": "mobile", "value": "+880 1912-345678"}, headers=platform.headers(tenant, PERM)
    )
    assert response.json()["details"] == {
        "national": "01912345678",
        "prefix": "019",
        "operator": "banglalink",
        "operator_name": "Banglalink",
        "operator_name_bn": "বাংলালিংক",
    }


@pytest.mark.parametrize(
    "body",
    [{"kind": "passport", "value": "X"}, {"kind": "tin"}, {"kind": "tin", "value": "1" * 101}, {"value": "1"}],
)
async def test_bad_requests(platform, client, tenant, body) -> None:
    response = await client.post(URL, json=body, headers=platform.headers(tenant, PERM, **{"Accept-Language": "bn"}))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "তথ্য যাচাই ব্যর্থ হয়েছে"


async def test_needs_the_permission(platform, client, tenant) -> None:
    body = {"kind": "tin", "value": "123456789012"}
    assert (await client.post(URL, json=body)).status_code == 401
    denied = await client.post(URL, json=body, headers=platform.headers(tenant, ("master-data.customer.read",)))
    assert denied.status_code == 403


async def test_invalid_values_are_counted(platform, client, tenant) -> None:
    def count(text: str) -> float:
        for line in text.splitlines():
            if line.startswith('master_data_validation_errors_total{kind="postal_code"}'):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    before = count((await client.get("/metrics")).text)
    await client.post(URL, json={"kind": "postal_code", "value": "12"}, headers=platform.headers(tenant, PERM))
    await client.post(URL, json={"kind": "postal_code", "value": "1207"}, headers=platform.headers(tenant, PERM))
    assert count((await client.get("/metrics")).text) == before + 1
