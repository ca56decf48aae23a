"""How master records look from outside: the REST/GraphQL/event representation of each row.

Money is shown with 2 places, identifiers with their display form beside the stored one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import phonenumbers
from pydantic import BaseModel

from vextrus import bd
from vextrus.services.master_data import rules
from vextrus.services.master_data.catalogue import EXEMPT
from vextrus.services.master_data.models import Account, Customer, MasterRecord, Product, Vendor
from vextrus.services.master_data.schemas import (
    AccountOut,
    CustomerOut,
    PhoneOut,
    ProductOut,
    VendorOut,
)

# --- representations --------------------------------------------------------------------------------------


def _phone_out(phone: Mapping[str, Any]) -> PhoneOut:
    number = str(phone["number"])
    try:
        formatted = phonenumbers.format_number(phonenumbers.parse(number), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        formatted = number
    return PhoneOut(number=number, formatted=formatted, type=phone.get("type", "other"), operator=phone.get("operator"))


def _formatted(kind: str, value: str | None) -> str | None:
    return bd.validate(kind, value).formatted if value else None


def _record_fields(row: MasterRecord) -> dict[str, Any]:
    return {
        "id": row.id,
        "code": row.code,
        "name": row.name,
        "name_bn": row.name_bn,
        "version": row.version,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "created_by": row.created_by,
        "updated_by": row.updated_by,
        "deleted_at": row.deleted_at,
    }


def customer_out(row: Customer) -> CustomerOut:
    return CustomerOut(
        **_record_fields(row),
        kind=row.kind,
        status=row.status,
        tin=row.tin,
        tin_formatted=_formatted("tin", row.tin),
        tin_legacy=bool(row.tin and len(row.tin) == 10),
        bin=row.bin,
        bin_formatted=_formatted("bin", row.bin),
        nid=row.nid,
        phones=[_phone_out(phone) for phone in row.phones],
        email=row.email,
        billing_address=row.billing_address,
        shipping_address=row.shipping_address,
        credit_limit=bd.round_money(row.credit_limit),
        currency=row.currency,
        payment_terms_days=row.payment_terms_days,
        contact_persons=row.contact_persons,
        notes=row.notes,
    )


def vendor_out(row: Vendor, today: dt.date | None = None) -> VendorOut:
    return VendorOut(
        **_record_fields(row),
        kind=row.kind,
        approval_status=row.approval_status,
        approval_reason=row.approval_reason,
        approval_changed_at=row.approval_changed_at,
        approval_changed_by=row.approval_changed_by,
        tin=row.tin,
        tin_formatted=_formatted("tin", row.tin),
        tin_legacy=bool(row.tin and len(row.tin) == 10),
        bin=row.bin,
        bin_formatted=_formatted("bin", row.bin),
        nid=row.nid,
        trade_licence_number=row.trade_licence_number,
        trade_licence_expiry=row.trade_licence_expiry,
        trade_licence_expired=rules.trade_licence_expired(row.trade_licence_expiry, today or bd.today_dhaka()),
        phones=[_phone_out(phone) for phone in row.phones],
        email=row.email,
        address=row.address,
        bank_account=row.bank_account,
        mobile_wallets=row.mobile_wallets,
        currency=row.currency,
        payment_terms_days=row.payment_terms_days,
        contact_persons=row.contact_persons,
        notes=row.notes,
    )


def product_out(row: Product) -> ProductOut:
    return ProductOut(
        **_record_fields(row),
        type=row.type,
        category=row.category,
        status=row.status,
        description=row.description,
        unit=row.unit,
        conversions=row.conversions,
        hs_code=row.hs_code,
        hs_code_formatted=rules.format_hs_code(row.hs_code),
        vat_rate_code=row.vat_rate_code,
        vat_exempt=row.vat_rate_code == EXEMPT,
        sd_rate=bd.round_money(row.sd_rate),
        exemption_reason=row.exemption_reason,
        exemption_reference=row.exemption_reference,
        purchase_price=money(row.purchase_price),
        sale_price=money(row.sale_price),
        currency=row.currency,
        purchase_account_id=row.purchase_account_id,
        sale_account_id=row.sale_account_id,
    )


def account_out(row: Account) -> AccountOut:
    return AccountOut(
        **_record_fields(row),
        type=row.type,
        normal_balance=row.normal_balance,
        is_group=row.is_group,
        posting=not row.is_group,
        parent_id=row.parent_id,
        description=row.description,
        is_system=row.is_system,
    )


OUTPUTS: dict[str, Callable[[Any], BaseModel]] = {
    "customer": customer_out,
    "vendor": vendor_out,
    "product": product_out,
    "account": account_out,
}


def money(value: Decimal | None) -> Decimal | None:
    """Money as shown: 2 places (PostgreSQL's NUMERIC(20, 4) would give 4)."""
    return None if value is None else bd.round_money(value)


def as_json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")
