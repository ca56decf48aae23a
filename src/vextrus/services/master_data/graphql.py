"""GraphQL part of the master-data service: the federation entities Customer, Vendor, Product and
Account (other services reference them by id), queries and the vendor approval mutations.

Resolvers call the same service functions as REST; each checks its permission. Entities resolve
through the same cache as ``GET /api/v1/<entity>/{id}``, deleted records included, so references
held by other services' documents keep resolving.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from vextrus.kit.errors import not_found
from vextrus.kit.graphql import GraphQLContext, sensitive
from vextrus.kit.pagination import MAX_LIMIT, PageRequest
from vextrus.services.master_data import accounts as chart
from vextrus.services.master_data import parties, service
from vextrus.services.master_data.products import COST_PERMISSIONS
from vextrus.services.master_data.repository import Filters
from vextrus.services.master_data.schemas import ApprovalAction

ContextInfo = Info[GraphQLContext, None]


def _uuid(value: str, what: str, what_bn: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise not_found(what, value, what_bn) from None


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


async def _read(info: ContextInfo, entity: str, ident: str) -> dict[str, Any]:
    info.context.require(f"master-data.{entity}.read")
    label = service.ENTITIES[entity]
    return await service.read(
        info.context.runtime.cache, info.context.transaction, entity, _uuid(ident, label.label, label.label_bn)
    )


@strawberry.federation.type(keys=["id"], shareable=True, description="A customer of the tenant (master data)")
class Customer:
    id: strawberry.ID
    code: str
    name: str
    name_bn: str | None
    kind: str = strawberry.field(description="individual, corporate, government or ngo")
    status: str
    tin: str | None
    bin: str | None
    bin_formatted: str | None
    phones: list[str] = strawberry.field(description="E.164 numbers")
    email: str | None
    credit_limit: Decimal
    currency: str
    payment_terms_days: int
    billing_address: JSON | None
    version: int
    deleted_at: dt.datetime | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Customer:
        return cls(
            id=strawberry.ID(data["id"]),
            code=data["code"],
            name=data["name"],
            name_bn=data["name_bn"],
            kind=data["kind"],
            status=data["status"],
            tin=data["tin"],
            bin=data["bin"],
            bin_formatted=data["bin_formatted"],
            phones=[phone["number"] for phone in data["phones"]],
            email=data["email"],
            credit_limit=Decimal(str(data["credit_limit"])),
            currency=data["currency"],
            payment_terms_days=data["payment_terms_days"],
            billing_address=data["billing_address"],
            version=data["version"],
            deleted_at=_time(data["deleted_at"]),
        )

    @classmethod
    async def resolve_reference(cls, info: ContextInfo, id: strawberry.ID) -> Customer:
        return cls.from_json(await _read(info, "customer", id))


@strawberry.federation.type(keys=["id"], shareable=True, description="A vendor (supplier, contractor...) of the tenant")
class Vendor:
    id: strawberry.ID
    code: str
    name: str
    name_bn: str | None
    kind: str
    approval_status: str = strawberry.field(description="pending, approved or blacklisted")
    approval_reason: str | None
    tin: str | None
    bin: str | None
    trade_licence_number: str | None
    trade_licence_expiry: dt.date | None
    trade_licence_expired: bool
    phones: list[str]
    email: str | None
    bank_account: JSON | None
    mobile_wallets: JSON
    payment_terms_days: int
    version: int
    deleted_at: dt.datetime | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Vendor:
        expiry = data["trade_licence_expiry"]
        return cls(
            id=strawberry.ID(data["id"]),
            code=data["code"],
            name=data["name"],
            name_bn=data["name_bn"],
            kind=data["kind"],
            approval_status=data["approval_status"],
            approval_reason=data["approval_reason"],
            tin=data["tin"],
            bin=data["bin"],
            trade_licence_number=data["trade_licence_number"],
            trade_licence_expiry=dt.date.fromisoformat(expiry) if expiry else None,
            trade_licence_expired=data["trade_licence_expired"],
            phones=[phone["number"] for phone in data["phones"]],
            email=data["email"],
            bank_account=data["bank_account"],
            mobile_wallets=data["mobile_wallets"],
            payment_terms_days=data["payment_terms_days"],
            version=data["version"],
            deleted_at=_time(data["deleted_at"]),
        )

    @classmethod
    async def resolve_reference(cls, info: ContextInfo, id: strawberry.ID) -> Vendor:
        return cls.from_json(await _read(info, "vendor", id))


@strawberry.federation.type(keys=["id"], shareable=True, description="A product or service the tenant buys or sells")
class Product:
    id: strawberry.ID
    code: str = strawberry.field(description="SKU")
    name: str
    name_bn: str | None
    type: str = strawberry.field(description="goods or service")
    category: str
    status: str
    unit: str
    conversions: JSON
    hs_code: str | None
    vat_rate_code: str
    vat_exempt: bool
    sd_rate: Decimal
    purchase_price: Decimal | None = sensitive(*COST_PERMISSIONS)
    sale_price: Decimal | None
    currency: str
    purchase_account_id: strawberry.ID | None
    sale_account_id: strawberry.ID | None
    version: int
    deleted_at: dt.datetime | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Product:
        return cls(
            id=strawberry.ID(data["id"]),
            code=data["code"],
            name=data["name"],
            name_bn=data["name_bn"],
            type=data["type"],
            category=data["category"],
            status=data["status"],
            unit=data["unit"],
            conversions=data["conversions"],
            hs_code=data["hs_code"],
            vat_rate_code=data["vat_rate_code"],
            vat_exempt=data["vat_exempt"],
            sd_rate=Decimal(str(data["sd_rate"])),
            purchase_price=_decimal(data["purchase_price"]),
            sale_price=_decimal(data["sale_price"]),
            currency=data["currency"],
            purchase_account_id=strawberry.ID(data["purchase_account_id"]) if data["purchase_account_id"] else None,
            sale_account_id=strawberry.ID(data["sale_account_id"]) if data["sale_account_id"] else None,
            version=data["version"],
            deleted_at=_time(data["deleted_at"]),
        )

    @classmethod
    async def resolve_reference(cls, info: ContextInfo, id: strawberry.ID) -> Product:
        return cls.from_json(await _read(info, "product", id))


@strawberry.federation.type(keys=["id"], shareable=True, description="An entry of the tenant's chart of accounts")
class Account:
    id: strawberry.ID
    code: str
    name: str
    name_bn: str | None
    type: str = strawberry.field(description="asset, liability, equity, income or expense")
    normal_balance: str = strawberry.field(description="debit or credit")
    is_group: bool
    posting: bool
    parent_id: strawberry.ID | None
    is_system: bool
    version: int
    deleted_at: dt.datetime | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Account:
        return cls(
            id=strawberry.ID(data["id"]),
            code=data["code"],
            name=data["name"],
            name_bn=data["name_bn"],
            type=data["type"],
            normal_balance=data["normal_balance"],
            is_group=data["is_group"],
            posting=data["posting"],
            parent_id=strawberry.ID(data["parent_id"]) if data["parent_id"] else None,
            is_system=data["is_system"],
            version=data["version"],
            deleted_at=_time(data["deleted_at"]),
        )

    @classmethod
    async def resolve_reference(cls, info: ContextInfo, id: strawberry.ID) -> Account:
        return cls.from_json(await _read(info, "account", id))


@strawberry.type
class CustomerPage:
    items: list[Customer]
    next_cursor: str | None


@strawberry.type
class VendorPage:
    items: list[Vendor]
    next_cursor: str | None


@strawberry.type
class ProductPage:
    items: list[Product]
    next_cursor: str | None


@strawberry.type
class AccountPage:
    items: list[Account]
    next_cursor: str | None


async def _page(
    info: ContextInfo, entity: str, q: str | None, limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    info.context.require(f"master-data.{entity}.read")
    page = PageRequest(max(1, min(limit, MAX_LIMIT)), cursor)
    async with info.context.transaction() as session:
        result = await service.list_records(session, entity, page, Filters(q=q[:100] if q else None))
    return [item.model_dump(mode="json") for item in result.items], result.next_cursor


# --- resolvers ----------------------------------------------------------------------------------------


async def customer(info: ContextInfo, id: strawberry.ID) -> Customer:
    return Customer.from_json(await _read(info, "customer", id))


async def customers(
    info: ContextInfo, q: str | None = None, limit: int = 50, cursor: str | None = None
) -> CustomerPage:
    items, next_cursor = await _page(info, "customer", q, limit, cursor)
    return CustomerPage(items=[Customer.from_json(item) for item in items], next_cursor=next_cursor)


async def vendor(info: ContextInfo, id: strawberry.ID) -> Vendor:
    return Vendor.from_json(await _read(info, "vendor", id))


async def vendors(info: ContextInfo, q: str | None = None, limit: int = 50, cursor: str | None = None) -> VendorPage:
    items, next_cursor = await _page(info, "vendor", q, limit, cursor)
    return VendorPage(items=[Vendor.from_json(item) for item in items], next_cursor=next_cursor)


async def product(info: ContextInfo, id: strawberry.ID) -> Product:
    return Product.from_json(await _read(info, "product", id))


async def products(info: ContextInfo, q: str | None = None, limit: int = 50, cursor: str | None = None) -> ProductPage:
    items, next_cursor = await _page(info, "product", q, limit, cursor)
    return ProductPage(items=[Product.from_json(item) for item in items], next_cursor=next_cursor)


async def account(info: ContextInfo, id: strawberry.ID) -> Account:
    return Account.from_json(await _read(info, "account", id))


async def accounts(info: ContextInfo, q: str | None = None, limit: int = 50, cursor: str | None = None) -> AccountPage:
    items, next_cursor = await _page(info, "account", q, limit, cursor)
    return AccountPage(items=[Account.from_json(item) for item in items], next_cursor=next_cursor)


async def chart_of_accounts(info: ContextInfo) -> JSON:
    info.context.require("master-data.account.read")
    tree = await chart.account_tree(info.context.runtime.cache, info.context.transaction)
    return cast(JSON, tree)


async def _change_approval(info: ContextInfo, action: str, id: strawberry.ID, reason: str | None) -> Vendor:
    principal = info.context.require("master-data.vendor.approve")
    ident = _uuid(id, "Vendor", "সরবরাহকারী")
    async with info.context.transaction() as session:
        actor = service.Actor(session, info.context.runtime.cache, principal.subject)
        out = await parties.change_approval(actor, ident, action, ApprovalAction(reason=reason))
    return Vendor.from_json(out.model_dump(mode="json"))


async def approve_vendor(info: ContextInfo, id: strawberry.ID, reason: str | None = None) -> Vendor:
    return await _change_approval(info, "approve", id, reason)


async def blacklist_vendor(info: ContextInfo, id: strawberry.ID, reason: str) -> Vendor:
    return await _change_approval(info, "blacklist", id, reason[:1000])


@strawberry.type
class Query:
    customer: Customer = strawberry.field(resolver=customer, description="One customer (master-data.customer.read)")
    customers: CustomerPage = strawberry.field(
        resolver=customers, description="Customers by code; `q` searches code, names, TIN, BIN, NID, phone"
    )
    vendor: Vendor = strawberry.field(resolver=vendor, description="One vendor (master-data.vendor.read)")
    vendors: VendorPage = strawberry.field(resolver=vendors, description="Vendors by code; `q` as for customers")
    product: Product = strawberry.field(resolver=product, description="One product (master-data.product.read)")
    products: ProductPage = strawberry.field(resolver=products, description="Products by code; `q` searches")
    account: Account = strawberry.field(resolver=account, description="One account (master-data.account.read)")
    accounts: AccountPage = strawberry.field(resolver=accounts, description="Accounts by code (flat)")
    chart_of_accounts: JSON = strawberry.field(
        resolver=chart_of_accounts, description="The live chart of accounts as a tree (master-data.account.read)"
    )


@strawberry.type
class Mutation:
    approve_vendor: Vendor = strawberry.mutation(
        resolver=approve_vendor, description="Approve a pending vendor (master-data.vendor.approve)"
    )
    blacklist_vendor: Vendor = strawberry.mutation(
        resolver=blacklist_vendor, description="Blacklist a vendor with the reason (master-data.vendor.approve)"
    )
