"""Master data: customers, vendors, products, chart of accounts, tenant units of measure.

On PostgreSQL every table gets row-level security keyed on ``app.tenant_id`` (the
per-transaction setting vextrus.kit.db sets), the second line behind the tenant-scoped
repositories.

Revision ID: master_data_0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vextrus.kit.models import Money, UTCDateTime

revision: str = "master_data_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "master_data"
TABLES = ("md_customers", "md_vendors", "md_accounts", "md_products", "md_units")
_CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def _record_columns() -> list[sa.Column[object]]:
    """id, tenant, code, names, soft delete, who and when, version: every master record has them."""
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_bn", sa.String(200), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("deleted_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
    ]


def _party_columns() -> list[sa.Column[object]]:
    """Identifiers and contact details customers and vendors share."""
    return [
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("tin", sa.String(12), nullable=True),
        sa.Column("bin", sa.String(13), nullable=True),
        sa.Column("nid", sa.String(17), nullable=True),
        sa.Column("phones", sa.JSON(), nullable=False),
        sa.Column("phone_index", sa.String(400), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("district_code", sa.String(5), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("payment_terms_days", sa.Integer(), nullable=False),
        sa.Column("contact_persons", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
    ]


def _tenant_index(table: str) -> None:
    op.create_index(f"ix_{SCHEMA}_{table}_tenant_id", table, ["tenant_id"], schema=SCHEMA)


def upgrade() -> None:
    op.create_table(
        "md_customers",
        *_record_columns(),
        *_party_columns(),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("billing_address", sa.JSON(), nullable=True),
        sa.Column("shipping_address", sa.JSON(), nullable=True),
        sa.Column("credit_limit", Money(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_md_customers"),
        sa.UniqueConstraint("tenant_id", "code", name="uq_md_customers_tenant_id_code"),
        schema=SCHEMA,
    )
    _tenant_index("md_customers")
    op.create_index("ix_md_customers_tenant_name", "md_customers", ["tenant_id", "name"], schema=SCHEMA)
    op.create_index("ix_md_customers_tenant_tin", "md_customers", ["tenant_id", "tin"], schema=SCHEMA)
    op.create_index("ix_md_customers_tenant_bin", "md_customers", ["tenant_id", "bin"], schema=SCHEMA)

    op.create_table(
        "md_vendors",
        *_record_columns(),
        *_party_columns(),
        sa.Column("approval_status", sa.String(20), nullable=False),
        sa.Column("approval_reason", sa.Text(), nullable=True),
        sa.Column("approval_changed_at", UTCDateTime(), nullable=True),
        sa.Column("approval_changed_by", sa.Uuid(), nullable=True),
        sa.Column("trade_licence_number", sa.String(50), nullable=True),
        sa.Column("trade_licence_expiry", sa.Date(), nullable=True),
        sa.Column("address", sa.JSON(), nullable=True),
        sa.Column("bank_account", sa.JSON(), nullable=True),
        sa.Column("mobile_wallets", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_md_vendors"),
        sa.UniqueConstraint("tenant_id", "code", name="uq_md_vendors_tenant_id_code"),
        sa.UniqueConstraint("tenant_id", "tin", name="uq_md_vendors_tenant_id_tin"),
        schema=SCHEMA,
    )
    _tenant_index("md_vendors")
    op.create_index("ix_md_vendors_tenant_name", "md_vendors", ["tenant_id", "name"], schema=SCHEMA)
    op.create_index("ix_md_vendors_tenant_bin", "md_vendors", ["tenant_id", "bin"], schema=SCHEMA)

    op.create_table(
        "md_accounts",
        *_record_columns(),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("normal_balance", sa.String(10), nullable=False),
        sa.Column("is_group", sa.Boolean(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("is_system", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_md_accounts"),
        sa.UniqueConstraint("tenant_id", "code", name="uq_md_accounts_tenant_id_code"),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            [f"{SCHEMA}.md_accounts.id"],
            name="fk_md_accounts_parent_id_md_accounts",
            ondelete="RESTRICT",
        ),
        schema=SCHEMA,
    )
    _tenant_index("md_accounts")
    op.create_index("ix_md_accounts_tenant_parent", "md_accounts", ["tenant_id", "parent_id"], schema=SCHEMA)

    op.create_table(
        "md_products",
        *_record_columns(),
        sa.Column("type", sa.String(10), nullable=False),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("unit", sa.String(20), nullable=False),
        sa.Column("conversions", sa.JSON(), nullable=False),
        sa.Column("hs_code", sa.String(10), nullable=True),
        sa.Column("vat_rate_code", sa.String(20), nullable=False),
        sa.Column("sd_rate", Money(), nullable=False),
        sa.Column("exemption_reason", sa.Text(), nullable=True),
        sa.Column("exemption_reference", sa.String(100), nullable=True),
        sa.Column("purchase_price", Money(), nullable=True),
        sa.Column("sale_price", Money(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("purchase_account_id", sa.Uuid(), nullable=True),
        sa.Column("sale_account_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_md_products"),
        sa.UniqueConstraint("tenant_id", "code", name="uq_md_products_tenant_id_code"),
        schema=SCHEMA,
    )
    _tenant_index("md_products")
    op.create_index("ix_md_products_tenant_name", "md_products", ["tenant_id", "name"], schema=SCHEMA)
    op.create_index("ix_md_products_tenant_category", "md_products", ["tenant_id", "category"], schema=SCHEMA)

    op.create_table(
        "md_units",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("name_bn", sa.String(100), nullable=True),
        sa.Column("dimension", sa.String(20), nullable=False),
        sa.Column("factor", sa.Numeric(24, 12).with_variant(sa.String(40), "sqlite"), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_md_units"),
        sa.UniqueConstraint("tenant_id", "code", name="uq_md_units_tenant_id_code"),
        schema=SCHEMA,
    )
    _tenant_index("md_units")

    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {SCHEMA}.{table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {SCHEMA}.{table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY {table}_tenant_isolation ON {SCHEMA}.{table} USING (tenant_id = {_CURRENT_TENANT})"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in reversed(TABLES):
            op.execute(f"DROP POLICY IF EXISTS {table}_tenant_isolation ON {SCHEMA}.{table}")
            op.execute(f"ALTER TABLE {SCHEMA}.{table} NO FORCE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {SCHEMA}.{table} DISABLE ROW LEVEL SECURITY")
    op.drop_index(f"ix_{SCHEMA}_md_units_tenant_id", table_name="md_units", schema=SCHEMA)
    op.drop_table("md_units", schema=SCHEMA)
    for name in ("ix_md_products_tenant_category", "ix_md_products_tenant_name", f"ix_{SCHEMA}_md_products_tenant_id"):
        op.drop_index(name, table_name="md_products", schema=SCHEMA)
    op.drop_table("md_products", schema=SCHEMA)
    for name in ("ix_md_accounts_tenant_parent", f"ix_{SCHEMA}_md_accounts_tenant_id"):
        op.drop_index(name, table_name="md_accounts", schema=SCHEMA)
    op.drop_table("md_accounts", schema=SCHEMA)
    for name in ("ix_md_vendors_tenant_bin", "ix_md_vendors_tenant_name", f"ix_{SCHEMA}_md_vendors_tenant_id"):
        op.drop_index(name, table_name="md_vendors", schema=SCHEMA)
    op.drop_table("md_vendors", schema=SCHEMA)
    for name in (
        "ix_md_customers_tenant_bin",
        "ix_md_customers_tenant_tin",
        "ix_md_customers_tenant_name",
        f"ix_{SCHEMA}_md_customers_tenant_id",
    ):
        op.drop_index(name, table_name="md_customers", schema=SCHEMA)
    op.drop_table("md_customers", schema=SCHEMA)
