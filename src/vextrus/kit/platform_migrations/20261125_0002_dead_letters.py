"""Dead letters of consumers, and headers on outbox copies queued again by an operator.

Revision ID: platform_0002
Revises: platform_0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vextrus.kit.models import UTCDateTime

revision: str = "platform_0002"
down_revision: str | Sequence[str] | None = "platform_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "platform"


def _altered_schema() -> str | None:
    """ALTER TABLE is not rewritten by SQLite's schema_translate_map: name no schema there."""
    return None if op.get_bind().dialect.name == "sqlite" else SCHEMA


def upgrade() -> None:
    op.add_column("platform_outbox", sa.Column("headers", sa.Text(), nullable=True), schema=_altered_schema())
    op.create_table(
        "platform_dead_letters",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("consumer", sa.String(200), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("times_dead", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(200), nullable=True),
        sa.Column("first_failed_at", UTCDateTime(), nullable=False),
        sa.Column("last_failed_at", UTCDateTime(), nullable=False),
        sa.Column("requeued_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_platform_dead_letters"),
        sa.UniqueConstraint("consumer", "event_id", name="uq_platform_dead_letters_consumer_event_id"),
        schema=SCHEMA,
    )
    op.create_index("ix_platform_dead_letters_status", "platform_dead_letters", ["status", "consumer"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("ix_platform_dead_letters_status", table_name="platform_dead_letters", schema=SCHEMA)
    op.drop_table("platform_dead_letters", schema=SCHEMA)
    # SQLite >= 3.35 drops a plain column in place (no batch copy of the table).
    op.drop_column("platform_outbox", "headers", schema=_altered_schema())
