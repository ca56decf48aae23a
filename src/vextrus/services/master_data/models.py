"""Tables of the master-data service (schema ``master_data``, prefix ``md_``).

Master records are tenant-wide: every company of a tenant shares its customers, vendors,
products and chart of accounts. Deletion is soft (``deleted_at``): other services keep ids of
these records on their documents, so a deleted record stays readable by id forever.
Codes are upper-case and unique per tenant, deleted records included (a code is never reused
for a different record; restore the old one instead).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from vextrus.kit.models import (
    TYPE_ANNOTATION_MAP,
    IdMixin,
    Money,
    Tenanted,
    Timestamped,
    UTCDateTime,
    Versioned,
    service_metadata,
)

SCHEMA = "master_data"

CODE_LENGTH = 40
NAME_LENGTH = 200


class Base(DeclarativeBase):
    metadata = service_metadata(SCHEMA)
    type_annotation_map = TYPE_ANNOTATION_MAP


class Factor(TypeDecorator[Decimal]):
    """An exact conversion factor (0.028316846592 m³ per cft): NUMERIC(24, 12) on PostgreSQL,
    canonical text on SQLite."""

    impl = Numeric(24, 12, asdecimal=True)
    cache_ok = True

    @property
    def python_type(self) -> type[Decimal]:
        return Decimal

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(24, 12, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError("factors must be Decimal")
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        normalized = Decimal(str(value)).normalize()
        return normalized.quantize(Decimal(1)) if normalized == normalized.to_integral_value() else normalized


class MasterRecord(IdMixin, Tenanted, Timestamped, Versioned):
    """Columns every master record has: code, names, soft delete, who changed it."""

    code: Mapped[str] = mapped_column(String(CODE_LENGTH))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    name_bn: Mapped[str | None] = mapped_column(String(NAME_LENGTH), nullable=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    deleted_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)


class Customer(MasterRecord, Base):
    __tablename__ = "md_customers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        Index("ix_md_customers_tenant_name", "tenant_id", "name"),
        Index("ix_md_customers_tenant_tin", "tenant_id", "tin"),
        Index("ix_md_customers_tenant_bin", "tenant_id", "bin"),
    )

    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    tin: Mapped[str | None] = mapped_column(String(12), nullable=True)
    bin: Mapped[str | None] = mapped_column(String(13), nullable=True)
    nid: Mapped[str | None] = mapped_column(String(17), nullable=True)
    phones: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # E.164 numbers separated by spaces, for search by phone.
    phone_index: Mapped[str] = mapped_column(String(400))
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    district_code: Mapped[str | None] = mapped_column(String(5), nullable=True)
    credit_limit: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    payment_terms_days: Mapped[int] = mapped_column(Integer)
    contact_persons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)


class Vendor(MasterRecord, Base):
    __tablename__ = "md_vendors"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        # TIN unique per tenant among vendors (deleted ones included: restore, don't re-create).
        UniqueConstraint("tenant_id", "tin"),
        Index("ix_md_vendors_tenant_name", "tenant_id", "name"),
        Index("ix_md_vendors_tenant_bin", "tenant_id", "bin"),
    )

    kind: Mapped[str] = mapped_column(String(20))
    approval_status: Mapped[str] = mapped_column(String(20))
    approval_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    approval_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    approval_changed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    tin: Mapped[str | None] = mapped_column(String(12), nullable=True)
    bin: Mapped[str | None] = mapped_column(String(13), nullable=True)
    nid: Mapped[str | None] = mapped_column(String(17), nullable=True)
    trade_licence_number: Mapped[str | None] = mapped_column(String(50), nullable=True)
    trade_licence_expiry: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    phones: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    phone_index: Mapped[str] = mapped_column(String(400))
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    address: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    district_code: Mapped[str | None] = mapped_column(String(5), nullable=True)
    bank_account: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    mobile_wallets: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    currency: Mapped[str] = mapped_column(String(3))
    payment_terms_days: Mapped[int] = mapped_column(Integer)
    contact_persons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)


class Account(MasterRecord, Base):
    """A chart-of-accounts entry: a group (heading) or a posting account, in a tree."""

    __tablename__ = "md_accounts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        Index("ix_md_accounts_tenant_parent", "tenant_id", "parent_id"),
    )

    type: Mapped[str] = mapped_column(String(20))
    normal_balance: Mapped[str] = mapped_column(String(10))
    is_group: Mapped[bool] = mapped_column(Boolean)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid(), ForeignKey(f"{SCHEMA}.md_accounts.id", ondelete="RESTRICT"), nullable=True
    )
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    is_system: Mapped[bool] = mapped_column(Boolean)


class Product(MasterRecord, Base):
    """A product or service: goods (cement, rod, bricks...) or services (labour, transport...)."""

    __tablename__ = "md_products"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        Index("ix_md_products_tenant_name", "tenant_id", "name"),
        Index("ix_md_products_tenant_category", "tenant_id", "category"),
    )

    type: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    unit: Mapped[str] = mapped_column(String(20))
    # [{"unit": "bag", "factor": "50"}]: one `unit` is `factor` of the product's unit.
    conversions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    hs_code: Mapped[str | None] = mapped_column(String(10), nullable=True)
    vat_rate_code: Mapped[str] = mapped_column(String(20))
    sd_rate: Mapped[Decimal] = mapped_column(Money())
    exemption_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    exemption_reference: Mapped[str | None] = mapped_column(String(100), nullable=True)
    purchase_price: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    sale_price: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    currency: Mapped[str] = mapped_column(String(3))
    purchase_account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    sale_account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)


class CustomUnit(IdMixin, Tenanted, Timestamped, Versioned, Base):
    """A tenant's own unit of measure, beside the standard catalogue."""

    __tablename__ = "md_units"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    name_bn: Mapped[str | None] = mapped_column(String(100), nullable=True)
    dimension: Mapped[str] = mapped_column(String(20))
    factor: Mapped[Decimal] = mapped_column(Factor())
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
