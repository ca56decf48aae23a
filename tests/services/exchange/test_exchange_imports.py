"""Imports end to end over HTTP: template, upload, dry run with its result file, commit, idempotent
re-commit, XLSX, every entity, and the file conventions (Bengali digits, label row, blanks)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from exchange_support import (
    BASE,
    IMPORTER,
    XLSX,
    commit,
    csv_bytes,
    dry_run,
    events_of,
    read_csv,
    read_xlsx,
    records,
    result_rows,
    upload,
    wait_for,
    xlsx_bytes,
)

PRODUCT_HEADER = [
    "code",
    "name",
    "name_bn",
    "category",
    "unit",
    "conversions",
    "hs_code",
    "purchase_price",
    "sale_price",
    "vat_rate_code",
]
PRODUCT_LABELS = [
    "কোড (এসকেইউ)",
    "নাম",
    "নাম (বাংলা)",
    "শ্রেণি",
    "একক",
    "একক রূপান্তর",
    "এইচএস কোড",
    "ক্রয়মূল্য",
    "বিক্রয়মূল্য",
    "ভ্যাট হার",
]


def product_rows() -> list[list[str]]:
    return [
        PRODUCT_HEADER,
        PRODUCT_LABELS,
        [
            "MAT-CEM-PCC",
            "PCC cement, 50 kg bag",
            "পিসিসি সিমেন্ট",
            "cement",
            "bag",
            "ton=20; kg=0.02",
            "2523.29.00",
            "৫১০",
            "545.50",
            "",
        ],
        ["mat-rod-500", "MS rod 500W", "এমএস রড", "steel", "ton", "kg=0.001", "7214.20.00", "1,25,000.50", "", ""],
        ["", "", "", "", "", "", "", "", "", ""],
        ["MAT-SAND", "Sylhet sand", "সিলেট বালু", "sand", "cft", "", "", "55", "62", ""],
        ["MAT-BAD", "Bad unit", "", "cement", "parsec", "", "", "10", "", ""],
        ["MAT-CEM-PCC", "Twice", "", "cement", "bag", "", "", "1", "", ""],
        ["MAT-CONV", "Bad conversions", "", "cement", "bag", "ton20", "", "1", "", ""],
        ["MAT-EXEMPT", "Rice", "চাল", "other_goods", "kg", "", "", "60", "", "EXEMPT"],
    ]


async def test_products_dry_run_result_file_commit_and_idempotent_recommit(platform, client, tenant) -> None:
    headers = platform.headers(tenant, IMPORTER)
    job = await upload(client, headers, "products", csv_bytes(product_rows()), file_name="C:\\data\\products.csv")
    assert (job["status"], job["mode"], job["file_format"], job["file_name"]) == (
        "queued",
        "dry_run",
        "csv",
        "products.csv",
    )
    assert job["counts"]["total"] == 8  # data rows after the header and the label row (blank included)
    assert "conversions" in job["columns"]
    assert job["ignored_columns"] == []

    dry = await wait_for(client, headers, job["id"])
    assert (dry["status"], dry["progress"], dry["error"]) == ("succeeded", 100, None)
    assert dry["counts"] == {"total": 8, "processed": 7, "created": 3, "updated": 0, "unchanged": 0, "invalid": 4}
    assert dry["result_url"] == f"{BASE}/jobs/{job['id']}/result"
    assert await records(client, headers, "products") == []  # a dry run changes nothing

    rows = await result_rows(client, headers, job["id"])
    assert rows[0] == [*PRODUCT_HEADER, "import_row", "import_status", "import_errors", "import_errors_bn"]
    by_code: dict[str, list] = {}
    for row in rows[1:]:
        by_code.setdefault(row[0], row)
    assert [row[10] for row in rows[1:]] == [3, 4, 6, 7, 8, 9, 10]  # file row numbers; label and blank rows left out
    assert by_code["MAT-CEM-PCC"][11] == "will create"
    assert by_code["MAT-BAD"][11] == "rejected"
    assert by_code["MAT-BAD"][12].startswith("unit: Unknown unit")
    assert "অজানা একক" in by_code["MAT-BAD"][13]
    duplicate = rows[5]
    assert duplicate[12] == "code: the code MAT-CEM-PCC is also on row 3 of this file"
    assert by_code["MAT-CONV"][12].startswith("conversions: write unit=factor pairs")
    assert by_code["MAT-EXEMPT"][12].startswith("exemption_reason: An exempt product needs the reason")

    done = await commit(client, headers, job["id"])
    assert (done["status"], done["mode"], done["source_job_id"]) == ("succeeded", "commit", job["id"])
    assert (done["counts"]["created"], done["counts"]["invalid"]) == (3, 4)
    stored = {item["code"]: item for item in await records(client, headers, "products")}
    assert sorted(stored) == ["MAT-CEM-PCC", "MAT-ROD-500", "MAT-SAND"]
    assert stored["MAT-CEM-PCC"]["purchase_price"] == "510.00"  # Bengali digits
    assert stored["MAT-ROD-500"]["purchase_price"] == "125000.50"  # lakh grouping
    assert stored["MAT-CEM-PCC"]["conversions"] == [{"unit": "ton", "factor": "20"}, {"unit": "kg", "factor": "0.02"}]
    assert stored["MAT-SAND"]["sale_price"] == "62.00"

    again = await commit(client, headers, job["id"])
    assert (again["counts"]["created"], again["counts"]["unchanged"], again["counts"]["invalid"]) == (0, 3, 4)
    after = {item["code"]: item for item in await records(client, headers, "products")}
    assert after == stored  # re-running the same file changes nothing (versions included)
    commit_rows = await result_rows(client, headers, again["id"])
    assert {row[11] for row in commit_rows[1:]} == {"unchanged", "rejected"}

    jobs = (await client.get(f"{BASE}/jobs", headers=headers)).json()["items"]
    assert [item["id"] for item in jobs] == [again["id"], done["id"], job["id"]]  # newest first
    kinds = [(event["type"], event["data"]["mode"]) for event in await events_of(platform, tenant)]
    assert kinds == [
        ("exchange.job.started", "dry_run"),
        ("exchange.job.completed", "dry_run"),
        ("exchange.job.started", "commit"),
        ("exchange.job.completed", "commit"),
        ("exchange.job.started", "commit"),
        ("exchange.job.completed", "commit"),
    ]
    completed = (await events_of(platform, tenant))[3]["data"]
    assert completed["counts"]["created"] == 3
    assert completed["status"] == "succeeded"


async def test_a_fixed_result_file_can_be_uploaded_again(platform, client, tenant) -> None:
    """The result file keeps the original columns: fix the rejected rows in it and upload it."""
    headers = platform.headers(tenant, IMPORTER)
    first = await dry_run(client, headers, "products", csv_bytes(product_rows()))
    rows = await result_rows(client, headers, first["id"])
    fixed = [rows[0]]
    for row in rows[1:]:
        if row[0] == "MAT-BAD":
            row[4] = "bag"
        if row[0] == "MAT-EXEMPT":
            row[9] = "ZERO"
        fixed.append(row)
    second = await dry_run(client, headers, "products", xlsx_bytes(fixed), content_type=XLSX)
    assert second["ignored_columns"] == []  # import_* columns are the result's own, silently ignored
    assert (second["counts"]["created"], second["counts"]["invalid"]) == (5, 2)  # the duplicate and conversions


async def test_xlsx_with_typed_cells(platform, client, tenant) -> None:
    """Numbers, dates and booleans as Excel stores them; Bengali headers are recognized too."""
    headers = platform.headers(tenant, IMPORTER)
    vendors = xlsx_bytes(
        [
            [
                "কোড",
                "নাম",
                "ধরন",
                "ই-টিআইএন",
                "ট্রেড লাইসেন্সের মেয়াদ",
                "phones",
                "payment_terms_days",
                "wallet_provider",
                "wallet_number",
                "Remarks",
            ],
            [
                "V-001",
                "Meghna Sand Traders",
                "supplier",
                361452987013,
                dt.datetime(2027, 6, 30),
                "01711-234567; 01811234567",
                45.0,
                "bkash",
                "01911-234567",
                "keep",
            ],
            ["V-002", "Padma Contractors", "contractor", None, "31/12/2026", None, 30, None, None, None],
        ],
        title="vendors",
    )
    job = await dry_run(client, headers, "vendors", vendors, content_type=XLSX, file_name="vendors.xlsx")
    assert job["file_format"] == "xlsx"
    assert job["ignored_columns"] == ["Remarks"]
    assert (job["counts"]["created"], job["counts"]["invalid"]) == (1, 1)
    rows = await result_rows(client, headers, job["id"])
    assert rows[2][-2].startswith("tin: ")  # contractors need a TIN
    done = await commit(client, headers, job["id"])
    assert done["counts"]["created"] == 1
    (vendor,) = await records(client, headers, "vendors")
    assert (vendor["tin"], vendor["trade_licence_expiry"], vendor["payment_terms_days"]) == (
        "361452987013",
        "2027-06-30",
        45,
    )
    assert [phone["number"] for phone in vendor["phones"]] == ["+8801711234567", "+8801811234567"]
    assert vendor["mobile_wallets"][0]["number"] == "+8801911234567"
    assert vendor["approval_status"] == "pending"


async def test_customers_with_addresses_and_contacts(platform, client, tenant) -> None:
    headers = platform.headers(tenant, IMPORTER)
    content = csv_bytes(
        [
            [
                "code",
                "name",
                "kind",
                "billing_line1",
                "billing_district",
                "billing_postal_code",
                "credit_limit",
                "contact_name",
                "contact_phone",
                "status",
            ],
            [
                "C-001",
                "Rupayan Housing",
                "corporate",
                "House 12, Road 7",
                "কুমিল্লা",
                "3500",
                "5,00,000",
                "Rahim",
                "01711234567",
                "active",
            ],
            ["C-002", "Nowhere Ltd", "corporate", "Road 1", "Atlantis", "", "", "", "", ""],
            ["C-003", "No street", "corporate", "", "Dhaka", "", "", "", "", "dormant"],
        ],
        delimiter=";",
    )
    job = await dry_run(client, headers, "customers", content)
    rows = await result_rows(client, headers, job["id"])
    assert rows[1][-3] == "will create"
    assert rows[2][-2].startswith("billing_district: ")
    assert "billing_line1: " in rows[3][-2]
    assert "status: " in rows[3][-2]
    await commit(client, headers, job["id"])
    (customer,) = await records(client, headers, "customers")
    assert customer["billing_address"]["district_name"] == "Cumilla"
    assert (customer["credit_limit"], customer["contact_persons"][0]["phone"]) == ("500000.00", "+8801711234567")

    # A later file changes only the columns it carries.
    update = await dry_run(client, headers, "customers", csv_bytes([["code", "credit_limit"], ["c-001", "750000"]]))
    rows = await result_rows(client, headers, update["id"])
    assert rows[1][-3] == "will update (credit_limit)"
    await commit(client, headers, update["id"])
    (customer,) = await records(client, headers, "customers")
    assert (customer["credit_limit"], customer["name"], customer["version"]) == ("750000.00", "Rupayan Housing", 2)


async def test_a_chart_of_accounts_with_parents_defined_earlier_in_the_file(platform, client, tenant) -> None:
    headers = platform.headers(tenant, IMPORTER)
    rows = [["code", "name", "name_bn", "type", "is_group", "parent_code"]]
    rows.append(["8000", "Project assets", "প্রকল্প সম্পদ", "asset", "হ্যাঁ", ""])
    # more rows than one batch (40) before the children, so the parent comes from an earlier batch
    rows += [[f"8{number:03d}", f"Site {number}", "", "asset", "no", "8000"] for number in range(1, 60)]
    rows.append(["8999", "Wrong type", "", "income", "no", "8000"])
    job = await dry_run(client, headers, "accounts", csv_bytes(rows))
    assert (job["counts"]["created"], job["counts"]["invalid"]) == (60, 1)
    done = await commit(client, headers, job["id"])
    assert done["counts"]["created"] == 60
    tree = (await client.get("/api/v1/accounts/tree", headers=headers)).json()
    (root,) = [node for node in tree if node["code"] == "8000"]
    assert len(root["children"]) == 59


async def test_the_template_has_english_headers_bengali_labels_and_a_guide(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ("exchange.job.create",))
    xlsx = await client.get(f"{BASE}/templates/products", headers=headers)
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"] == XLSX
    assert 'filename="products-template.xlsx"' in xlsx.headers["content-disposition"]
    sheet = read_xlsx(xlsx.content)
    assert sheet[0][:3] == ["code", "name", "name_bn"]
    assert sheet[1][:3] == ["কোড (এসকেইউ)", "নাম", "নাম (বাংলা)"]
    assert "id" not in sheet[0]  # read-only columns are for exports
    guide = read_xlsx(xlsx.content, sheet=1)
    assert guide[2] == ["column", "label (বাংলা)", "required to create", "description", "example", "allowed values"]
    assert guide[3 + sheet[0].index("unit")][:3] == ["unit", "একক", "yes"]
    csv_template = await client.get(f"{BASE}/templates/customers", params={"format": "csv"}, headers=headers)
    header, labels = read_csv(csv_template.content)
    assert header[:2] == ["code", "kind"]
    assert labels[:2] == ["কোড", "ধরন"]
    # the empty template is a valid file: nothing to import
    job = await dry_run(client, platform.headers(tenant, IMPORTER), "customers", csv_template.content)
    assert (job["status"], job["counts"]["total"], job["counts"]["processed"]) == ("succeeded", 0, 0)


async def test_money_is_exact(platform, client, tenant) -> None:
    headers = platform.headers(tenant, IMPORTER)
    content = xlsx_bytes([["code", "name", "category", "unit", "sale_price"], ["P-1", "Tiles", "tiles", "sft", 0.1]])
    job = await dry_run(client, headers, "products", content, content_type=XLSX)
    await commit(client, headers, job["id"])
    (product,) = await records(client, headers, "products")
    assert Decimal(product["sale_price"]) == Decimal("0.10")


async def test_another_tenant_sees_nothing(platform, client, tenant) -> None:
    headers = platform.headers(tenant, IMPORTER)
    job = await dry_run(client, headers, "products", csv_bytes(product_rows()))
    stranger = platform.headers(uuid.uuid4(), ("*",))
    for method, path in (
        ("GET", f"{BASE}/jobs/{job['id']}"),
        ("GET", f"{BASE}/jobs/{job['id']}/result"),
        ("POST", f"{BASE}/jobs/{job['id']}/commit"),
        ("POST", f"{BASE}/jobs/{job['id']}/cancel"),
    ):
        response = await client.request(method, path, headers=stranger)
        assert response.status_code == 404, (method, path, response.text)
    assert (await client.get(f"{BASE}/jobs", headers=stranger)).json()["items"] == []
    assert (await client.get(f"{BASE}/jobs/{job['id']}", headers=headers)).json() == job
