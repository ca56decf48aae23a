"""Tables of the organization service (schema ``organization``, prefix ``org_``).

A tenant is the customer (a group of companies); its row is keyed by the tenant id itself and its
``tenant_id`` is that same id (a CHECK holds them equal), so the table is tenant-owned like every
other and row-level security treats it the same way. Everything under a tenant is tenant-owned
(:class:`~vextrus.kit.models.Tenanted`): companies (legal entities), their divisions (business
units), branches, departments, the tenant's designations and the memberships of users in
companies. Users themselves belong to the auth service: they are referenced by id only.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from vextrus.kit.models import (
    TYPE_ANNOTATION_MAP,
    IdMixin,
    Tenanted,
    Timestamped,
    UTCDateTime,
    Versioned,
    service_metadata,
)

SCHEMA = "organization"

NAME_LENGTH = 200
CODE_LENGTH = 20
SLUG_LENGTH = 50
REASON_LENGTH = 500


class Base(DeclarativeBase):
    metadata = service_metadata(SCHEMA)
    type_annotation_map = TYPE_ANNOTATION_MAP


class Tenant(Timestamped, Versioned, Base):
    """A customer organisation (group). ``id`` is the tenant id every other service keys on."""

    __tablename__ = "org_tenants"
    __table_args__ = (
        CheckConstraint("type IN ('construction', 'real-estate', 'both')", name="type"),
        CheckConstraint("status IN ('active', 'suspended', 'closed')", name="status"),
        CheckConstraint("max_users >= 1 AND max_companies >= 1 AND max_projects >= 0", name="limits"),
        CheckConstraint("tenant_id = id", name="tenant_is_itself"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    slug: Mapped[str] = mapped_column(String(SLUG_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    name_bn: Mapped[str | None] = mapped_column(String(NAME_LENGTH), nullable=True)
    type: Mapped[str] = mapped_column(String(16))
    plan: Mapped[str] = mapped_column(String(30))
    max_users: Mapped[int] = mapped_column(Integer)
    max_companies: Mapped[int] = mapped_column(Integer)
    max_projects: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(String(REASON_LENGTH), nullable=True)
    status_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    suspended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)


class AddressColumns:
    """A Bangladeshi postal address: line (house/road), area, thana/upazila, district, division."""

    address_line: Mapped[str | None] = mapped_column(String(300), nullable=True)
    address_line_bn: Mapped[str | None] = mapped_column(String(300), nullable=True)
    address_area: Mapped[str | None] = mapped_column(String(100), nullable=True)
    address_thana: Mapped[str | None] = mapped_column(String(100), nullable=True)
    address_district: Mapped[str | None] = mapped_column(String(50), nullable=True)
    address_division: Mapped[str | None] = mapped_column(String(20), nullable=True)
    address_postal_code: Mapped[str | None] = mapped_column(String(4), nullable=True)


class Company(IdMixin, Tenanted, AddressColumns, Timestamped, Versioned, Base):
    """A legal entity of the tenant, with its own TIN, BIN (VAT registration) and trade licence."""

    __tablename__ = "org_companies"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        UniqueConstraint("tenant_id", "tin"),
        UniqueConstraint("tenant_id", "bin"),
        CheckConstraint("fiscal_year_start_month BETWEEN 1 AND 12", name="fiscal_year_start_month"),
        CheckConstraint("vat_status IN ('registered', 'turnover', 'unregistered')", name="vat_status"),
    )

    code: Mapped[str] = mapped_column(String(CODE_LENGTH))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    name_bn: Mapped[str | None] = mapped_column(String(NAME_LENGTH), nullable=True)
    tin: Mapped[str | None] = mapped_column(String(12), nullable=True)
    bin: Mapped[str | None] = mapped_column(String(13), nullable=True)
    vat_status: Mapped[str] = mapped_column(String(16))
    vat_registered_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    trade_licence_number: Mapped[str | None] = mapped_column(String(50), nullable=True)
    trade_licence_authority: Mapped[str | None] = mapped_column(String(100), nullable=True)
    trade_licence_expiry: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    regulatory_body: Mapped[str | None] = mapped_column(String(16), nullable=True)
    fiscal_year_start_month: Mapped[int] = mapped_column(Integer)
    base_currency: Mapped[str] = mapped_column(String(3))
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean)


class Division(IdMixin, Tenanted, Timestamped, Versioned, Base):
    """A division / business unit of a company (e.g. Construction, Real Estate)."""

    __tablename__ = "org_divisions"
    __table_args__ = (UniqueConstraint("company_id", "code"),)

    company_id: Mapped[uuid.UUID] = mapped_column(Uuid(), ForeignKey(f"{SCHEMA}.org_companies.id"), index=True)
    code: Mapped[str] = mapped_column(String(CODE_LENGTH))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    name_bn: Mapped[str | None] = mapped_column(String(NAME_LENGTH), nullable=True)
    description: Mapped[str | None] = mapped_column(String(REASON_LENGTH), nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean)


class Branch(IdMixin, Tenanted, AddressColumns, Timestamped, Versioned, Base):
    """A branch or unit of a company; its BIN is the company's 9-digit BIN plus a 4-digit suffix."""

    __tablename__ = "org_branches"
    __table_args__ = (
        UniqueConstraint("company_id", "code"),
        UniqueConstraint("company_id", "bin_suffix"),
    )

    company_id: Mapped[uuid.UUID] = mapped_column(Uuid(), ForeignKey(f"{SCHEMA}.org_companies.id"), index=True)
    division_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid(), ForeignKey(f"{SCHEMA}.org_divisions.id"), nullable=True
    )
    code: Mapped[str] = mapped_column(String(CODE_LENGTH))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    name_bn: Mapped[str | None] = mapped_column(String(NAME_LENGTH), nullable=True)
    bin_suffix: Mapped[str | None] = mapped_column(String(4), nullable=True)
    is_head_office: Mapped[bool] = mapped_column(Boolean)
    is_active: Mapped[bool] = mapped_column(Boolean)


