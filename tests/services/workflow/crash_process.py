"""A process that runs the workflow service, for the crash-and-resume test (not a test module).

``python crash_process.py start <database_url> <workdir>`` migrates, starts a process whose
system state sleeps durably between two steps, prints ``{"instance": ..., "tenant": ...}`` once the
sleep has begun, and waits to be killed. ``python crash_process.py resume <database_url> <workdir>
<tenant> <instance>`` starts the service again (the durable runtime recovers the process), waits
for the process to end and prints it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx

from vextrus.kit.app import build_app
from vextrus.kit.db import Database
from vextrus.kit.migrations import trees_for, upgrade
from vextrus.kit.models import PLATFORM_SCHEMA
from vextrus.kit.settings import load_settings
from vextrus.kit.tenancy import Principal
from vextrus.services.workflow import service as workflow_service
from vextrus.services.workflow.lifecycle import on_start, on_stop

BASE = "/api/v1/workflows"
SLEEP_SECONDS = 8.0
DEFINITION = {
    "document_type": "employee",
    "name": "Onboarding (short)",
    "initial": "welcome",
    "states": [
        {
            "name": "welcome",
            "kind": "system",
            "steps": [
                {
                    "name": "welcome-employee",
                    "action": {"kind": "notify", "template": "onboarding-welcome", "to": {"type": "requester"}},
                },
                {"name": "first-day", "action": {"kind": "delay", "seconds": SLEEP_SECONDS}},
                {
                    "name": "check-in",
                    "action": {"kind": "notify", "template": "onboarding-check-in", "to": {"type": "requester"}},
                },
            ],
        },
        {"name": "completed", "kind": "final", "outcome": "completed"},
        {"name": "failed", "kind": "final", "outcome": "failed"},
    ],
    "transitions": [
        {"action": "completed", "from": ["welcome"], "to": "completed"},
        {"action": "failed", "from": ["welcome"], "to": "failed"},
    ],
}


async def main(mode: str, url: str, workdir: Path, tenant_arg: str | None, instance_arg: str | None) -> None:
    settings = load_settings(env="test", database_url=url, signing_key_path=workdir / "key.pem", log_level="ERROR")
    if mode == "start":
        database = Database(url, [PLATFORM_SCHEMA, workflow_service.schema])
        await upgrade(database, trees_for([workflow_service]))
        await database.dispose()
    app = build_app([workflow_service], settings)
    runtime: Any = app.state.runtime
    async with app.router.lifespan_context(app):
        await on_start(runtime)  # recovers what the killed process was running
        relaunched_at = dt.datetime.now(dt.UTC).isoformat()
        tenant = uuid.UUID(tenant_arg) if tenant_arg else uuid.uuid4()
        token = runtime.issuer.issue(Principal(subject=uuid.uuid4(), tenant_id=tenant, permissions=frozenset({"*"})))
        headers = {"Authorization": f"Bearer {token}"}
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://workflow.test", headers=headers) as client:
            if mode == "start":
                created = await client.post(f"{BASE}/definitions", json={"key": "short-onboarding", "spec": DEFINITION})
                assert created.status_code == 201, created.text
                started = await client.post(
                    f"{BASE}/instances",
                    json={"definition": "short-onboarding", "business_key": "EMP-0042", "document": {}},
                )
                assert started.status_code == 201, started.text
                instance = started.json()["id"]
                while True:
                    body = (await client.get(f"{BASE}/instances/{instance}")).json()
                    sleeping = [run for run in body["system_steps"] if run["name"] == "first-day"]
                    if sleeping:
                        break
                    await asyncio.sleep(0.05)
                report = {"instance": instance, "tenant": str(tenant), "sleep_started_at": sleeping[0]["started_at"]}
                print(json.dumps(report), flush=True)
                await asyncio.sleep(3600)  # killed here, mid-sleep
            else:
                for _ in range(400):
                    body = (await client.get(f"{BASE}/instances/{instance_arg}")).json()
                    if body["status"] != "running":
                        break
                    await asyncio.sleep(0.05)
                print(json.dumps({**body, "relaunched_at": relaunched_at}), flush=True)
        await on_stop(runtime)


if __name__ == "__main__":
    arguments = sys.argv[1:] + [None] * (5 - len(sys.argv[1:]))
    asyncio.run(main(arguments[0], arguments[1], Path(arguments[2]), arguments[3], arguments[4]))  # type: ignore[arg-type]
