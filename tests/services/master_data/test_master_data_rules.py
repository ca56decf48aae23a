"""The master-data rules as pure functions, with tables of cases."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from vextrus.services.master_data import rules
from vextrus.services.master_data.catalogue import BANGLADESH_COA_TEMPLATE, STANDARD_UNITS_BY_CODE, Unit

UNITS = rules.known_units([Unit("truckload", "Truck load", "ট্রাক লোড", "volume", Decimal("14.158423296"))])
CEMENT = [{"unit": "kg", "factor": "0.02"}, {"unit": "ton", "factor": "20"}]
ROD = [{"unit": "rft", "factor": "0.0002707"}, {"unit": "pcs", "factor": "0.01083"}]


@pytest.mark.parametrize(
    ("current", "action", "expected"),
    [
        ("pending", "approve", "approved"),
        ("pending", "blacklist", "blacklisted"),
        ("approved", "blacklist", "blacklisted"),
        ("blacklisted", "reinstate", "pending"),
        ("approved", "approve", None),
        ("blacklisted", "approve", None),
        ("blacklisted", "blacklist", None),
        ("pending", "reinstate", None),
        ("approved", "reinstate", None),
        ("pending", "delete", None),
    ],
)
def test_vendor_approval_transitions(current: str, action: str, expected: str | None) -> None:
    assert rules.next_approval_status(current, action) == expected


@pytest.mark.parametrize(
    ("quantity", "source", "target", "product_unit", "conversions", "expected"),
    [
        ("2", "ton", "bag", "bag", CEMENT, "40"),
        ("100", "kg", "bag", "bag", CEMENT, "2"),
        ("1", "maund", "bag", "bag", CEMENT, "0.746484"),
        ("3", "bag", "kg", "bag", CEMENT, "150"),
        ("1", "ton", "kg", "ton", ROD, "1000"),
        ("1000", "rft", "ton", "ton", ROD, "0.2707"),
        ("100", "pcs", "ton", "ton", ROD, "1.083"),
        ("10", "ft", "rft", "ton", ROD, "10"),
        ("1", "cum", "cft", "cft", [], "35.31466672148859"),
        ("1", "truckload", "cft", "cft", [], "500"),
        ("1", "sqm", "sft", "sft", [], "10.76391041670972"),
        ("1", "katha", "sft", "sft", [], "720"),
        ("1", "day", "hour", "day", [], "8"),
    ],
)
def test_conversions(quantity, source, target, product_unit, conversions, expected) -> None:
    result = rules.convert(Decimal(quantity), source, target, product_unit, conversions, UNITS)
    assert abs(result - Decimal(expected)) < Decimal("1e-9"), result


@pytest.mark.parametrize(
    ("source", "target", "product_unit", "conversions"),
    [("cft", "bag", "bag", CEMENT), ("bag", "kg", "kg", []), ("trip", "job", "trip", []), ("sft", "kg", "kg", [])],
)
def test_impossible_conversions(source, target, product_unit, conversions) -> None:
    with pytest.raises(rules.ConversionError):
        rules.convert(Decimal(1), source, target, product_unit, conversions, UNITS)


def test_cycles() -> None:
    a, b, c, d = (uuid.uuid4() for _ in range(4))
    parents = {a: None, b: a, c: b, d: None}
    assert rules.creates_cycle(a, c, parents)
    assert rules.creates_cycle(a, a, parents)
    assert not rules.creates_cycle(c, d, parents)
    assert not rules.creates_cycle(d, c, parents)
    assert not rules.creates_cycle(b, None, parents)


@pytest.mark.parametrize(
    ("text", "code"),
    [("c-0001", "C-0001"), ("  mat.rod/12_w ", "MAT.ROD/12_W"), ("1110", "1110")],
)
def test_codes(text: str, code: str) -> None:
    assert rules.normalize_code(text) == code


@pytest.mark.parametrize("text", ["", "-A", "C 1", "C#1", "কোড", "X" * 41])
def test_bad_codes(text: str) -> None:
    with pytest.raises(rules.RuleViolation):
        rules.normalize_code(text)


@pytest.mark.parametrize(
    ("value", "digits", "formatted"),
    [
        ("2523.29.00", "25232900", "2523.29.00"),
        ("721420", "721420", "7214.20"),
        ("২৫২৩ ২৯০০", "25232900", "2523.29.00"),
    ],
)
def test_hs_codes(value: str, digits: str, formatted: str) -> None:
    assert rules.normalize_hs_code(value) == digits
    assert rules.format_hs_code(digits) == formatted


@pytest.mark.parametrize(
    ("kind", "category", "vat", "reason", "hs", "field"),
    [
        ("goods", "cement", "STANDARD", None, "25232900", None),
        ("service", "labour", "STANDARD", None, None, None),
        ("goods", "other_goods", "EXEMPT", "First Schedule", None, None),
        ("goods", "labour", "STANDARD", None, None, "category"),
        ("service", "cement", "STANDARD", None, None, "category"),
        ("goods", "cement", "EXEMPT", None, None, "exemption_reason"),
        ("goods", "cement", "ZERO", "export", None, "exemption_reason"),
        ("service", "transport", "STANDARD", None, "25232900", "hs_code"),
    ],
)
def test_product_rules(kind, category, vat, reason, hs, field) -> None:
    if field is None:
        rules.check_product(kind, category, vat, reason, hs)
    else:
        with pytest.raises(rules.RuleViolation) as error:
            rules.check_product(kind, category, vat, reason, hs)
        assert error.value.field == field


@pytest.mark.parametrize(
    ("address", "district", "division"),
    [
        ({"line1": "x", "district": "Comilla"}, "BD-08", "BD-B"),
        ({"line1": "x", "district": "ময়মনসিংহ", "division": "Mymensingh"}, "BD-34", "BD-H"),
        ({"line1": "x", "division": "Sylhet"}, None, "BD-G"),
        ({"line1": "x", "country": "in", "district": "Kolkata"}, "Kolkata", None),
    ],
)
def test_addresses(address, district, division) -> None:
    result = rules.normalize_address(address, "address")
    assert result is not None
    assert (result.get("district"), result.get("division")) == (district, division)


@pytest.mark.parametrize(
    ("value", "number", "kind"),
    [
        ("01711-234567", "+8801711234567", "mobile"),
        ("02-9881234", "+88029881234", "fixed"),
        ("+44 20 7946 0958", "+442079460958", "fixed"),
    ],
)
def test_phones(value: str, number: str, kind: str) -> None:
    phone = rules.normalize_phone(value, "phones.0")
    assert (phone["number"], phone["type"]) == (number, kind)


def test_contractors_need_a_tin_and_licences_expire() -> None:
    with pytest.raises(rules.RuleViolation):
        rules.check_vendor("contractor", None)
    rules.check_vendor("contractor", "556789012345")
    rules.check_vendor("supplier", None)
    from datetime import date

    assert rules.trade_licence_expired(date(2025, 6, 30), date(2025, 7, 1))
    assert not rules.trade_licence_expired(date(2025, 6, 30), date(2025, 6, 30))
    assert not rules.trade_licence_expired(None, date(2025, 7, 1))


def test_the_template_is_a_consistent_tree() -> None:
    codes = {item.code: item for item in BANGLADESH_COA_TEMPLATE}
    roots = [item.code for item in BANGLADESH_COA_TEMPLATE if item.parent is None]
    assert roots == ["1000", "2000", "3000", "4000", "5000"]
    for item in BANGLADESH_COA_TEMPLATE:
        if item.parent:
            assert codes[item.parent].group
            assert codes[item.parent].type == item.type
        assert item.name_bn
    assert "cft" in STANDARD_UNITS_BY_CODE
