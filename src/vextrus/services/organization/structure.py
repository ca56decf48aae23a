"""Companies (legal entities with TIN, BIN, trade licence, regulator, address) and their structure:
divisions, branches (13-digit branch BINs), departments (a tree with heads) and designations."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.db import after_commit
from vextrus.kit.errors import AppError, invalid_field, not_found
from vextrus.kit.pagination import Page, PageRequest
from vextrus.kit.service import Topic
from vextrus.services.organization import metrics, rules
from vextrus.services.organization.common import (
    active_tenant,
    apply_changes,
    check_version,
    emit,
    flush_versioned,
    limit_reached,
    not_null,
    problem,
    rule_error,
)
from vextrus.services.organization.events import (
    BRANCH_CREATED,
    COMPANY_CREATED,
    COMPANY_UPDATED,
    DEPARTMENT_CREATED,
    DESIGNATION_CREATED,
    DIVISION_CREATED,
    CompanyCreated,
    CompanyUpdated,
    StructureCreated,
)
from vextrus.services.organization.models import Branch, Company, Department, Designation, Division
from vextrus.services.organization.repository import (
    Branches,
    Companies,
    Departments,
    Designations,
    Divisions,
    Memberships,
)
from vextrus.services.organization.schemas import (
    AddressOut,
    BranchCreate,
    BranchOut,
    BranchPatch,
    CompanyCreate,
    CompanyOut,
    CompanyPatch,
    DepartmentCreate,
    DepartmentNode,
    DepartmentOut,
    DepartmentPatch,
    DesignationCreate,
    DesignationOut,
    DesignationPatch,
    DivisionCreate,
    DivisionOut,
    DivisionPatch,
)

# --- companies -----------------------------------------------------------------------------------------


def _address_out(row: Company | Branch) -> AddressOut:
    return AddressOut(
        line=row.address_line,
        line_bn=row.address_line_bn,
        area=row.address_area,
        thana=row.address_thana,
        district=row.address_district,
        division=row.address_division,
        postal_code=row.address_postal_code,
    )


def _address_values(address: Any, field: str) -> dict[str, Any]:
    """Address columns from an ``Address`` input (None clears it), district/division resolved."""
    if address is None:
        return dict.fromkeys(
            (
                "address_line",
                "address_line_bn",
                "address_area",
                "address_thana",
                "address_district",
                "address_division",
                "address_postal_code",
            )
        )
    try:
        district, division = rules.resolve_place(address.district, address.division)
    except rules.RuleViolation as violation:
        where = "division" if violation.code == "unknown_division" else "district"
        raise rule_error(f"{field}.{where}", violation) from None
    return {
        "address_line": address.line,
        "address_line_bn": address.line_bn,
        "address_area": address.area,
        "address_thana": address.thana,
        "address_district": district,
        "address_division": division,
        "address_postal_code": address.postal_code,
    }


def company_out(company: Company) -> CompanyOut:
    return CompanyOut(
        id=company.id,
        code=company.code,
        name=company.name,
        name_bn=company.name_bn,
        tin=company.tin,
        tin_legacy=bool(company.tin and rules.is_legacy_tin(company.tin)),
        bin=company.bin,
        bin_display=rules.format_bin(company.bin) if company.bin else None,
        vat_status=company.vat_status,
        vat_registered_on=company.vat_registered_on,
        trade_licence_number=company.trade_licence_number,
        trade_licence_authority=company.trade_licence_authority,
        trade_licence_expiry=company.trade_licence_expiry,
        regulatory_body=company.regulatory_body,
        address=_address_out(company),
        fiscal_year_start_month=company.fiscal_year_start_month,
        base_currency=company.base_currency,
        phone=company.phone,
        email=company.email,
        is_active=company.is_active,
        version=company.version,
        created_at=company.created_at,
        updated_at=company.updated_at,
    )


def _check_vat(vat_status: str, bin_: str | None) -> None:
    if vat_status in ("registered", "turnover") and not bin_:
        raise invalid_field(
            "body.bin",
            f"is required when vat_status is {vat_status}",
            "ভ্যাট নিবন্ধিত বা টার্নওভার তালিকাভুক্ত হলে বিআইএন দিতে হবে",
            "missing",
        )
    if vat_status == "unregistered" and bin_:
        raise invalid_field(
            "body.vat_status",
            "must be registered or turnover when the company has a BIN",
            "বিআইএন থাকলে ভ্যাট অবস্থা registered বা turnover হতে হবে",
        )


async def _check_company_unique(session: AsyncSession, company_id: uuid.UUID | None, values: Mapping[str, Any]) -> None:
    repository = Companies(session)
    labels = {
        "code": ("code_taken", "code", "কোড"),
        "tin": ("tin_taken", "TIN", "টিআইএন"),
        "bin": ("bin_taken", "BIN", "বিআইএন"),
    }
    for name, (code, label, label_bn) in labels.items():
        value = values.get(name)
        if value is None:
            continue
        other = await repository.first(getattr(Company, name) == value)
        if other is not None and other.id != company_id:
            raise problem(
                409,
                code,
                f"Company {other.code} already has the {label} {value}",
                f"কোম্পানি {other.code}-এর {label_bn} {value}",
                field=f"body.{name}",
                company_id=str(other.id),
            )


def company_created(session: AsyncSession, company: Company, actor: uuid.UUID | None) -> None:
    emit(
        session,
        COMPANY_CREATED,
        CompanyCreated(
            company_id=company.id,
            tenant_id=company.tenant_id,
            code=company.code,
            name=company.name,
            name_bn=company.name_bn,
            tin=company.tin,
            bin=company.bin,
            vat_status=company.vat_status,
            fiscal_year_start_month=company.fiscal_year_start_month,
            base_currency=company.base_currency,
        ),
        company.id,
        actor,
    )
    after_commit(session, metrics.COMPANIES.inc)


async def company_or_404(session: AsyncSession, company_id: uuid.UUID) -> Company:
    company = await Companies(session).get(company_id)
    if company is None:
        raise not_found("Company", company_id, "কোম্পানি")
    return company


async def list_companies(session: AsyncSession, page: PageRequest, *, active: bool | None) -> Page[CompanyOut]:
    rows = await Companies(session).page(page, active=active)
    return Page[CompanyOut](items=[company_out(row) for row in rows.items], next_cursor=rows.next_cursor)


async def create_company(session: AsyncSession, data: CompanyCreate, *, actor: uuid.UUID | None) -> CompanyOut:
    tenant = await active_tenant(session)
    repository = Companies(session)
    try:
        rules.check_limit("max_companies", tenant.max_companies, await repository.count())
    except rules.LimitReached as error:
        raise limit_reached(error, tenant.plan) from None
    vat_status = data.vat_status or ("registered" if data.bin else "unregistered")
    _check_vat(vat_status, data.bin)
    await _check_company_unique(session, None, {"code": data.code, "tin": data.tin, "bin": data.bin})
    company = repository.add(
        Company(
            code=data.code,
            name=data.name,
            name_bn=data.name_bn,
            tin=data.tin,
            bin=data.bin,
            vat_status=vat_status,
            vat_registered_on=data.vat_registered_on,
            trade_licence_number=data.trade_licence_number,
            trade_licence_authority=data.trade_licence_authority,
            trade_licence_expiry=data.trade_licence_expiry,
            regulatory_body=data.regulatory_body,
            fiscal_year_start_month=data.fiscal_year_start_month,
            base_currency=data.base_currency,
            phone=data.phone,
            email=data.email,
            is_active=True,
            **_address_values(data.address, "body.address"),
        )
    )
    await session.flush()
    company_created(session, company, actor)
    return company_out(company)


_REQUIRED_COMPANY_FIELDS = ("name", "vat_status", "fiscal_year_start_month", "base_currency", "is_active")


async def update_company(
    session: AsyncSession, company_id: uuid.UUID, patch: CompanyPatch, *, actor: uuid.UUID | None
) -> CompanyOut:
    given = patch.model_fields_set - {"expected_version"}
    for name in _REQUIRED_COMPANY_FIELDS:
        if name in given and getattr(patch, name) is None:
            raise not_null(f"body.{name}")
    await active_tenant(session)
    company = await company_or_404(session, company_id)
    check_version(f"Company {company.code}", patch.expected_version, company.version)
    values = {name: getattr(patch, name) for name in given if name != "address"}
    if "address" in given:
        values.update(_address_values(patch.address, "body.address"))
    _check_vat(values.get("vat_status", company.vat_status), values.get("bin", company.bin))
    await _check_company_unique(session, company.id, {name: values.get(name) for name in ("tin", "bin")})
    current = company.version
    changes = apply_changes(company, values)
    if changes:
        await flush_versioned(session, f"Company {company.code}", current)
        emit(
            session,
            COMPANY_UPDATED,
            CompanyUpdated(
                company_id=company.id, tenant_id=company.tenant_id, changes=changes, version=company.version
            ),
            company.id,
            actor,
        )
    return company_out(company)


# --- divisions -------------------------------------------------------------------------------------------


async def _linked_company(session: AsyncSession, company_id: uuid.UUID, field: str = "body.company_id") -> Company:
    """A company named in a request body: 422 when the tenant has no such company."""
    company = await Companies(session).get(company_id)
    if company is None:
        raise invalid_field(
            field, "no such company in this tenant", "এই প্রতিষ্ঠানে এমন কোনো কোম্পানি নেই", "unknown_reference"
        )
    return company


def _code_taken(what: str, code: str) -> AppError:
    return problem(
        409,
        "code_taken",
        f"{what} code {code} is already used",
        f"{what} কোড {code} আগে থেকেই ব্যবহৃত",
        field="body.code",
    )


def structure_created(
    session: AsyncSession,
    topic: Topic,
    row: Division | Branch | Department | Designation,
    actor: uuid.UUID | None,
    **extra: Any,
) -> None:
    emit(
        session,
        topic,
        StructureCreated(
            id=row.id,
            tenant_id=row.tenant_id,
            company_id=getattr(row, "company_id", None),
            code=row.code,
            name=row.name,
            name_bn=row.name_bn,
            **extra,
        ),
        row.id,
        actor,
    )


def division_out(row: Division) -> DivisionOut:
    return DivisionOut.model_validate(row, from_attributes=True)


async def division_or_404(session: AsyncSession, ident: uuid.UUID) -> Division:
    row = await Divisions(session).get(ident)
    if row is None:
        raise not_found("Division", ident, "বিভাগ")
    return row


async def create_division(session: AsyncSession, data: DivisionCreate, *, actor: uuid.UUID | None) -> DivisionOut:
    await active_tenant(session)
    company = await _linked_company(session, data.company_id)
    repository = Divisions(session)
    if await repository.first(Division.company_id == company.id, Division.code == data.code) is not None:
        raise _code_taken("Division", data.code)
    row = repository.add(
        Division(
            company_id=company.id,
            code=data.code,
            name=data.name,
            name_bn=data.name_bn,
            description=data.description,
            is_active=True,
        )
    )
    await session.flush()
    structure_created(session, DIVISION_CREATED, row, actor)
    return division_out(row)


async def update_division(
    session: AsyncSession, ident: uuid.UUID, patch: DivisionPatch, *, actor: uuid.UUID | None
) -> DivisionOut:
    given = patch.model_fields_set - {"expected_version"}
    for name in ("name", "is_active"):
        if name in given and getattr(patch, name) is None:
            raise not_null(f"body.{name}")
    await active_tenant(session)
    row = await division_or_404(session, ident)
    check_version(f"Division {row.code}", patch.expected_version, row.version)
    current = row.version
    if apply_changes(row, {name: getattr(patch, name) for name in given}):
        await flush_versioned(session, f"Division {row.code}", current)
    return division_out(row)


# --- branches --------------------------------------------------------------------------------------------


def branch_out(row: Branch, company: Company) -> BranchOut:
    bin_ = rules.branch_bin(company.bin, row.bin_suffix)
    return BranchOut(
        id=row.id,
        company_id=row.company_id,
        division_id=row.division_id,
        code=row.code,
        name=row.name,
        name_bn=row.name_bn,
        bin_suffix=row.bin_suffix,
        bin=bin_,
        bin_display=rules.format_bin(bin_) if bin_ else None,
        is_head_office=row.is_head_office,
        address=_address_out(row),
        is_active=row.is_active,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def branch_or_404(session: AsyncSession, ident: uuid.UUID) -> Branch:
    row = await Branches(session).get(ident)
    if row is None:
        raise not_found("Branch", ident, "শাখা")
    return row


async def _check_branch(
    session: AsyncSession,
    company: Company,
    branch_id: uuid.UUID | None,
    *,
    division_id: uuid.UUID | None,
    bin_suffix: str | None,
    is_head_office: bool,
) -> None:
    if division_id is not None:
        division = await Divisions(session).get(division_id)
        if division is None or division.company_id != company.id:
            raise invalid_field(
                "body.division_id",
                "no such division in this company",
                "এই কোম্পানিতে এমন কোনো বিভাগ নেই",
                "unknown_reference",
            )
    repository = Branches(session)
    if bin_suffix is not None:
        if not company.bin:
            raise invalid_field(
                "body.bin_suffix",
                "the company has no BIN to append the suffix to",
                "কোম্পানির বিআইএন নেই, তাই প্রত্যয় যোগ করা যায় না",
                "company_has_no_bin",
            )
        other = await repository.first(Branch.company_id == company.id, Branch.bin_suffix == bin_suffix)
        if other is not None and other.id != branch_id:
            raise problem(
                409,
                "bin_suffix_taken",
                f"Branch {other.code} already uses the BIN suffix {bin_suffix}",
                f"শাখা {other.code} বিআইএন প্রত্যয় {bin_suffix} ব্যবহার করছে",
                field="body.bin_suffix",
            )
    if is_head_office:
        other = await repository.first(Branch.company_id == company.id, Branch.is_head_office.is_(True))
        if other is not None and other.id != branch_id:
            raise problem(
                409,
                "head_office_exists",
                f"Branch {other.code} is already the head office of {company.code}",
                f"শাখা {other.code} ইতিমধ্যে {company.code}-এর প্রধান কার্যালয়",
                field="body.is_head_office",
            )


async def list_branches(
    session: AsyncSession, page: PageRequest, *, company_id: uuid.UUID | None, active: bool | None
) -> Page[BranchOut]:
    rows = await Branches(session).page(page, company_id=company_id, active=active)
    companies = await Companies(session).by_ids(list({row.company_id for row in rows.items}))
    return Page[BranchOut](
        items=[branch_out(row, companies[row.company_id]) for row in rows.items], next_cursor=rows.next_cursor
    )


async def get_branch(session: AsyncSession, ident: uuid.UUID) -> BranchOut:
    row = await branch_or_404(session, ident)
    return branch_out(row, await company_or_404(session, row.company_id))


async def create_branch(session: AsyncSession, data: BranchCreate, *, actor: uuid.UUID | None) -> BranchOut:
    await active_tenant(session)
    company = await _linked_company(session, data.company_id)
    repository = Branches(session)
    if await repository.first(Branch.company_id == company.id, Branch.code == data.code) is not None:
        raise _code_taken("Branch", data.code)
    await _check_branch(
        session,
        company,
        None,
        division_id=data.division_id,
        bin_suffix=data.bin_suffix,
        is_head_office=data.is_head_office,
    )
    row = repository.add(
        Branch(
            company_id=company.id,
            division_id=data.division_id,
            code=data.code,
            name=data.name,
            name_bn=data.name_bn,
            bin_suffix=data.bin_suffix,
            is_head_office=data.is_head_office,
            is_active=True,
            **_address_values(data.address, "body.address"),
        )
    )
    await session.flush()
    structure_created(session, BRANCH_CREATED, row, actor, bin=rules.branch_bin(company.bin, row.bin_suffix))
    return branch_out(row, company)


async def update_branch(
    session: AsyncSession, ident: uuid.UUID, patch: BranchPatch, *, actor: uuid.UUID | None
) -> BranchOut:
    given = patch.model_fields_set - {"expected_version"}
    for name in ("name", "is_head_office", "is_active"):
        if name in given and getattr(patch, name) is None:
            raise not_null(f"body.{name}")
    await active_tenant(session)
    row = await branch_or_404(session, ident)
    company = await company_or_404(session, row.company_id)
    check_version(f"Branch {row.code}", patch.expected_version, row.version)
    values = {name: getattr(patch, name) for name in given if name != "address"}
    if "address" in given:
        values.update(_address_values(patch.address, "body.address"))
    await _check_branch(
        session,
        company,
        row.id,
        division_id=values.get("division_id", row.division_id),
        bin_suffix=values.get("bin_suffix"),
        is_head_office=bool(values.get("is_head_office", False)),
    )
    current = row.version
    if apply_changes(row, values):
        await flush_versioned(session, f"Branch {row.code}", current)
    return branch_out(row, company)


# --- departments -----------------------------------------------------------------------------------------


def department_out(row: Department) -> DepartmentOut:
    return DepartmentOut.model_validate(row, from_attributes=True)


async def department_or_404(session: AsyncSession, ident: uuid.UUID) -> Department:
    row = await Departments(session).get(ident)
    if row is None:
        raise not_found("Department", ident, "বিভাগ")
    return row


async def _check_head(session: AsyncSession, company: Company, head_user_id: uuid.UUID | None) -> None:
    if head_user_id is not None and await Memberships(session).of(company.id, head_user_id) is None:
        raise invalid_field(
            "body.head_user_id",
            f"must be a member of company {company.code}",
            f"কোম্পানি {company.code}-এর সদস্য হতে হবে",
            "not_a_member",
        )


async def create_department(session: AsyncSession, data: DepartmentCreate, *, actor: uuid.UUID | None) -> DepartmentOut:
    await active_tenant(session)
    company = await _linked_company(session, data.company_id)
    repository = Departments(session)
    if await repository.first(Department.company_id == company.id, Department.code == data.code) is not None:
        raise _code_taken("Department", data.code)
    if data.parent_id is not None:
        parent = await repository.get(data.parent_id)
        if parent is None or parent.company_id != company.id:
            raise invalid_field(
                "body.parent_id",
                "no such department in this company",
                "এই কোম্পানিতে এমন কোনো বিভাগ নেই",
                "unknown_reference",
            )
    await _check_head(session, company, data.head_user_id)
    row = repository.add(
        Department(
            company_id=company.id,
            parent_id=data.parent_id,
            code=data.code,
            name=data.name,
            name_bn=data.name_bn,
            head_user_id=data.head_user_id,
            is_active=True,
        )
    )
    await session.flush()
    structure_created(session, DEPARTMENT_CREATED, row, actor, parent_id=row.parent_id)
    return department_out(row)


async def update_department(
    session: AsyncSession, ident: uuid.UUID, patch: DepartmentPatch, *, actor: uuid.UUID | None
) -> DepartmentOut:
    given = patch.model_fields_set - {"expected_version"}
    for name in ("name", "is_active"):
        if name in given and getattr(patch, name) is None:
            raise not_null(f"body.{name}")
    await active_tenant(session)
    repository = Departments(session)
    row = await department_or_404(session, ident)
    company = await company_or_404(session, row.company_id)
    check_version(f"Department {row.code}", patch.expected_version, row.version)
    if "parent_id" in given and patch.parent_id is not None:
        parents = await repository.parents(company.id)
        if patch.parent_id not in parents:
            raise invalid_field(
                "body.parent_id",
                "no such department in this company",
                "এই কোম্পানিতে এমন কোনো বিভাগ নেই",
                "unknown_reference",
            )
        if rules.creates_cycle(parents, row.id, patch.parent_id):
            raise invalid_field(
                "body.parent_id",
                "would make the department its own ancestor",
                "বিভাগটি নিজেই নিজের ঊর্ধ্বতন হয়ে যাবে",
                "cycle",
            )
    if "head_user_id" in given:
        await _check_head(session, company, patch.head_user_id)
    current = row.version
    if apply_changes(row, {name: getattr(patch, name) for name in given}):
        await flush_versioned(session, f"Department {row.code}", current)
    return department_out(row)


def department_tree(rows: Sequence[Department]) -> list[DepartmentNode]:
    """The departments as a forest: roots (and orphans) first, children by code."""
    nodes = {
        row.id: DepartmentNode(
            id=row.id,
            code=row.code,
            name=row.name,
            name_bn=row.name_bn,
            head_user_id=row.head_user_id,
            is_active=row.is_active,
            children=[],
        )
        for row in rows
    }
    roots: list[DepartmentNode] = []
    for row in sorted(rows, key=lambda item: item.code):
        parent = nodes.get(row.parent_id) if row.parent_id else None
        (parent.children if parent is not None else roots).append(nodes[row.id])
    return roots


# --- designations ----------------------------------------------------------------------------------------


def designation_out(row: Designation) -> DesignationOut:
    return DesignationOut.model_validate(row, from_attributes=True)


async def designation_or_404(session: AsyncSession, ident: uuid.UUID) -> Designation:
    row = await Designations(session).get(ident)
    if row is None:
        raise not_found("Designation", ident, "পদবি")
    return row


async def create_designation(
    session: AsyncSession, data: DesignationCreate, *, actor: uuid.UUID | None
) -> DesignationOut:
    await active_tenant(session)
    repository = Designations(session)
    if await repository.first(Designation.code == data.code) is not None:
        raise _code_taken("Designation", data.code)
    row = repository.add(
        Designation(code=data.code, name=data.name, name_bn=data.name_bn, grade=data.grade, is_active=True)
    )
    await session.flush()
    structure_created(session, DESIGNATION_CREATED, row, actor)
    return designation_out(row)


async def update_designation(
    session: AsyncSession, ident: uuid.UUID, patch: DesignationPatch, *, actor: uuid.UUID | None
) -> DesignationOut:
    given = patch.model_fields_set - {"expected_version"}
    for name in ("name", "is_active"):
        if name in given and getattr(patch, name) is None:
            raise not_null(f"body.{name}")
    await active_tenant(session)
    row = await designation_or_404(session, ident)
    check_version(f"Designation {row.code}", patch.expected_version, row.version)
    current = row.version
    if apply_changes(row, {name: getattr(patch, name) for name in given}):
        await flush_versioned(session, f"Designation {row.code}", current)
    return designation_out(row)
