"""Customer invoices, vendor bills, credit and debit notes: drafting (VAT and SD computed from the
rules engine's ``bd.vat.rate``), submission (bills: workflow ``vendor-invoice-approval``), posting
(numbers and the GL entry in one transaction) and cancellation by credit note.

Everything another service must answer (party, products, accounts, VAT rates) is gathered first by
:func:`prepare`, before the request's own transaction writes anything (SQLite has one writer).
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.errors import AppError, FieldError
from vextrus.kit.events.outbox import record_event
from vextrus.kit.models import new_id, utcnow
from vextrus.kit.tenancy import Principal, require_tenant_id
from vextrus.services.finance import external, ledger, metrics
from vextrus.services.finance.events import (
    BILL_POSTED,
    DOCUMENT_CANCELLED,
    INVOICE_POSTED,
    BillPosted,
    DocumentCancelled,
    InvoicePosted,
    PartyRef,
)
from vextrus.services.finance.external import AccountBook
from vextrus.services.finance.models import (
    APPROVED,
    BILL,
    CANCELLED,
    CREDIT_NOTE,
    DEBIT_NOTE,
    DRAFT,
    INVOICE,
    PAID,
    PARTIALLY_PAID,
    POSTED,
    REJECTED,
    SUBMITTED,
    Document,
    DocumentLine,
)
from vextrus.services.finance.rules import ZERO, RuleError, default_customer_type, line_figures, money
from vextrus.services.finance.schemas import DocumentIn, DocumentLineIn, DocumentLineOut, DocumentOut, NoteIn

if TYPE_CHECKING:
    from vextrus.kit.runtime import Runtime

HUNDRED = Decimal(100)
OVERRIDE_PERMISSION = "finance.vat.override"
POSTABLE = (DRAFT, SUBMITTED, APPROVED)


def _error(status: int, code: str, detail: str, detail_bn: str, *errors: FieldError, **extra: Any) -> AppError:
    return AppError(status, code, detail, detail_bn, errors=errors, extra=extra or None)


def _unprocessable(field: str, reason: str, reason_bn: str, code: str = "invalid") -> AppError:
    return _error(
        422,
        "validation_failed",
        f"{field}: {reason}",
        f"{field}: {reason_bn}",
        FieldError(field, code, reason, reason_bn),
    )


def party_snapshot(record: dict[str, Any]) -> dict[str, Any]:
    phones = record.get("phones") or []
    address = record.get("billing_address") or record.get("address") or {}
    parts = [address.get(key) for key in ("line1", "line2", "area", "upazila", "district", "postal_code")]
    return {
        "code": record.get("code"),
        "name": record.get("name"),
        "name_bn": record.get("name_bn"),
        "kind": record.get("kind"),
        "bin": record.get("bin"),
        "tin": record.get("tin"),
        "email": record.get("email"),
        "phone": phones[0]["number"] if phones else None,
        "address": ", ".join(str(part) for part in parts if part) or None,
        "address_bn": address.get("address_bn"),
        "payment_terms_days": record.get("payment_terms_days"),
    }


@dataclass
class PreparedLine:
    product_id: uuid.UUID | None
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
    vat_treatment: str
    vat_overridden: bool
    vat: Decimal
    total: Decimal
    account_id: uuid.UUID
    cost_centre: str
    project: str


@dataclass
class Prepared:
    kind: str
    side: str
    company_id: uuid.UUID
    party_id: uuid.UUID
    party: dict[str, Any]
    date: dt.date
    due_date: dt.date
    reference: str | None
    customer_type: str
    vds: bool
    notes: str | None
    lines: list[PreparedLine]
    original_id: uuid.UUID | None = None
    reason: str | None = None
    currency: str = "BDT"
    fx_rate: Decimal = Decimal(1)


def _side(kind: str) -> str:
    return "sales" if kind == INVOICE else "purchase"


async def prepare(
    runtime: Runtime,
    principal: Principal,
    company_id: uuid.UUID,
    kind: str,
    side: str,
    party_id: uuid.UUID,
    party_field: str,
    date: dt.date,
    lines: Sequence[DocumentLineIn],
    *,
    due_date: dt.date | None = None,
    reference: str | None = None,
    customer_type: str | None = None,
    export: bool = False,
    notes: str | None = None,
    pinned_rates: bool = False,
) -> Prepared:
    """Ask master data and the rules engine everything the draft needs; compute every figure."""
    tenant = principal.tenant_id
    record = await external.party(runtime, tenant, side, party_id, party_field)
    snapshot = party_snapshot(record)
    if side == "sales":
        ctype = customer_type or default_customer_type(str(record.get("kind") or ""), record.get("bin"))
    else:
        ctype = customer_type or "registered"  # our own company as the buyer
    found = await external.products(runtime, tenant, [line.product_id for line in lines if line.product_id])
    need = [line.account_id for line in lines if line.account_id]
    for record_of_product in found.values():
        for key in ("sale_account_id", "purchase_account_id"):
            if record_of_product.get(key):
                need.append(uuid.UUID(record_of_product[key]))
    book = await external.account_book(runtime, tenant, need=need)
    contexts: dict[str, dict[str, Any]] = {}
    keys: list[str | None] = []
    product: dict[str, Any] | None
    for index, line in enumerate(lines):
        product = found.get(line.product_id) if line.product_id else None
        if line.product_id and product is None:
            raise _unprocessable(
                f"body.lines.{index}.product_id", "no such product in this tenant", "এমন পণ্য নেই", "unknown"
            )
        if line.vat_rate is not None:
            if not pinned_rates and not principal.has(OVERRIDE_PERMISSION):
                raise _error(
                    403,
                    "forbidden",
                    f"Overriding the VAT rate needs the permission '{OVERRIDE_PERMISSION}'",
                    f"মূসক হার বদলাতে '{OVERRIDE_PERMISSION}' অনুমতি প্রয়োজন",
                    permission=OVERRIDE_PERMISSION,
                )
            keys.append(None)
            continue
        if product is not None and product.get("vat_exempt"):
            keys.append(None)
            continue
        category = line.vat_category or (
            "services.standard" if product and product.get("type") == "service" else "goods.standard"
        )
        context = {"category": category, "customer_type": ctype, "export": export}
        key = json.dumps(context, sort_keys=True)
        contexts[key] = context
        keys.append(key)
    results = await external.evaluate_many(runtime, tenant, "bd.vat.rate", list(contexts.values()), reference)
    rated = dict(zip(contexts, results, strict=True))
    vds = any(bool(result.get("vds")) for result in results)
    prepared: list[PreparedLine] = []
    for index, (line, rule_key) in enumerate(zip(lines, keys, strict=True)):
        where = f"body.lines.{index}"
        product = found.get(line.product_id) if line.product_id else None
        if line.vat_rate is not None:
            rate = line.vat_rate
            code, treatment, overridden = (
                f"VAT-OVERRIDE-{rate.normalize()}",
                "standard" if rate == 15 else ("zero-rated" if rate == 0 else "reduced"),
                True,
            )
        elif rule_key is None:
            rate, code, treatment, overridden = ZERO, "VAT-EXEMPT", "exempt", False
        else:
            result = rated[rule_key]
            rate = external.decimal_of(result.get("rate", 0)) * HUNDRED
            code, treatment, overridden = str(result.get("vat_code")), str(result.get("treatment")), False
        unit_price = line.unit_price
        if unit_price is None:
            price = (product or {}).get("sale_price" if side == "sales" else "purchase_price")
            if price is None:
                raise _unprocessable(
                    f"{where}.unit_price", "required (the product has no price)", "একক মূল্য দিন", "required"
                )
            unit_price = Decimal(str(price))
        description: str | None = line.description or (product or {}).get("name")
        if not description:
            raise _unprocessable(f"{where}.description", "required without a product", "বিবরণ দিন", "required")
        unit = line.unit or (product or {}).get("unit") or "unit"
        sd_rate = line.sd_rate if line.sd_rate is not None else Decimal(str((product or {}).get("sd_rate") or 0))
        try:
            figures = line_figures(
                line.quantity,
                unit_price,
                discount_percent=line.discount_percent,
                discount_amount=line.discount_amount,
                sd_rate=sd_rate,
                vat_rate=rate,
            )
        except RuleError as error:
            raise _unprocessable(f"{where}.{error.field}", error.reason, error.reason_bn) from None
        if line.account_id is not None:
            account = book.posting(line.account_id, f"{where}.account_id")
        else:
            product_account = (product or {}).get("sale_account_id" if side == "sales" else "purchase_account_id")
            if product_account:
                account = book.posting(uuid.UUID(product_account), f"{where}.product_id")
            else:
                account = book.role("revenue" if side == "sales" else "expense")
        prepared.append(
            PreparedLine(
                product_id=line.product_id,
                description=description,
                unit=unit,
                quantity=line.quantity,
                unit_price=unit_price,
                discount=figures.discount,
                value=figures.value,
                sd_rate=sd_rate,
                sd=figures.sd,
                vat_code=code,
                vat_rate=rate,
                vat_treatment=treatment,
                vat_overridden=overridden,
                vat=figures.vat,
                total=figures.total,
                account_id=account.id,
                cost_centre=line.cost_centre or "",
                project=line.project or "",
            )
        )
    terms = int(snapshot.get("payment_terms_days") or 30)
    due = due_date or date + dt.timedelta(days=terms)
    if due < date:
        raise _unprocessable("body.due_date", "is before the document date", "তারিখের আগে")
    # book the system accounts now: a missing one is a 422 at drafting, not at posting
    for role in _roles_for(kind, side):
        book.role(role)
    return Prepared(
        kind=kind,
        side=side,
        company_id=company_id,
        party_id=party_id,
        party=snapshot,
        date=date,
        due_date=due,
        reference=reference,
        customer_type=ctype,
        vds=vds,
        notes=notes,
        lines=prepared,
    )


def _roles_for(kind: str, side: str) -> tuple[str, ...]:
    return ("receivable", "vat_output") if side == "sales" else ("payable", "vat_input")


async def prepare_document(
    runtime: Runtime, principal: Principal, company_id: uuid.UUID, kind: str, body: DocumentIn
) -> Prepared:
    side = _side(kind)
    party_field = "body.customer_id" if side == "sales" else "body.vendor_id"
    party_id = body.customer_id if side == "sales" else body.vendor_id
    other = body.vendor_id if side == "sales" else body.customer_id
    if other is not None:
        wrong = "body.vendor_id" if side == "sales" else "body.customer_id"
        raise _unprocessable(wrong, "not allowed on this document", "এই দলিলে চলে না", "not_allowed")
    if party_id is None:
        raise _unprocessable(party_field, "required", "প্রয়োজন", "required")
    prepared = await prepare(
        runtime,
        principal,
        company_id,
        kind,
        side,
        party_id,
        party_field,
        body.date,
        body.lines,
        due_date=body.due_date,
        reference=body.reference,
        customer_type=body.customer_type,
        export=body.export,
        notes=body.notes,
    )
    prepared.currency = body.currency
    prepared.fx_rate = body.fx_rate or Decimal(1)
    return prepared


async def prepare_note(
    runtime: Runtime,
    principal: Principal,
    company_id: uuid.UUID,
    kind: str,
    body: NoteIn,
    original: Document,
    original_lines: Sequence[DocumentLine],
) -> Prepared:
    if original.kind not in (INVOICE, BILL) or original.status not in (POSTED, PARTIALLY_PAID, PAID):
        raise _unprocessable(
            "body.original_id", "must be a posted invoice or bill", "পোস্ট করা চালান হতে হবে", "not_posted"
        )
    if body.lines is None:
        if kind == DEBIT_NOTE:
            raise _unprocessable("body.lines", "a debit note needs its lines", "লাইন দিন", "required")
        lines = _full_lines(original_lines)
    else:
        lines = list(body.lines)
    prepared = await prepare(
        runtime,
        principal,
        company_id,
        kind,
        original.side,
        original.party_id,
        "body.original_id",
        body.date,
        lines,
        due_date=body.date,
        customer_type=original.customer_type,
        pinned_rates=body.lines is None,
    )
    prepared.original_id = original.id
    prepared.reason = body.reason
    prepared.vds = original.vds
    prepared.currency = original.currency
    prepared.fx_rate = original.fx_rate
    return prepared


def _full_lines(lines: Sequence[DocumentLine]) -> list[DocumentLineIn]:
    """The original's lines as they were figured (rates pinned: the note mirrors the invoice)."""
    return [
        DocumentLineIn.model_construct(
            product_id=None,
            description=line.description,
            unit=line.unit,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=ZERO,
            discount_amount=line.discount,
            sd_rate=line.sd_rate,
            vat_category=None,
            vat_rate=line.vat_rate,
            account_id=line.account_id,
            cost_centre=line.cost_centre or None,
            project=line.project or None,
        )
        for line in lines
    ]


