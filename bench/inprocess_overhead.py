"""Per-request server time without a server: ASGI calls straight into the apps.

Splits the kit's cost into layers (bare Starlette, kit plain route, FastAPI route, + permission,
cached configuration read) so the HTTP benchmark's gap can be attributed.
Run: ``.venv/bin/python bench/inprocess_overhead.py [--requests 10000]``
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
import time
import uuid
from typing import Annotated, Any

from fastapi import Path, Request
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from vextrus.kit.app import build_app
from vextrus.kit.migrations import trees_for, upgrade
from vextrus.kit.security import require
from vextrus.kit.service import load_registry
from vextrus.kit.settings import load_settings
from vextrus.kit.tenancy import Principal

BODY = {"key": "localization.timezone", "value": "Asia/Dhaka", "version": 0}


async def _bare_health(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok", "service": "gateway", "timestamp": dt.datetime.now(dt.UTC).isoformat()})


def _scope(path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 4000),
    }


async def _time(app: Any, path: str, requests: int, headers: list[tuple[bytes, bytes]]) -> float:
    status = [0]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status[0] = message["status"]

    for _ in range(500):
        await app(_scope(path, headers), receive, send)
    assert status[0] == 200, f"{path} answered {status[0]}"
    started = time.perf_counter()
    for _ in range(requests):
        await app(_scope(path, headers), receive, send)
    return (time.perf_counter() - started) / requests * 1e6


async def main(requests: int) -> None:
    workdir = tempfile.mkdtemp()
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{workdir}/bench.db",
        signing_key_path=f"{workdir}/key.pem",
        log_level="WARNING",
    )
    services = list(load_registry())
    kit = build_app(services, settings, name="gateway")
    await upgrade(kit.state.runtime.database, trees_for(services))

    @kit.get("/bench/plain/{key}", include_in_schema=False)
    async def plain(key: Annotated[str, Path(max_length=100)]) -> JSONResponse:
        return JSONResponse(BODY)

    @kit.get("/bench/guarded/{key}", include_in_schema=False)
    async def guarded(
        key: Annotated[str, Path(max_length=100)], principal: Principal = require("configuration.setting.read")
    ) -> JSONResponse:
        return JSONResponse(BODY)

    token = kit.state.runtime.issuer.issue(
        Principal(subject=uuid.uuid4(), tenant_id=uuid.uuid4(), permissions=frozenset({"configuration.setting.read"}))
    )
    auth = [(b"authorization", f"Bearer {token}".encode())]
    bare = Starlette(routes=[Route("/health", _bare_health)])
    rows = [
        ("bare Starlette /health", bare, "/health", []),
        ("kit /health", kit, "/health", []),
        ("kit FastAPI route, path parameter, no dependency", kit, "/bench/plain/x", []),
        ("kit FastAPI route + require()", kit, "/bench/guarded/x", auth),
        ("kit cached configuration read", kit, "/api/v1/configuration/settings/localization.timezone", auth),
    ]
    for label, app, path, headers in rows:
        print(f"{label:<52} {await _time(app, path, requests, headers):8.1f} us/request")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=10_000)
    asyncio.run(main(parser.parse_args().requests))
