"""Units of measure (standard catalogue plus the tenant's own), currencies, and products and
services: categories, VAT codes and exemptions, accounts, prices (with their own event) and
quantity conversion."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus import bd
from vextrus.kit.errors import AppError, FieldError
from vextrus.kit.events import record_event
from vextrus.kit.tenancy import Principal
from vextrus.services.master_data import events, rules
from vextrus.services.master_data.catalogue import (
    BASE_CURRENCY,
    BASE_UNITS,
    CURRENCIES,
    EXEMPT,
    STANDARD_UNITS,
    Unit,
)
from vextrus.services.master_data.models import CustomUnit, Product
from vextrus.services.master_data.outputs import product_out
from vextrus.services.master_data.repository import Accounts, Products, Units
from vextrus.services.master_data.schemas import (
    ConversionOut,
    CurrencyOut,
    ProductCreate,
    ProductOut,
    ProductPatch,
    UnitCreate,
    UnitOut,
)
from vextrus.services.master_data.service import (
    PRODUCT,
    Actor,
    announce_created,
    apply_changes,
    check_code_free,
    clean_names,
    counted,
    finish_update,
    flush,
    given_fields,
    json_change,
    live_row,
    row_or_404,
    violation,
)

# --- units -------------------------------------------------------------------------------------------


def _unit(row: CustomUnit) -> Unit:
    return Unit(row.code, row.name, row.name_bn or row.name, row.dimension, row.factor)


async def known_units(session: AsyncSession) -> dict[str, Unit]:
    return rules.known_units(_unit(row) for row in await Units(session).all_units())


async def list_units(session: AsyncSession) -> list[UnitOut]:
    custom = await Units(session).all_units()
    standard = [
        UnitOut(
            code=unit.code,
            name=unit.name,
            name_bn=unit.name_bn,
            dimension=unit.dimension,
            factor=unit.factor,
            base_unit=BASE_UNITS.get(unit.dimension),
            standard=True,
        )
        for unit in STANDARD_UNITS
    ]
    own = [
        UnitOut(
            code=row.code,
            name=row.name,
            name_bn=row.name_bn,
            dimension=row.dimension,
            factor=row.factor,
            base_unit=BASE_UNITS.get(row.dimension),
            standard=False,
        )
        for row in custom
    ]
    return standard + own


async def create_unit(actor: Actor, data: UnitCreate) -> UnitOut:
    code = data.code
    units = Units(actor.session)
    if code in rules.known_units(()) or await units.by_code(code) is not None:
        raise AppError(
            409,
            "duplicate_code",
            f"The unit {code} exists already",
            f"{code} এককটি আগেই আছে",
            errors=(FieldError("body.code", "duplicate", "already used", "আগেই ব্যবহৃত"),),
        )
    row = units.add(
        CustomUnit(
            code=code,
            name=rules.nfc(data.name.strip()),
            name_bn=rules.nfc(data.name_bn.strip()) if data.name_bn else None,
            dimension=data.dimension,
            factor=data.factor,
            created_by=actor.user,
        )
    )
    await flush(actor.session, f"Unit {code}", 0, code)
    record_event(
        actor.session,
        events.UNIT_CREATED,
        events.UnitCreated(
            tenant_id=row.tenant_id, code=row.code, name=row.name, dimension=row.dimension, factor=row.factor
        ),
        subject=row.code,
    )
    counted(actor.session, "unit", "create")
    return UnitOut(
        code=row.code,
        name=row.name,
        name_bn=row.name_bn,
        dimension=row.dimension,
        factor=row.factor,
        base_unit=BASE_UNITS.get(row.dimension),
        standard=False,
    )


def list_currencies() -> list[CurrencyOut]:
    return [
        CurrencyOut(
            code=item.code,
            name=item.name,
            name_bn=item.name_bn,
            symbol=item.symbol,
            decimals=item.decimals,
            base=item.code == BASE_CURRENCY,
        )
        for item in CURRENCIES
    ]


# --- products ---------------------------------------------------------------------------------------


async def _check_account(session: AsyncSession, ident: uuid.UUID | None, field: str, types: tuple[str, ...]) -> None:
    if ident is None:
        return
    account = await Accounts(session).get(ident)
    reason = None
    if account is None or account.deleted_at is not None:
        reason = ("No such account in this tenant", "এই টেন্যান্টে এমন কোনো হিসাব নেই")
    elif account.is_group:
        reason = (f"Account {account.code} is a group; choose a posting account", "গ্রুপ হিসাব; একটি পোস্টিং হিসাব বেছে নিন")
    elif account.type not in types:
        reason = (
            f"Account {account.code} is {account.type}; expected {' or '.join(types)}",
            f"{account.code} হিসাবের ধরন {account.type}; প্রত্যাশিত {' বা '.join(types)}",
        )
    if reason is not None:
        raise violation(rules.RuleViolation(field, reason[0], reason[1], "account"))


def _product_values(data: BaseModel, given: set[str]) -> dict[str, Any]:
    raw = {name: getattr(data, name) for name in given}
    values: dict[str, Any] = {}
    if "code" in raw:
        values["code"] = rules.normalize_code(raw["code"])
    if "name" in raw or "name_bn" in raw:
        name, name_bn = clean_names(raw.get("name"), raw.get("name_bn"))
        if "name" in raw:
            values["name"] = name
        if "name_bn" in raw:
            values["name_bn"] = name_bn
    if "hs_code" in raw:
        values["hs_code"] = rules.normalize_hs_code(raw["hs_code"])
    if "conversions" in raw:
        values["conversions"] = [
            {"unit": item.unit, "factor": str(rules.plain_decimal(item.factor))} for item in raw["conversions"] or []
        ]
    for name in ("purchase_price", "sale_price"):
        if name in raw:
            values[name] = rules.check_price(raw[name], name)
    if "sd_rate" in raw:
        values["sd_rate"] = bd.round_money(raw["sd_rate"])
    for name in (
        "type",
        "category",
        "status",
        "description",
        "unit",
        "vat_rate_code",
        "exemption_reason",
        "exemption_reference",
        "currency",
        "purchase_account_id",
        "sale_account_id",
    ):
        if name in raw:
            values[name] = raw[name]
    return values


async def _check_product(session: AsyncSession, state: Mapping[str, Any], changed: set[str]) -> None:
    try:
        rules.check_product(
            state["type"], state["category"], state["vat_rate_code"], state["exemption_reason"], state["hs_code"]
        )
        if changed & {"unit", "conversions"}:
            rules.check_conversions(state["unit"], state["conversions"], await known_units(session))
    except rules.RuleViolation as error:
        raise violation(error) from None
    if "purchase_account_id" in changed:
        await _check_account(session, state["purchase_account_id"], "purchase_account_id", ("expense", "asset"))
    if "sale_account_id" in changed:
        await _check_account(session, state["sale_account_id"], "sale_account_id", ("income",))


async def create_product(actor: Actor, data: ProductCreate, *, ident: uuid.UUID | None = None) -> ProductOut:
    try:
        values = _product_values(data, set(ProductCreate.model_fields))
    except rules.RuleViolation as error:
        raise violation(error) from None
    await _check_product(actor.session, values, set(values))
    await check_code_free(PRODUCT, actor.session, values["code"], None)
    row = Products(actor.session).add(Product(**values, created_by=actor.user, updated_by=actor.user))
    if ident is not None:
        row.id = ident
    await flush(actor.session, f"Product {row.code}", 0, row.code)
    announce_created(actor, PRODUCT, row)
    return product_out(row)


_PRODUCT_STATE = (
    "type",
    "category",
    "vat_rate_code",
    "exemption_reason",
    "hs_code",
    "unit",
    "conversions",
    "purchase_account_id",
    "sale_account_id",
)


async def update_product(
    actor: Actor, ident: uuid.UUID, patch: ProductPatch, expected: int | None = None
) -> ProductOut:
    given = given_fields(
        patch,
        ("code", "name", "type", "category", "status", "unit", "conversions", "vat_rate_code", "sd_rate", "currency"),
    )
    row = await live_row(PRODUCT, actor.session, ident, expected)
    try:
        values = _product_values(patch, given)
    except rules.RuleViolation as error:
        raise violation(error) from None
    # Leaving the exempt code drops the exemption reason unless the client set one.
    if values.get("vat_rate_code", row.vat_rate_code) != EXEMPT and "exemption_reason" not in values:
        values["exemption_reason"] = None
    state = {name: values.get(name, getattr(row, name)) for name in _PRODUCT_STATE}
    await _check_product(actor.session, state, set(values) & set(_PRODUCT_STATE))
    if "code" in values:
        await check_code_free(PRODUCT, actor.session, values["code"], row.id)
    current = row.version
    changes = apply_changes(row, values)
    await finish_update(actor, PRODUCT, row, changes, current)
    if "purchase_price" in changes or "sale_price" in changes:
        record_event(
            actor.session,
            events.PRODUCT_PRICE_UPDATED,
            events.ProductPriceUpdated(
                tenant_id=row.tenant_id,
                id=row.id,
                code=row.code,
                currency=row.currency,
                purchase_price=json_change(changes["purchase_price"]) if "purchase_price" in changes else None,
                sale_price=json_change(changes["sale_price"]) if "sale_price" in changes else None,
                version=row.version,
                actor=actor.user,
            ),
            subject=row.id,
        )
    return product_out(row)


async def convert_quantity(
    session: AsyncSession, ident: uuid.UUID, quantity: Decimal | None, from_unit: str | None, to_unit: str | None
) -> ConversionOut:
    row = await row_or_404(PRODUCT, session, ident)
    for name, given in (("quantity", quantity), ("from_unit", from_unit), ("to_unit", to_unit)):
        if given is None:
            raise violation(rules.RuleViolation(f"query.{name}", "required", "আবশ্যক", "required", "missing"), "")
    assert quantity is not None
    assert from_unit is not None
    assert to_unit is not None
    units = await known_units(session)
    for field, unit in (("query.from_unit", from_unit), ("query.to_unit", to_unit)):
        if unit not in units:
            raise violation(rules.RuleViolation(field, f"Unknown unit {unit!r}", f"অজানা একক {unit!r}", "unit"), "")
    try:
        result = rules.convert(quantity, from_unit, to_unit, row.unit, row.conversions, units)
    except rules.ConversionError:
        raise violation(
            rules.RuleViolation(
                "query.to_unit",
                f"{row.code} has no conversion between {from_unit} and {to_unit}",
                f"{row.code}-এর জন্য {from_unit} ও {to_unit}-এর মধ্যে রূপান্তর নেই",
                "unit",
            ),
            "",
        ) from None
    return ConversionOut(
        product_id=row.id, quantity=quantity, from_unit=from_unit, to_unit=to_unit, result=rules.plain_decimal(result)
    )


COST_PERMISSIONS = ("master-data.product.cost.read", "master-data.product.write")
"""Who sees a product's purchase (cost) price: holders of the cost permission, and those who set prices."""


def sees_cost(principal: Principal) -> bool:
    return any(principal.has(permission) for permission in COST_PERMISSIONS)
