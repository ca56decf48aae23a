"""Reference data of the master-data service: units of measure, currencies, VAT rate codes,
product categories, mobile wallets and the Bangladesh chart-of-accounts template.

Data, not code branches: adding a unit, a category or an account to the template is adding one
row here. Units and currencies are the same for every tenant (a tenant may add its own units,
stored in ``md_units``); the chart of accounts template is installed per tenant.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

# --- units of measure ---------------------------------------------------------------------------

Dimension = Literal["count", "mass", "length", "area", "volume", "time", "package", "service"]
DIMENSIONS: tuple[str, ...] = ("count", "mass", "length", "area", "volume", "time", "package", "service")
# The unit every other unit of a dimension converts to. Packages (a bag, a set) and services (a
# job, a truck trip) have no standard size: only a product's own conversions convert them.
BASE_UNITS: dict[str, str] = {
    "count": "pcs",
    "mass": "kg",
    "length": "m",
    "area": "sqm",
    "volume": "cum",
    "time": "hour",
}
CONVERTIBLE_DIMENSIONS: frozenset[str] = frozenset(BASE_UNITS)


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    name_bn: str
    dimension: str
    factor: Decimal  # base units of the dimension in one of this unit


STANDARD_UNITS: tuple[Unit, ...] = (
    Unit("pcs", "Piece", "পিস", "count", Decimal(1)),
    Unit("nos", "Number", "সংখ্যা", "count", Decimal(1)),
    Unit("pair", "Pair", "জোড়া", "count", Decimal(2)),
    Unit("dozen", "Dozen", "ডজন", "count", Decimal(12)),
    # How much a bag or a set holds depends on the product (a bag of cement is 50 kg): products
    # give their own conversion.
    Unit("bag", "Bag", "ব্যাগ", "package", Decimal(1)),
    Unit("set", "Set", "সেট", "package", Decimal(1)),
    Unit("bundle", "Bundle", "বান্ডিল", "package", Decimal(1)),
    Unit("kg", "Kilogram", "কিলোগ্রাম", "mass", Decimal(1)),
    Unit("g", "Gram", "গ্রাম", "mass", Decimal("0.001")),
    Unit("ton", "Metric ton", "মেট্রিক টন", "mass", Decimal(1000)),
    Unit("maund", "Maund (mon, 40 seer)", "মণ", "mass", Decimal("37.3242")),
    Unit("m", "Metre", "মিটার", "length", Decimal(1)),
    Unit("mm", "Millimetre", "মিলিমিটার", "length", Decimal("0.001")),
    Unit("ft", "Foot", "ফুট", "length", Decimal("0.3048")),
    Unit("rft", "Running foot", "রানিং ফুট", "length", Decimal("0.3048")),
    Unit("rm", "Running metre", "রানিং মিটার", "length", Decimal(1)),
    Unit("sqm", "Square metre", "বর্গমিটার", "area", Decimal(1)),
    Unit("sft", "Square foot", "বর্গফুট", "area", Decimal("0.09290304")),
    Unit("katha", "Katha (720 sft)", "কাঠা", "area", Decimal("66.8901888")),
    Unit("decimal", "Decimal (shotangsho, 1/100 acre)", "শতাংশ", "area", Decimal("40.468564224")),
    Unit("cum", "Cubic metre", "ঘনমিটার", "volume", Decimal(1)),
    Unit("cft", "Cubic foot", "ঘনফুট", "volume", Decimal("0.028316846592")),
    Unit("ltr", "Litre", "লিটার", "volume", Decimal("0.001")),
    Unit("hour", "Hour", "ঘণ্টা", "time", Decimal(1)),
    # Labour is hired by the working day (8 hours, Bangladesh Labour Act) and the month (26 days).
    Unit("day", "Working day", "কর্মদিবস", "time", Decimal(8)),
    Unit("month", "Month (26 working days)", "মাস (২৬ কর্মদিবস)", "time", Decimal(208)),
    Unit("job", "Job / lump sum", "থোক কাজ", "service", Decimal(1)),
    Unit("trip", "Truck trip", "ট্রিপ", "service", Decimal(1)),
)
STANDARD_UNITS_BY_CODE: dict[str, Unit] = {unit.code: unit for unit in STANDARD_UNITS}
assert all(STANDARD_UNITS_BY_CODE[base].factor == 1 for base in BASE_UNITS.values())

# --- currencies -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Currency:
    code: str
    name: str
    name_bn: str
    symbol: str
    decimals: int = 2


BASE_CURRENCY = "BDT"
CURRENCIES: tuple[Currency, ...] = (
    Currency("BDT", "Bangladeshi taka", "বাংলাদেশি টাকা", "৳"),
    Currency("USD", "US dollar", "মার্কিন ডলার", "$"),
    Currency("EUR", "Euro", "ইউরো", "€"),
    Currency("GBP", "Pound sterling", "ব্রিটিশ পাউন্ড", "£"),
    Currency("INR", "Indian rupee", "ভারতীয় রুপি", "₹"),
    Currency("CNY", "Chinese yuan", "চীনা ইউয়ান", "¥"),
    Currency("JPY", "Japanese yen", "জাপানি ইয়েন", "¥", 0),
    Currency("SAR", "Saudi riyal", "সৌদি রিয়াল", "﷼"),
    Currency("AED", "UAE dirham", "আমিরাতি দিরহাম", "د.إ"),
    Currency("MYR", "Malaysian ringgit", "মালয়েশিয়ান রিঙ্গিত", "RM"),
    Currency("SGD", "Singapore dollar", "সিঙ্গাপুর ডলার", "S$"),
)
CURRENCY_CODES: tuple[str, ...] = tuple(currency.code for currency in CURRENCIES)

# --- VAT ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VatRateCode:
    code: str
    name: str
    name_bn: str
    rate: Decimal | None  # percent; None for exempt


# The rates are the VAT & SD Act 2012's; their effective dates and any change by Finance Act
# belong to the finance service's tax codes. Products only name the code.
VAT_RATE_CODES: tuple[VatRateCode, ...] = (
    VatRateCode("STANDARD", "Standard rate 15%", "আদর্শ হার ১৫%", Decimal(15)),
    VatRateCode("REDUCED_10", "Reduced rate 10%", "হ্রাসকৃত হার ১০%", Decimal(10)),
    VatRateCode("REDUCED_7_5", "Reduced rate 7.5%", "হ্রাসকৃত হার ৭.৫%", Decimal("7.5")),
    VatRateCode("REDUCED_5", "Reduced rate 5%", "হ্রাসকৃত হার ৫%", Decimal(5)),
    VatRateCode("REDUCED_4_5", "Reduced rate 4.5%", "হ্রাসকৃত হার ৪.৫%", Decimal("4.5")),
    VatRateCode("REDUCED_2", "Reduced rate 2%", "হ্রাসকৃত হার ২%", Decimal(2)),
    VatRateCode("ZERO", "Zero-rated (export)", "শূন্য হার (রপ্তানি)", Decimal(0)),
    VatRateCode("EXEMPT", "Exempt", "অব্যাহতিপ্রাপ্ত", None),
)
VAT_CODES: tuple[str, ...] = tuple(item.code for item in VAT_RATE_CODES)
EXEMPT = "EXEMPT"

# --- product categories ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    name_bn: str
    type: Literal["goods", "service"]


CATEGORIES: tuple[Category, ...] = (
    Category("cement", "Cement", "সিমেন্ট", "goods"),
    Category("steel", "Steel and MS rod", "রড ও স্টিল", "goods"),
    Category("brick", "Bricks", "ইট", "goods"),
    Category("sand", "Sand", "বালু", "goods"),
    Category("stone", "Stone chips and aggregate", "পাথর ও খোয়া", "goods"),
    Category("concrete", "Ready-mix concrete", "রেডি-মিক্স কংক্রিট", "goods"),
    Category("tiles", "Tiles and ceramics", "টাইলস ও সিরামিক", "goods"),
    Category("sanitary", "Sanitary and plumbing", "স্যানিটারি ও প্লাম্বিং", "goods"),
    Category("electrical", "Electrical", "বৈদ্যুতিক সামগ্রী", "goods"),
    Category("paint", "Paint and chemicals", "রং ও রাসায়নিক", "goods"),
    Category("timber", "Timber and wood", "কাঠ", "goods"),
    Category("glass", "Glass and aluminium", "কাচ ও অ্যালুমিনিয়াম", "goods"),
    Category("hardware", "Hardware and tools", "হার্ডওয়্যার ও যন্ত্রপাতি", "goods"),
    Category("fuel", "Fuel and lubricants", "জ্বালানি ও লুব্রিকেন্ট", "goods"),
    Category("other_goods", "Other goods", "অন্যান্য পণ্য", "goods"),
    Category("labour", "Labour", "শ্রমিক", "service"),
    Category("subcontract", "Subcontract work", "উপ-ঠিকাদারি কাজ", "service"),
    Category("equipment_hire", "Equipment hire", "যন্ত্রপাতি ভাড়া", "service"),
    Category("transport", "Transport", "পরিবহন", "service"),
    Category("consultancy", "Consultancy and design", "পরামর্শ ও নকশা", "service"),
    Category("testing", "Testing and inspection", "পরীক্ষা ও পরিদর্শন", "service"),
    Category("other_service", "Other services", "অন্যান্য সেবা", "service"),
)
CATEGORIES_BY_CODE: dict[str, Category] = {item.code: item for item in CATEGORIES}
CATEGORY_CODES: tuple[str, ...] = tuple(CATEGORIES_BY_CODE)

# --- mobile financial services ---------------------------------------------------------------

WALLET_PROVIDERS: dict[str, tuple[str, str]] = {
    "bkash": ("bKash", "বিকাশ"),
    "nagad": ("Nagad", "নগদ"),
    "rocket": ("Rocket", "রকেট"),
    "upay": ("Upay", "উপায়"),
}

# --- chart of accounts ------------------------------------------------------------------------------

AccountType = Literal["asset", "liability", "equity", "income", "expense"]
NormalBalance = Literal["debit", "credit"]
ACCOUNT_TYPES: tuple[str, ...] = ("asset", "liability", "equity", "income", "expense")
NORMAL_BALANCE: dict[str, NormalBalance] = {
    "asset": "debit",
    "expense": "debit",
    "liability": "credit",
    "equity": "credit",
    "income": "credit",
}


@dataclass(frozen=True)
class TemplateAccount:
    code: str
    name: str
    name_bn: str
    type: AccountType
    parent: str | None = None
    group: bool = False
    normal_balance: NormalBalance | None = None  # None: the type's normal balance


def _g(code: str, name: str, name_bn: str, type_: AccountType, parent: str | None = None) -> TemplateAccount:
    return TemplateAccount(code, name, name_bn, type_, parent, group=True)


def _p(
    code: str, name: str, name_bn: str, type_: AccountType, parent: str, balance: NormalBalance | None = None
) -> TemplateAccount:
    return TemplateAccount(code, name, name_bn, type_, parent, normal_balance=balance)


# A chart for a Bangladeshi construction and real-estate company (BFRS headings, VAT/TDS
# control accounts, retention, customer booking money, WPPF).
BANGLADESH_COA_TEMPLATE: tuple[TemplateAccount, ...] = (
    _g("1000", "Assets", "সম্পদ", "asset"),
    _g("1100", "Current assets", "চলতি সম্পদ", "asset", "1000"),
    _p("1110", "Cash in hand", "হাতে নগদ", "asset", "1100"),
    _p("1120", "Cash at bank", "ব্যাংকে নগদ", "asset", "1100"),
    _p("1130", "Mobile financial services (bKash, Nagad)", "মোবাইল আর্থিক সেবা (বিকাশ, নগদ)", "asset", "1100"),
    _p("1140", "Trade receivables", "ব্যবসায়িক প্রাপ্য", "asset", "1100"),
    _p("1145", "Retention receivable", "জামানত প্রাপ্য (রিটেনশন)", "asset", "1100"),
    _g("1150", "Advances, deposits and prepayments", "অগ্রিম, জামানত ও অগ্রিম পরিশোধ", "asset", "1100"),
    _p("1151", "Advances to suppliers and subcontractors", "সরবরাহকারী ও উপ-ঠিকাদারকে অগ্রিম", "asset", "1150"),
    _p("1152", "Security deposits", "জামানত", "asset", "1150"),
    _p("1153", "Advance income tax (AIT)", "অগ্রিম আয়কর (এআইটি)", "asset", "1150"),
    _p("1154", "VAT current account (input VAT)", "মূসক চলতি হিসাব (উপকরণ কর)", "asset", "1150"),
    _p("1155", "VAT deducted at source by customers", "ক্রেতা কর্তৃক উৎসে কর্তিত মূসক", "asset", "1150"),
    _g("1160", "Inventories", "মজুদ", "asset", "1100"),
    _p("1161", "Construction materials", "নির্মাণ সামগ্রী", "asset", "1160"),
    _p("1162", "Work in progress (projects)", "চলমান কাজ (প্রকল্প)", "asset", "1160"),
    _p("1163", "Completed flats and plots for sale", "বিক্রয়যোগ্য সম্পন্ন ফ্ল্যাট ও প্লট", "asset", "1160"),
    _g("1200", "Non-current assets", "অচলতি সম্পদ", "asset", "1000"),
    _p("1210", "Land and land development", "জমি ও ভূমি উন্নয়ন", "asset", "1200"),
    _p("1220", "Buildings", "ভবন", "asset", "1200"),
    _p("1230", "Plant and machinery", "প্ল্যান্ট ও যন্ত্রপাতি", "asset", "1200"),
    _p("1240", "Vehicles", "যানবাহন", "asset", "1200"),
    _p("1250", "Furniture and office equipment", "আসবাবপত্র ও অফিস সরঞ্জাম", "asset", "1200"),
    _p("1260", "Accumulated depreciation", "পুঞ্জীভূত অবচয়", "asset", "1200", "credit"),
    _p("1270", "Capital work in progress", "মূলধনী চলমান কাজ", "asset", "1200"),
    _g("2000", "Liabilities", "দায়", "liability"),
    _g("2100", "Current liabilities", "চলতি দায়", "liability", "2000"),
    _p("2110", "Trade payables", "ব্যবসায়িক প্রদেয়", "liability", "2100"),
    _p("2115", "Retention payable to subcontractors", "উপ-ঠিকাদারের জামানত প্রদেয় (রিটেনশন)", "liability", "2100"),
    _p("2120", "VAT payable (output VAT)", "প্রদেয় মূসক (উৎপাদ কর)", "liability", "2100"),
    _p("2125", "VAT deducted at source payable (VDS)", "উৎসে কর্তিত মূসক প্রদেয় (ভিডিএস)", "liability", "2100"),
    _p("2130", "Income tax deducted at source payable (TDS)", "উৎসে কর্তিত আয়কর প্রদেয় (টিডিএস)", "liability", "2100"),
    _p("2140", "Customer advances and booking money", "ক্রেতার অগ্রিম ও বুকিং মানি", "liability", "2100"),
    _p("2150", "Accrued expenses", "বকেয়া খরচ", "liability", "2100"),
    _p("2160", "Salaries and wages payable", "প্রদেয় বেতন ও মজুরি", "liability", "2100"),
    _p("2170", "Workers' profit participation fund", "শ্রমিক মুনাফা অংশগ্রহণ তহবিল", "liability", "2100"),
    _p("2180", "Short-term bank loans", "স্বল্পমেয়াদি ব্যাংক ঋণ", "liability", "2100"),
    _g("2200", "Non-current liabilities", "অচলতি দায়", "liability", "2000"),
    _p("2210", "Long-term bank loans", "দীর্ঘমেয়াদি ব্যাংক ঋণ", "liability", "2200"),
    _p("2220", "Lease liabilities", "ইজারা দায়", "liability", "2200"),
    _g("3000", "Equity", "মালিকানা স্বত্ব", "equity"),
    _p("3100", "Share capital", "শেয়ার মূলধন", "equity", "3000"),
    _p("3200", "Share money deposit", "শেয়ার মানি ডিপোজিট", "equity", "3000"),
    _p("3300", "Retained earnings", "সংরক্ষিত আয়", "equity", "3000"),
    _g("4000", "Income", "আয়", "income"),
    _p("4100", "Contract revenue", "চুক্তি রাজস্ব", "income", "4000"),
    _p("4200", "Sale of flats and plots", "ফ্ল্যাট ও প্লট বিক্রয়", "income", "4000"),
    _p("4300", "Sale of materials", "সামগ্রী বিক্রয়", "income", "4000"),
    _p("4400", "Rental income", "ভাড়া আয়", "income", "4000"),
    _p("4500", "Interest income", "সুদ আয়", "income", "4000"),
    _p("4900", "Other income", "অন্যান্য আয়", "income", "4000"),
    _g("5000", "Expenses", "ব্যয়", "expense"),
    _g("5100", "Cost of construction", "নির্মাণ ব্যয়", "expense", "5000"),
    _p("5110", "Materials consumed", "ব্যবহৃত সামগ্রী", "expense", "5100"),
    _p("5120", "Subcontract costs", "উপ-ঠিকাদারি ব্যয়", "expense", "5100"),
    _p("5130", "Site labour wages", "সাইট শ্রমিক মজুরি", "expense", "5100"),
    _p("5140", "Equipment hire", "যন্ত্রপাতি ভাড়া", "expense", "5100"),
    _p("5150", "Site overheads", "সাইট উপরি ব্যয়", "expense", "5100"),
    _g("5200", "Administrative expenses", "প্রশাসনিক ব্যয়", "expense", "5000"),
    _p("5210", "Salaries and allowances", "বেতন ও ভাতা", "expense", "5200"),
    _p("5220", "Office rent", "অফিস ভাড়া", "expense", "5200"),
    _p("5230", "Utilities (electricity, gas, water)", "ইউটিলিটি (বিদ্যুৎ, গ্যাস, পানি)", "expense", "5200"),
    _p("5240", "Depreciation", "অবচয়", "expense", "5200"),
    _p("5250", "Audit and professional fees", "নিরীক্ষা ও পেশাগত ফি", "expense", "5200"),
    _p("5260", "Travel and conveyance", "ভ্রমণ ও যাতায়াত", "expense", "5200"),
    _p("5270", "Repairs and maintenance", "মেরামত ও রক্ষণাবেক্ষণ", "expense", "5200"),
    _p("5280", "Bank charges", "ব্যাংক চার্জ", "expense", "5200"),
    _p("5290", "Licences, fees and RAJUK charges", "লাইসেন্স, ফি ও রাজউক চার্জ", "expense", "5200"),
    _g("5300", "Selling expenses", "বিক্রয় ব্যয়", "expense", "5000"),
    _p("5310", "Advertising and promotion", "বিজ্ঞাপন ও প্রচার", "expense", "5300"),
    _p("5320", "Sales commission", "বিক্রয় কমিশন", "expense", "5300"),
    _g("5400", "Finance costs", "আর্থিক ব্যয়", "expense", "5000"),
    _p("5410", "Interest on bank loans", "ব্যাংক ঋণের সুদ", "expense", "5400"),
    _p("5500", "Income tax expense", "আয়কর ব্যয়", "expense", "5000"),
)


def _check_template() -> None:
    codes = {item.code: item for item in BANGLADESH_COA_TEMPLATE}
    assert len(codes) == len(BANGLADESH_COA_TEMPLATE), "duplicate template codes"
    for item in BANGLADESH_COA_TEMPLATE:
        if item.parent is not None:
            parent = codes[item.parent]
            assert parent.group, item.code
            assert parent.type == item.type, item.code
            assert BANGLADESH_COA_TEMPLATE.index(parent) < BANGLADESH_COA_TEMPLATE.index(item), item.code


_check_template()
