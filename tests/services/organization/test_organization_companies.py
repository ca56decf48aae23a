"""Companies and their structure over HTTP: registrations (TIN, BIN, trade licence, regulator),
the company limit, branch BINs, divisions, the department tree, designations, optimistic
locking and keyset pagination."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

BASE = "/api/v1/organizations"

MEGHNA_PROPERTIES: dict[str, Any] = {
    "code": "MPL",
    "name": "Meghna Properties Ltd.",
    "name_bn": "মেঘনা প্রপার্টিজ লিমিটেড",
    "tin": "5193-0628-4417",
    "bin": "004627351",
    "vat_registered_on": "2019-07-01",
    "trade_licence_number": "TRAD/DNCC/061193/2020",
    "trade_licence_authority": "Dhaka North City Corporation",
    "trade_licence_expiry": "2027-06-30",
    "regulatory_body": "rajuk",
    "address": {
        "line": "Plot 7, Gulshan Avenue",
        "line_bn": "প্লট ৭, গুলশান এভিনিউ",
        "area": "Gulshan 2",
        "thana": "Gulshan",
        "district": "dhaka",
        "postal_code": "1212",
    },
    "phone": "+8801712345678",
    "email": "accounts@meghna.com.bd",
}


async def test_create_a_company_with_its_registrations(big_org, events) -> None:
    response = await big_org.post("/companies", MEGHNA_PROPERTIES)
    assert response.status_code == 201, response.text
    company = response.json()
    assert response.headers["location"] == f"{BASE}/companies/{company['id']}"
    assert response.headers["etag"] == '"1"'
    assert company["tin"] == "519306284417"
    assert company["tin_legacy"] is False
    assert (company["bin"], company["bin_display"], company["vat_status"]) == ("004627351", "004627351", "registered")
    assert company["regulatory_body"] == "RAJUK"
    assert company["address"]["district"] == "Dhaka"
    assert company["address"]["division"] == "Dhaka"  # follows from the district
    assert (company["fiscal_year_start_month"], company["base_currency"]) == (7, "BDT")
    assert company["trade_licence_expiry"] == "2027-06-30"

    fetched = await big_org.client.get(f"{BASE}/companies/{company['id']}", headers=big_org.headers())
    assert fetched.json() == company
    created = await events("organization.company.created", lambda item: item["subject"] == company["id"])
    assert created[0]["data"]["bin"] == "004627351"
    assert created[0]["tenantid"] == str(big_org.tenant_id)


async def test_legacy_tin_is_accepted_and_flagged(big_org) -> None:
    company = await big_org.create("/companies", {"code": "OLD", "name": "Old Dhaka Traders", "tin": "1234567890"})
    assert (company["tin"], company["tin_legacy"], company["vat_status"]) == ("1234567890", True, "unregistered")


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"tin": "12345"}, "body.tin", "invalid_tin"),
        ({"tin": "1234567890123"}, "body.tin", "invalid_tin"),
        ({"bin": "12345678"}, "body.bin", "invalid_bin"),
        ({"bin": "0046273510"}, "body.bin", "invalid_bin"),
        ({"bin": None, "vat_status": "registered"}, "body.bin", "missing"),
        ({"bin": None, "vat_status": "turnover"}, "body.bin", "missing"),
        ({"vat_status": "unregistered"}, "body.vat_status", "invalid"),
        ({"regulatory_body": "NASA"}, "body.regulatory_body", "unknown_regulatory_body"),
        (
            {"address": {"district": "Gazipur", "division": "Chattogram"}},
            "body.address.district",
            "district_not_in_division",
        ),
        ({"address": {"district": "Atlantis"}}, "body.address.district", "unknown_district"),
        ({"address": {"division": "Narnia"}}, "body.address.division", "unknown_division"),
        ({"address": {"postal_code": "12345"}}, "body.address.postal_code", "string_pattern_mismatch"),
        ({"fiscal_year_start_month": 13}, "body.fiscal_year_start_month", "less_than_equal"),
        ({"fiscal_year_start_month": "7"}, "body.fiscal_year_start_month", "int_type"),
        ({"base_currency": "bdt"}, "body.base_currency", "string_pattern_mismatch"),
        ({"code": "mpl"}, "body.code", "string_pattern_mismatch"),
        ({"name": "  "}, "body.name", "blank"),
        ({"email": "not-an-email"}, "body.email", "string_pattern_mismatch"),
        ({"trade_licence_expiry": "30/06/2027"}, "body.trade_licence_expiry", "date_from_datetime_parsing"),
        ({"registered_capital": 100}, "body.registered_capital", "extra_forbidden"),
    ],
)
async def test_invalid_companies_are_refused(big_org, changes, field, code) -> None:
    response = await big_org.post("/companies", {**MEGHNA_PROPERTIES, **changes})
    assert response.status_code == 422, response.text
    errors = {item["field"]: item["code"] for item in response.json()["errors"]}
    assert field in errors
    if code not in ("date_from_datetime_parsing",):
        assert errors[field] == code
    listed = (await big_org.client.get(f"{BASE}/companies", headers=big_org.headers())).json()["items"]
    assert len(listed) == 1  # only the provisioned company


async def test_company_errors_in_bengali(big_org) -> None:
    response = await big_org.client.post(
        f"{BASE}/companies",
        json={**MEGHNA_PROPERTIES, "bin": "123"},
        headers={**big_org.headers(), "Accept-Language": "bn"},
    )
    assert response.status_code == 422
    reason = response.json()["errors"][0]["reason"]
    assert "বিআইএন" in reason
    assert "৯" in reason


async def test_company_identifiers_are_unique_in_the_tenant(big_org, provisioner) -> None:
    await big_org.create("/companies", MEGHNA_PROPERTIES)
    for changes, code in (
        ({"tin": None, "bin": None, "vat_status": "unregistered"}, "code_taken"),
        ({"code": "MPL2", "bin": None, "vat_status": "unregistered"}, "tin_taken"),
        ({"code": "MPL2", "tin": None}, "bin_taken"),
    ):
        response = await big_org.post("/companies", {**MEGHNA_PROPERTIES, **changes})
        assert response.status_code == 409, response.text
        assert response.json()["code"] == code
    # Another tenant may register the same numbers (each tenant is its own world).
    other = await provisioner(uuid.uuid4())
    await other.set_plan("business")
    assert (await other.post("/companies", MEGHNA_PROPERTIES)).status_code == 201


async def test_the_plan_limits_companies(org) -> None:
    # The trial plan allows one company, which provisioning created.
    refused = await org.post("/companies", {"code": "MPL", "name": "Meghna Properties Ltd."})
    assert refused.status_code == 409
    problem = refused.json()
    assert (problem["code"], problem["limit"], problem["allowed"]) == ("plan_limit_reached", "max_companies", 1)
    assert "trial" in problem["detail"]
    await org.set_plan("growth")
    assert (await org.post("/companies", {"code": "MPL", "name": "Meghna Properties Ltd."})).status_code == 201


async def test_update_a_company_with_optimistic_locking(big_org, events) -> None:
    company = await big_org.create("/companies", MEGHNA_PROPERTIES)
    path = f"{BASE}/companies/{company['id']}"
    changed = await big_org.client.patch(
        path,
        json={"trade_licence_expiry": "2028-06-30", "address": {"district": "Chattogram"}, "expected_version": 1},
        headers=big_org.headers(("organization.company.write",)),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2
    assert changed.json()["address"] == {
        "line": None,
        "line_bn": None,
        "area": None,
        "thana": None,
        "district": "Chattogram",
        "division": "Chattogram",
        "postal_code": None,
    }
    stale = await big_org.client.patch(path, json={"name": "X Ltd."}, headers={**big_org.headers(), "If-Match": '"1"'})
    assert stale.status_code == 409
    assert stale.json()["code"] == "version_conflict"
    for bad in ({"name": None}, {"vat_status": None}, {"bin": None}, {"is_active": "no"}):
        refused = await big_org.client.patch(path, json=bad, headers=big_org.headers())
        assert refused.status_code == 422, bad
    deactivated = await big_org.client.patch(path, json={"is_active": False}, headers=big_org.headers())
    assert deactivated.json()["is_active"] is False
    inactive = await big_org.client.get(f"{BASE}/companies", params={"active": "false"}, headers=big_org.headers())
    assert [item["id"] for item in inactive.json()["items"]] == [company["id"]]

    updates = await events("organization.company.updated", lambda item: item["subject"] == company["id"])
    assert updates[0]["data"]["changes"]["trade_licence_expiry"] == {"old": "2027-06-30", "new": "2028-06-30"}
    assert updates[0]["data"]["version"] == 2


async def test_branches_carry_13_digit_bins(big_org, events) -> None:
    company = await big_org.create("/companies", MEGHNA_PROPERTIES)
    head_office = await big_org.create(
        "/branches",
        {
            "company_id": company["id"],
            "code": "HO",
            "name": "Head Office, Gulshan",
            "bin_suffix": "0101",
            "is_head_office": True,
            "address": {"district": "Dhaka", "area": "Gulshan 2"},
        },
    )
    assert (head_office["bin"], head_office["bin_display"]) == ("0046273510101", "004627351-0101")
    assert head_office["address"]["division"] == "Dhaka"
    created = await events("organization.branch.created", lambda item: item["subject"] == head_office["id"])
    assert created[0]["data"]["bin"] == "0046273510101"

    cases = [
        ({"code": "HO", "bin_suffix": "0102"}, 409, "code_taken"),
        ({"code": "BSD", "bin_suffix": "0101"}, 409, "bin_suffix_taken"),
        ({"code": "BSD", "bin_suffix": "0102", "is_head_office": True}, 409, "head_office_exists"),
        ({"code": "BSD", "bin_suffix": "101"}, 422, "validation_failed"),
        ({"code": "BSD", "bin_suffix": "0000"}, 422, "validation_failed"),
        ({"code": "BSD", "division_id": str(uuid.uuid4())}, 422, "validation_failed"),
    ]
    for changes, status, code in cases:
        response = await big_org.post("/branches", {"company_id": company["id"], "name": "Bashundhara", **changes})
        assert (response.status_code, response.json()["code"]) == (status, code), changes

    plain = await big_org.create("/companies", {"code": "NOBIN", "name": "No BIN Ltd."})
    refused = await big_org.post(
        "/branches", {"company_id": plain["id"], "code": "HO", "name": "HO", "bin_suffix": "0101"}
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0] == {
        "field": "body.bin_suffix",
        "code": "company_has_no_bin",
        "reason": "the company has no BIN to append the suffix to",
    }

    # A company BIN given with its 13 digits: branches use its 9-digit base.
    thirteen = await big_org.create(
        "/companies", {"code": "KRMC", "name": "Karnaphuli Ready-Mix Concrete Ltd.", "bin": "002871946-0101"}
    )
    plant = await big_org.create(
        "/branches", {"company_id": thirteen["id"], "code": "PLANT", "name": "Kalurghat Plant", "bin_suffix": "0102"}
    )
    assert plant["bin"] == "0028719460102"

    listed = await big_org.client.get(
        f"{BASE}/branches",
        params={"company_id": company["id"]},
        headers=big_org.headers(("organization.structure.read",)),
    )
    assert [item["code"] for item in listed.json()["items"]] == ["HO"]
    moved = await big_org.client.patch(
        f"{BASE}/branches/{head_office['id']}",
        json={"bin_suffix": "0105", "expected_version": 1},
        headers=big_org.headers(),
    )
    assert (moved.status_code, moved.json()["bin"]) == (200, "0046273510105")


async def test_divisions(big_org, events) -> None:
    company = await big_org.create("/companies", MEGHNA_PROPERTIES)
    real_estate = await big_org.create(
        "/divisions", {"company_id": company["id"], "code": "RE", "name": "Real Estate", "name_bn": "আবাসন"}
    )
    assert real_estate["is_active"] is True
    duplicate = await big_org.post("/divisions", {"company_id": company["id"], "code": "RE", "name": "Again"})
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "code_taken")
    # The same code in another company is fine.
    assert (
        await big_org.post("/divisions", {"company_id": str(big_org.company_id), "code": "RE", "name": "RE"})
    ).status_code == 201
    unknown = await big_org.post("/divisions", {"company_id": str(uuid.uuid4()), "code": "X", "name": "X"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.company_id"

    branch = await big_org.create(
        "/branches", {"company_id": company["id"], "division_id": real_estate["id"], "code": "BSD", "name": "Sales"}
    )
    assert branch["division_id"] == real_estate["id"]
    listed = await big_org.client.get(
        f"{BASE}/divisions", params={"company_id": company["id"]}, headers=big_org.headers()
    )
    assert [item["code"] for item in listed.json()["items"]] == ["RE"]
    renamed = await big_org.client.patch(
        f"{BASE}/divisions/{real_estate['id']}", json={"name": "Real Estate & Housing"}, headers=big_org.headers()
    )
    assert (renamed.json()["name"], renamed.json()["version"]) == ("Real Estate & Housing", 2)
    assert await events("organization.division.created", lambda item: item["subject"] == real_estate["id"])


async def test_department_tree_heads_and_cycles(big_org, events) -> None:
    company_id = str(big_org.company_id)
    engineering = await big_org.create("/departments", {"company_id": company_id, "code": "ENG", "name": "Engineering"})
    surveying = await big_org.create(
        "/departments",
        {"company_id": company_id, "code": "QS", "name": "Quantity Surveying", "parent_id": engineering["id"]},
    )
    accounts = await big_org.create(
        "/departments",
        {"company_id": company_id, "code": "ACC", "name": "Accounts & Finance", "head_user_id": str(big_org.admin_id)},
    )
    assert accounts["head_user_id"] == str(big_org.admin_id)

    tree = await big_org.client.get(f"{BASE}/companies/{company_id}/departments/tree", headers=big_org.headers())
    assert [(node["code"], [child["code"] for child in node["children"]]) for node in tree.json()] == [
        ("ACC", []),
        ("ENG", ["QS"]),
    ]

    cycle = await big_org.client.patch(
        f"{BASE}/departments/{engineering['id']}", json={"parent_id": surveying["id"]}, headers=big_org.headers()
    )
    assert cycle.status_code == 422
    assert cycle.json()["errors"][0]["code"] == "cycle"
    itself = await big_org.client.patch(
        f"{BASE}/departments/{engineering['id']}", json={"parent_id": engineering["id"]}, headers=big_org.headers()
    )
    assert itself.status_code == 422
    stranger = await big_org.post(
        "/departments", {"company_id": company_id, "code": "HR", "name": "HR", "head_user_id": str(uuid.uuid4())}
    )
    assert stranger.status_code == 422
    assert stranger.json()["errors"][0]["code"] == "not_a_member"

    other_company = await big_org.create("/companies", {"code": "MPL", "name": "Meghna Properties Ltd."})
    cross = await big_org.post(
        "/departments", {"company_id": other_company["id"], "code": "QS", "name": "QS", "parent_id": engineering["id"]}
    )
    assert cross.status_code == 422
    assert cross.json()["errors"][0]["field"] == "body.parent_id"
    created = await events("organization.department.created", lambda item: item["subject"] == surveying["id"])
    assert created[0]["data"]["parent_id"] == engineering["id"]


async def test_designations_and_keyset_pagination(big_org) -> None:
    for code, name, grade in (("MD", "Managing Director", 1), ("PM", "Project Manager", 4), ("SE", "Site Engineer", 6)):
        await big_org.create("/designations", {"code": code, "name": name, "grade": grade})
    duplicate = await big_org.post("/designations", {"code": "MD", "name": "Again"})
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "code_taken")

    headers = big_org.headers(("organization.structure.read",))
    first = await big_org.client.get(f"{BASE}/designations", params={"limit": 2}, headers=headers)
    page = first.json()
    assert [item["code"] for item in page["items"]] == ["MD", "PM"]
    second = await big_org.client.get(
        f"{BASE}/designations", params={"limit": 2, "cursor": page["next_cursor"]}, headers=headers
    )
    assert [item["code"] for item in second.json()["items"]] == ["SE"]
    assert second.json()["next_cursor"] is None
    bad = await big_org.client.get(f"{BASE}/designations", params={"cursor": "garbage"}, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.cursor"
    grade = await big_org.post("/designations", {"code": "X", "name": "X", "grade": 0})
    assert grade.status_code == 422


async def test_regulatory_bodies_are_listed(big_org) -> None:
    bodies = await big_org.client.get(
        f"{BASE}/regulatory-bodies", headers=big_org.headers(("organization.company.read",))
    )
    codes = [item["code"] for item in bodies.json()]
    assert {"RAJUK", "CDA", "KDA", "RDA"} <= set(codes)
    rajuk = next(item for item in bodies.json() if item["code"] == "RAJUK")
    assert rajuk["name_bn"] == "রাজধানী উন্নয়ন কর্তৃপক্ষ"
