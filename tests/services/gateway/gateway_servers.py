"""Real servers for the gateway tests, each in a process of its own:

- ``python tests/services/gateway/gateway_servers.py probe --port N --workdir DIR --keys DIR``: a
  small kit service put behind the gateway. It verifies tokens like every service (its signing
  key lives in ``--keys``; it publishes the JWKS) and has routes to echo what it received, answer
  slowly, fail, stream large answers and swallow large uploads without keeping them.
- ``... gateway --port N --workdir DIR``: the gateway service alone (distributed mode), configured
  by the environment (``VEXTRUS_SERVICE_URLS``, ``VEXTRUS_GATEWAY_*``), as ``vextrus serve gateway``
  runs it once the gateway is registered.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import uvicorn
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from vextrus.kit.app import build_app
from vextrus.kit.db import Database
from vextrus.kit.migrations import platform_tree, upgrade
from vextrus.kit.models import PLATFORM_SCHEMA
from vextrus.kit.security import PUBLIC, require
from vextrus.kit.service import Service
from vextrus.kit.settings import load_settings
from vextrus.kit.tenancy import Principal

router = APIRouter(prefix="/api/v1/probe")
HITS: dict[str, int] = {}
CHUNK = b"v" * 65536


@router.api_route("/echo", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
async def echo(request: Request, _: object = PUBLIC) -> JSONResponse:
    body = await request.body()
    key = request.headers.get("x-probe-key", "")
    HITS[key] = HITS.get(key, 0) + 1
    return JSONResponse(
        {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "headers": dict(request.headers),
            "body_bytes": len(body),
            "hits": HITS[key],
            "pid": os.getpid(),
        }
    )


@router.get("/whoami")
async def whoami(principal: Principal = require("probe.self.read")) -> dict[str, str]:
    return {"tenant": str(principal.tenant_id), "subject": str(principal.subject)}


@router.get("/slow")
async def slow(seconds: Annotated[float, Query(ge=0, le=60)] = 1.0, _: object = PUBLIC) -> dict[str, float]:
    await asyncio.sleep(seconds)
    return {"slept": seconds}


@router.get("/status/{code}")
async def status(code: int, _: object = PUBLIC) -> Response:
    return JSONResponse({"status": code}, status_code=code)


@router.get("/download")
async def download(megabytes: Annotated[int, Query(ge=1, le=4096)] = 1, _: object = PUBLIC) -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(megabytes * 16):
            yield CHUNK

    return StreamingResponse(chunks(), media_type="application/octet-stream")


@router.post("/upload")
async def upload(request: Request, _: object = PUBLIC) -> dict[str, object]:
    digest = hashlib.sha256()
    size = 0
    async for chunk in request.stream():
        digest.update(chunk)
        size += len(chunk)
    return {"bytes": size, "sha256": digest.hexdigest()}


PROBE = Service(name="probe", port=39007, title="Gateway probe", router=router, permissions={"probe.self.read": ""})


async def migrate(url: str) -> None:
    database = Database(url, [PLATFORM_SCHEMA])
    try:
        await upgrade(database, [platform_tree()])
    finally:
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["probe", "gateway"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--keys", type=Path)
    args = parser.parse_args()
    database_url = f"sqlite+aiosqlite:///{args.workdir / f'{args.role}.db'}"
    if args.role == "probe":
        settings = load_settings(
            env="test",
            database_url=database_url,
            signing_key_path=args.keys / "signing-key.pem",
            log_level="WARNING",
        )
        services = [PROBE]
    else:
        from vextrus.services.gateway import service as gateway

        settings = load_settings(database_url=database_url)
        services = [gateway]
    asyncio.run(migrate(settings.database_url))
    app = build_app(services, settings)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_config=None, access_log=False, timeout_keep_alive=30)


if __name__ == "__main__":
    main()
