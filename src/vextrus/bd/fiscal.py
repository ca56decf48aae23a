"""Fiscal years: 1 July - 30 June in Bangladesh (income tax and most companies), labelled ``2025-26``.

The start month is configurable (a company may close its books in December: ``start_month=1``
gives calendar years labelled ``2025``). Fiscal month 1 is the start month; quarters are three
fiscal months each. A datetime is placed by its date in Dhaka, never by its UTC date.

>>> fy = fiscal_year_of(dt.date(2025, 10, 5))
>>> fy.label, fy.start, fy.end, fy.quarter_of(dt.date(2025, 10, 5)), fy.fiscal_month_of(dt.date(2025, 10, 5))
('2025-26', datetime.date(2025, 7, 1), datetime.date(2026, 6, 30), 2, 4)
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from vextrus.bd.clock import dhaka_date
from vextrus.bd.numerals import to_bengali_digits, to_latin_digits

BANGLADESH_START_MONTH = 7

_MONTH_BN = (
    "জানুয়ারি",
    "ফেব্রুয়ারি",
    "মার্চ",
    "এপ্রিল",
    "মে",
    "জুন",
    "জুলাই",
    "আগস্ট",
    "সেপ্টেম্বর",
    "অক্টোবর",
    "নভেম্বর",
    "ডিসেম্বর",
)


def _check_month(start_month: int) -> None:
    if not 1 <= start_month <= 12:
        raise ValueError("start_month must be 1-12")


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        return dhaka_date(value)
    return value


@dataclass(frozen=True, order=True)
class FiscalPeriod:
    """One fiscal month: number 1-12 within its fiscal year, and its calendar dates."""

    fiscal_year: str
    number: int
    start: dt.date
    end: dt.date

    @property
    def code(self) -> str:
        """``2025-26/P01``: sortable within a fiscal year, unique across years."""
        return f"{self.fiscal_year}/P{self.number:02d}"

    @property
    def label(self) -> str:
        """``Jul 2025``."""
        return f"{calendar.month_abbr[self.start.month]} {self.start.year}"

    @property
    def label_bn(self) -> str:
        return f"{_MONTH_BN[self.start.month - 1]} {to_bengali_digits(self.start.year)}"

    @property
    def quarter(self) -> int:
        return (self.number - 1) // 3 + 1

    def contains(self, day: dt.date | dt.datetime) -> bool:
        return self.start <= _as_date(day) <= self.end


@dataclass(frozen=True, order=True)
class FiscalYear:
    """The fiscal year starting on day 1 of ``start_month`` in ``start_year``."""

    start_year: int
    start_month: int = BANGLADESH_START_MONTH

    def __post_init__(self) -> None:
        _check_month(self.start_month)
        if not 1 <= self.start_year <= 9998:
            raise ValueError("start_year out of range")

    @property
    def start(self) -> dt.date:
        return dt.date(self.start_year, self.start_month, 1)

    @property
    def end(self) -> dt.date:
        year, month = _add_months(self.start_year, self.start_month, 12)
        return dt.date(year, month, 1) - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        """``2025-26``; a January-start fiscal year is just ``2025``."""
        if self.start_month == 1:
            return str(self.start_year)
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}"

    @property
    def name(self) -> str:
        """``FY2025-26``."""
        return f"FY{self.label}"

    def contains(self, day: dt.date | dt.datetime) -> bool:
        return self.start <= _as_date(day) <= self.end

    def _require(self, day: dt.date | dt.datetime) -> dt.date:
        value = _as_date(day)
        if not self.start <= value <= self.end:
            raise ValueError(f"{value} is not in fiscal year {self.label}")
        return value

    def fiscal_month_of(self, day: dt.date | dt.datetime) -> int:
        """1 for the start month (July) ... 12 for the last (June)."""
        value = self._require(day)
        return (value.year * 12 + value.month) - (self.start_year * 12 + self.start_month) + 1

    def quarter_of(self, day: dt.date | dt.datetime) -> int:
        """Q1 = fiscal months 1-3 (Jul-Sep) ... Q4 = 10-12 (Apr-Jun)."""
        return (self.fiscal_month_of(day) - 1) // 3 + 1

    def periods(self) -> tuple[FiscalPeriod, ...]:
        """The twelve fiscal months, in order."""
        result = []
        for number in range(1, 13):
            year, month = _add_months(self.start_year, self.start_month, number - 1)
            last = calendar.monthrange(year, month)[1]
            result.append(FiscalPeriod(self.label, number, dt.date(year, month, 1), dt.date(year, month, last)))
        return tuple(result)

    def period(self, number: int) -> FiscalPeriod:
        if not 1 <= number <= 12:
            raise ValueError("fiscal periods are numbered 1-12")
        return self.periods()[number - 1]

    def quarter_bounds(self, quarter: int) -> tuple[dt.date, dt.date]:
        if not 1 <= quarter <= 4:
            raise ValueError("quarters are numbered 1-4")
        periods = self.periods()
        return periods[(quarter - 1) * 3].start, periods[quarter * 3 - 1].end

    def next(self) -> FiscalYear:
        return FiscalYear(self.start_year + 1, self.start_month)

    def previous(self) -> FiscalYear:
        return FiscalYear(self.start_year - 1, self.start_month)


def fiscal_year_of(day: dt.date | dt.datetime, start_month: int = BANGLADESH_START_MONTH) -> FiscalYear:
    """The fiscal year containing ``day`` (an aware datetime counts by its Dhaka date)."""
    _check_month(start_month)
    value = _as_date(day)
    return FiscalYear(value.year if value.month >= start_month else value.year - 1, start_month)


_LABEL = re.compile(r"^(?:FY\s*)?(\d{4})(?:\s*[-/–]\s*(\d{2}|\d{4}))?$", re.IGNORECASE)


def parse_fiscal_year(label: str, start_month: int = BANGLADESH_START_MONTH) -> FiscalYear:
    """``2025-26``, ``FY2025-26``, ``FY 2025-2026``, ``২০২৫-২৬`` → the fiscal year starting in 2025.

    For a January start the label is the single year (``2025``). Raises ValueError otherwise.
    """
    _check_month(start_month)
    match = _LABEL.match(to_latin_digits(label.strip()))
    if match is None:
        raise ValueError(f"{label!r} is not a fiscal year label such as 2025-26")
    first, second = int(match.group(1)), match.group(2)
    if start_month == 1:
        if second is not None:
            raise ValueError("a fiscal year starting in January is labelled by one year, e.g. 2025")
        return FiscalYear(first, 1)
    if second is None:
        raise ValueError(f"{label!r} names one year; a fiscal year label spans two, e.g. 2025-26")
    following = first + 1
    if (len(second) == 2 and int(second) != following % 100) or (len(second) == 4 and int(second) != following):
        raise ValueError(f"{label!r}: the second year must follow the first")
    return FiscalYear(first, start_month)
