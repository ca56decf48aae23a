"""REST API of finance: ``/api/v1/finance/...`` (thin; the logic is in ledger, sales, payments,
reports). Every route that needs another service asks it first, then opens its own transaction
(the request session is touched only after the calls: SQLite has one writer)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import uuid
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request, Response
from sqlalchemy import select

from vextrus.bd import amount_in_words, amount_in_words_bn, dhaka_datetime, today_dhaka
from vextrus.kit.db import SessionDep
from vextrus.kit.errors import AppError, FieldError
from vextrus.kit.events.outbox import record_event
from vextrus.kit.models import new_id
from vextrus.kit.pagination import Page, PageRequest, page_request, paginate
from vextrus.kit.security import CompanyId, require
from vextrus.kit.tenancy import Principal
from vextrus.services.finance import external, ledger, metrics, payments, reports, sales
from vextrus.services.finance.events import JOURNAL_POSTED, PERIOD_CLOSED, JournalPosted, PeriodClosed
from vextrus.services.finance.external import AccountBook
from vextrus.services.finance.models import (
    APPROVED,
    BILL,
    CANCELLED,
    CREDIT_NOTE,
    DEBIT_NOTE,
    INVOICE,
    PERIOD_OPEN,
    POSTED,
    SUBMITTED,
    Balance,
    Certificate,
    Document,
    JournalEntry,
    JournalLine,
    Payment,
    PaymentSchedule,
    Period,
    StatementLine,
)
from vextrus.services.finance.rules import DEFAULT_ACCOUNT_CODES, ZERO, money
from vextrus.services.finance.schemas import (
    AgeingOut,
    BalanceSheetOut,
    CancelIn,
    CertificateOut,
    DepositIn,
    DocumentIn,
    DocumentOut,
    FinanceSettingsIn,
    FinanceSettingsOut,
    GeneralLedgerOut,
    JournalEntryIn,
    JournalEntryOut,
    JournalLineOut,
    NoteIn,
    PartyStatementOut,
    PaymentIn,
    PaymentOut,
    PeriodList,
    PeriodOut,
    ProfitAndLossOut,
    RegisterOut,
    ReverseIn,
    ScheduleIn,
    ScheduleOut,
    StatementImportOut,
    SuggestionOut,
    TrialBalanceOut,
    VatReturnOut,
    YearEndOut,
)

PREFIX = "/api/v1/finance"
router = APIRouter(prefix=PREFIX, tags=["finance"])

PERMISSIONS = {
    "finance.settings.read": "Read the finance settings (fiscal year start, posting accounts)",
    "finance.settings.write": "Change the fiscal year start (before anything is posted)",
    "finance.period.read": "Read fiscal periods and their states",
    "finance.period.manage": "Close, reopen and lock periods; close a fiscal year",
    "finance.journal.read": "Read journal entries",
    "finance.journal.post": "Post and reverse journal entries (and post approved bills from the workflow)",
    "finance.invoice.read": "Read customer invoices and sales notes",
    "finance.invoice.write": "Draft customer invoices and notes",
    "finance.invoice.post": "Post and cancel customer invoices and notes",
    "finance.bill.read": "Read vendor bills and purchase notes",
    "finance.bill.write": "Draft and submit vendor bills and notes",
    "finance.bill.post": "Post approved vendor bills and purchase notes",
    "finance.vat.override": "Override the VAT rate the rules engine gives a line",
    "finance.payment.read": "Read payments, receipts and withholding certificates",
    "finance.payment.write": "Record payments and receipts; clear or bounce cheques",
    "finance.payment.schedule": "Schedule payments of approved bills",
    "finance.report.read": "Read financial and VAT reports",
    "finance.bank.write": "Import bank statements",
}

FiscalYearPath = Annotated[str, Path(min_length=4, max_length=12, pattern=r"^(FY)?\d{4}(-\d{2,4})?$")]
PeriodNumber = Annotated[int, Path(ge=1, le=12)]
FiscalYearQuery = Annotated[str, Query(min_length=4, max_length=12, pattern=r"^(FY)?\d{4}(-\d{2,4})?$")]
MonthQuery = Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM, e.g. 2025-10")]
CompanyQuery = Annotated[uuid.UUID | None, Query(description="One company (default: the whole tenant)")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=100,
        pattern=r"^[\x21-\x7e]+$",
        description="Repeat a create safely: the same key answers the document created the first time (200)",
    ),
]


def _key_reused() -> AppError:
    return AppError(
        422,
        "idempotency_key_reused",
        "The idempotency key was used for another kind of request",
        "এই আইডেমপোটেন্সি কী অন্য অনুরোধে ব্যবহৃত হয়েছে",
        errors=(FieldError("header.Idempotency-Key", "reused", "used for another request", "অন্য অনুরোধে ব্যবহৃত"),),
    )


async def _replayed_document(
    request: Request, principal: Principal, key: str | None, kind: str, response: Response
) -> DocumentOut | None:
    if key is None:
        return None
    async with _runtime(request).database.transaction() as peek:
        existing = await peek.scalar(
            select(Document).where(Document.tenant_id == principal.tenant_id, Document.idempotency_key == key)
        )
        if existing is None:
            return None
        if existing.kind != kind:
            raise _key_reused()
        lines = (await sales.document_lines(peek, [existing.id]))[existing.id]
    response.status_code = 200
    return sales.document_out(existing, lines)


def _runtime(request: Request) -> Any:
    return request.app.state.runtime


def _company_filter(principal: Principal, company_id: uuid.UUID | None) -> uuid.UUID | None:
    if company_id is not None and not principal.may_act_in(company_id):
        raise AppError(
            403,
            "company_forbidden",
            f"You are not a member of company {company_id}",
            f"আপনি কোম্পানি {company_id}-এর সদস্য নন",
        )
    return company_id


# --- settings and periods -------------------------------------------------------------------------


@router.get("/settings", response_model=FinanceSettingsOut, summary="Fiscal year start and posting accounts")
async def get_settings(
    session: SessionDep, principal: Principal = require("finance.settings.read")
) -> FinanceSettingsOut:
    return FinanceSettingsOut(
        fiscal_start_month=await ledger.fiscal_start_month(session), account_codes=DEFAULT_ACCOUNT_CODES
    )


@router.put(
    "/settings", response_model=FinanceSettingsOut, summary="Set the fiscal year start month (before any posting)"
)
async def put_settings(
    body: FinanceSettingsIn, session: SessionDep, principal: Principal = require("finance.settings.write")
) -> FinanceSettingsOut:
    await ledger.set_fiscal_start_month(session, body.fiscal_start_month)
    return FinanceSettingsOut(fiscal_start_month=body.fiscal_start_month, account_codes=DEFAULT_ACCOUNT_CODES)


def _period_out(period: Period) -> PeriodOut:
    return PeriodOut(
        fiscal_year=period.fiscal_year,
        number=period.number,
        code=f"{period.fiscal_year}/P{period.number:02d}",
        start=period.start,
        end=period.end,
        status=period.status,
        closed_at=period.closed_at,
    )


@router.get("/periods", response_model=PeriodList, summary="The twelve periods of a fiscal year and their states")
async def list_periods(
    session: SessionDep, fiscal_year: FiscalYearQuery, principal: Principal = require("finance.period.read")
) -> PeriodList:
    year = await ledger.fiscal_year_named(session, fiscal_year, "query.fiscal_year")
    return PeriodList(
        fiscal_year=year.label, items=[_period_out(item) for item in await ledger.periods_of(session, year)]
    )


@router.post(
    "/periods/{fiscal_year}/{number}/{action}",
    response_model=PeriodOut,
    summary="close (open → closed), reopen (closed → open) or lock (closed → locked, final) a period",
)
async def change_period(
    fiscal_year: FiscalYearPath,
    number: PeriodNumber,
    action: Literal["close", "reopen", "lock"],
    session: SessionDep,
    principal: Principal = require("finance.period.manage"),
) -> PeriodOut:
    year = await ledger.fiscal_year_named(session, fiscal_year, "path.fiscal_year")
    period = await ledger.change_period(session, year, number, action, principal.subject)
    if action in ("close", "lock"):
        record_event(
            session,
            PERIOD_CLOSED,
            PeriodClosed(
                fiscal_year=year.label, period=number, status=period.status, start=period.start, end=period.end
            ),
            subject=period.id,
        )
    return _period_out(period)


@router.post(
    "/fiscal-years/{fiscal_year}/close",
    response_model=YearEndOut,
    summary="Year-end close: income and expenses to retained earnings (3300), then every period closed",
)
async def close_fiscal_year(
    fiscal_year: FiscalYearPath,
    request: Request,
    session: SessionDep,
    principal: Principal = require("finance.period.manage"),
) -> YearEndOut:
    book = await external.account_book(_runtime(request), principal.tenant_id)
    retained = book.role("retained_earnings")
    year = await ledger.fiscal_year_named(session, fiscal_year, "path.fiscal_year")
    periods = await ledger.periods_of(session, year)
    if periods[-1].status != PERIOD_OPEN:
        raise AppError(409, "period_closed", f"The last period of {year.label} is already closed", "শেষ সময়কাল বন্ধ")
    sums: dict[tuple[uuid.UUID, uuid.UUID, str, str], Decimal] = defaultdict(lambda: ZERO)
    for row in await session.scalars(
        select(Balance).where(Balance.tenant_id == principal.tenant_id, Balance.fiscal_year == year.label)
    ):
        account = book.by_id.get(row.account_id)
        if account is not None and account.type in ("income", "expense"):
            sums[(row.company_id, row.account_id, row.cost_centre, row.project)] += row.debit - row.credit
    by_company: dict[uuid.UUID, list[ledger.LineDraft]] = defaultdict(list)
    net_profit = ZERO
    for (company, account_id, cost_centre, project), balance in sorted(sums.items(), key=lambda item: str(item[0])):
        if balance == 0:
            continue
        net_profit -= balance
        line = (
            ledger.LineDraft(account_id=account_id, credit=balance, cost_centre=cost_centre, project=project)
            if balance > 0
            else ledger.LineDraft(account_id=account_id, debit=-balance, cost_centre=cost_centre, project=project)
        )
        by_company[company].append(line)
    entry_id = None
    for company, lines in by_company.items():
        difference = sum((line.debit - line.credit for line in lines), ZERO)
        if difference > 0:
            lines.append(ledger.LineDraft(account_id=retained.id, credit=difference))
        elif difference < 0:
            lines.append(ledger.LineDraft(account_id=retained.id, debit=-difference))
        entry = await ledger.post_entry(
            session,
            ledger.EntryDraft(
                company_id=company,
                journal="general",
                date=year.end,
                lines=lines,
                memo=f"Year-end close {year.label}: profit and loss to retained earnings",
                source_type="year-end",
            ),
            book,
            principal.subject,
        )
        entry_id = entry.id
    closed = 0
    for period in periods:
        if period.status == PERIOD_OPEN:
            changed = await ledger.change_period(session, year, period.number, "close", principal.subject)
            record_event(
                session,
                PERIOD_CLOSED,
                PeriodClosed(
                    fiscal_year=year.label,
                    period=period.number,
                    status=changed.status,
                    start=changed.start,
                    end=changed.end,
                ),
                subject=changed.id,
            )
            closed += 1
    return YearEndOut(fiscal_year=year.label, closing_entry_id=entry_id, net_profit=net_profit, periods_closed=closed)


# --- journal entries ------------------------------------------------------------------------------


def _entry_out(entry: JournalEntry, lines: list[JournalLine], book: AccountBook | None) -> JournalEntryOut:
    def account(ident: uuid.UUID) -> Any:
        return book.by_id.get(ident) if book else None

    return JournalEntryOut(
        id=entry.id,
        number=entry.number,
        journal=entry.journal,
        company_id=entry.company_id,
        date=entry.date,
        fiscal_year=entry.fiscal_year,
        period=entry.period,
        status=entry.status,
        memo=entry.memo,
        reference=entry.reference,
        source_type=entry.source_type,
        source_id=entry.source_id,
        reverses_id=entry.reverses_id,
        reversed_by_id=entry.reversed_by_id,
        total=entry.total,
        created_at=entry.created_at,
        lines=[
            JournalLineOut(
                line_no=line.line_no,
                account_id=line.account_id,
                account_code=account(line.account_id).code if account(line.account_id) else None,
                account_name=account(line.account_id).name if account(line.account_id) else None,
                company_id=line.company_id,
                debit=line.debit,
                credit=line.credit,
                cost_centre=line.cost_centre or None,
                project=line.project or None,
                description=line.description,
            )
            for line in lines
        ],
    )


def _announce_entry(session: Any, entry: JournalEntry) -> None:
    record_event(
        session,
        JOURNAL_POSTED,
        JournalPosted(
            entry_id=entry.id,
            number=entry.number,
            journal=entry.journal,
            company_id=entry.company_id,
            date=entry.date,
            total=entry.total,
            reverses_id=entry.reverses_id,
        ),
        subject=entry.id,
    )
    metrics.JOURNAL_ENTRIES.labels(entry.journal).inc()


@router.post(
    "/journal-entries",
    response_model=JournalEntryOut,
    status_code=201,
    summary="Post a journal entry (debits = credits); with source=vendor-invoice, post an approved bill",
)
async def post_journal_entry(
    body: JournalEntryIn,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: Principal = require("finance.journal.post"),
) -> JournalEntryOut:
    runtime = _runtime(request)
    if body.source == "vendor-invoice":
        return await _post_bill_from_workflow(body, runtime, session, principal, response)
    company_id = await _acting_company(request)
    book = await external.account_book(runtime, principal.tenant_id, need=[line.account_id for line in body.lines])
    assert body.date is not None
    draft = ledger.EntryDraft(
        company_id=company_id,
        journal=body.journal,
        date=body.date,
        memo=body.memo,
        reference=body.reference,
        source_type="manual",
        lines=[
            ledger.LineDraft(
                account_id=line.account_id,
                debit=line.debit,
                credit=line.credit,
                cost_centre=line.cost_centre or "",
                project=line.project or "",
                description=line.description,
            )
            for line in body.lines
        ],
    )
    entry = await ledger.post_entry(session, draft, book, principal.subject)
    _announce_entry(session, entry)
    lines = (await ledger.entry_lines(session, [entry.id]))[entry.id]
    response.headers["Location"] = f"{PREFIX}/journal-entries/{entry.id}"
    return _entry_out(entry, lines, book)


async def _acting_company(request: Request) -> uuid.UUID:
    from vextrus.kit.security import acting_company

    return await acting_company(request)


async def _post_bill_from_workflow(
    body: JournalEntryIn, runtime: Any, session: Any, principal: Principal, response: Response
) -> JournalEntryOut:
    """The approved state of ``vendor-invoice-approval`` posts its bill (idempotent: a repeat answers
    the entry already posted)."""
    book = await external.account_book(runtime, principal.tenant_id)
    bill = await session.scalar(
        select(Document)
        .where(Document.tenant_id == principal.tenant_id, Document.kind == BILL, Document.number == body.reference)
        .with_for_update()
    )
    if bill is None:
        raise AppError(
            422,
            "validation_failed",
            f"reference: no bill {body.reference}",
            f"reference: বিল {body.reference} নেই",
            errors=(FieldError("body.reference", "unknown", "no such bill", "এমন বিল নেই"),),
        )
    if bill.journal_entry_id is None:
        if bill.status != SUBMITTED:
            raise AppError(409, "invalid_state", f"Bill {bill.number} is {bill.status}", f"বিল {bill.status}")
        if body.amount is not None:
            try:
                stated = Decimal(body.amount)
            except InvalidOperation:
                stated = None
            if stated is not None and money(stated) != bill.total:
                raise AppError(
                    409,
                    "amount_mismatch",
                    f"The approved amount {body.amount} differs from the bill's total {bill.total}",
                    "অনুমোদিত পরিমাণ বিলের মোটের সমান নয়",
                )
        bill.status = APPROVED
        await sales.post_document(session, bill, book, principal.subject)
    else:
        response.status_code = 200
    entry = await ledger.get_entry(session, bill.journal_entry_id)
    lines = (await ledger.entry_lines(session, [entry.id]))[entry.id]
    return _entry_out(entry, lines, book)


@router.get("/journal-entries", response_model=Page[JournalEntryOut], summary="Journal entries, newest first")
async def list_journal_entries(
    request: Request,
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_request)],
    journal: Annotated[Literal["general", "sales", "purchase", "cash", "bank"] | None, Query()] = None,
    fiscal_year: Annotated[str | None, Query(max_length=12)] = None,
    principal: Principal = require("finance.journal.read"),
) -> Page[JournalEntryOut]:
    book = await external.account_book(_runtime(request), principal.tenant_id)
    statement = select(JournalEntry).where(JournalEntry.tenant_id == principal.tenant_id)
    if journal:
        statement = statement.where(JournalEntry.journal == journal)
    if fiscal_year:
        statement = statement.where(JournalEntry.fiscal_year == fiscal_year)
    result = await paginate(session, statement, [JournalEntry.id], page, lambda row: row, descending=True)
    grouped = await ledger.entry_lines(session, [entry.id for entry in result.items])
    return Page[JournalEntryOut](
        items=[_entry_out(entry, grouped[entry.id], book) for entry in result.items], next_cursor=result.next_cursor
    )


@router.get("/journal-entries/{entry_id}", response_model=JournalEntryOut, summary="One journal entry with its lines")
async def get_journal_entry(
    entry_id: uuid.UUID, request: Request, session: SessionDep, principal: Principal = require("finance.journal.read")
) -> JournalEntryOut:
    book = await external.account_book(_runtime(request), principal.tenant_id)
    entry = await ledger.get_entry(session, entry_id)
    return _entry_out(entry, (await ledger.entry_lines(session, [entry.id]))[entry.id], book)


@router.post(
    "/journal-entries/{entry_id}/reverse",
    response_model=JournalEntryOut,
    status_code=201,
    summary="Reverse a posted entry (posted entries never change: the reversal is a new entry)",
)
async def reverse_journal_entry(
    entry_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    body: Annotated[ReverseIn | None, Body()] = None,
    principal: Principal = require("finance.journal.post"),
) -> JournalEntryOut:
    book = await external.account_book(_runtime(request), principal.tenant_id)
    body = body or ReverseIn()
    reversal = await ledger.reverse_entry(session, entry_id, book, principal.subject, date=body.date, memo=body.memo)
    _announce_entry(session, reversal)
    return _entry_out(reversal, (await ledger.entry_lines(session, [reversal.id]))[reversal.id], book)


# --- invoices, bills, notes -----------------------------------------------------------------------


async def _list_documents(
    session: Any,
    principal: Principal,
    kinds: tuple[str, ...],
    page: PageRequest,
    status: str | None,
    party_id: uuid.UUID | None,
) -> Page[DocumentOut]:
    statement = select(Document).where(Document.tenant_id == principal.tenant_id, Document.kind.in_(kinds))
    if status:
        statement = statement.where(Document.status == status)
    if party_id:
        statement = statement.where(Document.party_id == party_id)
    result = await paginate(session, statement, [Document.id], page, lambda row: row, descending=True)
    grouped = await sales.document_lines(session, [item.id for item in result.items])
    return Page[DocumentOut](
        items=[sales.document_out(item, grouped[item.id]) for item in result.items], next_cursor=result.next_cursor
    )


async def _create_document(
    request: Request,
    response: Response,
    session: Any,
    principal: Principal,
    company_id: uuid.UUID,
    kind: str,
    body: DocumentIn,
    idempotency_key: str | None,
) -> DocumentOut:
    replayed = await _replayed_document(request, principal, idempotency_key, kind, response)
    if replayed is not None:
        return replayed
    prepared = await sales.prepare_document(_runtime(request), principal, company_id, kind, body)
    document = await sales.create_document(session, prepared, principal.subject, idempotency_key)
    response.headers["Location"] = f"{PREFIX}/{'invoices' if kind == INVOICE else 'bills'}/{document.id}"
    return await sales.read_document(session, document.id, (kind,))


StatusQuery = Annotated[
    Literal["draft", "submitted", "approved", "rejected", "posted", "partially_paid", "paid", "cancelled"] | None,
    Query(),
]


@router.post("/invoices", response_model=DocumentOut, status_code=201, summary="Draft a customer invoice")
async def create_invoice(
    body: DocumentIn,
    request: Request,
    response: Response,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
    principal: Principal = require("finance.invoice.write"),
    *,
    company_id: CompanyId,
) -> DocumentOut:
    return await _create_document(request, response, session, principal, company_id, INVOICE, body, idempotency_key)


@router.get("/invoices", response_model=Page[DocumentOut], summary="Customer invoices, newest first")
async def list_invoices(
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_request)],
    status: StatusQuery = None,
    customer_id: Annotated[uuid.UUID | None, Query()] = None,
    principal: Principal = require("finance.invoice.read"),
) -> Page[DocumentOut]:
    return await _list_documents(session, principal, (INVOICE,), page, status, customer_id)


@router.get("/invoices/{invoice_id}", response_model=DocumentOut, summary="One customer invoice")
async def get_invoice(
    invoice_id: uuid.UUID, session: SessionDep, principal: Principal = require("finance.invoice.read")
) -> DocumentOut:
    return await sales.read_document(session, invoice_id, (INVOICE,))


async def _post(
    request: Request, session: Any, principal: Principal, document_id: uuid.UUID, kinds: tuple[str, ...]
) -> DocumentOut:
    book = await external.account_book(_runtime(request), principal.tenant_id)
    document = await sales.get_document(session, document_id, kinds, lock=True)
    lines = await sales.post_document(session, document, book, principal.subject)
    return sales.document_out(document, lines)


@router.post(
    "/invoices/{invoice_id}/post",
    response_model=DocumentOut,
    summary="Post: Mushak-6.3 number allocated (gap-free per tenant and fiscal year) and GL entry, atomically",
)
async def post_invoice(
    invoice_id: uuid.UUID, request: Request, session: SessionDep, principal: Principal = require("finance.invoice.post")
) -> DocumentOut:
    return await _post(request, session, principal, invoice_id, (INVOICE,))


async def _cancel(
    request: Request,
    session: Any,
    principal: Principal,
    company_id: uuid.UUID,
    document_id: uuid.UUID,
    kind: str,
    reason: str,
    date: dt.date | None,
) -> DocumentOut:
    runtime = _runtime(request)
    async with runtime.database.transaction() as peek:
        original = await sales.get_document(peek, document_id, (kind,))
        original_lines = (await sales.document_lines(peek, [original.id]))[original.id]
    if original.settled > 0:
        raise AppError(
            409,
            "has_settlements",
            f"{original.number or 'The document'} has {original.settled} paid or credited: issue a credit note for the "
            "open amount instead",
            "পরিশোধিত অংশ আছে: বকেয়া অংশের জন্য ক্রেডিট নোট দিন",
        )
    if original.status != POSTED:
        raise AppError(
            409, "invalid_state", f"Only a posted, unpaid document can be cancelled ({original.status})", "বাতিল করা যায় না"
        )
    note_in = NoteIn(original_id=original.id, date=date or max(original.date, today_dhaka()), reason=reason)
    prepared = await sales.prepare_note(runtime, principal, company_id, CREDIT_NOTE, note_in, original, original_lines)
    book = await external.account_book(runtime, principal.tenant_id)
    note = await sales.create_document(session, prepared, principal.subject)
    await sales.post_document(session, note, book, principal.subject)
    locked = await sales.get_document(session, document_id, (kind,), lock=True)
    locked.status = CANCELLED
    await session.flush()
    sales.announce_cancelled(session, locked, note)
    return await sales.read_document(session, note.id, (CREDIT_NOTE,))


@router.post(
    "/invoices/{invoice_id}/cancel",
    response_model=DocumentOut,
    status_code=201,
    summary="Cancel a posted, unpaid invoice by a full credit note (Mushak-6.7); answers the credit note",
)
async def cancel_invoice(
    invoice_id: uuid.UUID,
    body: CancelIn,
    request: Request,
    session: SessionDep,
    principal: Principal = require("finance.invoice.post"),
    *,
    company_id: CompanyId,
) -> DocumentOut:
    return await _cancel(request, session, principal, company_id, invoice_id, INVOICE, body.reason, body.date)


@router.get(
    "/invoices/{invoice_id}/mushak-6.3.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The tax invoice (Mushak-6.3) as PDF"}},
    summary="The tax invoice (Mushak-6.3, Bengali and English) rendered by the documents service",
)
async def mushak_63_pdf(
    invoice_id: uuid.UUID,
    request: Request,
    language: Annotated[Literal["en", "bn", "bilingual"], Query()] = "bilingual",
    principal: Principal = require("finance.invoice.read"),
) -> Response:
    runtime = _runtime(request)
    async with runtime.database.transaction() as session:
        document = await sales.get_document(session, invoice_id, (INVOICE,))
        lines = (await sales.document_lines(session, [document.id]))[document.id]
    if document.number is None:
        raise AppError(
            409, "not_posted", "A Mushak-6.3 is issued for a posted invoice only", "পোস্ট করা চালানের জন্যই মূসক-৬.৩"
        )
    data = mushak_63_data(document, lines, await _seller(runtime, principal, document.company_id))
    content, media_type = await external.render_pdf(
        runtime,
        principal.tenant_id,
        document.company_id,
        {
            "template": "mushak-6.3",
            "format": "pdf",
            "language": language,
            "mode": "sync",
            "data": data,
            "filename": f"{document.number}.pdf",
            "entity_type": "finance-invoice",
            "entity_id": str(document.id),
        },
    )
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'inline; filename="{document.number}.pdf"'},
    )


async def _seller(runtime: Any, principal: Principal, company_id: uuid.UUID) -> dict[str, Any]:
    """The seller as printed: the company's letterhead from the documents service (name, BIN, address)."""
    response = await runtime.clients.request(
        "documents",
        "GET",
        f"/api/v1/documents/branding/{company_id}",
        principal=external.system_principal(principal.tenant_id, ["documents.branding.read"]),
    )
    if response.status_code != 200:
        raise AppError(
            409,
            "seller_unknown",
            "The company has no letterhead with its BIN (PUT /api/v1/documents/branding/{company_id}); a Mushak-6.3 "
            "needs the seller's registered name and BIN",
            "কোম্পানির নাম ও বিআইএন নেই",
        )
    body = response.json()
    seller = {
        "name": body.get("company_name") or body.get("name"),
        "name_bn": body.get("company_name_bn") or body.get("name_bn"),
        "bin": body.get("bin"),
        "address": body.get("address"),
        "address_bn": body.get("address_bn"),
    }
    if not seller["bin"] or not seller["name"]:
        raise AppError(409, "seller_unknown", "The company's letterhead has no BIN", "কোম্পানির বিআইএন নেই")
    return {key: value for key, value in seller.items() if value}


