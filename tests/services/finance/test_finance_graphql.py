"""Finance over GraphQL: an invoice by id (federation entity FinanceDocument), lists, the trial
balance, and permissions."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from finance_support import Books, line, open_books

DOCUMENT = """
query($id: ID!) { financeDocument(id: $id) { id kind status number partyName total vat outstanding
  lines { lineNo description vatCode vatRate vat total } } }
"""
TRIAL = (
    'query { financeTrialBalance(fiscalYear: "2025-26", period: 4) { difference totalDebit rows { code balance } } }'
)
LIST = 'query { financeDocuments(kind: "invoice", limit: 10) { items { id number } nextCursor } }'


async def gql(books: Books, query: str, variables: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    headers = kwargs.pop("headers", None) or books.headers()
    response = await books.platform.client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_an_invoice_and_the_trial_balance_over_graphql(platform) -> None:
    books = await open_books(platform)
    invoice = await books.invoice([line("Cement", "10", "500.00")])
    body = await gql(books, DOCUMENT, {"id": invoice["id"]})
    document = body["data"]["financeDocument"]
    assert (document["number"], document["status"], document["partyName"]) == (
        invoice["number"],
        "posted",
        "Rangs Properties Ltd.",
    )
    assert Decimal(document["total"]) == Decimal("5750.00")
    assert document["lines"][0]["vatCode"] == "VAT-STD-15"
    listing = (await gql(books, LIST))["data"]["financeDocuments"]
    assert [item["id"] for item in listing["items"]] == [invoice["id"]]
    trial = (await gql(books, TRIAL))["data"]["financeTrialBalance"]
    assert Decimal(trial["difference"]) == 0
    assert {row["code"]: Decimal(row["balance"]) for row in trial["rows"]}["1140"] == Decimal("5750.00")
    denied = await gql(books, TRIAL, headers=books.headers(("finance.invoice.read",)))
    assert denied["errors"][0]["extensions"]["code"] == "forbidden"
    stranger = await gql(books, DOCUMENT, {"id": invoice["id"]}, headers=books.platform.headers(uuid.uuid4(), ("*",)))
    assert stranger["errors"][0]["extensions"]["code"] == "not_found"
