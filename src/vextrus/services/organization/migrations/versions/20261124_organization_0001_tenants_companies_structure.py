"""Organization: tenants, companies, divisions, branches, departments, designations, memberships.

On PostgreSQL every table also gets the kit's row-level-security policy
(``vextrus.kit.migrations.enable_tenant_isolation``: the row's ``tenant_id`` is the transaction's
``app.tenant_id``, or the transaction runs inside ``cross_tenant()``), the second line behind the
tenant-scoped repositories. The tenants table is keyed by the tenant id and its ``tenant_id`` is
that same id, so a tenant sees its own row; lookups across tenants (by slug, for the auth service
and platform operators) run inside ``cross_tenant()`` behind ``platform.*`` permissions.

Revision ID: organization_0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vextrus.kit.migrations import disable_tenant_isolation, enable_tenant_isolation
from vextrus.kit.models import UTCDateTime

revision: str = "organization_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "organization"
TABLES = (
    "org_tenants",
    "org_companies",
    "org_divisions",
    "org_branches",
    "org_departments",
    "org_designations",
    "org_memberships",
)


def upgrade() -> None:
    op.create_table(
        "org_companies",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_bn", sa.String(length=200), nullable=True),
        sa.Column("tin", sa.String(length=12), nullable=True),
        sa.Column("bin", sa.String(length=13), nullable=True),
        sa.Column("vat_status", sa.String(length=16), nullable=False),
        sa.Column("vat_registered_on", sa.Date(), nullable=True),
        sa.Column("trade_licence_number", sa.String(length=50), nullable=True),
        sa.Column("trade_licence_authority", sa.String(length=100), nullable=True),
        sa.Column("trade_licence_expiry", sa.Date(), nullable=True),
        sa.Column("regulatory_body", sa.String(length=16), nullable=True),
        sa.Column("fiscal_year_start_month", sa.Integer(), nullable=False),
        sa.Column("base_currency", sa.String(length=3), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("address_line", sa.String(length=300), nullable=True),
        sa.Column("address_line_bn", sa.String(length=300), nullable=True),
        sa.Column("address_area", sa.String(length=100), nullable=True),
        sa.Column("address_thana", sa.String(length=100), nullable=True),
        sa.Column("address_district", sa.String(length=50), nullable=True),
        sa.Column("address_division", sa.String(length=20), nullable=True),
        sa.Column("address_postal_code", sa.String(length=4), nullable=True),
        sa.Column("created_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "vat_status IN ('registered', 'turnover', 'unregistered')", name=op.f("ck_org_companies_vat_status")
        ),
        sa.CheckConstraint(
            "fiscal_year_start_month BETWEEN 1 AND 12", name=op.f("ck_org_companies_fiscal_year_start_month")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_companies")),
        sa.UniqueConstraint("tenant_id", "bin", name=op.f("uq_org_companies_tenant_id_bin")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_org_companies_tenant_id_code")),
        sa.UniqueConstraint("tenant_id", "tin", name=op.f("uq_org_companies_tenant_id_tin")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_organization_org_companies_tenant_id"), "org_companies", ["tenant_id"], unique=False, schema=SCHEMA
    )
    op.create_table(
        "org_designations",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_bn", sa.String(length=200), nullable=True),
        sa.Column("grade", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_designations")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_org_designations_tenant_id_code")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_organization_org_designations_tenant_id"),
        "org_designations",
        ["tenant_id"],
        unique=False,
        schema=SCHEMA,
    )
    op.create_table(
        "org_tenants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_bn", sa.String(length=200), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("plan", sa.String(length=30), nullable=False),
        sa.Column("max_users", sa.Integer(), nullable=False),
        sa.Column("max_companies", sa.Integer(), nullable=False),
        sa.Column("max_projects", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("status_changed_at", UTCDateTime(), nullable=True),
        sa.Column("suspended_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('active', 'suspended', 'closed')", name=op.f("ck_org_tenants_status")),
        sa.CheckConstraint("type IN ('construction', 'real-estate', 'both')", name=op.f("ck_org_tenants_type")),
        sa.CheckConstraint(
            "max_users >= 1 AND max_companies >= 1 AND max_projects >= 0", name=op.f("ck_org_tenants_limits")
        ),
        sa.CheckConstraint("tenant_id = id", name=op.f("ck_org_tenants_tenant_is_itself")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_tenants")),
        sa.UniqueConstraint("slug", name=op.f("uq_org_tenants_slug")),
        schema=SCHEMA,
    )
    op.create_table(
        "org_departments",
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_bn", sa.String(length=200), nullable=True),
        sa.Column("head_user_id", sa.Uuid(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["organization.org_companies.id"], name=op.f("fk_org_departments_company_id_org_companies")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["organization.org_departments.id"],
            name=op.f("fk_org_departments_parent_id_org_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_departments")),
        sa.UniqueConstraint("company_id", "code", name=op.f("uq_org_departments_company_id_code")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_organization_org_departments_company_id"),
        "org_departments",
        ["company_id"],
        unique=False,
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_organization_org_departments_tenant_id"), "org_departments", ["tenant_id"], unique=False, schema=SCHEMA
    )
    op.create_table(
        "org_divisions",
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_bn", sa.String(length=200), nullable=True),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["organization.org_companies.id"], name=op.f("fk_org_divisions_company_id_org_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_divisions")),
        sa.UniqueConstraint("company_id", "code", name=op.f("uq_org_divisions_company_id_code")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_organization_org_divisions_company_id"), "org_divisions", ["company_id"], unique=False, schema=SCHEMA
    )
    op.create_index(
        op.f("ix_organization_org_divisions_tenant_id"), "org_divisions", ["tenant_id"], unique=False, schema=SCHEMA
    )
    op.create_table(
        "org_branches",
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("division_id", sa.Uuid(), nullable=True),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_bn", sa.String(length=200), nullable=True),
        sa.Column("bin_suffix", sa.String(length=4), nullable=True),
        sa.Column("is_head_office", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("address_line", sa.String(length=300), nullable=True),
        sa.Column("address_line_bn", sa.String(length=300), nullable=True),
        sa.Column("address_area", sa.String(length=100), nullable=True),
        sa.Column("address_thana", sa.String(length=100), nullable=True),
        sa.Column("address_district", sa.String(length=50), nullable=True),
        sa.Column("address_division", sa.String(length=20), nullable=True),
        sa.Column("address_postal_code", sa.String(length=4), nullable=True),
        sa.Column("created_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["organization.org_companies.id"], name=op.f("fk_org_branches_company_id_org_companies")
        ),
        sa.ForeignKeyConstraint(
            ["division_id"], ["organization.org_divisions.id"], name=op.f("fk_org_branches_division_id_org_divisions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_branches")),
        sa.UniqueConstraint("company_id", "bin_suffix", name=op.f("uq_org_branches_company_id_bin_suffix")),
        sa.UniqueConstraint("company_id", "code", name=op.f("uq_org_branches_company_id_code")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_organization_org_branches_company_id"), "org_branches", ["company_id"], unique=False, schema=SCHEMA
    )
    op.create_index(
        op.f("ix_organization_org_branches_tenant_id"), "org_branches", ["tenant_id"], unique=False, schema=SCHEMA
    )
    op.create_table(
        "org_memberships",
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("designation_id", sa.Uuid(), nullable=True),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["organization.org_companies.id"], name=op.f("fk_org_memberships_company_id_org_companies")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["organization.org_departments.id"],
            name=op.f("fk_org_memberships_department_id_org_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["designation_id"],
            ["organization.org_designations.id"],
            name=op.f("fk_org_memberships_designation_id_org_designations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_memberships")),
        sa.UniqueConstraint("company_id", "user_id", name=op.f("uq_org_memberships_company_id_user_id")),
        schema=SCHEMA,
    )
    op.create_index("ix_org_memberships_user", "org_memberships", ["tenant_id", "user_id"], unique=False, schema=SCHEMA)
    op.create_index(
        op.f("ix_organization_org_memberships_company_id"),
        "org_memberships",
        ["company_id"],
        unique=False,
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_organization_org_memberships_tenant_id"), "org_memberships", ["tenant_id"], unique=False, schema=SCHEMA
    )
    op.create_index(
        "uq_org_memberships_primary",
        "org_memberships",
        ["tenant_id", "user_id"],
        unique=True,
        schema=SCHEMA,
        sqlite_where=sa.text("is_primary"),
        postgresql_where=sa.text("is_primary"),
    )

    for table in TABLES:
        enable_tenant_isolation(table, SCHEMA)


def downgrade() -> None:
    for table in reversed(TABLES):
        disable_tenant_isolation(table, SCHEMA)
    op.drop_index(
        "uq_org_memberships_primary",
        table_name="org_memberships",
        schema=SCHEMA,
        sqlite_where=sa.text("is_primary"),
        postgresql_where=sa.text("is_primary"),
    )
    op.drop_index(op.f("ix_organization_org_memberships_tenant_id"), table_name="org_memberships", schema=SCHEMA)
    op.drop_index(op.f("ix_organization_org_memberships_company_id"), table_name="org_memberships", schema=SCHEMA)
    op.drop_index("ix_org_memberships_user", table_name="org_memberships", schema=SCHEMA)
    op.drop_table("org_memberships", schema=SCHEMA)
    op.drop_index(op.f("ix_organization_org_branches_tenant_id"), table_name="org_branches", schema=SCHEMA)
    op.drop_index(op.f("ix_organization_org_branches_company_id"), table_name="org_branches", schema=SCHEMA)
    op.drop_table("org_branches", schema=SCHEMA)
    op.drop_index(op.f("ix_organization_org_divisions_tenant_id"), table_name="org_divisions", schema=SCHEMA)
    op.drop_index(op.f("ix_organization_org_divisions_company_id"), table_name="org_divisions", schema=SCHEMA)
    op.drop_table("org_divisions", schema=SCHEMA)
    op.drop_index(op.f("ix_organization_org_departments_tenant_id"), table_name="org_departments", schema=SCHEMA)
    op.drop_index(op.f("ix_organization_org_departments_company_id"), table_name="org_departments", schema=SCHEMA)
    op.drop_table("org_departments", schema=SCHEMA)
    op.drop_table("org_tenants", schema=SCHEMA)
    op.drop_index(op.f("ix_organization_org_designations_tenant_id"), table_name="org_designations", schema=SCHEMA)
    op.drop_table("org_designations", schema=SCHEMA)
    op.drop_index(op.f("ix_organization_org_companies_tenant_id"), table_name="org_companies", schema=SCHEMA)
    op.drop_table("org_companies", schema=SCHEMA)
