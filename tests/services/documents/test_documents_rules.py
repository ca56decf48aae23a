"""The data each built-in template accepts (a clear 422 naming the field otherwise), the figures it
computes, and how amounts, dates and labels are written per language: tables of cases, through the
API where the rule is the API's and as pure functions where it is not."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from documents_support import Docs

from vextrus.services.documents import formatting as fmt
from vextrus.services.documents.builtins import BUILTINS, TaxLine


def example(key: str, **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(BUILTINS[key].example())
    for path, value in changes.items():
        target: Any = data
        parts = path.split("__")
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        last = parts[-1]
        if value is _DELETE:
            del target[last]
        elif last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("key", "changes", "field"),
    [
        ("mushak-6.3", {"seller__bin": "12345"}, "body.data.seller.bin"),
        ("mushak-6.3", {"seller__bin": _DELETE}, "body.data.seller.bin"),
        ("mushak-6.3", {"lines": []}, "body.data.lines"),
        ("mushak-6.3", {"lines__0__quantity": "-2"}, "body.data.lines.0.quantity"),
        ("mushak-6.3", {"lines__1__unit_price": 98500.123}, "body.data.lines.1.unit_price"),
        ("mushak-6.3", {"lines__2__vat_rate": "150"}, "body.data.lines.2.vat_rate"),
        ("mushak-6.3", {"issued_at": "2025-11-20T10:30:00"}, "body.data.issued_at"),  # naive time
        ("mushak-6.3", {"challan_number": ""}, "body.data.challan_number"),
        ("mushak-6.3", {"colour": "red"}, "body.data.colour"),
        ("mushak-6.3", {"totals": {"vat": "451254.00"}}, "body.data"),  # stated VAT differs
        ("mushak-6.6", {"lines__0__vat_deducted": "300000.00"}, "body.data.lines.0"),
        ("mushak-6.6", {"treasury_challan__amount": "1.00"}, "body.data"),
        ("mushak-6.6", {"treasury_challan__account_code": "1133"}, "body.data.treasury_challan.account_code"),
        ("mushak-6.7", {"original_challan_date": "2026-01-01"}, "body.data"),
        ("purchase-order", {"delivery_date": "2025-10-01"}, "body.data"),
        ("payment-voucher", {"cheque_number": _DELETE}, "body.data"),
        ("payment-voucher", {"method": "barter"}, "body.data.method"),
        ("customer-statement", {"entries__0__date": "2026-03-01"}, "body.data"),
        ("customer-statement", {"period_to": "2025-01-01"}, "body.data"),
    ],
)
async def test_invalid_data_is_a_422_naming_the_field(
    docs: Docs, tenant: uuid.UUID, key: str, changes: dict[str, Any], field: str
) -> None:
    response = await docs.render(tenant, {"template": key, "data": example(key, **changes)})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_failed"
    assert field in [item["field"] for item in body["errors"]], body["errors"]
    listing = await docs.client.get("/api/v1/documents", headers=docs.headers(tenant))
    assert listing.json()["items"] == []  # nothing rendered, nothing stored


async def test_stated_totals_that_match_are_accepted(docs: Docs, tenant: uuid.UUID) -> None:
    data = example("mushak-6.3", totals={"value": "2992250.00", "sd": "91112.50", "vat": "451254.38"})
    assert (await docs.render(tenant, {"template": "mushak-6.3", "data": data})).status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"template": "mushak-9.9", "data": {}}, 404, None),
        ({"template": "mushak-6.3", "version": 2, "data": {}}, 404, None),
        ({"template": "mushak-6.3", "format": "xlsx", "data": example("mushak-6.3")}, 422, "body.format"),
        ({"template": "mushak-6.3", "language": "fr", "data": {}}, 422, "body.language"),
        ({"template": "Bad Key", "data": {}}, 422, "body.template"),
        ({"template": "mushak-6.3"}, 422, "body.data"),
    ],
)
async def test_bad_requests(
    docs: Docs, tenant: uuid.UUID, body: dict[str, Any], status: int, field: str | None
) -> None:
    response = await docs.render(tenant, body)
    assert response.status_code == status, response.text
    if field:
        assert field in [item["field"] for item in response.json()["errors"]]


async def test_a_large_document_is_not_rendered_synchronously_on_request(docs: Docs, tenant: uuid.UUID) -> None:
    data = BUILTINS["customer-statement"].example(entries=120)
    response = await docs.render(tenant, {"template": "customer-statement", "data": data, "mode": "sync"})
    assert response.status_code == 422
    assert response.json()["code"] == "too_large_for_sync"


@pytest.mark.parametrize(
    ("quantity", "price", "sd", "vat", "expected"),
    [
        ("1", "100.00", "0", "15", ("100.00", "0.00", "15.00", "115.00")),
        ("18.5", "98500.00", "5", "15", ("1822250.00", "91112.50", "287004.38", "2200366.88")),
        ("3", "33.33", "0", "7.5", ("99.99", "0.00", "7.50", "107.49")),  # 7.4993 rounds half up to 7.50
        ("0.125", "1000.00", "10", "0", ("125.00", "12.50", "0.00", "137.50")),
        ("1", "0.10", "0", "5", ("0.10", "0.00", "0.01", "0.11")),  # 0.005 rounds up
    ],
)
def test_tax_line_figures(quantity: str, price: str, sd: str, vat: str, expected: tuple[str, ...]) -> None:
    line = TaxLine(description="x", unit="pcs", quantity=quantity, unit_price=price, sd_rate=sd, vat_rate=vat)
    figures = line.figures()
    assert tuple(str(figures[key]) for key in ("value", "sd", "vat", "total")) == expected


@pytest.mark.parametrize(
    ("function", "value", "language", "expected"),
    [
        (fmt.money, Decimal("12345678.5"), "en", "1,23,45,678.50"),
        (fmt.money, Decimal("12345678.5"), "bilingual", "1,23,45,678.50"),
        (fmt.money, Decimal("12345678.5"), "bn", "১,২৩,৪৫,৬৭৮.৫০"),
        (fmt.signed_money, Decimal("-1250"), "en", "1,250.00 Cr"),
        (fmt.signed_money, Decimal("1250"), "bn", "১,২৫০.০০ ডে"),
        (fmt.quantity, Decimal("1200.000"), "en", "1,200"),
        (fmt.quantity, Decimal("18.50"), "bn", "১৮.৫"),
        (fmt.rate, Decimal("7.50"), "en", "7.5%"),
        (fmt.rate, Decimal("15"), "bn", "১৫%"),
        (fmt.date, dt.date(2025, 7, 1), "en", "01 Jul 2025"),
        (fmt.date, dt.date(2025, 12, 16), "bn", "১৬ ডিসেম্বর ২০২৫"),
        (fmt.date, dt.datetime(2025, 6, 30, 20, 0, tzinfo=dt.UTC), "en", "01 Jul 2025"),  # Dhaka's date
        (fmt.date_time, dt.datetime(2025, 11, 20, 4, 30, tzinfo=dt.UTC), "bn", "২০ নভেম্বর ২০২৫, ১০:৩০"),
        (fmt.words, Decimal("115000"), "en", "Taka One Lakh Fifteen Thousand only"),
        (fmt.words, Decimal("115000"), "bn", "এক লক্ষ পনের হাজার টাকা মাত্র"),
        (fmt.label, ("Tax Invoice", "কর চালানপত্র"), "bilingual", "কর চালানপত্র / Tax Invoice"),
    ],
)
def test_how_documents_write_numbers_dates_and_labels(function: Any, value: Any, language: str, expected: str) -> None:
    assert function(value, language) == expected