# --- storing and reading --------------------------------------------------------------------------


async def create_document(
    session: AsyncSession, prepared: Prepared, actor: uuid.UUID, idempotency_key: str | None = None
) -> Document:
    tenant = require_tenant_id()
    document = Document(
        id=new_id(),
        tenant_id=tenant,
        idempotency_key=idempotency_key,
        kind=prepared.kind,
        side=prepared.side,
        company_id=prepared.company_id,
        party_id=prepared.party_id,
        party=json.dumps(prepared.party, ensure_ascii=False),
        status=DRAFT,
        reference=prepared.reference,
        date=prepared.date,
        due_date=prepared.due_date,
        currency=prepared.currency,
        fx_rate=prepared.fx_rate,
        customer_type=prepared.customer_type,
        vds=prepared.vds,
        original_id=prepared.original_id,
        reason=prepared.reason,
        notes=prepared.notes,
        subtotal=sum((line.value + line.discount for line in prepared.lines), ZERO),
        discount=sum((line.discount for line in prepared.lines), ZERO),
        sd=sum((line.sd for line in prepared.lines), ZERO),
        vat=sum((line.vat for line in prepared.lines), ZERO),
        total=sum((line.total for line in prepared.lines), ZERO),
        settled=ZERO,
        created_by=actor,
    )
    session.add(document)
    await session.flush()
    rows = [
        {
            "id": new_id(),
            "tenant_id": tenant,
            "document_id": document.id,
            "line_no": index,
            **{key: getattr(line, key) for key in PreparedLine.__dataclass_fields__},
        }
        for index, line in enumerate(prepared.lines, start=1)
    ]
    await session.execute(insert(DocumentLine), rows)
    return document


