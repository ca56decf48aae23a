"""Document generator (port 3006): templates (Jinja2 + HTML/CSS → PDF with WeasyPrint, XLSX with
openpyxl), the NBR Mushak forms and business documents built in, per-company letterheads, Bengali
shaped correctly; output kept in file storage with a link."""

from __future__ import annotations

from pathlib import Path

from vextrus.kit.service import ReadinessCheck, Service
from vextrus.services.documents import api, events, models
from vextrus.services.documents.jobs import on_start, on_stop, worker_check
from vextrus.services.documents.seed import seed
from vextrus.services.documents.settings import DocumentsSettings

service = Service(
    name="documents",
    port=3006,
    title="Document generator",
    description=(
        "Renders documents from versioned templates: Mushak-6.3 tax invoices, Mushak-6.6 VDS certificates, "
        "Mushak-6.7/6.8 credit and debit notes, purchase orders, payment vouchers, customer statements (PDF and "
        "XLSX) and templates services register; bilingual Bengali/English with lakh/crore amounts; per-company "
        "letterheads; large documents in the background; output stored in file storage."
    ),
    router=api.router,
    metadata=models.Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    publishes=events.PUBLISHES,
    consumes=events.HANDLERS,
    checks=[ReadinessCheck("render_worker", worker_check)],
    permissions=api.PERMISSIONS,
    seed=seed,
    on_start=on_start,
    on_stop=on_stop,
    settings=DocumentsSettings,
)

__all__ = ["service"]
