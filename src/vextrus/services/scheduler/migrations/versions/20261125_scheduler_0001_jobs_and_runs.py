"""Scheduler: jobs and their runs (unique per job, due time and trigger: exactly once per due time).

Both tables are tenant-owned (system jobs belong to the platform tenant); on PostgreSQL each gets
the kit's row-level-security policy. The runner claims due work of every tenant inside
cross_tenant(), which those policies admit.

Revision ID: scheduler_0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vextrus.kit.migrations import disable_tenant_isolation, enable_tenant_isolation
from vextrus.kit.models import UTCDateTime

revision: str = "scheduler_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "scheduler"
TABLES = ("sch_jobs", "sch_runs")


def upgrade() -> None:
    op.create_table(
        "sch_jobs",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("cron", sa.String(length=100), nullable=True),
        sa.Column("run_at", UTCDateTime(), nullable=True),
        sa.Column("timezone", sa.String(length=40), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("next_run_at", UTCDateTime(), nullable=True),
        sa.Column("last_run_at", UTCDateTime(), nullable=True),
        sa.Column("last_status", sa.String(length=16), nullable=True),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("retry_delay_seconds", sa.Integer(), nullable=False),
        sa.Column("timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sch_jobs")),
        sa.UniqueConstraint("tenant_id", "key", name=op.f("uq_sch_jobs_tenant_id_key")),
        schema="scheduler",
    )
    op.create_index("ix_sch_jobs_due", "sch_jobs", ["status", "next_run_at"], unique=False, schema="scheduler")
    op.create_index(
        op.f("ix_scheduler_sch_jobs_tenant_id"), "sch_jobs", ["tenant_id"], unique=False, schema="scheduler"
    )
    op.create_table(
        "sch_runs",
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("job_key", sa.String(length=100), nullable=False),
        sa.Column("scheduled_for", UTCDateTime(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("error", sa.String(length=2000), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["scheduler.sch_jobs.id"], name=op.f("fk_sch_runs_job_id_sch_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sch_runs")),
        sa.UniqueConstraint(
            "job_id", "scheduled_for", "trigger", name=op.f("uq_sch_runs_job_id_scheduled_for_trigger")
        ),
        schema="scheduler",
    )
    op.create_index(
        "ix_sch_runs_job", "sch_runs", ["tenant_id", "job_id", "scheduled_for", "id"], unique=False, schema="scheduler"
    )
    op.create_index("ix_sch_runs_pending", "sch_runs", ["status", "next_attempt_at"], unique=False, schema="scheduler")
    op.create_index(
        op.f("ix_scheduler_sch_runs_tenant_id"), "sch_runs", ["tenant_id"], unique=False, schema="scheduler"
    )
    for table in TABLES:
        enable_tenant_isolation(table, SCHEMA)


def downgrade() -> None:
    for table in reversed(TABLES):
        disable_tenant_isolation(table, SCHEMA)
    op.drop_index(op.f("ix_scheduler_sch_runs_tenant_id"), table_name="sch_runs", schema="scheduler")
    op.drop_index("ix_sch_runs_pending", table_name="sch_runs", schema="scheduler")
    op.drop_index("ix_sch_runs_job", table_name="sch_runs", schema="scheduler")
    op.drop_table("sch_runs", schema="scheduler")
    op.drop_index(op.f("ix_scheduler_sch_jobs_tenant_id"), table_name="sch_jobs", schema="scheduler")
    op.drop_index("ix_sch_jobs_due", table_name="sch_jobs", schema="scheduler")
    op.drop_table("sch_jobs", schema="scheduler")
