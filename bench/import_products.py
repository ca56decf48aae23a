"""Import of 100,000 product rows through the import-export service: dry run and commit, on SQLite
and PostgreSQL, CSV and XLSX, with resident memory sampled throughout.

What runs is what runs in production, in one process (embedded mode): the file is uploaded over
HTTP (in-process ASGI) to ``POST /api/v1/exchange/imports/products``, the dry-run job reads it in a
worker thread and sends batches of rows to master data's ``POST /api/v1/products/import`` (in-process
ASGI call with a minted token; master data validates every row with its API rules and, on commit,
inserts the batch and one outbox event per product), progress is written after each batch. Timings
are the jobs' own (``started_at`` to ``finished_at``) and the wall clock from upload to finished
(queueing and polling included). The outbox relay runs as in production, in the same process,
publishing the 100,000 ``master-data.product.created`` events while the commit runs.

Memory: RSS of this process sampled every 100 ms by a thread; reported as the peak of each phase and
at 10/50/90 % of the commit's progress (flat = no growth with rows processed).

Databases: SQLite in a temp dir; PostgreSQL (``--postgres URL``) a throw-away database, migrated by
the owner and used as a non-superuser role, so row-level security applies as in production.

Run: ``.venv/bin/python bench/import_products.py [--rows 100000] [--formats csv xlsx]
[--backends sqlite postgresql] [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
[--batch 500] [--result] [--no-drain]``
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import os
import platform
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
from openpyxl import Workbook
from sqlalchemy import text
from sqlalchemy.engine import make_url

from vextrus.kit.app import build_app
from vextrus.kit.db import Database
from vextrus.kit.migrations import trees_for, upgrade
from vextrus.kit.models import PLATFORM_SCHEMA
from vextrus.kit.settings import load_settings
from vextrus.kit.tenancy import Principal
from vextrus.services.exchange import service as exchange
from vextrus.services.master_data import service as master_data

SERVICES = [master_data, exchange]
BASE = "/api/v1/exchange"
APP_ROLE = "vextrus_bench_app"
HEADER = [
    "code",
    "name",
    "name_bn",
    "type",
    "category",
    "unit",
    "conversions",
    "hs_code",
    "vat_rate_code",
    "purchase_price",
    "sale_price",
    "purchase_account",
    "sale_account",
]
GOODS = (
    ("cement", "bag", "ton=20; kg=0.02", "2523.29.00", "PCC cement 50 kg", "পিসিসি সিমেন্ট ৫০ কেজি"),
    ("steel", "ton", "kg=0.001", "7214.20.00", "MS rod 500W", "এমএস রড ৫০০ডব্লিউ"),
    ("brick", "pcs", "", "6901.00.00", "First class brick", "প্রথম শ্রেণির ইট"),
    ("sand", "cft", "cum=35.3147", "2505.10.00", "Sylhet sand", "সিলেট বালু"),
    ("tiles", "sft", "sqm=10.7639", "6907.21.00", "Floor tiles 24x24", "মেঝের টাইলস ২৪x২৪"),
)


def product_row(number: int) -> list[Any]:
    category, unit, conversions, hs_code, name, name_bn = GOODS[number % len(GOODS)]
    return [
        f"BM-{number:07d}",
        f"{name} #{number}",
        f"{name_bn} #{number}",
        "goods",
        category,
        unit,
        conversions,
        hs_code,
        "STANDARD",
        f"{100 + number % 900}.50",
        f"{120 + number % 900}.75",
        "1161",
        "4300",
    ]


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for number in range(rows):
            writer.writerow(product_row(number))


def write_xlsx(path: Path, rows: int) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("products")
    sheet.append(HEADER)
    for number in range(rows):
        row = product_row(number)
        row[9], row[10] = float(row[9]), float(row[10])  # numbers as Excel stores them
        sheet.append(row)
    workbook.save(path)


class MemorySampler:
    """RSS of this process every ``interval`` seconds, tagged with the phase running."""

    def __init__(self, interval: float = 0.1) -> None:
        self.process = psutil.Process()
        self.interval = interval
        self.samples: list[tuple[float, str, int]] = []
        self.phase = "idle"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), self.phase, self.process.memory_info().rss))
            self._stop.wait(self.interval)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def peak(self, phase: str) -> float:
        values = [rss for _, name, rss in self.samples if name == phase]
        return max(values) / 2**20 if values else 0.0

    def now(self) -> float:
        return self.process.memory_info().rss / 2**20

    def cpu(self) -> float:
        """CPU seconds (user + system) this process has used: less sensitive than wall time to
        other processes competing for the two cores."""
        times = self.process.cpu_times()
        return float(times.user + times.system)


async def postgres_database(server_url: str) -> tuple[str, str]:
    """A throw-away database (owner URL) and the URL of a non-superuser role for the app."""
    owner = make_url(server_url)
    dsn = owner.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"vextrus_bench_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
        if not await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", APP_ROLE):
            await connection.execute(f'CREATE ROLE "{APP_ROLE}" LOGIN NOSUPERUSER NOBYPASSRLS')
    finally:
        await connection.close()
    url = owner.set(database=name)
    return url.render_as_string(hide_password=False), url.set(username=APP_ROLE).render_as_string(hide_password=False)


async def drop_postgres(server_url: str, database_url: str) -> None:
    dsn = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{make_url(database_url).database}" WITH (FORCE)')
    finally:
        await connection.close()


async def chunks(path: Path, size: int = 1 << 20) -> AsyncIterator[bytes]:
    """The file as the request body, 1 MiB at a time (the upload streams on both sides)."""
    with path.open("rb") as handle:
        while chunk := handle.read(size):
            yield chunk


async def wait(
    client: httpx.AsyncClient, headers: dict[str, str], job_id: str, sampler: MemorySampler
) -> dict[str, Any]:
    marks: dict[int, float] = {}
    failed_polls = 0
    while True:
        response = await client.get(f"{BASE}/jobs/{job_id}", headers=headers)
        if response.status_code != 200:  # e.g. SQLite's write lock not granted within its busy timeout
            failed_polls += 1
            await asyncio.sleep(0.25)
            continue
        job: dict[str, Any] = response.json()
        for mark in (10, 50, 90):
            if job["progress"] >= mark and mark not in marks:
                marks[mark] = sampler.now()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            job["rss_at_progress"] = {f"{key}%": round(value, 1) for key, value in sorted(marks.items())}
            job["failed_polls"] = failed_polls
            return job
        await asyncio.sleep(0.25)


async def analyze(database_url: str) -> None:
    """Fresh planner statistics (as the owner), as autovacuum would have them some time later."""
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def drained(runtime: Any) -> None:
    """Until master data's outbox has nothing pending (the relay published every event)."""
    for _ in range(100_000):
        if not (await runtime.relay.backlog()).get("master-data", {}).get("pending", 0):
            return
        await asyncio.sleep(0.5)


