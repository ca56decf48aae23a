"""Pydantic input and output models of the finance API."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Amount = Annotated[Decimal, Field(gt=0, max_digits=16, decimal_places=2, description="BDT, up to 2 decimals")]
NonNegative = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=4)]
Price = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=4)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=6, decimal_places=3)]
Dimension = Annotated[str, Field(max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")]
ShortText = Annotated[str, Field(min_length=1, max_length=300)]
Memo = Annotated[str, Field(min_length=1, max_length=500)]
Journal = Literal["general", "sales", "purchase", "cash", "bank"]
Day = Annotated[dt.date, Field(ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31))]
VatCategory = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9.-]*$")]
Method = Literal["cash", "bank", "cheque", "bkash", "nagad", "rocket", "upay"]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217; BDT is the books' currency")]
FxRate = Annotated[
    Decimal, Field(gt=0, max_digits=14, decimal_places=4, description="BDT per unit of the currency (not for BDT)")
]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- ledger ---------------------------------------------------------------------------------------


class JournalLineIn(_Input):
    account_id: uuid.UUID
    debit: NonNegative = Decimal("0")
    credit: NonNegative = Decimal("0")
    cost_centre: Dimension | None = None
    project: Dimension | None = None
    description: ShortText | None = None


class JournalEntryIn(_Input):
    """A manual journal entry; or, with ``source``, a request to post a source document (the
    workflow ``vendor-invoice-approval`` posts an approved bill this way)."""

    journal: Journal = "general"
    date: Day | None = None
    memo: Memo | None = None
    reference: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    lines: Annotated[list[JournalLineIn], Field(max_length=1000)] = []
    source: Literal["vendor-invoice"] | None = None
    amount: Annotated[str, Field(max_length=40)] | None = None
    vendor_id: Annotated[str, Field(max_length=40)] | None = None

    @model_validator(mode="after")
    def _shape(self) -> JournalEntryIn:
        if self.source is None:
            if self.date is None:
                raise ValueError("date is required")
            if len(self.lines) < 2:
                raise ValueError("a journal entry needs at least two lines")
        elif self.reference is None:
            raise ValueError("reference (the bill's number) is required with source")
        return self


class JournalLineOut(BaseModel):
    line_no: int
    account_id: uuid.UUID
    account_code: str | None
    account_name: str | None
    company_id: uuid.UUID
    debit: Decimal
    credit: Decimal
    cost_centre: str | None
    project: str | None
    description: str | None


class JournalEntryOut(BaseModel):
    id: uuid.UUID
    number: str
    journal: str
    company_id: uuid.UUID
    date: dt.date
    fiscal_year: str
    period: int
    status: str
    memo: str | None
    reference: str | None
    source_type: str | None
    source_id: uuid.UUID | None
    reverses_id: uuid.UUID | None
    reversed_by_id: uuid.UUID | None
    total: Decimal
    created_at: dt.datetime
    lines: list[JournalLineOut]


class ReverseIn(_Input):
    date: Day | None = Field(default=None, description="Date of the reversal (default: the original's date)")
    memo: Memo | None = None


class PeriodOut(BaseModel):
    fiscal_year: str
    number: int
    code: str
    start: dt.date
    end: dt.date
    status: str
    closed_at: dt.datetime | None


class PeriodList(BaseModel):
    fiscal_year: str
    items: list[PeriodOut]


class FinanceSettingsIn(_Input):
    fiscal_start_month: Annotated[int, Field(ge=1, le=12)] = 7


class FinanceSettingsOut(BaseModel):
    fiscal_start_month: int
    account_codes: dict[str, str]


class YearEndOut(BaseModel):
    fiscal_year: str
    closing_entry_id: uuid.UUID | None
    net_profit: Decimal
    periods_closed: int


# --- invoices, bills, notes -----------------------------------------------------------------------


class DocumentLineIn(_Input):
    product_id: uuid.UUID | None = None
    description: ShortText | None = Field(default=None, description="Default: the product's name")
    unit: Annotated[str, Field(min_length=1, max_length=30)] | None = Field(
        default=None, description="Default: product"
    )
    quantity: Quantity
    unit_price: Price | None = Field(default=None, description="Excluding SD and VAT; default: the product's price")
    discount_percent: Percent = Decimal("0")
    discount_amount: NonNegative = Decimal("0")
    sd_rate: Percent | None = Field(default=None, description="Supplementary duty in percent; default: the product's")
    vat_category: VatCategory | None = Field(
        default=None, description="Category for bd.vat.rate (goods.standard, services.construction, ...)"
    )
    vat_rate: Percent | None = Field(
        default=None, description="Override the rule's VAT rate (percent); needs finance.vat.override"
    )
    account_id: uuid.UUID | None = Field(default=None, description="Revenue/expense account; default by product/role")
    cost_centre: Dimension | None = None
    project: Dimension | None = None


class DocumentIn(_Input):
    customer_id: uuid.UUID | None = None
    vendor_id: uuid.UUID | None = None
    date: Day
    due_date: Day | None = None
    reference: Annotated[str, Field(min_length=1, max_length=60)] | None = Field(
        default=None, description="Bill: the vendor's own invoice (Mushak-6.3) number"
    )
    customer_type: Annotated[str, Field(min_length=1, max_length=30, pattern=r"^[a-z][a-z-]*$")] | None = Field(
        default=None, description="For bd.vat.rate: registered, unregistered, withholding-entity, epz, government..."
    )
    export: bool = False
    currency: Currency = "BDT"
    fx_rate: FxRate | None = None
    notes: Annotated[str, Field(max_length=2000)] | None = None
    lines: Annotated[list[DocumentLineIn], Field(min_length=1, max_length=500)]

    @model_validator(mode="after")
    def _rate(self) -> DocumentIn:
        _check_rate(self.currency, self.fx_rate)
        return self


def _check_rate(currency: str, rate: Decimal | None) -> None:
    if currency == "BDT" and rate not in (None, Decimal(1)):
        raise ValueError("fx_rate is only for a foreign currency")
    if currency != "BDT" and rate is None:
        raise ValueError(f"fx_rate (BDT per {currency}) is required for a {currency} document")


class NoteIn(_Input):
    original_id: uuid.UUID = Field(description="The posted invoice or bill this note adjusts")
    date: Day
    reason: Memo
    lines: Annotated[list[DocumentLineIn], Field(min_length=1, max_length=500)] | None = Field(
        default=None, description="Default (credit note): every line of the original, in full"
    )


class CancelIn(_Input):
    reason: Memo
    date: Day | None = Field(default=None, description="Date of the credit note (default: today, Dhaka)")


class DocumentLineOut(BaseModel):
    line_no: int
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
    cost_centre: str | None
    project: str | None


class DocumentOut(BaseModel):
    id: uuid.UUID
    kind: str
    side: str
    company_id: uuid.UUID
    party_id: uuid.UUID
    party: dict[str, Any]
    status: str
    number: str | None = Field(description="Allocated at posting; for an invoice, its Mushak-6.3 challan number")
    reference: str | None
    submission_key: str | None
    date: dt.date
    due_date: dt.date
    currency: str
    fx_rate: Decimal = Field(description="BDT per unit of the currency (1 for BDT)")
    customer_type: str
    vds: bool = Field(description="The buyer deducts VAT at source (Mushak-6.6)")
    original_id: uuid.UUID | None
    reason: str | None
    notes: str | None
    subtotal: Decimal
    discount: Decimal
    sd: Decimal
    vat: Decimal
    total: Decimal
    settled: Decimal
    outstanding: Decimal
    workflow_instance_id: uuid.UUID | None
    journal_entry_id: uuid.UUID | None
    posted_at: dt.datetime | None
    version: int
    lines: list[DocumentLineOut]


# --- payments -------------------------------------------------------------------------------------


class AllocationIn(_Input):
    document_id: uuid.UUID
    amount: Amount = Field(description="Settled on this document (including what is withheld)")


class PaymentIn(_Input):
    direction: Literal["receipt", "payment"] = Field(description="receipt from a customer, payment to a vendor")
    party_id: uuid.UUID = Field(description="The customer (receipt) or vendor (payment)")
    date: Day
    method: Method
    amount: Amount = Field(description="Money moved (cash, bank, cheque, mobile wallet), in the currency")
    currency: Currency = "BDT"
    fx_rate: FxRate | None = Field(default=None, description="BDT per unit on the payment date (foreign currency)")
    transaction_id: Annotated[str, Field(min_length=6, max_length=40, pattern=r"^[A-Za-z0-9-]+$")] | None = Field(
        default=None, description="bKash/Nagad/Rocket/Upay transaction id (required for those), bank reference"
    )
    cheque_number: Annotated[str, Field(min_length=1, max_length=30, pattern=r"^[A-Za-z0-9-]+$")] | None = None
    allocations: Annotated[list[AllocationIn], Field(max_length=200)] = []
    vds_amount: NonNegative = Field(
        default=Decimal("0"), description="Receipt: VAT the customer deducted at source (their Mushak-6.6)"
    )
    ait_amount: NonNegative = Field(default=Decimal("0"), description="Receipt: income tax the customer deducted")
    withhold: bool = Field(default=True, description="Payment: deduct VDS and TDS by the rules")
    tds_payment_type: Annotated[str, Field(min_length=1, max_length=30, pattern=r"^[a-z][a-z-]*$")] | None = Field(
        default=None, description="Payment: bd.withholding.rate payment type (default from the vendor's kind)"
    )
    allow_advance: bool = Field(default=True, description="Hold money beyond the allocations as an advance")
    memo: Memo | None = None

    @model_validator(mode="after")
    def _rate(self) -> PaymentIn:
        _check_rate(self.currency, self.fx_rate)
        return self


class AllocationOut(BaseModel):
    document_id: uuid.UUID
    document_number: str | None
    amount: Decimal
    vds: Decimal
    tds: Decimal


class CertificateOut(BaseModel):
    id: uuid.UUID
    kind: str
    number: str
    document_id: uuid.UUID
    party_id: uuid.UUID
    date: dt.date
    base: Decimal
    rate: Decimal
    amount: Decimal
    payment_type: str | None
    challan_number: str | None = Field(description="Treasury challan the amount was deposited by")
    challan_date: dt.date | None
    deposit_entry_id: uuid.UUID | None


class DepositIn(_Input):
    """Deposit withheld VAT (or TDS) with the treasury: one challan for one or many certificates."""

    kind: Literal["vds", "tds"]
    certificate_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=200)]
    challan_number: Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9/-]+$")]
    date: Day
    bank: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    method: Literal["bank", "cash"] = "bank"


class PaymentOut(BaseModel):
    id: uuid.UUID
    number: str
    direction: str
    company_id: uuid.UUID
    party_id: uuid.UUID
    date: dt.date
    method: str
    transaction_id: str | None
    cheque_number: str | None
    cheque_status: str | None
    currency: str
    fx_rate: Decimal
    fx_difference: Decimal = Field(description="Realized exchange gain (+) or loss (−) in BDT")
    amount: Decimal
    vds: Decimal
    tds: Decimal
    allocated: Decimal
    advance: Decimal
    status: str
    memo: str | None
    journal_entry_id: uuid.UUID
    allocations: list[AllocationOut]
    certificates: list[CertificateOut]


class ScheduleIn(_Input):
    reference: Annotated[str, Field(min_length=1, max_length=60)]
    amount: Annotated[str, Field(min_length=1, max_length=40)]
    due_date: Annotated[str, Field(max_length=40)] | None = None


class ScheduleOut(BaseModel):
    id: uuid.UUID
    reference: str
    document_id: uuid.UUID | None
    amount: Decimal
    due_date: dt.date
    status: str


# --- reports --------------------------------------------------------------------------------------


class TrialBalanceRow(BaseModel):
    account_id: uuid.UUID
    code: str
    name: str
    type: str
    debit: Decimal
    credit: Decimal
    balance: Decimal = Field(description="debit − credit")


class TrialBalanceOut(BaseModel):
    fiscal_year: str
    period: int
    company_id: uuid.UUID | None
    rows: list[TrialBalanceRow]
    total_debit: Decimal
    total_credit: Decimal
    difference: Decimal


class LedgerLineOut(BaseModel):
    entry_id: uuid.UUID
    number: str
    date: dt.date
    memo: str | None
    debit: Decimal
    credit: Decimal
    running_balance: Decimal
    cost_centre: str | None
    project: str | None


class GeneralLedgerOut(BaseModel):
    account_id: uuid.UUID
    code: str
    name: str
    date_from: dt.date
    date_to: dt.date
    opening_balance: Decimal
    lines: list[LedgerLineOut]
    closing_balance: Decimal


class PartyStatementLine(BaseModel):
    date: dt.date
    kind: str
    number: str | None
    reference: str | None
    amount: Decimal = Field(description="+ raises what the party owes (or is owed), − settles it")
    running_balance: Decimal


class PartyStatementOut(BaseModel):
    side: str
    party_id: uuid.UUID
    date_from: dt.date
    date_to: dt.date
    opening_balance: Decimal
    lines: list[PartyStatementLine]
    closing_balance: Decimal


class StatementSection(BaseModel):
    type: str
    rows: list[TrialBalanceRow]
    total: Decimal


class ProfitAndLossOut(BaseModel):
    fiscal_year: str
    period_from: int
    period_to: int
    company_id: uuid.UUID | None
    income: StatementSection
    expenses: StatementSection
    net_profit: Decimal


class BalanceSheetOut(BaseModel):
    fiscal_year: str
    period: int
    company_id: uuid.UUID | None
    assets: StatementSection
    liabilities: StatementSection
    equity: StatementSection
    current_year_profit: Decimal
    balanced: bool


class AgeingRow(BaseModel):
    party_id: uuid.UUID
    party_name: str
    buckets: dict[str, Decimal]
    total: Decimal


class AgeingOut(BaseModel):
    side: str
    as_of: dt.date
    buckets: list[str]
    rows: list[AgeingRow]
    totals: dict[str, Decimal]


class RegisterRow(BaseModel):
    document_id: uuid.UUID
    kind: str
    number: str | None
    reference: str | None
    date: dt.date
    party_name: str
    party_bin: str | None
    value: Decimal
    sd: Decimal
    vat: Decimal
    total: Decimal


class RegisterOut(BaseModel):
    form: str
    month: str
    rows: list[RegisterRow]
    value: Decimal
    sd: Decimal
    vat: Decimal
    total: Decimal


class VatReturnOut(BaseModel):
    form: Literal["Mushak-9.1"] = "Mushak-9.1"
    month: str
    period_start: dt.date
    period_end: dt.date
    due_date: dt.date
    sales_value: Decimal
    output_vat: Decimal
    sd: Decimal
    purchase_value: Decimal
    input_vat: Decimal = Field(description="Input VAT credit: standard-rate purchases only")
    vds_deducted_by_customers: Decimal
    vds_deducted_from_suppliers: Decimal
    net_payable: Decimal = Field(description="output VAT + SD − input VAT credit − VDS customers deducted")
    treasury_code_vat: str = "1-1133-0000-0311"


class StatementImportOut(BaseModel):
    imported: int
    duplicates: int
    errors: list[dict[str, Any]]


class SuggestionOut(BaseModel):
    line_id: uuid.UUID
    date: dt.date
    amount: Decimal
    description: str
    reference: str | None
    matched_payment_id: uuid.UUID | None
    candidates: list[dict[str, Any]]
