"""Customer invoices, vendor bills and notes over HTTP: VAT from the rules engine (bd.vat.rate) on the
value including SD, rounding per line to the paisa, posting with a gap-free Mushak-6.3 number and
the GL entry in one transaction, cancellation by credit note, bills approved through the workflow."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from finance_support import line, open_books

from vextrus.services.finance.rules import line_figures

ROUNDING_CASES = [
    # quantity, price, discount %, sd %, vat %, value, sd, vat, total
    ("1", "1000.00", "0", "0", "15", "1000.00", "0.00", "150.00", "1150.00"),
    ("1", "1000.00", "0", "10", "15", "1000.00", "100.00", "165.00", "1265.00"),
    ("3", "33.333", "0", "0", "15", "100.00", "0.00", "15.00", "115.00"),
    ("7", "0.15", "0", "0", "7.5", "1.05", "0.00", "0.08", "1.13"),  # 0.07875 → 0.08 (half up)
    ("1", "0.10", "0", "0", "15", "0.10", "0.00", "0.02", "0.12"),  # 0.015 → 0.02 (half up, not banker's)
    ("2", "125.50", "10", "0", "15", "225.90", "0.00", "33.89", "259.79"),  # 251.00 − 25.10
    ("1", "99.99", "0", "35", "15", "99.99", "35.00", "20.25", "155.24"),  # sd 34.9965 → 35.00
]


@pytest.mark.parametrize(("qty", "price", "disc", "sd_rate", "vat_rate", "value", "sd", "vat", "total"), ROUNDING_CASES)
def test_line_rounding_rule(qty, price, disc, sd_rate, vat_rate, value, sd, vat, total) -> None:
    figures = line_figures(
        Decimal(qty),
        Decimal(price),
        discount_percent=Decimal(disc),
        sd_rate=Decimal(sd_rate),
        vat_rate=Decimal(vat_rate),
    )
    assert (figures.value, figures.sd, figures.vat, figures.total) == tuple(Decimal(x) for x in (value, sd, vat, total))


async def test_an_invoice_takes_vat_from_the_rules_engine_and_posts_to_the_ledger(platform) -> None:
    books = await open_books(platform)
    draft = await books.invoice(
        [
            line("Ready-mix concrete M25", "10", "8500.00", unit="m3", sd_rate="10"),
            line(
                "Structural works, Block C", "1", "250000.00", vat_category="services.construction", cost_centre="UTT-C"
            ),
        ],
        post=False,
    )
    assert draft["status"] == "draft"
    assert draft["number"] is None
    first, second = draft["lines"]
    assert (first["vat_code"], Decimal(first["vat_rate"])) == ("VAT-STD-15", Decimal("15"))
    assert (Decimal(first["value"]), Decimal(first["sd"]), Decimal(first["vat"])) == (
        Decimal("85000.00"),
        Decimal("8500.00"),
        Decimal("14025.00"),
    )
    assert (second["vat_code"], Decimal(second["vat_rate"])) == ("VAT-RED-7.5", Decimal("7.5"))
    assert Decimal(second["vat"]) == Decimal("18750.00")
    assert Decimal(draft["total"]) == Decimal("85000.00") + Decimal("8500.00") + Decimal("14025.00") + Decimal(
        "268750.00"
    )
    assert draft["party"]["name"] == "Rangs Properties Ltd."
    assert draft["customer_type"] == "registered"
    # nothing reaches the ledger until posting
    assert (await books.trial_balance())["rows"] == []
    posted = (await books.post(f"/invoices/{draft['id']}/post", expect=200)).json()
    assert posted["status"] == "posted"
    assert posted["number"] == "INV-2025-26-000001"
    entry = (await books.get(f"/journal-entries/{posted['journal_entry_id']}")).json()
    assert entry["journal"] == "sales"
    assert entry["number"] == "SJ-2025-26-000001"
    balances = await books.balances()
    total = Decimal(posted["total"])
    assert balances["1140"] == total
    assert balances["2120"] == -(Decimal("8500.00") + Decimal("14025.00") + Decimal("18750.00"))
    assert balances["4100"] == -(Decimal("85000.00") + Decimal("250000.00"))
    assert sum(balances.values()) == 0
    again = await books.post(f"/invoices/{draft['id']}/post")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_state"


async def test_vat_override_needs_its_permission(platform) -> None:
    books = await open_books(platform)
    body = {
        "customer_id": str(books.customer),
        "date": "2025-10-05",
        "lines": [line("Rod", "1", "100.00", vat_rate="5")],
    }
    without = books.headers(("finance.invoice.write",))
    refused = await books.post("/invoices", body, headers=without)
    assert refused.status_code == 403
    assert refused.json()["permission"] == "finance.vat.override"
    allowed = books.headers(("finance.invoice.write", "finance.vat.override", "finance.invoice.read"))
    created = (await books.post("/invoices", body, headers=allowed, expect=201)).json()
    assert created["lines"][0]["vat_overridden"] is True
    assert Decimal(created["lines"][0]["vat"]) == Decimal("5.00")


async def test_bad_invoices_are_refused_with_the_field(platform) -> None:
    books = await open_books(platform)
    cases = [
        ({"customer_id": str(books.vendor), "date": "2025-10-05", "lines": [line("x", "1", "1")]}, "body.customer_id"),
        ({"customer_id": str(books.customer), "date": "2025-10-05", "lines": []}, "body.lines"),
        (
            {"customer_id": str(books.customer), "date": "2025-10-05", "lines": [line("x", "0", "1")]},
            "body.lines.0.quantity",
        ),
        (
            {
                "customer_id": str(books.customer),
                "date": "2025-10-05",
                "lines": [line("x", "1", "10", discount_amount="11")],
            },
            "body.lines.0.discount",
        ),
        ({"vendor_id": str(books.vendor), "date": "2025-10-05", "lines": [line("x", "1", "1")]}, "body.vendor_id"),
    ]
    for body, field in cases:
        response = await books.post("/invoices", body)
        assert response.status_code == 422, response.text
        assert any(error["field"] == field for error in response.json()["errors"]), (field, response.json())
    assert (await books.get("/invoices")).json()["items"] == []


async def test_mushak_numbers_stay_gap_free_under_concurrent_posting(platform) -> None:
    books = await open_books(platform)
    drafts = [await books.invoice([line(f"Item {n}", "1", "100.00")], post=False) for n in range(8)]
    results = await asyncio.gather(*(books.post(f"/invoices/{d['id']}/post") for d in drafts))
    assert all(response.status_code == 200 for response in results), [r.text for r in results]
    numbers = sorted(response.json()["number"] for response in results)
    assert numbers == [f"INV-2025-26-{n:06d}" for n in range(1, 9)]


async def test_cancelling_an_invoice_issues_a_full_credit_note_and_restores_the_ledger(platform) -> None:
    books = await open_books(platform)
    invoice = await books.invoice([line("Tiles", "100", "85.00", sd_rate="20")])
    note = (
        await books.post(
            f"/invoices/{invoice['id']}/cancel",
            {"reason": "Wrong tile grade delivered", "date": "2025-10-25"},
            expect=201,
        )
    ).json()
    assert note["kind"] == "credit_note"
    assert note["number"] == "CN-2025-26-000001"
    assert note["original_id"] == invoice["id"]
    assert Decimal(note["total"]) == Decimal(invoice["total"])
    assert {code: value for code, value in (await books.balances()).items() if value} == {}
    cancelled = (await books.get(f"/invoices/{invoice['id']}")).json()
    assert cancelled["status"] == "cancelled"
    assert Decimal(cancelled["outstanding"]) == 0
    again = await books.post(f"/invoices/{invoice['id']}/cancel", {"reason": "again", "date": "2025-10-25"})
    assert again.status_code == 409


async def test_a_partial_credit_note_and_a_debit_note(platform) -> None:
    books = await open_books(platform)
    invoice = await books.invoice([line("Cement bags", "100", "520.00")])
    credit = (
        await books.post(
            "/credit-notes",
            {
                "original_id": invoice["id"],
                "date": "2025-10-20",
                "reason": "10 bags damaged",
                "lines": [line("Cement bags", "10", "520.00")],
            },
            expect=201,
        )
    ).json()
    posted = (await books.post(f"/credit-notes/{credit['id']}/post", expect=200)).json()
    assert Decimal(posted["total"]) == Decimal("5980.00")
    after = (await books.get(f"/invoices/{invoice['id']}")).json()
    assert Decimal(after["outstanding"]) == Decimal(invoice["total"]) - Decimal("5980.00")
    assert after["status"] == "partially_paid"
    debit = (
        await books.post(
            "/debit-notes",
            {
                "original_id": invoice["id"],
                "date": "2025-10-21",
                "reason": "Transport",
                "lines": [line("Carriage", "1", "2000.00")],
            },
            expect=201,
        )
    ).json()
    posted_debit = (await books.post(f"/debit-notes/{debit['id']}/post", expect=200)).json()
    assert posted_debit["number"] == "DN-2025-26-000001"
    assert Decimal(posted_debit["outstanding"]) == Decimal("2300.00")
    register = (await books.get("/reports/mushak-6.2?month=2025-10")).json()
    assert [row["kind"] for row in register["rows"]] == ["invoice", "credit_note", "debit_note"]
    assert Decimal(register["total"]) == Decimal(invoice["total"]) - Decimal("5980.00") + Decimal("2300.00")


async def test_an_idempotency_key_makes_a_repeated_create_answer_the_first_document(platform) -> None:
    books = await open_books(platform)
    body = {"customer_id": str(books.customer), "date": "2025-10-05", "lines": [line("Sand", "1", "100.00")]}
    headers = {**books.headers(), "Idempotency-Key": "inv-2025-10-05-sand"}
    first = await books.post("/invoices", body, headers=headers, expect=201)
    again = await books.post("/invoices", body, headers=headers, expect=200)
    assert again.json()["id"] == first.json()["id"]
    assert len((await books.get("/invoices")).json()["items"]) == 1
    reused = await books.post("/bills", {**body, "customer_id": None, "vendor_id": str(books.vendor)}, headers=headers)
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
