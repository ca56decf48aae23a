"""The general ledger over HTTP: balanced entries only, gap-free numbers, immutable entries
corrected by reversal, periods open → closed → locked, balances and the trial balance."""

from __future__ import annotations

from decimal import Decimal

from finance_support import entry, open_books


async def test_a_balanced_entry_posts_with_a_number_and_moves_the_trial_balance(platform) -> None:
    books = await open_books(platform)
    body = entry(books, "2025-10-05", ("1110", "5000.00", "0"), ("3100", "0", "5000.00"))
    response = await books.post("/journal-entries", body, expect=201)
    posted = response.json()
    assert posted["number"] == "JV-2025-26-000001"
    assert (posted["fiscal_year"], posted["period"]) == ("2025-26", 4)
    assert [line["account_code"] for line in posted["lines"]] == ["1110", "3100"]
    second = (await books.post("/journal-entries", body, expect=201)).json()
    assert second["number"] == "JV-2025-26-000002"
    report = await books.trial_balance()
    assert Decimal(report["difference"]) == 0
    assert Decimal(report["total_debit"]) == Decimal("10000.00")
    assert {row["code"]: Decimal(row["balance"]) for row in report["rows"]} == {
        "1110": Decimal("10000.00"),
        "3100": Decimal("-10000.00"),
    }
    fetched = await books.get(f"/journal-entries/{posted['id']}")
    assert fetched.json()["total"] == "5000.00" or Decimal(fetched.json()["total"]) == Decimal("5000.00")


async def test_each_journal_and_fiscal_year_numbers_on_its_own(platform) -> None:
    books = await open_books(platform)
    pairs = (("1120", "100.00", "0"), ("1110", "0", "100.00"))
    bank = (await books.post("/journal-entries", entry(books, "2025-07-01", *pairs, journal="bank"), expect=201)).json()
    cash = (await books.post("/journal-entries", entry(books, "2025-07-01", *pairs, journal="cash"), expect=201)).json()
    earlier = (await books.post("/journal-entries", entry(books, "2025-06-30", *pairs), expect=201)).json()
    assert (bank["number"], cash["number"], earlier["number"]) == (
        "BJ-2025-26-000001",
        "CJ-2025-26-000001",
        "JV-2024-25-000001",
    )
    assert (earlier["fiscal_year"], earlier["period"]) == ("2024-25", 12)


async def test_unbalanced_and_malformed_entries_are_refused_and_change_nothing(platform) -> None:
    books = await open_books(platform)
    cases = [
        (
            entry(books, "2025-10-05", ("1110", "100.00", "0"), ("3100", "0", "99.99")),
            422,
            "unbalanced_entry",
            "body.lines",
        ),
        (entry(books, "2025-10-05", ("1110", "100.00", "0")), 422, "validation_failed", "body"),
        (
            entry(books, "2025-10-05", ("1110", "100.00", "100.00"), ("3100", "0", "0")),
            422,
            "validation_failed",
            "body.lines.0",
        ),
        (
            entry(books, "2025-10-05", ("1100", "100.00", "0"), ("3100", "0", "100.00")),
            422,
            "validation_failed",
            "body.lines.0.account_id",
        ),
        (
            entry(books, "2025-10-05", ("1110", "100.001", "0"), ("3100", "0", "100.001")),
            422,
            "validation_failed",
            "body.lines.0.debit",
        ),
    ]
    for body, status, code, field in cases:
        response = await books.post("/journal-entries", body)
        assert response.status_code == status, response.text
        problem = response.json()
        assert response.headers["content-type"].startswith("application/problem+json")
        assert problem["code"] == code, problem
        assert any(error["field"].startswith(field) for error in problem["errors"]), problem
    assert (await books.trial_balance())["rows"] == []
    # the refused entries consumed no number
    ok = await books.post(
        "/journal-entries", entry(books, "2025-10-05", ("1110", "1.00", "0"), ("3100", "0", "1.00")), expect=201
    )
    assert ok.json()["number"] == "JV-2025-26-000001"


