"""The general ledger: fiscal periods, gap-free numbers, posting and reversing journal entries, and
the balances kept per company, account, period and dimension in the same transaction.

Gap-free numbering: the next number of a series is taken from a counter row locked ``FOR UPDATE``
inside the posting transaction (PostgreSQL); SQLite has a single writer (``BEGIN IMMEDIATE``), which
serializes the same way. A number is only ever consumed by a committed posting: a rollback returns
it with everything else.

Balances: PostgreSQL adds to them with ``INSERT ... ON CONFLICT DO UPDATE SET debit = debit + ...``
(atomic under concurrency); SQLite (exact decimals stored as text, one writer) reads, adds in Python
and writes back.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.bd.fiscal import FiscalYear, parse_fiscal_year
from vextrus.kit.errors import AppError, FieldError
from vextrus.kit.models import new_id, utcnow
from vextrus.kit.tenancy import require_tenant_id
from vextrus.services.finance.external import AccountBook
from vextrus.services.finance.models import (
    ENTRY_POSTED,
    ENTRY_REVERSED,
    PERIOD_CLOSED,
    PERIOD_LOCKED,
    PERIOD_OPEN,
    Balance,
    Counter,
    FinanceSettings,
    JournalEntry,
    JournalLine,
    Period,
)
from vextrus.services.finance.rules import SERIES, ZERO, document_number, fiscal_position, money


@dataclass(frozen=True)
class LineDraft:
    account_id: uuid.UUID
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    cost_centre: str = ""
    project: str = ""
    description: str | None = None
    company_id: uuid.UUID | None = None  # defaults to the entry's company


@dataclass
class EntryDraft:
    company_id: uuid.UUID
    journal: str
    date: dt.date
    lines: list[LineDraft]
    memo: str | None = None
    reference: str | None = None
    source_type: str | None = None
    source_id: uuid.UUID | None = None
    reverses_id: uuid.UUID | None = None
    field_prefix: str = "body.lines"
    extra: dict[str, object] = field(default_factory=dict)


def _problem(status: int, code: str, detail: str, detail_bn: str, *errors: FieldError, **extra: object) -> AppError:
    return AppError(status, code, detail, detail_bn, errors=errors, extra=extra or None)


# --- settings and periods -------------------------------------------------------------------------


async def fiscal_start_month(session: AsyncSession) -> int:
    tenant = require_tenant_id()
    row = await session.scalar(select(FinanceSettings.fiscal_start_month).where(FinanceSettings.tenant_id == tenant))
    return int(row) if row is not None else 7


async def set_fiscal_start_month(session: AsyncSession, month: int) -> None:
    tenant = require_tenant_id()
    existing = await session.scalar(select(FinanceSettings).where(FinanceSettings.tenant_id == tenant))
    if existing is not None and existing.fiscal_start_month == month:
        return
    posted = await session.scalar(select(JournalEntry.id).where(JournalEntry.tenant_id == tenant).limit(1))
    if posted is not None:
        raise _problem(
            409,
            "fiscal_year_fixed",
            "The fiscal year start cannot change once entries are posted",
            "হিসাব লেখার পর অর্থবছরের শুরু বদলানো যায় না",
        )
    if existing is None:
        session.add(FinanceSettings(id=new_id(), tenant_id=tenant, fiscal_start_month=month))
    else:
        existing.fiscal_start_month = month
    await session.flush()


async def fiscal_year_named(session: AsyncSession, label: str, field_name: str = "fiscal_year") -> FiscalYear:
    start = await fiscal_start_month(session)
    try:
        return parse_fiscal_year(label, start)
    except ValueError:
        raise _problem(
            422,
            "validation_failed",
            f"{field_name}: not a fiscal year label such as 2025-26",
            f"{field_name}: ২০২৫-২৬ এর মতো অর্থবছর দিন",
            FieldError(field_name, "invalid", "expected a label such as 2025-26", "২০২৫-২৬ এর মতো লিখুন"),
        ) from None


async def ensure_periods(session: AsyncSession, year: FiscalYear) -> None:
    """Create the twelve periods of ``year`` (open) if they do not exist; safe under concurrency."""
    tenant = require_tenant_id()
    rows = [
        {
            "id": new_id(),
            "tenant_id": tenant,
            "fiscal_year": year.label,
            "number": period.number,
            "start": period.start,
            "end": period.end,
            "status": PERIOD_OPEN,
        }
        for period in year.periods()
    ]
    have = await session.scalar(
        select(Period.id).where(Period.tenant_id == tenant, Period.fiscal_year == year.label).limit(1)
    )
    if have is not None:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Period).values(rows).on_conflict_do_nothing(index_elements=["tenant_id", "fiscal_year", "number"])
    )
    await session.execute(statement)


async def periods_of(session: AsyncSession, year: FiscalYear) -> list[Period]:
    await ensure_periods(session, year)
    tenant = require_tenant_id()
    result = await session.scalars(
        select(Period).where(Period.tenant_id == tenant, Period.fiscal_year == year.label).order_by(Period.number)
    )
    return list(result)


async def open_period_for(session: AsyncSession, day: dt.date, field_name: str) -> tuple[FiscalYear, Period]:
    """The open period containing ``day``, held (FOR SHARE) so that closing it waits for this posting."""
    start = await fiscal_start_month(session)
    year, number = fiscal_position(day, start)
    tenant = require_tenant_id()
    statement = (
        select(Period)
        .where(Period.tenant_id == tenant, Period.fiscal_year == year.label, Period.number == number)
        .with_for_update(read=True)
    )
    period = await session.scalar(statement)
    if period is None:
        await ensure_periods(session, year)
        period = await session.scalar(statement)
    assert period is not None
    if period.status != PERIOD_OPEN:
        raise _problem(
            409,
            "period_closed",
            f"The period {year.label}/P{number:02d} ({period.start:%b %Y}) is {period.status}: nothing can be posted "
            "into it. Post into an open period (a correction of a closed period is posted today by reversal) or "
            "ask an accountant to reopen it",
            f"{year.label}/P{number:02d} সময়কাল {'বন্ধ' if period.status == PERIOD_CLOSED else 'লক করা'}: এতে লেখা যায় না",
            FieldError(field_name, "period_closed", f"period {period.status}", "সময়কাল বন্ধ"),
            fiscal_year=year.label,
            period=number,
            period_status=period.status,
        )
    return year, period


async def change_period(session: AsyncSession, year: FiscalYear, number: int, action: str, actor: uuid.UUID) -> Period:
    """close (open → closed), reopen (closed → open), lock (closed → locked, final)."""
    await ensure_periods(session, year)
    tenant = require_tenant_id()
    period = await session.scalar(
        select(Period)
        .where(Period.tenant_id == tenant, Period.fiscal_year == year.label, Period.number == number)
        .with_for_update()
    )
    if period is None:
        raise _problem(404, "not_found", f"Period {number} of {year.label} was not found", "সময়কাল পাওয়া যায়নি")
    allowed = {
        "close": (PERIOD_OPEN, PERIOD_CLOSED),
        "reopen": (PERIOD_CLOSED, PERIOD_OPEN),
        "lock": (PERIOD_CLOSED, PERIOD_LOCKED),
    }
    source, target = allowed[action]
    if period.status != source:
        raise _problem(
            409,
            "invalid_period_state",
            f"Cannot {action} period {year.label}/P{number:02d}: it is {period.status} (needs {source})",
            f"সময়কাল {period.status}: এই কাজ করা যায় না",
            period_status=period.status,
        )
    if action == "close":
        earlier_open = await session.scalar(
            select(Period.number)
            .where(
                Period.tenant_id == tenant,
                Period.fiscal_year == year.label,
                Period.number < number,
                Period.status == PERIOD_OPEN,
            )
            .limit(1)
        )
        if earlier_open is not None:
            raise _problem(
                409,
                "earlier_period_open",
                f"Close period {earlier_open} of {year.label} first: periods close in order",
                "আগের সময়কাল আগে বন্ধ করুন",
            )
    period.status = target
    if target != PERIOD_OPEN:
        period.closed_at = utcnow()
        period.closed_by = actor
    await session.flush()
    return period


# --- numbering ------------------------------------------------------------------------------------


async def next_number(session: AsyncSession, key: str, fiscal_year: str) -> str:
    """The next gap-free number of series ``key`` (a :data:`SERIES` name) in ``fiscal_year``: one
    ``UPDATE ... RETURNING`` on the counter row, which holds the row lock until the transaction ends."""
    tenant = require_tenant_id()
    series = SERIES[key]
    bump = (
        update(Counter)
        .where(Counter.tenant_id == tenant, Counter.series == series, Counter.fiscal_year == fiscal_year)
        .values(last_value=Counter.last_value + 1)
        .returning(Counter.last_value)
        .execution_options(synchronize_session=False)
    )
    value = await session.scalar(bump)
    if value is None:
        dialect = session.get_bind().dialect.name
        upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        await session.execute(
            upsert(Counter)
            .values(id=new_id(), tenant_id=tenant, series=series, fiscal_year=fiscal_year, last_value=0)
            .on_conflict_do_nothing(index_elements=["tenant_id", "series", "fiscal_year"])
        )
        value = await session.scalar(bump)
        assert value is not None
    return document_number(series, fiscal_year, int(value))


# --- posting --------------------------------------------------------------------------------------


def _check_lines(draft: EntryDraft, book: AccountBook) -> Decimal:
    prefix = draft.field_prefix
    if len(draft.lines) < 2:
        raise _problem(
            422,
            "validation_failed",
            f"{prefix}: a journal entry needs at least two lines",
            f"{prefix}: অন্তত দুটি লাইন প্রয়োজন",
            FieldError(prefix, "too_short", "at least two lines", "অন্তত দুটি লাইন"),
        )
    debit = credit = ZERO
    for index, line in enumerate(draft.lines):
        where = f"{prefix}.{index}"
        if line.debit < 0 or line.credit < 0 or (line.debit > 0) == (line.credit > 0):
            raise _problem(
                422,
                "validation_failed",
                f"{where}: a line is either a debit or a credit, positive",
                f"{where}: লাইনটি হয় ডেবিট নয় ক্রেডিট, ধনাত্মক",
                FieldError(where, "one_side", "exactly one of debit and credit, above zero", "ডেবিট বা ক্রেডিট একটি"),
            )
        if money(line.debit) != line.debit or money(line.credit) != line.credit:
            raise _problem(
                422,
                "validation_failed",
                f"{where}: amounts have at most two decimal places (paisa)",
                f"{where}: সর্বোচ্চ দুই দশমিক ঘর (পয়সা)",
                FieldError(where, "precision", "at most 2 decimal places", "সর্বোচ্চ দুই দশমিক"),
            )
        book.posting(line.account_id, f"{where}.account_id")
        debit += line.debit
        credit += line.credit
    if debit != credit:
        raise _problem(
            422,
            "unbalanced_entry",
            f"Debits ({debit}) and credits ({credit}) differ by {debit - credit}: a journal entry must balance",
            f"ডেবিট ({debit}) ও ক্রেডিট ({credit}) সমান নয়",
            FieldError(prefix, "unbalanced", f"debits {debit} ≠ credits {credit}", "ডেবিট ≠ ক্রেডিট"),
            debit=str(debit),
            credit=str(credit),
        )
    return debit


async def post_entry(
    session: AsyncSession,
    draft: EntryDraft,
    book: AccountBook,
    actor: uuid.UUID | None,
    *,
    held: tuple[FiscalYear, Period] | None = None,
) -> JournalEntry:
    """Validate, number and post ``draft``; lines and balances are written in this transaction.
    ``held``: the open period of ``draft.date`` the caller already holds."""
    total = _check_lines(draft, book)
    year, period = held or await open_period_for(session, draft.date, "body.date")
    tenant = require_tenant_id()
    number = await next_number(session, draft.journal, year.label)
    entry = JournalEntry(
        id=new_id(),
        tenant_id=tenant,
        company_id=draft.company_id,
        journal=draft.journal,
        number=number,
        date=draft.date,
        fiscal_year=year.label,
        period=period.number,
        status=ENTRY_POSTED,
        memo=draft.memo,
        reference=draft.reference,
        source_type=draft.source_type,
        source_id=draft.source_id,
        reverses_id=draft.reverses_id,
        total=total,
        posted_by=actor,
    )
    session.add(entry)
    rows: list[dict[str, object]] = [
        {
            "id": new_id(),
            "tenant_id": tenant,
            "entry_id": entry.id,
            "line_no": index,
            "company_id": line.company_id or draft.company_id,
            "account_id": line.account_id,
            "date": draft.date,
            "fiscal_year": year.label,
            "period": period.number,
            "debit": line.debit,
            "credit": line.credit,
            "cost_centre": line.cost_centre,
            "project": line.project,
            "description": line.description,
        }
        for index, line in enumerate(draft.lines, start=1)
    ]
    await session.flush()
    await session.execute(insert(JournalLine), rows)
    await apply_balances(session, rows)
    return entry


BalanceKey = tuple[uuid.UUID, uuid.UUID, str, int, str, str]


async def apply_balances(session: AsyncSession, rows: Sequence[dict[str, object]]) -> None:
    tenant = require_tenant_id()
    sums: dict[BalanceKey, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for row in rows:
        key = (
            row["company_id"],
            row["account_id"],
            row["fiscal_year"],
            row["period"],
            row["cost_centre"],
            row["project"],
        )
        bucket = sums[key]  # type: ignore[index]
        bucket[0] += row["debit"]  # type: ignore[operator]
        bucket[1] += row["credit"]  # type: ignore[operator]
    ordered = sorted(sums.items(), key=lambda item: tuple(str(part) for part in item[0]))
    if session.get_bind().dialect.name == "postgresql":
        values = [
            {
                "id": new_id(),
                "tenant_id": tenant,
                "company_id": key[0],
                "account_id": key[1],
                "fiscal_year": key[2],
                "period": key[3],
                "cost_centre": key[4],
                "project": key[5],
                "debit": amounts[0],
                "credit": amounts[1],
            }
            for key, amounts in ordered
        ]
        statement = postgresql.insert(Balance).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=["tenant_id", "company_id", "account_id", "fiscal_year", "period", "cost_centre", "project"],
            set_={
                "debit": Balance.debit + statement.excluded.debit,
                "credit": Balance.credit + statement.excluded.credit,
            },
        )
        await session.execute(statement)
        return
    columns = (
        Balance.company_id,
        Balance.account_id,
        Balance.fiscal_year,
        Balance.period,
        Balance.cost_centre,
        Balance.project,
    )
    existing = {
        (row.company_id, row.account_id, row.fiscal_year, row.period, row.cost_centre, row.project): row
        for row in await session.scalars(
            select(Balance).where(Balance.tenant_id == tenant, tuple_(*columns).in_([key for key, _ in ordered]))
        )
    }
    for key, (debit, credit) in ordered:
        found = existing.get(key)
        if found is None:
            session.add(
                Balance(
                    id=new_id(),
                    tenant_id=tenant,
                    company_id=key[0],
                    account_id=key[1],
                    fiscal_year=key[2],
                    period=key[3],
                    cost_centre=key[4],
                    project=key[5],
                    debit=debit,
                    credit=credit,
                )
            )
        else:
            found.debit = found.debit + debit
            found.credit = found.credit + credit
    await session.flush()


async def entry_lines(session: AsyncSession, entry_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[JournalLine]]:
    tenant = require_tenant_id()
    grouped: dict[uuid.UUID, list[JournalLine]] = {ident: [] for ident in entry_ids}
    if not entry_ids:
        return grouped
    for line in await session.scalars(
        select(JournalLine)
        .where(JournalLine.tenant_id == tenant, JournalLine.entry_id.in_(list(entry_ids)))
        .order_by(JournalLine.entry_id, JournalLine.line_no)
    ):
        grouped[line.entry_id].append(line)
    return grouped


async def get_entry(session: AsyncSession, entry_id: uuid.UUID, *, lock: bool = False) -> JournalEntry:
    tenant = require_tenant_id()
    statement = select(JournalEntry).where(JournalEntry.tenant_id == tenant, JournalEntry.id == entry_id)
    if lock:
        statement = statement.with_for_update()
    entry = await session.scalar(statement)
    if entry is None:
        raise _problem(404, "not_found", f"Journal entry {entry_id} was not found", f"জাবেদা {entry_id} পাওয়া যায়নি")
    return entry


async def reverse_entry(
    session: AsyncSession,
    entry_id: uuid.UUID,
    book: AccountBook,
    actor: uuid.UUID | None,
    *,
    date: dt.date | None = None,
    memo: str | None = None,
) -> JournalEntry:
    """Post the mirror image of a posted entry (debits become credits); the original stays as it was,
    marked reversed. Dated ``date`` (default: the original's date)."""
    original = await get_entry(session, entry_id, lock=True)
    if original.status == ENTRY_REVERSED or original.reversed_by_id is not None:
        raise _problem(
            409,
            "already_reversed",
            f"{original.number} was already reversed",
            f"{original.number} আগেই উল্টানো হয়েছে",
            reversed_by=str(original.reversed_by_id),
        )
    if original.reverses_id is not None:
        raise _problem(
            409, "is_reversal", f"{original.number} is itself a reversal", f"{original.number} নিজেই উল্টো জাবেদা"
        )
    lines = (await entry_lines(session, [original.id]))[original.id]
    draft = EntryDraft(
        company_id=original.company_id,
        journal=original.journal,
        date=date or original.date,
        lines=[
            LineDraft(
                account_id=line.account_id,
                debit=line.credit,
                credit=line.debit,
                cost_centre=line.cost_centre,
                project=line.project,
                description=line.description,
                company_id=line.company_id,
            )
            for line in lines
        ],
        memo=memo or f"Reversal of {original.number}",
        reference=original.number,
        source_type=original.source_type,
        source_id=original.source_id,
        reverses_id=original.id,
        field_prefix="body",
    )
    reversal = await post_entry(session, draft, book, actor)
    await session.execute(
        update(JournalEntry)
        .where(JournalEntry.id == original.id)
        .values(status=ENTRY_REVERSED, reversed_by_id=reversal.id)
        .execution_options(synchronize_session="fetch")
    )
    return reversal
