"""Finance: posting a 50-line customer invoice, and the trial balance and P&L over a million lines.

The app serves finance with the services it calls (master data for the chart of accounts and the
customer, rules for ``bd.vat.rate``) in-process over ASGI, on a fresh migrated database: SQLite in a
temp dir, or a throw-away PostgreSQL database with ``--postgres URL``.

Measured:

- **draft**: ``POST /invoices`` with 50 lines (customer from master data, one batch evaluation of
  the VAT rule, 50 lines figured and stored);
- **post**: ``POST /invoices/{id}/post`` (open period held, Mushak-6.3 number from the locked
  counter, GL entry with its lines and the balances upserted, event in the outbox), one at a time,
  with the SQL statements each post sends (counted on the engine);
- **reports**: ``GET /reports/trial-balance`` and ``/reports/profit-and-loss`` after ``--lines``
  journal lines were posted through the ledger (1,000-line entries over 60 accounts, 12 periods,
  3 cost centres): the reports read the balances table, never the lines.

Run: ``.venv/bin/python bench/finance_post_invoice.py [--invoices 100] [--lines 1000000]
[--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]``
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event
from sqlalchemy.engine import make_url

from vextrus.bd import parse_fiscal_year
from vextrus.kit.app import build_app
from vextrus.kit.db import Database
from vextrus.kit.migrations import trees_for, upgrade
from vextrus.kit.models import PLATFORM_SCHEMA
from vextrus.kit.settings import load_settings
from vextrus.kit.tenancy import Principal, acting_as
from vextrus.services.finance import external, ledger
from vextrus.services.finance import service as finance_service
from vextrus.services.master_data import service as master_data_service
from vextrus.services.rules import service as rules_service

SERVICES = [master_data_service, rules_service, finance_service]
BASE = "/api/v1/finance"
LINES_PER_INVOICE = 50


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _report(name: str, latencies: list[float]) -> None:
    print(
        f"  {name:<14} n={len(latencies):<5} p50={_percentile(latencies, 0.5) * 1000:7.1f} ms "
        f"p95={_percentile(latencies, 0.95) * 1000:7.1f} ms mean={statistics.mean(latencies) * 1000:7.1f} ms"
    )


async def _fill_ledger(runtime: Any, tenant: uuid.UUID, company: uuid.UUID, lines: int) -> float:
    """Post ``lines`` journal lines through the ledger (1,000 per entry); returns seconds taken."""
    book = await external.account_book(runtime, tenant)
    posting = [account.id for account in book.by_id.values() if not account.is_group]
    rng = random.Random(7)
    year = parse_fiscal_year("2025-26")
    started = time.perf_counter()
    remaining = lines
    with acting_as(tenant_id=tenant):
        while remaining > 0:
            size = min(1000, remaining - remaining % 2) or 2
            drafts = []
            for _ in range(size // 2):
                amount = Decimal(rng.randint(100, 10_000_000)) / 100
                debit, credit = rng.sample(posting, 2)
                centre = rng.choice(("", "HQ", "SITE-UTT"))
                drafts.append(ledger.LineDraft(account_id=debit, debit=amount, cost_centre=centre))
                drafts.append(ledger.LineDraft(account_id=credit, credit=amount, cost_centre=centre))
            period = year.period(rng.randint(1, 12))
            day = period.start + dt.timedelta(days=rng.randint(0, (period.end - period.start).days))
            async with runtime.database.transaction() as session:
                await ledger.post_entry(
                    session,
                    ledger.EntryDraft(company_id=company, journal="general", date=day, lines=drafts),
                    book,
                    None,
                )
            remaining -= size
    return time.perf_counter() - started


async def run(invoices: int, lines: int, postgres: str | None) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="fin-bench-"))
    cleanup: str | None = None
    if postgres:
        name = f"fin_bench_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(
            make_url(postgres).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        url = make_url(postgres).set(database=name).render_as_string(hide_password=False)
        cleanup = name
    else:
        url = f"sqlite+aiosqlite:///{workdir / 'vextrus.db'}"
    database = Database(url, [PLATFORM_SCHEMA, *(service.schema for service in SERVICES)])
    await upgrade(database, trees_for(SERVICES))
    await database.dispose()
    settings = load_settings(env="test", database_url=url, signing_key_path=workdir / "key.pem", log_level="ERROR")
    app = build_app(SERVICES, settings)
    runtime: Any = app.state.runtime
    tenant, company = uuid.uuid4(), uuid.uuid4()
    principal = Principal(subject=uuid.uuid4(), tenant_id=tenant, permissions=frozenset({"*"}), company_ids=(company,))
    headers = {"Authorization": f"Bearer {runtime.issuer.issue(principal, 7200)}"}
    statements = {"count": 0}

    @event.listens_for(runtime.database.engine.sync_engine, "before_cursor_execute")
    def _count(*_: Any) -> None:
        statements["count"] += 1

    backend = "PostgreSQL" if postgres else "SQLite"
    try:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://bench.test") as client:
                for path, body in (("/api/v1/accounts/template", None), ("/api/v1/rules/templates/install", {})):
                    response = await client.post(path, json=body, headers=headers)
                    assert response.status_code == 200, response.text
                response = await client.post(
                    "/api/v1/customers",
                    json={"code": "C-0001", "name": "Bashundhara Housing Ltd.", "bin": "000123456-0101"},
                    headers=headers,
                )
                assert response.status_code == 201, response.text
                customer = response.json()["id"]
                categories = ("goods.standard", "services.construction", "services.transport-contractor")
                body = {
                    "customer_id": customer,
                    "date": "2025-10-15",
                    "lines": [
                        {
                            "description": f"Item {n:02d}: 12 mm deformed bar, lot {n}",
                            "unit": "ton",
                            "quantity": f"{1 + n % 7}.250",
                            "unit_price": f"{98000 + n * 35}.50",
                            "sd_rate": "10" if n % 5 == 0 else "0",
                            "discount_percent": "2.5" if n % 4 == 0 else "0",
                            "vat_category": categories[n % 3],
                            "cost_centre": "SITE-UTT",
                        }
                        for n in range(LINES_PER_INVOICE)
                    ],
                }
                drafts: list[str] = []
                draft_times: list[float] = []
                for _ in range(invoices):
                    started = time.perf_counter()
                    response = await client.post(f"{BASE}/invoices", json=body, headers=headers)
                    draft_times.append(time.perf_counter() - started)
                    assert response.status_code == 201, response.text
                    drafts.append(response.json()["id"])
                post_times: list[float] = []
                counts: list[int] = []
                for ident in drafts:
                    before = statements["count"]
                    started = time.perf_counter()
                    response = await client.post(f"{BASE}/invoices/{ident}/post", headers=headers)
                    post_times.append(time.perf_counter() - started)
                    counts.append(statements["count"] - before)
                    assert response.status_code == 200, response.text
                print(f"finance bench: {backend}, {invoices} invoices of {LINES_PER_INVOICE} lines")
                _report("draft (50)", draft_times)
                _report("post (50)", post_times)
                per_post = statistics.median(counts)
                print(f"  SQL statements per post: {per_post:.0f} ({per_post / LINES_PER_INVOICE:.2f} per line)")
                if lines:
                    seconds = await _fill_ledger(runtime, tenant, company, lines)
                    print(f"  ledger filled with {lines:,} lines in {seconds:.1f} s ({lines / seconds:,.0f} lines/s)")
                    for name, path in (
                        ("trial balance", f"{BASE}/reports/trial-balance?fiscal_year=2025-26&period=12"),
                        ("P&L", f"{BASE}/reports/profit-and-loss?fiscal_year=2025-26"),
                        ("balance sheet", f"{BASE}/reports/balance-sheet?fiscal_year=2025-26"),
                    ):
                        times = []
                        for _ in range(7):
                            started = time.perf_counter()
                            response = await client.get(path, headers=headers)
                            times.append(time.perf_counter() - started)
                            assert response.status_code == 200, response.text
                        _report(name, times)
                    check = (
                        await client.get(f"{BASE}/reports/trial-balance?fiscal_year=2025-26", headers=headers)
                    ).json()
                    assert Decimal(check["difference"]) == 0
    finally:
        if cleanup:
            admin = await asyncpg.connect(
                make_url(postgres or "").set(drivername="postgresql").render_as_string(hide_password=False)
            )
            await admin.execute(f'DROP DATABASE IF EXISTS "{cleanup}" WITH (FORCE)')
            await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100)
    parser.add_argument("--lines", type=int, default=1_000_000, help="journal lines behind the reports (0: skip)")
    parser.add_argument("--postgres", default=None, help="postgresql+asyncpg://user@host:port/postgres")
    arguments = parser.parse_args()
    asyncio.run(run(arguments.invoices, arguments.lines, arguments.postgres))


if __name__ == "__main__":
    main()
