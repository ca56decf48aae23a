"""Properties of the ledger, checked over HTTP on generated postings (hypothesis draws the
sequences; each runs in a fresh tenant on both databases):

- any sequence of valid postings keeps the trial balance at zero difference;
- a reversal restores every balance;
- the reports (trial balance by period, P&L, balance sheet, general ledger) equal a recomputation
  from the raw journal lines.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from finance_support import Books, open_books
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ACCOUNTS = ("1110", "1120", "1140", "1161", "2110", "2120", "3100", "4100", "4300", "5110", "5130", "5220")
DAYS = ("2025-07-03", "2025-08-14", "2025-10-01", "2025-10-31", "2026-01-15", "2026-06-30")
CENTS = st.integers(min_value=1, max_value=10**11)  # up to 1,000,000,000.00 taka per line


@st.composite
def postings(draw: st.DrawFn) -> dict[str, Any]:
    debits = draw(st.lists(st.tuples(st.sampled_from(ACCOUNTS), CENTS), min_size=1, max_size=3))
    total = sum(cents for _, cents in debits)
    credit_accounts = draw(st.lists(st.sampled_from(ACCOUNTS), min_size=1, max_size=min(3, total)))
    cuts = (
        sorted(
            draw(
                st.lists(
                    st.integers(1, total - 1),
                    min_size=len(credit_accounts) - 1,
                    max_size=len(credit_accounts) - 1,
                    unique=True,
                )
            )
        )
        if total > 1
        else []
    )
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
    centre = draw(st.sampled_from(("", "HQ", "SITE-UTT")))
    lines = [{"code": code, "debit": cents, "credit": 0, "cost_centre": centre} for code, cents in debits]
    lines += [
        {"code": code, "debit": 0, "credit": cents, "cost_centre": ""}
        for code, cents in zip(credit_accounts, parts, strict=True)
    ]
    return {"date": draw(st.sampled_from(DAYS)), "lines": lines, "reverse": draw(st.booleans())}


def examples(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """``count`` values hypothesis draws from ``strategy`` (deterministic, edge cases included)."""
    drawn: list[Any] = []

    @settings(
        max_examples=count, database=None, derandomize=True, suppress_health_check=list(HealthCheck), deadline=None
    )
    @given(strategy)
    def collect(value: Any) -> None:
        drawn.append(value)

    collect()
    return drawn[-count:]


def money(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


def body(books: Books, posting: dict[str, Any]) -> dict[str, Any]:
    return {
        "journal": "general",
        "date": posting["date"],
        "lines": [
            {
                "account_id": str(books.accounts[line["code"]]),
                "debit": money(line["debit"]),
                "credit": money(line["credit"]),
                **({"cost_centre": line["cost_centre"]} if line["cost_centre"] else {}),
            }
            for line in posting["lines"]
        ],
    }


async def all_entries(books: Books) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = (
            await books.get("/journal-entries", params={"limit": 200, **({"cursor": cursor} if cursor else {})})
        ).json()
        entries += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return entries


def recompute(entries: list[dict[str, Any]], upto_period: int = 12) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        if entry["fiscal_year"] == "2025-26" and entry["period"] <= upto_period:
            for line in entry["lines"]:
                sums[line["account_code"]] += Decimal(line["debit"]) - Decimal(line["credit"])
    return {code: value for code, value in sums.items() if value}


async def test_postings_keep_the_books_balanced_and_reports_equal_the_lines(platform) -> None:
    sequences = examples(st.lists(postings(), min_size=1, max_size=6), 3)
    for sequence in sequences:
        books = await open_books(platform)
        for posting in sequence:
            before = await books.trial_balance()
            posted = (await books.post("/journal-entries", body(books, posting), expect=201)).json()
            tb = await books.trial_balance()
            assert Decimal(tb["difference"]) == 0
            if posting["reverse"]:
                await books.post(f"/journal-entries/{posted['id']}/reverse", expect=201)
                restored = await books.trial_balance()
                assert {r["code"]: r["balance"] for r in restored["rows"] if Decimal(r["balance"])} == {
                    r["code"]: r["balance"] for r in before["rows"] if Decimal(r["balance"])
                }
        entries = await all_entries(books)
        for period in (1, 4, 7, 12):
            tb = await books.trial_balance(period=period)
            assert Decimal(tb["difference"]) == 0
            assert {r["code"]: Decimal(r["balance"]) for r in tb["rows"] if Decimal(r["balance"])} == recompute(
                entries, period
            )
        totals = recompute(entries)
        pnl = (await books.get("/reports/profit-and-loss?fiscal_year=2025-26")).json()
        income = -sum((value for code, value in totals.items() if code.startswith("4")), Decimal(0))
        expense = sum((value for code, value in totals.items() if code.startswith("5")), Decimal(0))
        assert Decimal(pnl["net_profit"]) == income - expense
        sheet = (await books.get("/reports/balance-sheet?fiscal_year=2025-26")).json()
        assert sheet["balanced"] is True
        assert Decimal(sheet["current_year_profit"]) == income - expense
        for code in {line["code"] for posting in sequence for line in posting["lines"]}:
            ledger = (
                await books.get(
                    "/reports/general-ledger",
                    params={
                        "account_id": str(books.accounts[code]),
                        "date_from": "2025-07-01",
                        "date_to": "2026-06-30",
                    },
                )
            ).json()
            assert Decimal(ledger["closing_balance"]) == totals.get(code, Decimal(0))
            running = Decimal(0)
            for line in ledger["lines"]:
                running += Decimal(line["debit"]) - Decimal(line["credit"])
                assert Decimal(line["running_balance"]) == running
