"""The built-in templates: their data models (validated with Pydantic: clear 422s), the figures each
document computes (line amounts, SD, VAT, totals, running balances, amounts in words) and a
realistic example of each.

- ``mushak-6.3``: tax invoice (কর চালানপত্র), fields per NBR Mushak-6.3.
- ``mushak-6.6``: certificate of VAT deducted at source (উৎসে কর কর্তন সনদপত্র).
- ``mushak-6.7`` / ``mushak-6.8``: credit note (ক্রেডিট নোট) / debit note (ডেবিট নোট).
- ``purchase-order``, ``payment-voucher``, ``customer-statement`` (also as XLSX).

Amounts are computed per line and rounded half up to the paisa: ``value = qty × price``,
``sd = value × sd%``, ``vat = (value + sd) × vat%`` (VAT is charged on the value including SD).
Figures a caller states (``totals``) must equal the computed ones, or the request is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator

from vextrus.services.documents.data import (
    Code,
    Day,
    Input,
    LongText,
    Moment,
    Money,
    Officer,
    Party,
    Percent,
    Quantity,
    RegisteredParty,
    SignedMoney,
    Text,
    Unit,
    money_of,
    percent_of,
)

ZERO = Decimal("0.00")
TREASURY_VAT_CODE = "1-1133-0000-0311"


# --- taxable lines (Mushak-6.3, 6.7, 6.8) ---------------------------------------------------------


class TaxLine(Input):
    description: Text
    description_bn: Text | None = None
    brand: Annotated[str, Field(max_length=100)] | None = None
    unit: Unit
    quantity: Quantity
    unit_price: Money = Field(description="Price per unit excluding SD and VAT")
    sd_rate: Percent = Decimal("0")
    vat_rate: Percent = Decimal("15")

    def figures(self) -> dict[str, Decimal]:
        value = money_of(self.quantity * self.unit_price)
        sd = percent_of(value, self.sd_rate)
        vat = percent_of(value + sd, self.vat_rate)
        return {"value": value, "sd": sd, "vat": vat, "total": value + sd + vat}


class TaxTotals(Input):
    """Totals the caller states (e.g. from the ledger): each must equal the computed figure."""

    value: Money | None = None
    sd: Money | None = None
    vat: Money | None = None
    total: Money | None = None


def _taxed(lines: list[TaxLine]) -> tuple[list[dict[str, Any]], dict[str, Decimal]]:
    rows = []
    totals = {"value": ZERO, "sd": ZERO, "vat": ZERO, "total": ZERO}
    for serial, line in enumerate(lines, start=1):
        figures = line.figures()
        rows.append({"serial": serial, "line": line, **figures})
        for key in totals:
            totals[key] += figures[key]
    return rows, totals


def _check_stated(stated: TaxTotals | None, computed: Mapping[str, Decimal]) -> None:
    if stated is None:
        return
    for key in ("value", "sd", "vat", "total"):
        given = getattr(stated, key)
        if given is not None and given != computed[key]:
            raise ValueError(f"totals.{key} is {given} but the lines add up to {computed[key]}")


class Mushak63(Input):
    """Tax invoice (Mushak-6.3): issued with every taxable supply."""

    seller: RegisteredParty
    issued_from: LongText | None = Field(default=None, description="Address the challan is issued from")
    buyer: Party
    delivery_address: LongText | None = None
    vehicle_type: Annotated[str, Field(max_length=60)] | None = None
    vehicle_number: Annotated[str, Field(max_length=40)] | None = None
    challan_number: Code
    issued_at: Moment
    lines: list[TaxLine] = Field(min_length=1, max_length=5000)
    totals: TaxTotals | None = None
    officer: Officer
    notes: LongText | None = None

    @model_validator(mode="after")
    def _stated_totals(self) -> Mushak63:
        _check_stated(self.totals, _taxed(self.lines)[1])
        return self


class AdjustmentNote(Input):
    """Credit note (Mushak-6.7) or debit note (Mushak-6.8) against an earlier tax invoice."""

    supplier: RegisteredParty
    buyer: Party
    note_number: Code
    issued_at: Moment
    original_challan_number: Code
    original_challan_date: Day
    reason: LongText
    vehicle_type: Annotated[str, Field(max_length=60)] | None = None
    vehicle_number: Annotated[str, Field(max_length=40)] | None = None
    lines: list[TaxLine] = Field(min_length=1, max_length=5000)
    totals: TaxTotals | None = None
    officer: Officer

    @model_validator(mode="after")
    def _stated_totals(self) -> AdjustmentNote:
        _check_stated(self.totals, _taxed(self.lines)[1])
        if self.original_challan_date > self.issued_at.date():
            raise ValueError("original_challan_date is after the note itself")
        return self


# --- VDS certificate (Mushak-6.6) -----------------------------------------------------------------


class VdsLine(Input):
    invoice_number: Code = Field(description="The supplier's Mushak-6.3 challan number")
    invoice_date: Day
    supply_value: Money = Field(description="Value of the supply including VAT")
    vat_amount: Money
    vat_deducted: Money

    @model_validator(mode="after")
    def _deducted_within_vat(self) -> VdsLine:
        if self.vat_deducted > self.vat_amount:
            raise ValueError("vat_deducted exceeds vat_amount")
        if self.vat_amount > self.supply_value:
            raise ValueError("vat_amount exceeds supply_value")
        return self


class TreasuryChallan(Input):
    number: Code
    date: Day
    bank: Text | None = None
    account_code: Annotated[str, Field(pattern=r"^\d-\d{4}-\d{4}-\d{4}$")] = TREASURY_VAT_CODE
    amount: Money | None = None


class Mushak66(Input):
    """Certificate of VAT deducted at source, given by the withholding entity to the supplier."""

    certificate_number: Code
    issued_on: Day
    withholding_entity: RegisteredParty
    supplier: RegisteredParty
    lines: list[VdsLine] = Field(min_length=1, max_length=2000)
    treasury_challan: TreasuryChallan
    officer: Officer

    @model_validator(mode="after")
    def _deposited(self) -> Mushak66:
        deducted = sum((line.vat_deducted for line in self.lines), ZERO)
        amount = self.treasury_challan.amount
        if amount is not None and amount != deducted:
            raise ValueError(f"treasury_challan.amount is {amount} but the VAT deducted adds up to {deducted}")
        if self.treasury_challan.date < max(line.invoice_date for line in self.lines):
            raise ValueError("treasury_challan.date is before an invoice it covers")
        return self


# --- purchase order -------------------------------------------------------------------------------


class PurchaseLine(Input):
    item: Text
    item_bn: Text | None = None
    specification: Annotated[str, Field(max_length=300)] | None = None
    unit: Unit
    quantity: Quantity
    rate: Money
    vat_rate: Percent = Decimal("0")


class PurchaseOrder(Input):
    po_number: Code
    order_date: Day
    buyer: Party
    vendor: Party
    project: Text | None = None
    delivery_address: LongText
    delivery_date: Day | None = None
    lines: list[PurchaseLine] = Field(min_length=1, max_length=5000)
    payment_terms: LongText | None = None
    terms: list[LongText] = Field(default_factory=list, max_length=30)
    prepared_by: Officer | None = None
    approved_by: Officer

    @model_validator(mode="after")
    def _dates(self) -> PurchaseOrder:
        if self.delivery_date is not None and self.delivery_date < self.order_date:
            raise ValueError("delivery_date is before order_date")
        return self


# --- payment voucher ------------------------------------------------------------------------------


class VoucherLine(Input):
    account_code: Code
    account_name: Text
    description: Annotated[str, Field(max_length=300)] | None = None
    amount: Money


class Deduction(Input):
    kind: Literal["TDS", "VDS", "security", "advance", "other"]
    description: Text
    amount: Money


class PaymentVoucher(Input):
    voucher_number: Code
    date: Day
    payer: Party
    payee: Party
    method: Literal["cash", "cheque", "bank_transfer", "bkash", "nagad", "rocket", "upay"]
    bank: Text | None = None
    cheque_number: Annotated[str, Field(max_length=30)] | None = None
    reference: Annotated[str, Field(max_length=100)] | None = None
    lines: list[VoucherLine] = Field(min_length=1, max_length=500)
    deductions: list[Deduction] = Field(default_factory=list, max_length=20)
    narration: LongText | None = None
    prepared_by: Officer
    checked_by: Officer | None = None
    approved_by: Officer

    @model_validator(mode="after")
    def _consistent(self) -> PaymentVoucher:
        gross = sum((line.amount for line in self.lines), ZERO)
        deducted = sum((item.amount for item in self.deductions), ZERO)
        if deducted > gross:
            raise ValueError("deductions exceed the gross amount")
        if self.method == "cheque" and not self.cheque_number:
            raise ValueError("cheque_number is required for a cheque payment")
        return self


# --- customer statement ---------------------------------------------------------------------------


class StatementEntry(Input):
    date: Day
    reference: Code
    description: Annotated[str, Field(max_length=300)] | None = None
    debit: Money = ZERO
    credit: Money = ZERO


class CustomerStatement(Input):
    company: Party
    customer: Party
    customer_code: Code | None = None
    period_from: Day
    period_to: Day
    opening_balance: SignedMoney = ZERO
    entries: list[StatementEntry] = Field(default_factory=list, max_length=100_000)

    @model_validator(mode="after")
    def _within_period(self) -> CustomerStatement:
        if self.period_to < self.period_from:
            raise ValueError("period_to is before period_from")
        for index, entry in enumerate(self.entries):
            if not self.period_from <= entry.date <= self.period_to:
                raise ValueError(f"entries[{index}].date {entry.date} is outside the period")
        return self


# --- the catalogue --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuiltinTemplate:
    """A template shipped with the service: its data model, layout, computed figures and example."""

    key: str
    title: str
    title_bn: str
    version: int
    model: type[BaseModel]
    html: str
    prepare: Callable[[Any], dict[str, Any]]
    reference: Callable[[Any], str]
    rows: Callable[[Any], int]
    example: Callable[[], dict[str, Any]]
    letterhead: Callable[[Any], Party]
    formats: tuple[str, ...] = ("pdf",)
    default_language: str = "bilingual"


def _prepare_tax(document: Mushak63 | AdjustmentNote) -> dict[str, Any]:
    rows, totals = _taxed(document.lines)
    return {"data": document, "rows": rows, "totals": totals}


def _prepare_vds(document: Mushak66) -> dict[str, Any]:
    totals = {
        "supply_value": sum((line.supply_value for line in document.lines), ZERO),
        "vat_amount": sum((line.vat_amount for line in document.lines), ZERO),
        "vat_deducted": sum((line.vat_deducted for line in document.lines), ZERO),
    }
    rows = [{"serial": serial, "line": line} for serial, line in enumerate(document.lines, start=1)]
    return {"data": document, "rows": rows, "totals": totals}


def _prepare_po(document: PurchaseOrder) -> dict[str, Any]:
    rows = []
    subtotal = vat = ZERO
    for serial, line in enumerate(document.lines, start=1):
        amount = money_of(line.quantity * line.rate)
        line_vat = percent_of(amount, line.vat_rate)
        rows.append({"serial": serial, "line": line, "amount": amount, "vat": line_vat})
        subtotal += amount
        vat += line_vat
    return {"data": document, "rows": rows, "totals": {"subtotal": subtotal, "vat": vat, "total": subtotal + vat}}


def _prepare_voucher(document: PaymentVoucher) -> dict[str, Any]:
    gross = sum((line.amount for line in document.lines), ZERO)
    deducted = sum((item.amount for item in document.deductions), ZERO)
    rows = [{"serial": serial, "line": line} for serial, line in enumerate(document.lines, start=1)]
    return {"data": document, "rows": rows, "totals": {"gross": gross, "deducted": deducted, "net": gross - deducted}}


def _prepare_statement(document: CustomerStatement) -> dict[str, Any]:
    balance = document.opening_balance
    rows = []
    debit = credit = ZERO
    for entry in sorted(document.entries, key=lambda item: item.date):
        balance += entry.debit - entry.credit
        debit += entry.debit
        credit += entry.credit
        rows.append({"entry": entry, "balance": balance})
    return {
        "data": document,
        "rows": rows,
        "totals": {"debit": debit, "credit": credit, "opening": document.opening_balance, "closing": balance},
    }


SELLER = {
    "name": "Meghna Builders Ltd.",
    "name_bn": "মেঘনা বিল্ডার্স লিমিটেড",
    "bin": "004512789-0101",
    "tin": "482917365021",
    "address": "House 42, Road 11, Banani, Dhaka 1213",
    "address_bn": "বাড়ি ৪২, সড়ক ১১, বনানী, ঢাকা ১২১৩",
}
BUYER = {
    "name": "Gulshan Heights Owners' Association",
    "name_bn": "গুলশান হাইটস মালিক সমিতি",
    "bin": "004567891-0001",
    "address": "Plot 7, Gulshan Avenue, Dhaka 1212",
}
OFFICER = {"name": "Mahbubul Alam", "designation": "Chief Financial Officer", "name_bn": "মাহবুবুল আলম"}


def example_mushak63() -> dict[str, Any]:
    return {
        "seller": SELLER,
        "issued_from": "Central store, Tejgaon Industrial Area, Dhaka 1208",
        "buyer": BUYER,
        "delivery_address": "Gulshan Heights site, Plot 7, Gulshan Avenue, Dhaka 1212",
        "vehicle_type": "Covered van",
        "vehicle_number": "DHAKA METRO-TA 11-2345",
        "challan_number": "MBL/2025-26/000123",
        "issued_at": "2025-11-20T10:30:00+06:00",
        "lines": [
            {
                "description": "Ready-mix concrete C30",
                "description_bn": "রেডি-মিক্স কংক্রিট সি৩০",
                "brand": "Karnaphuli",
                "unit": "m³",
                "quantity": "120",
                "unit_price": "8500.00",
                "vat_rate": "15",
            },
            {
                "description": "MS rod 60 grade, 16 mm",
                "description_bn": "এমএস রড ৬০ গ্রেড, ১৬ মিমি",
                "brand": "BSRM",
                "unit": "ton",
                "quantity": "18.5",
                "unit_price": "98500.00",
                "sd_rate": "5",
                "vat_rate": "15",
            },
            {
                "description": "Site supervision service (November)",
                "description_bn": "সাইট তত্ত্বাবধান সেবা (নভেম্বর)",
                "unit": "month",
                "quantity": "1",
                "unit_price": "150000.00",
                "vat_rate": "7.5",
            },
        ],
        "officer": OFFICER,
    }


def example_adjustment(kind: Literal["credit", "debit"]) -> dict[str, Any]:
    return {
        "supplier": SELLER,
        "buyer": BUYER,
        "note_number": f"MBL/{'CN' if kind == 'credit' else 'DN'}/2025-26/000017",
        "issued_at": "2025-11-28T15:00:00+06:00",
        "original_challan_number": "MBL/2025-26/000123",
        "original_challan_date": "2025-11-20",
        "reason": (
            "Return of 10 m³ rejected concrete (slump test failed)"
            if kind == "credit"
            else "Price revision of MS rod per contract clause 7.2"
        ),
        "lines": [
            {
                "description": "Ready-mix concrete C30"
                if kind == "credit"
                else "MS rod 60 grade, 16 mm (price revision)",
                "unit": "m³" if kind == "credit" else "ton",
                "quantity": "10" if kind == "credit" else "18.5",
                "unit_price": "8500.00" if kind == "credit" else "1500.00",
                "vat_rate": "15",
            }
        ],
        "officer": OFFICER,
    }


def example_mushak66() -> dict[str, Any]:
    return {
        "certificate_number": "MBL/VDS/2025-26/000045",
        "issued_on": "2025-12-10",
        "withholding_entity": SELLER,
        "supplier": {
            "name": "Karnaphuli Steel Mills Ltd.",
            "name_bn": "কর্ণফুলী স্টিল মিলস লিমিটেড",
            "bin": "001987654-0101",
            "address": "Nasirabad I/A, Chattogram 4209",
        },
        "lines": [
            {
                "invoice_number": "KSM/2025-26/004512",
                "invoice_date": "2025-11-18",
                "supply_value": "2127750.00",
                "vat_amount": "277532.61",
                "vat_deducted": "277532.61",
            },
            {
                "invoice_number": "KSM/2025-26/004598",
                "invoice_date": "2025-11-25",
                "supply_value": "1150000.00",
                "vat_amount": "150000.00",
                "vat_deducted": "150000.00",
            },
        ],
        "treasury_challan": {
            "number": "TC-2025-12-0004471",
            "date": "2025-12-08",
            "bank": "Sonali Bank PLC, Motijheel Corporate Branch",
            "amount": "427532.61",
        },
        "officer": OFFICER,
    }


def example_purchase_order() -> dict[str, Any]:
    return {
        "po_number": "PO-2025-26-000311",
        "order_date": "2025-11-02",
        "buyer": SELLER,
        "vendor": {
            "name": "Shah Cement Industries Ltd.",
            "bin": "002233445-0101",
            "address": "Muktarpur, Munshiganj",
            "phone": "+880 1712-345678",
        },
        "project": "Gulshan Heights (Phase 1)",
        "delivery_address": "Gulshan Heights site, Plot 7, Gulshan Avenue, Dhaka 1212",
        "delivery_date": "2025-11-10",
        "lines": [
            {
                "item": "Portland composite cement",
                "item_bn": "পোর্টল্যান্ড কম্পোজিট সিমেন্ট",
                "unit": "bag",
                "quantity": "1200",
                "rate": "560.00",
                "vat_rate": "0",
            },
            {"item": "Sylhet sand (FM 2.5)", "unit": "cft", "quantity": "9000", "rate": "58.00"},
        ],
        "payment_terms": "30 days from delivery against Mushak-6.3; VAT and AIT deducted at source",
        "terms": ["Deliver between 8 am and 6 pm", "Rejected goods are returned at the supplier's cost"],
        "approved_by": OFFICER,
    }


def example_payment_voucher() -> dict[str, Any]:
    return {
        "voucher_number": "PV-2025-26-001204",
        "date": "2025-12-12",
        "payer": SELLER,
        "payee": {"name": "Karnaphuli Steel Mills Ltd.", "bin": "001987654-0101"},
        "method": "cheque",
        "bank": "Dutch-Bangla Bank PLC, Banani Branch",
        "cheque_number": "CHQ 4471203",
        "reference": "KSM/2025-26/004512",
        "lines": [
            {"account_code": "2110", "account_name": "Accounts payable - Karnaphuli Steel", "amount": "2127750.00"}
        ],
        "deductions": [
            {"kind": "VDS", "description": "VAT deducted at source (Mushak-6.6)", "amount": "277532.61"},
            {"kind": "TDS", "description": "Income tax deducted at source (supplier 4%)", "amount": "74008.70"},
        ],
        "narration": "Payment for MS rod supplied in November 2025",
        "prepared_by": {"name": "Shirin Akter", "designation": "Accountant"},
        "approved_by": OFFICER,
    }


def example_statement(entries: int = 6) -> dict[str, Any]:
    start = dt.date(2025, 7, 1)
    rows = []
    for number in range(entries):
        day = start + dt.timedelta(days=(number * 3) % 180)
        if number % 3 == 2:
            rows.append(
                {
                    "date": day.isoformat(),
                    "reference": f"MR-{number:05d}",
                    "description": "Money receipt",
                    "credit": "250000.00",
                }
            )
        else:
            rows.append(
                {
                    "date": day.isoformat(),
                    "reference": f"INV-{number:05d}",
                    "description": "Tax invoice",
                    "debit": f"{100000 + number * 1250}.00",
                }
            )
    return {
        "company": SELLER,
        "customer": BUYER,
        "customer_code": "C-0042",
        "period_from": "2025-07-01",
        "period_to": "2025-12-31",
        "opening_balance": "125000.00",
        "entries": rows,
    }


BUILTINS: dict[str, BuiltinTemplate] = {
    item.key: item
    for item in (
        BuiltinTemplate(
            "mushak-6.3",
            "Tax invoice (Mushak-6.3)",
            "কর চালানপত্র (মূসক-৬.৩)",
            1,
            Mushak63,
            "mushak_6_3.html",
            _prepare_tax,
            lambda data: data.challan_number,
            lambda data: len(data.lines),
            example_mushak63,
            lambda data: data.seller,
        ),
        BuiltinTemplate(
            "mushak-6.6",
            "Certificate of VAT deducted at source (Mushak-6.6)",
            "উৎসে কর কর্তন সনদপত্র (মূসক-৬.৬)",
            1,
            Mushak66,
            "mushak_6_6.html",
            _prepare_vds,
            lambda data: data.certificate_number,
            lambda data: len(data.lines),
            example_mushak66,
            lambda data: data.withholding_entity,
        ),
        BuiltinTemplate(
            "mushak-6.7",
            "Credit note (Mushak-6.7)",
            "ক্রেডিট নোট (মূসক-৬.৭)",
            1,
            AdjustmentNote,
            "mushak_6_7_6_8.html",
            _prepare_tax,
            lambda data: data.note_number,
            lambda data: len(data.lines),
            lambda: example_adjustment("credit"),
            lambda data: data.supplier,
        ),
        BuiltinTemplate(
            "mushak-6.8",
            "Debit note (Mushak-6.8)",
            "ডেবিট নোট (মূসক-৬.৮)",
            1,
            AdjustmentNote,
            "mushak_6_7_6_8.html",
            _prepare_tax,
            lambda data: data.note_number,
            lambda data: len(data.lines),
            lambda: example_adjustment("debit"),
            lambda data: data.supplier,
        ),
        BuiltinTemplate(
            "purchase-order",
            "Purchase order",
            "ক্রয় আদেশ",
            1,
            PurchaseOrder,
            "purchase_order.html",
            _prepare_po,
            lambda data: data.po_number,
            lambda data: len(data.lines),
            example_purchase_order,
            lambda data: data.buyer,
        ),
        BuiltinTemplate(
            "payment-voucher",
            "Payment voucher",
            "পরিশোধ ভাউচার",
            1,
            PaymentVoucher,
            "payment_voucher.html",
            _prepare_voucher,
            lambda data: data.voucher_number,
            lambda data: len(data.lines),
            example_payment_voucher,
            lambda data: data.payer,
        ),
        BuiltinTemplate(
            "customer-statement",
            "Customer statement of account",
            "গ্রাহকের হিসাব বিবরণী",
            1,
            CustomerStatement,
            "customer_statement.html",
            _prepare_statement,
            lambda data: f"{data.customer_code or data.customer.name} {data.period_from}..{data.period_to}",
            lambda data: len(data.entries),
            example_statement,
            lambda data: data.company,
            formats=("pdf", "xlsx"),
        ),
    )
}
