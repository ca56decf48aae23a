"""Fixtures of the document generator tests: the document generator and file storage (where its
output goes) in one app on a migrated database, once per backend.

Until both services are registered in pyproject.toml the `platform` fixture does not include them,
so these tests build their own app, exactly as the platform fixture would.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from documents_support import SYNC_MAX_ROWS, Docs
from sqlalchemy.engine import make_url
from tests.conftest import APP_ROLE, BACKENDS, PostgresServer, make_settings

from vextrus.kit.app import build_app
from vextrus.kit.db import Database
from vextrus.kit.migrations import trees_for, upgrade
from vextrus.kit.models import PLATFORM_SCHEMA
from vextrus.services.documents import service as documents_service
from vextrus.services.documents.jobs import on_stop
from vextrus.services.files import service as files_service

SERVICES = [documents_service, files_service]


@pytest.fixture(scope="session", params=BACKENDS)
async def docs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Docs]:
    backend: str = request.param
    workdir = tmp_path_factory.mktemp(f"documents-{backend}")
    server: PostgresServer | None = None
    if backend == "sqlite":
        url = app_url = f"sqlite+aiosqlite:///{workdir / 'vextrus.db'}"
        role = None
    else:
        server = request.getfixturevalue("postgres_server")
        url = await server.create("vextrus_docs")
        await server.ensure_app_role()
        role = APP_ROLE
        app_url = make_url(url).set(username=APP_ROLE).render_as_string(hide_password=False)
    database = Database(url, [PLATFORM_SCHEMA, *(service.schema for service in SERVICES)])
    try:
        await upgrade(database, trees_for(SERVICES), app_role=role)
    finally:
        await database.dispose()
    settings = {
        "files": {
            "storage_url": f"file://{workdir / 'files'}",
            "url_key_path": workdir / "keys" / "files-url-key",
        },
        "documents": {
            "sync_max_rows": SYNC_MAX_ROWS,
            "worker_poll_seconds": 0.2,
            "job_retry_seconds": 0,
            "job_max_attempts": 2,
        },
    }
    app = build_app(SERVICES, make_settings(app_url, workdir), service_settings=settings)
    try:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app, raise_app_exceptions=False), base_url="http://docs.test"
            ) as client:
                yield Docs(backend, app, client, workdir)
            await on_stop(app.state.runtime)
    finally:
        if server is not None:
            await server.drop(url)


@pytest.fixture
def tenant() -> uuid.UUID:
    return uuid.uuid4()
