"""The rules shipped with Vextrus, installed for a tenant and evaluated over HTTP: every decision at
and around every threshold, for VAT, withholding tax and the two approval chains."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from rules_support import BASE

from vextrus.services.rules.templates import templates

EVALUATE = ("rules.rule.evaluate",)


@pytest.fixture(scope="module")
async def installed(platform) -> uuid.UUID:
    """One tenant per backend with every template installed (the decisions below only read)."""
    tenant = uuid.uuid4()
    response = await platform.client.post(
        f"{BASE}/templates/install", json={}, headers=platform.headers(tenant, ("rules.template.install",))
    )
    assert response.status_code == 200, response.text
    assert {item["status"] for item in response.json()["items"]} == {"installed"}
    return tenant


async def decide(platform, tenant: uuid.UUID, key: str, context: dict[str, Any]) -> dict[str, Any]:
    response = await platform.client.post(
        f"{BASE}/{key}/evaluate", json={"context": context}, headers=platform.headers(tenant, EVALUATE)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["key"], body["version"]) == (key, 1)
    result: dict[str, Any] = body["result"]
    return result


async def refused(platform, tenant: uuid.UUID, key: str, context: dict[str, Any]) -> dict[str, Any]:
    response = await platform.client.post(
        f"{BASE}/{key}/evaluate", json={"context": context}, headers=platform.headers(tenant, EVALUATE)
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == "evaluation_failed"
    return body


# --- bd.vat.rate --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("context", "code", "rate", "treatment", "vds"),
    [
        ({"category": "goods.standard"}, "VAT-STD-15", 0.15, "standard", False),
        ({"category": "services.standard", "customer_type": "registered"}, "VAT-STD-15", 0.15, "standard", False),
        ({"category": "goods.steel-rod", "customer_type": "unregistered"}, "VAT-STD-15", 0.15, "standard", False),
        ({"category": "goods.standard", "customer_type": "government"}, "VAT-STD-15", 0.15, "standard", True),
        ({"category": "  Services.Construction "}, "VAT-RED-7.5", 0.075, "reduced", False),
        (
            {"category": "services.construction", "customer_type": "withholding-entity"},
            "VAT-RED-7.5",
            0.075,
            "reduced",
            True,
        ),
        ({"category": "services.procurement-provider"}, "VAT-RED-7.5", 0.075, "reduced", False),
        ({"category": "services.transport-contractor"}, "VAT-RED-10", 0.1, "reduced", False),
        ({"category": "services.motor-workshop"}, "VAT-RED-10", 0.1, "reduced", False),
        ({"category": "services.printing-press", "customer_type": "government"}, "VAT-RED-10", 0.1, "reduced", True),
        ({"category": "services.it-enabled"}, "VAT-RED-5", 0.05, "reduced", False),
        ({"category": "real-estate.land-development"}, "VAT-RED-2", 0.02, "reduced", False),
        # apartments: 2% up to 1,600 sq ft, 4.5% above it or when the area is not given
        ({"category": "real-estate.apartment", "floor_area_sqft": 1200}, "VAT-RED-2", 0.02, "reduced", False),
        ({"category": "real-estate.apartment", "floor_area_sqft": 1600}, "VAT-RED-2", 0.02, "reduced", False),
        ({"category": "real-estate.apartment", "floor_area_sqft": "1600.00"}, "VAT-RED-2", 0.02, "reduced", False),
        ({"category": "real-estate.apartment", "floor_area_sqft": 1600.5}, "VAT-RED-4.5", 0.045, "reduced", False),
        ({"category": "real-estate.apartment", "floor_area_sqft": 1601}, "VAT-RED-4.5", 0.045, "reduced", False),
        ({"category": "real-estate.apartment"}, "VAT-RED-4.5", 0.045, "reduced", False),
        # exports and deemed exports are zero-rated whatever the category; exempt supplies are exempt
        ({"category": "services.construction", "export": True}, "VAT-ZERO-EXPORT", 0, "zero-rated", False),
        (
            {"category": "goods.standard", "export": True, "customer_type": "government"},
            "VAT-ZERO-EXPORT",
            0,
            "zero-rated",
            False,
        ),
        ({"category": "goods.standard", "export": False}, "VAT-STD-15", 0.15, "standard", False),
        ({"category": "goods.standard", "export": "yes"}, "VAT-STD-15", 0.15, "standard", False),
        ({"category": "goods.standard", "customer_type": "EPZ"}, "VAT-ZERO-DEEMED-EXPORT", 0, "zero-rated", False),
        ({"category": "goods.standard", "customer_type": "diplomatic"}, "VAT-EXEMPT-PRIVILEGED", 0, "exempt", False),
        ({"category": "services.education"}, "VAT-EXEMPT", 0, "exempt", False),
        ({"category": "services.health-care", "customer_type": "government"}, "VAT-EXEMPT", 0, "exempt", False),
        ({"category": "goods.unprocessed-agricultural"}, "VAT-EXEMPT", 0, "exempt", False),
        ({"category": "services.cold-storage"}, "VAT-EXEMPT", 0, "exempt", False),
    ],
)
async def test_vat_rate(platform, installed, context, code, rate, treatment, vds) -> None:
    result = await decide(platform, installed, "bd.vat.rate", context)
    assert result == {"vat_code": code, "rate": rate, "treatment": treatment, "vds": vds}


@pytest.mark.parametrize("context", [{}, {"category": None}, {"category": 15}, {"customer_type": "registered"}])
async def test_vat_rate_needs_a_category(platform, installed, context) -> None:
    body = await refused(platform, installed, "bd.vat.rate", context)
    assert "category" in body["detail"]


# --- bd.withholding.rate -------------------------------------------------------------------------

RATES = {"contractor": 0.07, "supplier": 0.04, "professional": 0.1, "house-rent": 0.05, "transport": 0.03}


@pytest.mark.parametrize("payment_type", sorted(RATES))
@pytest.mark.parametrize("has_tin", [True, False])
@pytest.mark.parametrize("amount", ["0.01", 1, "250000.00", 99_999_999])
async def test_withholding_rate_by_payment_type_and_tin(platform, installed, payment_type, has_tin, amount) -> None:
    result = await decide(
        platform,
        installed,
        "bd.withholding.rate",
        {"payment_type": payment_type, "amount": amount, "payee_has_tin": has_tin},
    )
    base = RATES[payment_type]
    assert result["applicable"] is True
    assert result["base_rate"] == base
    assert result["rate"] == pytest.approx(base if has_tin else base * 1.5, abs=1e-12)
    assert result["tin_surcharge_applied"] is (not has_tin)


@pytest.mark.parametrize(
    ("context", "rate", "applicable", "reason"),
    [
        ({"payment_type": "contractor", "amount": 0, "payee_has_tin": True}, 0, False, "no payment"),
        ({"payment_type": "contractor", "amount": "0.00", "payee_has_tin": False}, 0, False, "no payment"),
        ({"payment_type": "supplier", "amount": -500, "payee_has_tin": True}, 0, False, "no payment"),
        ({"payment_type": "Contractor ", "amount": "0.01", "payee_has_tin": True}, 0.07, True, "withholding at source"),
        ({"payment_type": "lottery", "amount": 1000, "payee_has_tin": True}, 0, False, "unknown payment type"),
        ({"payment_type": "lottery", "amount": 1000, "payee_has_tin": False}, 0, False, "unknown payment type"),
        # a TIN must be stated: anything but true gets the higher rate
        ({"payment_type": "transport", "amount": 5000}, 0.045, True, "withholding at source"),
        ({"payment_type": "transport", "amount": 5000, "payee_has_tin": "true"}, 0.045, True, "withholding at source"),
    ],
)
async def test_withholding_edges(platform, installed, context, rate, applicable, reason) -> None:
    result = await decide(platform, installed, "bd.withholding.rate", context)
    assert (result["rate"], result["applicable"], result["reason"]) == (
        pytest.approx(rate, abs=1e-12),
        applicable,
        reason,
    )
    assert result["tin_surcharge_applied"] is (applicable and context.get("payee_has_tin") is not True)


@pytest.mark.parametrize(
    "context",
    [
        {"payment_type": "contractor", "payee_has_tin": True},
        {"payment_type": "contractor", "amount": "five lakh", "payee_has_tin": True},
        {"amount": 1000, "payee_has_tin": True},
    ],
)
async def test_withholding_needs_type_and_amount(platform, installed, context) -> None:
    body = await refused(platform, installed, "bd.withholding.rate", context)
    assert "node read" in body["detail"]


# --- approval.purchase-order ---------------------------------------------------------------------


def po_head(department: str) -> dict[str, Any]:
    return {"order": 1, "role": "department-head", "department": department, "sla_days": 7, "on_timeout": "reject"}


PO_FINANCE = {"order": 2, "role": "finance-manager", "department": "finance", "sla_days": 7, "on_timeout": "reject"}


@pytest.mark.parametrize(
    ("amount", "roles"),
    [
        ("0.01", []),
        (1, []),
        ("49999.99", []),
        ("50000.00", []),
        (50000, []),
        ("50000.01", ["department-head"]),
        (75000, ["department-head"]),
        ("99999.99", ["department-head"]),
        ("100000.00", ["department-head"]),
        ("100000.01", ["department-head", "finance-manager"]),
        ("150000.00", ["department-head", "finance-manager"]),
        ("9999999.99", ["department-head", "finance-manager"]),
        ("10000000.00", ["department-head", "finance-manager"]),
    ],
)
async def test_purchase_order_steps(platform, installed, amount, roles) -> None:
    result = await decide(platform, installed, "approval.purchase-order", {"amount": amount, "department": "Civil"})
    expected_steps = [po_head("civil"), PO_FINANCE][: len(roles)]
    assert [step["role"] for step in result["steps"]] == roles
    assert result == {
        "allowed": True,
        "auto_approve": not roles,
        "steps": expected_steps,
        "total_sla_days": 7 * len(roles),
        "reason": "approval required" if roles else "below every approval threshold",
    }


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        ("10000000.01", "above the budget hard limit of 10,000,000 BDT"),
        (25_000_000, "above the budget hard limit of 10,000,000 BDT"),
        (0, "the amount must be positive"),
        ("0.00", "the amount must be positive"),
        (-100, "the amount must be positive"),
    ],
)
async def test_purchase_order_refused(platform, installed, amount, reason) -> None:
    result = await decide(platform, installed, "approval.purchase-order", {"amount": amount, "department": "civil"})
    assert result == {"allowed": False, "auto_approve": False, "steps": [], "total_sla_days": 0, "reason": reason}


@pytest.mark.parametrize(
    "context",
    [
        {"department": "civil"},
        {"amount": None, "department": "civil"},
        {"amount": "1,00,000", "department": "civil"},
        {"amount": 1000},
    ],
)
async def test_purchase_order_needs_amount_and_department(platform, installed, context) -> None:
    await refused(platform, installed, "approval.purchase-order", context)


# --- approval.vendor-invoice ---------------------------------------------------------------------

INVOICE_STEPS = [
    ("accounts-payable", "finance", 2),
    ("department-head", "procurement", 3),
    ("finance-manager", "finance", 3),
    ("cfo", "finance", 5),
    ("ceo", "management", 7),
]


@pytest.mark.parametrize(
    ("amount", "count"),
    [
        ("0.01", 1),
        ("25000.00", 1),
        ("100000.00", 1),
        ("100000.01", 2),
        ("500000.00", 2),
        ("500000.01", 3),
        ("1000000.00", 3),
        ("1000000.01", 4),
        (1_000_001, 4),
        ("5000000.00", 4),
        ("5000000.01", 5),
        (80_000_000, 5),
    ],
)
async def test_vendor_invoice_steps(platform, installed, amount, count) -> None:
    result = await decide(
        platform, installed, "approval.vendor-invoice", {"amount": amount, "department": "procurement"}
    )
    expected = [
        {"order": order, "role": role, "department": department, "sla_days": sla, "on_timeout": "escalate"}
        for order, (role, department, sla) in enumerate(INVOICE_STEPS[:count], start=1)
    ]
    assert result == {
        "allowed": True,
        "auto_approve": False,
        "steps": expected,
        "total_sla_days": sum(sla for _, _, sla in INVOICE_STEPS[:count]),
        "reason": "approval required",
    }


async def test_vendor_invoice_refuses_non_positive_amounts(platform, installed) -> None:
    result = await decide(platform, installed, "approval.vendor-invoice", {"amount": 0, "department": "civil"})
    assert (result["allowed"], result["steps"]) == (False, [])


# --- the templates themselves ---------------------------------------------------------------------


async def test_every_template_is_installed_tested_and_published(platform, installed) -> None:
    headers = platform.headers(installed, ("rules.rule.read", "rules.rule.test"))
    listed = (await platform.client.get(f"{BASE}/templates", headers=headers)).json()["items"]
    assert {item["key"] for item in listed} == set(templates())
    assert all(item["installed"] and item["name_bn"] and item["test_count"] >= 5 for item in listed)
    for key, template in templates().items():
        rule = (await platform.client.get(f"{BASE}/{key}", headers=headers)).json()
        assert (rule["source"], rule["published_version"], rule["test_count"]) == ("template", 1, len(template.tests))
        run = (await platform.client.post(f"{BASE}/{key}/test", json={}, headers=headers)).json()
        assert (run["passed"], run["total"]) == (True, len(template.tests))
        version = (await platform.client.get(f"{BASE}/{key}/versions/1", headers=headers)).json()
        assert version["content"]["nodes"] == template.content["nodes"]
        if key.startswith("bd."):  # tax rates take effect at the start of FY2025-26 (Asia/Dhaka)
            assert version["effective_from"] == "2025-06-30T18:00:00Z"