def mushak_63_data(document: Document, lines: list[Any], seller: dict[str, Any]) -> dict[str, Any]:
    party = json.loads(document.party)
    buyer = {key: party.get(key) for key in ("name", "name_bn", "bin", "tin", "address", "address_bn", "phone")}
    rows = []
    for line in lines:
        if line.discount and line.quantity:
            # the document template prices per unit: a discounted line is printed as one lot at its value
            quantity, unit, price = Decimal(1), "lot", line.value
        else:
            quantity, unit, price = line.quantity, line.unit, line.unit_price
        rows.append(
            {
                "description": line.description,
                "unit": unit,
                "quantity": str(quantity.normalize()),
                "unit_price": str(money(price)),
                "sd_rate": str(line.sd_rate.quantize(Decimal("0.01"))),
                "vat_rate": str(line.vat_rate.quantize(Decimal("0.01"))),
            }
        )
    posted = document.posted_at or dhaka_datetime(dt.datetime.combine(document.date, dt.time(12)))
    return {
        "seller": seller,
        "buyer": {key: value for key, value in buyer.items() if value},
        "challan_number": document.number,
        "issued_at": posted.isoformat(),
        "lines": rows,
        "officer": {
            "name": "Accounts Officer",
            "designation": "Authorised signatory",
            "designation_bn": "অনুমোদিত স্বাক্ষরকারী",
        },
        "notes": f"{amount_in_words(document.total)} / {amount_in_words_bn(document.total)}",
    }