async def get_document(
    session: AsyncSession, document_id: uuid.UUID, kinds: Sequence[str], *, lock: bool = False
) -> Document:
    tenant = require_tenant_id()
    statement = select(Document).where(
        Document.tenant_id == tenant, Document.id == document_id, Document.kind.in_(kinds)
    )
    if lock:
        statement = statement.with_for_update()
    document = await session.scalar(statement)
    if document is None:
        label = "/".join(kind.replace("_", " ") for kind in kinds)
        raise _error(
            404, "not_found", f"{label.capitalize()} {document_id} was not found", f"দলিল {document_id} পাওয়া যায়নি"
        )
    return document


async def document_lines(
    session: AsyncSession, document_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[DocumentLine]]:
    grouped: dict[uuid.UUID, list[DocumentLine]] = {ident: [] for ident in document_ids}
    if not document_ids:
        return grouped
    tenant = require_tenant_id()
    for line in await session.scalars(
        select(DocumentLine)
        .where(DocumentLine.tenant_id == tenant, DocumentLine.document_id.in_(list(document_ids)))
        .order_by(DocumentLine.document_id, DocumentLine.line_no)
    ):
        grouped[line.document_id].append(line)
    return grouped


def document_out(document: Document, lines: Sequence[DocumentLine]) -> DocumentOut:
    return DocumentOut(
        id=document.id,
        kind=document.kind,
        side=document.side,
        company_id=document.company_id,
        party_id=document.party_id,
        party=json.loads(document.party),
        status=document.status,
        number=document.number,
        reference=document.reference,
        submission_key=document.submission_key,
        date=document.date,
        due_date=document.due_date,
        currency=document.currency,
        fx_rate=document.fx_rate,
        customer_type=document.customer_type,
        vds=document.vds,
        original_id=document.original_id,
        reason=document.reason,
        notes=document.notes,
        subtotal=document.subtotal,
        discount=document.discount,
        sd=document.sd,
        vat=document.vat,
        total=document.total,
        settled=document.settled,
        outstanding=document.total - document.settled,
        workflow_instance_id=document.workflow_instance_id,
        journal_entry_id=document.journal_entry_id,
        posted_at=document.posted_at,
        version=document.version,
        lines=[
            DocumentLineOut(
                line_no=line.line_no,
                product_id=line.product_id,
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
                vat_treatment=line.vat_treatment,
                vat_overridden=line.vat_overridden,
                vat=line.vat,
                total=line.total,
                account_id=line.account_id,
                cost_centre=line.cost_centre or None,
                project=line.project or None,
            )
            for line in lines
        ],
    )


