"""Business rules of master data as pure functions (no database, no HTTP).

Each check raises :class:`RuleViolation` naming the field and the reason in English and Bengali;
the service turns it into a 422 problem (and counts it in ``master_data_validation_errors_total``).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import phonenumbers

from vextrus import bd
from vextrus.services.master_data.catalogue import (
    CATEGORIES_BY_CODE,
    CONVERTIBLE_DIMENSIONS,
    EXEMPT,
    NORMAL_BALANCE,
    STANDARD_UNITS_BY_CODE,
    WALLET_PROVIDERS,
    Unit,
)


@dataclass
class RuleViolation(Exception):
    field: str
    reason: str
    reason_bn: str
    kind: str = "rule"
    code: str = "invalid"


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# --- codes and identifiers -----------------------------------------------------------------------

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._/-]{0,39}$")


def normalize_code(value: str, field: str = "code") -> str:
    """Codes are upper-case letters, digits and ``. _ / -`` (1-40), e.g. ``CUST-0001``."""
    code = value.strip().upper()
    if not CODE_PATTERN.match(code):
        raise RuleViolation(
            field,
            "A code is 1-40 letters, digits and . _ / - (starting with a letter or digit)",
            "কোড ১-৪০টি অক্ষর, অঙ্ক ও . _ / - দিয়ে লেখা হয় (শুরুতে অক্ষর বা অঙ্ক)",
            kind="code",
        )
    return code


def identifier(kind: str, value: str | None, field: str) -> bd.ValidationResult | None:
    """Validate a Bangladeshi identifier (``tin``, ``bin``, ``nid``, ...) or raise for the field."""
    if value is None or not value.strip():
        return None
    result = bd.validate(kind, value)
    if not result.valid:
        raise RuleViolation(
            field, result.reason or "invalid", result.reason_bn or "সঠিক নয়", kind=kind, code=result.code or "invalid"
        )
    return result


def normalized_identifier(kind: str, value: str | None, field: str) -> str | None:
    result = identifier(kind, value, field)
    return result.normalized if result is not None else None


# --- phones, e-mail ---------------------------------------------------------------------------------

MAX_PHONES = 5


def normalize_phone(value: str, field: str) -> dict[str, Any]:
    """A phone number as stored: ``{"number": E.164, "type": "mobile"|"fixed"|"other", "operator"}``.

    A Bangladeshi mobile number is checked by :func:`vextrus.bd.validate_mobile` (operator, closed
    prefixes); a landline or a foreign number only has to be a valid number.
    """
    mobile = bd.validate_mobile(value)
    if mobile.valid:
        return {"number": mobile.normalized, "type": "mobile", "operator": mobile.details["operator"]}
    if mobile.code in ("closed_operator", "empty"):
        raise RuleViolation(field, mobile.reason or "", mobile.reason_bn or "", kind="mobile", code=mobile.code)
    try:
        number = phonenumbers.parse(bd.to_latin_digits(value), "BD")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise RuleViolation(
            field,
            "Not a valid phone number: a Bangladeshi mobile (01XXXXXXXXX) or a number with its area or country code",
            "সঠিক ফোন নম্বর নয়: বাংলাদেশি মোবাইল (০১XXXXXXXXX) অথবা এলাকা বা দেশের কোডসহ নম্বর",
            kind="phone",
        )
    kind = "fixed" if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE else "other"
    return {
        "number": phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        "type": kind,
        "operator": None,
    }


def normalize_phones(values: Sequence[str], field: str = "phones") -> list[dict[str, Any]]:
    if len(values) > MAX_PHONES:
        raise RuleViolation(field, f"At most {MAX_PHONES} phone numbers", "সর্বোচ্চ ৫টি ফোন নম্বর", kind="phone")
    result: list[dict[str, Any]] = []
    for index, value in enumerate(values):
        phone = normalize_phone(value, f"{field}.{index}")
        if all(item["number"] != phone["number"] for item in result):
            result.append(phone)
    return result


def phone_index(phones: Iterable[Mapping[str, Any]], extra: Iterable[str | None] = ()) -> str:
    numbers = [str(item["number"]) for item in phones] + [item for item in extra if item]
    return " ".join(dict.fromkeys(numbers))


EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")


def normalize_email(value: str | None, field: str = "email") -> str | None:
    if value is None or not value.strip():
        return None
    email = value.strip()
    if len(email) > 254 or not EMAIL.match(email):
        raise RuleViolation(field, "Not an e-mail address", "ই-মেইল ঠিকানা সঠিক নয়", kind="email")
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


# --- addresses -------------------------------------------------------------------------------------


def normalize_address(address: Mapping[str, Any] | None, field: str) -> dict[str, Any] | None:
    """An address with its district resolved to the ISO code (any name or code accepted), the
    division derived from it (a given division must agree) and the postal code checked."""
    if address is None:
        return None
    result = {key: (nfc(value.strip()) if isinstance(value, str) else value) for key, value in address.items()}
    result = {key: (None if value == "" else value) for key, value in result.items()}
    country = (result.get("country") or "BD").upper()
    result["country"] = country
    if country != "BD":
        return result
    district_text = result.get("district")
    division_text = result.get("division")
    division = None
    if district_text:
        district = bd.find_district(district_text)
        if district is None:
            raise RuleViolation(
                f"{field}.district",
                f"Unknown district {district_text!r}: give one of the 64 districts (name or BD-01..BD-64)",
                f"অজানা জেলা {district_text!r}: ৬৪টি জেলার একটির নাম বা কোড (BD-01..BD-64) দিন",
                kind="district",
            )
        result["district"] = district.code
        result["district_name"] = district.name
        result["district_name_bn"] = district.name_bn
        division = district.division
    if division_text:
        given = bd.find_division(division_text)
        if given is None or (division is not None and given != division):
            raise RuleViolation(
                f"{field}.division",
                "Unknown division, or not the division of the district",
                "অজানা বিভাগ, অথবা জেলাটি এই বিভাগের নয়",
                kind="division",
            )
        division = given
    if division is not None:
        result["division"] = division.code
        result["division_name"] = division.name
        result["division_name_bn"] = division.name_bn
    if result.get("postal_code"):
        result["postal_code"] = normalized_identifier("postal_code", result["postal_code"], f"{field}.postal_code")
    return result


# --- vendors ---------------------------------------------------------------------------------------

VENDOR_TRANSITIONS: dict[str, dict[str, str]] = {
    # action -> {from status: to status}
    "approve": {"pending": "approved"},
    "blacklist": {"pending": "blacklisted", "approved": "blacklisted"},
    "reinstate": {"blacklisted": "pending"},
}


def next_approval_status(current: str, action: str) -> str | None:
    """The vendor's approval status after ``action``, or None when the action does not apply."""
    return VENDOR_TRANSITIONS.get(action, {}).get(current)


