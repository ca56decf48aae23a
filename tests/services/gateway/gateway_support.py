"""Helpers of the gateway tests: real servers in subprocesses, the gateway in process (in front of
them over real sockets), tokens, and reading the gateway's metrics and events."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from prometheus_client import REGISTRY
from sqlalchemy import select
from tests.conftest import make_settings

from vextrus.kit.app import build_app
from vextrus.kit.db import Database
from vextrus.kit.events.models import OutboxEvent
from vextrus.kit.migrations import platform_tree, upgrade
from vextrus.kit.models import PLATFORM_SCHEMA
from vextrus.kit.runtime import Runtime
from vextrus.kit.security import SigningKey, TokenIssuer
from vextrus.kit.service import Service
from vextrus.kit.settings import load_settings
from vextrus.kit.tenancy import Principal
from vextrus.services.gateway import service as gateway_service

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
PYTHON = sys.executable
SERVERS = HERE / "gateway_servers.py"
PROBE_KEY = "/api/v1/probe"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_http(url: str, limit_seconds: float = 60.0, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + limit_seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {limit_seconds} s")


class Process:
    """A server in a subprocess on a fixed port: start, kill (SIGKILL), start again."""

    def __init__(
        self,
        args: list[str],
        port: int,
        log: Path,
        env: Mapping[str, str] | None = None,
        ready_path: str = "/health",
    ) -> None:
        self.args = args
        self.port = port
        self.env = {**os.environ, **(env or {})}
        self.ready_path = ready_path
        self.process: subprocess.Popen[bytes] | None = None
        self.log = log  # the server's output, shown when it fails to start

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 60.0) -> Process:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(self.args, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_http(self.url + self.ready_path, timeout, self.process)
        except Exception:
            self.stop()
            raise RuntimeError(f"{self.args}: not ready; log:\n{self.log.read_text()[-3000:]}") from None
        return self

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def probe_process(workdir: Path, keys: Path) -> Process:
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    args = [PYTHON, str(SERVERS), "probe", "--port", str(port), "--workdir", str(workdir), "--keys", str(keys)]
    return Process(args, port, workdir / "probe.log")


def gateway_process(workdir: Path, env: Mapping[str, str]) -> Process:
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    args = [PYTHON, str(SERVERS), "gateway", "--port", str(port), "--workdir", str(workdir)]
    return Process(args, port, workdir / "gateway.log", env={"VEXTRUS_LOG_LEVEL": "WARNING", **env})


def issuer_for(keys: Path) -> TokenIssuer:
    settings = load_settings(env="test", signing_key_path=keys / "signing-key.pem")
    return TokenIssuer(SigningKey.load_or_create(keys / "signing-key.pem"), settings)


def bearer(
    issuer: TokenIssuer, tenant: uuid.UUID | None = None, *permissions: str, subject: uuid.UUID | None = None
) -> dict[str, str]:
    principal = Principal(
        subject=subject or uuid.uuid4(),
        tenant_id=tenant or uuid.uuid4(),
        permissions=frozenset(permissions or ("*",)),
    )
    return {"Authorization": f"Bearer {issuer.issue(principal)}"}


async def migrate_platform(url: str, services: Iterable[Service] = ()) -> None:
    from vextrus.kit.migrations import trees_for

    services = list(services)
    database = Database(url, [PLATFORM_SCHEMA, *(service.schema for service in services)])
    try:
        await upgrade(database, trees_for(services) if services else [platform_tree()])
    finally:
        await database.dispose()


@dataclass
class Gateway:
    app: FastAPI
    client: httpx.AsyncClient
    url: str | None = None

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    @property
    def edge(self) -> Any:
        return self.app.state.gateway


@contextlib.asynccontextmanager
async def gateway(
    workdir: Path,
    *,
    services: Iterable[Service] = (),
    gateway_settings: Mapping[str, object] | None = None,
    serve: bool = False,
    database_url: str | None = None,
    **settings: object,
) -> AsyncIterator[Gateway]:
    """The gateway (with ``services`` in the same process) on a migrated database (a new SQLite
    file unless ``database_url`` names an empty one), reached through ASGI or, with ``serve``, a
    real uvicorn server on a loopback port (own thread)."""
    await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
    local = [*services, gateway_service]
    url = database_url or f"sqlite+aiosqlite:///{workdir / f'gateway-{uuid.uuid4().hex[:8]}.db'}"
    await migrate_platform(url, [service for service in local if service.metadata is not None])
    app_settings = make_settings(url, workdir, **settings)
    app = build_app(local, app_settings, service_settings={"gateway": dict(gateway_settings or {})})
    if not serve:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app, raise_app_exceptions=False, client=("203.0.113.7", 5555))
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test", timeout=30) as client:
                handle = Gateway(app, client)
                await client.get("/health")  # builds the middleware stack (the edge)
                yield handle
                await settle(handle.runtime)
        return
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False, loop="asyncio")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    await asyncio.to_thread(wait_http, base + "/health", 30.0)
    try:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            yield Gateway(app, client, base)
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 15)


async def settle(runtime: Runtime, limit_seconds: float = 5.0) -> None:
    """Wait until the outbox relay has nothing pending, so the app stops between relay rounds."""
    deadline = time.monotonic() + limit_seconds
    while time.monotonic() < deadline:
        backlog = await runtime.relay.backlog()
        if all(item["pending"] == 0 for item in backlog.values()):
            await asyncio.sleep(0.1)
            return
        await asyncio.sleep(0.05)


def sample(name: str, labels: Mapping[str, str]) -> float:
    """The current value of a metric sample in this process (0 when absent)."""
    value = REGISTRY.get_sample_value(name, dict(labels))
    return float(value or 0.0)


async def gateway_events(handle: Gateway, topic: str) -> list[dict[str, Any]]:
    """The payloads of the gateway's outbox events of ``topic``, oldest first (once the events being
    written have been), each with its envelope's ``tenantid`` as ``_tenantid``."""
    pending = set(handle.edge._tasks)
    if pending:
        await asyncio.wait(pending, timeout=10)
    async with handle.runtime.database.transaction() as session:
        rows = (
            await session.execute(
                select(OutboxEvent.envelope).where(OutboxEvent.topic == topic).order_by(OutboxEvent.created_at)
            )
        ).scalars()
        return [json.loads(row)["data"] | {"_tenantid": json.loads(row).get("tenantid")} for row in rows]


async def eventually(predicate: Any, limit_seconds: float = 5.0) -> Any:
    deadline = time.monotonic() + limit_seconds
    while True:
        result = await predicate()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.05)
