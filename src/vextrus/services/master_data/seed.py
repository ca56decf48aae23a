"""Demo data: the Bangladesh chart of accounts and realistic customers, vendors and products
(cement, MS rod, bricks, sand, stone, labour, transport) for the demo tenants.

Idempotent: the template installs only missing accounts, and a record is created only when its
code is missing, so a second run (or what an administrator changed since) is left alone. Ids are
stable (uuid5 of tenant and code, see :func:`demo_record_id`), so other services' seeds can point
at these records without calling this service.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from vextrus import bd
from vextrus.demo import DEMO_TENANTS, DemoTenant, demo_record_id
from vextrus.kit.service import SeedContext
from vextrus.kit.tenancy import acting_as
from vextrus.services.master_data import accounts, parties, service
from vextrus.services.master_data import products as items
from vextrus.services.master_data.repository import Customers, Products, Vendors
from vextrus.services.master_data.schemas import ApprovalAction, CustomerCreate, ProductCreate, VendorCreate


def _address(line1: str, area: str, district: str, postal_code: str, address_bn: str) -> dict[str, Any]:
    return {"line1": line1, "area": area, "district": district, "postal_code": postal_code, "address_bn": address_bn}


@dataclass(frozen=True)
class DemoVendor:
    data: dict[str, Any]
    approval: str = "pending"  # pending | approved | blacklisted
    reason: str | None = None
    licence: str = "current"  # current | expired | none


@dataclass(frozen=True)
class DemoData:
    customers: tuple[dict[str, Any], ...] = ()
    vendors: tuple[DemoVendor, ...] = ()
    products: tuple[dict[str, Any], ...] = ()


def _material(
    code: str,
    name: str,
    name_bn: str,
    category: str,
    unit: str,
    purchase: str,
    sale: str | None,
    hs_code: str | None,
    conversions: tuple[tuple[str, str], ...] = (),
    **extra: Any,
) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "name_bn": name_bn,
        "type": "goods",
        "category": category,
        "unit": unit,
        "conversions": [{"unit": unit_code, "factor": factor} for unit_code, factor in conversions],
        "hs_code": hs_code,
        "purchase_price": purchase,
        "sale_price": sale,
        "purchase_account": "1161",
        "sale_account": "4300" if sale else None,
        **extra,
    }


def _service_item(
    code: str, name: str, name_bn: str, category: str, unit: str, purchase: str, account: str, **extra: Any
) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "name_bn": name_bn,
        "type": "service",
        "category": category,
        "unit": unit,
        "purchase_price": purchase,
        "purchase_account": account,
        **extra,
    }


MEGHNA = DemoData(
    customers=(
        {
            "code": "C-0001",
            "kind": "corporate",
            "name": "Gulshan Heights Apartment Owners' Association",
            "name_bn": "গুলশান হাইটস অ্যাপার্টমেন্ট মালিক সমিতি",
            "bin": "004512378-0101",
            "phones": ["01711-234567", "+880 2-9881234"],
            "email": "secretary@gulshanheights.org.bd",
            "billing_address": _address(
                "House 12, Road 35", "Gulshan-2", "Dhaka", "1212", "বাড়ি ১২, সড়ক ৩৫, গুলশান-২, ঢাকা ১২১২"
            ),
            "credit_limit": "2500000",
            "payment_terms_days": 30,
            "contact_persons": [
                {"name": "Syed Ahmed Kabir", "designation": "General Secretary", "phone": "01711234567"}
            ],
        },
        {
            "code": "C-0002",
            "kind": "government",
            "name": "Roads and Highways Department, Dhaka Zone",
            "name_bn": "সড়ক ও জনপথ অধিদপ্তর, ঢাকা জোন",
            "bin": "000198765",
            "phones": ["+880 2-9562718"],
            "billing_address": _address("Sarak Bhaban, Ramna", "Ramna", "ঢাকা", "1000", "সড়ক ভবন, রমনা, ঢাকা ১০০০"),
            "credit_limit": "50000000",
            "payment_terms_days": 90,
            "notes": "Bills go through the Executive Engineer's office; VAT and AIT are deducted at source.",
        },
        {
            "code": "C-0003",
            "kind": "ngo",
            "name": "Shapla Unnayan Sangstha",
            "name_bn": "শাপলা উন্নয়ন সংস্থা",
            "tin": "361452987013",
            "phones": ["01819-456123"],
            "email": "accounts@shapla.org.bd",
            "billing_address": _address("Plot 7, Sector 4", "Uttara", "Dhaka", "1230", "প্লট ৭, সেক্টর ৪, উত্তরা, ঢাকা ১২৩০"),
            "credit_limit": "1500000",
            "payment_terms_days": 45,
        },
        {
            "code": "C-0004",
            "kind": "individual",
            "name": "Md. Rafiqul Islam",
            "name_bn": "মোঃ রফিকুল ইসলাম",
            "nid": "19827512345678901",
            "tin": "512378904126",
            "phones": ["01911-876543"],
            "billing_address": _address(
                "Holding 45, Ward 6", "Tongi", "Gazipur", "1710", "হোল্ডিং ৪৫, ওয়ার্ড ৬, টঙ্গী, গাজীপুর ১৭১০"
            ),
            "credit_limit": "0",
            "payment_terms_days": 0,
        },
        {
            "code": "C-0005",
            "kind": "corporate",
            "name": "Bay of Bengal Garments Ltd.",
            "name_bn": "বে অব বেঙ্গল গার্মেন্টস লিমিটেড",
            "tin": "178945612380",
            "bin": "002345671-0102",
            "phones": ["01713-998877"],
            "email": "admin@bobgarments.com.bd",
            "billing_address": _address(
                "Plot B-21, BSCIC Industrial Estate",
                "Konabari",
                "Gazipur",
                "1700",
                "প্লট বি-২১, বিসিক শিল্পনগরী, কোনাবাড়ী, গাজীপুর",
            ),
            "shipping_address": _address(
                "Factory site, Mouza Kashimpur", "Kashimpur", "Gazipur", "1750", "কারখানা, মৌজা কাশিমপুর, গাজীপুর"
            ),
            "credit_limit": "10000000",
            "payment_terms_days": 60,
        },
        {
            "code": "C-0006",
            "kind": "corporate",
            "name": "Patenga Logistics Park Ltd.",
            "name_bn": "পতেঙ্গা লজিস্টিকস পার্ক লিমিটেড",
            "bin": "003456782",
            "phones": ["01819-223344"],
            "billing_address": _address(
                "Airport Road, South Patenga", "Patenga", "Chattogram", "4204", "এয়ারপোর্ট রোড, দক্ষিণ পতেঙ্গা, চট্টগ্রাম"
            ),
            "credit_limit": "7500000",
            "payment_terms_days": 45,
        },
    ),
    vendors=(
        DemoVendor(
            {
                "code": "V-CEM-001",
                "kind": "manufacturer",
                "name": "Shitalakshya Cement Industries Ltd.",
                "name_bn": "শীতলক্ষ্যা সিমেন্ট ইন্ডাস্ট্রিজ লিমিটেড",
                "tin": "223456789012",
                "bin": "001122334-0101",
                "trade_licence_number": "NCC/2025/004512",
                "phones": ["01713-456789"],
                "email": "sales@shitalakshyacement.com.bd",
                "address": _address(
                    "Kanchpur Industrial Area", "Sonargaon", "Narayanganj", "1441", "কাঁচপুর শিল্প এলাকা, সোনারগাঁও, নারায়ণগঞ্জ"
                ),
                "bank_account": {
                    "bank_name": "Sonali Bank PLC",
                    "branch": "Narayanganj Corporate",
                    "account_name": "Shitalakshya Cement Industries Ltd.",
                    "account_number": "0102033004512",
                    "routing_number": "200670439",
                },
                "payment_terms_days": 30,
            },
            approval="approved",
        ),
        DemoVendor(
            {
                "code": "V-STL-001",
                "kind": "manufacturer",
                "name": "Karnaphuli Steel Re-Rolling Mills Ltd.",
                "name_bn": "কর্ণফুলী স্টিল রি-রোলিং মিলস লিমিটেড",
                "tin": "334567890123",
                "bin": "001234567",
                "trade_licence_number": "CCC/2025/118734",
                "phones": ["01819-334455", "+880 31-2510987"],
                "email": "orders@karnaphulisteel.com.bd",
                "address": _address(
                    "Nasirabad Industrial Area", "Bayazid", "Chattogram", "4210", "নাসিরাবাদ শিল্প এলাকা, বায়েজিদ, চট্টগ্রাম"
                ),
                "bank_account": {
                    "bank_name": "Islami Bank Bangladesh PLC",
                    "branch": "Agrabad",
                    "account_name": "Karnaphuli Steel Re-Rolling Mills Ltd.",
                    "account_number": "20501310100045612",
                    "routing_number": "125150346",
                },
                "payment_terms_days": 15,
            },
            approval="approved",
        ),
        DemoVendor(
            {
                "code": "V-BRK-001",
                "kind": "supplier",
                "name": "Dhaleshwari Auto Bricks",
                "name_bn": "ধলেশ্বরী অটো ব্রিকস",
                "tin": "445678901234",
                "trade_licence_number": "SATURIA-UP/2025/0231",
                "phones": ["01712-667788"],
                "address": _address(
                    "Dhaleshwari bank", "Saturia", "Manikganj", "1810", "ধলেশ্বরী নদীর পাড়, সাটুরিয়া, মানিকগঞ্জ"
                ),
                "mobile_wallets": [{"provider": "bkash", "number": "01712-667788", "account_type": "merchant"}],
                "payment_terms_days": 7,
            },
            approval="approved",
        ),
        DemoVendor(
            {
                "code": "V-SND-001",
                "kind": "supplier",
                "name": "Madhumati Sand & Stone Traders",
                "name_bn": "মধুমতি বালু ও পাথর ট্রেডার্স",
                "trade_licence_number": "SCC/2024/077120",
                "phones": ["01715-112233"],
                "address": _address("Bholaganj Road", "Companiganj", "Sylhet", "3140", "ভোলাগঞ্জ রোড, কোম্পানীগঞ্জ, সিলেট"),
                "mobile_wallets": [{"provider": "nagad", "number": "01715112233", "account_type": "personal"}],
                "payment_terms_days": 0,
                "notes": "Trade licence renewal pending; cannot be approved until renewed.",
            },
            licence="expired",
        ),
        DemoVendor(
            {
                "code": "V-CON-001",
                "kind": "contractor",
                "name": "Rahman Engineering & Construction",
                "name_bn": "রহমান ইঞ্জিনিয়ারিং অ্যান্ড কনস্ট্রাকশন",
                "tin": "556789012345",
                "bin": "004455667",
                "nid": "1234567890",
                "trade_licence_number": "DNCC/2025/0045123",
                "phones": ["01911-445566"],
                "email": "rahman.eng@gmail.com",
                "address": _address("House 22, Road 4", "Mirpur-10", "Dhaka", "1216", "বাড়ি ২২, সড়ক ৪, মিরপুর-১০, ঢাকা"),
                "mobile_wallets": [{"provider": "nagad", "number": "01911445566", "account_type": "merchant"}],
                "bank_account": {
                    "bank_name": "Dutch-Bangla Bank PLC",
                    "branch": "Mirpur",
                    "account_name": "Rahman Engineering & Construction",
                    "account_number": "1521100034567",
                    "routing_number": "090262952",
                },
                "payment_terms_days": 15,
                "contact_persons": [
                    {"name": "Engr. Habibur Rahman", "name_bn": "প্রকৌশলী হাবিবুর রহমান", "designation": "Proprietor"}
                ],
            },
            approval="approved",
        ),
        DemoVendor(
            {
                "code": "V-TRN-001",
                "kind": "service_provider",
                "name": "Jamuna Transport Agency",
                "name_bn": "যমুনা ট্রান্সপোর্ট এজেন্সি",
                "tin": "667890123456",
                "trade_licence_number": "SIRAJGANJ-PS/2025/1190",
                "phones": ["01817-009988"],
                "address": _address(
                    "Bus Terminal Road", "Sirajganj Sadar", "Sirajganj", "6700", "বাস টার্মিনাল রোড, সিরাজগঞ্জ"
                ),
                "payment_terms_days": 7,
            },
            approval="blacklisted",
            reason="Repeated late deliveries and short-loaded trucks at the Gazipur site",
        ),
        DemoVendor(
            {
                "code": "V-CNS-001",
                "kind": "consultant",
                "name": "Nakshi Design Consultants",
                "name_bn": "নকশী ডিজাইন কনসালট্যান্টস",
                "tin": "778901234567",
                "phones": ["01714-556677"],
                "email": "studio@nakshidesign.com.bd",
                "address": _address("Road 27, Dhanmondi", "Dhanmondi", "Dhaka", "1209", "সড়ক ২৭, ধানমন্ডি, ঢাকা"),
                "payment_terms_days": 30,
            },
            licence="none",
        ),
    ),
    products=(
        _material(
            "MAT-CEM-PCC",
            "Portland Composite Cement, 50 kg bag",
            "পোর্টল্যান্ড কম্পোজিট সিমেন্ট, ৫০ কেজি ব্যাগ",
            "cement",
            "bag",
            "510",
            "545",
            "2523.29.00",
            (("kg", "0.02"), ("ton", "20")),
        ),
        _material(
            "MAT-CEM-OPC",
            "Ordinary Portland Cement, 50 kg bag",
            "অর্ডিনারি পোর্টল্যান্ড সিমেন্ট, ৫০ কেজি ব্যাগ",
            "cement",
            "bag",
            "560",
            "590",
            "2523.29.00",
            (("kg", "0.02"), ("ton", "20")),
        ),
        _material(
            "MAT-ROD-500W-12",
            "MS deformed bar 500W, 12 mm",
            "এমএস ডিফর্মড বার ৫০০ডব্লিউ, ১২ মিমি",
            "steel",
            "ton",
            "92000",
            "96500",
            "7214.20.00",
            (("rft", "0.0002707"), ("pcs", "0.01083")),
            description="Grade 500W (BDS ISO 6935-2); 0.888 kg per metre; 40 ft bars",
        ),
        _material(
            "MAT-ROD-500W-16",
            "MS deformed bar 500W, 16 mm",
            "এমএস ডিফর্মড বার ৫০০ডব্লিউ, ১৬ মিমি",
            "steel",
            "ton",
            "91500",
            "96000",
            "7214.20.00",
            (("rft", "0.000481"), ("pcs", "0.01924")),
            description="Grade 500W; 1.578 kg per metre; 40 ft bars",
        ),
        _material(
            "MAT-BRK-1ST",
            "First-class machine-made bricks",
            "প্রথম শ্রেণির মেশিনে তৈরি ইট",
            "brick",
            "pcs",
            "12.50",
            "13.50",
            "6904.10.00",
        ),
        _material(
            "MAT-SND-SYL",
            "Sylhet sand (coarse, FM 2.5)",
            "সিলেট বালু (মোটা, এফএম ২.৫)",
            "sand",
            "cft",
            "52",
            "58",
            "2505.90.00",
        ),
        _material("MAT-SND-LOC", "Local sand for filling", "ভরাটের স্থানীয় বালু", "sand", "cft", "18", "22", "2505.90.00"),
        _material(
            "MAT-STN-20",
            "Stone chips 20 mm (Bholaganj)",
            "পাথরের খোয়া ২০ মিমি (ভোলাগঞ্জ)",
            "stone",
            "cft",
            "185",
            "205",
            "2517.10.00",
        ),
        _material(
            "MAT-RMC-C30",
            "Ready-mix concrete C30",
            "রেডি-মিক্স কংক্রিট সি৩০",
            "concrete",
            "cum",
            "9800",
            "10500",
            "3824.50.00",
            (("cft", "0.028316846592"),),
        ),
        _material(
            "MAT-TIL-24",
            "Homogeneous floor tiles 24 x 24 in",
            "হোমোজিনিয়াস ফ্লোর টাইলস ২৪ x ২৪ ইঞ্চি",
            "tiles",
            "sft",
            "95",
            "110",
            "6907.21.00",
            sd_rate="10",
        ),
        _material(
            "MAT-RICE",
            "Coarse rice for the site canteen",
            "সাইট ক্যান্টিনের মোটা চাল",
            "other_goods",
            "kg",
            "52",
            None,
            "1006.30.00",
            (("maund", "37.3242"),),
            vat_rate_code="EXEMPT",
            exemption_reason="Rice is an exempt supply (VAT and SD Act 2012, First Schedule)",
        ),
        _service_item("SRV-LAB-MASON", "Mason (rajmistri), per day", "রাজমিস্ত্রি, দৈনিক", "labour", "day", "950", "5130"),
        _service_item("SRV-LAB-HELPER", "Helper (jogali), per day", "যোগালি, দৈনিক", "labour", "day", "650", "5130"),
        _service_item(
            "SRV-TRN-TRUCK",
            "Truck hire (10-wheeler), per trip",
            "ট্রাক ভাড়া (১০ চাকা), প্রতি ট্রিপ",
            "transport",
            "trip",
            "8500",
            "5150",
        ),
        _service_item(
            "SRV-EQP-MIXER",
            "Concrete mixer hire, per day",
            "কংক্রিট মিক্সার ভাড়া, দৈনিক",
            "equipment_hire",
            "day",
            "3500",
            "5140",
        ),
    ),
)

PADMA = DemoData(
    customers=(
        {
            "code": "C-0001",
            "kind": "individual",
            "name": "Dr. Nasrin Sultana",
            "name_bn": "ডাঃ নাসরিন সুলতানা",
            "nid": "4612398751",
            "tin": "612345678901",
            "phones": ["01716-112244"],
            "email": "nasrin.sultana@yahoo.com",
            "billing_address": _address(
                "Flat B-3, Padma Tower", "Uposhohor", "Rajshahi", "6202", "ফ্ল্যাট বি-৩, পদ্মা টাওয়ার, উপশহর, রাজশাহী"
            ),
            "credit_limit": "0",
            "payment_terms_days": 0,
            "notes": "Booked flat B-3 (1,250 sft); pays in 24 monthly instalments.",
        },
        {
            "code": "C-0002",
            "kind": "individual",
            "name": "Abul Kalam Azad",
            "name_bn": "আবুল কালাম আজাদ",
            "nid": "1968123456789",
            "phones": ["+8801912-334455"],
            "billing_address": _address("Shaheb Bazar", "Boalia", "রাজশাহী", "6100", "সাহেব বাজার, বোয়ালিয়া, রাজশাহী"),
            "credit_limit": "0",
            "payment_terms_days": 0,
        },
        {
            "code": "C-0003",
            "kind": "corporate",
            "name": "Varendra Agro Processing Ltd.",
            "name_bn": "বরেন্দ্র অ্যাগ্রো প্রসেসিং লিমিটেড",
            "tin": "623456789012",
            "bin": "005678123",
            "phones": ["01713-778899"],
            "billing_address": _address(
                "BSCIC Industrial Area", "Sopura", "Rajshahi", "6203", "বিসিক শিল্প এলাকা, সপুরা, রাজশাহী"
            ),
            "credit_limit": "3000000",
            "payment_terms_days": 30,
        },
    ),
    vendors=(
        DemoVendor(
            {
                "code": "V-BRK-001",
                "kind": "supplier",
                "name": "Barind Bricks Field",
                "name_bn": "বরিন্দ ব্রিকস ফিল্ড",
                "tin": "634567890123",
                "trade_licence_number": "PABA-UP/2025/0412",
                "phones": ["01718-445566"],
                "address": _address("Naohata", "Paba", "Rajshahi", "6210", "নওহাটা, পবা, রাজশাহী"),
                "mobile_wallets": [{"provider": "bkash", "number": "01718445566", "account_type": "merchant"}],
                "payment_terms_days": 7,
            },
            approval="approved",
        ),
        DemoVendor(
            {
                "code": "V-CEM-001",
                "kind": "supplier",
                "name": "Rajshahi Cement Agency",
                "name_bn": "রাজশাহী সিমেন্ট এজেন্সি",
                "tin": "645678901234",
                "bin": "006789234",
                "trade_licence_number": "RCC/2025/009871",
                "phones": ["01711-998877"],
                "address": _address("Station Road", "Boalia", "Rajshahi", "6100", "স্টেশন রোড, বোয়ালিয়া, রাজশাহী"),
                "bank_account": {
                    "bank_name": "Pubali Bank PLC",
                    "branch": "Rajshahi",
                    "account_name": "Rajshahi Cement Agency",
                    "account_number": "2345901012345",
                    "routing_number": "175810609",
                },
                "payment_terms_days": 15,
            },
            approval="approved",
        ),
        DemoVendor(
            {
                "code": "V-CON-001",
                "kind": "contractor",
                "name": "Padma Builders & Engineers",
                "name_bn": "পদ্মা বিল্ডার্স অ্যান্ড ইঞ্জিনিয়ার্স",
                "tin": "656789012345",
                "trade_licence_number": "RCC/2025/011204",
                "phones": ["01919-223311"],
                "address": _address("Laxmipur", "Rajpara", "Rajshahi", "6000", "লক্ষ্মীপুর, রাজপাড়া, রাজশাহী"),
                "payment_terms_days": 15,
            },
        ),
    ),
    products=(
        _material(
            "MAT-CEM-PCC",
            "Portland Composite Cement, 50 kg bag",
            "পোর্টল্যান্ড কম্পোজিট সিমেন্ট, ৫০ কেজি ব্যাগ",
            "cement",
            "bag",
            "515",
            None,
            "2523.29.00",
            (("kg", "0.02"), ("ton", "20")),
        ),
        _material("MAT-BRK-1ST", "First-class bricks", "প্রথম শ্রেণির ইট", "brick", "pcs", "11.50", None, "6904.10.00"),
        {
            "code": "FLAT-PT-B",
            "name": "Apartment, Padma Tower (type B, 1,250 sft)",
            "name_bn": "অ্যাপার্টমেন্ট, পদ্মা টাওয়ার (টাইপ বি, ১,২৫০ বর্গফুট)",
            "type": "goods",
            "category": "other_goods",
            "unit": "sft",
            "sale_price": "6500",
            "sale_account": "4200",
            "description": "Price per sft of a type-B flat; parking and utility connection charged separately",
        },
    ),
)

DEMO_DATA: dict[str, DemoData] = {"meghna-group": MEGHNA, "padma-developers": PADMA}


def _licence_expiry(kind: str) -> dt.date | None:
    """Licences run to the end of the fiscal year (30 June); "expired" ended last June."""
    current = bd.fiscal_year_of(bd.today_dhaka())
    if kind == "current":
        return current.end
    if kind == "expired":
        return current.previous().end
    return None


async def _seed_tenant(ctx: SeedContext, tenant: DemoTenant, data: DemoData) -> None:
    database, cache = ctx.runtime.database, ctx.runtime.cache
    admin = tenant.users[0].id
    with acting_as(tenant_id=tenant.id):
        async with database.transaction() as session:
            actor = service.Actor(session, cache, admin)
            await accounts.install_template(actor)
            customers = Customers(session)
            for item in data.customers:
                if await customers.by_code(item["code"]) is None:
                    ident = demo_record_id("customer", tenant.slug, item["code"])
                    await parties.create_customer(actor, CustomerCreate.model_validate(item), ident=ident)
            vendors = Vendors(session)
            for vendor in data.vendors:
                code = vendor.data["code"]
                if await vendors.by_code(code) is not None:
                    continue
                vendor_body = VendorCreate.model_validate(
                    {**vendor.data, "trade_licence_expiry": _licence_expiry(vendor.licence)}
                )
                ident = demo_record_id("vendor", tenant.slug, code)
                created = await parties.create_vendor(actor, vendor_body, ident=ident)
                if vendor.approval == "approved":
                    await parties.change_approval(
                        actor, created.id, "approve", ApprovalAction(reason="Documents verified")
                    )
                elif vendor.approval == "blacklisted":
                    await parties.change_approval(actor, created.id, "blacklist", ApprovalAction(reason=vendor.reason))
            product_rows = Products(session)
            for item in data.products:
                if await product_rows.by_code(item["code"]) is not None:
                    continue
                fields = {key: value for key, value in item.items() if key not in ("purchase_account", "sale_account")}
                for key, account_field in (
                    ("purchase_account", "purchase_account_id"),
                    ("sale_account", "sale_account_id"),
                ):
                    if item.get(key):
                        fields[account_field] = accounts.template_account_id(tenant.id, item[key])
                ident = demo_record_id("product", tenant.slug, item["code"])
                await items.create_product(actor, ProductCreate.model_validate(fields), ident=ident)


async def seed(ctx: SeedContext) -> None:
    for tenant in DEMO_TENANTS:
        data = DEMO_DATA.get(tenant.slug)
        if data is not None:
            await _seed_tenant(ctx, tenant, data)


__all__ = ["DEMO_DATA", "demo_record_id", "seed"]
