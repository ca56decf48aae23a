"""Vendor bills go through the workflow vendor-invoice-approval: submitted bills get their number and
a process; once approved, the workflow's own step posts the bill to the ledger (POST
/journal-entries with source=vendor-invoice) and schedules its payment; a rejection sends the bill
back."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from finance_support import act_on, open_books, open_task, submitted_bill, wait_for_status


async def test_an_approved_bill_is_posted_by_the_workflow_and_its_payment_scheduled(platform) -> None:
    books = await open_books(platform)
    bill = await submitted_bill(books)
    assert bill["status"] == "submitted"
    assert bill["number"] == "VB-2025-26-000001"
    assert bill["workflow_instance_id"]
    task = await open_task(books, bill["workflow_instance_id"])
    assert task["assignee_role"] == "accounts-payable"
    await act_on(books, task["id"], "approve", comment="Matches GRN-0192")
    posted = await wait_for_status(books, bill["id"], "posted")
    assert posted["journal_entry_id"]
    balances = await books.balances()
    assert balances["2110"] == -Decimal(posted["total"])
    assert balances["1154"] == Decimal(posted["vat"])  # standard-rate VAT is input credit
    assert balances["5110"] == Decimal("50000.00")
    for _ in range(100):
        schedules = (await books.get("/payment-schedules")).json()["items"]
        if schedules:
            break
        await asyncio.sleep(0.05)
    assert [(item["reference"], item["document_id"]) for item in schedules] == [(bill["number"], bill["id"])]


async def test_a_rejected_bill_goes_back_and_is_never_posted(platform) -> None:
    books = await open_books(platform)
    bill = await submitted_bill(books)
    task = await open_task(books, bill["workflow_instance_id"])
    await act_on(books, task["id"], "reject", reason="Rates above the contract")
    await wait_for_status(books, bill["id"], "rejected")
    refused = await books.post(f"/bills/{bill['id']}/post")
    assert refused.status_code == 409
    assert (await books.trial_balance())["rows"] == []
