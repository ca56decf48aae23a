"""Events the master-data service publishes (it consumes none).

Every change of a customer, vendor, product or account is announced in the same transaction as
the change: ``created`` carries the record as the REST API shows it, ``updated`` the changed
fields (old and new), ``deleted`` the soft deletion. Vendor approval and product price changes
have topics of their own, for the consumers that care only about those (procurement, pricing).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from vextrus.kit.service import Consumer, Topic


class FieldChange(BaseModel):
    old: Any
    new: Any


class RecordCreated(BaseModel):
    """A master record was created; ``record`` is its REST representation."""

    tenant_id: uuid.UUID
    id: uuid.UUID
    code: str
    name: str
    name_bn: str | None
    version: int
    record: dict[str, Any]
    actor: uuid.UUID | None


class RecordUpdated(BaseModel):
    """Fields of a master record changed (a restore shows ``deleted_at`` going back to null)."""

    tenant_id: uuid.UUID
    id: uuid.UUID
    code: str
    version: int
    changes: dict[str, FieldChange]
    actor: uuid.UUID | None


class RecordDeleted(BaseModel):
    """A master record was soft-deleted: it stays readable by id, so references keep working."""

    tenant_id: uuid.UUID
    id: uuid.UUID
    code: str
    version: int
    deleted_at: dt.datetime
    actor: uuid.UUID | None


class VendorApprovalChanged(BaseModel):
    """A vendor was approved, blacklisted (with the reason) or reinstated to pending."""

    tenant_id: uuid.UUID
    id: uuid.UUID
    code: str
    name: str
    tin: str | None
    old_status: str
    new_status: str
    reason: str | None
    version: int
    actor: uuid.UUID | None


class ProductPriceUpdated(BaseModel):
    """A product's purchase and/or sale price changed."""

    tenant_id: uuid.UUID
    id: uuid.UUID
    code: str
    currency: str
    purchase_price: FieldChange | None
    sale_price: FieldChange | None
    version: int
    actor: uuid.UUID | None


class UnitCreated(BaseModel):
    tenant_id: uuid.UUID
    code: str
    name: str
    dimension: str
    factor: Decimal


def _record_topics(entity: str, label: str) -> tuple[Topic, Topic, Topic]:
    return (
        Topic(f"master-data.{entity}.created", RecordCreated, f"A {label} was created; subject is its id."),
        Topic(
            f"master-data.{entity}.updated", RecordUpdated, f"A {label} changed (or was restored); subject is its id."
        ),
        Topic(f"master-data.{entity}.deleted", RecordDeleted, f"A {label} was soft-deleted; subject is its id."),
    )


CUSTOMER_CREATED, CUSTOMER_UPDATED, CUSTOMER_DELETED = _record_topics("customer", "customer")
VENDOR_CREATED, VENDOR_UPDATED, VENDOR_DELETED = _record_topics("vendor", "vendor")
PRODUCT_CREATED, PRODUCT_UPDATED, PRODUCT_DELETED = _record_topics("product", "product or service")
ACCOUNT_CREATED, ACCOUNT_UPDATED, ACCOUNT_DELETED = _record_topics("account", "chart-of-accounts entry")

VENDOR_APPROVED = Topic(
    "master-data.vendor.approved", VendorApprovalChanged, "A vendor was approved for purchasing; subject is its id."
)
VENDOR_BLACKLISTED = Topic(
    "master-data.vendor.blacklisted",
    VendorApprovalChanged,
    "A vendor was blacklisted, with the reason; subject is its id. Purchasing stops using it.",
)
VENDOR_REINSTATED = Topic(
    "master-data.vendor.reinstated",
    VendorApprovalChanged,
    "A blacklisted vendor went back to pending approval; subject is its id.",
)
PRODUCT_PRICE_UPDATED = Topic(
    "master-data.product.price_updated",
    ProductPriceUpdated,
    "A product's purchase or sale price changed; subject is its id.",
)
UNIT_CREATED = Topic(
    "master-data.unit.created", UnitCreated, "A tenant added its own unit of measure; subject is its code."
)

PUBLISHES: tuple[Topic, ...] = (
    CUSTOMER_CREATED,
    CUSTOMER_UPDATED,
    CUSTOMER_DELETED,
    VENDOR_CREATED,
    VENDOR_UPDATED,
    VENDOR_DELETED,
    VENDOR_APPROVED,
    VENDOR_BLACKLISTED,
    VENDOR_REINSTATED,
    PRODUCT_CREATED,
    PRODUCT_UPDATED,
    PRODUCT_DELETED,
    PRODUCT_PRICE_UPDATED,
    ACCOUNT_CREATED,
    ACCOUNT_UPDATED,
    ACCOUNT_DELETED,
    UNIT_CREATED,
)
HANDLERS: tuple[Consumer, ...] = ()
