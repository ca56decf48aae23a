"""REST API of the master-data service under ``/api/v1`` (thin; logic in service.py)."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from vextrus import bd
from vextrus.kit.cache import Cache
from vextrus.kit.db import SessionDep
from vextrus.kit.errors import invalid_field
from vextrus.kit.pagination import Page, PageRequest, page_request
from vextrus.kit.security import require
from vextrus.kit.tenancy import Principal
from vextrus.services.master_data import accounts, bulk, metrics, parties, products, service
from vextrus.services.master_data.repository import Filters, search_phone
from vextrus.services.master_data.schemas import (
    AccountCreate,
    AccountNode,
    AccountOut,
    AccountPatch,
    AccountTypeName,
    ApprovalAction,
    ApprovalStatus,
    ConversionOut,
    CurrencyOut,
    CustomerCreate,
    CustomerKind,
    CustomerOut,
    CustomerPatch,
    CustomerStatus,
    ProductCreate,
    ProductOut,
    ProductPatch,
    ProductStatus,
    ProductType,
    TemplateResult,
    UnitCreate,
    UnitOut,
    ValidateIn,
    ValidateOut,
    VendorCreate,
    VendorKind,
    VendorOut,
    VendorPatch,
)

PREFIX = "/api/v1"
router = APIRouter(prefix=PREFIX, tags=["master-data"])

PERMISSIONS = {
    "master-data.bd.read": "Validate Bangladeshi identifiers (TIN, BIN, NID, mobile, postal code, routing number)",
    "master-data.customer.read": "Read and search customers",
    "master-data.customer.write": "Create and change customers",
    "master-data.customer.delete": "Delete and restore customers",
    "master-data.vendor.read": "Read and search vendors",
    "master-data.vendor.write": "Create and change vendors",
    "master-data.vendor.delete": "Delete and restore vendors",
    "master-data.vendor.approve": "Approve, blacklist and reinstate vendors",
    "master-data.product.read": "Read and search products and services",
    "master-data.product.write": "Create and change products and services (prices included)",
    "master-data.product.cost.read": "See products' purchase (cost) prices; readers without it get null",
    "master-data.product.delete": "Delete and restore products and services",
    "master-data.account.read": "Read the chart of accounts",
    "master-data.account.write": "Create and change accounts; install the Bangladesh template",
    "master-data.account.delete": "Delete and restore accounts",
    "master-data.unit.read": "Read units of measure",
    "master-data.unit.write": "Add the tenant's own units of measure",
    "master-data.currency.read": "Read currencies",
}

IfMatch = Annotated[str | None, Header(max_length=64, description='Expected version as an entity tag, e.g. "3"')]
_ENTITY_TAG = re.compile(r'^(?:W/)?"?(\d{1,10})"?$')

Q = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=100,
        description="Search: code prefix, English or Bengali name, TIN, BIN, NID or phone in any format",
    ),
]
IncludeDeleted = Annotated[bool, Query(description="Include soft-deleted records")]
PageDep = Annotated[PageRequest, Depends(page_request)]


def _expected_version(if_match: str | None, body_version: int | None = None) -> int | None:
    """The version the client expects, from ``If-Match`` and/or the body's ``version`` (must agree)."""
    if if_match is None or if_match.strip() == "*":
        return body_version
    match = _ENTITY_TAG.match(if_match.strip())
    if match is None:
        raise invalid_field(
            "header.if-match", 'must be a version entity tag such as "3"', '"3"-এর মতো একটি সংস্করণ ট্যাগ হতে হবে'
        )
    version = int(match.group(1))
    if body_version is not None and body_version != version:
        raise invalid_field("header.if-match", "disagrees with body.version", "body.version-এর সাথে মেলে না")
    return version


def _cache(request: Request) -> Cache:
    cache: Cache = request.app.state.runtime.cache
    return cache


def _actor(request: Request, session: Any, principal: Principal) -> service.Actor:
    return service.Actor(session, _cache(request), principal.subject)


def _session_scope(request: Request) -> service.SessionScope:
    scope: service.SessionScope = request.app.state.runtime.database.transaction
    return scope


def _record_response(data: dict[str, Any]) -> Response:
    return JSONResponse(data, headers={"ETag": f'"{data["version"]}"'})


def _written(model: BaseModel, response: Response, location: str | None = None) -> BaseModel:
    response.headers["ETag"] = f'"{getattr(model, "version", "")}"'
    if location is not None:
        response.headers["Location"] = location
    return model


