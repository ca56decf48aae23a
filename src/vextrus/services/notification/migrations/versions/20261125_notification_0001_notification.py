"""Notification service: templates, preferences, notifications, deliveries, in-app inbox, task
assignees. Every table is tenant-owned (row-level security on PostgreSQL).

Revision ID: notification_0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vextrus.kit.migrations import disable_tenant_isolation, enable_tenant_isolation
from vextrus.kit.models import UTCDateTime

revision: str = "notification_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "notification"
TABLES = ("ntf_templates", "ntf_preferences", "ntf_notifications", "ntf_deliveries", "ntf_inbox", "ntf_task_assignees")


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
    ]


def _tenant_index(table: str) -> None:
    op.create_index(f"ix_{SCHEMA}_{table}_tenant_id", table, ["tenant_id"], schema=SCHEMA)


def upgrade() -> None:
    op.create_table(
        "ntf_templates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("event", sa.String(100), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("subject", sa.String(500), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_ntf_templates"),
        sa.UniqueConstraint(
            "tenant_id", "event", "channel", "language", name="uq_ntf_templates_tenant_id_event_channel_language"
        ),
        schema=SCHEMA,
    )
    _tenant_index("ntf_templates")

    op.create_table(
        "ntf_preferences",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("channels", sa.String(100), nullable=False),
        sa.Column("language", sa.String(5), nullable=True),
        sa.Column("quiet_start", sa.String(5), nullable=True),
        sa.Column("quiet_end", sa.String(5), nullable=True),
        sa.Column("digest", sa.String(10), nullable=False),
        sa.Column("digest_hour", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("phone", sa.String(20), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_ntf_preferences"),
        sa.UniqueConstraint("tenant_id", "user_id", name="uq_ntf_preferences_tenant_id_user_id"),
        schema=SCHEMA,
    )
    _tenant_index("ntf_preferences")

    op.create_table(
        "ntf_notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.String(100), nullable=False),
        sa.Column("event", sa.String(100), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("priority", sa.String(10), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("attachments", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ntf_notifications"),
        sa.UniqueConstraint("tenant_id", "event_id", name="uq_ntf_notifications_tenant_id_event_id"),
        schema=SCHEMA,
    )
    _tenant_index("ntf_notifications")
    op.create_index(
        "ix_ntf_notifications_listing", "ntf_notifications", ["tenant_id", "created_at", "id"], schema=SCHEMA
    )

    op.create_table(
        "ntf_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("role", sa.String(100), nullable=True),
        sa.Column("address", sa.String(254), nullable=True),
        sa.Column("language", sa.String(5), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("error_reason", sa.String(40), nullable=True),
        sa.Column("error_detail", sa.Text(), nullable=True),
        sa.Column("provider_message_id", sa.String(200), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_ntf_deliveries"),
        schema=SCHEMA,
    )
    _tenant_index("ntf_deliveries")
    op.create_index("ix_ntf_deliveries_queue", "ntf_deliveries", ["status", "next_attempt_at"], schema=SCHEMA)
    op.create_index("ix_ntf_deliveries_notification", "ntf_deliveries", ["tenant_id", "notification_id"], schema=SCHEMA)

    op.create_table(
        "ntf_inbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("role", sa.String(100), nullable=True),
        sa.Column("event", sa.String(100), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(500), nullable=True),
        sa.Column("read_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ntf_inbox"),
        sa.UniqueConstraint("delivery_id", name="uq_ntf_inbox_delivery_id"),
        schema=SCHEMA,
    )
    _tenant_index("ntf_inbox")
    op.create_index("ix_ntf_inbox_feed", "ntf_inbox", ["tenant_id", "user_id", "created_at", "id"], schema=SCHEMA)

    op.create_table(
        "ntf_task_assignees",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("role", sa.String(100), nullable=True),
        sa.Column("business_key", sa.String(200), nullable=False),
        sa.Column("document_type", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ntf_task_assignees"),
        sa.UniqueConstraint("tenant_id", "task_id", name="uq_ntf_task_assignees_tenant_id_task_id"),
        schema=SCHEMA,
    )
    _tenant_index("ntf_task_assignees")

    for table in TABLES:
        enable_tenant_isolation(table, SCHEMA)


def downgrade() -> None:
    for table in reversed(TABLES):
        disable_tenant_isolation(table, SCHEMA)
        op.drop_table(table, schema=SCHEMA)
