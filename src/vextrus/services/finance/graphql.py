"""GraphQL part of finance (Strawberry, Federation v2): invoices and bills, and the trial balance.

``FinanceDocument`` is a federation entity (key ``id``, shareable, ``resolve_reference``): other
services can reference an invoice or bill by id. Resolvers call the same functions as REST; every
field checks its permission and runs in one transaction (external calls first).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from vextrus.kit.errors import not_found
from vextrus.kit.graphql import GraphQLContext
from vextrus.kit.pagination import MAX_LIMIT, PageRequest, paginate
from vextrus.services.finance import external, ledger, reports, sales
from vextrus.services.finance.models import BILL, CREDIT_NOTE, DEBIT_NOTE, INVOICE, Document
from vextrus.services.finance.schemas import DocumentOut

ContextInfo = Info[GraphQLContext, None]
ALL_KINDS = (INVOICE, BILL, CREDIT_NOTE, DEBIT_NOTE)


def _permission(kind: str, side: str) -> str:
    return "finance.invoice.read" if side == "sales" or kind == INVOICE else "finance.bill.read"


@strawberry.type(description="One line of an invoice, bill or note, with its SD and VAT")
class FinanceDocumentLine:
    line_no: int
    description: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal
    value: Decimal
    sd_rate: Decimal
    sd: Decimal
    vat_code: str
    vat_rate: Decimal
    vat: Decimal
    total: Decimal


@strawberry.federation.type(
    keys=["id"], shareable=True, description="A customer invoice, vendor bill, credit or debit note"
)
class FinanceDocument:
    id: strawberry.ID
    kind: str
    side: str
    status: str
    number: str | None = strawberry.field(description="For an invoice: its Mushak-6.3 challan number")
    party_id: strawberry.ID
    party_name: str
    date: dt.date
    due_date: dt.date
    subtotal: Decimal
    discount: Decimal
    sd: Decimal
    vat: Decimal
    total: Decimal
    outstanding: Decimal
    lines: list[FinanceDocumentLine]

    @classmethod
    def from_out(cls, item: DocumentOut) -> FinanceDocument:
        return cls(
            id=strawberry.ID(str(item.id)),
            kind=item.kind,
            side=item.side,
            status=item.status,
            number=item.number,
            party_id=strawberry.ID(str(item.party_id)),
            party_name=str(item.party.get("name") or ""),
            date=item.date,
            due_date=item.due_date,
            subtotal=item.subtotal,
            discount=item.discount,
            sd=item.sd,
            vat=item.vat,
            total=item.total,
            outstanding=item.outstanding,
            lines=[
                FinanceDocumentLine(
                    line_no=line.line_no,
                    description=line.description,
                    unit=line.unit,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    discount=line.discount,
                    value=line.value,
                    sd_rate=line.sd_rate,
                    sd=line.sd,
                    vat_code=line.vat_code,
                    vat_rate=line.vat_rate,
                    vat=line.vat,
                    total=line.total,
                )
                for line in item.lines
            ],
        )

    @classmethod
    async def resolve_reference(cls, info: ContextInfo, id: strawberry.ID) -> FinanceDocument:
        return await finance_document(info, id)


@strawberry.type
class FinanceDocumentPage:
    items: list[FinanceDocument]
    next_cursor: str | None


@strawberry.type(description="One account's row of the trial balance")
class TrialBalanceLine:
    account_id: strawberry.ID
    code: str
    name: str
    type: str
    debit: Decimal
    credit: Decimal
    balance: Decimal


@strawberry.type(description="Trial balance up to a period (cumulative)")
class FinanceTrialBalance:
    fiscal_year: str
    period: int
    rows: list[TrialBalanceLine]
    total_debit: Decimal
    total_credit: Decimal
    difference: Decimal


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


async def finance_document(info: ContextInfo, id: strawberry.ID) -> FinanceDocument:
    principal = info.context.principal
    info.context.require(
        "finance.bill.read" if principal and not principal.has("finance.invoice.read") else "finance.invoice.read"
    )
    ident = _uuid(id)
    if ident is None:
        raise not_found("Document", id, "দলিল")
    async with info.context.transaction() as session:
        document = await sales.read_document(session, ident, ALL_KINDS)
    info.context.require(_permission(document.kind, document.side))
    return FinanceDocument.from_out(document)


async def finance_documents(
    info: ContextInfo, kind: str = INVOICE, status: str | None = None, limit: int = 50, cursor: str | None = None
) -> FinanceDocumentPage:
    wanted = kind if kind in ALL_KINDS else INVOICE
    principal = info.context.require("finance.bill.read" if wanted == BILL else "finance.invoice.read")
    page = PageRequest(max(1, min(limit, MAX_LIMIT)), cursor)
    async with info.context.transaction() as session:
        statement = select(Document).where(Document.tenant_id == principal.tenant_id, Document.kind == wanted)
        if status:
            statement = statement.where(Document.status == status)
        result = await paginate(session, statement, [Document.id], page, lambda row: row, descending=True)
        grouped = await sales.document_lines(session, [item.id for item in result.items])
        items = [FinanceDocument.from_out(sales.document_out(item, grouped[item.id])) for item in result.items]
    return FinanceDocumentPage(items=items, next_cursor=result.next_cursor)


async def finance_trial_balance(info: ContextInfo, fiscal_year: str, period: int = 12) -> FinanceTrialBalance:
    principal = info.context.require("finance.report.read")
    book = await external.account_book(info.context.runtime, principal.tenant_id)
    async with info.context.transaction() as session:
        year = await ledger.fiscal_year_named(session, fiscal_year, "fiscalYear")
        report = await reports.trial_balance(session, book, year, max(1, min(period, 12)), None)
    return FinanceTrialBalance(
        fiscal_year=report.fiscal_year,
        period=report.period,
        rows=[
            TrialBalanceLine(
                account_id=strawberry.ID(str(row.account_id)),
                code=row.code,
                name=row.name,
                type=row.type,
                debit=row.debit,
                credit=row.credit,
                balance=row.balance,
            )
            for row in report.rows
        ],
        total_debit=report.total_debit,
        total_credit=report.total_credit,
        difference=report.difference,
    )


@strawberry.type
class Query:
    finance_document: FinanceDocument = strawberry.field(
        resolver=finance_document, description="An invoice, bill or note by id (finance.invoice.read / bill.read)"
    )
    finance_documents: FinanceDocumentPage = strawberry.field(
        resolver=finance_documents, description="Invoices (kind invoice) or bills (kind bill), newest first"
    )
    finance_trial_balance: FinanceTrialBalance = strawberry.field(
        resolver=finance_trial_balance, description="Trial balance up to a period (finance.report.read)"
    )
