"""Pydantic input and output models of the organization API.

Identifier rules come from :mod:`rules`; a broken rule is a 422 naming the field, with the reason
in English and Bengali (``reason_bn`` travels in the pydantic error context).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt
from pydantic_core import PydanticCustomError

from vextrus.services.organization import rules
from vextrus.services.organization.models import CODE_LENGTH, NAME_LENGTH, REASON_LENGTH
from vextrus.services.organization.rules import TenantStatus, TenantType, VatStatus

MAX_VERSION = 2**31 - 1


def _rule(check: Callable[[str], str]) -> Any:
    """A pydantic validator from a rule that raises :class:`rules.RuleViolation`."""

    def validate(value: str) -> str:
        try:
            return check(value)
        except rules.RuleViolation as violation:
            raise PydanticCustomError(violation.code, violation.reason, {"reason_bn": violation.reason_bn}) from None

    return AfterValidator(validate)


def _text(value: str) -> str:
    """Trimmed text without control characters; blank is refused."""
    if any(ord(char) < 32 and char not in "\t\n\r" for char in value):
        raise rules.RuleViolation("must not contain control characters", "নিয়ন্ত্রণ অক্ষর থাকতে পারবে না")
    stripped = value.strip()
    if not stripped:
        raise rules.RuleViolation("must not be blank", "ফাঁকা হতে পারবে না", "blank")
    return stripped


Name = Annotated[str, Field(min_length=1, max_length=NAME_LENGTH), _rule(_text)]
Text500 = Annotated[str, Field(min_length=1, max_length=REASON_LENGTH), _rule(_text)]
Slug = Annotated[str, Field(min_length=1, max_length=100), _rule(rules.validate_slug)]
Code = Annotated[str, Field(min_length=1, max_length=CODE_LENGTH, pattern=rules.CODE_PATTERN)]
Tin = Annotated[str, Field(min_length=1, max_length=20), _rule(rules.validate_tin)]
Bin = Annotated[str, Field(min_length=1, max_length=20), _rule(rules.validate_bin)]
BinSuffix = Annotated[str, Field(min_length=1, max_length=4), _rule(rules.validate_bin_suffix)]
RegulatoryBodyCode = Annotated[str, Field(min_length=1, max_length=16), _rule(rules.validate_regulatory_body)]
Month = Annotated[StrictInt, Field(ge=1, le=12)]
Currency = Annotated[str, Field(pattern=rules.CURRENCY_PATTERN)]
Phone = Annotated[str, Field(min_length=5, max_length=20, pattern=r"^\+?[0-9][0-9 -]{3,18}$")]
Email = Annotated[str, Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
ExpectedVersion = Annotated[
    int | None,
    Field(
        default=None,
        ge=1,
        le=MAX_VERSION,
        description="Refuse the change (409 version_conflict) unless at this version",
    ),
]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- tenants -------------------------------------------------------------------------------------


class TenantRef(BaseModel):
    id: uuid.UUID
    slug: str
    name: str
    status: TenantStatus


class CompanyRef(BaseModel):
    id: uuid.UUID
    name: str


class ProvisionIn(_Input):
    tenant_id: uuid.UUID
    name: Name
    name_bn: Name | None = None
    slug: Slug
    type: TenantType = "construction"
    admin_user_id: uuid.UUID


class ProvisionOut(BaseModel):
    tenant: TenantRef
    company: CompanyRef


class Limits(BaseModel):
    max_users: int
    max_companies: int
    max_projects: int


class Usage(BaseModel):
    users: int
    companies: int


class TenantOut(BaseModel):
    id: uuid.UUID
    slug: str
    name: str
    name_bn: str | None
    type: TenantType
    plan: str
    limits: Limits
    usage: Usage
    status: TenantStatus
    status_reason: str | None
    status_changed_at: dt.datetime | None
    suspended_at: dt.datetime | None
    closed_at: dt.datetime | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class TenantPatch(_Input):
    """What a tenant administrator may change: the profile, never the plan or the status."""

    name: Name | None = None
    name_bn: Name | None = None
    type: TenantType | None = None
    expected_version: ExpectedVersion = None


class StatusChange(_Input):
    reason: Text500 | None = None


class PlanChange(_Input):
    plan: str = Field(min_length=1, max_length=30, description="A plan code of GET /plans")
    max_users: StrictInt | None = Field(default=None, ge=1, le=1_000_000, description="Override the plan's limit")
    max_companies: StrictInt | None = Field(default=None, ge=1, le=10_000)
    max_projects: StrictInt | None = Field(default=None, ge=0, le=1_000_000)
    expected_version: ExpectedVersion = None


class PlanOut(BaseModel):
    code: str
    name: str
    limits: Limits


# --- companies and structure -------------------------------------------------------------------------


class Address(_Input):
    line: Annotated[str, Field(max_length=300), _rule(_text)] | None = None
    line_bn: Annotated[str, Field(max_length=300), _rule(_text)] | None = None
    area: Annotated[str, Field(max_length=100), _rule(_text)] | None = None
    thana: Annotated[str, Field(max_length=100), _rule(_text)] | None = None
    district: Annotated[str, Field(max_length=50)] | None = None
    division: Annotated[str, Field(max_length=20)] | None = None
    postal_code: Annotated[str, Field(pattern=r"^\d{4}$")] | None = None


class CompanyCreate(_Input):
    code: Code
    name: Name = Field(description="Registered legal name")
    name_bn: Name | None = None
    tin: Tin | None = Field(default=None, description="e-TIN, 12 digits (legacy 10-digit accepted)")
    bin: Bin | None = Field(default=None, description="VAT BIN, 9 digits (or 13 with a branch suffix)")
    vat_status: VatStatus | None = Field(
        default=None, description="registered | turnover | unregistered (default: registered when a BIN is given)"
    )
    vat_registered_on: dt.date | None = None
    trade_licence_number: Annotated[str, Field(min_length=1, max_length=50), _rule(_text)] | None = None
    trade_licence_authority: Annotated[str, Field(min_length=1, max_length=100), _rule(_text)] | None = None
    trade_licence_expiry: dt.date | None = None
    regulatory_body: RegulatoryBodyCode | None = None
    address: Address | None = None
    fiscal_year_start_month: Month = 7
    base_currency: Currency = "BDT"
    phone: Phone | None = None
    email: Email | None = None


class CompanyPatch(_Input):
    name: Name | None = None
    name_bn: Name | None = None
    tin: Tin | None = None
    bin: Bin | None = None
    vat_status: VatStatus | None = None
    vat_registered_on: dt.date | None = None
    trade_licence_number: Annotated[str, Field(min_length=1, max_length=50), _rule(_text)] | None = None
    trade_licence_authority: Annotated[str, Field(min_length=1, max_length=100), _rule(_text)] | None = None
    trade_licence_expiry: dt.date | None = None
    regulatory_body: RegulatoryBodyCode | None = None
    address: Address | None = None
    fiscal_year_start_month: Month | None = None
    base_currency: Currency | None = None
    phone: Phone | None = None
    email: Email | None = None
    is_active: StrictBool | None = None
    expected_version: ExpectedVersion = None


class AddressOut(BaseModel):
    line: str | None
    line_bn: str | None
    area: str | None
    thana: str | None
    district: str | None
    division: str | None
    postal_code: str | None


class CompanyOut(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    name_bn: str | None
    tin: str | None
    tin_legacy: bool = Field(description="True for an old 10-digit TIN")
    bin: str | None
    bin_display: str | None = Field(description="The BIN as printed, e.g. 123456789-0101")
    vat_status: VatStatus
    vat_registered_on: dt.date | None
    trade_licence_number: str | None
    trade_licence_authority: str | None
    trade_licence_expiry: dt.date | None
    regulatory_body: str | None
    address: AddressOut
    fiscal_year_start_month: int
    base_currency: str
    phone: str | None
    email: str | None
    is_active: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class DivisionCreate(_Input):
    company_id: uuid.UUID
    code: Code
    name: Name
    name_bn: Name | None = None
    description: Text500 | None = None


class DivisionPatch(_Input):
    name: Name | None = None
    name_bn: Name | None = None
    description: Text500 | None = None
    is_active: StrictBool | None = None
    expected_version: ExpectedVersion = None


class DivisionOut(BaseModel):
    id: uuid.UUID
    company_id: uuid.UUID
    code: str
    name: str
    name_bn: str | None
    description: str | None
    is_active: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class BranchCreate(_Input):
    company_id: uuid.UUID
    division_id: uuid.UUID | None = None
    code: Code
    name: Name
    name_bn: Name | None = None
    bin_suffix: BinSuffix | None = Field(default=None, description="4 digits appended to the company's BIN")
    is_head_office: StrictBool = False
    address: Address | None = None


class BranchPatch(_Input):
    division_id: uuid.UUID | None = None
    name: Name | None = None
    name_bn: Name | None = None
    bin_suffix: BinSuffix | None = None
    is_head_office: StrictBool | None = None
    address: Address | None = None
    is_active: StrictBool | None = None
    expected_version: ExpectedVersion = None


class BranchOut(BaseModel):
    id: uuid.UUID
    company_id: uuid.UUID
    division_id: uuid.UUID | None
    code: str
    name: str
    name_bn: str | None
    bin_suffix: str | None
    bin: str | None = Field(description="13-digit branch BIN: the company's 9-digit BIN + suffix")
    bin_display: str | None
    is_head_office: bool
    address: AddressOut
    is_active: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class DepartmentCreate(_Input):
    company_id: uuid.UUID
    parent_id: uuid.UUID | None = None
    code: Code
    name: Name
    name_bn: Name | None = None
    head_user_id: uuid.UUID | None = None


class DepartmentPatch(_Input):
    parent_id: uuid.UUID | None = None
    name: Name | None = None
    name_bn: Name | None = None
    head_user_id: uuid.UUID | None = None
    is_active: StrictBool | None = None
    expected_version: ExpectedVersion = None


class DepartmentOut(BaseModel):
    id: uuid.UUID
    company_id: uuid.UUID
    parent_id: uuid.UUID | None
    code: str
    name: str
    name_bn: str | None
    head_user_id: uuid.UUID | None
    is_active: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class DepartmentNode(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    name_bn: str | None
    head_user_id: uuid.UUID | None
    is_active: bool
    children: list[DepartmentNode]


class DesignationCreate(_Input):
    code: Code
    name: Name
    name_bn: Name | None = None
    grade: StrictInt | None = Field(default=None, ge=1, le=99, description="1 = most senior")


class DesignationPatch(_Input):
    name: Name | None = None
    name_bn: Name | None = None
    grade: StrictInt | None = Field(default=None, ge=1, le=99)
    is_active: StrictBool | None = None
    expected_version: ExpectedVersion = None


class DesignationOut(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    name_bn: str | None
    grade: int | None
    is_active: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


# --- memberships -------------------------------------------------------------------------------------


class MemberAdd(_Input):
    user_id: uuid.UUID
    primary: StrictBool = Field(
        default=False, description="Make this the user's primary company (a user's first company always is)"
    )
    department_id: uuid.UUID | None = None
    designation_id: uuid.UUID | None = None
    display_name: Name | None = None


class MemberPatch(_Input):
    primary: StrictBool | None = Field(default=None, description="Only true: make this company the primary one")
    department_id: uuid.UUID | None = None
    designation_id: uuid.UUID | None = None
    display_name: Name | None = None
    expected_version: ExpectedVersion = None


class MemberOut(BaseModel):
    id: uuid.UUID
    company_id: uuid.UUID
    user_id: uuid.UUID
    primary: bool
    department_id: uuid.UUID | None
    designation_id: uuid.UUID | None
    display_name: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class AccessCompany(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    primary: bool


class AccessDepartment(BaseModel):
    id: uuid.UUID
    company_id: uuid.UUID
    code: str
    name: str


class AccessDesignation(BaseModel):
    company_id: uuid.UUID
    id: uuid.UUID
    code: str
    name: str


class AccessOut(BaseModel):
    """What a user may act in: the tenant (with its status) and their companies, primary first."""

    tenant: TenantRef
    user_id: uuid.UUID
    companies: list[AccessCompany]
    departments: list[AccessDepartment]
    designations: list[AccessDesignation]


class RegulatoryBodyOut(BaseModel):
    code: str
    name: str
    name_bn: str
    area: str
