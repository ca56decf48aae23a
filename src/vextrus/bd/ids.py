"""Bangladeshi identifiers: e-TIN, BIN, NID, postal code, bank routing number, trade licence.

Each validator takes what a person typed (spaces and hyphens ignored, Bengali digits accepted)
and returns a :class:`~vextrus.bd.result.ValidationResult`. None of these numbers has a published
checksum, so the rules are structural: length, digits only, not all zeros, and the embedded birth
year of a 17-digit NID.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from vextrus.bd.clock import today_dhaka
from vextrus.bd.numerals import to_bengali_digits, to_latin_digits
from vextrus.bd.result import ValidationResult, digits_only, invalid

TIN = "tin"
BIN = "bin"
NID = "nid"
POSTAL_CODE = "postal_code"
ROUTING_NUMBER = "routing_number"
TRADE_LICENCE = "trade_licence"

EARLIEST_BIRTH_YEAR = 1900


def _bn(number: int) -> str:
    return to_bengali_digits(number)


def _digits_or_reason(kind: str, value: str, what: str, what_bn: str) -> str | ValidationResult:
    """The value's digits, or the invalid result explaining why there are none."""
    if not value.strip():
        return invalid(kind, value, "empty", f"Enter the {what}", f"{what_bn} দিন")
    digits = digits_only(value)
    if digits is None:
        return invalid(
            kind,
            value,
            "not_digits",
            f"A {what} has digits only (spaces and hyphens are ignored)",
            f"{what_bn} শুধু অঙ্কে লেখা হয় (ফাঁকা ও হাইফেন উপেক্ষা করা হয়)",
        )
    if set(digits) == {"0"}:
        return invalid(kind, value, "all_zeros", f"A {what} cannot be all zeros", f"{what_bn} সব শূন্য হতে পারে না")
    return digits


def _wrong_length(kind: str, value: str, digits: str, expected: str, expected_bn: str) -> ValidationResult:
    return invalid(
        kind,
        value,
        "wrong_length",
        f"{expected}; {len(digits)} digits given",
        f"{expected_bn}; দেওয়া হয়েছে {_bn(len(digits))}টি অঙ্ক",
        length=len(digits),
    )


def validate_tin(value: str) -> ValidationResult:
    """e-TIN: 12 digits, shown ``1234-5678-9012``. A legacy 10-digit TIN is accepted and flagged."""
    digits = _digits_or_reason(TIN, value, "TIN", "টিআইএন")
    if isinstance(digits, ValidationResult):
        return digits
    if len(digits) == 12:
        return ValidationResult(
            TIN,
            value,
            True,
            normalized=digits,
            formatted=f"{digits[:4]}-{digits[4:8]}-{digits[8:]}",
            details={"legacy": False},
        )
    if len(digits) == 10:
        return ValidationResult(
            TIN,
            value,
            True,
            normalized=digits,
            formatted=digits,
            code="legacy_tin",
            reason="Legacy 10-digit TIN: accepted, but ask for the 12-digit e-TIN",
            reason_bn="পুরনো ১০ অঙ্কের টিআইএন: গ্রহণ করা হলো, তবে ১২ অঙ্কের ই-টিআইএন চেয়ে নিন",
            details={"legacy": True},
        )
    return _wrong_length(
        TIN,
        value,
        digits,
        "An e-TIN has 12 digits (a legacy TIN 10)",
        "ই-টিআইএন ১২ অঙ্কের (পুরনো টিআইএন ১০ অঙ্কের)",
    )


def validate_bin(value: str) -> ValidationResult:
    """BIN (VAT registration): 9 digits, or 13 with the 4-digit branch/unit suffix (``123456789-0101``)."""
    digits = _digits_or_reason(BIN, value, "BIN", "বিআইএন")
    if isinstance(digits, ValidationResult):
        return digits
    if len(digits) == 9:
        return ValidationResult(
            BIN, value, True, normalized=digits, formatted=digits, details={"base": digits, "branch": None}
        )
    if len(digits) == 13:
        base, branch = digits[:9], digits[9:]
        if set(base) == {"0"}:
            return invalid(
                BIN, value, "all_zeros", "The 9-digit BIN cannot be all zeros", "৯ অঙ্কের বিআইএন সব শূন্য হতে পারে না"
            )
        return ValidationResult(
            BIN, value, True, normalized=digits, formatted=f"{base}-{branch}", details={"base": base, "branch": branch}
        )
    return _wrong_length(
        BIN,
        value,
        digits,
        "A BIN has 9 digits, or 13 with the branch suffix",
        "বিআইএন ৯ অঙ্কের, শাখা সংযুক্তিসহ ১৩ অঙ্কের",
    )


