"""Receipts from customers and payments to vendors: allocation to one or many documents, advances,
withholding (VDS by Mushak-6.6, TDS/AIT by ``bd.withholding.rate``), cheque clearing and bouncing.

Over-allocation is impossible under concurrency: the documents allocated are locked
``FOR UPDATE`` (in id order, so two payments never deadlock) before their open amounts are read;
SQLite's single writer serializes the same way.

GL entries (BDT):

- receipt: Dr cash/bank/wallet (amount), Dr VDS receivable (vds), Dr AIT receivable (ait);
  Cr receivable (allocated), Cr customer advances (the rest);
- payment: Dr payable (allocated), Dr supplier advances (advance); Cr cash/bank/wallet (amount),
  Cr VDS payable, Cr TDS payable.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.errors import AppError, FieldError
from vextrus.kit.events.outbox import record_event
from vextrus.kit.models import new_id
from vextrus.kit.tenancy import Principal, require_tenant_id
from vextrus.services.finance import external, ledger, metrics
from vextrus.services.finance.events import PAYMENT_RECEIVED, PaymentReceived
from vextrus.services.finance.external import AccountBook
from vextrus.services.finance.models import (
    BILL,
    DEBIT_NOTE,
    INVOICE,
    PARTIALLY_PAID,
    POSTED,
    Allocation,
    Certificate,
    Document,
    Payment,
)
from vextrus.services.finance.rules import (
    METHOD_ACCOUNT,
    MOBILE_METHODS,
    VENDOR_KIND_PAYMENT_TYPE,
    ZERO,
    money,
    split_withholding,
)
from vextrus.services.finance.sales import settle_status
from vextrus.services.finance.schemas import AllocationOut, CertificateOut, DepositIn, PaymentIn, PaymentOut

if TYPE_CHECKING:
    from vextrus.kit.runtime import Runtime

HUNDRED = Decimal(100)


def _unprocessable(field_path: str, reason: str, reason_bn: str, code: str = "invalid", **extra: Any) -> AppError:
    return AppError(
        422,
        "validation_failed",
        f"{field_path}: {reason}",
        f"{field_path}: {reason_bn}",
        errors=(FieldError(field_path, code, reason, reason_bn),),
        extra=extra or None,
    )


@dataclass
class PaymentContext:
    """What other services answered for a payment (asked before the transaction)."""

    book: AccountBook
    party: dict[str, Any]
    tds_rate: Decimal = ZERO  # percent
    tds_payment_type: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


async def prepare(runtime: Runtime, principal: Principal, body: PaymentIn) -> PaymentContext:
    if body.method in MOBILE_METHODS and not body.transaction_id:
        raise _unprocessable("body.transaction_id", f"required for {body.method}", "লেনদেন আইডি দিন", "required")
    if body.method == "cheque" and not body.cheque_number:
        raise _unprocessable("body.cheque_number", "required for a cheque", "চেক নম্বর দিন", "required")
    if body.currency != "BDT" and (body.vds_amount or body.ait_amount):
        raise _unprocessable(
            "body.vds_amount", "withholding is in BDT: record it on a BDT receipt", "উৎসে কর্তন টাকায়", "not_allowed"
        )
    if body.direction == "payment" and (body.vds_amount or body.ait_amount):
        raise _unprocessable(
            "body.vds_amount", "only on receipts: on payments VDS and TDS are computed", "কেবল প্রাপ্তিতে", "not_allowed"
        )
    ids = [item.document_id for item in body.allocations]
    if len(set(ids)) != len(ids):
        raise _unprocessable("body.allocations", "a document appears twice", "একই দলিল দুবার", "duplicate")
    side = "sales" if body.direction == "receipt" else "purchase"
    tenant = principal.tenant_id
    party = await external.party(runtime, tenant, side, body.party_id, "body.party_id")
    book = await external.account_book(runtime, tenant)
    context = PaymentContext(book=book, party=party)
    if body.direction == "payment" and body.withhold and body.allocations and body.currency == "BDT":
        payment_type = body.tds_payment_type or VENDOR_KIND_PAYMENT_TYPE.get(str(party.get("kind")), "supplier")
        gross = sum((item.amount for item in body.allocations), ZERO)
        [result] = await external.evaluate_many(
            runtime,
            tenant,
            "bd.withholding.rate",
            [{"payment_type": payment_type, "amount": str(gross), "payee_has_tin": bool(party.get("tin"))}],
            None,
        )
        if result.get("applicable"):
            context.tds_rate = external.decimal_of(result.get("rate", 0)) * HUNDRED
        context.tds_payment_type = payment_type
    return context


async def _check_transaction_id(session: AsyncSession, body: PaymentIn) -> None:
    if not body.transaction_id or body.method not in MOBILE_METHODS:
        return
    tenant = require_tenant_id()
    existing = await session.scalar(
        select(Payment.number).where(
            Payment.tenant_id == tenant, Payment.method == body.method, Payment.transaction_id == body.transaction_id
        )
    )
    if existing is not None:
        raise AppError(
            409,
            "duplicate_transaction",
            f"{body.method} transaction {body.transaction_id} is already recorded as {existing}",
            f"এই লেনদেন আগেই {existing} হিসেবে লেখা হয়েছে",
            errors=(FieldError("body.transaction_id", "duplicate", "already recorded", "আগেই লেখা"),),
            extra={"payment_number": existing},
        )


async def record_payment(
    session: AsyncSession,
    company_id: uuid.UUID,
    body: PaymentIn,
    context: PaymentContext,
    actor: uuid.UUID,
    idempotency_key: str | None = None,
) -> Payment:
    tenant = require_tenant_id()
    await _check_transaction_id(session, body)
    book = context.book
    side = "sales" if body.direction == "receipt" else "purchase"
    kinds = (INVOICE, DEBIT_NOTE) if side == "sales" else (BILL, DEBIT_NOTE)
    ordered = sorted(body.allocations, key=lambda item: item.document_id)
    documents: dict[uuid.UUID, Document] = {}
    if ordered:
        rows = await session.scalars(
            select(Document)
            .where(Document.tenant_id == tenant, Document.id.in_([item.document_id for item in ordered]))
            .order_by(Document.id)
            .with_for_update()
        )
        documents = {row.id: row for row in rows}
    allocations: list[tuple[Document, Decimal, Decimal, Decimal, Decimal]] = []  # doc, amount, vds, tds, base
    for index, item in enumerate(body.allocations):
        where = f"body.allocations.{index}"
        document = documents.get(item.document_id)
        if document is None or document.kind not in kinds or document.side != side:
            raise _unprocessable(
                f"{where}.document_id", "no such open document of this party", "এমন দলিল নেই", "unknown"
            )
        if document.party_id != body.party_id or document.company_id != company_id:
            raise _unprocessable(
                f"{where}.document_id", "belongs to another party or company", "অন্য পক্ষ বা কোম্পানির দলিল", "mismatch"
            )
        if document.status not in (POSTED, PARTIALLY_PAID):
            raise _unprocessable(
                f"{where}.document_id",
                f"is {document.status}: only posted, unpaid documents take payments",
                "পরিশোধযোগ্য নয়",
                "not_open",
            )
        if document.currency != body.currency:
            raise _unprocessable(
                f"{where}.document_id",
                f"is in {document.currency}; this payment is in {body.currency}",
                "মুদ্রা মেলে না",
                "currency_mismatch",
            )
        outstanding = document.total - document.settled
        if item.amount > outstanding:
            raise AppError(
                409,
                "over_allocation",
                f"{document.number} has {outstanding} open; {item.amount} cannot be allocated to it",
                f"{document.number}-এ বকেয়া {outstanding}; {item.amount} বরাদ্দ করা যায় না",
                errors=(
                    FieldError(f"{where}.amount", "over_allocation", f"open amount is {outstanding}", "বকেয়ার বেশি"),
                ),
                extra={"document_id": str(document.id), "outstanding": str(outstanding)},
            )
        vds = tds = base = ZERO
        if body.direction == "payment" and body.withhold and body.currency == "BDT":
            vat_part, value_part = split_withholding(
                item.amount, document.total, document.vat, document.total - document.vat
            )
            if document.vds:
                vds = vat_part
            base = value_part
            tds = money(base * context.tds_rate / HUNDRED)
        allocations.append((document, item.amount, vds, tds, base))
    allocated = sum((item[1] for item in allocations), ZERO)
    vds_total = sum((item[2] for item in allocations), ZERO) if body.direction == "payment" else body.vds_amount
    tds_total = sum((item[3] for item in allocations), ZERO) if body.direction == "payment" else body.ait_amount
    settlement = body.amount + vds_total + tds_total
    if settlement < allocated:
        expected = allocated - vds_total - tds_total
        raise _unprocessable(
            "body.amount",
            f"{body.amount} does not cover the allocations: {allocated} allocated, {vds_total} VDS and {tds_total} "
            f"{'TDS' if body.direction == 'payment' else 'AIT'} withheld, so the amount must be at least {expected}",
            f"পরিমাণ কম: অন্তত {expected}",
            "short",
            expected_amount=str(expected),
        )
    advance = settlement - allocated
    if advance > 0 and not body.allow_advance:
        raise _unprocessable(
            "body.amount", f"overpayment of {advance} (allow_advance is false)", f"{advance} বেশি পরিশোধ", "overpayment"
        )
    held = await ledger.open_period_for(session, body.date, "body.date")
    year = held[0]
    number = await ledger.next_number(session, body.direction, year.label)
    money_account = book.role(METHOD_ACCOUNT[body.method]).id
    rate = body.fx_rate or Decimal(1)
    # BDT figures: money and advance at the payment's rate, settled documents at their own rates
    moved = money(body.amount * rate)
    carried = sum((money(item[1] * item[0].fx_rate) for item in allocations), ZERO)
    advance_bdt = money(advance * rate)
    lines: list[ledger.LineDraft] = []
    if body.direction == "receipt":
        lines.append(ledger.LineDraft(account_id=money_account, debit=moved))
        if vds_total:
            lines.append(ledger.LineDraft(account_id=book.role("vds_receivable").id, debit=vds_total))
        if tds_total:
            lines.append(ledger.LineDraft(account_id=book.role("ait_receivable").id, debit=tds_total))
        if carried:
            lines.append(ledger.LineDraft(account_id=book.role("receivable").id, credit=carried))
        if advance_bdt:
            lines.append(ledger.LineDraft(account_id=book.role("customer_advance").id, credit=advance_bdt))
        fx_difference = moved + vds_total + tds_total - carried - advance_bdt
    else:
        if carried:
            lines.append(ledger.LineDraft(account_id=book.role("payable").id, debit=carried))
        if advance_bdt:
            lines.append(ledger.LineDraft(account_id=book.role("supplier_advance").id, debit=advance_bdt))
        lines.append(ledger.LineDraft(account_id=money_account, credit=moved))
        if vds_total:
            lines.append(ledger.LineDraft(account_id=book.role("vds_payable").id, credit=vds_total))
        if tds_total:
            lines.append(ledger.LineDraft(account_id=book.role("tds_payable").id, credit=tds_total))
        fx_difference = carried + advance_bdt - moved - vds_total - tds_total
    if fx_difference > 0:
        lines.append(ledger.LineDraft(account_id=book.role("fx_gain").id, credit=fx_difference))
    elif fx_difference < 0:
        lines.append(ledger.LineDraft(account_id=book.role("fx_loss").id, debit=-fx_difference))
    journal = "cash" if body.method == "cash" else "bank"
    party_name = context.party.get("name")
    entry = await ledger.post_entry(
        session,
        ledger.EntryDraft(
            company_id=company_id,
            journal=journal,
            date=body.date,
            lines=lines,
            memo=body.memo
            or f"{'Receipt from' if body.direction == 'receipt' else 'Payment to'} {party_name} ({number})",
            reference=number,
            source_type=body.direction,
            field_prefix="body",
        ),
        book,
        actor,
        held=held,
    )
    payment = Payment(
        id=new_id(),
        tenant_id=tenant,
        idempotency_key=idempotency_key,
        direction=body.direction,
        company_id=company_id,
        party_id=body.party_id,
        number=number,
        date=body.date,
        method=body.method,
        transaction_id=body.transaction_id,
        cheque_number=body.cheque_number,
        cheque_status="pending" if body.method == "cheque" else None,
        currency=body.currency,
        fx_rate=rate,
        fx_difference=fx_difference,
        amount=body.amount,
        vds=vds_total,
        tds=tds_total,
        allocated=allocated,
        advance=advance,
        status="posted",
        memo=body.memo,
        journal_entry_id=entry.id,
        created_by=actor,
    )
    session.add(payment)
    entry.source_id = payment.id
    for document, amount, vds, tds, base in allocations:
        session.add(
            Allocation(
                id=new_id(),
                tenant_id=tenant,
                payment_id=payment.id,
                document_id=document.id,
                amount=amount,
                vds=vds,
                tds=tds,
            )
        )
        document.settled = document.settled + amount
        document.status = settle_status(document)
        if vds:
            session.add(
                await _certificate(session, "vds", payment, document, year.label, document.vat, HUNDRED, vds, None)
            )
        if tds:
            session.add(
                await _certificate(
                    session, "tds", payment, document, year.label, base, context.tds_rate, tds, context.tds_payment_type
                )
            )
    await session.flush()
    record_event(
        session,
        PAYMENT_RECEIVED,
        PaymentReceived(
            payment_id=payment.id,
            number=number,
            direction=body.direction,
            company_id=company_id,
            party_id=body.party_id,
            date=body.date,
            method=body.method,
            amount=body.amount,
            vds=vds_total,
            tds=tds_total,
            allocated=allocated,
            advance=advance,
            documents=[item[0].id for item in allocations],
        ),
        subject=payment.id,
    )
    metrics.PAYMENTS.labels(body.direction, body.method).inc()
    metrics.JOURNAL_ENTRIES.labels(journal).inc()
    return payment


async def _certificate(
    session: AsyncSession,
    kind: str,
    payment: Payment,
    document: Document,
    fiscal_year: str,
    base: Decimal,
    rate: Decimal,
    amount: Decimal,
    payment_type: str | None,
) -> Certificate:
    """A numbered withholding certificate: Mushak-6.6 (``vds``) or TDS, per document settled."""
    return Certificate(
        id=new_id(),
        tenant_id=payment.tenant_id,
        kind=kind,
        number=await ledger.next_number(session, kind, fiscal_year),
        payment_id=payment.id,
        document_id=document.id,
        party_id=payment.party_id,
        date=payment.date,
        base=base,
        rate=rate,
        amount=amount,
        payment_type=payment_type,
    )


async def get_payment(session: AsyncSession, payment_id: uuid.UUID, *, lock: bool = False) -> Payment:
    tenant = require_tenant_id()
    statement = select(Payment).where(Payment.tenant_id == tenant, Payment.id == payment_id)
    if lock:
        statement = statement.with_for_update()
    payment = await session.scalar(statement)
    if payment is None:
        raise AppError(404, "not_found", f"Payment {payment_id} was not found", f"পরিশোধ {payment_id} পাওয়া যায়নি")
    return payment


async def payment_out(session: AsyncSession, payment: Payment) -> PaymentOut:
    tenant = require_tenant_id()
    allocations = list(
        await session.scalars(
            select(Allocation).where(Allocation.tenant_id == tenant, Allocation.payment_id == payment.id)
        )
    )
    numbers: dict[uuid.UUID, str | None] = {}
    if allocations:
        for ident, number in await session.execute(
            select(Document.id, Document.number).where(
                Document.tenant_id == tenant, Document.id.in_([item.document_id for item in allocations])
            )
        ):
            numbers[ident] = number
    certificates = await session.scalars(
        select(Certificate)
        .where(Certificate.tenant_id == tenant, Certificate.payment_id == payment.id)
        .order_by(Certificate.number)
    )
    return PaymentOut(
        id=payment.id,
        number=payment.number,
        direction=payment.direction,
        company_id=payment.company_id,
        party_id=payment.party_id,
        date=payment.date,
        method=payment.method,
        transaction_id=payment.transaction_id,
        cheque_number=payment.cheque_number,
        cheque_status=payment.cheque_status,
        currency=payment.currency,
        fx_rate=payment.fx_rate,
        fx_difference=payment.fx_difference,
        amount=payment.amount,
        vds=payment.vds,
        tds=payment.tds,
        allocated=payment.allocated,
        advance=payment.advance,
        status=payment.status,
        memo=payment.memo,
        journal_entry_id=payment.journal_entry_id,
        allocations=[
            AllocationOut(
                document_id=item.document_id,
                document_number=numbers.get(item.document_id),
                amount=item.amount,
                vds=item.vds,
                tds=item.tds,
            )
            for item in allocations
        ],
        certificates=[certificate_out(item) for item in certificates],
    )


def certificate_out(item: Certificate) -> CertificateOut:
    return CertificateOut(
        id=item.id,
        kind=item.kind,
        number=item.number,
        document_id=item.document_id,
        party_id=item.party_id,
        date=item.date,
        base=item.base,
        rate=item.rate,
        amount=item.amount,
        payment_type=item.payment_type,
        challan_number=item.challan_number,
        challan_date=item.challan_date,
        deposit_entry_id=item.deposit_entry_id,
    )


async def clear_cheque(
    session: AsyncSession, payment_id: uuid.UUID, action: str, book: AccountBook, actor: uuid.UUID, day: dt.date | None
) -> Payment:
    """``clear`` marks a cheque cleared; ``bounce`` reverses its GL entry and undoes its allocations."""
    payment = await get_payment(session, payment_id, lock=True)
    if payment.method != "cheque" or payment.cheque_status != "pending":
        raise AppError(
            409,
            "invalid_state",
            "Only a pending cheque can be cleared or bounced "
            f"(this is {payment.method}, {payment.cheque_status or 'n/a'})",
            "কেবল অপেক্ষমাণ চেক",
        )
    if action == "clear":
        payment.cheque_status = "cleared"
        await session.flush()
        return payment
    tenant = require_tenant_id()
    await ledger.reverse_entry(
        session,
        payment.journal_entry_id,
        book,
        actor,
        date=day,
        memo=f"Cheque {payment.cheque_number} bounced ({payment.number})",
    )
    allocations: Sequence[Allocation] = list(
        await session.scalars(
            select(Allocation).where(Allocation.tenant_id == tenant, Allocation.payment_id == payment.id)
        )
    )
    if allocations:
        documents = await session.scalars(
            select(Document)
            .where(Document.tenant_id == tenant, Document.id.in_([item.document_id for item in allocations]))
            .order_by(Document.id)
            .with_for_update()
        )
        by_id = {document.id: document for document in documents}
        for item in allocations:
            document = by_id[item.document_id]
            document.settled = document.settled - item.amount
            document.status = settle_status(document)
    payment.cheque_status = "bounced"
    payment.status = "reversed"
    await session.flush()
    return payment


async def deposit(
    session: AsyncSession, company_id: uuid.UUID, body: DepositIn, book: AccountBook, actor: uuid.UUID
) -> list[Certificate]:
    """Record the treasury challan that deposited withheld VAT (Mushak-6.6) or TDS, and post it:
    Dr VDS payable (2125) or TDS payable (2130), Cr bank (or cash)."""
    tenant = require_tenant_id()
    if len(set(body.certificate_ids)) != len(body.certificate_ids):
        raise _unprocessable("body.certificate_ids", "a certificate appears twice", "একই সনদ দুবার", "duplicate")
    rows = list(
        await session.scalars(
            select(Certificate)
            .where(Certificate.tenant_id == tenant, Certificate.id.in_(body.certificate_ids))
            .order_by(Certificate.id)
            .with_for_update()
        )
    )
    found = {row.id: row for row in rows}
    for index, ident in enumerate(body.certificate_ids):
        row = found.get(ident)
        where = f"body.certificate_ids.{index}"
        if row is None or row.kind != body.kind:
            raise _unprocessable(where, f"no such {body.kind} certificate", "এমন সনদ নেই", "unknown")
        if row.challan_number is not None:
            raise AppError(
                409,
                "already_deposited",
                f"{row.number} was deposited by challan {row.challan_number}",
                f"{row.number} আগেই জমা হয়েছে",
                errors=(FieldError(where, "already_deposited", "already deposited", "আগেই জমা"),),
            )
        if row.date > body.date:
            raise _unprocessable("body.date", f"is before {row.number} was issued", "সনদের আগের তারিখ", "too_early")
    total = sum((row.amount for row in rows), ZERO)
    payable = book.role("vds_payable" if body.kind == "vds" else "tds_payable").id
    entry = await ledger.post_entry(
        session,
        ledger.EntryDraft(
            company_id=company_id,
            journal="bank" if body.method == "bank" else "cash",
            date=body.date,
            lines=[
                ledger.LineDraft(account_id=payable, debit=total),
                ledger.LineDraft(account_id=book.role(body.method).id, credit=total),
            ],
            memo=f"Treasury challan {body.challan_number}: {body.kind.upper()} deposited ({len(rows)} certificates)",
            reference=body.challan_number,
            source_type=f"{body.kind}-deposit",
            field_prefix="body",
        ),
        book,
        actor,
    )
    for row in rows:
        row.challan_number = body.challan_number
        row.challan_date = body.date
        row.challan_bank = body.bank
        row.deposit_entry_id = entry.id
    await session.flush()
    metrics.JOURNAL_ENTRIES.labels(entry.journal).inc()
    return [found[ident] for ident in body.certificate_ids]
