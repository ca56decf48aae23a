"""File storage: blobs (content by SHA-256), files, versions, attachments, usage, tenant limits.

Every table is tenant-owned and, on PostgreSQL, gets the kit's row-level-security policy.

Revision ID: files_0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vextrus.kit.migrations import disable_tenant_isolation, enable_tenant_isolation
from vextrus.kit.models import UTCDateTime

revision: str = "files_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "files"
TABLES = ("fs_blobs", "fs_files", "fs_file_versions", "fs_attachments", "fs_usage", "fs_limits")


def upgrade() -> None:
    op.create_table(
        "fs_blobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(150), nullable=False),
        sa.Column("storage_key", sa.String(300), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_fs_blobs"),
        sa.UniqueConstraint("tenant_id", "sha256", name="uq_fs_blobs_tenant_id_sha256"),
        schema=SCHEMA,
    )
    op.create_index("ix_files_fs_blobs_tenant_id", "fs_blobs", ["tenant_id"], schema=SCHEMA)

    op.create_table(
        "fs_files",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(150), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("deleted_by", sa.Uuid(), nullable=True),
        sa.Column("purge_after", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_fs_files"),
        schema=SCHEMA,
    )
    op.create_index("ix_files_fs_files_tenant_id", "fs_files", ["tenant_id"], schema=SCHEMA)
    op.create_index("ix_fs_files_listing", "fs_files", ["tenant_id", "created_at", "id"], schema=SCHEMA)

    op.create_table(
        "fs_file_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("file_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("blob_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(150), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_fs_file_versions"),
        sa.UniqueConstraint("file_id", "number", name="uq_fs_file_versions_file_id_number"),
        sa.ForeignKeyConstraint(
            ["file_id"], [f"{SCHEMA}.fs_files.id"], name="fk_fs_file_versions_file_id_fs_files", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["blob_id"], [f"{SCHEMA}.fs_blobs.id"], name="fk_fs_file_versions_blob_id_fs_blobs"),
        schema=SCHEMA,
    )
    op.create_index("ix_files_fs_file_versions_tenant_id", "fs_file_versions", ["tenant_id"], schema=SCHEMA)
    op.create_index("ix_files_fs_file_versions_blob_id", "fs_file_versions", ["blob_id"], schema=SCHEMA)

    op.create_table(
        "fs_attachments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("file_id", sa.Uuid(), nullable=False),
        sa.Column("entity_type", sa.String(60), nullable=False),
        sa.Column("entity_id", sa.String(100), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_fs_attachments"),
        sa.UniqueConstraint(
            "file_id", "entity_type", "entity_id", name="uq_fs_attachments_file_id_entity_type_entity_id"
        ),
        sa.ForeignKeyConstraint(
            ["file_id"], [f"{SCHEMA}.fs_files.id"], name="fk_fs_attachments_file_id_fs_files", ondelete="CASCADE"
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_files_fs_attachments_tenant_id", "fs_attachments", ["tenant_id"], schema=SCHEMA)
    op.create_index(
        "ix_fs_attachments_entity", "fs_attachments", ["tenant_id", "entity_type", "entity_id"], schema=SCHEMA
    )

    op.create_table(
        "fs_usage",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("used_bytes", sa.BigInteger(), nullable=False),
        sa.Column("blob_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_fs_usage"),
        schema=SCHEMA,
    )

    op.create_table(
        "fs_limits",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("quota_bytes", sa.BigInteger(), nullable=True),
        sa.Column("max_file_bytes", sa.BigInteger(), nullable=True),
        sa.Column("kind_limits", sa.Text(), nullable=True),
        sa.Column("retention_days", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_fs_limits"),
        schema=SCHEMA,
    )

    for table in TABLES:
        enable_tenant_isolation(table, SCHEMA)


def downgrade() -> None:
    for table in reversed(TABLES):
        disable_tenant_isolation(table, SCHEMA)
    op.drop_table("fs_limits", schema=SCHEMA)
    op.drop_table("fs_usage", schema=SCHEMA)
    op.drop_index("ix_fs_attachments_entity", table_name="fs_attachments", schema=SCHEMA)
    op.drop_index("ix_files_fs_attachments_tenant_id", table_name="fs_attachments", schema=SCHEMA)
    op.drop_table("fs_attachments", schema=SCHEMA)
    op.drop_index("ix_files_fs_file_versions_blob_id", table_name="fs_file_versions", schema=SCHEMA)
    op.drop_index("ix_files_fs_file_versions_tenant_id", table_name="fs_file_versions", schema=SCHEMA)
    op.drop_table("fs_file_versions", schema=SCHEMA)
    op.drop_index("ix_fs_files_listing", table_name="fs_files", schema=SCHEMA)
    op.drop_index("ix_files_fs_files_tenant_id", table_name="fs_files", schema=SCHEMA)
    op.drop_table("fs_files", schema=SCHEMA)
    op.drop_index("ix_files_fs_blobs_tenant_id", table_name="fs_blobs", schema=SCHEMA)
    op.drop_table("fs_blobs", schema=SCHEMA)
