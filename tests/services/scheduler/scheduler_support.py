"""Helpers shared by the scheduler tests: the Sched handle and a probe service that jobs call.
No fixtures here."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Response

from vextrus.kit.runtime import Runtime
from vextrus.kit.security import require
from vextrus.kit.service import Service
from vextrus.kit.tenancy import Principal
from vextrus.services.scheduler.runner import SchedulerRunner

BASE = "/api/v1/scheduler"
MANAGER = ("scheduler.job.read", "scheduler.job.manage", "scheduler.job.trigger", "schprobe.call")
DHAKA = dt.timezone(dt.timedelta(hours=6))


@dataclass
class ProbeState:
    calls: list[dict[str, Any]] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)  # statuses to answer next, in order


PROBE_STATE: dict[uuid.UUID, ProbeState] = defaultdict(ProbeState)
probe_router = APIRouter(prefix="/api/v1/schprobe")


@probe_router.post("/hit")
async def hit(body: dict[str, Any] | None = None, principal: Principal = require("schprobe.call")) -> Any:
    state = PROBE_STATE[principal.tenant_id]
    state.calls.append({"body": body, "subject": str(principal.subject)})
    if state.failures:
        return Response(status_code=state.failures.pop(0), content=b"{}", media_type="application/json")
    return {"ok": True, "calls": len(state.calls)}


PROBE = Service(
    name="schprobe", port=3997, title="Scheduler probe", router=probe_router, permissions={"schprobe.call": "x"}
)


def http_job(key: str, cron: str | None = "0 9 15 * *", at: str | None = None, **extra: Any) -> dict[str, Any]:
    schedule = {"cron": cron} if at is None else {"at": at}
    return {
        "key": key,
        "name": f"Job {key}",
        "schedule": schedule,
        "target": {
            "type": "http",
            "service": "schprobe",
            "path": "/api/v1/schprobe/hit",
            "body": {"key": key},
            "permissions": ["schprobe.call"],
        },
        **extra,
    }


def event_job(key: str, cron: str = "0 9 15 * *", payload: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "key": key,
        "name": f"Event {key}",
        "schedule": {"cron": cron},
        "target": {"type": "event"},
        "payload": payload or {"reminder": key},
    }


@dataclass
class Sched:
    backend: str
    app: FastAPI
    client: httpx.AsyncClient
    runner: SchedulerRunner
    url: str

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    def headers(
        self, tenant: uuid.UUID, permissions: Iterable[str] = MANAGER, subject: uuid.UUID | None = None
    ) -> dict[str, str]:
        assert self.runtime.issuer is not None
        principal = Principal(subject=subject or uuid.uuid4(), tenant_id=tenant, permissions=frozenset(permissions))
        return {"Authorization": f"Bearer {self.runtime.issuer.issue(principal)}"}

    async def create(self, tenant: uuid.UUID, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post(f"{BASE}/jobs", json=body, headers=self.headers(tenant))
        assert response.status_code == 201, response.text
        job: dict[str, Any] = response.json()
        return job

    async def runs(self, tenant: uuid.UUID, job_id: str) -> list[dict[str, Any]]:
        response = await self.client.get(f"{BASE}/jobs/{job_id}/runs", headers=self.headers(tenant))
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def job(self, tenant: uuid.UUID, job_id: str) -> dict[str, Any]:
        response = await self.client.get(f"{BASE}/jobs/{job_id}", headers=self.headers(tenant))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def tick_at(self, tenant: uuid.UUID, moment: dt.datetime) -> list[uuid.UUID]:
        """Tick the runner at ``moment``; the runs it ran for ``tenant`` (other tests' jobs may be due too)."""
        self.runner.clock = lambda: moment
        return [run for run, owner in await self.runner.tick() if owner == tenant]
