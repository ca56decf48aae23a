"""Partial indexes on the outbox's pending rows, so the relay's claim stays cheap with a backlog.

The claim takes the oldest due pending rows (``ORDER BY created_at, id LIMIT n``) that no earlier
pending row of the same aggregate waits before (``NOT EXISTS`` on ``service, key, created_at``).
Without these, a backlog of N rows cost a sort of N and N probes of N per claim: 100,000 events
written by an import took minutes to start flowing.

Revision ID: platform_0003
Revises: platform_0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "platform_0003"
down_revision: str | Sequence[str] | None = "platform_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "platform"
PENDING_ONLY = sa.text("status = 'pending'")


def _schema() -> str | None:
    """SQLite keeps the platform tables in the main database: name no schema there."""
    return None if op.get_bind().dialect.name == "sqlite" else SCHEMA


def upgrade() -> None:
    op.create_index(
        "ix_platform_outbox_pending_order",
        "platform_outbox",
        ["created_at", "id"],
        schema=_schema(),
        postgresql_where=PENDING_ONLY,
        sqlite_where=PENDING_ONLY,
    )
    op.create_index(
        "ix_platform_outbox_pending_key",
        "platform_outbox",
        ["service", "key", "created_at"],
        schema=_schema(),
        postgresql_where=PENDING_ONLY,
        sqlite_where=PENDING_ONLY,
    )


def downgrade() -> None:
    op.drop_index("ix_platform_outbox_pending_key", "platform_outbox", schema=_schema())
    op.drop_index("ix_platform_outbox_pending_order", "platform_outbox", schema=_schema())
