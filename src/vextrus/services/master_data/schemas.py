"""Pydantic input and output models of the master-data API.

Inputs forbid unknown fields. Identifiers (TIN, BIN, NID, phones, routing numbers) arrive as the
user typed them and are normalized by the service (rules.py); outputs carry the normalized value
and its display form. Money is Decimal and serialized as a string (``"1250.00"``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from vextrus.services.master_data.models import CODE_LENGTH, NAME_LENGTH


def _printable(value: str) -> str:
    if any(ord(char) < 32 and char not in "\t\n\r" for char in value):
        raise ValueError("must not contain control characters")
    return value


SafeText = Annotated[str, AfterValidator(_printable)]
Code = Annotated[
    SafeText, Field(min_length=1, max_length=CODE_LENGTH, description="Unique per tenant; stored upper-case")
]
Name = Annotated[SafeText, Field(min_length=1, max_length=NAME_LENGTH)]
ShortText = Annotated[SafeText, Field(max_length=200)]
LongText = Annotated[SafeText, Field(max_length=2000)]
IdText = Annotated[SafeText, Field(max_length=40, description="As typed: spaces, hyphens and Bengali digits are fine")]
PhoneText = Annotated[SafeText, Field(min_length=1, max_length=30)]
Amount = Annotated[
    Decimal, Field(ge=0, max_digits=16, decimal_places=2, description="BDT unless `currency` says otherwise")
]
Percent = Annotated[Decimal, Field(ge=0, le=1000, max_digits=7, decimal_places=2)]
Version = Annotated[int, Field(ge=1, le=2**31 - 1, description="Expected version (optimistic locking); or If-Match")]

CurrencyCode = Literal["BDT", "USD", "EUR", "GBP", "INR", "CNY", "JPY", "SAR", "AED", "MYR", "SGD"]
CustomerKind = Literal["individual", "corporate", "government", "ngo"]
CustomerStatus = Literal["active", "inactive", "suspended", "blacklisted"]
VendorKind = Literal["supplier", "contractor", "service_provider", "consultant", "manufacturer"]
ApprovalStatus = Literal["pending", "approved", "blacklisted"]
ProductType = Literal["goods", "service"]
ProductStatus = Literal["active", "inactive"]
VatRateCodeName = Literal[
    "STANDARD", "REDUCED_10", "REDUCED_7_5", "REDUCED_5", "REDUCED_4_5", "REDUCED_2", "ZERO", "EXEMPT"
]
AccountTypeName = Literal["asset", "liability", "equity", "income", "expense"]
NormalBalanceName = Literal["debit", "credit"]
WalletProvider = Literal["bkash", "nagad", "rocket", "upay"]
DimensionName = Literal["count", "mass", "length", "area", "volume", "time", "package", "service"]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- shared parts ---------------------------------------------------------------------------------


class AddressIn(_Input):
    line1: Annotated[SafeText, Field(min_length=1, max_length=200, description="House, road")]
    line2: ShortText | None = None
    area: ShortText | None = None
    union_ward: ShortText | None = None
    upazila: ShortText | None = Field(default=None, description="Upazila or thana")
    district: ShortText | None = Field(default=None, description="District name (English or Bengali) or BD-01..BD-64")
    division: ShortText | None = Field(default=None, description="Derived from the district when omitted")
    postal_code: IdText | None = None
    country: Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")] = "BD"
    address_bn: Annotated[SafeText, Field(max_length=400, description="The whole address in Bengali")] | None = None


class ContactPersonIn(_Input):
    name: Name
    name_bn: Name | None = None
    designation: ShortText | None = None
    phone: PhoneText | None = None
    email: Annotated[SafeText, Field(max_length=254)] | None = None


class PhoneOut(BaseModel):
    number: str = Field(description="E.164")
    formatted: str
    type: str = Field(description="mobile, fixed or other")
    operator: str | None = None


class RecordOut(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    name_bn: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: uuid.UUID | None
    updated_by: uuid.UUID | None
    deleted_at: dt.datetime | None = Field(description="Set when deleted; the record stays readable by id")


# --- customers ------------------------------------------------------------------------------------


class CustomerCreate(_Input):
    code: Code
    kind: CustomerKind = "corporate"
    name: Name
    name_bn: Name | None = None
    tin: IdText | None = None
    bin: IdText | None = None
    nid: IdText | None = None
    phones: Annotated[list[PhoneText], Field(max_length=5)] = []
    email: Annotated[SafeText, Field(max_length=254)] | None = None
    billing_address: AddressIn | None = None
    shipping_address: AddressIn | None = None
    credit_limit: Amount = Decimal(0)
    currency: CurrencyCode = "BDT"
    payment_terms_days: Annotated[int, Field(ge=0, le=365)] = 30
    contact_persons: Annotated[list[ContactPersonIn], Field(max_length=20)] = []
    status: CustomerStatus = "active"
    notes: LongText | None = None


class CustomerPatch(_Input):
    code: Code | None = None
    kind: CustomerKind | None = None
    name: Name | None = None
    name_bn: Name | None = None
    tin: IdText | None = None
    bin: IdText | None = None
    nid: IdText | None = None
    phones: Annotated[list[PhoneText], Field(max_length=5)] | None = None
    email: Annotated[SafeText, Field(max_length=254)] | None = None
    billing_address: AddressIn | None = None
    shipping_address: AddressIn | None = None
    credit_limit: Amount | None = None
    currency: CurrencyCode | None = None
    payment_terms_days: Annotated[int, Field(ge=0, le=365)] | None = None
    contact_persons: Annotated[list[ContactPersonIn], Field(max_length=20)] | None = None
    status: CustomerStatus | None = None
    notes: LongText | None = None
    version: Version | None = None


class CustomerOut(RecordOut):
    kind: str
    status: str
    tin: str | None
    tin_formatted: str | None
    tin_legacy: bool = Field(description="A legacy 10-digit TIN: ask for the 12-digit e-TIN")
    bin: str | None
    bin_formatted: str | None
    nid: str | None
    phones: list[PhoneOut]
    email: str | None
    billing_address: dict[str, Any] | None
    shipping_address: dict[str, Any] | None
    credit_limit: Decimal
    currency: str
    payment_terms_days: int
    contact_persons: list[dict[str, Any]]
    notes: str | None


# --- vendors --------------------------------------------------------------------------------------


class BankAccountIn(_Input):
    bank_name: Name
    branch: ShortText | None = None
    account_name: Name
    account_number: Annotated[SafeText, Field(min_length=1, max_length=30)]
    routing_number: IdText


class WalletIn(_Input):
    provider: WalletProvider
    number: PhoneText
    account_type: Literal["personal", "merchant", "agent"] = "merchant"


class VendorCreate(_Input):
    code: Code
    kind: VendorKind = "supplier"
    name: Name
    name_bn: Name | None = None
    tin: IdText | None = Field(default=None, description="Required for contractors; unique per tenant")
    bin: IdText | None = None
    nid: IdText | None = None
    trade_licence_number: Annotated[SafeText, Field(max_length=60)] | None = None
    trade_licence_expiry: dt.date | None = None
    phones: Annotated[list[PhoneText], Field(max_length=5)] = []
    email: Annotated[SafeText, Field(max_length=254)] | None = None
    address: AddressIn | None = None
    bank_account: BankAccountIn | None = None
    mobile_wallets: Annotated[list[WalletIn], Field(max_length=5)] = []
    currency: CurrencyCode = "BDT"
    payment_terms_days: Annotated[int, Field(ge=0, le=365)] = 30
    contact_persons: Annotated[list[ContactPersonIn], Field(max_length=20)] = []
    notes: LongText | None = None


class VendorPatch(_Input):
    code: Code | None = None
    kind: VendorKind | None = None
    name: Name | None = None
    name_bn: Name | None = None
    tin: IdText | None = None
    bin: IdText | None = None
    nid: IdText | None = None
    trade_licence_number: Annotated[SafeText, Field(max_length=60)] | None = None
    trade_licence_expiry: dt.date | None = None
    phones: Annotated[list[PhoneText], Field(max_length=5)] | None = None
    email: Annotated[SafeText, Field(max_length=254)] | None = None
    address: AddressIn | None = None
    bank_account: BankAccountIn | None = None
    mobile_wallets: Annotated[list[WalletIn], Field(max_length=5)] | None = None
    currency: CurrencyCode | None = None
    payment_terms_days: Annotated[int, Field(ge=0, le=365)] | None = None
    contact_persons: Annotated[list[ContactPersonIn], Field(max_length=20)] | None = None
    notes: LongText | None = None
    version: Version | None = None


class ApprovalAction(_Input):
    reason: Annotated[SafeText, Field(min_length=1, max_length=1000)] | None = None
    version: Version | None = None


class VendorOut(RecordOut):
    kind: str
    approval_status: str
    approval_reason: str | None
    approval_changed_at: dt.datetime | None
    approval_changed_by: uuid.UUID | None
    tin: str | None
    tin_formatted: str | None
    tin_legacy: bool
    bin: str | None
    bin_formatted: str | None
    nid: str | None
    trade_licence_number: str | None
    trade_licence_expiry: dt.date | None
    trade_licence_expired: bool = Field(description="The trade licence expired before today (Dhaka)")
    phones: list[PhoneOut]
    email: str | None
    address: dict[str, Any] | None
    bank_account: dict[str, Any] | None
    mobile_wallets: list[dict[str, Any]]
    currency: str
    payment_terms_days: int
    contact_persons: list[dict[str, Any]]
    notes: str | None


# --- products -------------------------------------------------------------------------------------


class ConversionIn(_Input):
    unit: Annotated[str, Field(min_length=1, max_length=20)]
    factor: Annotated[Decimal, Field(gt=0, max_digits=24, decimal_places=12)] = Field(
        description="How many of the product's unit one `unit` is (1 bag = 50 kg: factor 50)"
    )


class ProductCreate(_Input):
    code: Code = Field(description="SKU")
    name: Name
    name_bn: Name | None = None
    type: ProductType = "goods"
    category: Annotated[str, Field(min_length=1, max_length=30)]
    status: ProductStatus = "active"
    description: LongText | None = None
    unit: Annotated[str, Field(min_length=1, max_length=20)]
    conversions: Annotated[list[ConversionIn], Field(max_length=10)] = []
    hs_code: Annotated[SafeText, Field(max_length=20)] | None = None
    vat_rate_code: VatRateCodeName = "STANDARD"
    sd_rate: Percent = Decimal(0)
    exemption_reason: LongText | None = None
    exemption_reference: Annotated[SafeText, Field(max_length=100)] | None = None
    purchase_price: Amount | None = None
    sale_price: Amount | None = None
    currency: CurrencyCode = "BDT"
    purchase_account_id: uuid.UUID | None = None
    sale_account_id: uuid.UUID | None = None


class ProductPatch(_Input):
    code: Code | None = None
    name: Name | None = None
    name_bn: Name | None = None
    type: ProductType | None = None
    category: Annotated[str, Field(min_length=1, max_length=30)] | None = None
    status: ProductStatus | None = None
    description: LongText | None = None
    unit: Annotated[str, Field(min_length=1, max_length=20)] | None = None
    conversions: Annotated[list[ConversionIn], Field(max_length=10)] | None = None
    hs_code: Annotated[SafeText, Field(max_length=20)] | None = None
    vat_rate_code: VatRateCodeName | None = None
    sd_rate: Percent | None = None
    exemption_reason: LongText | None = None
    exemption_reference: Annotated[SafeText, Field(max_length=100)] | None = None
    purchase_price: Amount | None = None
    sale_price: Amount | None = None
    currency: CurrencyCode | None = None
    purchase_account_id: uuid.UUID | None = None
    sale_account_id: uuid.UUID | None = None
    version: Version | None = None


class ProductOut(RecordOut):
    type: str
    category: str
    status: str
    description: str | None
    unit: str
    conversions: list[dict[str, Any]]
    hs_code: str | None
    hs_code_formatted: str | None
    vat_rate_code: str
    vat_exempt: bool
    sd_rate: Decimal
    exemption_reason: str | None
    exemption_reference: str | None
    purchase_price: Decimal | None
    sale_price: Decimal | None
    currency: str
    purchase_account_id: uuid.UUID | None
    sale_account_id: uuid.UUID | None


class ConversionOut(BaseModel):
    product_id: uuid.UUID
    quantity: Decimal
    from_unit: str
    to_unit: str
    result: Decimal


# --- accounts -------------------------------------------------------------------------------------


class AccountCreate(_Input):
    code: Code
    name: Name
    name_bn: Name | None = None
    type: AccountTypeName
    normal_balance: NormalBalanceName | None = Field(default=None, description="Defaults from the type")
    is_group: bool = False
    parent_id: uuid.UUID | None = None
    description: LongText | None = None


class AccountPatch(_Input):
    code: Code | None = None
    name: Name | None = None
    name_bn: Name | None = None
    normal_balance: NormalBalanceName | None = None
    is_group: bool | None = None
    parent_id: uuid.UUID | None = None
    description: LongText | None = None
    version: Version | None = None


class AccountOut(RecordOut):
    type: str
    normal_balance: str
    is_group: bool
    posting: bool = Field(description="True for posting accounts (not groups)")
    parent_id: uuid.UUID | None
    description: str | None
    is_system: bool


class AccountNode(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    name_bn: str | None
    type: str
    normal_balance: str
    is_group: bool
    children: list[AccountNode]


class TemplateResult(BaseModel):
    created: int = Field(description="Accounts added by this call")
    existing: int = Field(description="Template accounts already present (left as they are)")
    codes: list[str] = Field(description="Codes of the accounts added")


# --- units and currencies ---------------------------------------------------------------------------


class UnitOut(BaseModel):
    code: str
    name: str
    name_bn: str | None
    dimension: str
    factor: Decimal = Field(description="Base units of the dimension in one of this unit")
    base_unit: str | None
    standard: bool


class UnitCreate(_Input):
    code: Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[a-z][a-z0-9_.-]*$")]
    name: Annotated[SafeText, Field(min_length=1, max_length=100)]
    name_bn: Annotated[SafeText, Field(min_length=1, max_length=100)] | None = None
    dimension: DimensionName
    factor: Annotated[Decimal, Field(gt=0, max_digits=24, decimal_places=12)] = Decimal(1)


class CurrencyOut(BaseModel):
    code: str
    name: str
    name_bn: str
    symbol: str
    decimals: int
    base: bool


# --- validation ------------------------------------------------------------------------------------


class ValidateIn(_Input):
    kind: Literal["tin", "bin", "nid", "mobile", "postal_code", "routing_number", "trade_licence"]
    value: Annotated[str, Field(max_length=100)]


class ValidateOut(BaseModel):
    kind: str
    value: str
    valid: bool
    normalized: str | None
    formatted: str | None
    code: str | None = Field(description="Machine code of the reason")
    reason: str | None = Field(description="Why the value is invalid (or a note on a valid one), in English")
    reason_bn: str | None = Field(description="The same in Bengali")
    details: dict[str, Any]
