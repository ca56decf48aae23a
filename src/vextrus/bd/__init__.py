"""Bangladesh localization: identifiers, phone numbers, geography, numerals, amounts in words,
fiscal years, Dhaka time and business days. Pure functions and data tables, no I/O.

Everything a service needs is importable from here::

    from vextrus.bd import validate, format_taka, amount_in_words_bn, fiscal_year_of
"""

from __future__ import annotations

from vextrus.bd.clock import (
    DHAKA,
    dhaka_date,
    dhaka_datetime,
    dhaka_day_bounds,
    now_dhaka,
    to_dhaka,
    to_utc,
    today_dhaka,
)
from vextrus.bd.fiscal import FiscalPeriod, FiscalYear, fiscal_year_of, parse_fiscal_year
from vextrus.bd.geo import (
    DISTRICTS,
    DISTRICTS_BY_CODE,
    DIVISIONS,
    DIVISIONS_BY_CODE,
    District,
    Division,
    districts_of,
    find_district,
    find_division,
)
from vextrus.bd.holidays import FIXED_NATIONAL_HOLIDAYS, fixed_holiday_calendar, fixed_national_holidays
from vextrus.bd.ids import (
    validate_bin,
    validate_nid,
    validate_postal_code,
    validate_routing_number,
    validate_tin,
    validate_trade_licence,
)
from vextrus.bd.numerals import (
    BENGALI_DIGITS,
    TAKA_SIGN,
    InvalidAmount,
    format_amount,
    format_taka,
    group_digits,
    parse_amount,
    round_money,
    to_bengali_digits,
    to_decimal,
    to_latin_digits,
)
from vextrus.bd.phone import OPERATORS, normalize_mobile, validate_mobile
from vextrus.bd.result import ValidationResult
from vextrus.bd.validate import KINDS, Kind, validate
from vextrus.bd.words import (
    amount_in_words,
    amount_in_words_bn,
    amount_in_words_en,
    number_in_words_bn,
    number_in_words_en,
)
from vextrus.bd.workdays import (
    DEFAULT_WORK_WEEK,
    NO_HOLIDAYS,
    SIX_DAY_WEEK,
    Holiday,
    HolidayCalendar,
    WorkWeek,
    add_business_days,
    business_days_between,
    is_business_day,
    next_business_day,
    previous_business_day,
    roll_forward,
)

__all__ = [
    "BENGALI_DIGITS",
    "DEFAULT_WORK_WEEK",
    "DHAKA",
    "DISTRICTS",
    "DISTRICTS_BY_CODE",
    "DIVISIONS",
    "DIVISIONS_BY_CODE",
    "FIXED_NATIONAL_HOLIDAYS",
    "KINDS",
    "NO_HOLIDAYS",
    "OPERATORS",
    "SIX_DAY_WEEK",
    "TAKA_SIGN",
    "District",
    "Division",
    "FiscalPeriod",
    "FiscalYear",
    "Holiday",
    "HolidayCalendar",
    "InvalidAmount",
    "Kind",
    "ValidationResult",
    "WorkWeek",
    "add_business_days",
    "amount_in_words",
    "amount_in_words_bn",
    "amount_in_words_en",
    "business_days_between",
    "dhaka_date",
    "dhaka_datetime",
    "dhaka_day_bounds",
    "districts_of",
    "find_district",
    "find_division",
    "fiscal_year_of",
    "fixed_holiday_calendar",
    "fixed_national_holidays",
    "format_amount",
    "format_taka",
    "group_digits",
    "is_business_day",
    "next_business_day",
    "normalize_mobile",
    "now_dhaka",
    "number_in_words_bn",
    "number_in_words_en",
    "parse_amount",
    "parse_fiscal_year",
    "previous_business_day",
    "roll_forward",
    "round_money",
    "to_bengali_digits",
    "to_decimal",
    "to_dhaka",
    "to_latin_digits",
    "to_utc",
    "today_dhaka",
    "validate",
    "validate_bin",
    "validate_mobile",
    "validate_nid",
    "validate_postal_code",
    "validate_routing_number",
    "validate_tin",
    "validate_trade_licence",
]
