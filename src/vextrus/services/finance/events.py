"""Events finance publishes, and the workflow events it follows (bill approvals)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.events.envelope import Envelope
from vextrus.kit.service import Consumer, Topic
from vextrus.kit.tenancy import acting_as
from vextrus.services.finance.models import REJECTED, SUBMITTED, Document


class PartyRef(BaseModel):
    id: uuid.UUID
    code: str | None
    name: str
    email: str | None
    phone: str | None
    bin: str | None


class InvoicePosted(BaseModel):
    """Enough for a notification service to e-mail the customer the tax invoice."""

    invoice_id: uuid.UUID
    kind: str
    number: str
    company_id: uuid.UUID
    customer_id: uuid.UUID
    customer: PartyRef
    date: dt.date
    due_date: dt.date
    currency: str
    subtotal: Decimal
    discount: Decimal
    sd: Decimal
    vat: Decimal
    total: Decimal
    journal_entry_id: uuid.UUID
    mushak_63_path: str


class BillPosted(BaseModel):
    bill_id: uuid.UUID
    kind: str
    number: str
    company_id: uuid.UUID
    vendor_id: uuid.UUID
    vendor_reference: str | None
    total: Decimal
    vat: Decimal
    due_date: dt.date
    journal_entry_id: uuid.UUID


class DocumentCancelled(BaseModel):
    document_id: uuid.UUID
    number: str | None
    kind: str
    credit_note_id: uuid.UUID | None


class PaymentReceived(BaseModel):
    payment_id: uuid.UUID
    number: str
    direction: str
    company_id: uuid.UUID
    party_id: uuid.UUID
    date: dt.date
    method: str
    amount: Decimal
    vds: Decimal
    tds: Decimal
    allocated: Decimal
    advance: Decimal
    documents: list[uuid.UUID]


class JournalPosted(BaseModel):
    entry_id: uuid.UUID
    number: str
    journal: str
    company_id: uuid.UUID
    date: dt.date
    total: Decimal
    reverses_id: uuid.UUID | None


class PeriodClosed(BaseModel):
    fiscal_year: str
    period: int
    status: str
    start: dt.date
    end: dt.date


INVOICE_POSTED = Topic(
    "finance.invoice.posted",
    InvoicePosted,
    "A customer invoice (or sales credit/debit note) was posted; subject: its id",
)
BILL_POSTED = Topic("finance.bill.posted", BillPosted, "A vendor bill (or purchase note) was posted; subject: its id")
DOCUMENT_CANCELLED = Topic(
    "finance.document.cancelled", DocumentCancelled, "An invoice or bill was cancelled by a credit note"
)
PAYMENT_RECEIVED = Topic(
    "finance.payment.received", PaymentReceived, "A receipt or payment was recorded and posted; subject: its id"
)
JOURNAL_POSTED = Topic("finance.journal.posted", JournalPosted, "A journal entry was posted (or a reversal)")
PERIOD_CLOSED = Topic("finance.period.closed", PeriodClosed, "A fiscal period was closed or locked")

PUBLISHES: tuple[Topic, ...] = (
    INVOICE_POSTED,
    BILL_POSTED,
    DOCUMENT_CANCELLED,
    PAYMENT_RECEIVED,
    JOURNAL_POSTED,
    PERIOD_CLOSED,
)


async def on_process_completed(envelope: Envelope, session: AsyncSession) -> None:
    """A ``vendor-invoice-approval`` that ended rejected or cancelled sends its bill back (rejected)."""
    data = envelope.data or {}
    if data.get("definition") != "vendor-invoice-approval" or data.get("outcome") not in ("rejected", "cancelled"):
        return
    if envelope.tenantid is None:
        return
    instance_id = uuid.UUID(str(data["instance_id"]))
    with acting_as(tenant_id=envelope.tenantid):
        bill = await session.scalar(
            select(Document).where(
                Document.tenant_id == envelope.tenantid, Document.workflow_instance_id == instance_id
            )
        )
        if bill is not None and bill.status == SUBMITTED:
            bill.status = REJECTED
            await session.flush()


HANDLERS: tuple[Consumer, ...] = (
    Consumer("workflow.process.completed", on_process_completed, "finance.bill-approval-outcome"),
)