class Department(IdMixin, Tenanted, Timestamped, Versioned, Base):
    """A department of a company; departments form a tree (``parent_id``) with an optional head."""

    __tablename__ = "org_departments"
    __table_args__ = (UniqueConstraint("company_id", "code"),)

    company_id: Mapped[uuid.UUID] = mapped_column(Uuid(), ForeignKey(f"{SCHEMA}.org_companies.id"), index=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid(), ForeignKey(f"{SCHEMA}.org_departments.id"), nullable=True
    )
    code: Mapped[str] = mapped_column(String(CODE_LENGTH))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    name_bn: Mapped[str | None] = mapped_column(String(NAME_LENGTH), nullable=True)
    head_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean)


class Designation(IdMixin, Tenanted, Timestamped, Versioned, Base):
    """A job title used across the tenant's companies (Managing Director, Site Engineer, ...)."""

    __tablename__ = "org_designations"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(CODE_LENGTH))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    name_bn: Mapped[str | None] = mapped_column(String(NAME_LENGTH), nullable=True)
    grade: Mapped[int | None] = mapped_column(Integer, nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean)


class Membership(IdMixin, Tenanted, Timestamped, Versioned, Base):
    """A user's membership of a company, with their department and designation there.

    A user may belong to several companies of the tenant; exactly one membership per user and
    tenant is primary (a partial unique index makes two impossible; the service keeps one).
    """

    __tablename__ = "org_memberships"
    __table_args__ = (
        UniqueConstraint("company_id", "user_id"),
        Index(
            "uq_org_memberships_primary",
            "tenant_id",
            "user_id",
            unique=True,
            sqlite_where=text("is_primary"),
            postgresql_where=text("is_primary"),
        ),
        Index("ix_org_memberships_user", "tenant_id", "user_id"),
    )

    company_id: Mapped[uuid.UUID] = mapped_column(Uuid(), ForeignKey(f"{SCHEMA}.org_companies.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    is_primary: Mapped[bool] = mapped_column(Boolean)
    department_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid(), ForeignKey(f"{SCHEMA}.org_departments.id"), nullable=True
    )
    designation_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid(), ForeignKey(f"{SCHEMA}.org_designations.id"), nullable=True
    )
    display_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH), nullable=True)
