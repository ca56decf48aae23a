"""Workflow throughput: processes started and approvals decided per second through the API.

The app serves the workflow service alone (in-process over ASGI) on a fresh migrated database:
SQLite in a temp dir, or a throw-away PostgreSQL database (and its `_dbos` twin) with
``--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``. The definition is a static
two-step chain (department head, then finance) with SLAs, so every start creates a task and a
durable SLA timer, and every approval takes the tenant's lock, counts the quorum and moves on.

Measured, with ``--concurrency`` clients in flight:

- **start**: ``POST /instances`` (validation, plan, rows, events, after-commit timer start);
- **approve**: ``POST /tasks/{id}/actions`` on step 1 then step 2 (the second one ends the process);
- **inbox**: ``GET /tasks?mine=true`` of a role holding the open tasks.

Run: ``.venv/bin/python bench/workflow_approvals.py [--processes 300] [--concurrency 8]``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from vextrus.kit.app import build_app
from vextrus.kit.db import Database
from vextrus.kit.migrations import trees_for, upgrade
from vextrus.kit.models import PLATFORM_SCHEMA
from vextrus.kit.settings import load_settings
from vextrus.kit.tenancy import Principal
from vextrus.services.workflow import service as workflow_service
from vextrus.services.workflow.lifecycle import on_start, on_stop

BASE = "/api/v1/workflows"
CHAIN = {
    "document_type": "purchase-order",
    "name": "Bench approval",
    "initial": "review",
    "states": [
        {
            "name": "review",
            "kind": "approval",
            "approval": {
                "steps": [
                    {
                        "name": "head",
                        "approver": {"type": "role", "role": "department-head"},
                        "sla": {"hours": 72, "remind_before_hours": 24},
                    },
                    {"name": "finance", "approver": {"type": "role", "role": "finance-manager"}, "sla": {"hours": 72}},
                ]
            },
        },
        {"name": "approved", "kind": "final", "outcome": "completed"},
        {"name": "rejected", "kind": "final", "outcome": "rejected"},
    ],
    "transitions": [
        {"action": "approve", "from": ["review"], "to": "approved"},
        {"action": "reject", "from": ["review"], "to": "rejected"},
    ],
}


async def _timed(count: int, concurrency: int, call: Callable[[int], Awaitable[None]]) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(count):
        queue.put_nowait(index)

    async def worker() -> None:
        while not queue.empty():
            index = queue.get_nowait()
            started = time.perf_counter()
            await call(index)
            latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - began, latencies


def _report(name: str, count: int, seconds: float, latencies: list[float]) -> None:
    ordered = sorted(latencies)
    p95 = ordered[int(len(ordered) * 0.95) - 1] if ordered else 0.0
    print(
        f"{name:<8} {count / seconds:8.1f}/s   p50 {statistics.median(ordered) * 1000:7.1f} ms   "
        f"p95 {p95 * 1000:7.1f} ms   ({count} in {seconds:.2f} s)"
    )


async def run(processes: int, concurrency: int, postgres: str | None) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="wf-bench-"))
    cleanup: list[str] = []
    if postgres:
        name = f"wf_bench_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(
            make_url(postgres).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.execute(f'CREATE DATABASE "{name}_dbos"')
        await admin.close()
        url = make_url(postgres).set(database=name).render_as_string(hide_password=False)
        cleanup = [name, f"{name}_dbos"]
    else:
        url = f"sqlite+aiosqlite:///{workdir / 'vextrus.db'}"
    database = Database(url, [PLATFORM_SCHEMA, workflow_service.schema])
    await upgrade(database, trees_for([workflow_service]))
    await database.dispose()
    settings = load_settings(env="test", database_url=url, signing_key_path=workdir / "key.pem", log_level="ERROR")
    app = build_app([workflow_service], settings)
    runtime: Any = app.state.runtime
    tenant = uuid.uuid4()

    def headers(*roles: str) -> dict[str, str]:
        principal = Principal(subject=uuid.uuid4(), tenant_id=tenant, permissions=frozenset({"*"}), roles=roles)
        return {"Authorization": f"Bearer {runtime.issuer.issue(principal, 3600)}"}

    try:
        async with app.router.lifespan_context(app):
            await on_start(runtime)
            transport = httpx.ASGITransport(app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench.test") as client:
                created = await client.post(
                    f"{BASE}/definitions", json={"key": "bench-chain", "spec": CHAIN}, headers=headers()
                )
                assert created.status_code == 201, created.text
                requester, head, cfo = headers(), headers("department-head"), headers("finance-manager")
                tasks: list[str] = [""] * processes
                ids: list[str] = [""] * processes

                async def start(index: int) -> None:
                    body = {
                        "definition": "bench-chain",
                        "business_key": f"PO-BENCH-{index:06d}",
                        "document": {"amount": "150000.00"},
                    }
                    response = await client.post(f"{BASE}/instances", json=body, headers=requester)
                    assert response.status_code == 201, response.text
                    ids[index] = response.json()["id"]
                    tasks[index] = response.json()["open_tasks"][0]["id"]

                async def approve(headers_: dict[str, str], index: int) -> None:
                    response = await client.post(
                        f"{BASE}/tasks/{tasks[index]}/actions", json={"action": "approve"}, headers=headers_
                    )
                    assert response.status_code == 200, response.text

                async def first(index: int) -> None:
                    await approve(head, index)
                    listing = await client.get(
                        f"{BASE}/tasks", params={"instance_id": ids[index], "status": "open"}, headers=cfo
                    )
                    tasks[index] = listing.json()["items"][0]["id"]

                async def inbox(_: int) -> None:
                    response = await client.get(
                        f"{BASE}/tasks", params={"mine": "true", "status": "open", "limit": 50}, headers=cfo
                    )
                    assert response.status_code == 200

                backend = "PostgreSQL" if postgres else "SQLite"
                print(f"workflow bench: {backend}, {processes} processes, concurrency {concurrency}")
                _report("start", processes, *await _timed(processes, concurrency, start))
                _report("approve1", processes, *await _timed(processes, concurrency, first))
                _report("inbox", processes, *await _timed(processes, concurrency, inbox))
                _report("approve2", processes, *await _timed(processes, concurrency, lambda index: approve(cfo, index)))
            await runtime_engine_drain(runtime)
            await on_stop(runtime)
    finally:
        if cleanup:
            admin = await asyncpg.connect(
                make_url(postgres or "").set(drivername="postgresql").render_as_string(hide_password=False)
            )
            for name in cleanup:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


async def runtime_engine_drain(runtime: Any) -> None:
    from vextrus.services.workflow.engine import engine_for

    await engine_for(runtime).drain()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--postgres", default=None, help="postgresql+asyncpg://user@host:port/postgres")
    arguments = parser.parse_args()
    asyncio.run(run(arguments.processes, arguments.concurrency, arguments.postgres))


if __name__ == "__main__":
    main()
