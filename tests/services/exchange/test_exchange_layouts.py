"""The file layouts as tables of cases: how cells are read, headers matched, rows built, errors
placed on columns, and records written back (pure functions)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from vextrus.services.exchange.layouts import (
    LAYOUTS,
    CellError,
    HeaderError,
    cell_text,
    cell_value,
    column_for_field,
    dedupe_key,
    describe,
    export_text,
    export_value,
    map_header,
    parse_row,
)

PRODUCTS, CUSTOMERS, VENDORS, ACCOUNTS = (LAYOUTS[name] for name in ("products", "customers", "vendors", "accounts"))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("  MAT-1 ", "MAT-1"),
        (1161, "1161"),
        (1161.0, "1161"),
        (0.1, "0.1"),
        (545.5, "545.5"),
        (True, "true"),
        (dt.datetime(2026, 12, 31), "2026-12-31"),
        (dt.datetime(2026, 12, 31, 10, 30), "2026-12-31T10:30:00"),
        (dt.date(2026, 7, 1), "2026-07-01"),
    ],
)
def test_cell_text(value: Any, text: str) -> None:
    assert cell_text(value) == text


@pytest.mark.parametrize(
    ("layout", "key", "value", "expected"),
    [
        (PRODUCTS, "purchase_price", "৫১০", "510"),
        (PRODUCTS, "purchase_price", "1,25,000.50", "125000.50"),
        (PRODUCTS, "purchase_price", "৳ 1,200", "1200"),
        (PRODUCTS, "purchase_price", 510.25, "510.25"),
        (PRODUCTS, "sale_price", "abc", "abc"),  # master data says what is wrong
        (CUSTOMERS, "payment_terms_days", 45.0, "45"),
        (CUSTOMERS, "payment_terms_days", "৩০", "30"),
        (ACCOUNTS, "is_group", "হ্যাঁ", True),
        (ACCOUNTS, "is_group", "No", False),
        (ACCOUNTS, "is_group", 1, True),
        (ACCOUNTS, "is_group", True, True),
        (ACCOUNTS, "is_group", "maybe", "maybe"),
        (VENDORS, "trade_licence_expiry", "31/12/2026", "2026-12-31"),
        (VENDORS, "trade_licence_expiry", "১/৭/২০২৬", "2026-07-01"),
        (VENDORS, "trade_licence_expiry", "2026-12-31", "2026-12-31"),
        (VENDORS, "trade_licence_expiry", dt.datetime(2027, 6, 30), "2027-06-30"),
        (VENDORS, "trade_licence_expiry", "next year", "next year"),
        (CUSTOMERS, "phones", "01711-234567; 02-9551234\n01811234567", ["01711-234567", "02-9551234", "01811234567"]),
        (
            PRODUCTS,
            "conversions",
            "ton=20; KG = 0.02",
            [{"unit": "ton", "factor": "20"}, {"unit": "kg", "factor": "0.02"}],
        ),
        (PRODUCTS, "conversions", "ton = ২০", [{"unit": "ton", "factor": "20"}]),
        (PRODUCTS, "code", 1161.0, "1161"),
    ],
)
def test_cell_values(layout: Any, key: str, value: Any, expected: Any) -> None:
    assert cell_value(layout.column(key), value) == expected


@pytest.mark.parametrize("value", ["ton20", "=20", "ton=", "ton=20; kg"])
def test_malformed_conversions(value: str) -> None:
    with pytest.raises(CellError) as error:
        cell_value(PRODUCTS.column("conversions"), value)
    assert "unit=factor" in error.value.reason
    assert "একক=গুণক" in error.value.reason_bn


@pytest.mark.parametrize(
    ("cells", "columns", "ignored"),
    [
        (["code", "name", "unit"], ["code", "name", "unit"], []),
        (["Code", "Name BN", "Purchase Price", "HS-code"], ["code", "name_bn", "purchase_price", "hs_code"], []),
        (["কোড (এসকেইউ)", "নাম", "একক"], ["code", "name", "unit"], []),
        (["code *", "sale_price (৳)", "colour"], ["code", "sale_price"], ["colour"]),
        (["code", None, "", "name"], ["code", "name"], []),
        (["code", "import_status", "import_errors"], ["code"], []),
        (["code", "id", "version"], ["code", "id", "version"], []),
    ],
)
def test_headers(cells: list[Any], columns: list[str], ignored: list[str]) -> None:
    header = map_header(PRODUCTS, cells)
    assert [column.key for column in header.columns] == columns
    assert list(header.ignored) == ignored


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        (["name", "unit"], "'code' column"),
        (["code", "name", "Code"], "appears twice"),
        ([], "'code' column"),
    ],
)
def test_bad_headers(cells: list[Any], reason: str) -> None:
    with pytest.raises(HeaderError) as error:
        map_header(PRODUCTS, cells)
    assert reason in error.value.reason


def test_label_row_is_recognized() -> None:
    header = map_header(CUSTOMERS, ["code", "name", "tin"])
    assert header.is_label_row(["কোড", "নাম", "ই-টিআইএন"])
    assert header.is_label_row(["কোড", "নাম", ""])
    assert not header.is_label_row(["C-1", "Rupayan", "361452987013"])
    assert not header.is_label_row([None, None])


def test_rows_become_api_bodies_with_nested_objects() -> None:
    header = map_header(
        VENDORS,
        [
            "code",
            "name",
            "address_line1",
            "address_district",
            "bank_name",
            "bank_routing_number",
            "wallet_provider",
            "wallet_number",
            "contact_name",
            "phones",
            "id",
            "extra",
        ],
    )
    parsed = parse_row(
        header,
        [
            "V-1",
            "Sand Co",
            "Ghat Road",
            "Cumilla",
            "Sonali",
            "200270522",
            "bkash",
            "01811",
            "Rahim",
            "0171; 0181",
            "b8d6b1d2-0000-0000-0000-000000000000",
            "x",
        ],
    )
    assert parsed.values == {
        "code": "V-1",
        "name": "Sand Co",
        "address": {"line1": "Ghat Road", "district": "Cumilla"},
        "bank_account": {"bank_name": "Sonali", "routing_number": "200270522"},
        "mobile_wallets": [{"provider": "bkash", "number": "01811"}],
        "contact_persons": [{"name": "Rahim"}],
        "phones": ["0171", "0181"],
    }
    assert parse_row(header, ["V-1", "  ", None]).values == {"code": "V-1"}  # blanks are left out
    assert parse_row(header, []).blank


def test_products_name_accounts_by_code_and_report_cell_errors() -> None:
    header = map_header(PRODUCTS, ["code", "purchase_account", "sale_account", "conversions"])
    parsed = parse_row(header, ["P-1", 1161, "4300", "bag"])
    assert parsed.values == {"code": "P-1", "purchase_account_code": "1161", "sale_account_code": "4300"}
    assert parsed.errors[0][0] == "conversions"


@pytest.mark.parametrize(
    ("layout", "field", "column"),
    [
        (CUSTOMERS, "tin", "tin"),
        (CUSTOMERS, "billing_address.district", "billing_district"),
        (CUSTOMERS, "billing_address.division", "billing_district"),  # derived from the district
        (CUSTOMERS, "billing_address.country", "billing_line1"),  # no column: the address's first
        (CUSTOMERS, "billing_address", "billing_line1"),
        (CUSTOMERS, "shipping_address.postal_code", "shipping_postal_code"),
        (CUSTOMERS, "phones.1", "phones"),
        (CUSTOMERS, "phones", "phones"),
        (CUSTOMERS, "contact_persons.0.phone", "contact_phone"),
        (VENDORS, "bank_account.routing_number", "bank_routing_number"),
        (VENDORS, "mobile_wallets.0.number", "wallet_number"),
        (PRODUCTS, "conversions.0.factor", "conversions"),
        (PRODUCTS, "purchase_account_id", "purchase_account"),
        (PRODUCTS, "sale_account_code", "sale_account"),
        (ACCOUNTS, "parent_id", "parent_code"),
        (ACCOUNTS, "parent_code", "parent_code"),
        (PRODUCTS, "", "row"),
        (PRODUCTS, "colour", "colour"),
    ],
)
def test_errors_land_on_columns(layout: Any, field: str, column: str) -> None:
    assert column_for_field(layout, field) == column


def test_describe_in_both_languages() -> None:
    english, bengali = describe(CUSTOMERS, [("tin", "wrong length", "ভুল দৈর্ঘ্য"), ("phones.0", "not a phone", None)])
    assert english == "tin: wrong length; phones: not a phone"
    assert bengali == "tin: ভুল দৈর্ঘ্য; phones: not a phone"


@pytest.mark.parametrize(
    ("values", "key"),
    [({"code": " c-1 "}, "C-1"), ({"code": ""}, None), ({}, None), ({"code": 7}, None)],
)
def test_dedupe_key(values: dict[str, Any], key: str | None) -> None:
    assert dedupe_key(values) == key


def test_records_are_written_back_in_the_template_columns() -> None:
    record = {
        "code": "P-1",
        "conversions": [{"unit": "ton", "factor": "20"}, {"unit": "kg", "factor": "0.02"}],
        "sale_price": "545.50",
        "purchase_account_id": "a1",
        "phones": [{"number": "+8801711234567", "formatted": "+880 1711-234567"}],
        "version": 3,
    }
    assert export_value(PRODUCTS.column("conversions"), record, {}) == "ton=20; kg=0.02"
    assert export_value(PRODUCTS.column("sale_price"), record, {}) == Decimal("545.50")
    assert export_value(PRODUCTS.column("purchase_account"), record, {"a1": "1161"}) == "1161"
    assert export_value(PRODUCTS.column("sale_account"), record, {"a1": "1161"}) is None
    assert export_value(CUSTOMERS.column("phones"), record, {}) == "+8801711234567"
    assert export_value(CUSTOMERS.column("billing_district"), record, {}) is None
    assert export_value(VENDORS.column("trade_licence_expiry"), {"trade_licence_expiry": "2026-12-31"}, {}) == dt.date(
        2026, 12, 31
    )
    assert [export_text(value) for value in (None, True, dt.date(2026, 1, 2), Decimal("1.50"), 3)] == [
        "",
        "true",
        "2026-01-02",
        "1.50",
        "3",
    ]


def test_every_layout_has_a_code_column_and_unique_keys() -> None:
    for layout in LAYOUTS.values():
        keys = [column.key for column in layout.columns]
        assert keys[0] == "code"
        assert len(keys) == len(set(keys))
        labels = [column.label_bn for column in layout.columns]
        assert len(labels) == len(set(labels)), layout.entity