@router.post("/bills", response_model=DocumentOut, status_code=201, summary="Draft a vendor bill")
async def create_bill(
    body: DocumentIn,
    request: Request,
    response: Response,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
    principal: Principal = require("finance.bill.write"),
    *,
    company_id: CompanyId,
) -> DocumentOut:
    return await _create_document(request, response, session, principal, company_id, BILL, body, idempotency_key)


@router.get("/bills", response_model=Page[DocumentOut], summary="Vendor bills, newest first")
async def list_bills(
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_request)],
    status: StatusQuery = None,
    vendor_id: Annotated[uuid.UUID | None, Query()] = None,
    principal: Principal = require("finance.bill.read"),
) -> Page[DocumentOut]:
    return await _list_documents(session, principal, (BILL,), page, status, vendor_id)


@router.get("/bills/{bill_id}", response_model=DocumentOut, summary="One vendor bill")
async def get_bill(
    bill_id: uuid.UUID, session: SessionDep, principal: Principal = require("finance.bill.read")
) -> DocumentOut:
    return await sales.read_document(session, bill_id, (BILL,))


@router.post(
    "/bills/{bill_id}/submit",
    response_model=DocumentOut,
    summary="Submit for approval: the bill gets its number and the workflow vendor-invoice-approval starts",
)
async def submit_bill(
    bill_id: uuid.UUID, request: Request, session: SessionDep, principal: Principal = require("finance.bill.write")
) -> DocumentOut:
    runtime = _runtime(request)
    async with runtime.database.transaction() as numbering:
        bill = await sales.get_document(numbering, bill_id, (BILL,), lock=True)
        sales.check_submittable(bill)
        if bill.number is None:
            year, _ = await ledger.open_period_for(numbering, bill.date, "body.date")
            bill.number = await ledger.next_number(numbering, BILL, year.label)
            bill.submission_key = bill.number
        number, total, party, due = bill.number, bill.total, json.loads(bill.party), bill.due_date
        vendor_id = bill.party_id
    instance = await external.start_bill_approval(
        runtime,
        principal.tenant_id,
        principal,
        number,
        {
            "amount": str(total),
            "department": "finance",
            "vendor_id": str(vendor_id),
            "supplier": party.get("name"),
            "due_date": due.isoformat(),
            "requested_by": str(principal.subject),
        },
        bill_id,
    )
    bill = await sales.get_document(session, bill_id, (BILL,), lock=True)
    bill.status = SUBMITTED
    bill.workflow_instance_id = uuid.UUID(instance["id"])
    await session.flush()
    return await sales.read_document(session, bill_id, (BILL,))


