"""Platform tables: transactional outbox and consumer inbox.

Revision ID: platform_0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vextrus.kit.models import UTCDateTime

revision: str = "platform_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "platform"


def upgrade() -> None:
    op.create_table(
        "platform_outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_platform_outbox"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_platform_outbox_due", "platform_outbox", ["status", "service", "next_attempt_at"], schema=SCHEMA
    )
    op.create_table(
        "platform_inbox",
        sa.Column("consumer", sa.String(200), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("handled_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_platform_inbox"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("platform_inbox", schema=SCHEMA)
    op.drop_index("ix_platform_outbox_due", table_name="platform_outbox", schema=SCHEMA)
    op.drop_table("platform_outbox", schema=SCHEMA)