def _identifier(kind: str, value: str | None, field: str) -> str | None:
    if value is None:
        return None
    result = bd.validate(kind, value)
    if not result.valid:
        metrics.VALIDATION_ERRORS.labels(kind).inc()
        raise invalid_field(
            field, result.reason or "invalid", result.reason_bn or "সঠিক নয়", code=result.code or "invalid"
        )
    return result.normalized


def _phone(value: str | None) -> str | None:
    if value is None:
        return None
    phone = search_phone(value)
    if phone is None:
        metrics.VALIDATION_ERRORS.labels("phone").inc()
        raise invalid_field("query.phone", "Not a phone number", "ফোন নম্বর নয়")
    return phone


def _district(value: str | None) -> str | None:
    if value is None:
        return None
    district = bd.find_district(value)
    if district is None:
        metrics.VALIDATION_ERRORS.labels("district").inc()
        raise invalid_field("query.district", "Unknown district", "অজানা জেলা")
    return district.code


# --- Bangladesh identifiers ---------------------------------------------------------------------


@router.post("/bd/validate", response_model=ValidateOut, summary="Validate a Bangladeshi identifier")
async def validate_identifier(body: ValidateIn, principal: Principal = require("master-data.bd.read")) -> ValidateOut:
    """`{"kind": "tin|bin|nid|mobile|postal_code|routing_number|trade_licence", "value": "..."}` →
    validity, normalized and display forms, the reason in English and Bengali, and details."""
    return service.validate_identifier(body.kind, body.value)


# --- customers ------------------------------------------------------------------------------------


@router.get("/customers", response_model=Page[CustomerOut], summary="List and search customers")
async def list_customers(
    session: SessionDep,
    page: PageDep,
    q: Q = None,
    status: CustomerStatus | None = None,
    kind: CustomerKind | None = None,
    district: Annotated[str | None, Query(max_length=40, description="District name or BD-01..BD-64")] = None,
    tin: Annotated[str | None, Query(max_length=40)] = None,
    bin: Annotated[str | None, Query(max_length=40)] = None,
    phone: Annotated[str | None, Query(max_length=30, description="Any format; normalized first")] = None,
    include_deleted: IncludeDeleted = False,
    principal: Principal = require("master-data.customer.read"),
) -> Page[Any]:
    filters = Filters(
        q=q,
        phone=_phone(phone),
        include_deleted=include_deleted,
        equals=(
            ("status", status),
            ("kind", kind),
            ("district_code", _district(district)),
            ("tin", _identifier("tin", tin, "query.tin")),
            ("bin", _identifier("bin", bin, "query.bin")),
        ),
    )
    return await service.list_records(session, "customer", page, filters)


@router.post("/customers", response_model=CustomerOut, status_code=201, summary="Create a customer")
async def create_customer(
    body: CustomerCreate,
    session: SessionDep,
    request: Request,
    response: Response,
    principal: Principal = require("master-data.customer.write"),
) -> BaseModel:
    customer = await parties.create_customer(_actor(request, session, principal), body)
    return _written(customer, response, f"{PREFIX}/customers/{customer.id}")


@router.get("/customers/{customer_id}", response_model=CustomerOut, summary="One customer (also when deleted)")
async def get_customer(
    customer_id: uuid.UUID, request: Request, principal: Principal = require("master-data.customer.read")
) -> Response:
    return _record_response(await service.read(_cache(request), _session_scope(request), "customer", customer_id))


@router.patch("/customers/{customer_id}", response_model=CustomerOut, summary="Change a customer")
async def patch_customer(
    customer_id: uuid.UUID,
    body: CustomerPatch,
    session: SessionDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
    principal: Principal = require("master-data.customer.write"),
) -> BaseModel:
    expected = _expected_version(if_match, body.version)
    customer = await parties.update_customer(_actor(request, session, principal), customer_id, body, expected)
    return _written(customer, response)


@router.delete("/customers/{customer_id}", status_code=204, summary="Delete a customer (soft)")
async def delete_customer(
    customer_id: uuid.UUID,
    session: SessionDep,
    request: Request,
    if_match: IfMatch = None,
    principal: Principal = require("master-data.customer.delete"),
) -> Response:
    await service.delete(_actor(request, session, principal), "customer", customer_id, _expected_version(if_match))
    return Response(status_code=204)


@router.post("/customers/{customer_id}/restore", response_model=CustomerOut, summary="Undo a delete")
async def restore_customer(
    customer_id: uuid.UUID,
    session: SessionDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
    principal: Principal = require("master-data.customer.delete"),
) -> BaseModel:
    actor = _actor(request, session, principal)
    return _written(await service.restore(actor, "customer", customer_id, _expected_version(if_match)), response)


