"""Workflow: definitions (versions), instances, tasks, history, system step runs.

Every table is tenant-owned; on PostgreSQL each gets the kit's row-level-security policy. One
running instance per (tenant, definition, business key): a partial unique index.

Revision ID: workflow_0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vextrus.kit.migrations import disable_tenant_isolation, enable_tenant_isolation
from vextrus.kit.models import UTCDateTime

revision: str = "workflow_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "workflow"
TABLES = ("wf_definitions", "wf_instances", "wf_history", "wf_step_runs", "wf_tasks")


def upgrade() -> None:
    op.create_table(
        "wf_definitions",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_bn", sa.String(length=200), nullable=True),
        sa.Column("document_type", sa.String(length=100), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_definitions")),
        sa.UniqueConstraint("tenant_id", "key", "number", name=op.f("uq_wf_definitions_tenant_id_key_number")),
        schema="workflow",
    )
    op.create_index(
        "ix_wf_definitions_current",
        "wf_definitions",
        ["tenant_id", "key", "is_current"],
        unique=False,
        schema="workflow",
    )
    op.create_index(
        op.f("ix_workflow_wf_definitions_tenant_id"), "wf_definitions", ["tenant_id"], unique=False, schema="workflow"
    )
    op.create_table(
        "wf_instances",
        sa.Column("definition_id", sa.Uuid(), nullable=False),
        sa.Column("definition_key", sa.String(length=100), nullable=False),
        sa.Column("definition_number", sa.Integer(), nullable=False),
        sa.Column("document_type", sa.String(length=100), nullable=False),
        sa.Column("business_key", sa.String(length=100), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("document_ref", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.Uuid(), nullable=False),
        sa.Column("started_by", sa.Uuid(), nullable=True),
        sa.Column("state", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("entry_seq", sa.Integer(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("current_step", sa.Integer(), nullable=True),
        sa.Column("durable_id", sa.String(length=200), nullable=True),
        sa.Column("start_key", sa.String(length=100), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["definition_id"], ["workflow.wf_definitions.id"], name=op.f("fk_wf_instances_definition_id_wf_definitions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_instances")),
        sa.UniqueConstraint("tenant_id", "start_key", name=op.f("uq_wf_instances_tenant_id_start_key")),
        schema="workflow",
    )
    op.create_index(
        "ix_wf_instances_list", "wf_instances", ["tenant_id", "started_at", "id"], unique=False, schema="workflow"
    )
    op.create_index("ix_wf_instances_status", "wf_instances", ["status", "state"], unique=False, schema="workflow")
    op.create_index(
        op.f("ix_workflow_wf_instances_tenant_id"), "wf_instances", ["tenant_id"], unique=False, schema="workflow"
    )
    op.create_index(
        "uq_wf_instances_running_business_key",
        "wf_instances",
        ["tenant_id", "definition_key", "business_key"],
        unique=True,
        schema="workflow",
        sqlite_where=sa.text("status = 'running'"),
        postgresql_where=sa.text("status = 'running'"),
    )
    op.create_table(
        "wf_history",
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.Uuid(), nullable=True),
        sa.Column("from_state", sa.String(length=60), nullable=True),
        sa.Column("to_state", sa.String(length=60), nullable=True),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("comment", sa.String(length=2000), nullable=True),
        sa.Column("data", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["workflow.wf_instances.id"], name=op.f("fk_wf_history_instance_id_wf_instances")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_history")),
        sa.UniqueConstraint("tenant_id", "idempotency_key", name=op.f("uq_wf_history_tenant_id_idempotency_key")),
        schema="workflow",
    )
    op.create_index(
        "ix_wf_history_instance",
        "wf_history",
        ["tenant_id", "instance_id", "at", "id"],
        unique=False,
        schema="workflow",
    )
    op.create_index(
        op.f("ix_workflow_wf_history_tenant_id"), "wf_history", ["tenant_id"], unique=False, schema="workflow"
    )
    op.create_table(
        "wf_step_runs",
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=60), nullable=False),
        sa.Column("entry_seq", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("executions", sa.Integer(), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("error", sa.String(length=2000), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["workflow.wf_instances.id"], name=op.f("fk_wf_step_runs_instance_id_wf_instances")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_step_runs")),
        sa.UniqueConstraint(
            "instance_id",
            "entry_seq",
            "position",
            "kind",
            name=op.f("uq_wf_step_runs_instance_id_entry_seq_position_kind"),
        ),
        schema="workflow",
    )
    op.create_index(
        "ix_wf_step_runs_instance", "wf_step_runs", ["tenant_id", "instance_id"], unique=False, schema="workflow"
    )
    op.create_index(
        op.f("ix_workflow_wf_step_runs_tenant_id"), "wf_step_runs", ["tenant_id"], unique=False, schema="workflow"
    )
    op.create_table(
        "wf_tasks",
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=60), nullable=False),
        sa.Column("entry_seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("step_name", sa.String(length=200), nullable=False),
        sa.Column("seat", sa.Integer(), nullable=False),
        sa.Column("assignee_user_id", sa.Uuid(), nullable=True),
        sa.Column("assignee_role", sa.String(length=60), nullable=True),
        sa.Column("department", sa.String(length=100), nullable=True),
        sa.Column("actions", sa.Text(), nullable=False),
        sa.Column("allow_self_approval", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("decision", sa.String(length=40), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("comment", sa.String(length=2000), nullable=True),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("remind_at", UTCDateTime(), nullable=True),
        sa.Column("reminded_at", UTCDateTime(), nullable=True),
        sa.Column("breached_at", UTCDateTime(), nullable=True),
        sa.Column("on_timeout", sa.String(length=16), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("delegate_user_id", sa.Uuid(), nullable=True),
        sa.Column("delegate_from", UTCDateTime(), nullable=True),
        sa.Column("delegate_until", UTCDateTime(), nullable=True),
        sa.Column("delegated_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["workflow.wf_instances.id"], name=op.f("fk_wf_tasks_instance_id_wf_instances")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_tasks")),
        schema="workflow",
    )
    op.create_index(
        "ix_wf_tasks_delegate", "wf_tasks", ["tenant_id", "status", "delegate_user_id"], unique=False, schema="workflow"
    )
    op.create_index("ix_wf_tasks_due", "wf_tasks", ["status", "due_at"], unique=False, schema="workflow")
    op.create_index("ix_wf_tasks_instance", "wf_tasks", ["tenant_id", "instance_id"], unique=False, schema="workflow")
    op.create_index("ix_wf_tasks_remind", "wf_tasks", ["status", "remind_at"], unique=False, schema="workflow")
    op.create_index(
        "ix_wf_tasks_role", "wf_tasks", ["tenant_id", "status", "assignee_role"], unique=False, schema="workflow"
    )
    op.create_index(
        "ix_wf_tasks_user", "wf_tasks", ["tenant_id", "status", "assignee_user_id"], unique=False, schema="workflow"
    )
    op.create_index(op.f("ix_workflow_wf_tasks_tenant_id"), "wf_tasks", ["tenant_id"], unique=False, schema="workflow")
    for table in TABLES:
        enable_tenant_isolation(table, SCHEMA)


def downgrade() -> None:
    for table in reversed(TABLES):
        disable_tenant_isolation(table, SCHEMA)
    op.drop_index(op.f("ix_workflow_wf_tasks_tenant_id"), table_name="wf_tasks", schema="workflow")
    op.drop_index("ix_wf_tasks_user", table_name="wf_tasks", schema="workflow")
    op.drop_index("ix_wf_tasks_role", table_name="wf_tasks", schema="workflow")
    op.drop_index("ix_wf_tasks_remind", table_name="wf_tasks", schema="workflow")
    op.drop_index("ix_wf_tasks_instance", table_name="wf_tasks", schema="workflow")
    op.drop_index("ix_wf_tasks_due", table_name="wf_tasks", schema="workflow")
    op.drop_index("ix_wf_tasks_delegate", table_name="wf_tasks", schema="workflow")
    op.drop_table("wf_tasks", schema="workflow")
    op.drop_index(op.f("ix_workflow_wf_step_runs_tenant_id"), table_name="wf_step_runs", schema="workflow")
    op.drop_index("ix_wf_step_runs_instance", table_name="wf_step_runs", schema="workflow")
    op.drop_table("wf_step_runs", schema="workflow")
    op.drop_index(op.f("ix_workflow_wf_history_tenant_id"), table_name="wf_history", schema="workflow")
    op.drop_index("ix_wf_history_instance", table_name="wf_history", schema="workflow")
    op.drop_table("wf_history", schema="workflow")
    op.drop_index(
        "uq_wf_instances_running_business_key",
        table_name="wf_instances",
        schema="workflow",
        sqlite_where=sa.text("status = 'running'"),
        postgresql_where=sa.text("status = 'running'"),
    )
    op.drop_index(op.f("ix_workflow_wf_instances_tenant_id"), table_name="wf_instances", schema="workflow")
    op.drop_index("ix_wf_instances_status", table_name="wf_instances", schema="workflow")
    op.drop_index("ix_wf_instances_list", table_name="wf_instances", schema="workflow")
    op.drop_table("wf_instances", schema="workflow")
    op.drop_index(op.f("ix_workflow_wf_definitions_tenant_id"), table_name="wf_definitions", schema="workflow")
    op.drop_index("ix_wf_definitions_current", table_name="wf_definitions", schema="workflow")
    op.drop_table("wf_definitions", schema="workflow")