@router.post(
    "/bills/{bill_id}/post",
    response_model=DocumentOut,
    summary="Post an approved bill (the workflow posts it itself when approved; this checks the process state)",
)
async def post_bill(
    bill_id: uuid.UUID, request: Request, session: SessionDep, principal: Principal = require("finance.bill.post")
) -> DocumentOut:
    runtime = _runtime(request)
    async with runtime.database.transaction() as peek:
        bill = await sales.get_document(peek, bill_id, (BILL,))
        instance_id, status = bill.workflow_instance_id, bill.status
    approved = status == APPROVED
    if status == SUBMITTED and instance_id is not None:
        instance = await external.workflow_instance(runtime, principal.tenant_id, instance_id)
        approved = instance is not None and instance.get("state") in ("approved", "completed")
    book = await external.account_book(runtime, principal.tenant_id)
    bill = await sales.get_document(session, bill_id, (BILL,), lock=True)
    if approved and bill.status == SUBMITTED:
        bill.status = APPROVED
    await sales.post_document(session, bill, book, principal.subject)
    return await sales.read_document(session, bill_id, (BILL,))


@router.post(
    "/bills/{bill_id}/cancel",
    response_model=DocumentOut,
    status_code=201,
    summary="Cancel a posted, unpaid bill by a full credit note; answers the credit note",
)
async def cancel_bill(
    bill_id: uuid.UUID,
    body: CancelIn,
    request: Request,
    session: SessionDep,
    principal: Principal = require("finance.bill.post"),
    *,
    company_id: CompanyId,
) -> DocumentOut:
    return await _cancel(request, session, principal, company_id, bill_id, BILL, body.reason, body.date)


