"""Import-export: import jobs (one uploaded file, dry run or commit, with progress and counts).

On PostgreSQL the table gets the kit's FORCEd row-level-security policy on ``app.tenant_id``.

Revision ID: exchange_0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vextrus.kit.migrations import disable_tenant_isolation, enable_tenant_isolation
from vextrus.kit.models import UTCDateTime

revision: str = "exchange_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "exchange"
TABLE = "xch_jobs"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("entity", sa.String(20), nullable=False),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("source_job_id", sa.Uuid(), nullable=True),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("file_format", sa.String(8), nullable=False),
        sa.Column("file_size", sa.Integer(), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("file_key", sa.String(255), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("ignored_columns", sa.JSON(), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("processed_rows", sa.Integer(), nullable=False),
        sa.Column("created_rows", sa.Integer(), nullable=False),
        sa.Column("updated_rows", sa.Integer(), nullable=False),
        sa.Column("unchanged_rows", sa.Integer(), nullable=False),
        sa.Column("invalid_rows", sa.Integer(), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("error_bn", sa.Text(), nullable=True),
        sa.Column("permissions", sa.JSON(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_xch_jobs"),
        schema=SCHEMA,
    )
    op.create_index(f"ix_{SCHEMA}_{TABLE}_tenant_id", TABLE, ["tenant_id"], schema=SCHEMA)
    op.create_index("ix_xch_jobs_tenant_created", TABLE, ["tenant_id", "id"], schema=SCHEMA)
    op.create_index("ix_xch_jobs_status_heartbeat", TABLE, ["status", "heartbeat_at"], schema=SCHEMA)
    enable_tenant_isolation(TABLE, SCHEMA)


def downgrade() -> None:
    disable_tenant_isolation(TABLE, SCHEMA)
    for name in ("ix_xch_jobs_status_heartbeat", "ix_xch_jobs_tenant_created", f"ix_{SCHEMA}_{TABLE}_tenant_id"):
        op.drop_index(name, table_name=TABLE, schema=SCHEMA)
    op.drop_table(TABLE, schema=SCHEMA)
