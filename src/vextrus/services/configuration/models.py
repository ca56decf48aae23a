"""Tables of the configuration service (schema ``configuration``, prefix ``cfg_``).

Values are JSON text. A setting row is kept when it is reset (its value becomes NULL) so its
``version`` only ever grows: a client holding an old version can never overwrite a newer state.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from vextrus.kit.models import (
    TYPE_ANNOTATION_MAP,
    IdMixin,
    Tenanted,
    Timestamped,
    UTCDateTime,
    Versioned,
    service_metadata,
    utcnow,
)

SCHEMA = "configuration"


class Base(DeclarativeBase):
    metadata = service_metadata(SCHEMA)
    type_annotation_map = TYPE_ANNOTATION_MAP


KEY_LENGTH = 100


class TenantSetting(IdMixin, Tenanted, Timestamped, Versioned, Base):
    """A tenant's value for one catalogue setting; ``value`` NULL means "use the default"."""

    __tablename__ = "cfg_settings"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    value: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)


class FeatureFlag(IdMixin, Timestamped, Versioned, Base):
    """A platform-wide feature flag: on/off plus a percentage rollout over tenants (or users)."""

    __tablename__ = "cfg_feature_flags"
    __table_args__ = (
        CheckConstraint("rollout_percentage >= 0 AND rollout_percentage <= 100", name="rollout_percentage"),
        {"info": {"platform_wide": "flag definitions are shared by every tenant; overrides are per tenant"}},
    )

    key: Mapped[str] = mapped_column(String(KEY_LENGTH), unique=True)
    description: Mapped[str] = mapped_column(String(500))
    description_bn: Mapped[str | None] = mapped_column(String(500), nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    rollout_percentage: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)


class FlagOverride(IdMixin, Tenanted, Timestamped, Versioned, Base):
    """A tenant's explicit on/off for one flag; it wins over the flag's state and rollout."""

    __tablename__ = "cfg_flag_overrides"
    __table_args__ = (UniqueConstraint("tenant_id", "flag_key"),)

    flag_key: Mapped[str] = mapped_column(
        String(KEY_LENGTH), ForeignKey(f"{SCHEMA}.cfg_feature_flags.key", ondelete="CASCADE")
    )
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)


class ChangeRecord(IdMixin, Base):
    """One change of a setting, flag or override: who, when, old and new value (JSON text).

    ``tenant_id`` is NULL for changes of platform-wide flag definitions.
    """

    __tablename__ = "cfg_change_history"
    __table_args__ = (
        Index("ix_cfg_change_history_scope", "tenant_id", "changed_at", "id"),
        Index("ix_cfg_change_history_key", "key", "changed_at"),
    )

    tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    action: Mapped[str] = mapped_column(String(16))
    old_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    new_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
