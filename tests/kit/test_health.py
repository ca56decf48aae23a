"""Readiness reflects real dependencies: a reachable Redis and database answer 200; an unreachable
one answers 503 naming the failing check, while liveness stays 200."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from tests.conftest import make_settings
from vextrus.kit.app import build_app


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def ready(tmp_path: Path, **overrides: object) -> tuple[int, dict[str, object], int]:
    database = overrides.pop("database_url", f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    app = build_app([], make_settings(str(database), tmp_path, ready_check_timeout_seconds=1.0, **overrides))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
            response = await client.get("/health/ready")
            live = await client.get("/health/live")
    return response.status_code, response.json(), live.status_code


@pytest.mark.skipif(not redis_available(), reason="no Redis on 127.0.0.1:6379")
async def test_ready_with_real_redis(tmp_path: Path) -> None:
    status, body, _ = await ready(tmp_path, cache_url="redis://127.0.0.1:6379/15")
    assert status == 200
    assert body["checks"]["cache"]["backend"] == "redis"  # type: ignore[index]


async def test_unreachable_cache_makes_the_service_unready(tmp_path: Path) -> None:
    status, body, live = await ready(tmp_path, cache_url=f"redis://127.0.0.1:{closed_port()}/0")
    assert status == 503
    assert body["status"] == "error"
    assert body["failing"] == ["cache"]
    assert body["checks"]["database"]["status"] == "ok"  # type: ignore[index]
    assert live == 200


async def test_unreachable_database_makes_the_service_unready(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port()}/nothing"
    status, body, live = await ready(tmp_path, database_url=url)
    assert status == 503
    assert body["failing"] == ["database"]
    assert "error" in body["checks"]["database"]  # type: ignore[index]
    assert live == 200


async def test_liveness_fails_above_the_memory_limit(tmp_path: Path) -> None:
    app = build_app([], make_settings(f"sqlite+aiosqlite:///{tmp_path / 'h.db'}", tmp_path, live_memory_limit_mb=64))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
        response = await client.get("/health/live")
    assert response.status_code == 503
    assert response.json()["checks"]["memory"]["status"] == "error"
