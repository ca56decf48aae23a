"""Receipts and payments over HTTP: allocation to one or many documents, advances, overpayment,
mobile financial services, cheques (clearing and bouncing), VDS (Mushak-6.6) and TDS withheld on
vendor payments by bd.withholding.rate, and no over-allocation under concurrency."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from finance_support import Books, line, open_books, posted_bill


def receipt(books: Books, amount: str, *allocations: tuple[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "direction": "receipt",
        "party_id": str(books.customer),
        "date": extra.pop("date", "2025-10-20"),
        "method": extra.pop("method", "bank"),
        "amount": amount,
        "allocations": [{"document_id": ident, "amount": value} for ident, value in allocations],
        **extra,
    }


async def test_a_receipt_settles_two_invoices_and_holds_the_rest_as_advance(platform) -> None:
    books = await open_books(platform)
    first = await books.invoice([line("Flat booking fee", "1", "1000.00")])
    second = await books.invoice([line("Parking", "1", "2000.00")])
    body = receipt(
        books, "5000.00", (first["id"], "1150.00"), (second["id"], "1000.00"), transaction_id="BRAC-TT-88213"
    )
    paid = (await books.post("/payments", body, expect=201)).json()
    assert paid["number"] == "RV-2025-26-000001"
    assert (Decimal(paid["allocated"]), Decimal(paid["advance"])) == (Decimal("2150.00"), Decimal("2850.00"))
    assert (await books.get(f"/invoices/{first['id']}")).json()["status"] == "paid"
    partial = (await books.get(f"/invoices/{second['id']}")).json()
    assert partial["status"] == "partially_paid"
    assert Decimal(partial["outstanding"]) == Decimal("1300.00")
    balances = await books.balances()
    assert balances["1120"] == Decimal("5000.00")
    assert balances["1140"] == Decimal("1300.00")
    assert balances["2140"] == Decimal("-2850.00")
    assert sum(balances.values()) == 0
    ageing = (await books.get("/reports/ageing?side=receivable&as_of=2025-10-20")).json()
    assert Decimal(ageing["totals"]["current"]) == Decimal("1300.00")
    later = (await books.get("/reports/ageing?side=receivable&as_of=2026-01-20")).json()
    assert Decimal(later["totals"]["61-90"]) == Decimal("1300.00")


async def test_bad_receipts_are_refused_and_change_nothing(platform) -> None:
    books = await open_books(platform)
    invoice = await books.invoice([line("Sand", "1", "1000.00")])
    cases = [
        (receipt(books, "1000.00", (invoice["id"], "1150.00")), 422, "body.amount"),  # short
        (receipt(books, "2000.00", (invoice["id"], "1150.00"), allow_advance=False), 422, "body.amount"),  # overpaid
        (receipt(books, "2000.00", (invoice["id"], "1200.00")), 409, "body.allocations.0.amount"),  # over-allocated
        (receipt(books, "100.00", method="bkash"), 422, "body.transaction_id"),
        (receipt(books, "100.00", method="cheque"), 422, "body.cheque_number"),
        (receipt(books, "100.00", (invoice["id"], "50.00"), (invoice["id"], "50.00")), 422, "body.allocations"),
    ]
    for body, status, field in cases:
        response = await books.post("/payments", body)
        assert response.status_code == status, response.text
        assert any(error["field"] == field for error in response.json()["errors"]), response.json()
    assert (await books.get("/payments")).json()["items"] == []
    assert (await books.get(f"/invoices/{invoice['id']}")).json()["status"] == "posted"


async def test_a_mobile_wallet_transaction_is_recorded_once(platform) -> None:
    books = await open_books(platform)
    body = receipt(books, "2500.00", method="bkash", transaction_id="9A7B6C5D4E")
    paid = (await books.post("/payments", body, expect=201)).json()
    assert paid["transaction_id"] == "9A7B6C5D4E"
    assert Decimal(paid["advance"]) == Decimal("2500.00")
    assert (await books.balances())["1130"] == Decimal("2500.00")
    again = await books.post("/payments", body)
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_transaction"


async def test_two_payments_cannot_over_allocate_one_invoice(platform) -> None:
    books = await open_books(platform)
    invoice = await books.invoice([line("Rod", "1", "1000.00")])
    bodies = [receipt(books, "800.00", (invoice["id"], "800.00"), allow_advance=False) for _ in range(2)]
    results = await asyncio.gather(*(books.post("/payments", body) for body in bodies))
    assert sorted(response.status_code for response in results) == [201, 409], [r.text for r in results]
    after = (await books.get(f"/invoices/{invoice['id']}")).json()
    assert Decimal(after["settled"]) == Decimal("800.00")
    assert after["status"] == "partially_paid"
    assert len((await books.get("/payments")).json()["items"]) == 1


async def test_a_bounced_cheque_reverses_its_entry_and_reopens_the_invoice(platform) -> None:
    books = await open_books(platform)
    invoice = await books.invoice([line("Brick", "1000", "12.00")])
    body = receipt(
        books, invoice["total"], (invoice["id"], invoice["total"]), method="cheque", cheque_number="DBBL-004512"
    )
    paid = (await books.post("/payments", body, expect=201)).json()
    assert paid["cheque_status"] == "pending"
    assert (await books.get(f"/invoices/{invoice['id']}")).json()["status"] == "paid"
    bounced = (await books.post(f"/payments/{paid['id']}/bounce", expect=200)).json()
    assert (bounced["cheque_status"], bounced["status"]) == ("bounced", "reversed")
    reopened = (await books.get(f"/invoices/{invoice['id']}")).json()
    assert reopened["status"] == "posted"
    assert Decimal(reopened["outstanding"]) == Decimal(invoice["total"])
    balances = await books.balances()
    assert balances.get("1120", Decimal(0)) == 0
    assert balances["1140"] == Decimal(invoice["total"])
    assert (await books.post(f"/payments/{paid['id']}/clear")).status_code == 409


async def test_a_vendor_payment_withholds_vds_and_tds_with_certificates(platform) -> None:
    books = await open_books(platform)
    bill = await posted_bill(
        books,
        customer_type="withholding-entity",
        lines=[line("Piling works, Block B", "1", "40000.00", vat_category="services.construction")],
    )
    assert bill["vds"] is True
    assert Decimal(bill["vat"]) == Decimal("3000.00")
    assert Decimal(bill["total"]) == Decimal("43000.00")
    body = {
        "direction": "payment",
        "party_id": str(books.vendor),
        "date": "2025-10-25",
        "method": "bank",
        "amount": "38400.00",
        "allocations": [{"document_id": bill["id"], "amount": "43000.00"}],
    }
    short = await books.post("/payments", {**body, "amount": "38000.00"})
    assert short.status_code == 422
    assert short.json()["expected_amount"] == "38400.00"
    paid = (await books.post("/payments", body, expect=201)).json()
    assert paid["number"] == "PV-2025-26-000001"
    assert (Decimal(paid["vds"]), Decimal(paid["tds"])) == (Decimal("3000.00"), Decimal("1600.00"))
    certificates = {item["kind"]: item for item in paid["certificates"]}
    assert certificates["vds"]["number"] == "M66-2025-26-000001"
    assert (certificates["tds"]["number"], Decimal(certificates["tds"]["rate"])) == ("TDS-2025-26-000001", Decimal("4"))
    assert (await books.get(f"/bills/{bill['id']}")).json()["status"] == "paid"
    balances = await books.balances()
    assert balances["2110"] == 0
    assert (balances["2125"], balances["2130"], balances["1120"]) == (
        Decimal("-3000.00"),
        Decimal("-1600.00"),
        Decimal("-38400.00"),
    )
    vat = (await books.get("/reports/vat-return?month=2025-10")).json()
    assert Decimal(vat["vds_deducted_from_suppliers"]) == Decimal("3000.00")
    # deposit by treasury challan, then the supplier gets its Mushak-6.6
    vds = certificates["vds"]
    early = await books.get(f"/certificates/{vds['id']}/mushak-6.6.pdf", expect=409)
    assert early.json()["code"] == "not_deposited"
    deposit = {"kind": "vds", "certificate_ids": [vds["id"]], "challan_number": "TC-2025-11-0093", "date": "2025-11-10"}
    deposited = (await books.post("/certificates/deposit", deposit, expect=200)).json()
    assert deposited[0]["challan_number"] == "TC-2025-11-0093"
    again = await books.post("/certificates/deposit", deposit)
    assert again.status_code == 409
    balances = await books.balances()
    assert balances.get("2125", Decimal(0)) == 0
    assert balances["1120"] == Decimal("-41400.00")
    branding = {"name": "Meghna Builders Ltd.", "bin": "001234567-0101", "address": "Banani, Dhaka"}
    response = await platform.client.put(
        f"/api/v1/documents/branding/{books.company}", json=branding, headers=books.headers()
    )
    assert response.status_code == 200, response.text
    pdf = await books.get(f"/certificates/{vds['id']}/mushak-6.6.pdf")
    assert pdf.content.startswith(b"%PDF")


async def test_a_repeated_payment_with_its_idempotency_key_is_recorded_once(platform) -> None:
    books = await open_books(platform)
    body = receipt(books, "500.00", method="nagad", transaction_id="NGD88123456")
    headers = {**books.headers(), "Idempotency-Key": "receipt-ngd88123456"}
    first = (await books.post("/payments", body, headers=headers, expect=201)).json()
    again = (await books.post("/payments", body, headers=headers, expect=200)).json()
    assert again["id"] == first["id"]
    assert len((await books.get("/payments")).json()["items"]) == 1


async def test_customer_statement_and_cash_book(platform) -> None:
    books = await open_books(platform)
    first = await books.invoice([line("Flat instalment 1", "1", "100000.00")], date="2025-09-10")
    await books.invoice([line("Flat instalment 2", "1", "100000.00")], date="2025-10-10")
    await books.post(
        "/payments",
        receipt(books, "115000.00", (first["id"], "115000.00"), method="cash", date="2025-10-12"),
        expect=201,
    )
    statement = (
        await books.get(
            "/reports/party-statement",
            params={"party_id": str(books.customer), "date_from": "2025-10-01", "date_to": "2025-10-31"},
        )
    ).json()
    assert Decimal(statement["opening_balance"]) == Decimal("115000.00")
    assert [(row["kind"], Decimal(row["amount"])) for row in statement["lines"]] == [
        ("invoice", Decimal("115000.00")),
        ("receipt", Decimal("-115000.00")),
    ]
    assert Decimal(statement["closing_balance"]) == Decimal("115000.00")
    cash = (
        await books.get(
            "/reports/cash-book", params={"book": "cash", "date_from": "2025-10-01", "date_to": "2025-10-31"}
        )
    ).json()
    assert cash["code"] == "1110"
    assert [Decimal(row["debit"]) for row in cash["lines"]] == [Decimal("115000.00")]


async def test_a_usd_invoice_paid_at_a_better_rate_books_a_realized_gain(platform) -> None:
    books = await open_books(platform)
    invoice = await books.invoice(
        [line("Design consultancy, export", "1", "1000.00")], currency="USD", fx_rate="119.50", export=True
    )
    assert (invoice["currency"], Decimal(invoice["fx_rate"])) == ("USD", Decimal("119.5000"))
    assert Decimal(invoice["vat"]) == 0  # export: zero-rated by bd.vat.rate
    assert (await books.balances())["1140"] == Decimal("119500.00")
    body = receipt(books, "1000.00", (invoice["id"], "1000.00"), currency="USD", fx_rate="121.25")
    paid = (await books.post("/payments", body, expect=201)).json()
    assert Decimal(paid["fx_difference"]) == Decimal("1750.00")
    balances = await books.balances()
    assert balances["1120"] == Decimal("121250.00")
    assert balances.get("1140", Decimal(0)) == 0
    assert balances["4900"] == Decimal("-1750.00")
    assert sum(balances.values()) == 0
    mismatch = await books.post("/payments", receipt(books, "10.00", (invoice["id"], "10.00")))
    assert mismatch.status_code == 422
    missing_rate = await books.post(
        "/invoices",
        {"customer_id": str(books.customer), "date": "2025-10-05", "currency": "USD", "lines": [line("x", "1", "1")]},
    )
    assert missing_rate.status_code == 422