async def read_document(session: AsyncSession, document_id: uuid.UUID, kinds: Sequence[str]) -> DocumentOut:
    document = await get_document(session, document_id, kinds)
    return document_out(document, (await document_lines(session, [document.id]))[document.id])


# --- posting --------------------------------------------------------------------------------------


def gl_lines(document: Document, lines: Sequence[DocumentLine], book: AccountBook) -> list[ledger.LineDraft]:
    """The GL entry of a document (before the sign of a credit note is applied)."""
    debit_side: dict[tuple[uuid.UUID, str, str], Decimal] = defaultdict(lambda: ZERO)
    credit_side: dict[tuple[uuid.UUID, str, str], Decimal] = defaultdict(lambda: ZERO)
    if document.side == "sales":
        party_account = book.role("receivable").id
        tax_account = book.role("vat_output").id
        for line in lines:
            credit_side[(line.account_id, line.cost_centre, line.project)] += line.value
            credit_side[(tax_account, "", "")] += line.sd + line.vat
        debit_side[(party_account, "", "")] += document.total
    else:
        party_account = book.role("payable").id
        tax_account = book.role("vat_input").id
        for line in lines:
            creditable = line.vat_treatment == "standard"  # reduced-rate VAT gives no input credit: it is cost
            debit_side[(line.account_id, line.cost_centre, line.project)] += (
                line.value + line.sd + (ZERO if creditable else line.vat)
            )
            if creditable:
                debit_side[(tax_account, "", "")] += line.vat
        credit_side[(party_account, "", "")] += document.total
    if document.kind == CREDIT_NOTE:
        debit_side, credit_side = credit_side, debit_side
    if document.fx_rate != 1:
        _to_bdt(debit_side, credit_side, document.fx_rate, (party_account, "", ""))
    drafts = [
        ledger.LineDraft(account_id=key[0], debit=amount, cost_centre=key[1], project=key[2])
        for key, amount in debit_side.items()
        if amount > 0
    ]
    drafts += [
        ledger.LineDraft(account_id=key[0], credit=amount, cost_centre=key[1], project=key[2])
        for key, amount in credit_side.items()
        if amount > 0
    ]
    return drafts


