"""Bangladeshi mobile numbers: parse any common form, normalize to E.164, name the operator.

Accepted forms: ``01712345678``, ``+8801712345678``, ``8801712345678``, ``008801712345678``,
``+880 1712-345678``, and the same with Bengali digits. Numbering plans come from ``phonenumbers``;
the operator comes from the prefix (table below), because number portability aside, the prefix
is what people and SMS gateways go by. 011 (Citycell) is closed: ``phonenumbers`` still calls it
valid, so it is rejected here.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers

from vextrus.bd.numerals import to_bengali_digits, to_latin_digits
from vextrus.bd.result import ValidationResult, invalid

MOBILE = "mobile"
COUNTRY_CODE = 880


@dataclass(frozen=True)
class Operator:
    key: str
    name: str
    name_bn: str
    note: str = ""


GRAMEENPHONE = Operator("grameenphone", "Grameenphone", "গ্রামীণফোন")
BANGLALINK = Operator("banglalink", "Banglalink", "বাংলালিংক")
ROBI = Operator("robi", "Robi", "রবি")
TELETALK = Operator("teletalk", "Teletalk", "টেলিটক")

# National prefix (0 + the two digits after it) -> operator.
OPERATORS: dict[str, Operator] = {
    "013": GRAMEENPHONE,
    "017": GRAMEENPHONE,
    "014": BANGLALINK,
    "019": BANGLALINK,
    "016": Operator("robi", "Robi", "রবি", note="former Airtel prefix"),
    "018": ROBI,
    "015": TELETALK,
}
CLOSED_PREFIXES: dict[str, str] = {"011": "Citycell"}


def _invalid_mobile(value: str) -> ValidationResult:
    return invalid(
        MOBILE,
        value,
        "invalid_number",
        "Not a Bangladeshi mobile number: 01[3-9] and 8 more digits, or +880 and the same without the 0",
        "বাংলাদেশি মোবাইল নম্বর নয়: ০১[৩-৯] এবং আরও ৮টি অঙ্ক, অথবা +৮৮০ ও শূন্য বাদে একই নম্বর",
    )


def validate_mobile(value: str) -> ValidationResult:
    """A mobile number in any common form → E.164 (``+8801712345678``), display form
    (``+880 1712-345678``) and operator."""
    if not value.strip():
        return invalid(MOBILE, value, "empty", "Enter the mobile number", "মোবাইল নম্বর দিন")
    text = to_latin_digits(value).strip()
    if any(char.isalpha() for char in text):
        return _invalid_mobile(value)
    try:
        number = phonenumbers.parse(text, "BD")
    except phonenumbers.NumberParseException:
        return _invalid_mobile(value)
    if number.country_code != COUNTRY_CODE:
        return invalid(
            MOBILE,
            value,
            "not_bangladeshi",
            f"Not a Bangladeshi number (country code +{number.country_code})",
            f"বাংলাদেশি নম্বর নয় (দেশের কোড +{to_bengali_digits(number.country_code or 0)})",
            country_code=number.country_code,
        )
    national = "0" + phonenumbers.national_significant_number(number)
    prefix = national[:3]
    if prefix in CLOSED_PREFIXES:
        closed = CLOSED_PREFIXES[prefix]
        return invalid(
            MOBILE,
            value,
            "closed_operator",
            f"{prefix} numbers ({closed}) are closed",
            f"{to_bengali_digits(prefix)} নম্বরগুলো ({closed}) বন্ধ হয়ে গেছে",
            prefix=prefix,
        )
    if not phonenumbers.is_valid_number(number):
        return _invalid_mobile(value)
    if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE or prefix not in OPERATORS:
        return invalid(
            MOBILE,
            value,
            "not_mobile",
            "This is not a mobile number (a landline?)",
            "এটি মোবাইল নম্বর নয় (ল্যান্ডলাইন?)",
        )
    if len(national) != 11:
        return _invalid_mobile(value)
    operator = OPERATORS[prefix]
    return ValidationResult(
        MOBILE,
        value,
        True,
        normalized=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        formatted=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
        details={
            "national": national,
            "prefix": prefix,
            "operator": operator.key,
            "operator_name": operator.name,
            "operator_name_bn": operator.name_bn,
        },
    )


def normalize_mobile(value: str) -> str | None:
    """E.164 form of a valid Bangladeshi mobile number, else None (for search keys)."""
    return validate_mobile(value).normalized