# --- vendors --------------------------------------------------------------------------------------


@router.get("/vendors", response_model=Page[VendorOut], summary="List and search vendors")
async def list_vendors(
    session: SessionDep,
    page: PageDep,
    q: Q = None,
    approval_status: ApprovalStatus | None = None,
    kind: VendorKind | None = None,
    district: Annotated[str | None, Query(max_length=40, description="District name or BD-01..BD-64")] = None,
    tin: Annotated[str | None, Query(max_length=40)] = None,
    bin: Annotated[str | None, Query(max_length=40)] = None,
    phone: Annotated[str | None, Query(max_length=30, description="Any format; wallets included")] = None,
    include_deleted: IncludeDeleted = False,
    principal: Principal = require("master-data.vendor.read"),
) -> Page[Any]:
    filters = Filters(
        q=q,
        phone=_phone(phone),
        include_deleted=include_deleted,
        equals=(
            ("approval_status", approval_status),
            ("kind", kind),
            ("district_code", _district(district)),
            ("tin", _identifier("tin", tin, "query.tin")),
            ("bin", _identifier("bin", bin, "query.bin")),
        ),
    )
    return await service.list_records(session, "vendor", page, filters)


@router.post("/vendors", response_model=VendorOut, status_code=201, summary="Create a vendor (pending approval)")
async def create_vendor(
    body: VendorCreate,
    session: SessionDep,
    request: Request,
    response: Response,
    principal: Principal = require("master-data.vendor.write"),
) -> BaseModel:
    vendor = await parties.create_vendor(_actor(request, session, principal), body)
    return _written(vendor, response, f"{PREFIX}/vendors/{vendor.id}")


@router.get("/vendors/{vendor_id}", response_model=VendorOut, summary="One vendor (also when deleted)")
async def get_vendor(
    vendor_id: uuid.UUID, request: Request, principal: Principal = require("master-data.vendor.read")
) -> Response:
    return _record_response(await service.read(_cache(request), _session_scope(request), "vendor", vendor_id))


@router.patch("/vendors/{vendor_id}", response_model=VendorOut, summary="Change a vendor")
async def patch_vendor(
    vendor_id: uuid.UUID,
    body: VendorPatch,
    session: SessionDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
    principal: Principal = require("master-data.vendor.write"),
) -> BaseModel:
    expected = _expected_version(if_match, body.version)
    vendor = await parties.update_vendor(_actor(request, session, principal), vendor_id, body, expected)
    return _written(vendor, response)


@router.delete("/vendors/{vendor_id}", status_code=204, summary="Delete a vendor (soft)")
async def delete_vendor(
    vendor_id: uuid.UUID,
    session: SessionDep,
    request: Request,
    if_match: IfMatch = None,
    principal: Principal = require("master-data.vendor.delete"),
) -> Response:
    await service.delete(_actor(request, session, principal), "vendor", vendor_id, _expected_version(if_match))
    return Response(status_code=204)


@router.post("/vendors/{vendor_id}/restore", response_model=VendorOut, summary="Undo a delete")
async def restore_vendor(
    vendor_id: uuid.UUID,
    session: SessionDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
    principal: Principal = require("master-data.vendor.delete"),
) -> BaseModel:
    actor = _actor(request, session, principal)
    return _written(await service.restore(actor, "vendor", vendor_id, _expected_version(if_match)), response)


async def _approval(
    action: str, vendor_id: uuid.UUID, body: ApprovalAction, session: Any, request: Request, principal: Principal
) -> VendorOut:
    return await parties.change_approval(_actor(request, session, principal), vendor_id, action, body)


@router.post("/vendors/{vendor_id}/approve", response_model=VendorOut, summary="Approve a pending vendor")
async def approve_vendor(
    vendor_id: uuid.UUID,
    body: ApprovalAction,
    session: SessionDep,
    request: Request,
    principal: Principal = require("master-data.vendor.approve"),
) -> VendorOut:
    return await _approval("approve", vendor_id, body, session, request, principal)


@router.post("/vendors/{vendor_id}/blacklist", response_model=VendorOut, summary="Blacklist a vendor (reason required)")
async def blacklist_vendor(
    vendor_id: uuid.UUID,
    body: ApprovalAction,
    session: SessionDep,
    request: Request,
    principal: Principal = require("master-data.vendor.approve"),
) -> VendorOut:
    return await _approval("blacklist", vendor_id, body, session, request, principal)


