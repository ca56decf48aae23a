"""Demo data for finance: Meghna Builders' books for FY2025-26 with documents in flight.

Everything goes through finance's own HTTP API (in-process through ``runtime.clients``), acting as
Meghna's accountant, so the demo data obeys every rule a user would meet: an opening entry, posted
invoices to Gulshan Heights and to the Roads and Highways Department (a withholding entity: VAT
and AIT deducted at source on its receipt), a partly paid invoice to Bay of Bengal Garments, a draft
for Patenga Logistics Park, a cement bill waiting in the vendor-invoice approval and a steel bill
still in draft. Runs once per tenant: a tenant that already has invoices is left as it is.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import structlog

from vextrus.demo import DEMO_TENANTS, DemoTenant, demo_record_id
from vextrus.kit.errors import AppError
from vextrus.kit.service import SeedContext
from vextrus.kit.tenancy import Principal

log = structlog.get_logger("vextrus.finance.seed")

BASE = "/api/v1/finance"


class _Api:
    def __init__(self, ctx: SeedContext, tenant: DemoTenant) -> None:
        accountant = next(user for user in tenant.users if user.role in ("accountant", "tenant-admin"))
        self.runtime = ctx.runtime
        self.tenant = tenant
        self.company = tenant.companies[0].id
        self.principal = Principal(
            subject=accountant.id,
            tenant_id=tenant.id,
            permissions=frozenset({"finance.*", "rules.template.install", "master-data.account.read"}),
            roles=("accountant", "accounts-payable"),
            company_ids=tuple(company.id for company in tenant.companies),
        )

    async def call(self, method: str, service: str, path: str, body: Any = None) -> Any:
        response = await self.runtime.clients.request(
            service, method, path, principal=self.principal, json=body, headers={"X-Company-ID": str(self.company)}
        )
        if response.status_code >= 400:
            raise AppError(response.status_code, "seed_failed", f"{method} {path}: {response.text[:500]}")
        return response.json() if response.content else None

    def customer(self, code: str) -> str:
        return str(demo_record_id("customer", self.tenant.slug, code))

    def vendor(self, code: str) -> str:
        return str(demo_record_id("vendor", self.tenant.slug, code))


async def _accounts(api: _Api) -> dict[str, str]:
    codes: dict[str, str] = {}
    cursor = None
    while True:
        path = "/api/v1/accounts?limit=200" + (f"&cursor={cursor}" if cursor else "")
        page = await api.call("GET", "master-data", path)
        codes.update({item["code"]: item["id"] for item in page["items"]})
        cursor = page.get("next_cursor")
        if not cursor:
            return codes


def _line(description: str, unit: str, quantity: str, price: str, **extra: Any) -> dict[str, Any]:
    return {"description": description, "unit": unit, "quantity": quantity, "unit_price": price, **extra}


async def _seed_meghna(api: _Api) -> None:
    await api.call("POST", "rules", "/api/v1/rules/templates/install", {"keys": ["bd.vat.rate", "bd.withholding.rate"]})
    accounts = await _accounts(api)

    def pair(code: str, debit: str = "0", credit: str = "0") -> dict[str, Any]:
        return {"account_id": accounts[code], "debit": debit, "credit": credit}

    await api.call(
        "POST",
        "finance",
        f"{BASE}/journal-entries",
        {
            "journal": "general",
            "date": "2025-07-01",
            "memo": "Opening balances FY2025-26 (audited figures of 30 June 2025)",
            "lines": [
                pair("1120", debit="25000000.00"),
                pair("1210", debit="180000000.00"),
                pair("1230", debit="42000000.00"),
                pair("1161", debit="6500000.00"),
                pair("3100", credit="150000000.00"),
                pair("2210", credit="85000000.00"),
                pair("3300", credit="18500000.00"),
            ],
        },
    )
    gulshan = await api.call(
        "POST",
        "finance",
        f"{BASE}/invoices",
        {
            "customer_id": api.customer("C-0001"),
            "date": "2025-10-06",
            "notes": "Façade repair and waterproofing, Gulshan Heights (work order GH/2025/17)",
            "lines": [
                _line(
                    "Façade repair works, phase 1",
                    "job",
                    "1",
                    "1850000.00",
                    vat_category="services.construction",
                    project="MCG-GUL-2025-02",
                ),
                _line("Waterproofing membrane, supplied", "m2", "420", "1150.00", project="MCG-GUL-2025-02"),
            ],
        },
    )
    await api.call("POST", "finance", f"{BASE}/invoices/{gulshan['id']}/post")
    rhd = await api.call(
        "POST",
        "finance",
        f"{BASE}/invoices",
        {
            "customer_id": api.customer("C-0002"),
            "date": "2025-10-14",
            "notes": "Running bill 3, Dhaka–Mawa link road maintenance (contract RHD/DZ/2025/44)",
            "lines": [
                _line(
                    "Bituminous carpeting, 2.4 km",
                    "job",
                    "1",
                    "7600000.00",
                    vat_category="services.construction",
                    project="MCG-RHD-2025-44",
                )
            ],
        },
    )
    rhd = await api.call("POST", "finance", f"{BASE}/invoices/{rhd['id']}/post")
    vds = rhd["vat"]
    await api.call(
        "POST",
        "finance",
        f"{BASE}/payments",
        {
            "direction": "receipt",
            "party_id": api.customer("C-0002"),
            "date": "2025-11-12",
            "method": "bank",
            "transaction_id": "SONALI-EFT-771203",
            "amount": str(Decimal(rhd["total"]) - Decimal(vds) - Decimal("532000.00")),
            "vds_amount": vds,
            "ait_amount": "532000.00",
            "allocations": [{"document_id": rhd["id"], "amount": rhd["total"]}],
            "memo": "RHD running bill 3: VAT (Mushak-6.6 no. RHD-DZ-0912) and AIT 7% deducted at source",
        },
    )
    garments = await api.call(
        "POST",
        "finance",
        f"{BASE}/invoices",
        {
            "customer_id": api.customer("C-0005"),
            "date": "2025-11-03",
            "lines": [
                _line("Pre-engineered factory shed, Kashimpur", "job", "1", "3200000.00"),
                _line("Ready-mix concrete C30, supplied", "m3", "180", "9200.00", sd_rate="0"),
            ],
        },
    )
    garments = await api.call("POST", "finance", f"{BASE}/invoices/{garments['id']}/post")
    await api.call(
        "POST",
        "finance",
        f"{BASE}/payments",
        {
            "direction": "receipt",
            "party_id": api.customer("C-0005"),
            "date": "2025-11-20",
            "method": "cheque",
            "cheque_number": "EBL-0045127",
            "amount": "2000000.00",
            "allocations": [{"document_id": garments["id"], "amount": "2000000.00"}],
        },
    )
    await api.call(
        "POST",
        "finance",
        f"{BASE}/invoices",
        {
            "customer_id": api.customer("C-0006"),
            "date": "2025-11-24",
            "lines": [
                _line(
                    "Warehouse floor slab, 6,000 sq ft", "job", "1", "4500000.00", vat_category="services.construction"
                )
            ],
        },
    )
    cement = await api.call(
        "POST",
        "finance",
        f"{BASE}/bills",
        {
            "vendor_id": api.vendor("V-CEM-001"),
            "date": "2025-11-18",
            "reference": "SCIL/2025/11/0457",
            "lines": [
                _line("Portland composite cement, 50 kg bags", "bag", "1200", "545.00", project="MCG-UTT-2025-03")
            ],
        },
    )
    await api.call("POST", "finance", f"{BASE}/bills/{cement['id']}/submit")
    await api.call(
        "POST",
        "finance",
        f"{BASE}/bills",
        {
            "vendor_id": api.vendor("V-STL-001"),
            "date": "2025-11-22",
            "reference": "RST-INV-88412",
            "lines": [_line("Deformed bar 500W, 16 mm", "ton", "12.5", "98500.00", project="MCG-UTT-2025-03")],
        },
    )


async def seed(ctx: SeedContext) -> None:
    if ctx.runtime.issuer is None:
        log.info("finance_seed_skipped", reason="no signing key in this process")
        return
    for tenant in DEMO_TENANTS:
        if tenant.slug != "meghna-group":
            continue
        api = _Api(ctx, tenant)
        try:
            existing = await api.call("GET", "finance", f"{BASE}/invoices?limit=1")
            if existing["items"]:
                continue
            await _seed_meghna(api)
        except AppError as error:
            log.warning("finance_seed_failed", tenant=tenant.slug, error=str(error))
