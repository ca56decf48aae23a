"""Helpers of the import-export tests: files in memory, uploads, waiting for jobs, events."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.engine import make_url
from tests.conftest import APP_ROLE, Platform, PostgresServer, make_settings

from vextrus.kit.app import build_app
from vextrus.kit.db import Database
from vextrus.kit.events.models import OutboxEvent
from vextrus.kit.migrations import trees_for, upgrade
from vextrus.kit.models import PLATFORM_SCHEMA
from vextrus.kit.service import Service
from vextrus.services.exchange import service as exchange_service
from vextrus.services.master_data import service as master_data_service

BASE = "/api/v1/exchange"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORTER = ("exchange.*", "master-data.*")


SERVICES: list[Service] = [master_data_service, exchange_service]


async def migrate(url: str, app_role: str | None = None) -> None:
    database = Database(url, [PLATFORM_SCHEMA, *(service.schema for service in SERVICES)])
    try:
        await upgrade(database, trees_for(SERVICES), app_role=app_role)
    finally:
        await database.dispose()


@asynccontextmanager
async def running_platform(
    request: pytest.FixtureRequest, backend: str, workdir: Path, **exchange_settings: Any
) -> AsyncIterator[Platform]:
    """Master data and import-export in one app on a fresh migrated database of ``backend``
    (PostgreSQL: migrated by the owner, served as a role row-level security binds)."""
    server: PostgresServer | None = None
    if backend == "sqlite":
        url = app_url = f"sqlite+aiosqlite:///{workdir / 'vextrus.db'}"
        await migrate(url)
    else:
        server = request.getfixturevalue("postgres_server")
        url = await server.create()
        await server.ensure_app_role()
        await migrate(url, app_role=APP_ROLE)
        app_url = make_url(url).set(username=APP_ROLE).render_as_string(hide_password=False)
    settings = {"exchange": {"storage_dir": str(workdir / "exchange"), **exchange_settings}}
    app = build_app(SERVICES, make_settings(app_url, workdir), service_settings=settings)
    try:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app, raise_app_exceptions=False), base_url="http://vextrus.test"
            ) as client:
                yield Platform(backend, app, client)
    finally:
        if server is not None:
            await server.drop(url)


def csv_bytes(rows: Sequence[Sequence[Any]], *, bom: bool = True, delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    for row in rows:
        writer.writerow(row)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(rows: Sequence[Sequence[Any]], title: str = "products") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_xlsx(content: bytes, sheet: int = 0) -> list[list[Any]]:
    """The sheet's rows, each as wide as the widest (read-only mode drops trailing empty cells)."""
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    rows = [list(row) for row in workbook.worksheets[sheet].iter_rows(values_only=True)]
    workbook.close()
    width = max((len(row) for row in rows), default=0)
    return [row + [None] * (width - len(row)) for row in rows]


def read_csv(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    entity: str,
    content: bytes,
    *,
    content_type: str = "text/csv",
    file_name: str | None = None,
    status: int = 202,
) -> dict[str, Any]:
    params = {"file_name": file_name} if file_name else {}
    response = await client.post(
        f"{BASE}/imports/{entity}",
        content=content,
        params=params,
        headers={**headers, "Content-Type": content_type},
    )
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def wait_for(
    client: httpx.AsyncClient, headers: dict[str, str], job_id: str, seconds: float = 90
) -> dict[str, Any]:
    """Poll the job until it has finished, as a client would."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        response = await client.get(f"{BASE}/jobs/{job_id}", headers=headers)
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        assert loop.time() < deadline, f"job still {job['status']}: {job}"
        await asyncio.sleep(0.05)


async def dry_run(
    client: httpx.AsyncClient, headers: dict[str, str], entity: str, content: bytes, **options: Any
) -> dict[str, Any]:
    job = await upload(client, headers, entity, content, **options)
    return await wait_for(client, headers, job["id"])


async def commit(client: httpx.AsyncClient, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    response = await client.post(f"{BASE}/jobs/{job_id}/commit", headers=headers)
    assert response.status_code == 202, response.text
    return await wait_for(client, headers, response.json()["id"])


async def result_rows(client: httpx.AsyncClient, headers: dict[str, str], job_id: str) -> list[list[Any]]:
    response = await client.get(f"{BASE}/jobs/{job_id}/result", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    return read_xlsx(response.content)


async def records(
    client: httpx.AsyncClient, headers: dict[str, str], entity: str, **params: Any
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": 200, **params, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(f"/api/v1/{entity}", params=query, headers=headers)).json()
        found.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return found


async def events_of(platform: Platform, tenant: uuid.UUID, service: str = "exchange") -> list[dict[str, Any]]:
    async with platform.runtime.database.transaction() as session:
        rows = (await session.execute(select(OutboxEvent).where(OutboxEvent.service == service))).scalars().all()
    found = [json.loads(row.envelope) for row in rows]
    return sorted([item for item in found if item["tenantid"] == str(tenant)], key=lambda item: item["time"])


def storage_dir(platform: Platform) -> Path:
    from vextrus.services.exchange.settings import ExchangeSettings

    return Path(platform.runtime.settings_of(ExchangeSettings).storage_dir)
