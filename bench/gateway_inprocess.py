"""Embedded mode, per-request server time without a server (ASGI calls straight into the app):
what the kit's dispatch by route key saves over the router's linear match, and what the gateway's
edge (header stripping, credentials, memory rate limits, metrics) costs on top.

Apps: every registered service in one app (as ``vextrus serve``) with the router's linear match
(``linear``), with dispatch by prefix (``dispatch``), and with the gateway's edge too (``edge``;
rate limits on, in memory, high enough never to refuse). Paths: ``/health`` and the cached
configuration read with a bearer token. Rounds alternate the apps; medians are reported.

    .venv/bin/python bench/gateway_inprocess.py [--requests 3000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from typing import Any

from vextrus.kit.app import build_app
from vextrus.kit.migrations import trees_for, upgrade
from vextrus.kit.service import load_registry
from vextrus.kit.settings import load_settings
from vextrus.kit.tenancy import Principal
from vextrus.services.gateway import service as gateway

CONFIG_READ = "/api/v1/configuration/settings/localization.timezone"
NO_LIMITS = {
    "rate_limit_ip_burst": 10**9,
    "rate_limit_user_burst": 10**9,
    "rate_limit_tenant_burst": 10**9,
}


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

    await app(_scope(path, headers), receive, send)
    assert status[0] == 200, f"{path} answered {status[0]}"
    started = time.perf_counter()
    for _ in range(requests):
        await app(_scope(path, headers), receive, send)
    return (time.perf_counter() - started) / requests * 1e6


async def main(requests: int, rounds: int) -> None:
    workdir = tempfile.mkdtemp()
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{workdir}/bench.db",
        signing_key_path=f"{workdir}/key.pem",
        log_level="ERROR",
    )
    services = [service for service in load_registry() if service.name != gateway.name]
    linear = build_app(services, settings, name="gateway")
    await upgrade(linear.state.runtime.database, trees_for(services))
    linear.router.middleware_stack = linear.router.app  # the router's own linear match
    dispatch = build_app(services, settings, name="gateway")
    edge = build_app([*services, gateway], settings, name="gateway", service_settings={"gateway": NO_LIMITS})
    issuer = dispatch.state.runtime.issuer
    token = issuer.issue(
        Principal(subject=uuid.uuid4(), tenant_id=uuid.uuid4(), permissions=frozenset({"configuration.setting.read"}))
    )
    auth = [(b"authorization", f"Bearer {token}".encode())]
    apps = {"linear": linear, "dispatch": dispatch, "edge": edge}
    paths = {"/health": [], CONFIG_READ: auth}
    results: dict[tuple[str, str], list[float]] = {}
    for _ in range(rounds):
        for label, app in apps.items():
            for path, headers in paths.items():
                results.setdefault((label, path), []).append(await _time(app, path, requests, headers))
    print(f"services: {', '.join(service.name for service in services)}; load average {os.getloadavg()[0]:.2f}")
    print(f"{'app':<10} {'path':<56} {'µs/request (median of ' + str(rounds) + ')':>28}")
    for (label, path), values in results.items():
        print(f"{label:<10} {path:<56} {statistics.median(values):>28.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.requests, arguments.rounds))
