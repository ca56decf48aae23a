"""Auth benchmark: logins per second at the configured argon2 cost, access-token verifications per
second, and the authorization overhead per request.

1. **Password hashing**: argon2id verifications/s with the auth service's default cost
   (``AuthSettings``: t=3, m=64 MiB, p=4 unless VEXTRUS_AUTH_ARGON2_* say otherwise), one at a time
   and with several in flight (they run in worker threads).
2. **Logins**: ``POST /api/v1/auth/login`` end to end, in process (ASGI, every service embedded, a
   fresh SQLite database), at 1 and ``--concurrency`` requests in flight.
3. **Token verification**: ``TokenVerifier.verify`` of distinct tokens (EdDSA signature checked every
   time) and of one token again (the verifier's cache).
4. **Authorization overhead**: p50 of a protected route (``require(...)``: bearer token verified,
   permission checked) minus p50 of the same route marked ``PUBLIC``, both served by the kit through
   ASGI, interleaved; with a repeated token (cached, the common case) and a fresh token per request.
   Target: < 0.2 ms.

Run: ``.venv/bin/python bench/auth_login.py [--logins 40] [--concurrency 4] [--requests 5000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter

from vextrus.kit.app import build_app
from vextrus.kit.migrations import trees_for, upgrade
from vextrus.kit.security import PUBLIC, require
from vextrus.kit.service import Service, load_registry
from vextrus.kit.settings import load_settings
from vextrus.kit.tenancy import Principal
from vextrus.services.auth.passwords import Passwords
from vextrus.services.auth.settings import AuthSettings

PASSWORD = "Meghna-Bench-2026"


def _settings(workdir: Path) -> Any:
    return load_settings(
        env="test",
        database_url=f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
        signing_key_path=workdir / "keys" / "signing-key.pem",
        log_level="ERROR",
    )


async def bench_hashing(settings: AuthSettings, rounds: int, concurrency: int) -> dict[str, float]:
    passwords = Passwords.for_settings(settings)
    stored = await passwords.hash(PASSWORD)
    started = time.perf_counter()
    for _ in range(rounds):
        assert await passwords.verify(stored, PASSWORD)
    serial = rounds / (time.perf_counter() - started)
    started = time.perf_counter()
    await asyncio.gather(*(passwords.verify(stored, PASSWORD) for _ in range(rounds)))
    parallel = rounds / (time.perf_counter() - started)
    return {"verify_per_second": serial, "verify_per_second_parallel": parallel, "verify_ms": 1000 / serial}


async def bench_logins(workdir: Path, logins: int, concurrency: int) -> dict[str, float]:
    services = list(load_registry())
    app = build_app(services, _settings(workdir))  # production argon2 cost: no overrides
    runtime = app.state.runtime
    await upgrade(runtime.database, trees_for(services))
    # No outbox relay (the app's lifespan is not entered): delivery is not what is measured.
    await runtime.transport.start()
    try:
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            email = f"bench-{uuid.uuid4().hex[:8]}@example.com.bd"
            signup = await client.post(
                "/api/v1/auth/signup",
                json={
                    "organization": {"name": "Bench Builders", "slug": f"bench-{uuid.uuid4().hex[:8]}"},
                    "user": {"email": email, "password": PASSWORD, "full_name": "Bench User"},
                },
            )
            assert signup.status_code == 201, signup.text

            async def one() -> float:
                started = time.perf_counter()
                response = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
                assert response.status_code == 200, response.text
                return time.perf_counter() - started

            await one()
            started = time.perf_counter()
            serial = [await one() for _ in range(logins)]
            serial_rate = logins / (time.perf_counter() - started)
            started = time.perf_counter()
            semaphore = asyncio.Semaphore(concurrency)

            async def limited() -> float:
                async with semaphore:
                    return await one()

            await asyncio.gather(*(limited() for _ in range(logins)))
            parallel_rate = logins / (time.perf_counter() - started)
    finally:
        await runtime.clients.close()
        await runtime.transport.stop()
        await runtime.database.dispose()
    return {
        "logins_per_second": serial_rate,
        "login_p50_ms": statistics.median(serial) * 1000,
        "logins_per_second_parallel": parallel_rate,
    }


async def bench_verification(workdir: Path, tokens: int) -> dict[str, float]:
    app = build_app([], _settings(workdir), name="bench")
    runtime = app.state.runtime
    tenant = uuid.uuid4()
    issued = [
        runtime.issuer.issue(
            Principal(
                subject=uuid.uuid4(),
                tenant_id=tenant,
                permissions=frozenset({"finance.*", "*.*.read", "auth.self.read", "auth.self.manage"}),
                roles=("accountant",),
                company_ids=(uuid.uuid4(), uuid.uuid4()),
                email="shirin.akter@meghna.com.bd",
            )
        )
        for _ in range(tokens)
    ]
    started = time.perf_counter()
    for token in issued:
        await runtime.verifier.verify(token)
    fresh = tokens / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(tokens):
        await runtime.verifier.verify(issued[0])
    cached = tokens / (time.perf_counter() - started)
    return {"verify_fresh_per_second": fresh, "verify_cached_per_second": cached}


def _overhead_service() -> Service:
    router = APIRouter(prefix="/bench")

    @router.get("/public")
    async def public(_: None = PUBLIC) -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/protected")
    async def protected(principal: Principal = require("bench.item.read")) -> dict[str, str]:
        return {"status": "ok"}

    return Service(
        name="bench", port=39_999, title="Bench", router=router, permissions={"bench.item.read": "Benchmark"}
    )


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


async def _call(app: Any, path: str, headers: list[tuple[bytes, bytes]]) -> float:
    status = [0]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status[0] = message["status"]

    started = time.perf_counter()
    await app(_scope(path, headers), receive, send)
    elapsed = time.perf_counter() - started
    assert status[0] == 200, (path, status[0])
    return elapsed


async def bench_authorization(workdir: Path, requests: int) -> dict[str, float]:
    app = build_app([_overhead_service()], _settings(workdir), name="bench")
    runtime = app.state.runtime
    principal = Principal(
        subject=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        permissions=frozenset({"bench.item.read", "finance.*", "auth.self.read"}),
        roles=("accountant",),
        company_ids=(uuid.uuid4(),),
    )
    token = runtime.issuer.issue(principal, 7200)
    fresh_tokens = [runtime.issuer.issue(principal, 7200) for _ in range(requests)]
    base = [(b"host", b"bench"), (b"accept", b"application/json")]
    cached_headers = [*base, (b"authorization", f"Bearer {token}".encode())]
    for _ in range(500):  # warm-up
        await _call(app, "/bench/public", base)
        await _call(app, "/bench/protected", cached_headers)
    public, cached, fresh = [], [], []
    for index in range(requests):
        public.append(await _call(app, "/bench/public", base))
        cached.append(await _call(app, "/bench/protected", cached_headers))
        fresh_headers = [*base, (b"authorization", f"Bearer {fresh_tokens[index]}".encode())]
        fresh.append(await _call(app, "/bench/protected", fresh_headers))
    p50 = statistics.median
    return {
        "public_p50_ms": p50(public) * 1000,
        "protected_cached_p50_ms": p50(cached) * 1000,
        "protected_fresh_p50_ms": p50(fresh) * 1000,
        "overhead_cached_ms": (p50(cached) - p50(public)) * 1000,
        "overhead_fresh_ms": (p50(fresh) - p50(public)) * 1000,
    }


async def main(arguments: argparse.Namespace) -> None:
    settings = AuthSettings()
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}")
    print(
        f"argon2id cost: t={settings.argon2_time_cost}, m={settings.argon2_memory_kib} KiB, "
        f"p={settings.argon2_parallelism}"
    )
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        hashing = await bench_hashing(settings, arguments.hashes, arguments.concurrency)
        print(
            f"password verification: {hashing['verify_per_second']:.1f}/s one at a time "
            f"({hashing['verify_ms']:.0f} ms each), {hashing['verify_per_second_parallel']:.1f}/s "
            f"with {arguments.hashes} in flight"
        )
        logins = await bench_logins(workdir / "login", arguments.logins, arguments.concurrency)
        print(
            f"logins: {logins['logins_per_second']:.1f}/s one at a time (p50 {logins['login_p50_ms']:.0f} ms), "
            f"{logins['logins_per_second_parallel']:.1f}/s with {arguments.concurrency} in flight"
        )
        verification = await bench_verification(workdir / "verify", arguments.tokens)
        print(
            f"token verification: {verification['verify_fresh_per_second']:,.0f}/s (signature checked), "
            f"{verification['verify_cached_per_second']:,.0f}/s (cached)"
        )
        overhead = await bench_authorization(workdir / "overhead", arguments.requests)
        print(
            f"authorization overhead (p50 protected - p50 public; public {overhead['public_p50_ms']:.3f} ms): "
            f"{overhead['overhead_cached_ms']:.3f} ms with a repeated token, "
            f"{overhead['overhead_fresh_ms']:.3f} ms with a fresh token each request (target < 0.2 ms)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hashes", type=int, default=20, help="argon2 verifications per measurement")
    parser.add_argument("--logins", type=int, default=30, help="logins per measurement")
    parser.add_argument("--concurrency", type=int, default=4, help="logins in flight in the parallel run")
    parser.add_argument("--tokens", type=int, default=5000, help="tokens verified per measurement")
    parser.add_argument("--requests", type=int, default=5000, help="requests per route for the overhead")
    asyncio.run(main(parser.parse_args()))
