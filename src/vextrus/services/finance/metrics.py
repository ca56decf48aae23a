"""Business metrics of finance (counters only: promtool rejects gauges named ``*_total``)."""

from __future__ import annotations

from vextrus.kit.metrics import counter, histogram

INVOICES_POSTED = counter("finance_invoices_posted_total", "Invoices, bills and notes posted, by kind", ["kind"])
VAT_OUTPUT_BDT = counter(
    "finance_vat_output_bdt_total", "Output VAT (BDT) on posted customer invoices, net of credit notes posted"
)
JOURNAL_ENTRIES = counter("finance_journal_entries_posted_total", "Journal entries posted, by journal", ["journal"])
PAYMENTS = counter(
    "finance_payments_total", "Payments and receipts recorded, by direction and method", ["direction", "method"]
)
POST_DURATION = histogram(
    "finance_document_post_duration_seconds",
    "Time to post an invoice or bill (numbering, GL entry and balances)",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5),
)