def check_vendor(kind: str, tin: str | None) -> None:
    if kind == "contractor" and not tin:
        raise RuleViolation(
            "tin",
            "A contractor needs a TIN (income tax is withheld from contractor bills)",
            "ঠিকাদারের টিআইএন প্রয়োজন (ঠিকাদারের বিল থেকে আয়কর কর্তন করা হয়)",
            kind="tin",
            code="required",
        )


def trade_licence_expired(expiry: dt.date | None, today: dt.date) -> bool:
    return expiry is not None and expiry < today


def normalize_bank_account(account: Mapping[str, Any] | None, field: str = "bank_account") -> dict[str, Any] | None:
    if account is None:
        return None
    result = {key: (value.strip() if isinstance(value, str) else value) for key, value in account.items()}
    number = bd.to_latin_digits(str(result.get("account_number") or "")).replace(" ", "").replace("-", "")
    if not (number.isascii() and number.isdigit() and 5 <= len(number) <= 20):
        raise RuleViolation(
            f"{field}.account_number",
            "A bank account number has 5-20 digits",
            "ব্যাংক হিসাব নম্বর ৫-২০ অঙ্কের",
            kind="bank_account",
        )
    result["account_number"] = number
    routing = identifier("routing_number", result.get("routing_number"), f"{field}.routing_number")
    if routing is None:
        raise RuleViolation(
            f"{field}.routing_number",
            "Give the branch's 9-digit routing number",
            "শাখার ৯ অঙ্কের রাউটিং নম্বর দিন",
            kind="routing_number",
            code="required",
        )
    result["routing_number"] = routing.normalized
    return result


