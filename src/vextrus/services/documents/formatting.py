"""How numbers, money, dates and labels appear on a document, per language (pure functions).

Built on :mod:`vextrus.bd`: lakh/crore grouping, Bengali digits, amounts in words. A document's
``language`` is ``en``, ``bn`` or ``bilingual``: Bengali documents use Bengali digits throughout;
bilingual ones print Bengali headings with English beside them and Latin digits (as the NBR's
bilingual forms do), so BINs and totals read the same to every reader and to text extraction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from vextrus import bd

Language = Literal["en", "bn", "bilingual"]
LANGUAGES: tuple[Language, ...] = ("en", "bn", "bilingual")

MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTHS_BN = (
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


def language_of(text: str) -> Language:
    """A stored language code as a :data:`Language` (unknown codes read as English)."""
    for language in LANGUAGES:
        if language == text:
            return language
    return "en"


def bengali_digits(language: Language) -> bool:
    return language == "bn"


def digits(value: object, language: Language) -> str:
    """Any text or number with its digits in the document's script."""
    text = "" if value is None else str(value)
    return bd.to_bengali_digits(text) if bengali_digits(language) else text


def money(value: Decimal | int | str, language: Language, *, symbol: bool = False) -> str:
    """``1,23,45,678.50`` (lakh/crore grouping), ``৳`` on request, Bengali digits for ``bn``."""
    return bd.format_amount(
        value, places=2, grouping="lakh", script="bengali" if bengali_digits(language) else "latin", symbol=symbol
    )


def signed_money(value: Decimal, language: Language) -> str:
    """A balance: ``1,250.00 Dr`` / ``1,250.00 Cr`` (ডেবিট/ক্রেডিট in Bengali)."""
    if value == 0:
        return money(0, language)
    side = ("Dr", "ডে") if value > 0 else ("Cr", "ক্রে")
    return f"{money(abs(value), language)} {side[1] if language == 'bn' else side[0]}"


def quantity(value: Decimal | int, language: Language) -> str:
    """A quantity without needless decimals: ``1,200``, ``2.5``, ``0.125``."""
    text = f"{Decimal(value).normalize():f}"
    sign = "-" if text.startswith("-") else ""
    integer, _, fraction = text.lstrip("-").partition(".")
    grouped = bd.group_digits(integer or "0")
    return digits(f"{sign}{grouped}" + (f".{fraction}" if fraction else ""), language)


def rate(value: Decimal | int, language: Language) -> str:
    """A percentage: ``15%``, ``7.5%``, ``০%``."""
    return digits(f"{Decimal(value).normalize():f}%", language)


def date(value: dt.date | dt.datetime, language: Language) -> str:
    """``15 Jul 2025`` or ``১৫ জুলাই ২০২৫``; an aware datetime by its Dhaka date."""
    day = bd.dhaka_date(value) if isinstance(value, dt.datetime) else value
    if language == "bn":
        return f"{bd.to_bengali_digits(day.day)} {MONTHS_BN[day.month - 1]} {bd.to_bengali_digits(day.year)}"
    return f"{day.day:02d} {MONTHS_EN[day.month - 1]} {day.year}"


def date_time(value: dt.datetime, language: Language) -> str:
    """Date and Dhaka time: ``15 Jul 2025, 14:30`` (``১৫ জুলাই ২০২৫, ১৪:৩০``)."""
    local = bd.to_dhaka(value)
    return f"{date(local.date(), language)}, {digits(local.strftime('%H:%M'), language)}"


def words(value: Decimal | int, language: Language) -> str:
    """The amount in words: English, Bengali, or both (bilingual)."""
    if language == "en":
        return bd.amount_in_words_en(value)
    if language == "bn":
        return bd.amount_in_words_bn(value)
    return f"{bd.amount_in_words_bn(value)} ({bd.amount_in_words_en(value)})"


def label(pair: tuple[str, str], language: Language) -> str:
    """A label as plain text: English, Bengali, or ``বাংলা / English``."""
    english, bengali = pair
    if language == "en":
        return english
    if language == "bn":
        return bengali
    return f"{bengali} / {english}"
