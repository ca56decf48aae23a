"""Configuration: the kit's tenant-isolation policies, which also admit ``cross_tenant()`` work.

The first revision wrote its own policies (``tenant_id = app.tenant_id``); the kit now owns the
policy shape (``vextrus.kit.migrations.enable_tenant_isolation``) so that every service's tables
honour the same rules, including the explicit cross-tenant scope of platform operations.

Revision ID: configuration_0002
Revises: configuration_0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

from vextrus.kit.migrations import disable_tenant_isolation, enable_tenant_isolation

revision: str = "configuration_0002"
down_revision: str | Sequence[str] | None = "configuration_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "configuration"
_CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
# table -> has platform-wide rows (tenant_id NULL) that every tenant reads
_TABLES = {"cfg_settings": False, "cfg_flag_overrides": False, "cfg_change_history": True}


def upgrade() -> None:
    for table, shared_rows in _TABLES.items():
        disable_tenant_isolation(table, SCHEMA)
        enable_tenant_isolation(table, SCHEMA, shared_rows=shared_rows)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, shared_rows in _TABLES.items():
        disable_tenant_isolation(table, SCHEMA)
        condition = f"tenant_id = {_CURRENT_TENANT}"
        if shared_rows:
            condition = f"tenant_id IS NULL OR {condition}"
        op.execute(f"ALTER TABLE {SCHEMA}.{table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {SCHEMA}.{table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_tenant_isolation ON {SCHEMA}.{table} USING ({condition})")
