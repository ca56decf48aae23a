"""Identifier validators: one table of cases per rule, and the ``validate`` dispatcher."""

from __future__ import annotations

import datetime as dt

import pytest

from vextrus.bd import (
    KINDS,
    ValidationResult,
    validate,
    validate_bin,
    validate_nid,
    validate_postal_code,
    validate_routing_number,
    validate_tin,
    validate_trade_licence,
)


def check(result: ValidationResult, valid: bool, normalized: str | None, formatted: str | None, code: str | None):
    assert (result.valid, result.normalized, result.formatted, result.code) == (valid, normalized, formatted, code)
    if not valid or code is not None:
        # Every refusal or flag explains itself in both languages.
        assert result.reason
        assert result.reason_bn
        assert result.reason != result.reason_bn


@pytest.mark.parametrize(
    ("value", "valid", "normalized", "formatted", "code"),
    [
        ("123456789012", True, "123456789012", "1234-5678-9012", None),
        ("1234-5678-9012", True, "123456789012", "1234-5678-9012", None),
        (" 1234 5678 9012 ", True, "123456789012", "1234-5678-9012", None),
        ("১২৩৪-৫৬৭৮-৯০১২", True, "123456789012", "1234-5678-9012", None),
        ("1234567890", True, "1234567890", "1234567890", "legacy_tin"),
        ("12345678901", False, None, None, "wrong_length"),
        ("1234567890123", False, None, None, "wrong_length"),
        ("12345", False, None, None, "wrong_length"),
        ("1234-5678-901X", False, None, None, "not_digits"),
        ("TIN 123456789012", False, None, None, "not_digits"),
        ("000000000000", False, None, None, "all_zeros"),
        ("", False, None, None, "empty"),
        ("   ", False, None, None, "empty"),
    ],
)
def test_tin(value, valid, normalized, formatted, code) -> None:
    result = validate_tin(value)
    check(result, valid, normalized, formatted, code)
    assert result.kind == "tin"
    assert result.value == value
    if valid:
        assert result.details["legacy"] is (code == "legacy_tin")


@pytest.mark.parametrize(
    ("value", "valid", "normalized", "formatted", "branch", "code"),
    [
        ("123456789", True, "123456789", "123456789", None, None),
        ("000123456", True, "000123456", "000123456", None, None),
        ("1234567890101", True, "1234567890101", "123456789-0101", "0101", None),
        ("123456789-0101", True, "1234567890101", "123456789-0101", "0101", None),
        ("১২৩৪৫৬৭৮৯-০১০১", True, "1234567890101", "123456789-0101", "0101", None),
        ("0000000000101", False, None, None, None, "all_zeros"),
        ("12345678", False, None, None, None, "wrong_length"),
        ("12345678901", False, None, None, None, "wrong_length"),
        ("123456789-01", False, None, None, None, "wrong_length"),
        ("12345678A", False, None, None, None, "not_digits"),
        ("", False, None, None, None, "empty"),
    ],
)
def test_bin(value, valid, normalized, formatted, branch, code) -> None:
    result = validate_bin(value)
    check(result, valid, normalized, formatted, code)
    if valid:
        assert result.details == {"base": normalized[:9], "branch": branch}


TODAY = dt.date(2025, 11, 24)


