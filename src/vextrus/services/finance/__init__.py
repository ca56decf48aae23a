"""Finance service (port 3014): general ledger with fiscal periods and gap-free numbering, customer
invoices and vendor bills with Bangladesh VAT and SD (Mushak-6.3, 6.7, 6.8), payments with VDS
(Mushak-6.6) and TDS, reports (trial balance, P&L, balance sheet, ageing, Mushak-6.1/6.2/9.1)."""

from __future__ import annotations

from pathlib import Path

from vextrus.kit.service import GraphQLParts, Service
from vextrus.services.finance import api, events, graphql, models
from vextrus.services.finance.seed import seed

service = Service(
    name="finance",
    port=3014,
    title="Finance",
    description=(
        "General ledger (fiscal years July–June, periods open → closed → locked, journals with gap-free numbers, "
        "immutable entries corrected by reversal, balances per account, period and dimension); customer invoices, "
        "vendor bills (approved through the workflow), credit and debit notes with VAT and SD from the rules "
        "engine; payments and receipts with allocation, advances, VDS and TDS; trial balance, P&L, balance sheet, "
        "ageing and the NBR VAT forms (Mushak-6.1, 6.2, 6.3, 6.6, 9.1)."
    ),
    router=api.router,
    metadata=models.Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    publishes=events.PUBLISHES,
    consumes=events.HANDLERS,
    graphql=GraphQLParts(query=graphql.Query, types=(graphql.FinanceDocument,)),
    permissions=api.PERMISSIONS,
    seed=seed,
)

__all__ = ["service"]
