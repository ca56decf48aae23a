"""Helpers shared by the finance tests: a tenant with its books open (chart of accounts, the VAT,
withholding and approval rules, a customer and a vendor), and HTTP shortcuts. No fixtures here."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

BASE = "/api/v1/finance"


@dataclass
class Books:
    platform: Any
    tenant: uuid.UUID
    company: uuid.UUID
    customer: uuid.UUID
    vendor: uuid.UUID
    accounts: dict[str, uuid.UUID] = field(default_factory=dict)
    extra: dict[str, uuid.UUID] = field(default_factory=dict)

    def headers(self, permissions: tuple[str, ...] = ("*",), **kwargs: Any) -> dict[str, str]:
        kwargs.setdefault("company_ids", [self.company])
        return dict(self.platform.headers(self.tenant, permissions, **kwargs))

    async def post(self, path: str, json: Any = None, *, expect: int | None = None, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", None) or self.headers()
        response = await self.platform.client.post(BASE + path, json=json, headers=headers, **kwargs)
        if expect is not None:
            assert response.status_code == expect, response.text
        return response

    async def get(self, path: str, *, expect: int | None = 200, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", None) or self.headers()
        response = await self.platform.client.get(BASE + path, headers=headers, **kwargs)
        if expect is not None:
            assert response.status_code == expect, response.text
        return response

    async def invoice(
        self, lines: list[dict[str, Any]], *, date: str = "2025-10-05", post: bool = True, **extra: Any
    ) -> dict[str, Any]:
        body = {"customer_id": str(self.customer), "date": date, "lines": lines, **extra}
        created = (await self.post("/invoices", body, expect=201)).json()
        if not post:
            return dict(created)
        return dict((await self.post(f"/invoices/{created['id']}/post", expect=200)).json())

    async def trial_balance(self, fiscal_year: str = "2025-26", period: int = 12) -> dict[str, Any]:
        response = await self.get(f"/reports/trial-balance?fiscal_year={fiscal_year}&period={period}")
        return dict(response.json())

    async def balances(self) -> dict[str, Decimal]:
        """Debit − credit per account code, from the trial balance."""
        report = await self.trial_balance()
        return {row["code"]: Decimal(row["balance"]) for row in report["rows"]}


async def open_books(
    platform: Any, *, customer: dict[str, Any] | None = None, vendor: dict[str, Any] | None = None
) -> Books:
    tenant = uuid.uuid4()
    company = uuid.uuid4()
    headers = platform.headers(tenant, ("*",), company_ids=[company])
    client = platform.client
    response = await client.post("/api/v1/accounts/template", headers=headers)
    assert response.status_code == 200, response.text
    response = await client.post("/api/v1/rules/templates/install", json={}, headers=headers)
    assert response.status_code == 200, response.text
    response = await client.post(
        "/api/v1/customers",
        json=customer
        or {
            "code": "C-0001",
            "name": "Rangs Properties Ltd.",
            "bin": "000123456-0101",
            "tin": "361452987013",
            "email": "accounts@rangs.example.bd",
            "payment_terms_days": 30,
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    customer_id = uuid.UUID(response.json()["id"])
    response = await client.post(
        "/api/v1/vendors",
        json=vendor
        or {
            "code": "V-0001",
            "kind": "supplier",
            "name": "Bashundhara Cement Ltd.",
            "tin": "512345678901",
            "bin": "000987654-0101",
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    vendor_id = uuid.UUID(response.json()["id"])
    accounts: dict[str, uuid.UUID] = {}
    cursor = None
    while True:
        params = {"limit": "200", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/accounts", params=params, headers=headers)).json()
        for item in page["items"]:
            accounts[item["code"]] = uuid.UUID(item["id"])
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return Books(platform, tenant, company, customer_id, vendor_id, accounts)


def line(description: str, quantity: str, price: str, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "unit": extra.pop("unit", "pcs"),
        "quantity": quantity,
        "unit_price": price,
        **extra,
    }


def entry(books: Books, date: str, *pairs: tuple[str, str, str], **extra: Any) -> dict[str, Any]:
    """A journal entry body from (account code, debit, credit) triples."""
    return {
        "journal": extra.pop("journal", "general"),
        "date": date,
        "lines": [
            {"account_id": str(books.accounts[code]), "debit": debit, "credit": credit, **extra}
            for code, debit, credit in pairs
        ],
    }


# --- bills through the workflow ---------------------------------------------------------------


async def open_task(books: Books, instance_id: str) -> dict[str, Any]:
    response = await books.platform.client.get(f"/api/v1/workflows/instances/{instance_id}", headers=books.headers())
    assert response.status_code == 200, response.text
    [task] = response.json()["open_tasks"]
    return dict(task)


async def act_on(books: Books, task_id: str, action: str, **extra: Any) -> None:
    headers = books.headers(("*",), roles=["accounts-payable"], subject=uuid.uuid4())
    response = await books.platform.client.post(
        f"/api/v1/workflows/tasks/{task_id}/actions", json={"action": action, **extra}, headers=headers
    )
    assert response.status_code == 200, response.text


async def wait_for_status(books: Books, bill_id: str, status: str) -> dict[str, Any]:
    for _ in range(200):
        bill = (await books.get(f"/bills/{bill_id}")).json()
        if bill["status"] == status:
            return dict(bill)
        await asyncio.sleep(0.05)
    raise AssertionError(f"bill stayed {bill['status']}, expected {status}")


async def submitted_bill(books: Books, amount: str = "50000.00", **extra: Any) -> dict[str, Any]:
    body = {
        "vendor_id": str(books.vendor),
        "date": "2025-10-08",
        "reference": "BCL/2025/4471",
        "lines": [line("Cement, 200 bags", "1", amount)],
        **extra,
    }
    bill = (await books.post("/bills", body, expect=201)).json()
    assert bill["status"] == "draft"
    assert bill["side"] == "purchase"
    early = await books.post(f"/bills/{bill['id']}/post")
    assert early.status_code == 409
    assert early.json()["code"] == "approval_pending"
    submitted = (await books.post(f"/bills/{bill['id']}/submit", expect=200)).json()
    return dict(submitted)


async def posted_bill(books: Books, amount: str = "50000.00", **extra: Any) -> dict[str, Any]:
    """A bill submitted, approved by accounts payable and posted by the workflow."""
    bill = await submitted_bill(books, amount, **extra)
    task = await open_task(books, bill["workflow_instance_id"])
    await act_on(books, task["id"], "approve")
    return await wait_for_status(books, bill["id"], "posted")
