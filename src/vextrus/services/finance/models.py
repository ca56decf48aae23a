"""Tables of the finance service (schema ``finance``, prefix ``fin_``).

- Ledger: fiscal periods per tenant (open → closed → locked), gap-free counters, journal entries and
  their lines (immutable once posted), and balances per company, account, period and dimension,
  maintained in the posting transaction so that reports never scan the lines.
- Sales and purchases: customer invoices, vendor bills, credit and debit notes in one table
  (``kind``), their lines with VAT and SD computed, payments and receipts, their allocations,
  withholding certificates (Mushak-6.6 VDS, TDS), payment schedules, bank statement lines.

Accounts, customers, vendors and products belong to master data: they are referenced by id.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from vextrus.kit.models import (
    TYPE_ANNOTATION_MAP,
    IdMixin,
    Money,
    Tenanted,
    Timestamped,
    UTCDateTime,
    service_metadata,
)

SCHEMA = "finance"

PERIOD_OPEN = "open"
PERIOD_CLOSED = "closed"
PERIOD_LOCKED = "locked"

JOURNALS = ("general", "sales", "purchase", "cash", "bank")

ENTRY_POSTED = "posted"
ENTRY_REVERSED = "reversed"

# document kinds and statuses
INVOICE = "invoice"
BILL = "bill"
CREDIT_NOTE = "credit_note"
DEBIT_NOTE = "debit_note"
KINDS = (INVOICE, BILL, CREDIT_NOTE, DEBIT_NOTE)

DRAFT = "draft"
SUBMITTED = "submitted"
APPROVED = "approved"
REJECTED = "rejected"
POSTED = "posted"
PARTIALLY_PAID = "partially_paid"
PAID = "paid"
CANCELLED = "cancelled"


class Base(DeclarativeBase):
    metadata = service_metadata(SCHEMA)
    type_annotation_map = TYPE_ANNOTATION_MAP


class Versioned:
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


class FinanceSettings(Base, Tenanted, Timestamped):
    __tablename__ = "fin_settings"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    fiscal_start_month: Mapped[int] = mapped_column(Integer, nullable=False, default=7)


class Period(Base, IdMixin, Tenanted, Timestamped):
    __tablename__ = "fin_periods"
    __table_args__ = (UniqueConstraint("tenant_id", "fiscal_year", "number"),)

    fiscal_year: Mapped[str] = mapped_column(String(9), nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    start: Mapped[dt.date] = mapped_column(Date, nullable=False)
    end: Mapped[dt.date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=PERIOD_OPEN)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)


class Counter(Base, IdMixin, Tenanted):
    """The next number of a series in a fiscal year; locked FOR UPDATE by the posting transaction."""

    __tablename__ = "fin_counters"
    __table_args__ = (UniqueConstraint("tenant_id", "series", "fiscal_year"),)

    series: Mapped[str] = mapped_column(String(10), nullable=False)
    fiscal_year: Mapped[str] = mapped_column(String(9), nullable=False)
    last_value: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class JournalEntry(Base, IdMixin, Tenanted, Timestamped):
    __tablename__ = "fin_journal_entries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index("ix_fin_journal_entries_source", "tenant_id", "source_type", "source_id"),
    )

    company_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    journal: Mapped[str] = mapped_column(String(10), nullable=False)
    number: Mapped[str] = mapped_column(String(30), nullable=False)
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    fiscal_year: Mapped[str] = mapped_column(String(9), nullable=False)
    period: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=ENTRY_POSTED)
    memo: Mapped[str | None] = mapped_column(String(500), nullable=True)
    reference: Mapped[str | None] = mapped_column(String(100), nullable=True)
    source_type: Mapped[str | None] = mapped_column(String(30), nullable=True)
    source_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    reverses_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    reversed_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    total: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    posted_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)


class JournalLine(Base, IdMixin, Tenanted):
    __tablename__ = "fin_journal_lines"
    __table_args__ = (
        Index("ix_fin_journal_lines_entry", "entry_id"),
        Index("ix_fin_journal_lines_account", "tenant_id", "account_id", "date"),
    )

    entry_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    line_no: Mapped[int] = mapped_column(Integer, nullable=False)
    company_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    fiscal_year: Mapped[str] = mapped_column(String(9), nullable=False)
    period: Mapped[int] = mapped_column(Integer, nullable=False)
    debit: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    credit: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    cost_centre: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    project: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    description: Mapped[str | None] = mapped_column(String(300), nullable=True)


class Balance(Base, IdMixin, Tenanted):
    """Debit and credit totals of one account in one period, company and dimension pair."""

    __tablename__ = "fin_balances"
    __table_args__ = (
        UniqueConstraint("tenant_id", "company_id", "account_id", "fiscal_year", "period", "cost_centre", "project"),
    )

    company_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    fiscal_year: Mapped[str] = mapped_column(String(9), nullable=False)
    period: Mapped[int] = mapped_column(Integer, nullable=False)
    cost_centre: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    project: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    debit: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    credit: Mapped[Decimal] = mapped_column(Money(), nullable=False)


class Document(Base, IdMixin, Tenanted, Timestamped, Versioned):
    """A customer invoice, vendor bill, credit note or debit note."""

    __tablename__ = "fin_documents"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        UniqueConstraint("tenant_id", "idempotency_key"),
        Index("ix_fin_documents_party", "tenant_id", "party_id", "status"),
        Index("ix_fin_documents_date", "tenant_id", "kind", "date"),
    )

    idempotency_key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    side: Mapped[str] = mapped_column(String(10), nullable=False)  # sales | purchase
    company_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    party_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    party: Mapped[str] = mapped_column(String(4000), nullable=False)  # JSON snapshot: name, bin, tin, email...
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    number: Mapped[str | None] = mapped_column(String(30), nullable=True)
    reference: Mapped[str | None] = mapped_column(String(60), nullable=True)  # bill: the vendor's own number
    submission_key: Mapped[str | None] = mapped_column(String(30), nullable=True)
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    due_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="BDT")
    fx_rate: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    customer_type: Mapped[str] = mapped_column(String(30), nullable=False)
    vds: Mapped[bool] = mapped_column(nullable=False, default=False)
    original_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    notes: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    subtotal: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    discount: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    sd: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    vat: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    total: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    settled: Mapped[Decimal] = mapped_column(Money(), nullable=False)  # paid, withheld and credited
    workflow_instance_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    journal_entry_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    posted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)


class DocumentLine(Base, IdMixin, Tenanted):
    __tablename__ = "fin_document_lines"
    __table_args__ = (Index("ix_fin_document_lines_document", "document_id"),)

    document_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    line_no: Mapped[int] = mapped_column(Integer, nullable=False)
    product_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    description: Mapped[str] = mapped_column(String(300), nullable=False)
    unit: Mapped[str] = mapped_column(String(30), nullable=False)
    quantity: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    unit_price: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    discount: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    value: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    sd_rate: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    sd: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    vat_code: Mapped[str] = mapped_column(String(40), nullable=False)
    vat_rate: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    vat_treatment: Mapped[str] = mapped_column(String(20), nullable=False)
    vat_overridden: Mapped[bool] = mapped_column(nullable=False, default=False)
    vat: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    total: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    cost_centre: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    project: Mapped[str] = mapped_column(String(60), nullable=False, default="")


class Payment(Base, IdMixin, Tenanted, Timestamped):
    __tablename__ = "fin_payments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        UniqueConstraint("tenant_id", "idempotency_key"),
        Index("ix_fin_payments_txn", "tenant_id", "method", "transaction_id"),
    )

    idempotency_key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    direction: Mapped[str] = mapped_column(String(10), nullable=False)  # receipt | payment
    company_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    party_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    number: Mapped[str] = mapped_column(String(30), nullable=False)
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    method: Mapped[str] = mapped_column(String(12), nullable=False)
    transaction_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    cheque_number: Mapped[str | None] = mapped_column(String(30), nullable=True)
    cheque_status: Mapped[str | None] = mapped_column(String(12), nullable=True)  # pending | cleared | bounced
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="BDT")
    fx_rate: Mapped[Decimal] = mapped_column(Money(), nullable=False)  # BDT per unit of currency
    fx_difference: Mapped[Decimal] = mapped_column(Money(), nullable=False)  # BDT: + realized gain, − loss
    amount: Mapped[Decimal] = mapped_column(Money(), nullable=False)  # money moved, in currency
    vds: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    tds: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    allocated: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    advance: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="posted")
    memo: Mapped[str | None] = mapped_column(String(500), nullable=True)
    journal_entry_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)


class Allocation(Base, IdMixin, Tenanted):
    __tablename__ = "fin_allocations"
    __table_args__ = (
        Index("ix_fin_allocations_document", "document_id"),
        Index("ix_fin_allocations_payment", "payment_id"),
    )

    payment_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    document_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    vds: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    tds: Mapped[Decimal] = mapped_column(Money(), nullable=False)


class Certificate(Base, IdMixin, Tenanted, Timestamped):
    """A withholding certificate: Mushak-6.6 (VAT deducted at source) or a TDS certificate."""

    __tablename__ = "fin_certificates"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)

    kind: Mapped[str] = mapped_column(String(4), nullable=False)  # vds | tds
    number: Mapped[str] = mapped_column(String(30), nullable=False)
    payment_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    document_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    party_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    base: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    rate: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    payment_type: Mapped[str | None] = mapped_column(String(30), nullable=True)
    challan_number: Mapped[str | None] = mapped_column(String(60), nullable=True)  # treasury deposit
    challan_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    challan_bank: Mapped[str | None] = mapped_column(String(100), nullable=True)
    deposit_entry_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)


class PaymentSchedule(Base, IdMixin, Tenanted, Timestamped):
    __tablename__ = "fin_payment_schedules"

    reference: Mapped[str] = mapped_column(String(60), nullable=False)
    document_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    amount: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    due_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="scheduled")


class StatementLine(Base, IdMixin, Tenanted, Timestamped):
    __tablename__ = "fin_statement_lines"
    __table_args__ = (UniqueConstraint("tenant_id", "account_id", "fingerprint"),)

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    description: Mapped[str] = mapped_column(String(300), nullable=False)
    reference: Mapped[str | None] = mapped_column(String(60), nullable=True)
    amount: Mapped[Decimal] = mapped_column(Money(), nullable=False)  # + money in, - money out
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    matched_payment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
