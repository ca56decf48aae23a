"""Bengali digits, lakh/crore grouping, taka formatting and parsing: tables and round trips."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vextrus.bd import (
    InvalidAmount,
    format_amount,
    format_taka,
    group_digits,
    parse_amount,
    round_money,
    to_bengali_digits,
    to_latin_digits,
)

amounts = st.decimals(
    min_value=Decimal("-1e15"), max_value=Decimal("1e15"), places=2, allow_nan=False, allow_infinity=False
)


@pytest.mark.parametrize(
    ("latin", "bengali"),
    [("0123456789", "০১২৩৪৫৬৭৮৯"), ("BIN 123-45", "BIN ১২৩-৪৫"), ("", ""), ("৳1,000.50", "৳১,০০০.৫০")],
)
def test_digits_both_ways(latin: str, bengali: str) -> None:
    assert to_bengali_digits(latin) == bengali
    assert to_latin_digits(bengali) == latin


def test_digits_of_numbers() -> None:
    assert to_bengali_digits(2025) == "২০২৫"
    assert to_bengali_digits(Decimal("12.50")) == "১২.৫০"


@given(st.text())
def test_digit_conversion_round_trips(text: str) -> None:
    latin_only = to_latin_digits(text)
    assert not any(char in "০১২৩৪৫৬৭৮৯" for char in latin_only)
    assert to_latin_digits(to_bengali_digits(latin_only)) == latin_only
    assert to_bengali_digits(to_latin_digits(to_bengali_digits(text))) == to_bengali_digits(text)


@pytest.mark.parametrize(
    ("digits", "lakh", "international"),
    [
        ("0", "0", "0"),
        ("999", "999", "999"),
        ("1000", "1,000", "1,000"),
        ("100000", "1,00,000", "100,000"),
        ("1234567", "12,34,567", "1,234,567"),
        ("10000000", "1,00,00,000", "10,000,000"),
        ("12345678", "1,23,45,678", "12,345,678"),
        ("1000000000", "1,00,00,00,000", "1,000,000,000"),
    ],
)
def test_grouping(digits: str, lakh: str, international: str) -> None:
    assert group_digits(digits) == lakh
    assert group_digits(digits, "international") == international


@given(st.integers(min_value=0, max_value=10**20))
def test_grouping_keeps_the_digits_and_the_lakh_shape(number: int) -> None:
    grouped = group_digits(str(number))
    assert grouped.replace(",", "") == str(number)
    groups = grouped.split(",")
    assert len(groups[-1]) == min(3, len(str(number)))
    assert all(len(group) == 2 for group in groups[1:-1])
    assert 1 <= len(groups[0]) <= 3


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (Decimal("12345678.5"), {}, "1,23,45,678.50"),
        (Decimal("12345678.5"), {"symbol": True}, "৳1,23,45,678.50"),
        (Decimal("12345678.5"), {"symbol": True, "script": "bengali"}, "৳১,২৩,৪৫,৬৭৮.৫০"),
        (Decimal("12345678.5"), {"grouping": "international"}, "12,345,678.50"),
        (Decimal("0.005"), {}, "0.01"),
        (Decimal("2.675"), {}, "2.68"),
        (Decimal("-1234.5"), {"symbol": True}, "-৳1,234.50"),
        (Decimal("-0.001"), {}, "0.00"),
        (100000, {"places": 0}, "1,00,000"),
        ("99999.999", {}, "1,00,000.00"),
        ("১২৩৪.৫", {}, "1,234.50"),
    ],
)
def test_format_amount(value, kwargs, expected) -> None:
    assert format_amount(value, **kwargs) == expected


def test_format_taka() -> None:
    assert format_taka(Decimal("115000")) == "৳1,15,000.00"
    assert format_taka(Decimal("115000"), bengali=True) == "৳১,১৫,০০০.০০"


@pytest.mark.parametrize("value", [1.5, float("nan"), True, None, Decimal("Infinity"), "abc"])
def test_floats_and_non_numbers_are_refused(value) -> None:
    with pytest.raises(InvalidAmount):
        format_amount(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("৳1,23,45,678.50", "12345678.50"),
        ("৳১,২৩,৪৫,৬৭৮.৫০", "12345678.50"),
        ("1,234,567.5", "1234567.5"),
        ("Tk 1,500", "1500"),
        ("Tk. 1,500/-", "1500"),
        ("BDT 2500.75", "2500.75"),
        ("১৫০০ টাকা", "1500"),
        ("-500", "-500"),
        ("-৳1,234.50", "-1234.50"),
        ("  42 ", "42"),
        (".5", "0.5"),
    ],
)
def test_parse_amount(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "৳", "abc", "1,2,3", "12,34,5", "1.2.3", "--5", "5-", "1e5", "NaN", "১২ক"])
def test_parse_amount_refuses_junk(text: str) -> None:
    with pytest.raises(InvalidAmount):
        parse_amount(text)


@given(
    amounts,
    st.sampled_from(["lakh", "international"]),
    st.sampled_from(["latin", "bengali"]),
    st.booleans(),
)
def test_format_then_parse_round_trips(value: Decimal, grouping, script, symbol: bool) -> None:
    text = format_amount(value, grouping=grouping, script=script, symbol=symbol)
    assert parse_amount(text) == value


@given(st.decimals(min_value=-(10**12), max_value=10**12, allow_nan=False, allow_infinity=False))
def test_round_money_is_half_up_to_the_paisa(value: Decimal) -> None:
    rounded = round_money(value)
    assert rounded.as_tuple().exponent == -2
    assert abs(rounded - value) <= Decimal("0.005")