def normalize_wallets(wallets: Sequence[Mapping[str, Any]], field: str = "mobile_wallets") -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    for index, wallet in enumerate(wallets):
        provider = str(wallet.get("provider", "")).lower()
        if provider not in WALLET_PROVIDERS:
            raise RuleViolation(
                f"{field}.{index}.provider",
                f"One of {', '.join(WALLET_PROVIDERS)}",
                f"{', '.join(bn for _, bn in WALLET_PROVIDERS.values())} এর একটি",
                kind="wallet",
            )
        mobile = bd.validate_mobile(str(wallet.get("number", "")))
        if not mobile.valid:
            raise RuleViolation(
                f"{field}.{index}.number",
                mobile.reason or "",
                mobile.reason_bn or "",
                kind="mobile",
                code=mobile.code or "",
            )
        entry = {**wallet, "provider": provider, "number": mobile.normalized}
        if all((item["provider"], item["number"]) != (provider, mobile.normalized) for item in result):
            result.append(entry)
    return result


# --- products ----------------------------------------------------------------------------------


def normalize_hs_code(value: str | None, field: str = "hs_code") -> str | None:
    """HS code: 6-10 digits (Bangladesh's customs tariff uses 8: ``2523.29.00``); stored as digits."""
    if value is None or not value.strip():
        return None
    digits = bd.to_latin_digits(value).replace(".", "").replace(" ", "")
    if not (digits.isascii() and digits.isdigit() and 6 <= len(digits) <= 10):
        raise RuleViolation(
            field,
            "An HS code has 6-10 digits, e.g. 2523.29.00",
            "এইচএস কোড ৬-১০ অঙ্কের, যেমন ২৫২৩.২৯.০০",
            kind="hs_code",
        )
    return digits


def format_hs_code(digits: str | None) -> str | None:
    if digits is None:
        return None
    return ".".join([digits[:4], *[digits[i : i + 2] for i in range(4, len(digits), 2)]])


def check_product(
    product_type: str,
    category: str,
    vat_rate_code: str,
    exemption_reason: str | None,
    hs_code: str | None,
) -> None:
    found = CATEGORIES_BY_CODE.get(category)
    if found is None or found.type != product_type:
        raise RuleViolation(
            "category",
            f"Category {category!r} is not a {product_type} category",
            f"{category!r} এই ধরনের ({product_type}) শ্রেণি নয়",
            kind="category",
        )
    if vat_rate_code == EXEMPT and not exemption_reason:
        raise RuleViolation(
            "exemption_reason",
            "An exempt product needs the reason for the exemption (e.g. the SRO or schedule)",
            "অব্যাহতিপ্রাপ্ত পণ্যের অব্যাহতির কারণ প্রয়োজন (যেমন এসআরও বা তফসিল)",
            kind="vat",
            code="required",
        )
    if vat_rate_code != EXEMPT and exemption_reason:
        raise RuleViolation(
            "exemption_reason",
            "Only an exempt product (vat_rate_code EXEMPT) has an exemption reason",
            "শুধু অব্যাহতিপ্রাপ্ত পণ্যের (EXEMPT) অব্যাহতির কারণ থাকে",
            kind="vat",
        )
    if product_type == "service" and hs_code:
        raise RuleViolation("hs_code", "Services have no HS code", "সেবার এইচএস কোড থাকে না", kind="hs_code")


