"""File layouts: the columns of each importable entity and how a flat spreadsheet row maps to the
master-data API's record (and back, for exports). Pure data and pure functions, no I/O.

A column has an English key (the header the template writes), a Bengali label, the path of its
value in the API body (``("billing_address", "district")``) and a kind that says how a cell is
read: text, decimal, integer, boolean, date, a list (phones: ``01711-234567; 02-9551234``) or unit
conversions (``ton=20; kg=0.02``). Blank cells are left out of the row, so an import changes only
the fields a file fills in (a new record gets the API's defaults).

Cells are read the way people type them in Bangladesh: Bengali digits are accepted in numbers and
dates, thousands separators (``1,25,000.50``) are dropped, dates may be ``31/12/2026`` (day first)
or ISO. Everything else is for master data to judge: the values go to it as typed, so a file is
validated by exactly the rules of the API.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from vextrus import bd

Kind = Literal["text", "decimal", "int", "bool", "date", "list", "conversions", "ref"]
PathPart = str | int

ENTITIES = ("customers", "vendors", "products", "accounts")


@dataclass(frozen=True)
class Column:
    key: str
    label_bn: str
    description: str
    path: tuple[PathPart, ...] = ()
    kind: Kind = "text"
    required: bool = False  # needed to create a record
    example: str = ""
    allowed: str = ""
    readonly: bool = False  # exported, ignored on import
    aliases: tuple[str, ...] = ()  # API fields whose errors belong to this column

    @property
    def target(self) -> tuple[PathPart, ...]:
        return self.path or (self.key,)

    @property
    def field_path(self) -> str:
        return ".".join(str(part) for part in self.target)


@dataclass(frozen=True)
class Layout:
    entity: str
    label: str
    label_bn: str
    columns: tuple[Column, ...]
    filters: tuple[str, ...] = field(default=())

    def importable(self) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if not column.readonly)

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)


def _c(key: str, label_bn: str, description: str, **options: Any) -> Column:
    return Column(key, label_bn, description, **options)


_CODE = _c(
    "code", "কোড", "Unique per tenant; upper-cased; letters, digits and . _ / - (the key of the upsert)", required=True
)
_NAME = _c("name", "নাম", "Name in English", required=True)
_NAME_BN = _c("name_bn", "নাম (বাংলা)", "Name in Bengali")
_TIN = _c("tin", "ই-টিআইএন", "e-TIN, 12 digits (spaces, hyphens and Bengali digits are fine)", example="3614-5298-7013")
_BIN = _c("bin", "বিআইএন", "VAT BIN, 9 digits or 13 with the branch", example="123456789-0101")
_NID = _c("nid", "জাতীয় পরিচয়পত্র", "National ID: 10, 13 or 17 digits")
_PHONES = _c("phones", "ফোন", "Up to 5 numbers separated by ';'", kind="list", example="01711-234567; 02-9551234")
_EMAIL = _c("email", "ই-মেইল", "E-mail address")
_CURRENCY = _c("currency", "মুদ্রা", "Currency code", example="BDT", allowed="BDT, USD, EUR, GBP, INR, CNY, ...")
_TERMS = _c("payment_terms_days", "পরিশোধের মেয়াদ (দিন)", "Payment terms in days (0-365)", kind="int", example="30")
_NOTES = _c("notes", "মন্তব্য", "Notes")
_READONLY = (
    _c("id", "আইডি", "Record id (exports only; ignored on import)", readonly=True),
    _c("version", "সংস্করণ", "Record version (exports only; ignored on import)", readonly=True, kind="int"),
    _c("updated_at", "হালনাগাদের সময়", "Last change, UTC (exports only; ignored on import)", readonly=True),
)


def _address(prefix: str, target: str, bn: str) -> tuple[Column, ...]:
    return (
        _c(
            f"{prefix}_line1",
            f"{bn}: বাড়ি, রাস্তা",
            "House, road (required when any address column is filled)",
            path=(target, "line1"),
        ),
        _c(f"{prefix}_area", f"{bn}: এলাকা", "Area", path=(target, "area")),
        _c(f"{prefix}_upazila", f"{bn}: উপজেলা/থানা", "Upazila or thana", path=(target, "upazila")),
        _c(
            f"{prefix}_district",
            f"{bn}: জেলা",
            "District in English or Bengali, or BD-01..BD-64",
            path=(target, "district"),
            example="Cumilla",
            aliases=(f"{target}.division",),  # the division is derived from the district
        ),
        _c(f"{prefix}_postal_code", f"{bn}: পোস্ট কোড", "Postal code, 4 digits", path=(target, "postal_code")),
    )


def _contact(with_email: bool = True) -> tuple[Column, ...]:
    columns = [
        _c("contact_name", "যোগাযোগকারীর নাম", "Contact person", path=("contact_persons", 0, "name")),
        _c("contact_designation", "পদবি", "Contact person's designation", path=("contact_persons", 0, "designation")),
        _c("contact_phone", "যোগাযোগকারীর ফোন", "Contact person's phone", path=("contact_persons", 0, "phone")),
    ]
    if with_email:
        columns.append(
            _c("contact_email", "যোগাযোগকারীর ই-মেইল", "Contact person's e-mail", path=("contact_persons", 0, "email"))
        )
    return tuple(columns)


CUSTOMERS = Layout(
    "customers",
    "Customers",
    "গ্রাহক",
    (
        _CODE,
        _c("kind", "ধরন", "Kind of customer", example="corporate", allowed="individual, corporate, government, ngo"),
        _NAME,
        _NAME_BN,
        _TIN,
        _BIN,
        _NID,
        _PHONES,
        _EMAIL,
        *_address("billing", "billing_address", "বিলের ঠিকানা"),
        _c(
            "billing_address_bn",
            "বিলের ঠিকানা (বাংলা)",
            "The whole billing address in Bengali",
            path=("billing_address", "address_bn"),
        ),
        *_address("shipping", "shipping_address", "সরবরাহের ঠিকানা"),
        _c("credit_limit", "ঋণসীমা", "Credit limit (BDT)", kind="decimal", example="500000"),
        _CURRENCY,
        _TERMS,
        _c("status", "অবস্থা", "Status", example="active", allowed="active, inactive, suspended, blacklisted"),
        *_contact(),
        _NOTES,
        *_READONLY,
    ),
    filters=("q", "status", "kind", "district", "tin", "bin", "phone", "include_deleted"),
)

VENDORS = Layout(
    "vendors",
    "Vendors",
    "সরবরাহকারী",
    (
        _CODE,
        _c(
            "kind",
            "ধরন",
            "Kind of vendor (contractors need a TIN)",
            example="supplier",
            allowed="supplier, contractor, service_provider, consultant, manufacturer",
        ),
        _NAME,
        _NAME_BN,
        _TIN,
        _BIN,
        _NID,
        _c("trade_licence_number", "ট্রেড লাইসেন্স নম্বর", "Trade licence number"),
        _c(
            "trade_licence_expiry", "ট্রেড লাইসেন্সের মেয়াদ", "Trade licence expiry (31/12/2026 or 2026-12-31)", kind="date"
        ),
        _PHONES,
        _EMAIL,
        *_address("address", "address", "ঠিকানা"),
        _c("bank_name", "ব্যাংক", "Bank (required when any bank column is filled)", path=("bank_account", "bank_name")),
        _c("bank_branch", "শাখা", "Branch", path=("bank_account", "branch")),
        _c("bank_account_name", "হিসাবের নাম", "Account name", path=("bank_account", "account_name")),
        _c("bank_account_number", "হিসাব নম্বর", "Account number (5-20 digits)", path=("bank_account", "account_number")),
        _c("bank_routing_number", "রাউটিং নম্বর", "Routing number (9 digits)", path=("bank_account", "routing_number")),
        _c(
            "wallet_provider",
            "মোবাইল ওয়ালেট",
            "Mobile wallet",
            path=("mobile_wallets", 0, "provider"),
            allowed="bkash, nagad, rocket, upay",
        ),
        _c("wallet_number", "ওয়ালেট নম্বর", "Wallet number", path=("mobile_wallets", 0, "number")),
        _c(
            "wallet_account_type",
            "ওয়ালেটের ধরন",
            "Wallet account type",
            path=("mobile_wallets", 0, "account_type"),
            allowed="personal, merchant, agent",
        ),
        _CURRENCY,
        _TERMS,
        *_contact(),
        _NOTES,
        _c("approval_status", "অনুমোদন", "Approval status (exports only; approve vendors in the app)", readonly=True),
        *_READONLY,
    ),
    filters=("q", "approval_status", "kind", "district", "tin", "bin", "phone", "include_deleted"),
)

PRODUCTS = Layout(
    "products",
    "Products and services",
    "পণ্য ও সেবা",
    (
        _c(
            "code",
            "কোড (এসকেইউ)",
            "SKU, unique per tenant (the key of the upsert)",
            required=True,
            example="MAT-CEM-PCC",
        ),
        _NAME,
        _NAME_BN,
        _c("type", "ধরন", "Goods or service", example="goods", allowed="goods, service"),
        _c(
            "category",
            "শ্রেণি",
            "Category (must match the type)",
            required=True,
            example="cement",
            allowed="cement, steel, brick, sand, stone, concrete, tiles, sanitary, electrical, paint, timber, glass, "
            "hardware, fuel, other_goods; labour, subcontract, equipment_hire, transport, consultancy, testing, "
            "other_service",
        ),
        _c("status", "অবস্থা", "Status", example="active", allowed="active, inactive"),
        _c("description", "বিবরণ", "Description"),
        _c(
            "unit",
            "একক",
            "The product's unit",
            required=True,
            example="bag",
            allowed="pcs, nos, bag, kg, ton, cft, sft, rft, cum, sqm, ltr, day, trip, job, ...",
        ),
        _c(
            "conversions",
            "একক রূপান্তর",
            "Other units as unit=factor of the product's unit, separated by ';'",
            kind="conversions",
            example="ton=20; kg=0.02",
        ),
        _c("hs_code", "এইচএস কোড", "HS code (goods only)", example="2523.29.00"),
        _c(
            "vat_rate_code",
            "ভ্যাট হার",
            "VAT rate code",
            example="STANDARD",
            allowed="STANDARD, REDUCED_10, REDUCED_7_5, REDUCED_5, REDUCED_4_5, REDUCED_2, ZERO, EXEMPT",
        ),
        _c("sd_rate", "সম্পূরক শুল্ক (%)", "Supplementary duty, percent", kind="decimal", example="0"),
        _c("exemption_reason", "অব্যাহতির কারণ", "Reason of a VAT exemption (EXEMPT only)"),
        _c("exemption_reference", "অব্যাহতির সূত্র", "SRO or schedule of the exemption"),
        _c("purchase_price", "ক্রয়মূল্য", "Purchase price", kind="decimal", example="510.00"),
        _c("sale_price", "বিক্রয়মূল্য", "Sale price", kind="decimal", example="545.50"),
        _CURRENCY,
        _c(
            "purchase_account",
            "ক্রয় হিসাব",
            "Purchase account code (posting, expense or asset)",
            path=("purchase_account_code",),
            kind="ref",
            example="1161",
            aliases=("purchase_account_id",),
        ),
        _c(
            "sale_account",
            "বিক্রয় হিসাব",
            "Sale account code (posting, income)",
            path=("sale_account_code",),
            kind="ref",
            example="4300",
            aliases=("sale_account_id",),
        ),
        *_READONLY,
    ),
    filters=("q", "type", "category", "status", "include_deleted"),
)

ACCOUNTS = Layout(
    "accounts",
    "Chart of accounts",
    "হিসাবের তালিকা",
    (
        _c("code", "হিসাব কোড", "Account code (the key of the upsert)", required=True, example="1161"),
        _NAME,
        _NAME_BN,
        _c(
            "type",
            "ধরন",
            "Account type (cannot change later)",
            required=True,
            example="asset",
            allowed="asset, liability, equity, income, expense",
        ),
        _c("normal_balance", "স্বাভাবিক জের", "Normal balance (defaults from the type)", allowed="debit, credit"),
        _c(
            "is_group",
            "গ্রুপ হিসাব",
            "A group (heading) rather than a posting account",
            kind="bool",
            example="no",
            allowed="yes/no, true/false, 1/0, হ্যাঁ/না",
        ),
        _c(
            "parent_code",
            "মূল হিসাব কোড",
            "Code of the parent group (an earlier row of the file is fine)",
            path=("parent_code",),
            kind="ref",
            example="1160",
            aliases=("parent_id",),
        ),
        _c("description", "বিবরণ", "Description"),
        *_READONLY,
    ),
    filters=("q", "type", "is_group", "parent_id", "include_deleted"),
)

LAYOUTS: dict[str, Layout] = {layout.entity: layout for layout in (CUSTOMERS, VENDORS, PRODUCTS, ACCOUNTS)}
RESULT_COLUMNS = ("import_row", "import_status", "import_errors", "import_errors_bn")


# --- headers ---------------------------------------------------------------------------------------


def _header_key(text: str) -> str:
    text = re.sub(r"\(.*?\)", "", text).replace("*", "")
    return re.sub(r"[\s_\-]+", " ", text).strip().lower()


@dataclass(frozen=True)
class HeaderMap:
    """Which column of the layout each position of the file's header row is (None: ignored)."""

    positions: tuple[Column | None, ...]
    ignored: tuple[str, ...]

    @property
    def columns(self) -> tuple[Column, ...]:
        return tuple(column for column in self.positions if column is not None)

    def is_label_row(self, cells: Sequence[Any]) -> bool:
        """The Bengali label row the templates carry under the header."""
        labelled = [
            (column, cells[index])
            for index, column in enumerate(self.positions)
            if column is not None and index < len(cells) and cell_text(cells[index])
        ]
        if not labelled:
            return False
        hits = sum(1 for column, cell in labelled if _header_key(cell_text(cell)) == _header_key(column.label_bn))
        return hits * 2 >= len(labelled)