def _to_bdt(
    debit_side: dict[tuple[uuid.UUID, str, str], Decimal],
    credit_side: dict[tuple[uuid.UUID, str, str], Decimal],
    rate: Decimal,
    party: tuple[uuid.UUID, str, str],
) -> None:
    """Convert a foreign-currency entry to BDT at the document's rate: every line rounded to the
    paisa, the party's line (receivable or payable) takes the rounding so the entry balances."""
    for side in (debit_side, credit_side):
        for key in side:
            side[key] = money(side[key] * rate)
    difference = sum(debit_side.values(), ZERO) - sum(credit_side.values(), ZERO)
    if party in debit_side:
        debit_side[party] -= difference
    else:
        credit_side[party] += difference


async def post_document(
    session: AsyncSession, document: Document, book: AccountBook, actor: uuid.UUID | None
) -> list[DocumentLine]:
    """Number the document and post its GL entry, atomically (the caller's transaction); returns its lines."""
    started = time.perf_counter()
    if document.status not in POSTABLE:
        raise _error(
            409,
            "invalid_state",
            f"The {document.kind.replace('_', ' ')} is {document.status}: "
            "only a draft (or approved bill) can be posted",
            f"দলিলটি {document.status}: পোস্ট করা যায় না",
            document_status=document.status,
        )
    if document.kind == BILL and document.status != APPROVED:
        raise _error(
            409,
            "approval_pending",
            "A vendor bill is posted once the vendor-invoice-approval process approves it (submit it first)",
            "অনুমোদনের পর বিল পোস্ট হয়",
            document_status=document.status,
        )
    lines = (await document_lines(session, [document.id]))[document.id]
    original: Document | None = None
    if document.original_id is not None:
        original = await get_document(session, document.original_id, (INVOICE, BILL), lock=True)
        if document.kind == CREDIT_NOTE and document.total > original.total - original.settled:
            raise _error(
                409,
                "credit_exceeds_outstanding",
                f"The credit note ({document.total}) is larger than what is still open on {original.number} "
                f"({original.total - original.settled}); refund the difference instead",
                "ক্রেডিট নোট বকেয়ার চেয়ে বেশি",
            )
    held = await ledger.open_period_for(session, document.date, "body.date")
    year = held[0]
    if document.number is None:
        document.number = await ledger.next_number(session, document.kind, year.label)
    journal = "sales" if document.side == "sales" else "purchase"
    label = {INVOICE: "Invoice", BILL: "Bill", CREDIT_NOTE: "Credit note", DEBIT_NOTE: "Debit note"}[document.kind]
    party_name = json.loads(document.party).get("name")
    entry = await ledger.post_entry(
        session,
        ledger.EntryDraft(
            company_id=document.company_id,
            journal=journal,
            date=document.date,
            lines=gl_lines(document, lines, book),
            memo=f"{label} {document.number} — {party_name}",
            reference=document.number,
            source_type=document.kind,
            source_id=document.id,
        ),
        book,
        actor,
        held=held,
    )
    document.status = POSTED
    document.journal_entry_id = entry.id
    document.posted_at = utcnow()
    if original is not None and document.kind == CREDIT_NOTE:
        original.settled = original.settled + document.total
        original.status = settle_status(original)
    await session.flush()
    _announce(session, document, entry.id)
    metrics.INVOICES_POSTED.labels(document.kind).inc()
    metrics.JOURNAL_ENTRIES.labels(journal).inc()
    if document.side == "sales":
        sign = -1 if document.kind == CREDIT_NOTE else 1
        vat = float(document.vat * sign)
        if vat > 0:
            metrics.VAT_OUTPUT_BDT.inc(vat)
    metrics.POST_DURATION.labels(document.kind).observe(time.perf_counter() - started)
    return list(lines)