def _note_routes(kind: str, path: str, label: str) -> None:
    async def create(
        body: NoteIn,
        request: Request,
        response: Response,
        session: SessionDep,
        idempotency_key: IdempotencyKey = None,
        principal: Principal = require("finance.invoice.write"),
        *,
        company_id: CompanyId,
    ) -> DocumentOut:
        replayed = await _replayed_document(request, principal, idempotency_key, kind, response)
        if replayed is not None:
            return replayed
        runtime = _runtime(request)
        async with runtime.database.transaction() as peek:
            original = await sales.get_document(peek, body.original_id, (INVOICE, BILL))
            original_lines = (await sales.document_lines(peek, [original.id]))[original.id]
        if original.side == "purchase" and not principal.has("finance.bill.write"):
            raise AppError(403, "forbidden", "This action needs the permission 'finance.bill.write'", "অনুমতি নেই")
        prepared = await sales.prepare_note(runtime, principal, company_id, kind, body, original, original_lines)
        document = await sales.create_document(session, prepared, principal.subject, idempotency_key)
        response.headers["Location"] = f"{PREFIX}/{path}/{document.id}"
        return await sales.read_document(session, document.id, (kind,))

    async def listing(
        session: SessionDep,
        page: Annotated[PageRequest, Depends(page_request)],
        status: StatusQuery = None,
        principal: Principal = require("finance.invoice.read"),
    ) -> Page[DocumentOut]:
        return await _list_documents(session, principal, (kind,), page, status, None)

    async def one(
        note_id: uuid.UUID, session: SessionDep, principal: Principal = require("finance.invoice.read")
    ) -> DocumentOut:
        return await sales.read_document(session, note_id, (kind,))

    async def post(
        note_id: uuid.UUID,
        request: Request,
        session: SessionDep,
        principal: Principal = require("finance.invoice.post"),
    ) -> DocumentOut:
        return await _post(request, session, principal, note_id, (kind,))

    router.add_api_route(
        f"/{path}",
        create,
        methods=["POST"],
        response_model=DocumentOut,
        status_code=201,
        summary=f"Draft a {label}",
        name=f"create_{kind}",
    )
    router.add_api_route(
        f"/{path}",
        listing,
        methods=["GET"],
        response_model=Page[DocumentOut],
        summary=f"{label.capitalize()}s",
        name=f"list_{kind}",
    )
    router.add_api_route(
        f"/{path}/{{note_id}}",
        one,
        methods=["GET"],
        response_model=DocumentOut,
        summary=f"One {label}",
        name=f"get_{kind}",
    )
    router.add_api_route(
        f"/{path}/{{note_id}}/post",
        post,
        methods=["POST"],
        response_model=DocumentOut,
        summary=f"Post a {label}",
        name=f"post_{kind}",
    )


