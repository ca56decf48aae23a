"""Fixtures of the workflow tests: the workflow service with the rules engine (approval steps),
the scheduler (SLA sweeps as jobs) and a probe service standing in for finance/scm (system steps),
in one app on a migrated database, once per backend.

A smaller app than the `platform` fixture's, with the probe service the system steps call.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.engine import make_url
from tests.conftest import APP_ROLE, BACKENDS, PostgresServer, make_settings
from workflow_support import PROBE, Flow

from vextrus.kit.app import build_app
from vextrus.kit.db import Database
from vextrus.kit.migrations import trees_for, upgrade
from vextrus.kit.models import PLATFORM_SCHEMA
from vextrus.services.rules import service as rules_service
from vextrus.services.scheduler import service as scheduler_service
from vextrus.services.workflow import service as workflow_service
from vextrus.services.workflow.engine import engine_for

SERVICE_SETTINGS: dict[str, dict[str, object]] = {
    "rules": {"evaluation_event_sample_rate": 0.0},
    "scheduler": {"runner_enabled": False},
}
SERVICES = [workflow_service, rules_service, scheduler_service, PROBE]


async def _migrate(url: str, app_role: str | None = None) -> None:
    database = Database(url, [PLATFORM_SCHEMA, *(service.schema for service in SERVICES)])
    try:
        await upgrade(database, trees_for(SERVICES), app_role=app_role)
    finally:
        await database.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
async def flow(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Flow]:
    backend: str = request.param
    workdir = tmp_path_factory.mktemp(f"workflow-{backend}")
    server: PostgresServer | None = None
    urls: list[str] = []
    if backend == "sqlite":
        app_url = f"sqlite+aiosqlite:///{workdir / 'vextrus.db'}"
        await _migrate(app_url)
    else:
        server = request.getfixturevalue("postgres_server")
        url = await server.create("vextrus_wf")
        urls.append(url)
        await server.ensure_app_role()
        await _migrate(url, APP_ROLE)
        # The durable runtime's own database, beside the application's (the default name), owned
        # by the role the services run as.
        name = make_url(url).database
        urls.append(await server.create_named(f"{name}_dbos", owner=APP_ROLE))
        app_url = make_url(url).set(username=APP_ROLE).render_as_string(hide_password=False)
    app = build_app(SERVICES, make_settings(app_url, workdir), service_settings=SERVICE_SETTINGS)
    try:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app, raise_app_exceptions=False), base_url="http://vextrus.test"
            ) as client:
                yield Flow(backend, app, client, engine_for(app.state.runtime))
    finally:
        if server is not None:
            for url in reversed(urls):
                await server.drop(url)


@pytest.fixture
def tenant() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture
async def rules_installed(flow: Flow, tenant: uuid.UUID) -> uuid.UUID:
    """The tenant with the shipped approval rules installed (as a tenant administrator would)."""
    await flow.install_rules(tenant)
    return tenant
