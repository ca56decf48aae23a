"""Test fixtures: the whole platform on a migrated database, once per test session per backend.

Backends: SQLite always; PostgreSQL when ``VEXTRUS_TEST_DATABASE_URL`` names a server (a fresh
database is created for the session and dropped after). With ``VEXTRUS_REQUIRE_POSTGRES=1`` (CI)
a missing or unreachable PostgreSQL fails the run instead of skipping.

Tests are isolated by tenant: each test acts in a fresh tenant (``tenant`` fixture), so the
requests under test commit for real, exactly as in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from tests.kafka_broker import *  # noqa: F403  (broker fixtures)
from vextrus.kit.app import build_app
from vextrus.kit.db import Database
from vextrus.kit.migrations import trees_for, upgrade
from vextrus.kit.models import PLATFORM_SCHEMA
from vextrus.kit.runtime import Runtime
from vextrus.kit.service import Registry, load_registry
from vextrus.kit.settings import Settings, load_settings
from vextrus.kit.tenancy import Principal

POSTGRES_URL = os.environ.get("VEXTRUS_TEST_DATABASE_URL", "").strip()
REQUIRE_POSTGRES = os.environ.get("VEXTRUS_REQUIRE_POSTGRES", "") in ("1", "true", "yes")
BACKENDS = ["sqlite", "postgresql"]
APP_ROLE = "vextrus_app_test"


def pytest_configure(config: pytest.Config) -> None:
    if REQUIRE_POSTGRES and not POSTGRES_URL:
        raise pytest.UsageError("VEXTRUS_REQUIRE_POSTGRES=1 but VEXTRUS_TEST_DATABASE_URL is not set")


def asyncpg_dsn(url: str) -> str:
    """A SQLAlchemy URL (postgresql+asyncpg://...) as a plain libpq DSN for asyncpg."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry()


class PostgresServer:
    """Creates and drops throw-away databases on the PostgreSQL named by the test URL."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)

    async def create(self, prefix: str = "vextrus_test") -> str:
        return await self.create_named(f"{prefix}_{uuid.uuid4().hex[:10]}")

    async def create_named(self, name: str, owner: str | None = None) -> str:
        connection = await asyncpg.connect(asyncpg_dsn(self.url.render_as_string(hide_password=False)))
        try:
            await connection.execute(f'CREATE DATABASE "{name}"' + (f' OWNER "{owner}"' if owner else ""))
        finally:
            await connection.close()
        return self.url.set(database=name).render_as_string(hide_password=False)

    async def ensure_app_role(self) -> None:
        """The login role the platform runs as under test: no superuser, no BYPASSRLS."""
        connection = await asyncpg.connect(asyncpg_dsn(self.url.render_as_string(hide_password=False)))
        try:
            exists = await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", APP_ROLE)
            if not exists:
                # another test session may create it meanwhile
                with contextlib.suppress(asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):
                    await connection.execute(f'CREATE ROLE "{APP_ROLE}" LOGIN NOSUPERUSER NOBYPASSRLS')
        finally:
            await connection.close()

    async def drop(self, url: str) -> None:
        name = make_url(url).database
        connection = await asyncpg.connect(asyncpg_dsn(self.url.render_as_string(hide_password=False)))
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()


async def _ping_postgres(url: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url), timeout=5)
    await connection.close()


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    """The PostgreSQL server under test; skips (or, when required, fails) if there is none."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured (set VEXTRUS_TEST_DATABASE_URL)")
    try:
        # A fixture may be requested from inside the running loop: ping on a loop of its own.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, _ping_postgres(POSTGRES_URL)).result()
    except (OSError, asyncpg.PostgresError) as error:
        message = f"PostgreSQL at {make_url(POSTGRES_URL).render_as_string()} is unreachable: {error}"
        if REQUIRE_POSTGRES:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return PostgresServer(POSTGRES_URL)


@pytest.fixture
async def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of the backend named by the test's ``backend`` parameter."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = await server.create("vextrus_fresh")
    try:
        yield url
    finally:
        await server.drop(url)