_note_routes(CREDIT_NOTE, "credit-notes", "credit note (Mushak-6.7)")
_note_routes(DEBIT_NOTE, "debit-notes", "debit note (Mushak-6.8)")


# --- payments -------------------------------------------------------------------------------------


@router.post(
    "/payments",
    response_model=PaymentOut,
    status_code=201,
    summary="Record a receipt or payment, allocated to one or many documents (the rest held as advance)",
)
async def create_payment(
    body: PaymentIn,
    request: Request,
    response: Response,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
    principal: Principal = require("finance.payment.write"),
    *,
    company_id: CompanyId,
) -> PaymentOut:
    if idempotency_key is not None:
        async with _runtime(request).database.transaction() as peek:
            existing = await peek.scalar(
                select(Payment).where(
                    Payment.tenant_id == principal.tenant_id, Payment.idempotency_key == idempotency_key
                )
            )
            if existing is not None:
                response.status_code = 200
                return await payments.payment_out(peek, existing)
    context = await payments.prepare(_runtime(request), principal, body)
    payment = await payments.record_payment(session, company_id, body, context, principal.subject, idempotency_key)
    response.headers["Location"] = f"{PREFIX}/payments/{payment.id}"
    return await payments.payment_out(session, payment)


@router.get("/payments", response_model=Page[PaymentOut], summary="Payments and receipts, newest first")
async def list_payments(
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_request)],
    direction: Annotated[Literal["receipt", "payment"] | None, Query()] = None,
    principal: Principal = require("finance.payment.read"),
) -> Page[PaymentOut]:
    statement = select(Payment).where(Payment.tenant_id == principal.tenant_id)
    if direction:
        statement = statement.where(Payment.direction == direction)
    result = await paginate(session, statement, [Payment.id], page, lambda row: row, descending=True)
    return Page[PaymentOut](
        items=[await payments.payment_out(session, item) for item in result.items], next_cursor=result.next_cursor
    )


@router.get("/payments/{payment_id}", response_model=PaymentOut, summary="One payment or receipt")
async def get_payment(
    payment_id: uuid.UUID, session: SessionDep, principal: Principal = require("finance.payment.read")
) -> PaymentOut:
    return await payments.payment_out(session, await payments.get_payment(session, payment_id))


@router.post(
    "/payments/{payment_id}/{action}",
    response_model=PaymentOut,
    summary="clear a pending cheque, or bounce it (GL reversed, allocations undone)",
)
async def cheque_action(
    payment_id: uuid.UUID,
    action: Literal["clear", "bounce"],
    request: Request,
    session: SessionDep,
    date: Annotated[dt.date | None, Query(description="Bounce: date of the reversal")] = None,
    principal: Principal = require("finance.payment.write"),
) -> PaymentOut:
    book = await external.account_book(_runtime(request), principal.tenant_id)
    payment = await payments.clear_cheque(session, payment_id, action, book, principal.subject, date)
    return await payments.payment_out(session, payment)


@router.get("/certificates", response_model=Page[CertificateOut], summary="Withholding certificates (Mushak-6.6, TDS)")
async def list_certificates(
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_request)],
    kind: Annotated[Literal["vds", "tds"] | None, Query()] = None,
    principal: Principal = require("finance.payment.read"),
) -> Page[CertificateOut]:
    statement = select(Certificate).where(Certificate.tenant_id == principal.tenant_id)
    if kind:
        statement = statement.where(Certificate.kind == kind)
    return await paginate(session, statement, [Certificate.id], page, payments.certificate_out, descending=True)


@router.post(
    "/certificates/deposit",
    response_model=list[CertificateOut],
    summary="Record the treasury challan depositing withheld VAT (Mushak-6.6) or TDS, and post it",
)
async def deposit_certificates(
    body: DepositIn,
    request: Request,
    session: SessionDep,
    principal: Principal = require("finance.payment.write"),
    *,
    company_id: CompanyId,
) -> list[CertificateOut]:
    book = await external.account_book(_runtime(request), principal.tenant_id)
    rows = await payments.deposit(session, company_id, body, book, principal.subject)
    return [payments.certificate_out(row) for row in rows]


@router.get(
    "/certificates/{certificate_id}/mushak-6.6.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The VDS certificate (Mushak-6.6) as PDF"}},
    summary="The certificate of VAT deducted at source (Mushak-6.6) for a deposited VDS certificate",
)
async def mushak_66_pdf(
    certificate_id: uuid.UUID,
    request: Request,
    language: Annotated[Literal["en", "bn", "bilingual"], Query()] = "bilingual",
    principal: Principal = require("finance.payment.read"),
) -> Response:
    runtime = _runtime(request)
    async with runtime.database.transaction() as session:
        certificate = await session.scalar(
            select(Certificate).where(Certificate.tenant_id == principal.tenant_id, Certificate.id == certificate_id)
        )
        if certificate is None or certificate.kind != "vds":
            raise AppError(404, "not_found", f"VDS certificate {certificate_id} was not found", "সনদ পাওয়া যায়নি")
        bill = await sales.get_document(session, certificate.document_id, (BILL, DEBIT_NOTE))
    if certificate.challan_number is None or certificate.challan_date is None:
        raise AppError(
            409,
            "not_deposited",
            "A Mushak-6.6 is issued once the VAT is deposited (POST /api/v1/finance/certificates/deposit)",
            "ট্রেজারি চালানে জমার পর মূসক-৬.৬ দেওয়া হয়",
        )
    supplier = json.loads(bill.party)
    if not supplier.get("bin"):
        raise AppError(409, "supplier_unregistered", "The supplier has no BIN for a Mushak-6.6", "সরবরাহকারীর বিআইএন নেই")
    data = {
        "certificate_number": certificate.number,
        "issued_on": certificate.challan_date.isoformat(),
        "withholding_entity": await _seller(runtime, principal, bill.company_id),
        "supplier": {key: supplier[key] for key in ("name", "name_bn", "bin", "tin", "address") if supplier.get(key)},
        "lines": [
            {
                "invoice_number": bill.reference or bill.number,
                "invoice_date": bill.date.isoformat(),
                "supply_value": str(money(bill.total * bill.fx_rate)),
                "vat_amount": str(money(bill.vat * bill.fx_rate)),
                "vat_deducted": str(certificate.amount),
            }
        ],
        "treasury_challan": {
            "number": certificate.challan_number,
            "date": certificate.challan_date.isoformat(),
            "amount": str(certificate.amount),
            **({"bank": certificate.challan_bank} if certificate.challan_bank else {}),
        },
        "officer": {"name": "Accounts Officer", "designation": "Authorised signatory"},
    }
    content, media_type = await external.render_pdf(
        runtime,
        principal.tenant_id,
        bill.company_id,
        {
            "template": "mushak-6.6",
            "format": "pdf",
            "language": language,
            "mode": "sync",
            "data": data,
            "filename": f"{certificate.number}.pdf",
            "entity_type": "finance-vds-certificate",
            "entity_id": str(certificate.id),
        },
    )
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'inline; filename="{certificate.number}.pdf"'}
    )


