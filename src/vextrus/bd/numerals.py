"""Bengali digits, South Asian (lakh/crore) grouping, and taka amounts as text.

Amounts are :class:`~decimal.Decimal` (or ``int``/``str`` holding an exact number); a ``float`` is
refused: money is never binary floating point. Rounding is half up, to 2 places unless told.

>>> format_amount(Decimal("12345678.5"))
'1,23,45,678.50'
>>> format_taka(Decimal("12345678.5"), bengali=True)
'৳১,২৩,৪৫,৬৭৮.৫০'
>>> parse_amount("৳১,২৩,৪৫,৬৭৮.৫০")
Decimal('12345678.50')
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal

LATIN_DIGITS = "0123456789"
BENGALI_DIGITS = "০১২৩৪৫৬৭৮৯"
TAKA_SIGN = "৳"

Grouping = Literal["lakh", "international"]
Script = Literal["latin", "bengali"]
AmountLike = Decimal | int | str

_TO_BENGALI = str.maketrans(LATIN_DIGITS, BENGALI_DIGITS)
_TO_LATIN = str.maketrans(BENGALI_DIGITS, LATIN_DIGITS)


class InvalidAmount(ValueError):
    """Text that is not an amount, or a value that is not an exact number."""


def to_bengali_digits(value: str | int | Decimal) -> str:
    """Replace the digits 0-9 by ০-৯; every other character is kept."""
    text = value if isinstance(value, str) else str(value)
    return text.translate(_TO_BENGALI)


def to_latin_digits(text: str) -> str:
    """Replace the digits ০-৯ by 0-9; every other character is kept."""
    return text.translate(_TO_LATIN)


def to_decimal(value: AmountLike) -> Decimal:
    """An exact Decimal from a Decimal, int or numeric string (Bengali digits allowed); floats refused."""
    if isinstance(value, (bool, float)):
        raise InvalidAmount("amounts must be Decimal, int or str, never float or bool")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(to_latin_digits(value.strip()))
        except InvalidOperation:
            raise InvalidAmount(f"{value!r} is not a number") from None
    else:
        raise InvalidAmount(f"{type(value).__name__} is not an amount")
    if not result.is_finite():
        raise InvalidAmount("amounts must be finite")
    return result


def round_money(value: AmountLike, places: int = 2) -> Decimal:
    """Round half up to ``places`` decimals (the line-level rule for tax in Bangladesh)."""
    return to_decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def group_digits(digits: str, grouping: Grouping = "lakh") -> str:
    """Insert commas into a string of integer digits.

    ``lakh``: the last three digits, then groups of two (1,00,00,000); ``international``: groups of
    three (10,000,000).
    """
    if not digits.isdigit() or not digits.isascii():
        raise InvalidAmount(f"{digits!r} is not a string of digits")
    if grouping == "international":
        head_length = len(digits) % 3 or 3
        groups = [digits[:head_length]] + [digits[i : i + 3] for i in range(head_length, len(digits), 3)]
        return ",".join(groups)
    if len(digits) <= 3:
        return digits
    head, tail = digits[:-3], digits[-3:]
    first = len(head) % 2 or 2
    groups = [head[:first]] + [head[i : i + 2] for i in range(first, len(head), 2)]
    return ",".join([*groups, tail])


def format_amount(
    value: AmountLike,
    *,
    places: int = 2,
    grouping: Grouping = "lakh",
    script: Script = "latin",
    symbol: bool = False,
) -> str:
    """``12345678.5`` → ``1,23,45,678.50``; with ``symbol`` ``৳1,23,45,678.50``; Bengali digits on request."""
    if places < 0:
        raise ValueError("places must be >= 0")
    amount = round_money(value, places)
    sign = "-" if amount < 0 else ""
    text = f"{abs(amount):.{places}f}"
    integer, _, fraction = text.partition(".")
    result = group_digits(integer, grouping) + (f".{fraction}" if places else "")
    if sign and set(result) <= set("0,."):
        sign = ""  # -0.00 is 0.00
    result = f"{sign}{TAKA_SIGN if symbol else ''}{result}"
    return to_bengali_digits(result) if script == "bengali" else result


def format_taka(value: AmountLike, *, bengali: bool = False, places: int = 2, grouping: Grouping = "lakh") -> str:
    """A taka amount for display: ``৳1,23,45,678.50`` or ``৳১,২৩,৪৫,৬৭৮.৫০``."""
    return format_amount(value, places=places, grouping=grouping, script="bengali" if bengali else "latin", symbol=True)


# The currency markers people type around an amount.
_CURRENCY = re.compile(r"(?i)^(?:৳|tk\.?|bdt|taka|টাকা)\s*|\s*(?:৳|tk\.?|bdt|taka|টাকা|/-)$")
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{2,3})*|\d+)(?:\.\d+)?$|^[+-]?\.\d+$")


def parse_amount(text: str) -> Decimal:
    """An exact amount from what a person types or reads: ``৳1,23,456.50``, ``Tk 1,234``,
    ``১,২৩,৪৫৬.৫০ টাকা``, ``-500``, ``1234.5/-``. Commas may group in lakh or international style.

    Raises :class:`InvalidAmount` for anything else.
    """
    if not isinstance(text, str):
        raise InvalidAmount("parse_amount takes text")
    cleaned = to_latin_digits(text).strip().replace("\u00a0", " ")
    sign = ""
    if cleaned[:1] in "+-" and cleaned:
        sign, cleaned = cleaned[0], cleaned[1:].strip()
    previous = None
    while previous != cleaned:
        previous = cleaned
        cleaned = _CURRENCY.sub("", cleaned).strip()
    if cleaned[:1] in "+-" and cleaned and not sign:
        sign, cleaned = cleaned[0], cleaned[1:].strip()
    if not cleaned or not _NUMBER.match(cleaned) or cleaned[:1] in "+-":
        raise InvalidAmount(f"{text!r} is not an amount")
    return Decimal(sign + cleaned.replace(",", ""))