def seconds(job: dict[str, Any]) -> float:
    started = dt.datetime.fromisoformat(job["started_at"])
    finished = dt.datetime.fromisoformat(job["finished_at"])
    return round((finished - started).total_seconds(), 2)


async def run_backend(
    backend: str, args: argparse.Namespace, files: dict[str, Path], sampler: MemorySampler
) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-import-{backend}-"))
    owner_url = app_url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    if backend == "postgresql":
        owner_url, app_url = await postgres_database(args.postgres)
    database = Database(owner_url, [PLATFORM_SCHEMA, *(service.schema for service in SERVICES)])
    await upgrade(database, trees_for(SERVICES), app_role=APP_ROLE if backend == "postgresql" else None)
    if args.outbox_index:
        # The index proposed for the kit's outbox (the relay's claim walks pending rows in order
        # instead of sorting all of them every round): measured here before the kit has it.
        table = "platform_outbox" if database.is_sqlite else "platform.platform_outbox"
        async with database.engine.begin() as connection:
            await connection.execute(
                text(
                    f"CREATE INDEX IF NOT EXISTS ix_platform_outbox_pending_order ON {table} "
                    "(service, created_at, id) WHERE status = 'pending'"
                )
            )
    await database.dispose()
    settings = load_settings(
        env="test", database_url=app_url, signing_key_path=workdir / "key.pem", log_level="WARNING"
    )
    app = build_app(
        SERVICES,
        settings,
        service_settings={"exchange": {"storage_dir": str(workdir / "exchange"), "batch_rows": args.batch}},
    )
    results: dict[str, Any] = {}
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as client:
                for file_format, path in files.items():
                    tenant = uuid.uuid4()
                    principal = Principal(
                        subject=uuid.uuid4(),
                        tenant_id=tenant,
                        permissions=frozenset({"exchange.*", "master-data.*"}),
                    )
                    assert app.state.runtime.issuer is not None
                    headers = {"Authorization": f"Bearer {app.state.runtime.issuer.issue(principal, 3600)}"}
                    await client.post("/api/v1/accounts/template", headers=headers)
                    entry: dict[str, Any] = {"file_mb": round(path.stat().st_size / 2**20, 2)}

                    sampler.phase = f"{backend}-{file_format}-upload"
                    started = time.perf_counter()
                    content_type = "text/csv" if file_format == "csv" else "application/octet-stream"
                    response = await client.post(
                        f"{BASE}/imports/products",
                        content=chunks(path),
                        headers={**headers, "Content-Type": content_type},
                    )
                    assert response.status_code == 202, response.text
                    entry["upload_s"] = round(time.perf_counter() - started, 2)
                    job_id = response.json()["id"]

                    for phase in ("dry_run", "commit", "recommit"):
                        sampler.phase = f"{backend}-{file_format}-{phase}"
                        rss_before = sampler.now()
                        cpu_before = sampler.cpu()
                        load_before = os.getloadavg()[0]
                        started = time.perf_counter()
                        if phase == "commit" and args.relay == "after":
                            await app.state.runtime.relay.stop()
                        if phase != "dry_run":
                            response = await client.post(f"{BASE}/jobs/{job_id}/commit", headers=headers)
                            assert response.status_code == 202, response.text
                            target = response.json()["id"]
                        else:
                            target = job_id
                        job = await wait(client, headers, target, sampler)
                        assert job["status"] == "succeeded", job
                        entry[phase] = {
                            "job_s": seconds(job),
                            "wall_s": round(time.perf_counter() - started, 2),
                            "rows_per_s": round(job["counts"]["processed"] / max(seconds(job), 0.001)),
                            "counts": job["counts"],
                            "rss_before_mb": round(rss_before, 1),
                            "rss_peak_mb": round(sampler.peak(sampler.phase), 1),
                            "rss_at_progress_mb": job["rss_at_progress"],
                            "process_cpu_s": round(sampler.cpu() - cpu_before, 2),
                            "failed_polls": job["failed_polls"],
                            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                        }
                        if phase == "commit":
                            if args.relay == "after" and backend == "postgresql":
                                await analyze(owner_url)
                            if args.relay == "after" and args.drain:
                                await app.state.runtime.relay.start()
                            runtime = app.state.runtime
                            backlog = (await runtime.relay.backlog()).get("master-data", {}).get("pending", 0)
                            entry["outbox_pending_after_commit"] = backlog
                            if args.drain:
                                sampler.phase = f"{backend}-{file_format}-relay"
                                started = time.perf_counter()
                                await drained(runtime)
                                entry["outbox_drained_after_commit_s"] = round(time.perf_counter() - started, 2)
                    if args.result:
                        sampler.phase = f"{backend}-{file_format}-result"
                        started = time.perf_counter()
                        response = await client.get(f"{BASE}/jobs/{job_id}/result", headers=headers)
                        assert response.status_code == 200
                        entry["result_xlsx_s"] = round(time.perf_counter() - started, 2)
                        entry["result_xlsx_mb"] = round(len(response.content) / 2**20, 2)
                        entry["result_rss_peak_mb"] = round(sampler.peak(sampler.phase), 1)
                    results[file_format] = entry
                    print(json.dumps({backend: {file_format: entry}}, ensure_ascii=False), flush=True)
    finally:
        if backend == "postgresql":
            await drop_postgres(args.postgres, owner_url)
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--formats", nargs="+", default=["csv", "xlsx"], choices=["csv", "xlsx"])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument(
        "--postgres",
        default=os.environ.get("VEXTRUS_BENCH_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--batch", type=int, default=500, help="rows per call to master data")
    parser.add_argument("--result", action="store_true", help="also time building the dry run's result XLSX")
    parser.add_argument(
        "--outbox-index",
        action="store_true",
        help="add the partial index proposed for the kit's outbox before running (see the docstring)",
    )
    parser.add_argument(
        "--relay",
        choices=["during", "after"],
        default="during",
        help="the outbox relay publishes during the commit (as in production) or only after it (diagnosis; "
        "with --no-drain it stays stopped for the re-commit too)",
    )
    parser.add_argument(
        "--no-drain",
        dest="drain",
        action="store_false",
        help="do not wait after the commit until the relay has published its events (the re-commit then "
        "runs while it publishes); the backlog left is recorded either way",
    )
    parser.add_argument("--out", type=Path, default=Path("bench/results/import_products.json"))
    args = parser.parse_args()

    files: dict[str, Path] = {}
    scratch = Path(tempfile.mkdtemp(prefix="bench-import-files-"))
    for file_format in args.formats:
        path = scratch / f"products-{args.rows}.{file_format}"
        started = time.perf_counter()
        (write_csv if file_format == "csv" else write_xlsx)(path, args.rows)
        print(f"generated {path.name} ({path.stat().st_size / 2**20:.1f} MiB) in {time.perf_counter() - started:.1f} s")
        files[file_format] = path

    sampler = MemorySampler()
    sampler.start()
    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "cpu": platform.processor() or platform.machine(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
            "python": platform.python_version(),
            "sqlalchemy": package_version("sqlalchemy"),
            "openpyxl": package_version("openpyxl"),
            "asyncpg": package_version("asyncpg"),
        },
        "rows": args.rows,
        "batch_rows": args.batch,
        "relay": args.relay,
        "outbox_index": args.outbox_index,
        "drain": args.drain,
        "rss_start_mb": round(sampler.now(), 1),
        "results": {},
    }
    try:
        for backend in args.backends:
            report["results"][backend] = await run_backend(backend, args, files, sampler)
    finally:
        sampler.stop()
    report["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
    report["rss_peak_mb"] = round(max(rss for _, _, rss in sampler.samples) / 2**20, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