def _schedule_out(row: PaymentSchedule) -> ScheduleOut:
    return ScheduleOut(
        id=row.id,
        reference=row.reference,
        document_id=row.document_id,
        amount=row.amount,
        due_date=row.due_date,
        status=row.status,
    )


@router.post(
    "/payment-schedules",
    response_model=ScheduleOut,
    status_code=201,
    summary="Schedule the payment of a bill (called by the workflow once a bill is approved)",
)
async def schedule_payment(
    body: ScheduleIn,
    response: Response,
    session: SessionDep,
    principal: Principal = require("finance.payment.schedule"),
) -> ScheduleOut:
    try:
        amount = money(Decimal(body.amount))
        if not amount.is_finite() or amount <= 0:
            raise InvalidOperation
    except InvalidOperation:
        raise AppError(
            422,
            "validation_failed",
            "amount: not a positive amount",
            "amount: সঠিক পরিমাণ নয়",
            errors=(FieldError("body.amount", "invalid", "not a positive amount", "সঠিক পরিমাণ নয়"),),
        ) from None
    bill = await session.scalar(
        select(Document).where(
            Document.tenant_id == principal.tenant_id, Document.kind == BILL, Document.number == body.reference
        )
    )
    due: dt.date | None = None
    if body.due_date:
        try:
            due = dt.date.fromisoformat(body.due_date[:10])
        except ValueError:
            due = None
    due = due or (bill.due_date if bill else today_dhaka())
    existing = await session.scalar(
        select(PaymentSchedule).where(
            PaymentSchedule.tenant_id == principal.tenant_id, PaymentSchedule.reference == body.reference
        )
    )
    if existing is not None:
        response.status_code = 200
        return _schedule_out(existing)
    row = PaymentSchedule(
        id=new_id(),
        tenant_id=principal.tenant_id,
        reference=body.reference,
        document_id=bill.id if bill else None,
        amount=amount,
        due_date=due,
        status="scheduled",
    )
    session.add(row)
    await session.flush()
    return _schedule_out(row)


@router.get("/payment-schedules", response_model=Page[ScheduleOut], summary="Scheduled payments")
async def list_schedules(
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_request)],
    principal: Principal = require("finance.payment.read"),
) -> Page[ScheduleOut]:
    statement = select(PaymentSchedule).where(PaymentSchedule.tenant_id == principal.tenant_id)
    return await paginate(session, statement, [PaymentSchedule.id], page, _schedule_out, descending=True)


# --- reports --------------------------------------------------------------------------------------


@router.get(
    "/reports/trial-balance", response_model=TrialBalanceOut, summary="Trial balance up to a period (cumulative)"
)
async def trial_balance(
    request: Request,
    session: SessionDep,
    fiscal_year: FiscalYearQuery,
    period: Annotated[int, Query(ge=1, le=12)] = 12,
    company_id: CompanyQuery = None,
    principal: Principal = require("finance.report.read"),
) -> TrialBalanceOut:
    book = await external.account_book(_runtime(request), principal.tenant_id)
    year = await ledger.fiscal_year_named(session, fiscal_year, "query.fiscal_year")
    return await reports.trial_balance(session, book, year, period, _company_filter(principal, company_id))


@router.get(
    "/reports/general-ledger", response_model=GeneralLedgerOut, summary="An account's lines with running balance"
)
async def general_ledger(
    request: Request,
    session: SessionDep,
    account_id: Annotated[uuid.UUID, Query()],
    date_from: Annotated[dt.date, Query()],
    date_to: Annotated[dt.date, Query()],
    company_id: CompanyQuery = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
    principal: Principal = require("finance.report.read"),
) -> GeneralLedgerOut:
    book = await external.account_book(_runtime(request), principal.tenant_id)
    return await reports.general_ledger(
        session, book, account_id, date_from, date_to, _company_filter(principal, company_id), limit
    )


@router.get(
    "/reports/cash-book",
    response_model=GeneralLedgerOut,
    summary="Cash book: the general ledger of cash in hand (1110), bank (1120) or mobile wallets (1130)",
)
async def cash_book(
    request: Request,
    session: SessionDep,
    date_from: Annotated[dt.date, Query()],
    date_to: Annotated[dt.date, Query()],
    book_of: Annotated[Literal["cash", "bank", "mfs"], Query(alias="book")] = "cash",
    company_id: CompanyQuery = None,
    principal: Principal = require("finance.report.read"),
) -> GeneralLedgerOut:
    book = await external.account_book(_runtime(request), principal.tenant_id)
    account = book.role(book_of)
    return await reports.general_ledger(
        session, book, account.id, date_from, date_to, _company_filter(principal, company_id), 10000
    )


@router.get(
    "/reports/party-statement",
    response_model=PartyStatementOut,
    summary="Customer (receivable) or vendor (payable) statement with running balance",
)
async def party_statement(
    session: SessionDep,
    party_id: Annotated[uuid.UUID, Query()],
    date_from: Annotated[dt.date, Query()],
    date_to: Annotated[dt.date, Query()],
    side: Annotated[Literal["receivable", "payable"], Query()] = "receivable",
    principal: Principal = require("finance.report.read"),
) -> PartyStatementOut:
    return await reports.party_statement(session, side, party_id, date_from, date_to)


