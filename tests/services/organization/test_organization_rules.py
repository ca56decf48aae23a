"""The organization service's pure rules, by tables of cases: identifiers, plan limits, the
tenant lifecycle, places, and the department tree."""

from __future__ import annotations

import itertools

import pytest

from vextrus.services.organization import rules


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("meghna-group", "meghna-group"),
        ("abc", "abc"),
        ("a1-b2-c3", "a1-b2-c3"),
        ("x" * 50, "x" * 50),
        ("padma2024", "padma2024"),
    ],
)
def test_valid_slugs(value: str, expected: str) -> None:
    assert rules.validate_slug(value) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("ab", "invalid_slug"),
        ("x" * 51, "invalid_slug"),
        ("Meghna", "invalid_slug"),
        ("-abc", "invalid_slug"),
        ("abc-", "invalid_slug"),
        ("a--b", "invalid_slug"),
        ("a_b_c", "invalid_slug"),
        ("a.bc", "invalid_slug"),
        ("", "invalid_slug"),
        ("api", "reserved_slug"),
        ("vextrus", "reserved_slug"),
    ],
)
def test_invalid_slugs(value: str, code: str) -> None:
    with pytest.raises(rules.RuleViolation) as error:
        rules.validate_slug(value)
    assert error.value.code == code
    assert error.value.reason_bn


@pytest.mark.parametrize(
    ("value", "digits", "legacy", "display"),
    [
        ("123456789012", "123456789012", False, "1234-5678-9012"),
        ("1234-5678-9012", "123456789012", False, "1234-5678-9012"),
        (" 1234 5678 9012 ", "123456789012", False, "1234-5678-9012"),
        ("1234567890", "1234567890", True, "1234567890"),
        ("১২৩৪৫৬৭৮৯০১২", "123456789012", False, "1234-5678-9012"),  # Bengali digits
    ],
)
def test_valid_tins(value: str, digits: str, legacy: bool, display: str) -> None:
    tin = rules.validate_tin(value)
    assert tin == digits
    assert rules.is_legacy_tin(tin) is legacy
    assert rules.format_tin(tin) == display


@pytest.mark.parametrize(
    "value", ["12345678901", "1234567890123", "12345678901a", "000000000000", "", "----", "123456789"]
)
def test_invalid_tins(value: str) -> None:
    with pytest.raises(rules.RuleViolation) as error:
        rules.validate_tin(value)
    assert error.value.code == "invalid_tin"


@pytest.mark.parametrize(
    ("value", "digits", "display"),
    [
        ("004512789", "004512789", "004512789"),
        ("004512789-0101", "0045127890101", "004512789-0101"),
        ("0045127890101", "0045127890101", "004512789-0101"),
    ],
)
def test_valid_bins(value: str, digits: str, display: str) -> None:
    assert rules.validate_bin(value) == digits
    assert rules.format_bin(digits) == display


@pytest.mark.parametrize(
    "value", ["12345678", "1234567890", "123456789012", "12345678901234", "00451278x", "", "000000000"]
)
def test_invalid_bins(value: str) -> None:
    with pytest.raises(rules.RuleViolation) as error:
        rules.validate_bin(value)
    assert error.value.code == "invalid_bin"


@pytest.mark.parametrize(
    ("company_bin", "suffix", "expected"),
    [
        ("004512789", "0101", "0045127890101"),
        ("0045127890101", "0102", "0045127890102"),  # a 13-digit company BIN: its 9-digit base is used
        (None, "0101", None),
        ("004512789", None, None),
    ],
)
def test_branch_bin(company_bin: str | None, suffix: str | None, expected: str | None) -> None:
    assert rules.branch_bin(company_bin, suffix) == expected


@pytest.mark.parametrize(
    ("suffix", "valid"), [("0101", True), ("9999", True), ("0000", False), ("101", False), ("01a1", False)]
)
def test_bin_suffix(suffix: str, valid: bool) -> None:
    if valid:
        assert rules.validate_bin_suffix(suffix) == suffix
    else:
        with pytest.raises(rules.RuleViolation):
            rules.validate_bin_suffix(suffix)


