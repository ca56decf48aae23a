"""Customers and vendors: identifiers normalized through vextrus.bd, vendor TIN rules and the
vendor approval flow (pending → approved | blacklisted, reinstate)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus import bd
from vextrus.kit.errors import AppError, FieldError
from vextrus.kit.events import record_event
from vextrus.kit.models import utcnow
from vextrus.services.master_data import events, rules
from vextrus.services.master_data.models import Customer, Vendor
from vextrus.services.master_data.outputs import customer_out, vendor_out
from vextrus.services.master_data.repository import Customers, Vendors
from vextrus.services.master_data.schemas import (
    ApprovalAction,
    CustomerCreate,
    CustomerOut,
    CustomerPatch,
    VendorCreate,
    VendorOut,
    VendorPatch,
)
from vextrus.services.master_data.service import (
    CUSTOMER,
    VENDOR,
    Actor,
    announce_created,
    apply_changes,
    check_code_free,
    clean_names,
    counted,
    finish_update,
    flush,
    given_fields,
    invalidate,
    live_row,
    violation,
)

# --- customers ------------------------------------------------------------------------------------


def _contact_persons(items: Iterable[BaseModel], field: str = "contact_persons") -> list[dict[str, Any]]:
    result = []
    for index, item in enumerate(items):
        data = item.model_dump()
        data["name"], data["name_bn"] = clean_names(data["name"], data.get("name_bn"))
        if data.get("phone"):
            data["phone"] = rules.normalize_phone(data["phone"], f"{field}.{index}.phone")["number"]
        data["email"] = rules.normalize_email(data.get("email"), f"{field}.{index}.email")
        result.append(data)
    return result


def _address(address: BaseModel | None, field: str) -> dict[str, Any] | None:
    return rules.normalize_address(address.model_dump() if address is not None else None, field)


def _customer_values(data: BaseModel, given: set[str]) -> dict[str, Any]:
    """Normalized column values for the given fields of a create or patch body."""
    values: dict[str, Any] = {}
    raw = {name: getattr(data, name) for name in given}
    if "code" in raw:
        values["code"] = rules.normalize_code(raw["code"])
    if "name" in raw or "name_bn" in raw:
        name, name_bn = clean_names(raw.get("name"), raw.get("name_bn"))
        if "name" in raw:
            values["name"] = name
        if "name_bn" in raw:
            values["name_bn"] = name_bn
    for kind in ("tin", "bin", "nid"):
        if kind in raw:
            values[kind] = rules.normalized_identifier(kind, raw[kind], kind)
    if "phones" in raw:
        values["phones"] = rules.normalize_phones(raw["phones"] or [])
    if "email" in raw:
        values["email"] = rules.normalize_email(raw["email"])
    for name in ("billing_address", "shipping_address", "address"):
        if name in raw:
            values[name] = _address(raw[name], name)
    if "contact_persons" in raw:
        values["contact_persons"] = _contact_persons(raw["contact_persons"] or [])
    for name in ("kind", "status", "currency", "payment_terms_days", "notes"):
        if name in raw:
            values[name] = raw[name]
    if "credit_limit" in raw:
        values["credit_limit"] = bd.round_money(raw["credit_limit"])
    return values


def _district_of(address: Mapping[str, Any] | None) -> str | None:
    return address.get("district") if address else None


async def create_customer(actor: Actor, data: CustomerCreate, *, ident: uuid.UUID | None = None) -> CustomerOut:
    try:
        values = _customer_values(data, set(CustomerCreate.model_fields))
    except rules.RuleViolation as error:
        raise violation(error) from None
    await check_code_free(CUSTOMER, actor.session, values["code"], None)
    row = Customers(actor.session).add(
        Customer(
            **values,
            phone_index=rules.phone_index(values["phones"]),
            district_code=_district_of(values["billing_address"]),
            created_by=actor.user,
            updated_by=actor.user,
        )
    )
    if ident is not None:
        row.id = ident
    await flush(actor.session, f"Customer {row.code}", 0, row.code)
    announce_created(actor, CUSTOMER, row)
    return customer_out(row)


async def update_customer(
    actor: Actor, ident: uuid.UUID, patch: CustomerPatch, expected: int | None = None
) -> CustomerOut:
    given = given_fields(
        patch,
        (
            "code",
            "kind",
            "name",
            "phones",
            "credit_limit",
            "currency",
            "payment_terms_days",
            "contact_persons",
            "status",
        ),
    )
    row = await live_row(CUSTOMER, actor.session, ident, expected)
    try:
        values = _customer_values(patch, given)
    except rules.RuleViolation as error:
        raise violation(error) from None
    if "code" in values:
        await check_code_free(CUSTOMER, actor.session, values["code"], row.id)
    if "phones" in values:
        values["phone_index"] = rules.phone_index(values["phones"])
    if "billing_address" in values:
        values["district_code"] = _district_of(values["billing_address"])
    current = row.version
    changes = apply_changes(row, values)
    changes.pop("phone_index", None)
    await finish_update(actor, CUSTOMER, row, changes, current)
    return customer_out(row)


# --- vendors ----------------------------------------------------------------------------------------


def _vendor_values(data: BaseModel, given: set[str]) -> dict[str, Any]:
    values = _customer_values(data, given - {"bank_account", "mobile_wallets"})
    raw = {name: getattr(data, name) for name in given}
    if "trade_licence_number" in raw:
        values["trade_licence_number"] = rules.normalized_identifier(
            "trade_licence", raw["trade_licence_number"], "trade_licence_number"
        )
    if "trade_licence_expiry" in raw:
        values["trade_licence_expiry"] = raw["trade_licence_expiry"]
    if "bank_account" in raw:
        account = raw["bank_account"]
        values["bank_account"] = rules.normalize_bank_account(account.model_dump() if account is not None else None)
    if "mobile_wallets" in raw:
        values["mobile_wallets"] = rules.normalize_wallets([item.model_dump() for item in raw["mobile_wallets"] or []])
    return values


async def _check_tin_free(session: AsyncSession, tin: str | None, own: uuid.UUID | None) -> None:
    if tin is None:
        return
    existing = await Vendors(session).by_tin(tin)
    if existing is not None and existing.id != own:
        raise AppError(
            409,
            "duplicate_tin",
            f"Vendor {existing.code} already has TIN {tin}",
            f"সরবরাহকারী {existing.code}-এর টিআইএন {tin}",
            errors=(FieldError("body.tin", "duplicate", "already used by another vendor", "অন্য সরবরাহকারীর"),),
            extra={"vendor_id": str(existing.id)},
        )


async def create_vendor(actor: Actor, data: VendorCreate, *, ident: uuid.UUID | None = None) -> VendorOut:
    try:
        values = _vendor_values(data, set(VendorCreate.model_fields))
        rules.check_vendor(values["kind"], values["tin"])
    except rules.RuleViolation as error:
        raise violation(error) from None
    await check_code_free(VENDOR, actor.session, values["code"], None)
    await _check_tin_free(actor.session, values["tin"], None)
    row = Vendors(actor.session).add(
        Vendor(
            **values,
            approval_status="pending",
            phone_index=rules.phone_index(values["phones"], (item["number"] for item in values["mobile_wallets"])),
            district_code=_district_of(values["address"]),
            created_by=actor.user,
            updated_by=actor.user,
        )
    )
    if ident is not None:
        row.id = ident
    await flush(actor.session, f"Vendor {row.code}", 0, row.code)
    announce_created(actor, VENDOR, row)
    return vendor_out(row)


async def update_vendor(actor: Actor, ident: uuid.UUID, patch: VendorPatch, expected: int | None = None) -> VendorOut:
    given = given_fields(
        patch, ("code", "kind", "name", "phones", "currency", "payment_terms_days", "contact_persons", "mobile_wallets")
    )
    row = await live_row(VENDOR, actor.session, ident, expected)
    try:
        values = _vendor_values(patch, given)
        rules.check_vendor(values.get("kind", row.kind), values.get("tin", row.tin))
    except rules.RuleViolation as error:
        raise violation(error) from None
    if "code" in values:
        await check_code_free(VENDOR, actor.session, values["code"], row.id)
    if "tin" in values:
        await _check_tin_free(actor.session, values["tin"], row.id)
    phones = values.get("phones", row.phones)
    wallets = values.get("mobile_wallets", row.mobile_wallets)
    values["phone_index"] = rules.phone_index(phones, (item["number"] for item in wallets))
    if "address" in values:
        values["district_code"] = _district_of(values["address"])
    current = row.version
    changes = apply_changes(row, values)
    changes.pop("phone_index", None)
    await finish_update(actor, VENDOR, row, changes, current)
    return vendor_out(row)


_APPROVAL_TOPICS = {
    "approve": events.VENDOR_APPROVED,
    "blacklist": events.VENDOR_BLACKLISTED,
    "reinstate": events.VENDOR_REINSTATED,
}


async def change_approval(actor: Actor, ident: uuid.UUID, action: str, body: ApprovalAction) -> VendorOut:
    """Approve (pending → approved), blacklist (pending|approved → blacklisted, reason required)
    or reinstate (blacklisted → pending). An expired trade licence blocks approval."""
    row = await live_row(VENDOR, actor.session, ident, body.version)
    target = rules.next_approval_status(row.approval_status, action)
    if target is None:
        raise AppError(
            409,
            "invalid_transition",
            f"Vendor {row.code} is {row.approval_status}: it cannot be {action}d",
            f"সরবরাহকারী {row.code} এখন {row.approval_status} অবস্থায়: এই কাজ ({action}) করা যায় না",
            extra={"approval_status": row.approval_status},
        )
    reason = body.reason.strip() if body.reason else None
    if action == "blacklist" and not reason:
        raise violation(
            rules.RuleViolation(
                "reason", "Give the reason for blacklisting", "কালো তালিকাভুক্তির কারণ লিখুন", "approval", "required"
            )
        )
    if action == "approve" and rules.trade_licence_expired(row.trade_licence_expiry, bd.today_dhaka()):
        raise violation(
            rules.RuleViolation(
                "trade_licence_expiry",
                f"The trade licence expired on {row.trade_licence_expiry}; renew it before approval",
                f"ট্রেড লাইসেন্সের মেয়াদ {row.trade_licence_expiry} তারিখে শেষ; অনুমোদনের আগে নবায়ন করুন",
                "trade_licence",
                "expired",
            ),
            prefix="",
        )
    old_status, current = row.approval_status, row.version
    row.approval_status = target
    row.approval_reason = reason
    row.approval_changed_at = utcnow()
    row.approval_changed_by = actor.user
    row.updated_by = actor.user
    await flush(actor.session, f"Vendor {row.code}", current)
    record_event(
        actor.session,
        _APPROVAL_TOPICS[action],
        events.VendorApprovalChanged(
            tenant_id=row.tenant_id,
            id=row.id,
            code=row.code,
            name=row.name,
            tin=row.tin,
            old_status=old_status,
            new_status=target,
            reason=reason,
            version=row.version,
            actor=actor.user,
        ),
        subject=row.id,
    )
    invalidate(actor, "vendor", row)
    counted(actor.session, "vendor", action)
    return vendor_out(row)