@router.get(
    "/reports/profit-and-loss", response_model=ProfitAndLossOut, summary="Profit and loss over periods of a year"
)
async def profit_and_loss(
    request: Request,
    session: SessionDep,
    fiscal_year: FiscalYearQuery,
    period_from: Annotated[int, Query(ge=1, le=12)] = 1,
    period_to: Annotated[int, Query(ge=1, le=12)] = 12,
    company_id: CompanyQuery = None,
    principal: Principal = require("finance.report.read"),
) -> ProfitAndLossOut:
    book = await external.account_book(_runtime(request), principal.tenant_id)
    year = await ledger.fiscal_year_named(session, fiscal_year, "query.fiscal_year")
    first, last = min(period_from, period_to), max(period_from, period_to)
    return await reports.profit_and_loss(session, book, year, first, last, _company_filter(principal, company_id))


@router.get("/reports/balance-sheet", response_model=BalanceSheetOut, summary="Balance sheet at the end of a period")
async def balance_sheet(
    request: Request,
    session: SessionDep,
    fiscal_year: FiscalYearQuery,
    period: Annotated[int, Query(ge=1, le=12)] = 12,
    company_id: CompanyQuery = None,
    principal: Principal = require("finance.report.read"),
) -> BalanceSheetOut:
    book = await external.account_book(_runtime(request), principal.tenant_id)
    year = await ledger.fiscal_year_named(session, fiscal_year, "query.fiscal_year")
    return await reports.balance_sheet(session, book, year, period, _company_filter(principal, company_id))


@router.get(
    "/reports/ageing", response_model=AgeingOut, summary="Receivable or payable ageing (0–30, 31–60, 61–90, 90+)"
)
async def ageing(
    session: SessionDep,
    side: Annotated[Literal["receivable", "payable"], Query()] = "receivable",
    as_of: Annotated[dt.date | None, Query()] = None,
    company_id: CompanyQuery = None,
    principal: Principal = require("finance.report.read"),
) -> AgeingOut:
    return await reports.ageing(session, side, as_of or today_dhaka(), _company_filter(principal, company_id))


@router.get("/reports/mushak-6.1", response_model=RegisterOut, summary="Purchase register (Mushak-6.1) of a month")
async def purchase_register(
    session: SessionDep,
    month: MonthQuery,
    company_id: CompanyQuery = None,
    principal: Principal = require("finance.report.read"),
) -> RegisterOut:
    return await reports.register(session, "purchase", month, _company_filter(principal, company_id))


@router.get("/reports/mushak-6.2", response_model=RegisterOut, summary="Sales register (Mushak-6.2) of a month")
async def sales_register(
    session: SessionDep,
    month: MonthQuery,
    company_id: CompanyQuery = None,
    principal: Principal = require("finance.report.read"),
) -> RegisterOut:
    return await reports.register(session, "sales", month, _company_filter(principal, company_id))


@router.get(
    "/reports/vat-return",
    response_model=VatReturnOut,
    summary="Mushak-9.1 monthly return summary: output VAT, SD, input credit, VDS, net payable, due date",
)
async def vat_return(
    session: SessionDep,
    month: MonthQuery,
    company_id: CompanyQuery = None,
    principal: Principal = require("finance.report.read"),
) -> VatReturnOut:
    return await reports.vat_return(session, month, _company_filter(principal, company_id))


# --- bank statements ------------------------------------------------------------------------------


@router.post(
    "/bank-statements/{account_id}/import",
    response_model=StatementImportOut,
    summary="Import a bank statement as CSV (date,description,reference,amount; amount + in, − out)",
)
async def import_statement(
    account_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    body: Annotated[str, Body(media_type="text/csv", max_length=2_000_000)],
    principal: Principal = require("finance.bank.write"),
) -> StatementImportOut:
    book = await external.account_book(_runtime(request), principal.tenant_id, need=[account_id])
    book.posting(account_id, "path.account_id")
    reader = csv.DictReader(io.StringIO(body))
    imported = duplicates = 0
    errors: list[dict[str, Any]] = []
    for index, row in enumerate(reader, start=1):
        try:
            day = dt.date.fromisoformat((row.get("date") or "").strip())
            amount = money(Decimal((row.get("amount") or "").replace(",", "").strip()))
            if not amount.is_finite():
                raise InvalidOperation
        except (ValueError, InvalidOperation, TypeError):
            errors.append({"row": index, "reason": "date (YYYY-MM-DD) and amount are required"})
            continue
        description = (row.get("description") or "").strip()[:300] or "-"
        reference = (row.get("reference") or "").strip()[:60] or None
        fingerprint = hashlib.sha256(f"{day}|{amount}|{description}|{reference}".encode()).hexdigest()
        exists = await session.scalar(
            select(StatementLine.id).where(
                StatementLine.tenant_id == principal.tenant_id,
                StatementLine.account_id == account_id,
                StatementLine.fingerprint == fingerprint,
            )
        )
        if exists is not None:
            duplicates += 1
            continue
        session.add(
            StatementLine(
                id=new_id(),
                tenant_id=principal.tenant_id,
                account_id=account_id,
                date=day,
                description=description,
                reference=reference,
                amount=amount,
                fingerprint=fingerprint,
            )
        )
        await session.flush()
        imported += 1
    return StatementImportOut(imported=imported, duplicates=duplicates, errors=errors)


@router.get(
    "/bank-statements/{account_id}/suggestions",
    response_model=list[SuggestionOut],
    summary="Reconciliation suggestions: payments with the same amount within 7 days, reference matches first",
)
async def reconciliation_suggestions(
    account_id: uuid.UUID, session: SessionDep, principal: Principal = require("finance.report.read")
) -> list[SuggestionOut]:
    lines = list(
        await session.scalars(
            select(StatementLine)
            .where(StatementLine.tenant_id == principal.tenant_id, StatementLine.account_id == account_id)
            .order_by(StatementLine.date)
            .limit(500)
        )
    )
    out: list[SuggestionOut] = []
    for line in lines:
        direction = "receipt" if line.amount > 0 else "payment"
        window = (line.date - dt.timedelta(days=7), line.date + dt.timedelta(days=7))
        candidates = []
        for payment in await session.scalars(
            select(Payment).where(
                Payment.tenant_id == principal.tenant_id,
                Payment.direction == direction,
                Payment.status == "posted",
                Payment.date >= window[0],
                Payment.date <= window[1],
            )
        ):
            if payment.amount != abs(line.amount):
                continue
            haystack = f"{line.description} {line.reference or ''}".lower()
            reference_match = any(
                token and token.lower() in haystack
                for token in (payment.number, payment.transaction_id, payment.cheque_number)
            )
            score = 0.6 + (0.3 if reference_match else 0) + 0.1 * (1 - abs((payment.date - line.date).days) / 7)
            candidates.append(
                {
                    "payment_id": str(payment.id),
                    "number": payment.number,
                    "date": payment.date.isoformat(),
                    "score": round(score, 3),
                }
            )
        candidates.sort(key=lambda item: -float(str(item["score"])))
        out.append(
            SuggestionOut(
                line_id=line.id,
                date=line.date,
                amount=line.amount,
                description=line.description,
                reference=line.reference,
                matched_payment_id=line.matched_payment_id,
                candidates=candidates[:5],
            )
        )
    return out
