"""Document generator: registered templates and their versions, company letterheads, documents.

Templates with no tenant are shared by every tenant (row-level security admits them to all);
everything else is tenant-owned.

Revision ID: documents_0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vextrus.kit.migrations import disable_tenant_isolation, enable_tenant_isolation
from vextrus.kit.models import UTCDateTime

revision: str = "documents_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "documents"
# table -> has shared rows (tenant_id NULL) every tenant reads
TABLES = {"doc_templates": True, "doc_template_versions": True, "doc_brandings": False, "doc_documents": False}


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "doc_templates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("key", sa.String(60), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_bn", sa.String(200), nullable=True),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_doc_templates"),
        sa.UniqueConstraint("tenant_id", "key", name="uq_doc_templates_tenant_id_key"),
        schema=SCHEMA,
    )
    op.create_index("ix_documents_doc_templates_tenant_id", "doc_templates", ["tenant_id"], schema=SCHEMA)

    op.create_table(
        "doc_template_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("template_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("default_language", sa.String(10), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_doc_template_versions"),
        sa.UniqueConstraint("template_id", "number", name="uq_doc_template_versions_template_id_number"),
        sa.ForeignKeyConstraint(
            ["template_id"],
            [f"{SCHEMA}.doc_templates.id"],
            name="fk_doc_template_versions_template_id_doc_templates",
            ondelete="CASCADE",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_documents_doc_template_versions_tenant_id", "doc_template_versions", ["tenant_id"], schema=SCHEMA
    )

    op.create_table(
        "doc_brandings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_bn", sa.String(200), nullable=True),
        sa.Column("address", sa.String(500), nullable=True),
        sa.Column("address_bn", sa.String(500), nullable=True),
        sa.Column("bin", sa.String(20), nullable=True),
        sa.Column("tin", sa.String(20), nullable=True),
        sa.Column("phone", sa.String(40), nullable=True),
        sa.Column("email", sa.String(200), nullable=True),
        sa.Column("website", sa.String(200), nullable=True),
        sa.Column("letterhead_note", sa.String(300), nullable=True),
        sa.Column("footer_text", sa.String(300), nullable=True),
        sa.Column("primary_colour", sa.String(7), nullable=False),
        sa.Column("accent_colour", sa.String(7), nullable=False),
        sa.Column("logo_file_id", sa.Uuid(), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_doc_brandings"),
        sa.UniqueConstraint("tenant_id", "company_id", name="uq_doc_brandings_tenant_id_company_id"),
        schema=SCHEMA,
    )
    op.create_index("ix_documents_doc_brandings_tenant_id", "doc_brandings", ["tenant_id"], schema=SCHEMA)

    op.create_table(
        "doc_documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=True),
        sa.Column("template_key", sa.String(60), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("language", sa.String(10), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("reference", sa.String(200), nullable=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("data", sa.Text(), nullable=True),
        sa.Column("entity_type", sa.String(60), nullable=True),
        sa.Column("entity_id", sa.String(100), nullable=True),
        sa.Column("file_id", sa.Uuid(), nullable=True),
        sa.Column("file_version", sa.Integer(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", UTCDateTime(), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("error_code", sa.String(60), nullable=True),
        sa.Column("error_detail", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_doc_documents"),
        schema=SCHEMA,
    )
    op.create_index("ix_documents_doc_documents_tenant_id", "doc_documents", ["tenant_id"], schema=SCHEMA)
    op.create_index("ix_doc_documents_listing", "doc_documents", ["tenant_id", "created_at", "id"], schema=SCHEMA)
    op.create_index("ix_doc_documents_queue", "doc_documents", ["status", "not_before"], schema=SCHEMA)

    for table, shared_rows in TABLES.items():
        enable_tenant_isolation(table, SCHEMA, shared_rows=shared_rows)


def downgrade() -> None:
    for table in reversed(list(TABLES)):
        disable_tenant_isolation(table, SCHEMA)
    op.drop_index("ix_doc_documents_queue", table_name="doc_documents", schema=SCHEMA)
    op.drop_index("ix_doc_documents_listing", table_name="doc_documents", schema=SCHEMA)
    op.drop_index("ix_documents_doc_documents_tenant_id", table_name="doc_documents", schema=SCHEMA)
    op.drop_table("doc_documents", schema=SCHEMA)
    op.drop_index("ix_documents_doc_brandings_tenant_id", table_name="doc_brandings", schema=SCHEMA)
    op.drop_table("doc_brandings", schema=SCHEMA)
    op.drop_index("ix_documents_doc_template_versions_tenant_id", table_name="doc_template_versions", schema=SCHEMA)
    op.drop_table("doc_template_versions", schema=SCHEMA)
    op.drop_index("ix_documents_doc_templates_tenant_id", table_name="doc_templates", schema=SCHEMA)
    op.drop_table("doc_templates", schema=SCHEMA)
