"""Amounts in words, as printed on Bangladeshi invoices and cheques, using lakh and crore.

>>> amount_in_words_en("115000")
'Taka One Lakh Fifteen Thousand only'
>>> amount_in_words_bn("115000")
'এক লক্ষ পনের হাজার টাকা মাত্র'

Above 99 crore the number of crores is itself spelled with lakh and thousand
(``1,00,000 crore`` is "One Lakh Crore"). Bengali numbers 0-99 each have their own word; the
spellings follow common cheque usage (এগার, বার, পনের, ...).
"""

from __future__ import annotations

from typing import Literal

from vextrus.bd.numerals import AmountLike, InvalidAmount, round_money


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_EN_UNITS = _words(
    "Zero One Two Three Four Five Six Seven Eight Nine Ten Eleven Twelve Thirteen Fourteen Fifteen "
    "Sixteen Seventeen Eighteen Nineteen"
)
_EN_TENS = _words("_ _ Twenty Thirty Forty Fifty Sixty Seventy Eighty Ninety")

# 0-99: Bengali has a distinct word for every number below one hundred.
_BN_0_99 = _words(
    "শূন্য এক দুই তিন চার পাঁচ ছয় সাত আট নয় "
    "দশ এগার বার তের চৌদ্দ পনের ষোল সতের আঠার উনিশ "
    "বিশ একুশ বাইশ তেইশ চব্বিশ পঁচিশ ছাব্বিশ সাতাশ আঠাশ ঊনত্রিশ "
    "ত্রিশ একত্রিশ বত্রিশ তেত্রিশ চৌত্রিশ পঁয়ত্রিশ ছত্রিশ সাঁইত্রিশ আটত্রিশ ঊনচল্লিশ "
    "চল্লিশ একচল্লিশ বিয়াল্লিশ তেতাল্লিশ চুয়াল্লিশ পঁয়তাল্লিশ ছেচল্লিশ সাতচল্লিশ আটচল্লিশ ঊনপঞ্চাশ "
    "পঞ্চাশ একান্ন বায়ান্ন তিপ্পান্ন চুয়ান্ন পঞ্চান্ন ছাপ্পান্ন সাতান্ন আটান্ন ঊনষাট "
    "ষাট একষট্টি বাষট্টি তেষট্টি চৌষট্টি পঁয়ষট্টি ছেষট্টি সাতষট্টি আটষট্টি ঊনসত্তর "
    "সত্তর একাত্তর বাহাত্তর তিয়াত্তর চুয়াত্তর পঁচাত্তর ছিয়াত্তর সাতাত্তর আটাত্তর ঊনআশি "
    "আশি একাশি বিরাশি তিরাশি চুরাশি পঁচাশি ছিয়াশি সাতাশি অষ্টাশি ঊননব্বই "
    "নব্বই একানব্বই বিরানব্বই তিরানব্বই চুরানব্বই পঁচানব্বই ছিয়ানব্বই সাতানব্বই আটানব্বই নিরানব্বই"
)
assert len(_BN_0_99) == 100

CRORE = 10_000_000
LAKH = 100_000
THOUSAND = 1_000
HUNDRED = 100

_EN_SCALE = {"crore": "Crore", "lakh": "Lakh", "thousand": "Thousand", "hundred": "Hundred"}
_BN_SCALE = {"crore": "কোটি", "lakh": "লক্ষ", "thousand": "হাজার", "hundred": "শত"}


def _en_below_100(number: int) -> str:
    if number < 20:
        return _EN_UNITS[number]
    tens, units = divmod(number, 10)
    return _EN_TENS[tens] + (f" {_EN_UNITS[units]}" if units else "")


def _spell(number: int, en: bool) -> list[str]:
    """Words of a positive integer in the lakh/crore system (without the word for zero)."""

    scale = _EN_SCALE if en else _BN_SCALE

    def small(value: int) -> str:
        return _en_below_100(value) if en else _BN_0_99[value]

    words: list[str] = []
    crores, rest = divmod(number, CRORE)
    if crores:
        words += [*_spell(crores, en), scale["crore"]]
    lakhs, rest = divmod(rest, LAKH)
    if lakhs:
        words += [small(lakhs), scale["lakh"]]
    thousands, rest = divmod(rest, THOUSAND)
    if thousands:
        words += [small(thousands), scale["thousand"]]
    hundreds, rest = divmod(rest, HUNDRED)
    if hundreds:
        words += [small(hundreds), scale["hundred"]]
    if rest:
        words.append(small(rest))
    return words


def number_in_words_en(number: int) -> str:
    """A non-negative integer in English words with lakh and crore: 115000 → "One Lakh Fifteen Thousand"."""
    if number < 0:
        raise ValueError("only non-negative numbers are spelled")
    return " ".join(_spell(number, True)) if number else _EN_UNITS[0]


def number_in_words_bn(number: int) -> str:
    """A non-negative integer in Bengali words: 115000 → "এক লক্ষ পনের হাজার"."""
    if number < 0:
        raise ValueError("only non-negative numbers are spelled")
    return " ".join(_spell(number, False)) if number else _BN_0_99[0]


def _split(value: AmountLike) -> tuple[int, int]:
    amount = round_money(value, 2)
    if amount < 0:
        raise InvalidAmount("amounts in words are for non-negative amounts")
    taka = int(amount)
    paisa = int((amount - taka) * 100)
    return taka, paisa


def amount_in_words_en(value: AmountLike) -> str:
    """Spell an amount: "Taka One Lakh Fifteen Thousand only"; with paisa "Taka Ten and Fifty Paisa only";
    below one taka "Fifty Paisa only". Rounded half up to the paisa first."""
    taka, paisa = _split(value)
    if taka == 0 and paisa:
        return f"{number_in_words_en(paisa)} Paisa only"
    text = f"Taka {number_in_words_en(taka)}"
    if paisa:
        text += f" and {number_in_words_en(paisa)} Paisa"
    return text + " only"


def amount_in_words_bn(value: AmountLike) -> str:
    """Spell an amount in Bengali: "এক লক্ষ পনের হাজার টাকা মাত্র"; with paisa "দশ টাকা পঞ্চাশ পয়সা মাত্র"."""
    taka, paisa = _split(value)
    if taka == 0 and paisa:
        return f"{number_in_words_bn(paisa)} পয়সা মাত্র"
    text = f"{number_in_words_bn(taka)} টাকা"
    if paisa:
        text += f" {number_in_words_bn(paisa)} পয়সা"
    return text + " মাত্র"


def amount_in_words(value: AmountLike, language: Literal["en", "bn"] = "en") -> str:
    return amount_in_words_bn(value) if language == "bn" else amount_in_words_en(value)


__all__ = [
    "amount_in_words",
    "amount_in_words_bn",
    "amount_in_words_en",
    "number_in_words_bn",
    "number_in_words_en",
]