@pytest.mark.parametrize(
    ("value", "valid", "format_", "birth_year", "code"),
    [
        ("1234567890", True, "smart_card", None, None),
        ("123 456 7890", True, "smart_card", None, None),
        ("1234567890123", True, "old_13", None, None),
        ("19851234567890123", True, "old_17", 1985, None),
        ("19001234567890123", True, "old_17", 1900, None),
        ("20251234567890123", True, "old_17", 2025, None),
        ("18991234567890123", False, None, 1899, "implausible_birth_year"),
        ("20261234567890123", False, None, 2026, "implausible_birth_year"),
        ("00001234567890123", False, None, 0, "implausible_birth_year"),
        ("123456789", False, None, None, "wrong_length"),
        ("123456789012", False, None, None, "wrong_length"),
        ("1234567890123456", False, None, None, "wrong_length"),
        ("12345678901234567890", False, None, None, "wrong_length"),
        ("12345abcde", False, None, None, "not_digits"),
        ("0000000000", False, None, None, "all_zeros"),
    ],
)
def test_nid(value, valid, format_, birth_year, code) -> None:
    result = validate_nid(value, today=TODAY)
    digits = "".join(value.split())
    check(result, valid, digits if valid else None, digits if valid else None, code)
    if valid:
        assert result.details == {"format": format_, "birth_year": birth_year}
    elif code == "implausible_birth_year":
        assert result.details["birth_year"] == birth_year


def test_nid_birth_year_is_checked_against_the_current_year() -> None:
    this_year = dt.date.today().year
    assert validate_nid(f"{this_year - 1}1234567890123").valid
    assert not validate_nid(f"{this_year + 2}1234567890123").valid


@pytest.mark.parametrize(
    ("value", "valid", "code"),
    [
        ("1000", True, None),
        ("1207", True, None),
        ("৪০০০", True, None),
        ("9100", True, None),
        ("0123", False, "leading_zero"),
        ("100", False, "wrong_length"),
        ("10000", False, "wrong_length"),
        ("12a4", False, "not_digits"),
        ("0000", False, "all_zeros"),
        ("", False, "empty"),
    ],
)
def test_postal_code(value, valid, code) -> None:
    result = validate_postal_code(value)
    expected = value.replace("৪০০০", "4000") if valid else None
    check(result, valid, expected, expected, code)


@pytest.mark.parametrize(
    ("value", "valid", "code"),
    [
        ("085260728", True, None),
        ("085-260-728", True, None),
        ("08526072", False, "wrong_length"),
        ("0852607281", False, "wrong_length"),
        ("08526O728", False, "not_digits"),
        ("000000000", False, "all_zeros"),
    ],
)
def test_routing_number(value, valid, code) -> None:
    result = validate_routing_number(value)
    check(result, valid, "085260728" if valid else None, "085260728" if valid else None, code)
    if valid:
        assert result.details == {"bank_code": "085", "district_code": "26", "branch_code": "072", "check_digit": "8"}


@pytest.mark.parametrize(
    ("value", "valid", "normalized"),
    [
        ("DNCC/2024/0012345", True, "DNCC/2024/0012345"),
        ("  tl-05 1234  ", True, "TL-05 1234"),
        ("০৫৬৭৮৯", True, "056789"),
        ("AB", False, None),
        ("", False, None),
        ("TL#1234", False, None),
        ("X" * 51, False, None),
    ],
)
def test_trade_licence(value, valid, normalized) -> None:
    result = validate_trade_licence(value)
    assert (result.valid, result.normalized) == (valid, normalized)


@pytest.mark.parametrize(
    ("kind", "value", "valid"),
    [
        ("tin", "123456789012", True),
        ("bin", "123456789", True),
        ("nid", "1234567890", True),
        ("mobile", "01712345678", True),
        ("postal_code", "1000", True),
        ("routing_number", "085260728", True),
        ("trade_licence", "DSCC-123", True),
        ("tin", "12", False),
    ],
)
def test_validate_dispatches_by_kind(kind, value, valid) -> None:
    result = validate(kind, value)
    assert result.kind == kind
    assert result.valid is valid
    body = result.as_dict()
    assert set(body) == {"kind", "value", "valid", "normalized", "formatted", "code", "reason", "reason_bn", "details"}


def test_validate_lists_its_kinds_and_refuses_unknown_ones() -> None:
    assert set(KINDS) >= {"tin", "bin", "nid", "mobile", "postal_code"}
    with pytest.raises(KeyError, match="unknown kind"):
        validate("passport", "X")
