"""Demo data: a finished dry run for Meghna Construction Group, a labour-rate update of four rows
(two price changes, a new service, one rejected row), with its file and outcomes in storage, so the
jobs list, the job and its result file have something real to show.

Idempotent: the job has a stable id and is written only when missing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from vextrus.demo import DEMO_TENANTS, demo_id
from vextrus.kit.service import SeedContext
from vextrus.kit.tenancy import acting_as
from vextrus.services.exchange.files import BOM, csv_line
from vextrus.services.exchange.models import Job
from vextrus.services.exchange.repository import Jobs
from vextrus.services.exchange.settings import ExchangeSettings
from vextrus.services.exchange.storage import Storage

FILE_NAME = "labour-rates-2026.csv"
HEADER = ("code", "name", "name_bn", "type", "category", "unit", "purchase_price", "purchase_account")
ROWS = (
    ("SRV-LAB-MASON", "Mason (rajmistri), per day", "রাজমিস্ত্রি, দৈনিক", "service", "labour", "day", "1000", "5130"),
    ("SRV-LAB-HELPER", "Helper (jogali), per day", "যোগালি, দৈনিক", "service", "labour", "day", "700", "5130"),
    ("SRV-LAB-ROD", "Rod binder, per day", "রড মিস্ত্রি, দৈনিক", "service", "labour", "day", "1100", "5130"),
    ("SRV-LAB-PAINT", "Painter, per day", "রং মিস্ত্রি, দৈনিক", "service", "labour", "dya", "900", "5130"),
)
OUTCOMES = (
    ("row", "status", "code", "errors", "errors_bn", "changed"),
    (2, "updated", "SRV-LAB-MASON", "", "", "purchase_price"),
    (3, "updated", "SRV-LAB-HELPER", "", "", "purchase_price"),
    (4, "created", "SRV-LAB-ROD", "", "", ""),
    (5, "invalid", "SRV-LAB-PAINT", "unit: Unknown unit 'dya'", "unit: অজানা একক 'dya'", ""),
)


def demo_job_id(tenant_slug: str, key: str) -> uuid.UUID:
    """Stable ids of demo jobs: ``demo_id("exchange:job", "<tenant slug>:<key>")``."""
    return demo_id("exchange:job", f"{tenant_slug}:{key}")


async def seed(ctx: SeedContext) -> None:
    tenant = DEMO_TENANTS[0]
    job_id = demo_job_id(tenant.slug, "labour-rates-2026")
    storage = Storage(ctx.runtime.settings_of(ExchangeSettings).storage_dir)
    source = (BOM + "".join(csv_line(row) for row in (HEADER, *ROWS))).encode("utf-8")
    directory = storage.job_dir(tenant.id, job_id)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "source.csv").write_bytes(source)
    (directory / "outcomes.csv").write_text("".join(csv_line(row) for row in OUTCOMES), encoding="utf-8")
    finished = dt.datetime(2026, 7, 2, 5, 30, 12, tzinfo=dt.UTC)
    engineer = next(user for user in tenant.users if user.role == "procurement-officer")
    with acting_as(tenant_id=tenant.id):
        async with ctx.runtime.database.transaction() as session:
            jobs = Jobs(session)
            if await jobs.get(job_id) is not None:
                return
            jobs.add(
                Job(
                    id=job_id,
                    entity="products",
                    mode="dry_run",
                    status="succeeded",
                    file_name=FILE_NAME,
                    file_format="csv",
                    file_size=len(source),
                    file_sha256=hashlib.sha256(source).hexdigest(),
                    file_key=(directory / "source.csv").relative_to(storage.root).as_posix(),
                    columns=list(HEADER),
                    ignored_columns=[],
                    total_rows=len(ROWS),
                    processed_rows=len(ROWS),
                    created_rows=1,
                    updated_rows=2,
                    unchanged_rows=0,
                    invalid_rows=1,
                    progress=100,
                    permissions=["master-data.product.write"],
                    cancel_requested=False,
                    created_by=engineer.id,
                    started_at=finished - dt.timedelta(seconds=2),
                    finished_at=finished,
                    heartbeat_at=finished,
                    created_at=finished - dt.timedelta(seconds=3),
                    updated_at=finished,
                )
            )