def validate_nid(value: str, *, today: dt.date | None = None) -> ValidationResult:
    """National ID: 10 digits (smart card), 13 (older card), or 17 (birth year + the 13 digits).

    The birth year of a 17-digit number must be plausible: from 1900 to the current year.
    """
    digits = _digits_or_reason(NID, value, "NID number", "জাতীয় পরিচয়পত্র নম্বর")
    if isinstance(digits, ValidationResult):
        return digits
    details: dict[str, Any]
    if len(digits) == 10:
        details = {"format": "smart_card", "birth_year": None}
    elif len(digits) == 13:
        details = {"format": "old_13", "birth_year": None}
    elif len(digits) == 17:
        year = int(digits[:4])
        current = (today or today_dhaka()).year
        if not EARLIEST_BIRTH_YEAR <= year <= current:
            return invalid(
                NID,
                value,
                "implausible_birth_year",
                f"A 17-digit NID starts with the birth year; {year} is not plausible ({EARLIEST_BIRTH_YEAR}-{current})",
                f"১৭ অঙ্কের এনআইডি জন্মসাল দিয়ে শুরু হয়; {_bn(year)} গ্রহণযোগ্য নয় "
                f"({_bn(EARLIEST_BIRTH_YEAR)}-{_bn(current)})",
                birth_year=year,
            )
        details = {"format": "old_17", "birth_year": year}
    else:
        return _wrong_length(
            NID,
            value,
            digits,
            "An NID has 10, 13 or 17 digits",
            "এনআইডি ১০, ১৩ বা ১৭ অঙ্কের",
        )
    return ValidationResult(NID, value, True, normalized=digits, formatted=digits, details=details)


def validate_postal_code(value: str) -> ValidationResult:
    """Postal code: 4 digits, not starting with 0 (Dhaka GPO is 1000)."""
    digits = _digits_or_reason(POSTAL_CODE, value, "postal code", "পোস্ট কোড")
    if isinstance(digits, ValidationResult):
        return digits
    if len(digits) != 4:
        return _wrong_length(POSTAL_CODE, value, digits, "A postal code has 4 digits", "পোস্ট কোড ৪ অঙ্কের")
    if digits[0] == "0":
        return invalid(
            POSTAL_CODE,
            value,
            "leading_zero",
            "Bangladeshi postal codes start with 1-9",
            "বাংলাদেশের পোস্ট কোড ১-৯ দিয়ে শুরু হয়",
        )
    return ValidationResult(POSTAL_CODE, value, True, normalized=digits, formatted=digits)


def validate_routing_number(value: str) -> ValidationResult:
    """Bank routing number (BEFTN): 9 digits = bank (3), district (2), branch (3), check digit (1)."""
    digits = _digits_or_reason(ROUTING_NUMBER, value, "routing number", "রাউটিং নম্বর")
    if isinstance(digits, ValidationResult):
        return digits
    if len(digits) != 9:
        return _wrong_length(ROUTING_NUMBER, value, digits, "A routing number has 9 digits", "রাউটিং নম্বর ৯ অঙ্কের")
    return ValidationResult(
        ROUTING_NUMBER,
        value,
        True,
        normalized=digits,
        formatted=digits,
        details={
            "bank_code": digits[:3],
            "district_code": digits[3:5],
            "branch_code": digits[5:8],
            "check_digit": digits[8],
        },
    )


_LICENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/\-. ]{1,48}[A-Za-z0-9]$")


def validate_trade_licence(value: str) -> ValidationResult:
    """Trade licence number: issued by city corporations and pourashavas, no national format or
    checksum; accepted when it is 3-50 letters, digits and ``/ - .`` (stored upper-case, spaces collapsed)."""
    text = " ".join(value.split()).upper()
    if not text:
        return invalid(TRADE_LICENCE, value, "empty", "Enter the trade licence number", "ট্রেড লাইসেন্স নম্বর দিন")
    text = to_latin_digits(text)
    if not _LICENCE.match(text):
        return invalid(
            TRADE_LICENCE,
            value,
            "invalid_characters",
            "A trade licence number has 3-50 letters, digits and / - .",
            "ট্রেড লাইসেন্স নম্বরে ৩-৫০টি অক্ষর, অঙ্ক ও / - . থাকে",
        )
    return ValidationResult(TRADE_LICENCE, value, True, normalized=text, formatted=text)
