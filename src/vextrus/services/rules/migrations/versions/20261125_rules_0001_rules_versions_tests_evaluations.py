"""Rules engine: rules, their versions (JDM documents), test cases, evaluation history.

At most one published version per rule is enforced by a partial unique index on both
databases. On PostgreSQL every table also gets the kit's row-level-security policy
(``enable_tenant_isolation``), the second line behind the tenant-scoped repositories.

Revision ID: rules_0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vextrus.kit.migrations import disable_tenant_isolation, enable_tenant_isolation
from vextrus.kit.models import UTCDateTime

revision: str = "rules_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "rules"
_TABLES = ("rl_rules", "rl_rule_versions", "rl_test_cases", "rl_evaluations")


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "rl_rules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.String(1000), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_rl_rules"),
        sa.UniqueConstraint("tenant_id", "key", name="uq_rl_rules_tenant_id_key"),
        schema=SCHEMA,
    )
    op.create_index("ix_rules_rl_rules_tenant_id", "rl_rules", ["tenant_id"], schema=SCHEMA)

    op.create_table(
        "rl_rule_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("rule_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("comment", sa.String(500), nullable=True),
        sa.Column("effective_from", UTCDateTime(), nullable=True),
        sa.Column("effective_to", UTCDateTime(), nullable=True),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("published_by", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_rl_rule_versions"),
        sa.UniqueConstraint("rule_id", "number", name="uq_rl_rule_versions_rule_id_number"),
        sa.CheckConstraint("status IN ('draft', 'published', 'superseded')", name="ck_rl_rule_versions_status"),
        sa.CheckConstraint(
            "effective_to IS NULL OR effective_from IS NULL OR effective_to >= effective_from",
            name="ck_rl_rule_versions_window",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"], [f"{SCHEMA}.rl_rules.id"], name="fk_rl_rule_versions_rule_id_rl_rules", ondelete="CASCADE"
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_rules_rl_rule_versions_tenant_id", "rl_rule_versions", ["tenant_id"], schema=SCHEMA)
    op.create_index("ix_rl_rule_versions_effective", "rl_rule_versions", ["rule_id", "effective_from"], schema=SCHEMA)
    op.create_index(
        "uq_rl_rule_versions_one_published",
        "rl_rule_versions",
        ["rule_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'published'"),
        sqlite_where=sa.text("status = 'published'"),
    )

    op.create_table(
        "rl_test_cases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("rule_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.String(500), nullable=True),
        sa.Column("input", sa.Text(), nullable=False),
        sa.Column("expected", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_rl_test_cases"),
        sa.UniqueConstraint("rule_id", "name", name="uq_rl_test_cases_rule_id_name"),
        sa.ForeignKeyConstraint(
            ["rule_id"], [f"{SCHEMA}.rl_rules.id"], name="fk_rl_test_cases_rule_id_rl_rules", ondelete="CASCADE"
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_rules_rl_test_cases_tenant_id", "rl_test_cases", ["tenant_id"], schema=SCHEMA)

    op.create_table(
        "rl_evaluations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("rule_id", sa.Uuid(), nullable=False),
        sa.Column("rule_key", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("input", sa.Text(), nullable=False),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_us", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(200), nullable=True),
        sa.Column("actor", sa.Uuid(), nullable=True),
        sa.Column("evaluated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rl_evaluations"),
        schema=SCHEMA,
    )
    op.create_index("ix_rules_rl_evaluations_tenant_id", "rl_evaluations", ["tenant_id"], schema=SCHEMA)
    op.create_index("ix_rl_evaluations_recent", "rl_evaluations", ["tenant_id", "evaluated_at", "id"], schema=SCHEMA)
    op.create_index(
        "ix_rl_evaluations_key", "rl_evaluations", ["tenant_id", "rule_key", "evaluated_at", "id"], schema=SCHEMA
    )
    op.create_index("ix_rl_evaluations_reference", "rl_evaluations", ["tenant_id", "reference"], schema=SCHEMA)

    for table in _TABLES:
        enable_tenant_isolation(table, SCHEMA)


def downgrade() -> None:
    for table in reversed(_TABLES):
        disable_tenant_isolation(table, SCHEMA)
    op.drop_index("ix_rl_evaluations_reference", table_name="rl_evaluations", schema=SCHEMA)
    op.drop_index("ix_rl_evaluations_key", table_name="rl_evaluations", schema=SCHEMA)
    op.drop_index("ix_rl_evaluations_recent", table_name="rl_evaluations", schema=SCHEMA)
    op.drop_index("ix_rules_rl_evaluations_tenant_id", table_name="rl_evaluations", schema=SCHEMA)
    op.drop_table("rl_evaluations", schema=SCHEMA)
    op.drop_index("ix_rules_rl_test_cases_tenant_id", table_name="rl_test_cases", schema=SCHEMA)
    op.drop_table("rl_test_cases", schema=SCHEMA)
    op.drop_index("uq_rl_rule_versions_one_published", table_name="rl_rule_versions", schema=SCHEMA)
    op.drop_index("ix_rl_rule_versions_effective", table_name="rl_rule_versions", schema=SCHEMA)
    op.drop_index("ix_rules_rl_rule_versions_tenant_id", table_name="rl_rule_versions", schema=SCHEMA)
    op.drop_table("rl_rule_versions", schema=SCHEMA)
    op.drop_index("ix_rules_rl_rules_tenant_id", table_name="rl_rules", schema=SCHEMA)
    op.drop_table("rl_rules", schema=SCHEMA)
