"""Configuration: tenant settings, feature flags, tenant flag overrides, change history.

On PostgreSQL the tenant-owned tables also get row-level security keyed on ``app.tenant_id`` (the
per-transaction setting vextrus.kit.db sets), the second line behind the tenant-scoped
repositories. The history's platform-wide rows (``tenant_id`` NULL, flag definition changes) stay
visible to every tenant.

Revision ID: configuration_0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vextrus.kit.models import UTCDateTime

revision: str = "configuration_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "configuration"
_CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
_POLICIES = {
    "cfg_settings": f"tenant_id = {_CURRENT_TENANT}",
    "cfg_flag_overrides": f"tenant_id = {_CURRENT_TENANT}",
    "cfg_change_history": f"tenant_id IS NULL OR tenant_id = {_CURRENT_TENANT}",
}


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "cfg_settings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_cfg_settings"),
        sa.UniqueConstraint("tenant_id", "key", name="uq_cfg_settings_tenant_id_key"),
        schema=SCHEMA,
    )
    op.create_index("ix_configuration_cfg_settings_tenant_id", "cfg_settings", ["tenant_id"], schema=SCHEMA)

    op.create_table(
        "cfg_feature_flags",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("description_bn", sa.String(500), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("rollout_percentage", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_cfg_feature_flags"),
        sa.UniqueConstraint("key", name="uq_cfg_feature_flags_key"),
        sa.CheckConstraint(
            "rollout_percentage >= 0 AND rollout_percentage <= 100",
            name="ck_cfg_feature_flags_rollout_percentage",
        ),
        schema=SCHEMA,
    )

    op.create_table(
        "cfg_flag_overrides",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("flag_key", sa.String(100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_cfg_flag_overrides"),
        sa.UniqueConstraint("tenant_id", "flag_key", name="uq_cfg_flag_overrides_tenant_id_flag_key"),
        sa.ForeignKeyConstraint(
            ["flag_key"],
            [f"{SCHEMA}.cfg_feature_flags.key"],
            name="fk_cfg_flag_overrides_flag_key_cfg_feature_flags",
            ondelete="CASCADE",
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_configuration_cfg_flag_overrides_tenant_id", "cfg_flag_overrides", ["tenant_id"], schema=SCHEMA)

    op.create_table(
        "cfg_change_history",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("actor", sa.Uuid(), nullable=True),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cfg_change_history"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_cfg_change_history_scope", "cfg_change_history", ["tenant_id", "changed_at", "id"], schema=SCHEMA
    )
    op.create_index("ix_cfg_change_history_key", "cfg_change_history", ["key", "changed_at"], schema=SCHEMA)

    if op.get_bind().dialect.name == "postgresql":
        for table, condition in _POLICIES.items():
            op.execute(f"ALTER TABLE {SCHEMA}.{table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {SCHEMA}.{table} FORCE ROW LEVEL SECURITY")
            op.execute(f"CREATE POLICY {table}_tenant_isolation ON {SCHEMA}.{table} USING ({condition})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in reversed(_POLICIES):
            op.execute(f"DROP POLICY IF EXISTS {table}_tenant_isolation ON {SCHEMA}.{table}")
            op.execute(f"ALTER TABLE {SCHEMA}.{table} NO FORCE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {SCHEMA}.{table} DISABLE ROW LEVEL SECURITY")
    op.drop_index("ix_cfg_change_history_key", table_name="cfg_change_history", schema=SCHEMA)
    op.drop_index("ix_cfg_change_history_scope", table_name="cfg_change_history", schema=SCHEMA)
    op.drop_table("cfg_change_history", schema=SCHEMA)
    op.drop_index("ix_configuration_cfg_flag_overrides_tenant_id", table_name="cfg_flag_overrides", schema=SCHEMA)
    op.drop_table("cfg_flag_overrides", schema=SCHEMA)
    op.drop_table("cfg_feature_flags", schema=SCHEMA)
    op.drop_index("ix_configuration_cfg_settings_tenant_id", table_name="cfg_settings", schema=SCHEMA)
    op.drop_table("cfg_settings", schema=SCHEMA)
