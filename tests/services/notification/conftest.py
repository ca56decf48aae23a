"""Fixtures of the notification tests: a real SMTP server (aiosmtpd) and a local BulkSMSBD API
server on free loopback ports, and an app serving the notification service with the services it
talks to (auth for recipients, files for attachments, workflow and rules for real task events),
once per backend. Its settings point the channels at those servers and make retries quick."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from notification_support import Notify, SmsGateway, SmsServer, SmtpServer
from sqlalchemy.engine import make_url
from tests.conftest import APP_ROLE, BACKENDS, PostgresServer, make_settings

from vextrus.kit.app import build_app
from vextrus.kit.db import Database
from vextrus.kit.migrations import trees_for, upgrade
from vextrus.kit.models import PLATFORM_SCHEMA
from vextrus.services.auth import service as auth_service
from vextrus.services.files import service as files_service
from vextrus.services.notification import service as notification_service
from vextrus.services.organization import service as organization_service
from vextrus.services.rules import service as rules_service
from vextrus.services.workflow import service as workflow_service

SERVICES = [notification_service, auth_service, organization_service, files_service, workflow_service, rules_service]
SMS_KEY = "test-api-key-7Hq2"
SMS_SENDER = "8809617000000"


async def _migrate(url: str, app_role: str | None = None) -> None:
    database = Database(url, [PLATFORM_SCHEMA, *(service.schema for service in SERVICES)])
    try:
        await upgrade(database, trees_for(SERVICES), app_role=app_role)
    finally:
        await database.dispose()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sms_server() -> Iterator[SmsServer]:
    server = SmsServer(SmsGateway(api_key=SMS_KEY, sender_id=SMS_SENDER))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session", params=BACKENDS)
async def notify(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    smtp_server: SmtpServer,
    sms_server: SmsServer,
) -> AsyncIterator[Notify]:
    backend: str = request.param
    workdir = tmp_path_factory.mktemp(f"notification-{backend}")
    server: PostgresServer | None = None
    urls: list[str] = []
    if backend == "sqlite":
        app_url = f"sqlite+aiosqlite:///{workdir / 'vextrus.db'}"
        await _migrate(app_url)
    else:
        server = request.getfixturevalue("postgres_server")
        url = await server.create("vextrus_ntf")
        urls.append(url)
        await server.ensure_app_role()
        await _migrate(url, APP_ROLE)
        urls.append(await server.create_named(f"{make_url(url).database}_dbos", owner=APP_ROLE))
        app_url = make_url(url).set(username=APP_ROLE).render_as_string(hide_password=False)
    settings = {
        "auth": {"argon2_time_cost": 1, "argon2_memory_kib": 8192, "argon2_parallelism": 1},
        "files": {"storage_url": f"file://{workdir / 'files'}", "url_key_path": workdir / "keys" / "files-url-key"},
        "notification": {
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_server.port,
            "smtp_from": "Meghna Group <noreply@meghna.com.bd>",
            "sms_provider": "bulksmsbd",
            "sms_url": sms_server.url,
            "sms_api_key": SMS_KEY,
            "sms_sender_id": SMS_SENDER,
            "worker_poll_seconds": 0.05,
            "retry_base_seconds": 0.1,
            "retry_max_seconds": 0.4,
            "max_attempts": 3,
            "role_fan_out_max_users": 3,  # small: the cap is reached with four holders
        },
    }
    app = build_app(SERVICES, make_settings(app_url, workdir), service_settings=settings)
    try:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app, raise_app_exceptions=False), base_url="http://vextrus.test"
            ) as client:
                yield Notify(backend, app, client, smtp_server, sms_server.gateway)
    finally:
        if server is not None:
            for url in reversed(urls):
                await server.drop(url)


@pytest.fixture
def tenant() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture(autouse=True)
def _fresh_servers(smtp_server: SmtpServer, sms_server: SmsServer) -> None:
    """Each test starts with an empty mailbox and SMS log, and servers that accept everything."""
    mailbox = smtp_server.mailbox
    mailbox.messages.clear()
    mailbox.refuse.clear()
    mailbox.temporary_failures = 0
    with sms_server.gateway.lock:
        sms_server.gateway.received.clear()
        sms_server.gateway.script.clear()
