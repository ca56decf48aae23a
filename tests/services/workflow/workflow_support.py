"""Helpers shared by the workflow tests: the Flow handle, users with roles, and a probe service
standing in for the services system steps call (finance, scm). No fixtures here."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Response
from sqlalchemy import select

from vextrus.kit.events.models import OutboxEvent
from vextrus.kit.models import utcnow
from vextrus.kit.runtime import Runtime
from vextrus.kit.security import require
from vextrus.kit.service import Service
from vextrus.kit.tenancy import Principal
from vextrus.services.workflow.engine import WorkflowEngine

BASE = "/api/v1/workflows"
USER = (
    "workflow.definition.read",
    "workflow.instance.start",
    "workflow.instance.read",
    "workflow.instance.act",
    "workflow.task.read",
    "workflow.task.act",
)
ADMIN = ("*",)


# --- the probe: a stand-in for the services system steps call -----------------------------------


@dataclass
class ProbeState:
    """Per tenant: the calls received and how the next calls should fail."""

    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    failures: dict[str, list[int]] = field(default_factory=dict)  # path -> statuses to answer, in order
    delay_seconds: float = 0.0


PROBE_STATE: dict[uuid.UUID, ProbeState] = defaultdict(ProbeState)
probe_router = APIRouter(prefix="/api/v1/wfprobe")


async def _answer(principal: Principal, method: str, name: str, body: Any) -> Response | dict[str, Any]:
    state = PROBE_STATE[principal.tenant_id]
    state.calls.append((method, name, body))
    if state.delay_seconds:
        await asyncio.sleep(state.delay_seconds)
    queued = state.failures.get(name)
    if queued:
        status = queued.pop(0)
        return Response(status_code=status, content=b'{"detail":"probe failure"}', media_type="application/json")
    return {"id": str(uuid.uuid4()), "name": name, "received": body}


@probe_router.post("/{name}")
async def probe_post(
    name: str, body: dict[str, Any] | None = None, principal: Principal = require("wfprobe.call")
) -> Any:
    return await _answer(principal, "POST", name, body)


@probe_router.delete("/{name}/{item}")
async def probe_delete(name: str, item: str, principal: Principal = require("wfprobe.call")) -> Any:
    return await _answer(principal, "DELETE", f"{name}/{item}", None)


PROBE = Service(
    name="wfprobe", port=3998, title="Workflow probe", router=probe_router, permissions={"wfprobe.call": "x"}
)


def probe_step(name: str, *, compensate: bool = True, retries: int = 2, timeout: float = 5.0) -> dict[str, Any]:
    step: dict[str, Any] = {
        "name": name,
        "action": {
            "kind": "http",
            "service": "wfprobe",
            "method": "POST",
            "path": f"/api/v1/wfprobe/{name}",
            "body": {"reference": "{{instance.business_key}}", "amount": "{{document.amount}}"},
            "permissions": ["wfprobe.call"],
        },
        "retries": retries,
        "retry_delay_seconds": 0.05,
        "timeout_seconds": timeout,
    }
    if compensate:
        step["compensation"] = {
            "kind": "http",
            "service": "wfprobe",
            "method": "DELETE",
            "path": f"/api/v1/wfprobe/{name}/{{{{steps.{name}.id}}}}",
            "permissions": ["wfprobe.call"],
        }
    return step


def system_definition(steps: list[dict[str, Any]], *, approval: dict[str, Any] | None = None) -> dict[str, Any]:
    """A definition: (optional approval) -> system steps -> completed | failed."""
    initial = "pending-approval" if approval else "work"
    states: list[dict[str, Any]] = [
        {"name": "work", "kind": "system", "steps": steps},
        {"name": "completed", "kind": "final", "outcome": "completed"},
        {"name": "failed", "kind": "final", "outcome": "failed"},
        {"name": "rejected", "kind": "final", "outcome": "rejected"},
    ]
    transitions: list[dict[str, Any]] = [
        {"action": "completed", "from": ["work"], "to": "completed"},
        {"action": "failed", "from": ["work"], "to": "failed"},
    ]
    if approval:
        states.insert(0, {"name": "pending-approval", "kind": "approval", "approval": approval})
        transitions += [
            {"action": "approve", "from": ["pending-approval"], "to": "work"},
            {"action": "reject", "from": ["pending-approval"], "to": "rejected"},
        ]
    return {
        "document_type": "probe-document",
        "name": "Probe process",
        "initial": initial,
        "states": states,
        "transitions": transitions,
    }


# --- the flow under test ---------------------------------------------------------------------------


@dataclass
class Flow:
    backend: str
    app: FastAPI
    client: httpx.AsyncClient
    engine: WorkflowEngine

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    def headers(
        self,
        tenant: uuid.UUID,
        *,
        subject: uuid.UUID | None = None,
        roles: Iterable[str] = (),
        permissions: Iterable[str] = USER,
        company_ids: Iterable[uuid.UUID] = (),
    ) -> dict[str, str]:
        assert self.runtime.issuer is not None
        principal = Principal(
            subject=subject or uuid.uuid4(),
            tenant_id=tenant,
            permissions=frozenset(permissions),
            roles=tuple(roles),
            company_ids=tuple(company_ids),
        )
        return {"Authorization": f"Bearer {self.runtime.issuer.issue(principal)}"}

    async def install_rules(self, tenant: uuid.UUID) -> None:
        response = await self.client.post(
            "/api/v1/rules/templates/install", headers=self.headers(tenant, permissions=ADMIN)
        )
        assert response.status_code == 200, response.text

    async def start(
        self, tenant: uuid.UUID, definition: str, business_key: str, document: dict[str, Any], headers: dict[str, str]
    ) -> httpx.Response:
        return await self.client.post(
            f"{BASE}/instances",
            json={"definition": definition, "business_key": business_key, "document": document},
            headers=headers,
        )

    async def started(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        response = await self.start(*args, **kwargs)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def instance(self, tenant: uuid.UUID, instance_id: str) -> dict[str, Any]:
        response = await self.client.get(
            f"{BASE}/instances/{instance_id}", headers=self.headers(tenant, permissions=ADMIN)
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def inbox(self, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
        response = await self.client.get(
            f"{BASE}/tasks", params={"mine": "true", "status": "open", **params}, headers=headers
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def act(self, task_id: str, headers: dict[str, str], action: str, **body: Any) -> httpx.Response:
        return await self.client.post(
            f"{BASE}/tasks/{task_id}/actions", json={"action": action, **body}, headers=headers
        )

    async def define(self, tenant: uuid.UUID, key: str, spec: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post(
            f"{BASE}/definitions", json={"key": key, "spec": spec}, headers=self.headers(tenant, permissions=ADMIN)
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def wait_for(
        self, tenant: uuid.UUID, instance_id: str, done: Callable[[dict[str, Any]], bool], seconds: float = 15.0
    ) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            body = await self.instance(tenant, instance_id)
            if done(body):
                return body
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"instance never reached the expected state: {body['state']} {body['status']}")
            await asyncio.sleep(0.05)

    @contextmanager
    def travel(self, delta: dt.timedelta) -> Iterator[None]:
        """Move the engine's clock forward by ``delta`` (SLA tests; no sleeping)."""
        self.engine.clock = lambda: utcnow() + delta
        try:
            yield
        finally:
            self.engine.clock = utcnow

    async def sweep(self, tenant: uuid.UUID) -> dict[str, Any]:
        response = await self.client.post(
            f"{BASE}/sla/sweep", headers=self.headers(tenant, permissions=("workflow.sla.sweep",))
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


async def outbox(flow: Flow, tenant: uuid.UUID, topic: str) -> list[dict[str, Any]]:
    """The events of ``topic`` the tenant's processes recorded, oldest first."""
    async with flow.runtime.database.transaction() as session:
        rows = (await session.execute(select(OutboxEvent).where(OutboxEvent.topic == topic))).scalars().all()
    envelopes = [json.loads(row.envelope) for row in rows]
    return sorted((item for item in envelopes if item.get("tenantid") == str(tenant)), key=lambda item: item["time"])


def user() -> uuid.UUID:
    return uuid.uuid4()


def now() -> dt.datetime:
    return utcnow()
