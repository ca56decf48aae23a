"""Reports and documents: the Mushak-9.1 summary with its due date, the Mushak-6.1/6.2 registers,
P&L and balance sheet after a year-end close, the Mushak-6.3 PDF through the documents service,
bank statement import with reconciliation suggestions, events and metrics."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from finance_support import entry, line, open_books, posted_bill
from sqlalchemy import select

from vextrus.kit.events.models import OutboxEvent
from vextrus.services.finance.rules import ageing_bucket, vat_return_due

DUE_CASES = [
    (dt.date(2025, 10, 1), dt.date(2025, 11, 16)),  # Saturday 15 Nov → Sunday 16 Nov
    (dt.date(2025, 9, 1), dt.date(2025, 10, 15)),  # Wednesday
    (dt.date(2025, 12, 1), dt.date(2026, 1, 15)),  # year boundary, Thursday
    (dt.date(2026, 4, 1), dt.date(2026, 5, 17)),  # Friday 15 May → Sunday 17 May
]


@pytest.mark.parametrize(("month", "due"), DUE_CASES)
def test_vat_return_due_dates(month: dt.date, due: dt.date) -> None:
    assert vat_return_due(month) == due


@pytest.mark.parametrize(
    ("due", "as_of", "bucket"),
    [
        ("2025-10-31", "2025-10-31", "current"),
        ("2025-10-31", "2025-11-01", "0-30"),
        ("2025-10-31", "2025-11-30", "0-30"),
        ("2025-10-31", "2025-12-01", "31-60"),
        ("2025-10-31", "2026-01-29", "61-90"),
        ("2025-10-31", "2026-01-30", "90+"),
    ],
)
def test_ageing_buckets(due: str, as_of: str, bucket: str) -> None:
    assert ageing_bucket(dt.date.fromisoformat(due), dt.date.fromisoformat(as_of)) == bucket


async def test_vat_return_summarises_the_month(platform) -> None:
    books = await open_books(platform)
    await books.invoice([line("Concrete", "10", "1000.00", sd_rate="10")], date="2025-10-05")  # sd 1000, vat 1650
    await books.invoice(
        [line("Works", "1", "20000.00", vat_category="services.construction")], date="2025-10-20"
    )  # 1500
    await books.invoice([line("Other month", "1", "999.00")], date="2025-11-02")
    await posted_bill(books, "10000.00")  # standard rate, input VAT 1500, dated 2025-10-08
    report = (await books.get("/reports/vat-return?month=2025-10")).json()
    assert report["form"] == "Mushak-9.1"
    assert (report["period_start"], report["period_end"], report["due_date"]) == (
        "2025-10-01",
        "2025-10-31",
        "2025-11-16",
    )
    assert Decimal(report["sales_value"]) == Decimal("30000.00")
    assert (Decimal(report["output_vat"]), Decimal(report["sd"])) == (Decimal("3150.00"), Decimal("1000.00"))
    assert Decimal(report["input_vat"]) == Decimal("1500.00")
    assert Decimal(report["net_payable"]) == Decimal("3150.00") + Decimal("1000.00") - Decimal("1500.00")
    purchases = (await books.get("/reports/mushak-6.1?month=2025-10")).json()
    assert purchases["form"] == "Mushak-6.1"
    assert [row["reference"] for row in purchases["rows"]] == ["BCL/2025/4471"]
    bad = await books.get("/reports/vat-return?month=2025-13", expect=422)
    assert bad.json()["errors"][0]["field"] == "query.month"


async def test_year_end_close_moves_profit_to_retained_earnings(platform) -> None:
    books = await open_books(platform)
    await books.post(
        "/journal-entries",
        entry(books, "2025-09-10", ("1120", "900000.00", "0"), ("4100", "0", "900000.00")),
        expect=201,
    )
    await books.post(
        "/journal-entries",
        entry(books, "2026-02-10", ("5130", "350000.00", "0"), ("1120", "0", "350000.00")),
        expect=201,
    )
    pnl = (await books.get("/reports/profit-and-loss?fiscal_year=2025-26")).json()
    assert Decimal(pnl["net_profit"]) == Decimal("550000.00")
    closed = (await books.post("/fiscal-years/2025-26/close", expect=200)).json()
    assert Decimal(closed["net_profit"]) == Decimal("550000.00")
    assert closed["periods_closed"] == 12
    balances = await books.balances()
    assert balances["3300"] == Decimal("-550000.00")
    assert balances.get("4100", Decimal(0)) == balances.get("5130", Decimal(0)) == 0
    sheet = (await books.get("/reports/balance-sheet?fiscal_year=2025-26")).json()
    assert sheet["balanced"] is True
    assert Decimal(sheet["current_year_profit"]) == 0
    periods = (await books.get("/periods?fiscal_year=2025-26")).json()["items"]
    assert {item["status"] for item in periods} == {"closed"}
    refused = await books.post(
        "/journal-entries", entry(books, "2026-03-01", ("1110", "1.00", "0"), ("3100", "0", "1.00"))
    )
    assert refused.status_code == 409
    # the next year opens on its own, with the balances carried (cumulative balance sheet)
    await books.post(
        "/journal-entries", entry(books, "2026-07-02", ("1110", "1.00", "0"), ("3100", "0", "1.00")), expect=201
    )
    next_year = await books.trial_balance("2026-27", 1)
    assert {row["code"]: Decimal(row["balance"]) for row in next_year["rows"]}["1120"] == Decimal("550000.00")


async def test_posting_an_invoice_announces_it_with_what_a_notification_needs(platform) -> None:
    books = await open_books(platform)
    before = (await platform.client.get("/metrics")).text
    posted = await books.invoice([line("Cement", "10", "500.00")])
    async with platform.runtime.database.transaction() as session:
        rows = (await session.scalars(select(OutboxEvent).where(OutboxEvent.topic == "finance.invoice.posted"))).all()
    envelopes = [json.loads(row.envelope) for row in rows]
    [mine] = [item for item in envelopes if item["tenantid"] == str(books.tenant)]
    data = mine["data"]
    assert (data["invoice_id"], data["number"], data["customer_id"]) == (
        posted["id"],
        posted["number"],
        str(books.customer),
    )
    assert data["customer"]["email"] == "accounts@rangs.example.bd"
    assert data["customer"]["name"] == "Rangs Properties Ltd."
    assert Decimal(data["total"]) == Decimal("5750.00")
    assert Decimal(data["vat"]) == Decimal("750.00")
    assert data["mushak_63_path"] == f"/api/v1/finance/invoices/{posted['id']}/mushak-6.3.pdf"
    after = (await platform.client.get("/metrics")).text
    assert "finance_invoices_posted_total" in after
    assert "finance_vat_output_bdt_total" in after
    assert before != after


async def test_the_mushak_63_pdf_is_rendered_by_the_documents_service(platform) -> None:
    books = await open_books(platform)
    invoice = await books.invoice(
        [
            line("Deformed bar 500W", "2.5", "98500.00", unit="ton"),
            line("Binding wire", "10", "120.00", unit="kg", discount_percent="5"),
        ]
    )
    missing = await books.get(f"/invoices/{invoice['id']}/mushak-6.3.pdf", expect=409)
    assert missing.json()["code"] == "seller_unknown"
    branding = {
        "name": "Meghna Builders Ltd.",
        "name_bn": "মেঘনা বিল্ডার্স লিমিটেড",
        "bin": "001234567-0101",
        "address": "House 5, Road 12, Banani, Dhaka",
    }
    response = await platform.client.put(
        f"/api/v1/documents/branding/{books.company}", json=branding, headers=books.headers()
    )
    assert response.status_code == 200, response.text
    pdf = await books.get(f"/invoices/{invoice['id']}/mushak-6.3.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert invoice["number"] in pdf.headers["content-disposition"]
    draft = await books.invoice([line("x", "1", "1.00")], post=False)
    assert (await books.get(f"/invoices/{draft['id']}/mushak-6.3.pdf", expect=409)).json()["code"] == "not_posted"


async def test_bank_statement_import_suggests_matching_payments(platform) -> None:
    books = await open_books(platform)
    invoice = await books.invoice([line("Booking", "1", "100000.00")])
    paid = (
        await books.post(
            "/payments",
            {
                "direction": "receipt",
                "party_id": str(books.customer),
                "date": "2025-10-20",
                "method": "bank",
                "amount": "115000.00",
                "allocations": [{"document_id": invoice["id"], "amount": "115000.00"}],
            },
            expect=201,
        )
    ).json()
    csv_text = (
        "date,description,reference,amount\n"
        f"2025-10-21,RTGS IN RANGS PROPERTIES,{paid['number']},115000.00\n"
        "2025-10-22,Bank charge,,-575.00\n"
        "not a date,broken,,1\n"
    )
    account = books.accounts["1120"]
    headers = {**books.headers(), "Content-Type": "text/csv"}
    imported = (
        await books.post(f"/bank-statements/{account}/import", content=csv_text, headers=headers, expect=200)
    ).json()
    assert (imported["imported"], imported["duplicates"], len(imported["errors"])) == (2, 0, 1)
    again = (
        await books.post(f"/bank-statements/{account}/import", content=csv_text, headers=headers, expect=200)
    ).json()
    assert (again["imported"], again["duplicates"]) == (0, 2)
    suggestions = (await books.get(f"/bank-statements/{account}/suggestions")).json()
    first, second = suggestions
    assert first["candidates"][0]["payment_id"] == paid["id"]
    assert first["candidates"][0]["score"] > 0.9
    assert second["candidates"] == []
