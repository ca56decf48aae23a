"""Import-export service (port 3007): bulk import of customers, vendors, products and accounts from
CSV and XLSX (templates, dry run with a result file, idempotent commit, background jobs with progress
and cancel) and streamed exports with the list APIs' filters.

Service name ``exchange`` (DESIGN.md: the import-export service of the original system): topics
``exchange.job.*``, permissions ``exchange.*``, settings ``VEXTRUS_EXCHANGE_*``, schema ``exchange``,
URL prefix ``/api/v1/exchange``, tables ``xch_*``.
"""

from __future__ import annotations

from pathlib import Path

from vextrus.kit.service import ReadinessCheck, Service
from vextrus.services.exchange import api, events, models
from vextrus.services.exchange.runner import on_start, on_stop, runner_check
from vextrus.services.exchange.seed import seed
from vextrus.services.exchange.settings import ExchangeSettings

service = Service(
    name="exchange",
    port=3007,
    title="Import and export",
    schema=models.SCHEMA,
    description=(
        "Bulk import of customers, vendors, products and the chart of accounts from CSV and XLSX with master "
        "data's own rules: templates with Bengali labels, a dry run with a result file, an idempotent commit "
        "(upsert by code), background jobs with progress and cancel; exports to CSV and XLSX, streamed."
    ),
    router=api.router,
    metadata=models.Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    publishes=events.PUBLISHES,
    consumes=events.HANDLERS,
    checks=[ReadinessCheck("jobs", runner_check)],
    permissions=api.PERMISSIONS,
    seed=seed,
    settings=ExchangeSettings,
    on_start=on_start,
    on_stop=on_stop,
)

__all__ = ["service"]