async def test_a_reversal_restores_every_balance_and_the_original_stays_as_posted(platform) -> None:
    books = await open_books(platform)
    before = await books.balances()
    body = entry(books, "2025-11-10", ("5220", "45000.00", "0"), ("1120", "0", "45000.00"), cost_centre="HQ")
    posted = (await books.post("/journal-entries", body, expect=201)).json()
    assert (await books.balances())["5220"] == Decimal("45000.00")
    reversal = (await books.post(f"/journal-entries/{posted['id']}/reverse", expect=201)).json()
    assert reversal["reverses_id"] == posted["id"]
    assert [(line["account_code"], line["debit"], line["credit"]) for line in reversal["lines"]] == [
        (line["account_code"], line["credit"], line["debit"]) for line in posted["lines"]
    ]
    after = {code: value for code, value in (await books.balances()).items() if value}
    assert after == {code: value for code, value in before.items() if value}
    original = (await books.get(f"/journal-entries/{posted['id']}")).json()
    assert original["status"] == "reversed"
    assert original["reversed_by_id"] == reversal["id"]
    assert original["lines"] == posted["lines"]
    again = await books.post(f"/journal-entries/{posted['id']}/reverse")
    assert again.status_code == 409
    assert again.json()["code"] == "already_reversed"
    # there is no route that edits or deletes a posted entry
    assert (
        await platform.client.patch(f"/api/v1/finance/journal-entries/{posted['id']}", json={}, headers=books.headers())
    ).status_code == 405
    assert (
        await platform.client.delete(f"/api/v1/finance/journal-entries/{posted['id']}", headers=books.headers())
    ).status_code == 405


async def test_periods_close_in_order_refuse_postings_and_lock_for_good(platform) -> None:
    books = await open_books(platform)
    periods = (await books.get("/periods?fiscal_year=2025-26")).json()
    assert [item["code"] for item in periods["items"]][:2] == ["2025-26/P01", "2025-26/P02"]
    assert {item["status"] for item in periods["items"]} == {"open"}
    out_of_order = await books.post("/periods/2025-26/2/close")
    assert out_of_order.status_code == 409
    assert out_of_order.json()["code"] == "earlier_period_open"
    closed = (await books.post("/periods/2025-26/1/close", expect=200)).json()
    assert closed["status"] == "closed"
    refused = await books.post(
        "/journal-entries", entry(books, "2025-07-15", ("1110", "10.00", "0"), ("3100", "0", "10.00"))
    )
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["code"] == "period_closed"
    assert problem["period_status"] == "closed"
    assert problem["errors"][0]["field"] == "body.date"
    assert "2025-26/P01" in problem["detail"]
    assert (await books.post("/periods/2025-26/1/reopen", expect=200)).json()["status"] == "open"
    await books.post(
        "/journal-entries", entry(books, "2025-07-15", ("1110", "10.00", "0"), ("3100", "0", "10.00")), expect=201
    )
    await books.post("/periods/2025-26/1/close", expect=200)
    assert (await books.post("/periods/2025-26/1/lock", expect=200)).json()["status"] == "locked"
    assert (await books.post("/periods/2025-26/1/reopen")).status_code == 409
    # a reversal into a locked period is refused too: it must be dated in an open period
    posted = (await books.get("/journal-entries")).json()["items"][0]
    refused = await books.post(f"/journal-entries/{posted['id']}/reverse")
    assert refused.status_code == 409
    assert refused.json()["code"] == "period_closed"
    dated = await books.post(f"/journal-entries/{posted['id']}/reverse", json={"date": "2025-08-01"}, expect=201)
    assert dated.json()["period"] == 2


async def test_permissions_are_required(platform) -> None:
    books = await open_books(platform)
    body = entry(books, "2025-10-05", ("1110", "1.00", "0"), ("3100", "0", "1.00"))
    response = await books.post("/journal-entries", body, headers=books.headers(("finance.journal.read",)))
    assert response.status_code == 403
    assert response.json()["permission"] == "finance.journal.post"
