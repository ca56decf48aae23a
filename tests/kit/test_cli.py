"""The `vextrus` command, run as a real process: version, services, settings errors, migrate,
seed, and serve (embedded and one service alone) answering on a real socket."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from vextrus.kit.security import TokenVerifier
from vextrus.kit.service import load_registry
from vextrus.kit.settings import load_settings


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("VEXTRUS_")}
    environment.update(
        VEXTRUS_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        VEXTRUS_SIGNING_KEY_PATH=str(tmp_path / "keys" / "signing-key.pem"),
        VEXTRUS_LOG_LEVEL="INFO",
    )
    return environment


def vextrus(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vextrus", *args], env=env, capture_output=True, text=True, timeout=120, cwd=cwd
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_version(env: dict[str, str]) -> None:
    result = vextrus(env, "--version")
    assert result.returncode == 0
    assert result.stdout.startswith("vextrus ")


def test_services_lists_every_registered_service_with_its_port(env: dict[str, str]) -> None:
    result = vextrus(env, "services")
    assert result.returncode == 0
    lines = [line.split() for line in result.stdout.strip().splitlines()]
    assert lines == [[service.name, str(service.port)] for service in load_registry()]


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("VEXTRUS_DATABASE_URL", "mysql://localhost/erp", "VEXTRUS_DATABASE_URL"),
        ("VEXTRUS_EVENT_BUS", "rabbit://x", "VEXTRUS_EVENT_BUS"),
        ("VEXTRUS_CACHE_URL", "memcached://x", "VEXTRUS_CACHE_URL"),
        ("VEXTRUS_ENV", "prod", "VEXTRUS_ENV"),
        ("VEXTRUS_DB_POOL_SIZE", "lots", "VEXTRUS_DB_POOL_SIZE"),
    ],
)
def test_invalid_settings_fail_with_one_readable_line(
    env: dict[str, str], variable: str, value: str, named: str
) -> None:
    env[variable] = value
    result = vextrus(env, "migrate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: invalid settings:")
    assert named in lines[0]


@pytest.mark.parametrize("command", [["serve", "finanse"], ["migrate", "nope"]])
def test_unknown_service_names_are_clear_errors(env: dict[str, str], command: list[str]) -> None:
    result = vextrus(env, *command)
    assert result.returncode == 2
    assert f"unknown service '{command[1]}'" in result.stderr
    assert "Traceback" not in result.stderr


def sqlite_tables(env: dict[str, str]) -> set[str]:
    import sqlite3

    path = env["VEXTRUS_DATABASE_URL"].removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_migrate_upgrade_downgrade_and_upgrade_again(env: dict[str, str]) -> None:
    first = vextrus(env, "migrate")
    assert first.returncode == 0, first.stderr
    tables = sqlite_tables(env)
    assert {"platform_outbox", "platform_inbox", "alembic_version_platform"} <= tables
    for service in load_registry():
        if service.metadata is not None:
            assert {table.name for table in service.metadata.tables.values()} <= tables
    assert vextrus(env, "migrate").returncode == 0  # idempotent
    down = vextrus(env, "migrate", "--to", "base")
    assert down.returncode == 0, down.stderr
    assert not {name for name in sqlite_tables(env) if not name.startswith("alembic_version")}
    assert vextrus(env, "migrate").returncode == 0


def test_seed_demo_is_idempotent(env: dict[str, str]) -> None:
    assert vextrus(env, "migrate").returncode == 0
    first = vextrus(env, "seed", "demo")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("demo data loaded")
    second = vextrus(env, "seed", "demo")
    assert second.returncode == 0, second.stderr


def test_seed_on_an_unmigrated_database_says_what_to_do(env: dict[str, str]) -> None:
    result = vextrus(env, "seed", "demo")
    if any(service.seed for service in load_registry()):
        assert result.returncode == 1
        assert "vextrus migrate" in result.stderr


@pytest.fixture
def server(env: dict[str, str], request: pytest.FixtureRequest) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    names: list[str] = getattr(request, "param", [])
    assert vextrus(env, "migrate").returncode == 0
    port = free_port()
    env = {**env, "VEXTRUS_ACCESS_LOG": "true"}
    process = subprocess.Popen(
        [sys.executable, "-m", "vextrus", "serve", *names, "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("server did not start: " + (process.stderr.read() if process.stderr else ""))
    yield base, process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)


def test_serve_embedded_answers_health_ready_and_logs_json(server: tuple[str, subprocess.Popen[str]]) -> None:
    base, process = server
    health = httpx.get(f"{base}/health").json()
    assert health["service"] == "gateway"
    ready = httpx.get(f"{base}/health/ready")
    assert ready.status_code == 200
    for service in load_registry():
        for check in service.checks:
            assert any(name.endswith(check.name) for name in ready.json()["checks"])
    request_id = f"cli-test-{uuid.uuid4().hex}"
    echoed = httpx.get(f"{base}/health", headers={"X-Request-ID": request_id})
    assert echoed.headers["x-request-id"] == request_id
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=15)
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells how it ended
    assert process.returncode in (0, -signal.SIGTERM)
    assert "Traceback" not in stderr
    records = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    mine = [record for record in records if record.get("request_id") == request_id]
    assert mine, stderr[-2000:]
    assert mine[0]["service"] == "gateway"
    assert mine[0]["route"] == "/health"
    assert mine[0]["status"] == 200


@pytest.mark.parametrize("server", [[service.name] for service in list(load_registry())[:1]], indirect=True)
def test_serve_one_service_alone(server: tuple[str, subprocess.Popen[str]]) -> None:
    base, _ = server
    expected = next(iter(load_registry())).name
    assert httpx.get(f"{base}/health").json()["service"] == expected
    assert httpx.get(f"{base}/health/ready").status_code == 200


async def test_tokens_verify_against_the_published_jwks(
    env: dict[str, str], server: tuple[str, subprocess.Popen[str]]
) -> None:
    base, _ = server
    tenant = uuid.uuid4()
    issued = vextrus(env, "token", "--tenant", str(tenant), "-p", "configuration.setting.read")
    assert issued.returncode == 0, issued.stderr
    verifier = TokenVerifier(load_settings(), jwks_url=f"{base}/.well-known/jwks.json")
    principal = await verifier.verify(issued.stdout.strip())
    assert principal.tenant_id == tenant
    assert principal.has("configuration.setting.read")
    assert not principal.has("configuration.setting.write")


def test_token_is_refused_in_production(env: dict[str, str]) -> None:
    env["VEXTRUS_ENV"] = "production"
    result = vextrus(env, "token")
    assert result.returncode == 2
    assert "development" in result.stderr
