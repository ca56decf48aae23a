"""Business rules of finance as data and pure functions (no I/O), tested with tables of cases.

Rounding (documented in docs/services/finance.md): every amount is a ``Decimal`` rounded half up
to the paisa (2 places) **per line**, in this order::

    gross    = round(quantity × unit_price)
    discount = round(gross × discount_percent / 100)   or the discount amount given
    value    = gross − discount
    sd       = round(value × sd_rate / 100)
    vat      = round((value + sd) × vat_rate / 100)     # VAT is charged on the value including SD
    total    = value + sd + vat

and the document's totals are the sums of the rounded line figures (never rounded again).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from vextrus.bd.fiscal import FiscalYear, fiscal_year_of
from vextrus.bd.workdays import DEFAULT_WORK_WEEK, roll_forward

PAISA = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def money(value: Decimal | int | str) -> Decimal:
    """Half up to the paisa."""
    return Decimal(value).quantize(PAISA, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, rate_percent: Decimal) -> Decimal:
    return money(amount * rate_percent / HUNDRED)


@dataclass(frozen=True)
class LineFigures:
    gross: Decimal
    discount: Decimal
    value: Decimal
    sd: Decimal
    vat: Decimal
    total: Decimal


class RuleError(ValueError):
    def __init__(self, field: str, reason: str, reason_bn: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason
        self.reason_bn = reason_bn


def line_figures(
    quantity: Decimal,
    unit_price: Decimal,
    *,
    discount_percent: Decimal = ZERO,
    discount_amount: Decimal = ZERO,
    sd_rate: Decimal = ZERO,
    vat_rate: Decimal = ZERO,
) -> LineFigures:
    """The figures of one line (rates in percent: 15 means 15%)."""
    gross = money(quantity * unit_price)
    discount = money(discount_amount) if discount_amount else percent_of(gross, discount_percent)
    if discount > gross:
        raise RuleError("discount", "The discount is larger than the line amount", "ছাড় লাইনের মূল্যের চেয়ে বেশি")
    value = gross - discount
    sd = percent_of(value, sd_rate)
    vat = percent_of(value + sd, vat_rate)
    return LineFigures(gross, discount, value, sd, vat, value + sd + vat)


# --- numbering -------------------------------------------------------------------------------------

SERIES = {
    "general": "JV",
    "sales": "SJ",
    "purchase": "PJ",
    "cash": "CJ",
    "bank": "BJ",
    "invoice": "INV",  # customer invoice = Mushak-6.3 tax invoice (challan) number
    "bill": "VB",
    "credit_note": "CN",  # Mushak-6.7
    "debit_note": "DN",  # Mushak-6.8
    "receipt": "RV",
    "payment": "PV",
    "vds": "M66",  # Mushak-6.6 certificates
    "tds": "TDS",
}


def document_number(series: str, fiscal_year: str, value: int) -> str:
    """``JV-2025-26-000001``: series, fiscal year, six digits (more when a year needs them)."""
    return f"{series}-{fiscal_year}-{value:06d}"


# --- fiscal calendar -------------------------------------------------------------------------------


def fiscal_position(day: dt.date, start_month: int) -> tuple[FiscalYear, int]:
    """The fiscal year containing ``day`` and the fiscal month number (1 = first month)."""
    year = fiscal_year_of(day, start_month)
    return year, year.fiscal_month_of(day)


def vat_return_due(month_start: dt.date) -> dt.date:
    """Mushak-9.1 for a month is due on the 15th of the following month, rolled forward to the next
    business day when the 15th is a weekly holiday (Friday/Saturday; public holidays are per company
    and not known here: the rule is documented as such)."""
    year, month = (month_start.year + 1, 1) if month_start.month == 12 else (month_start.year, month_start.month + 1)
    return roll_forward(dt.date(year, month, 15), DEFAULT_WORK_WEEK)


# --- ageing ----------------------------------------------------------------------------------------

AGEING_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("current", -100000, 0),
    ("0-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("90+", 91, None),
)
"""Days past the due date → bucket (``current``: not yet due)."""


def ageing_bucket(due: dt.date, as_of: dt.date) -> str:
    overdue = (as_of - due).days
    for name, low, high in AGEING_BUCKETS:
        if overdue >= low and (high is None or overdue <= high):
            return name
    return "current"


# --- accounts used by postings ---------------------------------------------------------------------

DEFAULT_ACCOUNT_CODES: dict[str, str] = {
    "receivable": "1140",
    "payable": "2110",
    "vat_output": "2120",  # output VAT and SD charged on sales
    "vat_input": "1154",  # input VAT credit on purchases (SD paid on purchases is cost)
    "vds_receivable": "1155",  # VAT our customers deducted at source (their Mushak-6.6)
    "vds_payable": "2125",  # VAT we deducted at source from suppliers
    "tds_payable": "2130",
    "ait_receivable": "1153",  # income tax customers deducted from our receipts
    "revenue": "4100",
    "expense": "5110",
    "cash": "1110",
    "bank": "1120",
    "mfs": "1130",
    "customer_advance": "2140",
    "supplier_advance": "1151",
    "retained_earnings": "3300",
    "fx_gain": "4900",
    "fx_loss": "5280",
}

METHOD_ACCOUNT = {
    "cash": "cash",
    "bank": "bank",
    "cheque": "bank",
    "bkash": "mfs",
    "nagad": "mfs",
    "rocket": "mfs",
    "upay": "mfs",
}
MOBILE_METHODS = frozenset({"bkash", "nagad", "rocket", "upay"})

VENDOR_KIND_PAYMENT_TYPE = {
    "contractor": "contractor",
    "supplier": "supplier",
    "manufacturer": "supplier",
    "consultant": "professional",
    "service_provider": "professional",
}
"""A vendor's master-data kind → the payment type of ``bd.withholding.rate`` (a payment may name
another: transport, house-rent...)."""


def default_customer_type(kind: str, bin_number: str | None) -> str:
    """The ``customer_type`` the VAT rule takes, from a master-data customer."""
    if kind == "government":
        return "withholding-entity"
    return "registered" if bin_number else "unregistered"


def split_withholding(
    allocated: Decimal, document_total: Decimal, document_vat: Decimal, document_value: Decimal
) -> tuple[Decimal, Decimal]:
    """The VAT and the value (excluding VAT) inside a partial settlement of a document, pro rata."""
    if document_total <= 0:
        return ZERO, ZERO
    vat = money(document_vat * allocated / document_total)
    value = money(document_value * allocated / document_total)
    return vat, value
