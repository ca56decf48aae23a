"""Demo data: both demo tenants (src/vextrus/demo.py) with their companies, registrations, divisions,
branches, departments, designations and the memberships of every demo user.

Ids are stable (the demo tenants', companies' and users' own ids; ``demo_id`` for the rest), so
other services' seeds can refer to them and a second run creates nothing: each row is created only
when its id is missing (with its event), never overwritten.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.demo import DEMO_TENANTS, DemoTenant, demo_id
from vextrus.kit.models import utcnow
from vextrus.kit.service import SeedContext
from vextrus.kit.tenancy import acting_as
from vextrus.services.organization import common, members, rules, structure
from vextrus.services.organization.events import (
    BRANCH_CREATED,
    DEPARTMENT_CREATED,
    DESIGNATION_CREATED,
    DIVISION_CREATED,
    MEMBERSHIP_ADDED,
    TENANT_CREATED,
    TenantCreated,
)
from vextrus.services.organization.models import Branch, Company, Department, Designation, Division, Membership, Tenant


@dataclass(frozen=True)
class Place:
    line: str
    line_bn: str
    area: str
    thana: str
    district: str
    postal_code: str

    def columns(self) -> dict[str, Any]:
        district, division = rules.resolve_place(self.district, None)
        return {
            "address_line": self.line,
            "address_line_bn": self.line_bn,
            "address_area": self.area,
            "address_thana": self.thana,
            "address_district": district,
            "address_division": division,
            "address_postal_code": self.postal_code,
        }


@dataclass(frozen=True)
class CompanyProfile:
    code: str
    tin: str
    bin: str
    trade_licence_number: str
    trade_licence_authority: str
    regulatory_body: str
    address: Place
    divisions: tuple[tuple[str, str, str], ...]  # code, name, name_bn
    branches: tuple[tuple[str, str, str, str, Place], ...]  # code, name, name_bn, BIN suffix, address


BANANI = Place("House 42, Road 11", "বাড়ি ৪২, সড়ক ১১", "Banani", "Banani", "Dhaka", "1213")
GULSHAN = Place("Plot 7, Gulshan Avenue", "প্লট ৭, গুলশান এভিনিউ", "Gulshan 2", "Gulshan", "Dhaka", "1212")
AGRABAD = Place("1205 Sheikh Mujib Road", "১২০৫ শেখ মুজিব সড়ক", "Agrabad C/A", "Double Mooring", "Chattogram", "4100")
KALURGHAT = Place(
    "Kalurghat Heavy Industrial Area", "কালুরঘাট ভারী শিল্প এলাকা", "Kalurghat", "Chandgaon", "Chattogram", "4212"
)
BASHUNDHARA = Place("Block C, Road 5", "ব্লক সি, সড়ক ৫", "Bashundhara R/A", "Vatara", "Dhaka", "1229")
RAJSHAHI = Place("Holding 215, Greater Road", "হোল্ডিং ২১৫, গ্রেটার রোড", "Kazihata", "Boalia", "Rajshahi", "6000")
DHANMONDI = Place("House 18, Road 27 (old)", "বাড়ি ১৮, সড়ক ২৭ (পুরাতন)", "Dhanmondi", "Dhanmondi", "Dhaka", "1209")

PROFILES: dict[str, CompanyProfile] = {
    "meghna-builders": CompanyProfile(
        code="MBL",
        tin="482917365021",
        bin="004512789",
        trade_licence_number="TRAD/DNCC/045872/2019",
        trade_licence_authority="Dhaka North City Corporation",
        regulatory_body="RAJUK",
        address=BANANI,
        divisions=(
            ("CON", "Construction", "নির্মাণ"),
            ("INFRA", "Infrastructure", "অবকাঠামো"),
        ),
        branches=(
            ("HO", "Head Office, Banani", "প্রধান কার্যালয়, বনানী", "0101", BANANI),
            ("CTG", "Chattogram Branch", "চট্টগ্রাম শাখা", "0102", AGRABAD),
        ),
    ),
    "meghna-properties": CompanyProfile(
        code="MPL",
        tin="519306284417",
        bin="004627351",
        trade_licence_number="TRAD/DNCC/061193/2020",
        trade_licence_authority="Dhaka North City Corporation",
        regulatory_body="RAJUK",
        address=GULSHAN,
        divisions=(
            ("RE", "Real Estate", "আবাসন"),
            ("FM", "Facility Management", "স্থাপনা ব্যবস্থাপনা"),
        ),
        branches=(
            ("HO", "Head Office, Gulshan", "প্রধান কার্যালয়, গুলশান", "0101", GULSHAN),
            ("BSD", "Bashundhara Sales Centre", "বসুন্ধরা বিক্রয় কেন্দ্র", "0102", BASHUNDHARA),
        ),
    ),
    "karnaphuli-concrete": CompanyProfile(
        code="KRMC",
        tin="637204918853",
        bin="002871946",
        trade_licence_number="CCC/TL/2018/113457",
        trade_licence_authority="Chattogram City Corporation",
        regulatory_body="CDA",
        address=AGRABAD,
        divisions=(("RMC", "Ready-Mix Concrete", "রেডি-মিক্স কংক্রিট"),),
        branches=(
            ("HO", "Head Office, Agrabad", "প্রধান কার্যালয়, আগ্রাবাদ", "0101", AGRABAD),
            ("PLANT", "Kalurghat Batching Plant", "কালুরঘাট ব্যাচিং প্ল্যান্ট", "0102", KALURGHAT),
        ),
    ),
    "padma-developers": CompanyProfile(
        code="PDL",
        tin="745120396687",
        bin="003915624",
        trade_licence_number="RCC/TL/2021/008764",
        trade_licence_authority="Rajshahi City Corporation",
        regulatory_body="RDA",
        address=RAJSHAHI,
        divisions=(
            ("RE", "Real Estate", "আবাসন"),
            ("CON", "Construction", "নির্মাণ"),
        ),
        branches=(
            ("HO", "Head Office, Rajshahi", "প্রধান কার্যালয়, রাজশাহী", "0101", RAJSHAHI),
            ("DHK", "Dhaka Liaison Office", "ঢাকা লিয়াজোঁ অফিস", "0102", DHANMONDI),
        ),
    ),
}

# code, name, name_bn, parent code: the same departments in every company.
DEPARTMENTS: tuple[tuple[str, str, str, str | None], ...] = (
    ("ACC", "Accounts & Finance", "হিসাব ও অর্থ", None),
    ("PROC", "Procurement", "ক্রয়", None),
    ("ENG", "Engineering", "প্রকৌশল", None),
    ("QS", "Quantity Surveying", "পরিমাণ নিরূপণ", "ENG"),
    ("PROJ", "Projects", "প্রকল্প", None),
    ("SITE", "Site Operations", "সাইট পরিচালনা", "PROJ"),
    ("HR", "HR & Admin", "মানবসম্পদ ও প্রশাসন", None),
)

# code, name, name_bn, grade
DESIGNATIONS: tuple[tuple[str, str, str, int], ...] = (
    ("MD", "Managing Director", "ব্যবস্থাপনা পরিচালক", 1),
    ("CFO", "Chief Financial Officer", "প্রধান আর্থিক কর্মকর্তা", 2),
    ("HRM", "HR Manager", "মানবসম্পদ ব্যবস্থাপক", 4),
    ("PM", "Project Manager", "প্রকল্প ব্যবস্থাপক", 4),
    ("ACCT", "Accountant", "হিসাবরক্ষক", 6),
    ("PO", "Procurement Officer", "ক্রয় কর্মকর্তা", 6),
    ("SE", "Site Engineer", "সাইট প্রকৌশলী", 6),
)

# demo role -> (department code, designation code, heads the department)
ROLE_PLACEMENT: dict[str, tuple[str | None, str, bool]] = {
    "tenant-admin": (None, "MD", False),
    "finance-manager": ("ACC", "CFO", True),
    "accountant": ("ACC", "ACCT", False),
    "procurement-officer": ("PROC", "PO", True),
    "project-manager": ("PROJ", "PM", True),
    "site-engineer": ("SITE", "SE", False),
    "hr-manager": ("HR", "HRM", True),
}

PLAN_OF: dict[str, str] = {"meghna-group": "business", "padma-developers": "growth"}
LICENCE_EXPIRY = dt.date(2027, 6, 30)  # trade licences run with the fiscal year
VAT_REGISTERED_ON = dt.date(2019, 7, 1)  # the VAT & SD Act 2012 took effect


def department_id(company_key: str, code: str) -> uuid.UUID:
    return demo_id("org-department", f"{company_key}:{code}")


def designation_id(tenant_slug: str, code: str) -> uuid.UUID:
    return demo_id("org-designation", f"{tenant_slug}:{code}")


async def _missing(session: AsyncSession, model: type[Any], ident: uuid.UUID) -> bool:
    return await session.get(model, ident) is None


async def _seed_tenant(session: AsyncSession, demo: DemoTenant) -> None:
    admin = next(user for user in demo.users if user.role == "tenant-admin")
    first = demo.companies[0]
    if await _missing(session, Tenant, demo.id):
        plan = rules.PLANS[PLAN_OF.get(demo.slug, "growth")]
        session.add(
            Tenant(
                id=demo.id,
                tenant_id=demo.id,
                slug=demo.slug,
                name=demo.name,
                name_bn=demo.name_bn,
                type=demo.kind,
                plan=plan.code,
                max_users=plan.max_users,
                max_companies=plan.max_companies,
                max_projects=plan.max_projects,
                status="active",
                status_changed_at=utcnow(),
            )
        )
        await session.flush()
        common.emit(
            session,
            TENANT_CREATED,
            TenantCreated(
                tenant_id=demo.id,
                slug=demo.slug,
                name=demo.name,
                name_bn=demo.name_bn,
                type=demo.kind,
                plan=plan.code,
                status="active",
                admin_user_id=admin.id,
                company_id=first.id,
            ),
            demo.id,
            None,
        )
    for code, name, name_bn, grade in DESIGNATIONS:
        ident = designation_id(demo.slug, code)
        if await _missing(session, Designation, ident):
            row = Designation(
                id=ident, tenant_id=demo.id, code=code, name=name, name_bn=name_bn, grade=grade, is_active=True
            )
            session.add(row)
            await session.flush()
            structure.structure_created(session, DESIGNATION_CREATED, row, None)
    for company in demo.companies:
        await _seed_company(session, demo, company.key, company.id, company.name, company.name_bn)
    await _seed_memberships(session, demo)


async def _seed_company(
    session: AsyncSession, demo: DemoTenant, key: str, company_id: uuid.UUID, name: str, name_bn: str
) -> None:
    profile = PROFILES[key]
    if await _missing(session, Company, company_id):
        company = Company(
            id=company_id,
            tenant_id=demo.id,
            code=profile.code,
            name=name,
            name_bn=name_bn,
            tin=profile.tin,
            bin=profile.bin,
            vat_status="registered",
            vat_registered_on=VAT_REGISTERED_ON,
            trade_licence_number=profile.trade_licence_number,
            trade_licence_authority=profile.trade_licence_authority,
            trade_licence_expiry=LICENCE_EXPIRY,
            regulatory_body=profile.regulatory_body,
            fiscal_year_start_month=7,
            base_currency="BDT",
            is_active=True,
            **profile.address.columns(),
        )
        session.add(company)
        await session.flush()
        structure.company_created(session, company, None)
    for code, division_name, division_bn in profile.divisions:
        ident = demo_id("org-division", f"{key}:{code}")
        if await _missing(session, Division, ident):
            division = Division(
                id=ident,
                tenant_id=demo.id,
                company_id=company_id,
                code=code,
                name=division_name,
                name_bn=division_bn,
                is_active=True,
            )
            session.add(division)
            await session.flush()
            structure.structure_created(session, DIVISION_CREATED, division, None)
    for code, branch_name, branch_bn, suffix, place in profile.branches:
        ident = demo_id("org-branch", f"{key}:{code}")
        if await _missing(session, Branch, ident):
            branch = Branch(
                id=ident,
                tenant_id=demo.id,
                company_id=company_id,
                code=code,
                name=branch_name,
                name_bn=branch_bn,
                bin_suffix=suffix,
                is_head_office=code == "HO",
                is_active=True,
                **place.columns(),
            )
            session.add(branch)
            await session.flush()
            structure.structure_created(
                session, BRANCH_CREATED, branch, None, bin=rules.branch_bin(profile.bin, suffix)
            )
    for code, department_name, department_bn, parent in DEPARTMENTS:
        ident = department_id(key, code)
        if await _missing(session, Department, ident):
            department = Department(
                id=ident,
                tenant_id=demo.id,
                company_id=company_id,
                parent_id=department_id(key, parent) if parent else None,
                code=code,
                name=department_name,
                name_bn=department_bn,
                is_active=True,
            )
            session.add(department)
            await session.flush()
            structure.structure_created(session, DEPARTMENT_CREATED, department, None, parent_id=department.parent_id)


async def _seed_memberships(session: AsyncSession, demo: DemoTenant) -> None:
    first = demo.companies[0]
    for user in demo.users:
        department_code, designation_code, heads = ROLE_PLACEMENT[user.role]
        companies = demo.companies if user.role == "tenant-admin" else (first,)
        for company in companies:
            ident = demo_id("org-membership", f"{company.key}:{user.key}")
            if not await _missing(session, Membership, ident):
                continue
            department = department_id(company.key, department_code) if department_code else None
            membership = Membership(
                id=ident,
                tenant_id=demo.id,
                company_id=company.id,
                user_id=user.id,
                is_primary=company.id == first.id,
                department_id=department,
                designation_id=designation_id(demo.slug, designation_code),
                display_name=user.full_name,
            )
            session.add(membership)
            await session.flush()
            members.membership_event(session, MEMBERSHIP_ADDED, membership, None)
            if heads and department is not None:
                head_of = await session.get(Department, department)
                if head_of is not None and head_of.head_user_id is None:
                    head_of.head_user_id = user.id
                    await session.flush()


async def seed(ctx: SeedContext) -> None:
    for demo in DEMO_TENANTS:
        with acting_as(tenant_id=demo.id):
            async with ctx.runtime.database.transaction() as session:
                await _seed_tenant(session, demo)