class HeaderError(ValueError):
    def __init__(self, reason: str, reason_bn: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.reason_bn = reason_bn


def map_header(layout: Layout, cells: Sequence[Any]) -> HeaderMap:
    """Match header cells to columns by key (``billing_district``), spaced key, or Bengali label."""
    names: dict[str, Column] = {}
    for known in layout.columns:
        for name in (known.key, known.label_bn):
            names.setdefault(_header_key(name), known)
    positions: list[Column | None] = []
    ignored: list[str] = []
    seen: set[str] = set()
    for cell in cells:
        text = cell_text(cell)
        found = names.get(_header_key(text)) if text else None
        column = found
        if column is not None and column.key in seen:
            raise HeaderError(f"The column {column.key} appears twice", f"{column.key} কলামটি দুবার আছে")
        if column is not None:
            seen.add(column.key)
        elif text and text not in RESULT_COLUMNS:
            ignored.append(text)
        positions.append(column)
    if "code" not in seen:
        raise HeaderError(
            f"The first row must be the header, with a 'code' column ({layout.entity} template)",
            "প্রথম সারিতে শিরোনাম থাকতে হবে, একটি 'code' (কোড) কলামসহ",
        )
    return HeaderMap(tuple(positions), tuple(ignored))


# --- cells -> API row --------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a spurious ``.0``, dates as ISO, text stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


_TRUE = {"true", "yes", "y", "1", "হ্যাঁ", "হা", "সত্য"}
_FALSE = {"false", "no", "n", "0", "না", "মিথ্যা"}
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")


class CellError(ValueError):
    def __init__(self, reason: str, reason_bn: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.reason_bn = reason_bn


def _number(text: str) -> str:
    text = bd.to_latin_digits(text).replace(",", "").replace(" ", "").replace("৳", "")
    return text


def _conversions(text: str) -> list[dict[str, str]]:
    result = []
    for part in re.split(r"[;\n]+", text):
        part = part.strip()
        if not part:
            continue
        unit, separator, factor = part.partition("=")
        if not separator or not unit.strip() or not factor.strip():
            raise CellError(
                "write unit=factor pairs separated by ';', e.g. ton=20; kg=0.02",
                "একক=গুণক জোড়া ';' দিয়ে আলাদা করে লিখুন, যেমন ton=20; kg=0.02",
            )
        result.append({"unit": unit.strip().lower(), "factor": _number(factor.strip())})
    return result


def cell_value(column: Column, value: Any) -> Any:
    """The JSON value of a non-blank cell for the API; raises :class:`CellError` for a malformed one."""
    if column.kind == "date" and isinstance(value, dt.datetime | dt.date):
        return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
    text = cell_text(value)
    if column.kind == "decimal":
        return _number(text)
    if column.kind == "int":
        number = _number(text)
        return number[:-2] if number.endswith(".0") else number
    if column.kind == "bool":
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        return text  # master data explains what a boolean is
    if column.kind == "date":
        latin = bd.to_latin_digits(text)
        match = _DAY_FIRST.match(latin)
        if match:
            day, month, year = match.groups()
            return f"{year}-{int(month):02d}-{int(day):02d}"
        return latin
    if column.kind == "list":
        return [item.strip() for item in re.split(r"[;\n]+", text) if item.strip()]
    if column.kind == "conversions":
        return _conversions(text)
    return text


def _put(target: dict[str, Any], path: Sequence[PathPart], value: Any) -> None:
    node: Any = target
    for position, part in enumerate(path[:-1]):
        following = path[position + 1]
        if isinstance(part, int):
            while len(node) <= part:
                node.append({} if not isinstance(following, int) else [])
            node = node[part]
        else:
            node = node.setdefault(part, [] if isinstance(following, int) else {})
    last = path[-1]
    if isinstance(last, int):
        while len(node) <= last:
            node.append(None)
        node[last] = value
    else:
        node[last] = value


@dataclass(frozen=True)
class ParsedRow:
    values: dict[str, Any]
    errors: tuple[tuple[str, str, str], ...] = ()  # (column, reason, reason_bn) found before master data

    @property
    def blank(self) -> bool:
        return not self.values and not self.errors


def parse_row(header: HeaderMap, cells: Sequence[Any]) -> ParsedRow:
    """The API body of one file row: non-blank cells of known columns at their paths."""
    values: dict[str, Any] = {}
    errors: list[tuple[str, str, str]] = []
    for index, column in enumerate(header.positions):
        if column is None or column.readonly or index >= len(cells):
            continue
        raw = cells[index]
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            _put(values, column.target, cell_value(column, raw))
        except CellError as error:
            errors.append((column.key, error.reason, error.reason_bn))
    return ParsedRow(values, tuple(errors))


def dedupe_key(values: Mapping[str, Any]) -> str | None:
    code = values.get("code")
    return code.strip().upper() if isinstance(code, str) and code.strip() else None


# --- API field -> column ------------------------------------------------------------------------------


def column_for_field(layout: Layout, field_path: str) -> str:
    """The column an error of master data is about (``billing_address.district`` -> ``billing_district``)."""
    parts = field_path.split(".") if field_path else []
    best: tuple[int, str] = (0, "")
    for column in layout.importable():
        for candidate in (column.field_path, *column.aliases):
            prefix = candidate.split(".")
            if parts[: len(prefix)] == prefix and len(prefix) > best[0]:
                best = (len(prefix), column.key)
        # phones.1, conversions.0.factor: the whole list is one column
        head = str(column.target[0])
        if column.kind in ("list", "conversions") and parts[:1] == [head] and best[0] == 0:
            best = (1, column.key)
    if best[1]:
        return best[1]
    # a nested object as a whole (billing_address: required line1 missing) -> its first column
    for column in layout.importable():
        if parts and str(column.target[0]) == parts[0]:
            return column.key
    return field_path or "row"


def describe(layout: Layout, errors: Iterable[tuple[str, str, str | None]]) -> tuple[str, str]:
    """``column: reason`` lines of one row's errors, in English and in Bengali."""
    english, bengali = [], []
    for field_path, reason, reason_bn in errors:
        column = column_for_field(layout, field_path)
        english.append(f"{column}: {reason}")
        bengali.append(f"{column}: {reason_bn or reason}")
    return "; ".join(english), "; ".join(bengali)


# --- API record -> cells (exports) ----------------------------------------------------------------------


def _get(record: Mapping[str, Any], path: Sequence[PathPart]) -> Any:
    node: Any = record
    for part in path:
        if isinstance(part, int):
            if not isinstance(node, list) or len(node) <= part:
                return None
            node = node[part]
        else:
            if not isinstance(node, Mapping):
                return None
            node = node.get(part)
        if node is None:
            return None
    return node


def export_value(column: Column, record: Mapping[str, Any], account_codes: Mapping[str, str]) -> Any:
    """The cell of ``column`` for a record as the REST API shows it (typed: Decimal, int, bool, date)."""
    if column.kind == "ref":
        ident = record.get(column.aliases[0]) if column.aliases else None
        return account_codes.get(str(ident)) if ident else None
    value = _get(record, column.target)
    if value is None:
        return None
    if column.kind == "list":
        return "; ".join(str(item["number"] if isinstance(item, Mapping) else item) for item in value)
    if column.kind == "conversions":
        return "; ".join(f"{item['unit']}={item['factor']}" for item in value)
    if column.kind == "decimal":
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return str(value)
    if column.kind == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def export_text(value: Any) -> str:
    """A typed export cell as CSV text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