@router.post("/vendors/{vendor_id}/reinstate", response_model=VendorOut, summary="Back to pending approval")
async def reinstate_vendor(
    vendor_id: uuid.UUID,
    body: ApprovalAction,
    session: SessionDep,
    request: Request,
    principal: Principal = require("master-data.vendor.approve"),
) -> VendorOut:
    return await _approval("reinstate", vendor_id, body, session, request, principal)


# --- products -------------------------------------------------------------------------------------


@router.get("/products", response_model=Page[ProductOut], summary="List and search products and services")
async def list_products(
    session: SessionDep,
    page: PageDep,
    q: Q = None,
    type: ProductType | None = None,
    category: Annotated[str | None, Query(max_length=30)] = None,
    status: ProductStatus | None = None,
    include_deleted: IncludeDeleted = False,
    principal: Principal = require("master-data.product.read"),
) -> Page[Any]:
    filters = Filters(
        q=q,
        include_deleted=include_deleted,
        equals=(("type", type), ("category", category), ("status", status)),
    )
    result = await service.list_records(session, "product", page, filters)
    if not products.sees_cost(principal):
        result.items = [item.model_copy(update={"purchase_price": None}) for item in result.items]
    return result


@router.post("/products", response_model=ProductOut, status_code=201, summary="Create a product or service")
async def create_product(
    body: ProductCreate,
    session: SessionDep,
    request: Request,
    response: Response,
    principal: Principal = require("master-data.product.write"),
) -> BaseModel:
    product = await products.create_product(_actor(request, session, principal), body)
    return _written(product, response, f"{PREFIX}/products/{product.id}")


@router.get("/products/{product_id}", response_model=ProductOut, summary="One product (also when deleted)")
async def get_product(
    product_id: uuid.UUID, request: Request, principal: Principal = require("master-data.product.read")
) -> Response:
    product = await service.read(_cache(request), _session_scope(request), "product", product_id)
    if not products.sees_cost(principal):
        product = {**product, "purchase_price": None}
    return _record_response(product)


@router.get("/products/{product_id}/convert", response_model=ConversionOut, summary="Convert a quantity between units")
async def convert_product_quantity(
    product_id: uuid.UUID,
    session: SessionDep,
    quantity: Annotated[Decimal | None, Query(ge=0, le=10**12, max_digits=24, decimal_places=6)] = None,
    from_unit: Annotated[str | None, Query(min_length=1, max_length=20)] = None,
    to_unit: Annotated[str | None, Query(min_length=1, max_length=20)] = None,
    principal: Principal = require("master-data.product.read"),
) -> ConversionOut:
    """`?quantity=2&from_unit=ton&to_unit=bag` (all three required; another tenant's product is 404 first)."""
    return await products.convert_quantity(session, product_id, quantity, from_unit, to_unit)


@router.patch("/products/{product_id}", response_model=ProductOut, summary="Change a product (prices included)")
async def patch_product(
    product_id: uuid.UUID,
    body: ProductPatch,
    session: SessionDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
    principal: Principal = require("master-data.product.write"),
) -> BaseModel:
    expected = _expected_version(if_match, body.version)
    product = await products.update_product(_actor(request, session, principal), product_id, body, expected)
    return _written(product, response)


@router.delete("/products/{product_id}", status_code=204, summary="Delete a product (soft)")
async def delete_product(
    product_id: uuid.UUID,
    session: SessionDep,
    request: Request,
    if_match: IfMatch = None,
    principal: Principal = require("master-data.product.delete"),
) -> Response:
    await service.delete(_actor(request, session, principal), "product", product_id, _expected_version(if_match))
    return Response(status_code=204)


@router.post("/products/{product_id}/restore", response_model=ProductOut, summary="Undo a delete")
async def restore_product(
    product_id: uuid.UUID,
    session: SessionDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
    principal: Principal = require("master-data.product.delete"),
) -> BaseModel:
    actor = _actor(request, session, principal)
    return _written(await service.restore(actor, "product", product_id, _expected_version(if_match)), response)


# --- chart of accounts ------------------------------------------------------------------------------


@router.get("/accounts", response_model=Page[AccountOut], summary="List and search accounts (flat, by code)")
async def list_accounts(
    session: SessionDep,
    page: PageDep,
    q: Q = None,
    type: AccountTypeName | None = None,
    is_group: bool | None = None,
    parent_id: uuid.UUID | None = None,
    include_deleted: IncludeDeleted = False,
    principal: Principal = require("master-data.account.read"),
) -> Page[Any]:
    filters = Filters(
        q=q,
        include_deleted=include_deleted,
        equals=(("type", type), ("is_group", is_group), ("parent_id", parent_id)),
    )
    return await service.list_records(session, "account", page, filters)


