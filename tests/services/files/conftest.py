"""Fixtures of the file storage tests: the service on SQLite and PostgreSQL, each with local storage
and with S3 (a real S3 API server, moto, started on loopback), built once per combination.

Until the service is registered in pyproject.toml the `platform` fixture does not include it, so
these tests build their own app, exactly as the platform fixture would.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from files_support import BUCKET, URL_SECRET, FilesApp, create_bucket, moto_server
from sqlalchemy.engine import make_url
from tests.conftest import APP_ROLE, PostgresServer, make_settings

from vextrus.kit.app import build_app
from vextrus.kit.db import Database
from vextrus.kit.migrations import trees_for, upgrade
from vextrus.kit.models import PLATFORM_SCHEMA
from vextrus.services.files import service as files_service

SERVICES = [files_service]
COMBINATIONS = [("sqlite", "local"), ("postgresql", "local"), ("sqlite", "s3"), ("postgresql", "s3")]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        create_bucket(endpoint)
        yield endpoint


def storage_settings(storage: str, workdir: Path, endpoint: str | None) -> dict[str, object]:
    if storage == "local":
        url = f"file://{workdir / 'files'}"
    else:
        url = f"s3://test:test@{BUCKET}/tenants?endpoint={endpoint}&region=us-east-1"
    return {
        "storage_url": url,
        "url_secret": URL_SECRET,
        "spool_dir": workdir / "spool",
        "url_key_path": workdir / "keys" / "files-url-key",
    }


@pytest.fixture(scope="session", params=COMBINATIONS, ids=["-".join(item) for item in COMBINATIONS])
async def files(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FilesApp]:
    backend, storage = request.param
    workdir = tmp_path_factory.mktemp(f"files-{backend}-{storage}")
    endpoint: str | None = request.getfixturevalue("s3_endpoint") if storage == "s3" else None
    server: PostgresServer | None = None
    if backend == "sqlite":
        url = app_url = f"sqlite+aiosqlite:///{workdir / 'vextrus.db'}"
        role = None
    else:
        server = request.getfixturevalue("postgres_server")
        url = await server.create("vextrus_files")
        await server.ensure_app_role()
        role = APP_ROLE
        app_url = make_url(url).set(username=APP_ROLE).render_as_string(hide_password=False)
    database = Database(url, [PLATFORM_SCHEMA, *(service.schema for service in SERVICES)])
    try:
        await upgrade(database, trees_for(SERVICES), app_role=role)
    finally:
        await database.dispose()
    app = build_app(
        SERVICES,
        make_settings(app_url, workdir),
        service_settings={"files": storage_settings(storage, workdir, endpoint)},
    )
    try:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app, raise_app_exceptions=False), base_url="http://files.test"
            ) as client:
                yield FilesApp(
                    backend, storage, app, client, workdir / "files" if storage == "local" else None, endpoint
                )
    finally:
        if server is not None:
            await server.drop(url)


@pytest.fixture
def tenant() -> uuid.UUID:
    return uuid.uuid4()
