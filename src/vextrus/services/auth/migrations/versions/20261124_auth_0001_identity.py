"""Auth: users and their credentials, roles with inheritance, role assignments, sessions with
rotating refresh tokens, one-time tokens (MFA step, password reset, invitation), MFA recovery
codes, API keys.

Every table is tenant-owned; on PostgreSQL each gets the kit's row-level-security policy (the
tenant of the transaction, or a deliberate ``cross_tenant()`` look-up such as a login by e-mail).

Revision ID: auth_0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vextrus.kit.migrations import disable_tenant_isolation, enable_tenant_isolation
from vextrus.kit.models import UTCDateTime

revision: str = "auth_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "auth"
TENANT_TABLES = (
    "auth_users",
    "auth_credentials",
    "auth_roles",
    "auth_role_parents",
    "auth_role_assignments",
    "auth_sessions",
    "auth_refresh_tokens",
    "auth_one_time_tokens",
    "auth_recovery_codes",
    "auth_api_keys",
)


def upgrade() -> None:
    op.create_table(
        "auth_api_keys",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("permissions", sa.JSON(), nullable=False),
        sa.Column("company_ids", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_auth_api_keys_key_hash")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_auth_auth_api_keys_tenant_id"), "auth_api_keys", ["tenant_id"], unique=False, schema=SCHEMA
    )
    op.create_table(
        "auth_roles",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_bn", sa.String(length=100), nullable=True),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("permissions", sa.JSON(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_roles")),
        sa.UniqueConstraint("tenant_id", "key", name=op.f("uq_auth_roles_tenant_id_key")),
        schema=SCHEMA,
    )
    op.create_index(op.f("ix_auth_auth_roles_tenant_id"), "auth_roles", ["tenant_id"], unique=False, schema=SCHEMA)
    op.create_table(
        "auth_users",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("name_bn", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("preferred_language", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("invited_by", sa.Uuid(), nullable=True),
        sa.Column("activated_at", UTCDateTime(), nullable=True),
        sa.Column("deactivated_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_users")),
        sa.UniqueConstraint("tenant_id", "email", name=op.f("uq_auth_users_tenant_id_email")),
        schema=SCHEMA,
    )
    op.create_index(op.f("ix_auth_auth_users_tenant_id"), "auth_users", ["tenant_id"], unique=False, schema=SCHEMA)
    op.create_index("ix_auth_users_email", "auth_users", ["email"], unique=False, schema=SCHEMA)
    op.create_table(
        "auth_credentials",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("password_changed_at", UTCDateTime(), nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.Column("last_login_at", UTCDateTime(), nullable=True),
        sa.Column("mfa_enabled", sa.Boolean(), nullable=False),
        sa.Column("mfa_secret", sa.String(length=64), nullable=True),
        sa.Column("mfa_pending_secret", sa.String(length=64), nullable=True),
        sa.Column("mfa_last_step", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["auth.auth_users.id"], name=op.f("fk_auth_credentials_user_id_auth_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_auth_credentials")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_auth_auth_credentials_tenant_id"), "auth_credentials", ["tenant_id"], unique=False, schema=SCHEMA
    )
    op.create_table(
        "auth_one_time_tokens",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["auth.auth_users.id"],
            name=op.f("fk_auth_one_time_tokens_user_id_auth_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_one_time_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_one_time_tokens_token_hash")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_auth_auth_one_time_tokens_tenant_id"),
        "auth_one_time_tokens",
        ["tenant_id"],
        unique=False,
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_auth_auth_one_time_tokens_user_id"), "auth_one_time_tokens", ["user_id"], unique=False, schema=SCHEMA
    )
    op.create_table(
        "auth_recovery_codes",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["auth.auth_users.id"],
            name=op.f("fk_auth_recovery_codes_user_id_auth_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_recovery_codes")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_auth_auth_recovery_codes_tenant_id"), "auth_recovery_codes", ["tenant_id"], unique=False, schema=SCHEMA
    )
    op.create_index(
        op.f("ix_auth_auth_recovery_codes_user_id"), "auth_recovery_codes", ["user_id"], unique=False, schema=SCHEMA
    )
    op.create_table(
        "auth_role_assignments",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("granted_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["auth.auth_roles.id"],
            name=op.f("fk_auth_role_assignments_role_id_auth_roles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["auth.auth_users.id"],
            name=op.f("fk_auth_role_assignments_user_id_auth_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_role_assignments")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_auth_auth_role_assignments_role_id"), "auth_role_assignments", ["role_id"], unique=False, schema=SCHEMA
    )
    op.create_index(
        op.f("ix_auth_auth_role_assignments_tenant_id"),
        "auth_role_assignments",
        ["tenant_id"],
        unique=False,
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_auth_auth_role_assignments_user_id"), "auth_role_assignments", ["user_id"], unique=False, schema=SCHEMA
    )
    op.create_table(
        "auth_role_parents",
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["auth.auth_roles.id"],
            name=op.f("fk_auth_role_parents_parent_id_auth_roles"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["auth.auth_roles.id"],
            name=op.f("fk_auth_role_parents_role_id_auth_roles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("role_id", "parent_id", name=op.f("pk_auth_role_parents")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_auth_auth_role_parents_parent_id"), "auth_role_parents", ["parent_id"], unique=False, schema=SCHEMA
    )
    op.create_index(
        op.f("ix_auth_auth_role_parents_tenant_id"), "auth_role_parents", ["tenant_id"], unique=False, schema=SCHEMA
    )
    op.create_table(
        "auth_sessions",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_reason", sa.String(length=32), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["auth.auth_users.id"], name=op.f("fk_auth_sessions_user_id_auth_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_auth_auth_sessions_tenant_id"), "auth_sessions", ["tenant_id"], unique=False, schema=SCHEMA
    )
    op.create_index(op.f("ix_auth_auth_sessions_user_id"), "auth_sessions", ["user_id"], unique=False, schema=SCHEMA)
    op.create_table(
        "auth_refresh_tokens",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("spent_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["auth.auth_sessions.id"],
            name=op.f("fk_auth_refresh_tokens_session_id_auth_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_refresh_tokens_token_hash")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_auth_auth_refresh_tokens_session_id"),
        "auth_refresh_tokens",
        ["session_id"],
        unique=False,
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_auth_auth_refresh_tokens_tenant_id"), "auth_refresh_tokens", ["tenant_id"], unique=False, schema=SCHEMA
    )
    for table in TENANT_TABLES:
        enable_tenant_isolation(table, SCHEMA)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        disable_tenant_isolation(table, SCHEMA)
    op.drop_index(op.f("ix_auth_auth_refresh_tokens_tenant_id"), table_name="auth_refresh_tokens", schema=SCHEMA)
    op.drop_index(op.f("ix_auth_auth_refresh_tokens_session_id"), table_name="auth_refresh_tokens", schema=SCHEMA)
    op.drop_table("auth_refresh_tokens", schema=SCHEMA)
    op.drop_index(op.f("ix_auth_auth_sessions_user_id"), table_name="auth_sessions", schema=SCHEMA)
    op.drop_index(op.f("ix_auth_auth_sessions_tenant_id"), table_name="auth_sessions", schema=SCHEMA)
    op.drop_table("auth_sessions", schema=SCHEMA)
    op.drop_index(op.f("ix_auth_auth_role_parents_tenant_id"), table_name="auth_role_parents", schema=SCHEMA)
    op.drop_index(op.f("ix_auth_auth_role_parents_parent_id"), table_name="auth_role_parents", schema=SCHEMA)
    op.drop_table("auth_role_parents", schema=SCHEMA)
    op.drop_index(op.f("ix_auth_auth_role_assignments_user_id"), table_name="auth_role_assignments", schema=SCHEMA)
    op.drop_index(op.f("ix_auth_auth_role_assignments_tenant_id"), table_name="auth_role_assignments", schema=SCHEMA)
    op.drop_index(op.f("ix_auth_auth_role_assignments_role_id"), table_name="auth_role_assignments", schema=SCHEMA)
    op.drop_table("auth_role_assignments", schema=SCHEMA)
    op.drop_index(op.f("ix_auth_auth_recovery_codes_user_id"), table_name="auth_recovery_codes", schema=SCHEMA)
    op.drop_index(op.f("ix_auth_auth_recovery_codes_tenant_id"), table_name="auth_recovery_codes", schema=SCHEMA)
    op.drop_table("auth_recovery_codes", schema=SCHEMA)
    op.drop_index(op.f("ix_auth_auth_one_time_tokens_user_id"), table_name="auth_one_time_tokens", schema=SCHEMA)
    op.drop_index(op.f("ix_auth_auth_one_time_tokens_tenant_id"), table_name="auth_one_time_tokens", schema=SCHEMA)
    op.drop_table("auth_one_time_tokens", schema=SCHEMA)
    op.drop_index(op.f("ix_auth_auth_credentials_tenant_id"), table_name="auth_credentials", schema=SCHEMA)
    op.drop_table("auth_credentials", schema=SCHEMA)
    op.drop_index("ix_auth_users_email", table_name="auth_users", schema=SCHEMA)
    op.drop_index(op.f("ix_auth_auth_users_tenant_id"), table_name="auth_users", schema=SCHEMA)
    op.drop_table("auth_users", schema=SCHEMA)
    op.drop_index(op.f("ix_auth_auth_roles_tenant_id"), table_name="auth_roles", schema=SCHEMA)
    op.drop_table("auth_roles", schema=SCHEMA)
    op.drop_index(op.f("ix_auth_auth_api_keys_tenant_id"), table_name="auth_api_keys", schema=SCHEMA)
    op.drop_table("auth_api_keys", schema=SCHEMA)
