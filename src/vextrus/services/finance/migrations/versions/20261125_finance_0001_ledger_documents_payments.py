"""Finance: settings, fiscal periods, counters, journal entries and lines, balances, documents
(invoices, bills, notes) and their lines, payments, allocations, withholding certificates, payment
schedules and bank statement lines. Every table has the kit's row-level-security policy on
PostgreSQL.

Revision ID: finance_0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vextrus.kit.migrations import disable_tenant_isolation, enable_tenant_isolation
from vextrus.kit.models import Money, UTCDateTime

SCHEMA = "finance"


revision: str = "finance_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = (
    "fin_allocations",
    "fin_balances",
    "fin_certificates",
    "fin_counters",
    "fin_document_lines",
    "fin_documents",
    "fin_journal_entries",
    "fin_journal_lines",
    "fin_payment_schedules",
    "fin_payments",
    "fin_periods",
    "fin_settings",
    "fin_statement_lines",
)


def upgrade() -> None:
    op.create_table(
        "fin_allocations",
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("vds", Money(), nullable=False),
        sa.Column("tds", Money(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fin_allocations")),
        schema="finance",
    )
    op.create_index("ix_fin_allocations_document", "fin_allocations", ["document_id"], unique=False, schema="finance")
    op.create_index("ix_fin_allocations_payment", "fin_allocations", ["payment_id"], unique=False, schema="finance")
    op.create_index(
        op.f("ix_finance_fin_allocations_tenant_id"), "fin_allocations", ["tenant_id"], unique=False, schema="finance"
    )
    op.create_table(
        "fin_balances",
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("fiscal_year", sa.String(length=9), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("cost_centre", sa.String(length=60), nullable=False),
        sa.Column("project", sa.String(length=60), nullable=False),
        sa.Column("debit", Money(), nullable=False),
        sa.Column("credit", Money(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fin_balances")),
        sa.UniqueConstraint(
            "tenant_id",
            "company_id",
            "account_id",
            "fiscal_year",
            "period",
            "cost_centre",
            "project",
            name=op.f("uq_fin_balances_tenant_id_company_id_account_id_fiscal_year_period_cost_centre_project"),
        ),
        schema="finance",
    )
    op.create_index(
        op.f("ix_finance_fin_balances_tenant_id"), "fin_balances", ["tenant_id"], unique=False, schema="finance"
    )
    op.create_table(
        "fin_certificates",
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("party_id", sa.Uuid(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("base", Money(), nullable=False),
        sa.Column("rate", Money(), nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("payment_type", sa.String(length=30), nullable=True),
        sa.Column("challan_number", sa.String(length=60), nullable=True),
        sa.Column("challan_date", sa.Date(), nullable=True),
        sa.Column("challan_bank", sa.String(length=100), nullable=True),
        sa.Column("deposit_entry_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fin_certificates")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_fin_certificates_tenant_id_number")),
        schema="finance",
    )
    op.create_index(
        op.f("ix_finance_fin_certificates_tenant_id"), "fin_certificates", ["tenant_id"], unique=False, schema="finance"
    )
    op.create_table(
        "fin_counters",
        sa.Column("series", sa.String(length=10), nullable=False),
        sa.Column("fiscal_year", sa.String(length=9), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fin_counters")),
        sa.UniqueConstraint(
            "tenant_id", "series", "fiscal_year", name=op.f("uq_fin_counters_tenant_id_series_fiscal_year")
        ),
        schema="finance",
    )
    op.create_index(
        op.f("ix_finance_fin_counters_tenant_id"), "fin_counters", ["tenant_id"], unique=False, schema="finance"
    )
    op.create_table(
        "fin_document_lines",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=True),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("unit", sa.String(length=30), nullable=False),
        sa.Column("quantity", Money(), nullable=False),
        sa.Column("unit_price", Money(), nullable=False),
        sa.Column("discount", Money(), nullable=False),
        sa.Column("value", Money(), nullable=False),
        sa.Column("sd_rate", Money(), nullable=False),
        sa.Column("sd", Money(), nullable=False),
        sa.Column("vat_code", sa.String(length=40), nullable=False),
        sa.Column("vat_rate", Money(), nullable=False),
        sa.Column("vat_treatment", sa.String(length=20), nullable=False),
        sa.Column("vat_overridden", sa.Boolean(), nullable=False),
        sa.Column("vat", Money(), nullable=False),
        sa.Column("total", Money(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("cost_centre", sa.String(length=60), nullable=False),
        sa.Column("project", sa.String(length=60), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fin_document_lines")),
        schema="finance",
    )
    op.create_index(
        "ix_fin_document_lines_document", "fin_document_lines", ["document_id"], unique=False, schema="finance"
    )
    op.create_index(
        op.f("ix_finance_fin_document_lines_tenant_id"),
        "fin_document_lines",
        ["tenant_id"],
        unique=False,
        schema="finance",
    )
    op.create_table(
        "fin_documents",
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("party_id", sa.Uuid(), nullable=False),
        sa.Column("party", sa.String(length=4000), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=True),
        sa.Column("reference", sa.String(length=60), nullable=True),
        sa.Column("submission_key", sa.String(length=30), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("fx_rate", Money(), nullable=False),
        sa.Column("customer_type", sa.String(length=30), nullable=False),
        sa.Column("vds", sa.Boolean(), nullable=False),
        sa.Column("original_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("notes", sa.String(length=2000), nullable=True),
        sa.Column("subtotal", Money(), nullable=False),
        sa.Column("discount", Money(), nullable=False),
        sa.Column("sd", Money(), nullable=False),
        sa.Column("vat", Money(), nullable=False),
        sa.Column("total", Money(), nullable=False),
        sa.Column("settled", Money(), nullable=False),
        sa.Column("workflow_instance_id", sa.Uuid(), nullable=True),
        sa.Column("journal_entry_id", sa.Uuid(), nullable=True),
        sa.Column("posted_at", UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fin_documents")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_fin_documents_tenant_id_number")),
        sa.UniqueConstraint("tenant_id", "idempotency_key", name=op.f("uq_fin_documents_tenant_id_idempotency_key")),
        schema="finance",
    )
    op.create_index(
        "ix_fin_documents_date", "fin_documents", ["tenant_id", "kind", "date"], unique=False, schema="finance"
    )
    op.create_index(
        "ix_fin_documents_party", "fin_documents", ["tenant_id", "party_id", "status"], unique=False, schema="finance"
    )
    op.create_index(
        op.f("ix_finance_fin_documents_tenant_id"), "fin_documents", ["tenant_id"], unique=False, schema="finance"
    )
    op.create_table(
        "fin_journal_entries",
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("journal", sa.String(length=10), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("fiscal_year", sa.String(length=9), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("memo", sa.String(length=500), nullable=True),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("source_type", sa.String(length=30), nullable=True),
        sa.Column("source_id", sa.Uuid(), nullable=True),
        sa.Column("reverses_id", sa.Uuid(), nullable=True),
        sa.Column("reversed_by_id", sa.Uuid(), nullable=True),
        sa.Column("total", Money(), nullable=False),
        sa.Column("posted_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fin_journal_entries")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_fin_journal_entries_tenant_id_number")),
        schema="finance",
    )
    op.create_index(
        "ix_fin_journal_entries_source",
        "fin_journal_entries",
        ["tenant_id", "source_type", "source_id"],
        unique=False,
        schema="finance",
    )
    op.create_index(
        op.f("ix_finance_fin_journal_entries_tenant_id"),
        "fin_journal_entries",
        ["tenant_id"],
        unique=False,
        schema="finance",
    )
    op.create_table(
        "fin_journal_lines",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("fiscal_year", sa.String(length=9), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("debit", Money(), nullable=False),
        sa.Column("credit", Money(), nullable=False),
        sa.Column("cost_centre", sa.String(length=60), nullable=False),
        sa.Column("project", sa.String(length=60), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fin_journal_lines")),
        schema="finance",
    )
    op.create_index(
        "ix_fin_journal_lines_account",
        "fin_journal_lines",
        ["tenant_id", "account_id", "date"],
        unique=False,
        schema="finance",
    )
    op.create_index("ix_fin_journal_lines_entry", "fin_journal_lines", ["entry_id"], unique=False, schema="finance")
    op.create_index(
        op.f("ix_finance_fin_journal_lines_tenant_id"),
        "fin_journal_lines",
        ["tenant_id"],
        unique=False,
        schema="finance",
    )
    op.create_table(
        "fin_payment_schedules",
        sa.Column("reference", sa.String(length=60), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fin_payment_schedules")),
        schema="finance",
    )
    op.create_index(
        op.f("ix_finance_fin_payment_schedules_tenant_id"),
        "fin_payment_schedules",
        ["tenant_id"],
        unique=False,
        schema="finance",
    )
    op.create_table(
        "fin_payments",
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("fx_rate", Money(), nullable=False),
        sa.Column("fx_difference", Money(), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("party_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=12), nullable=False),
        sa.Column("transaction_id", sa.String(length=40), nullable=True),
        sa.Column("cheque_number", sa.String(length=30), nullable=True),
        sa.Column("cheque_status", sa.String(length=12), nullable=True),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("vds", Money(), nullable=False),
        sa.Column("tds", Money(), nullable=False),
        sa.Column("allocated", Money(), nullable=False),
        sa.Column("advance", Money(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("memo", sa.String(length=500), nullable=True),
        sa.Column("journal_entry_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fin_payments")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_fin_payments_tenant_id_number")),
        sa.UniqueConstraint("tenant_id", "idempotency_key", name=op.f("uq_fin_payments_tenant_id_idempotency_key")),
        schema="finance",
    )
    op.create_index(
        "ix_fin_payments_txn", "fin_payments", ["tenant_id", "method", "transaction_id"], unique=False, schema="finance"
    )
    op.create_index(
        op.f("ix_finance_fin_payments_tenant_id"), "fin_payments", ["tenant_id"], unique=False, schema="finance"
    )
    op.create_table(
        "fin_periods",
        sa.Column("fiscal_year", sa.String(length=9), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("closed_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fin_periods")),
        sa.UniqueConstraint(
            "tenant_id", "fiscal_year", "number", name=op.f("uq_fin_periods_tenant_id_fiscal_year_number")
        ),
        schema="finance",
    )
    op.create_index(
        op.f("ix_finance_fin_periods_tenant_id"), "fin_periods", ["tenant_id"], unique=False, schema="finance"
    )
    op.create_table(
        "fin_settings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("fiscal_start_month", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fin_settings")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_fin_settings_tenant_id")),
        schema="finance",
    )
    op.create_index(
        op.f("ix_finance_fin_settings_tenant_id"), "fin_settings", ["tenant_id"], unique=False, schema="finance"
    )
    op.create_table(
        "fin_statement_lines",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=True),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("matched_payment_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fin_statement_lines")),
        sa.UniqueConstraint(
            "tenant_id",
            "account_id",
            "fingerprint",
            name=op.f("uq_fin_statement_lines_tenant_id_account_id_fingerprint"),
        ),
        schema="finance",
    )
    op.create_index(
        op.f("ix_finance_fin_statement_lines_tenant_id"),
        "fin_statement_lines",
        ["tenant_id"],
        unique=False,
        schema="finance",
    )
    for table in _TABLES:
        enable_tenant_isolation(table, SCHEMA)


def downgrade() -> None:
    for table in _TABLES:
        disable_tenant_isolation(table, SCHEMA)
    op.drop_index(op.f("ix_finance_fin_statement_lines_tenant_id"), table_name="fin_statement_lines", schema="finance")
    op.drop_table("fin_statement_lines", schema="finance")
    op.drop_index(op.f("ix_finance_fin_settings_tenant_id"), table_name="fin_settings", schema="finance")
    op.drop_table("fin_settings", schema="finance")
    op.drop_index(op.f("ix_finance_fin_periods_tenant_id"), table_name="fin_periods", schema="finance")
    op.drop_table("fin_periods", schema="finance")
    op.drop_index(op.f("ix_finance_fin_payments_tenant_id"), table_name="fin_payments", schema="finance")
    op.drop_index("ix_fin_payments_txn", table_name="fin_payments", schema="finance")
    op.drop_table("fin_payments", schema="finance")
    op.drop_index(
        op.f("ix_finance_fin_payment_schedules_tenant_id"), table_name="fin_payment_schedules", schema="finance"
    )
    op.drop_table("fin_payment_schedules", schema="finance")
    op.drop_index(op.f("ix_finance_fin_journal_lines_tenant_id"), table_name="fin_journal_lines", schema="finance")
    op.drop_index("ix_fin_journal_lines_entry", table_name="fin_journal_lines", schema="finance")
    op.drop_index("ix_fin_journal_lines_account", table_name="fin_journal_lines", schema="finance")
    op.drop_table("fin_journal_lines", schema="finance")
    op.drop_index(op.f("ix_finance_fin_journal_entries_tenant_id"), table_name="fin_journal_entries", schema="finance")
    op.drop_index("ix_fin_journal_entries_source", table_name="fin_journal_entries", schema="finance")
    op.drop_table("fin_journal_entries", schema="finance")
    op.drop_index(op.f("ix_finance_fin_documents_tenant_id"), table_name="fin_documents", schema="finance")
    op.drop_index("ix_fin_documents_party", table_name="fin_documents", schema="finance")
    op.drop_index("ix_fin_documents_date", table_name="fin_documents", schema="finance")
    op.drop_table("fin_documents", schema="finance")
    op.drop_index(op.f("ix_finance_fin_document_lines_tenant_id"), table_name="fin_document_lines", schema="finance")
    op.drop_index("ix_fin_document_lines_document", table_name="fin_document_lines", schema="finance")
    op.drop_table("fin_document_lines", schema="finance")
    op.drop_index(op.f("ix_finance_fin_counters_tenant_id"), table_name="fin_counters", schema="finance")
    op.drop_table("fin_counters", schema="finance")
    op.drop_index(op.f("ix_finance_fin_certificates_tenant_id"), table_name="fin_certificates", schema="finance")
    op.drop_table("fin_certificates", schema="finance")
    op.drop_index(op.f("ix_finance_fin_balances_tenant_id"), table_name="fin_balances", schema="finance")
    op.drop_table("fin_balances", schema="finance")
    op.drop_index(op.f("ix_finance_fin_allocations_tenant_id"), table_name="fin_allocations", schema="finance")
    op.drop_index("ix_fin_allocations_payment", table_name="fin_allocations", schema="finance")
    op.drop_index("ix_fin_allocations_document", table_name="fin_allocations", schema="finance")
    op.drop_table("fin_allocations", schema="finance")