@router.get("/accounts/tree", response_model=list[AccountNode], summary="The chart of accounts as a tree")
async def account_tree(request: Request, principal: Principal = require("master-data.account.read")) -> Response:
    return JSONResponse(await accounts.account_tree(_cache(request), _session_scope(request)))


@router.post("/accounts/template", response_model=TemplateResult, summary="Install the Bangladesh chart of accounts")
async def install_template(
    session: SessionDep, request: Request, principal: Principal = require("master-data.account.write")
) -> TemplateResult:
    """Adds the template accounts the tenant lacks (by code); running it again adds nothing."""
    return await accounts.install_template(_actor(request, session, principal))


@router.post("/accounts", response_model=AccountOut, status_code=201, summary="Create an account")
async def create_account(
    body: AccountCreate,
    session: SessionDep,
    request: Request,
    response: Response,
    principal: Principal = require("master-data.account.write"),
) -> BaseModel:
    account = await accounts.create_account(_actor(request, session, principal), body)
    return _written(account, response, f"{PREFIX}/accounts/{account.id}")


@router.get("/accounts/{account_id}", response_model=AccountOut, summary="One account (also when deleted)")
async def get_account(
    account_id: uuid.UUID, request: Request, principal: Principal = require("master-data.account.read")
) -> Response:
    return _record_response(await service.read(_cache(request), _session_scope(request), "account", account_id))


@router.patch("/accounts/{account_id}", response_model=AccountOut, summary="Change an account (move, rename...)")
async def patch_account(
    account_id: uuid.UUID,
    body: AccountPatch,
    session: SessionDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
    principal: Principal = require("master-data.account.write"),
) -> BaseModel:
    expected = _expected_version(if_match, body.version)
    account = await accounts.update_account(_actor(request, session, principal), account_id, body, expected)
    return _written(account, response)


@router.delete("/accounts/{account_id}", status_code=204, summary="Delete an account (soft; not with sub-accounts)")
async def delete_account(
    account_id: uuid.UUID,
    session: SessionDep,
    request: Request,
    if_match: IfMatch = None,
    principal: Principal = require("master-data.account.delete"),
) -> Response:
    await service.delete(_actor(request, session, principal), "account", account_id, _expected_version(if_match))
    return Response(status_code=204)


@router.post("/accounts/{account_id}/restore", response_model=AccountOut, summary="Undo a delete")
async def restore_account(
    account_id: uuid.UUID,
    session: SessionDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
    principal: Principal = require("master-data.account.delete"),
) -> BaseModel:
    actor = _actor(request, session, principal)
    return _written(await service.restore(actor, "account", account_id, _expected_version(if_match)), response)


# --- units and currencies ---------------------------------------------------------------------------


@router.get("/units", response_model=list[UnitOut], summary="Units of measure: standard and the tenant's own")
async def list_units(session: SessionDep, principal: Principal = require("master-data.unit.read")) -> list[UnitOut]:
    return await products.list_units(session)


@router.post("/units", response_model=UnitOut, status_code=201, summary="Add a unit of measure for the tenant")
async def create_unit(
    body: UnitCreate, session: SessionDep, request: Request, principal: Principal = require("master-data.unit.write")
) -> UnitOut:
    return await products.create_unit(_actor(request, session, principal), body)


@router.get("/currencies", response_model=list[CurrencyOut], summary="Currencies (BDT is the base)")
async def list_currencies(principal: Principal = require("master-data.currency.read")) -> list[CurrencyOut]:
    return products.list_currencies()


# --- bulk import (upsert by code; used by the import-export service) -------------------------------


_IMPORT_DESCRIPTION = (
    "Validate (`dry_run`) or upsert by code up to 1,000 rows shaped like the create body, with the same rules "
    "as `POST` and `PATCH`; each row answers `created`, `updated` (with the changed fields), `unchanged` or "
    "`invalid` (with its errors). Valid rows commit together; invalid rows change nothing."
)


def _import_route(path: str, key: str) -> None:
    """``POST /{path}/import`` for one entity, guarded by its write permission."""

    async def import_rows(
        body: bulk.ImportRequest,
        session: SessionDep,
        request: Request,
        principal: Principal = require(f"master-data.{key}.write"),
    ) -> bulk.ImportResult:
        return await bulk.import_records(_actor(request, session, principal), key, body)

    import_rows.__name__ = f"import_{path}"
    router.post(
        f"/{path}/import", response_model=bulk.ImportResult, summary=f"Import {path}", description=_IMPORT_DESCRIPTION
    )(import_rows)


for _path, _key in bulk.ENTITY_PATHS.items():
    _import_route(_path, _key)
