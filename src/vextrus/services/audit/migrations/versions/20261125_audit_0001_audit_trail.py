"""Audit trail: records (append-only hash chain per tenant), chain heads, retention policies.

The database itself keeps the trail append-only: a trigger refuses every UPDATE of a record and
every DELETE of a record that no checkpoint covers (a checkpoint is the record a purge appends
after archiving: ``purged_through_seq`` in its payload); a statement trigger refuses TRUNCATE
(PostgreSQL). The same rules hold on SQLite through its triggers. Row-level security on every
table (PostgreSQL).

Revision ID: audit_0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vextrus.kit.migrations import disable_tenant_isolation, enable_tenant_isolation
from vextrus.kit.models import UTCDateTime

revision: str = "audit_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "audit"
_TABLES = ("au_records", "au_chain_heads", "au_policies")

_PG_GUARD = """
CREATE FUNCTION "audit".au_records_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (
        SELECT 1 FROM "audit".au_records c
        WHERE c.tenant_id = OLD.tenant_id AND c.type = 'audit.chain.checkpoint'
          AND (c.payload::jsonb ->> 'purged_through_seq')::bigint >= OLD.seq
    ) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit records are append-only: % refused', TG_OP USING ERRCODE = '42501';
END
$$
"""
_PG_NO_TRUNCATE = """
CREATE FUNCTION "audit".au_records_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only: TRUNCATE refused' USING ERRCODE = '42501';
END
$$
"""
_SQLITE_TRIGGERS = (
    """
CREATE TRIGGER au_records_no_update BEFORE UPDATE ON au_records
BEGIN SELECT RAISE(ABORT, 'audit records are append-only: UPDATE refused'); END
""",
    """
CREATE TRIGGER au_records_no_delete BEFORE DELETE ON au_records
WHEN NOT EXISTS (
    SELECT 1 FROM au_records c
    WHERE c.tenant_id = OLD.tenant_id AND c.type = 'audit.chain.checkpoint'
      AND CAST(json_extract(c.payload, '$.purged_through_seq') AS INTEGER) >= OLD.seq
)
BEGIN SELECT RAISE(ABORT, 'audit records are append-only: DELETE refused'); END
""",
)


def upgrade() -> None:
    op.create_table(
        "au_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("subject", sa.String(200), nullable=True),
        sa.Column("entity_type", sa.String(130), nullable=True),
        sa.Column("entity_id", sa.String(200), nullable=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("trace", sa.String(64), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_au_records"),
        sa.UniqueConstraint("tenant_id", "seq", name="uq_au_records_tenant_id_seq"),
        sa.UniqueConstraint("tenant_id", "event_id", name="uq_au_records_tenant_id_event_id"),
        schema=SCHEMA,
    )
    op.create_index("ix_au_records_tenant_type_seq", "au_records", ["tenant_id", "type", "seq"], schema=SCHEMA)
    op.create_index("ix_au_records_tenant_actor_seq", "au_records", ["tenant_id", "actor", "seq"], schema=SCHEMA)
    op.create_index(
        "ix_au_records_tenant_entity_seq", "au_records", ["tenant_id", "entity_type", "entity_id", "seq"], schema=SCHEMA
    )
    op.create_index("ix_au_records_tenant_occurred", "au_records", ["tenant_id", "occurred_at"], schema=SCHEMA)
    op.create_table(
        "au_chain_heads",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_au_chain_heads"),
        schema=SCHEMA,
    )
    op.create_table(
        "au_policies",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_au_policies"),
        sa.CheckConstraint("retention_days >= 1", name="ck_au_policies_retention_days"),
        schema=SCHEMA,
    )
    for table in _TABLES:
        enable_tenant_isolation(table, SCHEMA)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_GUARD)
        op.execute(_PG_NO_TRUNCATE)
        op.execute(
            f'CREATE TRIGGER au_records_append_only BEFORE UPDATE OR DELETE ON "{SCHEMA}".au_records '
            f'FOR EACH ROW EXECUTE FUNCTION "{SCHEMA}".au_records_guard()'
        )
        op.execute(
            f'CREATE TRIGGER au_records_no_truncate BEFORE TRUNCATE ON "{SCHEMA}".au_records '
            f'FOR EACH STATEMENT EXECUTE FUNCTION "{SCHEMA}".au_records_no_truncate()'
        )
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f'DROP TRIGGER IF EXISTS au_records_no_truncate ON "{SCHEMA}".au_records')
        op.execute(f'DROP TRIGGER IF EXISTS au_records_append_only ON "{SCHEMA}".au_records')
        op.execute(f'DROP FUNCTION IF EXISTS "{SCHEMA}".au_records_no_truncate()')
        op.execute(f'DROP FUNCTION IF EXISTS "{SCHEMA}".au_records_guard()')
    else:
        op.execute("DROP TRIGGER IF EXISTS au_records_no_delete")
        op.execute("DROP TRIGGER IF EXISTS au_records_no_update")
    for table in reversed(_TABLES):
        disable_tenant_isolation(table, SCHEMA)
    op.drop_table("au_policies", schema=SCHEMA)
    op.drop_table("au_chain_heads", schema=SCHEMA)
    op.drop_index("ix_au_records_tenant_occurred", table_name="au_records", schema=SCHEMA)
    op.drop_index("ix_au_records_tenant_entity_seq", table_name="au_records", schema=SCHEMA)
    op.drop_index("ix_au_records_tenant_actor_seq", table_name="au_records", schema=SCHEMA)
    op.drop_index("ix_au_records_tenant_type_seq", table_name="au_records", schema=SCHEMA)
    op.drop_table("au_records", schema=SCHEMA)