# Services' own settings under test: cheap password hashing (the cost is benchmarked, not tested).
# The scheduler's loop is off (tests tick it with their own clock); the gateway's rate limits would
# throttle a suite that makes thousands of requests as one client (they have tests of their own).
TEST_SERVICE_SETTINGS: dict[str, dict[str, object]] = {
    "auth": {"argon2_time_cost": 1, "argon2_memory_kib": 8192, "argon2_parallelism": 1},
    "gateway": {"rate_limit_enabled": False},
    "scheduler": {"runner_enabled": False},
    "notification": {"worker_enabled": False},  # its own tests run the worker against local SMTP/SMS servers
}


def service_settings_for(workdir: Path) -> dict[str, dict[str, object]]:
    """TEST_SERVICE_SETTINGS plus every file a service keeps, under the test's own directory."""
    return {
        **TEST_SERVICE_SETTINGS,
        "files": {"storage_url": f"file://{workdir / 'files'}", "url_key_path": workdir / "keys" / "files-url-key"},
        "exchange": {"storage_dir": workdir / "exchange", "batch_rows": 40},
    }


def make_settings(database_url: str, key_dir: Path, **overrides: object) -> Settings:
    return load_settings(
        env="test",
        database_url=database_url,
        signing_key_path=key_dir / "signing-key.pem",
        log_level="WARNING",
        outbox_poll_seconds=0.05,
        **overrides,
    )


@dataclass
class Platform:
    """The running platform under test, with helpers to act as a user of some tenant."""

    backend: str
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    def token(
        self,
        tenant_id: uuid.UUID,
        permissions: Iterable[str] = ("*",),
        *,
        subject: uuid.UUID | None = None,
        ttl_seconds: int | None = None,
        company_ids: Iterable[uuid.UUID] = (),
        roles: Iterable[str] = (),
    ) -> str:
        """A signed access token, as the auth service would issue it (companies: primary first)."""
        assert self.runtime.issuer is not None
        principal = Principal(
            subject=subject or uuid.uuid4(),
            tenant_id=tenant_id,
            permissions=frozenset(permissions),
            roles=tuple(roles),
            company_ids=tuple(company_ids),
        )
        return self.runtime.issuer.issue(principal, ttl_seconds)

    def headers(
        self,
        tenant_id: uuid.UUID,
        permissions: Iterable[str] = ("*",),
        *,
        subject: uuid.UUID | None = None,
        company_ids: Iterable[uuid.UUID] = (),
        roles: Iterable[str] = (),
        **extra: str,
    ) -> dict[str, str]:
        token = self.token(tenant_id, permissions, subject=subject, company_ids=company_ids, roles=roles)
        return {"Authorization": f"Bearer {token}", **extra}


async def migrate(url: str, registry: Registry, app_role: str | None = None) -> None:
    database = Database(url, [PLATFORM_SCHEMA, *(service.schema for service in registry)])
    try:
        await upgrade(database, trees_for(list(registry)), app_role=app_role)
    finally:
        await database.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
async def platform(
    request: pytest.FixtureRequest, registry: Registry, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Platform]:
    """Every registered service in one app (embedded mode) on a migrated database."""
    backend: str = request.param
    workdir = tmp_path_factory.mktemp(f"platform-{backend}")
    server: PostgresServer | None = None
    extra_urls: list[str] = []
    if backend == "sqlite":
        url = app_url = f"sqlite+aiosqlite:///{workdir / 'vextrus.db'}"
        await migrate(url, registry)
    else:
        # As in production: migrations run as the owner, the services as a role that row-level
        # security binds (a superuser would bypass every policy and hide a missing one).
        server = request.getfixturevalue("postgres_server")
        url = await server.create()
        await server.ensure_app_role()
        await migrate(url, registry, app_role=APP_ROLE)
        # the workflow service's durable runtime keeps its state in a database of its own
        extra_urls.append(await server.create_named(f"{make_url(url).database}_dbos", owner=APP_ROLE))
        app_url = make_url(url).set(username=APP_ROLE).render_as_string(hide_password=False)
    app = build_app(list(registry), make_settings(app_url, workdir), service_settings=service_settings_for(workdir))
    try:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app, raise_app_exceptions=False), base_url="http://vextrus.test"
            ) as client:
                yield Platform(backend, app, client)
    finally:
        if server is not None:
            for extra_url in extra_urls:
                await server.drop(extra_url)
            await server.drop(url)


@pytest.fixture
def client(platform: Platform) -> httpx.AsyncClient:
    return platform.client


@pytest.fixture
def tenant() -> uuid.UUID:
    """A fresh tenant for this test: nothing another test wrote is visible to it."""
    return uuid.uuid4()
