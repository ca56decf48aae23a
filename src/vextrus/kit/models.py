"""Declarative bases, column types and mixins shared by every service's models.

Each service declares its own declarative base on ``service_metadata("<schema>")``, so its
metadata, migrations and tables stay its own. Table names are prefixed per service and
unique across the system (a conformance test checks it).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import uuid_utils
from sqlalchemy import DateTime, Dialect, Integer, MetaData, Numeric, String, Uuid, func
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> uuid.UUID:
    """A UUIDv7: time-ordered, so primary-key indexes stay local."""
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware timestamps on every database: stored in UTC, returned aware.

    SQLite has no timezone type; without this, values come back naive.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[dt.datetime]:
        return dt.datetime

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Vextrus stores timezone-aware times only")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Money(TypeDecorator[Decimal]):
    """Exact decimal amounts: NUMERIC on PostgreSQL, canonical text on SQLite (never a float)."""

    impl = Numeric(20, 4, asdecimal=True)
    cache_ok = True

    @property
    def python_type(self) -> type[Decimal]:
        return Decimal

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(20, 4, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError("money must be a Decimal")
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value))


TYPE_ANNOTATION_MAP: dict[Any, Any] = {dt.datetime: UTCDateTime(), Decimal: Money(), uuid.UUID: Uuid()}


def service_metadata(schema: str) -> MetaData:
    """The metadata of one service: its own schema and the shared naming convention.

    A service declares its base as::

        class Base(DeclarativeBase):
            metadata = service_metadata("finance")
            type_annotation_map = TYPE_ANNOTATION_MAP
    """
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, default=new_id)


class Tenanted:
    """Rows owned by one tenant; tenant-scoped repositories filter on this column."""

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False, index=True)


class Timestamped:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, server_default=func.now()
    )


class Versioned:
    """Optimistic locking: a stale ``version`` on UPDATE raises ``StaleDataError`` (409 at the API)."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


# The kit's own tables (outbox, inbox, idempotency keys) live in the `platform` schema and are
# migrated as their own tree, before any service.
PLATFORM_SCHEMA = "platform"


class PlatformBase(DeclarativeBase):
    metadata = service_metadata(PLATFORM_SCHEMA)
    type_annotation_map = TYPE_ANNOTATION_MAP
