"""A bare Starlette app (no FastAPI, no middleware) that answers the same JSON as the kit's
``GET /health`` and ``GET /api/v1/configuration/settings/{key}``: the baseline of
bench/http_overhead.py.

It serves what the real server answered, read once at start-up from the JSON file named by
``VEXTRUS_BENCH_FIXTURE``::

    {"service": "gateway", "version": "0.1.0",
     "settings": {"localization.timezone": {"body": {...}, "etag": "\\"1\\""}}}

Run: ``VEXTRUS_BENCH_FIXTURE=fixture.json uvicorn bench.bare_app:app`` (or ``--app-dir bench bare_app:app``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

FIXTURE_VARIABLE = "VEXTRUS_BENCH_FIXTURE"


def load_fixture() -> dict[str, Any]:
    path = os.environ.get(FIXTURE_VARIABLE)
    if not path:
        raise RuntimeError(f"set {FIXTURE_VARIABLE} to the JSON fixture written by bench/http_overhead.py")
    fixture: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return fixture


def build_app(fixture: dict[str, Any]) -> Starlette:
    service: str = fixture["service"]
    version: str = fixture["version"]
    settings: dict[str, dict[str, Any]] = fixture.get("settings", {})

    async def health(_: Request) -> JSONResponse:
        return JSONResponse(
            {"status": "ok", "service": service, "version": version, "timestamp": dt.datetime.now(dt.UTC).isoformat()}
        )

    async def setting(request: Request) -> JSONResponse:
        stored = settings.get(request.path_params["key"])
        if stored is None:
            return JSONResponse({"status": 404, "title": "Not Found"}, status_code=404)
        headers = {"ETag": stored["etag"]} if stored.get("etag") else None
        return JSONResponse(stored["body"], headers=headers)

    return Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/api/v1/configuration/settings/{key}", setting, methods=["GET"]),
        ]
    )


app = build_app(load_fixture())
