"""Amounts in words, English and Bengali, with lakh and crore."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vextrus.bd import (
    InvalidAmount,
    amount_in_words,
    amount_in_words_bn,
    amount_in_words_en,
    number_in_words_bn,
    number_in_words_en,
)


@pytest.mark.parametrize(
    ("value", "english", "bengali"),
    [
        ("115000", "Taka One Lakh Fifteen Thousand only", "এক লক্ষ পনের হাজার টাকা মাত্র"),
        ("0", "Taka Zero only", "শূন্য টাকা মাত্র"),
        ("1", "Taka One only", "এক টাকা মাত্র"),
        ("21", "Taka Twenty One only", "একুশ টাকা মাত্র"),
        ("100", "Taka One Hundred only", "এক শত টাকা মাত্র"),
        ("1000", "Taka One Thousand only", "এক হাজার টাকা মাত্র"),
        ("99999", "Taka Ninety Nine Thousand Nine Hundred Ninety Nine only", None),
        ("100000", "Taka One Lakh only", "এক লক্ষ টাকা মাত্র"),
        ("10000000", "Taka One Crore only", "এক কোটি টাকা মাত্র"),
        ("25000000", "Taka Two Crore Fifty Lakh only", "দুই কোটি পঞ্চাশ লক্ষ টাকা মাত্র"),
        (
            "12345678.50",
            "Taka One Crore Twenty Three Lakh Forty Five Thousand Six Hundred Seventy Eight and Fifty Paisa only",
            "এক কোটি তেইশ লক্ষ পঁয়তাল্লিশ হাজার ছয় শত আটাত্তর টাকা পঞ্চাশ পয়সা মাত্র",
        ),
        ("115000.05", "Taka One Lakh Fifteen Thousand and Five Paisa only", "এক লক্ষ পনের হাজার টাকা পাঁচ পয়সা মাত্র"),
        ("0.50", "Fifty Paisa only", "পঞ্চাশ পয়সা মাত্র"),
        ("10.005", "Taka Ten and One Paisa only", "দশ টাকা এক পয়সা মাত্র"),
        ("1000000000", "Taka One Hundred Crore only", "এক শত কোটি টাকা মাত্র"),
        ("1000000000000", "Taka One Lakh Crore only", "এক লক্ষ কোটি টাকা মাত্র"),
        ("৭৮", "Taka Seventy Eight only", "আটাত্তর টাকা মাত্র"),
    ],
)
def test_amount_in_words(value: str, english: str, bengali: str | None) -> None:
    assert amount_in_words_en(value) == english
    assert amount_in_words(Decimal(value.replace("৭৮", "78"))) == english
    if bengali is not None:
        assert amount_in_words_bn(value) == bengali
        assert amount_in_words(value, "bn") == bengali


@pytest.mark.parametrize(
    ("number", "bengali"),
    [(11, "এগার"), (15, "পনের"), (29, "ঊনত্রিশ"), (46, "ছেচল্লিশ"), (57, "সাতান্ন"), (88, "অষ্টাশি"), (99, "নিরানব্বই")],
)
def test_bengali_numbers_below_one_hundred(number: int, bengali: str) -> None:
    assert number_in_words_bn(number) == bengali


def test_every_bengali_number_below_one_hundred_is_one_distinct_word() -> None:
    words = [number_in_words_bn(number) for number in range(100)]
    assert len(set(words)) == 100
    assert all(" " not in word for word in words)


@pytest.mark.parametrize("value", ["-1", Decimal("-0.01"), 1.5])
def test_negative_and_float_amounts_are_refused(value) -> None:
    with pytest.raises(InvalidAmount):
        amount_in_words_en(value)


_EN_VALUES = {
    word: number
    for number, word in enumerate(
        [
            "Zero",
            "One",
            "Two",
            "Three",
            "Four",
            "Five",
            "Six",
            "Seven",
            "Eight",
            "Nine",
            "Ten",
            "Eleven",
            "Twelve",
            "Thirteen",
            "Fourteen",
            "Fifteen",
            "Sixteen",
            "Seventeen",
            "Eighteen",
            "Nineteen",
        ]
    )
} | {
    word: 10 * (index + 2)
    for index, word in enumerate(["Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety"])
}
_EN_SCALES = {"Hundred": 100, "Thousand": 1_000, "Lakh": 100_000}


def read_english(words: str) -> int:
    """Independent reader of the lakh/crore words (the test's oracle)."""
    total, group = 0, 0
    for word in words.split():
        if word in _EN_VALUES:
            group += _EN_VALUES[word]
        elif word == "Crore":
            total = (total + group) * 10_000_000
            group = 0
        else:
            total += group * _EN_SCALES[word]
            group = 0
    return total + group


@given(st.integers(min_value=0, max_value=10**15))
def test_english_words_read_back_to_the_number(number: int) -> None:
    assert read_english(number_in_words_en(number)) == number


@given(st.integers(min_value=0, max_value=10**15))
def test_bengali_words_use_the_same_structure_as_english(number: int) -> None:
    english, bengali = number_in_words_en(number).split(), number_in_words_bn(number).split()
    scales = {"Crore": "কোটি", "Lakh": "লক্ষ", "Thousand": "হাজার", "Hundred": "শত"}
    assert [scales[word] for word in english if word in scales] == [word for word in bengali if word in scales.values()]
    assert not any(char.isdigit() for char in number_in_words_bn(number))