@pytest.mark.parametrize(
    ("allowed", "current", "adding", "reached"),
    [
        (5, 0, 1, False),
        (5, 4, 1, False),
        (5, 5, 1, True),
        (1, 1, 1, True),
        (3, 1, 2, False),
        (3, 2, 2, True),
        (3, 9, 0, False),  # adding nothing never trips a limit, even above it
    ],
)
def test_limits(allowed: int, current: int, adding: int, reached: bool) -> None:
    if reached:
        with pytest.raises(rules.LimitReached) as error:
            rules.check_limit("max_users", allowed, current, adding)
        assert error.value.allowed == allowed
    else:
        rules.check_limit("max_users", allowed, current, adding)


def test_plans_grow_monotonically() -> None:
    plans = list(rules.PLANS.values())
    for smaller, larger in itertools.pairwise(plans):
        assert smaller.max_users < larger.max_users
        assert smaller.max_companies <= larger.max_companies


@pytest.mark.parametrize(
    ("current", "action", "result"),
    [
        ("active", "suspend", "suspended"),
        ("suspended", "reactivate", "active"),
        ("active", "close", "closed"),
        ("suspended", "close", "closed"),
        ("suspended", "suspend", None),
        ("active", "reactivate", None),
        ("closed", "reactivate", None),
        ("closed", "suspend", None),
        ("closed", "close", None),
    ],
)
def test_lifecycle(current: str, action: str, result: str | None) -> None:
    if result is None:
        with pytest.raises(rules.RuleViolation) as error:
            rules.next_status(current, action)
        assert error.value.code == "invalid_transition"
    else:
        assert rules.next_status(current, action) == result


@pytest.mark.parametrize(
    ("district", "division", "expected", "code"),
    [
        ("Dhaka", None, ("Dhaka", "Dhaka"), None),
        ("dhaka", "DHAKA", ("Dhaka", "Dhaka"), None),
        ("Chittagong", None, ("Chattogram", "Chattogram"), None),
        ("Comilla", "Chattogram", ("Cumilla", "Chattogram"), None),
        ("Cox's Bazar", None, ("Cox's Bazar", "Chattogram"), None),
        ("Bogra", None, ("Bogura", "Rajshahi"), None),
        (None, "Sylhet", (None, "Sylhet"), None),
        ("চট্টগ্রাম", None, ("Chattogram", "Chattogram"), None),
        (None, None, (None, None), None),
        ("Gazipur", "Chattogram", None, "district_not_in_division"),
        ("Atlantis", None, None, "unknown_district"),
        ("Dhaka", "Narnia", None, "unknown_division"),
    ],
)
def test_places(district, division, expected, code) -> None:
    if code is None:
        assert rules.resolve_place(district, division) == expected
    else:
        with pytest.raises(rules.RuleViolation) as error:
            rules.resolve_place(district, division)
        assert error.value.code == code


@pytest.mark.parametrize(
    ("parents", "node", "new_parent", "cycle"),
    [
        ({"a": None, "b": "a", "c": "b"}, "c", "a", False),
        ({"a": None, "b": "a", "c": "b"}, "a", "c", True),
        ({"a": None, "b": "a"}, "a", "a", True),
        ({"a": None, "b": "a"}, "b", None, False),
        ({"a": "b", "b": "a", "c": None}, "c", "a", False),  # an existing loop elsewhere does not hang
    ],
)
def test_department_cycles(parents, node, new_parent, cycle: bool) -> None:
    assert rules.creates_cycle(parents, node, new_parent) is cycle


@pytest.mark.parametrize(("value", "code"), [("rajuk", "RAJUK"), (" CDA ", "CDA"), ("KDA", "KDA"), ("RDA", "RDA")])
def test_regulatory_bodies(value: str, code: str) -> None:
    assert rules.validate_regulatory_body(value) == code


def test_unknown_regulatory_body() -> None:
    with pytest.raises(rules.RuleViolation):
        rules.validate_regulatory_body("NASA")
