"""Fixtures of the scheduler tests: the scheduler and a probe service its jobs call, in one app on
a migrated database, once per backend. The runner's loop is off: tests tick it with a clock."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from scheduler_support import PROBE, Sched
from sqlalchemy.engine import make_url
from tests.conftest import APP_ROLE, BACKENDS, PostgresServer, make_settings

from vextrus.kit.app import build_app
from vextrus.kit.db import Database
from vextrus.kit.migrations import trees_for, upgrade
from vextrus.kit.models import PLATFORM_SCHEMA
from vextrus.services.scheduler import service as scheduler_service
from vextrus.services.scheduler.runner import runner_for

SERVICES = [scheduler_service, PROBE]
TEST_SETTINGS = {"scheduler": {"runner_enabled": False, "lease_seconds": 60}}


@pytest.fixture(scope="session", params=BACKENDS)
async def sched(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Sched]:
    backend: str = request.param
    workdir = tmp_path_factory.mktemp(f"scheduler-{backend}")
    server: PostgresServer | None = None
    if backend == "sqlite":
        url = app_url = f"sqlite+aiosqlite:///{workdir / 'vextrus.db'}"
        role = None
    else:
        server = request.getfixturevalue("postgres_server")
        url = await server.create("vextrus_sch")
        await server.ensure_app_role()
        role = APP_ROLE
        app_url = make_url(url).set(username=APP_ROLE).render_as_string(hide_password=False)
    database = Database(url, [PLATFORM_SCHEMA, *(service.schema for service in SERVICES)])
    try:
        await upgrade(database, trees_for(SERVICES), app_role=role)
    finally:
        await database.dispose()
    app = build_app(SERVICES, make_settings(app_url, workdir), service_settings=TEST_SETTINGS)
    try:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app, raise_app_exceptions=False), base_url="http://vextrus.test"
            ) as client:
                yield Sched(backend, app, client, runner_for(app.state.runtime), app_url)
    finally:
        if server is not None:
            await server.drop(url)


@pytest.fixture
def tenant() -> uuid.UUID:
    return uuid.uuid4()
