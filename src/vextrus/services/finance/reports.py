"""Reports: trial balance, general ledger, profit and loss, balance sheet (from the balances table,
never scanning the lines), ageing, the VAT registers (Mushak-6.1, 6.2) and the Mushak-9.1 summary.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.bd.fiscal import FiscalYear
from vextrus.kit.errors import AppError, FieldError
from vextrus.kit.tenancy import require_tenant_id
from vextrus.services.finance.external import AccountBook
from vextrus.services.finance.models import (
    BILL,
    CREDIT_NOTE,
    DEBIT_NOTE,
    INVOICE,
    PAID,
    PARTIALLY_PAID,
    POSTED,
    Balance,
    Document,
    DocumentLine,
    JournalEntry,
    JournalLine,
    Payment,
)
from vextrus.services.finance.rules import AGEING_BUCKETS, ZERO, ageing_bucket, money, vat_return_due
from vextrus.services.finance.schemas import (
    AgeingOut,
    AgeingRow,
    BalanceSheetOut,
    GeneralLedgerOut,
    LedgerLineOut,
    PartyStatementLine,
    PartyStatementOut,
    ProfitAndLossOut,
    RegisterOut,
    RegisterRow,
    StatementSection,
    TrialBalanceOut,
    TrialBalanceRow,
    VatReturnOut,
)

POSTED_STATES = (POSTED, PARTIALLY_PAID, PAID, "cancelled")


def _sum(values: list[str | Decimal | None]) -> Decimal:
    """Add amounts exactly (SQLite keeps them as text: sums are done here, not in SQL)."""
    return sum((Decimal(str(value)) for value in values if value is not None), ZERO)


async def account_totals(
    session: AsyncSession,
    *,
    upto: tuple[str, int] | None = None,
    within: tuple[str, int, int] | None = None,
    company_id: uuid.UUID | None = None,
) -> dict[uuid.UUID, tuple[Decimal, Decimal]]:
    """Debit and credit per account: cumulative up to (fiscal year, period) or within one year's
    period range. On PostgreSQL the database sums; on SQLite (text decimals) Python does."""
    tenant = require_tenant_id()
    conditions = [Balance.tenant_id == tenant]
    if company_id is not None:
        conditions.append(Balance.company_id == company_id)
    if upto is not None:
        year, period = upto
        conditions.append(or_(Balance.fiscal_year < year, and_(Balance.fiscal_year == year, Balance.period <= period)))
    if within is not None:
        year, first, last = within
        conditions.append(and_(Balance.fiscal_year == year, Balance.period >= first, Balance.period <= last))
    totals: dict[uuid.UUID, tuple[Decimal, Decimal]] = {}
    if session.get_bind().dialect.name == "postgresql":
        rows = await session.execute(
            select(Balance.account_id, func.sum(Balance.debit), func.sum(Balance.credit))
            .where(*conditions)
            .group_by(Balance.account_id)
        )
        for account_id, debit, credit in rows:
            totals[account_id] = (Decimal(debit), Decimal(credit))
        return totals
    grouped: dict[uuid.UUID, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for account_id, debit, credit in await session.execute(
        select(Balance.account_id, Balance.debit, Balance.credit).where(*conditions)
    ):
        grouped[account_id][0] += debit
        grouped[account_id][1] += credit
    return {key: (value[0], value[1]) for key, value in grouped.items()}


def _row(book: AccountBook, account_id: uuid.UUID, debit: Decimal, credit: Decimal) -> TrialBalanceRow:
    account = book.by_id.get(account_id)
    return TrialBalanceRow(
        account_id=account_id,
        code=account.code if account else "?",
        name=account.name if account else "(account not in master data)",
        type=account.type if account else "unknown",
        debit=debit,
        credit=credit,
        balance=debit - credit,
    )


async def trial_balance(
    session: AsyncSession, book: AccountBook, year: FiscalYear, period: int, company_id: uuid.UUID | None
) -> TrialBalanceOut:
    totals = await account_totals(session, upto=(year.label, period), company_id=company_id)
    rows = sorted(
        (_row(book, account_id, debit, credit) for account_id, (debit, credit) in totals.items() if debit or credit),
        key=lambda row: row.code,
    )
    total_debit = sum((row.debit for row in rows), ZERO)
    total_credit = sum((row.credit for row in rows), ZERO)
    return TrialBalanceOut(
        fiscal_year=year.label,
        period=period,
        company_id=company_id,
        rows=rows,
        total_debit=total_debit,
        total_credit=total_credit,
        difference=total_debit - total_credit,
    )


def _section(
    book: AccountBook, totals: dict[uuid.UUID, tuple[Decimal, Decimal]], kind: str, sign: int
) -> StatementSection:
    rows = sorted(
        (
            _row(book, account_id, debit, credit)
            for account_id, (debit, credit) in totals.items()
            if (book.by_id.get(account_id) and book.by_id[account_id].type == kind) and (debit or credit)
        ),
        key=lambda row: row.code,
    )
    return StatementSection(type=kind, rows=rows, total=sum((row.balance * sign for row in rows), ZERO))


async def profit_and_loss(
    session: AsyncSession, book: AccountBook, year: FiscalYear, first: int, last: int, company_id: uuid.UUID | None
) -> ProfitAndLossOut:
    totals = await account_totals(session, within=(year.label, first, last), company_id=company_id)
    income = _section(book, totals, "income", -1)
    expenses = _section(book, totals, "expense", 1)
    return ProfitAndLossOut(
        fiscal_year=year.label,
        period_from=first,
        period_to=last,
        company_id=company_id,
        income=income,
        expenses=expenses,
        net_profit=income.total - expenses.total,
    )


async def balance_sheet(
    session: AsyncSession, book: AccountBook, year: FiscalYear, period: int, company_id: uuid.UUID | None
) -> BalanceSheetOut:
    totals = await account_totals(session, upto=(year.label, period), company_id=company_id)
    assets = _section(book, totals, "asset", 1)
    liabilities = _section(book, totals, "liability", -1)
    equity = _section(book, totals, "equity", -1)
    # income and expense not yet closed to retained earnings (all years up to the date)
    profit = _section(book, totals, "income", -1).total - _section(book, totals, "expense", 1).total
    return BalanceSheetOut(
        fiscal_year=year.label,
        period=period,
        company_id=company_id,
        assets=assets,
        liabilities=liabilities,
        equity=equity,
        current_year_profit=profit,
        balanced=assets.total == liabilities.total + equity.total + profit,
    )


async def general_ledger(
    session: AsyncSession,
    book: AccountBook,
    account_id: uuid.UUID,
    date_from: dt.date,
    date_to: dt.date,
    company_id: uuid.UUID | None,
    limit: int,
) -> GeneralLedgerOut:
    account = book.by_id.get(account_id)
    if account is None:
        raise AppError(
            422,
            "validation_failed",
            "account_id: no such account",
            "account_id: এমন হিসাব নেই",
            errors=(FieldError("query.account_id", "unknown", "no such account", "এমন হিসাব নেই"),),
        )
    tenant = require_tenant_id()
    conditions = [JournalLine.tenant_id == tenant, JournalLine.account_id == account_id]
    if company_id is not None:
        conditions.append(JournalLine.company_id == company_id)
    before = await session.execute(
        select(JournalLine.debit, JournalLine.credit).where(*conditions, JournalLine.date < date_from)
    )
    opening = ZERO
    for debit, credit in before:
        opening += debit - credit
    rows = await session.execute(
        select(JournalLine, JournalEntry.number, JournalEntry.memo)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(*conditions, JournalLine.date >= date_from, JournalLine.date <= date_to)
        .order_by(JournalLine.date, JournalEntry.number, JournalLine.line_no)
        .limit(limit)
    )
    running = opening
    lines = []
    for line, number, memo in rows:
        running += line.debit - line.credit
        lines.append(
            LedgerLineOut(
                entry_id=line.entry_id,
                number=number,
                date=line.date,
                memo=memo,
                debit=line.debit,
                credit=line.credit,
                running_balance=running,
                cost_centre=line.cost_centre or None,
                project=line.project or None,
            )
        )
    return GeneralLedgerOut(
        account_id=account_id,
        code=account.code,
        name=account.name,
        date_from=date_from,
        date_to=date_to,
        opening_balance=opening,
        lines=lines,
        closing_balance=running,
    )


async def ageing(session: AsyncSession, side: str, as_of: dt.date, company_id: uuid.UUID | None) -> AgeingOut:
    tenant = require_tenant_id()
    kinds = (INVOICE, DEBIT_NOTE) if side == "receivable" else (BILL, DEBIT_NOTE)
    conditions = [
        Document.tenant_id == tenant,
        Document.side == ("sales" if side == "receivable" else "purchase"),
        Document.kind.in_(kinds),
        Document.status.in_((POSTED, PARTIALLY_PAID)),
        Document.date <= as_of,
    ]
    if company_id is not None:
        conditions.append(Document.company_id == company_id)
    names = [name for name, _, _ in AGEING_BUCKETS]
    rows: dict[uuid.UUID, AgeingRow] = {}
    for document in await session.scalars(select(Document).where(*conditions)):
        open_amount = money((document.total - document.settled) * document.fx_rate)  # BDT
        if open_amount <= 0:
            continue
        row = rows.get(document.party_id)
        if row is None:
            row = rows[document.party_id] = AgeingRow(
                party_id=document.party_id,
                party_name=json.loads(document.party).get("name") or "",
                buckets=dict.fromkeys(names, ZERO),
                total=ZERO,
            )
        bucket = ageing_bucket(document.due_date, as_of)
        row.buckets[bucket] += open_amount
        row.total += open_amount
    ordered = sorted(rows.values(), key=lambda row: row.party_name)
    totals = {name: sum((row.buckets[name] for row in ordered), ZERO) for name in names}
    return AgeingOut(side=side, as_of=as_of, buckets=names, rows=ordered, totals=totals)


async def party_statement(
    session: AsyncSession, side: str, party_id: uuid.UUID, date_from: dt.date, date_to: dt.date
) -> PartyStatementOut:
    """A customer's (receivable) or vendor's (payable) statement: posted documents and payments."""
    tenant = require_tenant_id()
    doc_side = "sales" if side == "receivable" else "purchase"
    direction = "receipt" if side == "receivable" else "payment"
    items: list[tuple[dt.date, str, str, str | None, str | None, Decimal]] = []
    for document in await session.scalars(
        select(Document).where(
            Document.tenant_id == tenant,
            Document.side == doc_side,
            Document.party_id == party_id,
            Document.status.in_(POSTED_STATES),
            Document.date <= date_to,
        )
    ):
        sign = -1 if document.kind == CREDIT_NOTE else 1
        items.append(
            (
                document.date,
                document.number or "",
                document.kind,
                document.number,
                document.reference,
                document.total * sign,
            )
        )
    for payment in await session.scalars(
        select(Payment).where(
            Payment.tenant_id == tenant,
            Payment.direction == direction,
            Payment.party_id == party_id,
            Payment.status == "posted",
            Payment.date <= date_to,
        )
    ):
        settled = payment.amount + payment.vds + payment.tds
        items.append((payment.date, payment.number, direction, payment.number, payment.transaction_id, -settled))
    items.sort(key=lambda item: (item[0], item[1]))
    opening = sum((item[5] for item in items if item[0] < date_from), ZERO)
    running = opening
    lines = []
    for day, _, kind, number, reference, amount in items:
        if day < date_from:
            continue
        running += amount
        lines.append(
            PartyStatementLine(
                date=day, kind=kind, number=number, reference=reference, amount=amount, running_balance=running
            )
        )
    return PartyStatementOut(
        side=side,
        party_id=party_id,
        date_from=date_from,
        date_to=date_to,
        opening_balance=opening,
        lines=lines,
        closing_balance=running,
    )


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    try:
        year, number = (int(part) for part in month.split("-"))
        start = dt.date(year, number, 1)
    except ValueError:
        raise AppError(
            422,
            "validation_failed",
            "month: expected YYYY-MM, e.g. 2025-10",
            "month: YYYY-MM দিন",
            errors=(FieldError("query.month", "invalid", "expected YYYY-MM", "YYYY-MM দিন"),),
        ) from None
    following = dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start, following - dt.timedelta(days=1)


async def register(session: AsyncSession, side: str, month: str, company_id: uuid.UUID | None) -> RegisterOut:
    """Mushak-6.2 (sales) or Mushak-6.1 (purchases): posted documents of the month, notes signed."""
    start, end = month_bounds(month)
    tenant = require_tenant_id()
    conditions = [
        Document.tenant_id == tenant,
        Document.side == side,
        Document.status.in_(POSTED_STATES),
        Document.number.is_not(None),
        Document.date >= start,
        Document.date <= end,
    ]
    if company_id is not None:
        conditions.append(Document.company_id == company_id)
    rows = []
    for document in await session.scalars(select(Document).where(*conditions).order_by(Document.date, Document.number)):
        sign = -1 if document.kind == CREDIT_NOTE else 1
        party = json.loads(document.party)
        rate = document.fx_rate  # registers are in BDT (foreign-currency documents at their own rate)
        rows.append(
            RegisterRow(
                document_id=document.id,
                kind=document.kind,
                number=document.number,
                reference=document.reference,
                date=document.date,
                party_name=party.get("name") or "",
                party_bin=party.get("bin"),
                value=money((document.subtotal - document.discount) * rate) * sign,
                sd=money(document.sd * rate) * sign,
                vat=money(document.vat * rate) * sign,
                total=money(document.total * rate) * sign,
            )
        )
    return RegisterOut(
        form="Mushak-6.2" if side == "sales" else "Mushak-6.1",
        month=month,
        rows=rows,
        value=sum((row.value for row in rows), ZERO),
        sd=sum((row.sd for row in rows), ZERO),
        vat=sum((row.vat for row in rows), ZERO),
        total=sum((row.total for row in rows), ZERO),
    )


async def vat_return(session: AsyncSession, month: str, company_id: uuid.UUID | None) -> VatReturnOut:
    start, end = month_bounds(month)
    sales = await register(session, "sales", month, company_id)
    purchases = await register(session, "purchase", month, company_id)
    tenant = require_tenant_id()
    conditions = [Payment.tenant_id == tenant, Payment.status == "posted", Payment.date >= start, Payment.date <= end]
    if company_id is not None:
        conditions.append(Payment.company_id == company_id)
    vds_by_customers = ZERO
    vds_from_suppliers = ZERO
    for direction, vds in await session.execute(select(Payment.direction, Payment.vds).where(*conditions)):
        if direction == "receipt":
            vds_by_customers += vds
        else:
            vds_from_suppliers += vds
    # input VAT credit: standard-rate purchases only (reduced-rate VAT is cost, as in the GL)
    conditions = [
        Document.tenant_id == tenant,
        Document.side == "purchase",
        Document.status.in_(POSTED_STATES),
        Document.date >= start,
        Document.date <= end,
        DocumentLine.vat_treatment == "standard",
    ]
    if company_id is not None:
        conditions.append(Document.company_id == company_id)
    input_credit = ZERO
    for kind, vat, rate in await session.execute(
        select(Document.kind, DocumentLine.vat, Document.fx_rate)
        .join(DocumentLine, DocumentLine.document_id == Document.id)
        .where(*conditions)
    ):
        input_credit += money(vat * rate) * (-1 if kind == CREDIT_NOTE else 1)
    net = sales.vat + sales.sd - input_credit - vds_by_customers
    return VatReturnOut(
        month=month,
        period_start=start,
        period_end=end,
        due_date=vat_return_due(start),
        sales_value=sales.value,
        output_vat=sales.vat,
        sd=sales.sd,
        purchase_value=purchases.value,
        input_vat=input_credit,
        vds_deducted_by_customers=vds_by_customers,
        vds_deducted_from_suppliers=vds_from_suppliers,
        net_payable=net,
    )