def settle_status(document: Document) -> str:
    if document.status == CANCELLED:
        return CANCELLED
    if document.settled >= document.total:
        return PAID
    return PARTIALLY_PAID if document.settled > 0 else POSTED


def _announce(session: AsyncSession, document: Document, entry_id: uuid.UUID) -> None:
    party = json.loads(document.party)
    assert document.number is not None
    if document.side == "sales":
        record_event(
            session,
            INVOICE_POSTED,
            InvoicePosted(
                invoice_id=document.id,
                kind=document.kind,
                number=document.number,
                company_id=document.company_id,
                customer_id=document.party_id,
                customer=PartyRef(
                    id=document.party_id,
                    code=party.get("code"),
                    name=party.get("name") or "",
                    email=party.get("email"),
                    phone=party.get("phone"),
                    bin=party.get("bin"),
                ),
                date=document.date,
                due_date=document.due_date,
                currency=document.currency,
                subtotal=document.subtotal,
                discount=document.discount,
                sd=document.sd,
                vat=document.vat,
                total=document.total,
                journal_entry_id=entry_id,
                mushak_63_path=f"/api/v1/finance/invoices/{document.id}/mushak-6.3.pdf",
            ),
            subject=document.id,
        )
    else:
        record_event(
            session,
            BILL_POSTED,
            BillPosted(
                bill_id=document.id,
                kind=document.kind,
                number=document.number,
                company_id=document.company_id,
                vendor_id=document.party_id,
                vendor_reference=document.reference,
                total=document.total,
                vat=document.vat,
                due_date=document.due_date,
                journal_entry_id=entry_id,
            ),
            subject=document.id,
        )


def announce_cancelled(session: AsyncSession, document: Document, note: Document) -> None:
    record_event(
        session,
        DOCUMENT_CANCELLED,
        DocumentCancelled(document_id=document.id, number=document.number, kind=document.kind, credit_note_id=note.id),
        subject=document.id,
    )


def check_submittable(document: Document) -> None:
    if document.status not in (DRAFT, REJECTED):
        raise _error(
            409,
            "invalid_state",
            f"Only a draft (or rejected) bill can be submitted; this one is {document.status}",
            f"বিলটি {document.status}: জমা দেওয়া যায় না",
            document_status=document.status,
        )