def check_conversions(unit: str, conversions: Sequence[Mapping[str, Any]], known: Mapping[str, Unit]) -> None:
    if unit not in known:
        raise RuleViolation("unit", f"Unknown unit {unit!r}", f"অজানা একক {unit!r}", kind="unit")
    seen = set()
    for index, item in enumerate(conversions):
        other = item["unit"]
        if other not in known or other == unit or other in seen:
            raise RuleViolation(
                f"conversions.{index}.unit",
                "A known unit other than the product's unit, once",
                "পণ্যের একক ছাড়া অন্য একটি জানা একক, একবার",
                kind="unit",
            )
        seen.add(other)


class ConversionError(ValueError):
    pass


def convert(
    quantity: Decimal,
    from_unit: str,
    to_unit: str,
    product_unit: str,
    conversions: Sequence[Mapping[str, Any]],
    known: Mapping[str, Unit],
) -> Decimal:
    """Convert a quantity of a product between units.

    The product's own conversions come first (``1 bag = 50 kg`` of cement); otherwise units of
    the same dimension convert by their standard factors (``1 ton = 1000 kg``).
    """
    factors = {str(item["unit"]): Decimal(str(item["factor"])) for item in conversions}

    def to_product_unit(qty: Decimal, unit: str) -> Decimal:
        if unit == product_unit:
            return qty
        if unit in factors:
            return qty * factors[unit]
        for alternative, factor in [(product_unit, Decimal(1)), *factors.items()]:
            if _same_dimension(unit, alternative, known):
                return qty * known[unit].factor / known[alternative].factor * factor
        raise ConversionError(f"cannot convert {unit} to {product_unit} for this product")

    in_product_units = to_product_unit(quantity, from_unit)
    one_target = to_product_unit(Decimal(1), to_unit)
    return in_product_units / one_target


def _same_dimension(first: str, second: str, known: Mapping[str, Unit]) -> bool:
    a, b = known.get(first), known.get(second)
    return a is not None and b is not None and a.dimension == b.dimension and a.dimension in CONVERTIBLE_DIMENSIONS


def known_units(custom: Iterable[Unit]) -> dict[str, Unit]:
    return {**STANDARD_UNITS_BY_CODE, **{unit.code: unit for unit in custom}}


# --- chart of accounts ---------------------------------------------------------------------------


def default_normal_balance(account_type: str) -> str:
    return NORMAL_BALANCE[account_type]


def check_parent(child_type: str, parent_type: str, parent_is_group: bool, field: str = "parent_id") -> None:
    if not parent_is_group:
        raise RuleViolation(
            field, "The parent must be a group account", "মূল হিসাবটি একটি গ্রুপ হিসাব হতে হবে", kind="account"
        )
    if parent_type != child_type:
        raise RuleViolation(
            field,
            f"A {child_type} account must sit under a {child_type} group (the parent is {parent_type})",
            f"{child_type} হিসাব একই ধরনের গ্রুপের অধীনে থাকতে হবে (মূল হিসাবটি {parent_type})",
            kind="account",
        )


def creates_cycle(account_id: Any, new_parent_id: Any, parents: Mapping[Any, Any]) -> bool:
    """True when making ``new_parent_id`` the parent of ``account_id`` would close a loop."""
    seen = set()
    current = new_parent_id
    while current is not None and current not in seen:
        if current == account_id:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


def plain_decimal(value: Decimal) -> Decimal:
    """Without trailing zeros and without an exponent: 500, 0.02 (never 5E+2)."""
    normalized = value.normalize()
    return normalized.quantize(Decimal(1)) if normalized == normalized.to_integral_value() else normalized


def check_price(value: Decimal | None, field: str) -> Decimal | None:
    if value is None:
        return None
    return bd.round_money(value, 2)
