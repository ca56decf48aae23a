"""Every built-in template rendered through the API with its example data, stored in file storage,
downloaded through the link, and checked with poppler: every page is A4, the text holds the key
fields (BINs, document numbers, challan numbers, totals in lakh/crore), and the first page turns
into a PNG. The Mushak-6.3 in Bengali carries Bengali digits."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest
from documents_support import BASE, Docs, is_a4, page_sizes, pdf_png, pdf_text

from vextrus.services.documents.builtins import BUILTINS

# Fields each document must show (bilingual: Latin digits), checked by hand against the examples.
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "mushak-6.3": (
        "004512789-0101",  # seller's BIN
        "004567891-0001",  # buyer's BIN
        "MBL/2025-26/000123",  # challan number
        "DHAKA METRO-TA 11-2345",  # vehicle
        "29,92,250.00",  # value before taxes
        "91,112.50",  # supplementary duty
        "4,51,254.38",  # VAT: 15% of 10,20,000 + 15% of (18,22,250 + 91,112.50) + 7.5% of 1,50,000
        "35,34,616.88",  # total including all duties and taxes
        "Thirty Five Lakh Thirty Four Thousand Six Hundred Sixteen",
        "Tax Invoice",
    ),
    "mushak-6.6": (
        "MBL/VDS/2025-26/000045",
        "004512789-0101",
        "001987654-0101",
        "TC-2025-12-0004471",  # treasury challan
        "1-1133-0000-0311",  # VAT economic code
        "4,27,532.61",  # VAT deducted in all
        "KSM/2025-26/004598",
    ),
    "mushak-6.7": ("Credit Note", "MBL/CN/2025-26/000017", "MBL/2025-26/000123", "004512789-0101", "97,750.00"),
    "mushak-6.8": ("Debit Note", "MBL/DN/2025-26/000017", "MBL/2025-26/000123", "004567891-0001", "31,912.50"),
    "purchase-order": ("Purchase Order", "PO-2025-26-000311", "002233445-0101", "11,94,000.00", "Eleven Lakh"),
    "payment-voucher": ("Payment Voucher", "PV-2025-26-001204", "CHQ 4471203", "2,77,532.61", "17,76,208.69"),
    "customer-statement": ("Statement of Account", "C-0042", "1,25,000.00 Dr", "35,000.00 Dr", "4,10,000.00"),
}


@pytest.mark.parametrize("key", list(BUILTINS))
async def test_each_builtin_renders_to_a4_with_its_key_fields(
    docs: Docs, tenant: uuid.UUID, key: str, tmp_path: Path
) -> None:
    builtin = BUILTINS[key]
    response = await docs.render(tenant, {"template": key, "data": builtin.example(), "mode": "sync"})
    assert response.status_code == 201, response.text
    document = response.json()
    assert response.headers["location"] == f"{BASE}/{document['id']}"
    assert (document["status"], document["mode"], document["source"], document["format"]) == (
        "done",
        "sync",
        "builtin",
        "pdf",
    )
    assert document["language"] == "bilingual"
    assert document["reference"] == builtin.reference(builtin.model.model_validate(builtin.example()))
    assert document["filename"].endswith(".pdf")
    assert document["file_id"]
    assert document["link"]["url"]

    download = await docs.download(document["link"]["url"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/pdf"
    path = tmp_path / f"{key}.pdf"
    path.write_bytes(download.content)
    assert download.content[:5] == b"%PDF-"
    assert len(download.content) == document["size"]

    sizes = page_sizes(path)
    assert len(sizes) == document["pages"] >= 1
    assert all(is_a4(size) for size in sizes), sizes
    text = " ".join(pdf_text(path).split())
    for expected in KEY_FIELDS[key]:
        assert expected in text, f"{key}: {expected!r} missing from the PDF text"
    image = pdf_png(path)
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert image.stat().st_size > 10_000


async def test_mushak_6_3_in_bengali_uses_bengali_digits(docs: Docs, tenant: uuid.UUID, tmp_path: Path) -> None:
    builtin = BUILTINS["mushak-6.3"]
    response = await docs.render(tenant, {"template": "mushak-6.3", "language": "bn", "data": builtin.example()})
    assert response.status_code == 201, response.text
    path = tmp_path / "bn.pdf"
    path.write_bytes((await docs.download(response.json()["link"]["url"])).content)
    text = pdf_text(path)
    assert "০০৪৫১২৭৮৯-০১০১" in text  # the seller's BIN in Bengali digits
    assert "৩৫,৩৪,৬১৬.৮৮" in text  # the total, lakh grouping, Bengali digits
    assert "35,34,616.88" not in text
    assert all(is_a4(size) for size in page_sizes(path))


async def test_a_long_invoice_flows_onto_more_a4_pages(docs: Docs, tenant: uuid.UUID, tmp_path: Path) -> None:
    data = BUILTINS["mushak-6.3"].example()
    data["lines"] = [dict(data["lines"][index % 3], description=f"Item {index + 1}") for index in range(36)]
    response = await docs.render(tenant, {"template": "mushak-6.3", "data": data, "mode": "sync"})
    assert response.status_code == 201, response.text
    path = tmp_path / "long.pdf"
    path.write_bytes((await docs.download(response.json()["link"]["url"])).content)
    sizes = page_sizes(path)
    assert len(sizes) >= 2
    assert all(is_a4(size) for size in sizes)
    assert "Item 36" in pdf_text(path)


async def test_the_customer_statement_as_xlsx(docs: Docs, tenant: uuid.UUID) -> None:
    from openpyxl import load_workbook

    example = BUILTINS["customer-statement"].example()
    response = await docs.render(tenant, {"template": "customer-statement", "format": "xlsx", "data": example})
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["filename"].endswith(".xlsx")
    download = await docs.download(document["link"]["url"])
    assert download.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(download.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Meghna Builders Ltd."
    assert "হিসাব বিবরণী" in str(rows[1][0])
    balances = [row[5] for row in rows if row and isinstance(row[5], (int, float))]
    assert balances[0] == 125000  # opening
    assert balances[-1] == 35000  # closing = 1,25,000 + 4,10,000 - 5,00,000
    assert len([row for row in rows if row and str(row[1] or "").startswith(("INV-", "MR-"))]) == 6
