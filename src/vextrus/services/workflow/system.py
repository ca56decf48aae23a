"""System steps of a process: what the durable runtime calls, one short transaction (or one call to
another service) at a time. Every function here is safe to repeat: the durable runtime may run a
step again after a crash (at least once), so records are upserts keyed by instance, state entry,
position and kind, and a step ends only once."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any, Literal

import httpx

from vextrus.kit.errors import AppError
from vextrus.kit.events import record_event
from vextrus.kit.tenancy import Principal
from vextrus.services.workflow import metrics
from vextrus.services.workflow.core import Ctx, definition_spec, dump, load, record_history
from vextrus.services.workflow.definitions import SYSTEM_COMPLETED, SYSTEM_FAILED, SystemAction
from vextrus.services.workflow.engine import SERVICE_SUBJECT, WorkflowEngine
from vextrus.services.workflow.events import NOTIFICATION_REQUESTED, STEP_FINISHED, NotificationRequested, StepFinished
from vextrus.services.workflow.logic import ResolutionError, render, resolve
from vextrus.services.workflow.models import RUNNING, StepRun
from vextrus.services.workflow.repository import InstanceRepository, StepRunRepository
from vextrus.services.workflow.service import take_transition

Outcome = Literal["completed", "skipped", "retry", "failed"]
MAX_RESULT_BYTES = 16 * 1024


async def system_plan(
    engine: WorkflowEngine, tenant_id: uuid.UUID, instance_id: uuid.UUID, entry_seq: int
) -> dict[str, Any] | None:
    """The steps of the system state the instance is in, with the context their templates read;
    None when the instance has moved on (a stale run)."""
    async with engine.transaction(tenant_id) as session:
        instance = await InstanceRepository(session).get(instance_id)
        if instance is None or instance.status != RUNNING or instance.entry_seq != entry_seq:
            return None
        spec = await definition_spec(session, instance)
        state = spec.state(instance.state)
        if state.kind != "system":
            return None
        runs = await StepRunRepository(session).of_instance(instance_id)
        results = {
            run.name: load(run.result)
            for run in runs
            if run.entry_seq == entry_seq and run.kind == "action" and run.status == "completed"
        }
        return {
            "state": state.name,
            "steps": [step.model_dump(mode="json", exclude_none=True) for step in state.steps],
            "context": {
                "document": load(instance.document),
                "document_ref": load(instance.document_ref) or {},
                "instance": {
                    "id": str(instance.id),
                    "business_key": instance.business_key,
                    "requested_by": str(instance.requested_by),
                    "company_id": str(instance.company_id) if instance.company_id else None,
                },
                "steps": results,
            },
        }


async def begin(
    engine: WorkflowEngine,
    tenant_id: uuid.UUID,
    instance_id: uuid.UUID,
    entry_seq: int,
    state: str,
    position: int,
    name: str,
    kind: str,
    attempt: int,
) -> None:
    """Record that a step (or compensation, or delay) is running: one more execution."""
    async with engine.transaction(tenant_id) as session:
        repository = StepRunRepository(session)
        run = await repository.get_run(instance_id, entry_seq, position, kind)
        now = engine.now()
        if run is None:
            run = StepRun(
                instance_id=instance_id,
                state=state,
                entry_seq=entry_seq,
                position=position,
                name=name,
                kind=kind,
                status="running",
                attempts=0,
                executions=0,
                started_at=now,
            )
            repository.add(run)
        run.status = "running"
        run.attempts = max(run.attempts, attempt)
        run.executions += 1
        run.updated_at = now


async def end(
    engine: WorkflowEngine,
    tenant_id: uuid.UUID,
    instance_id: uuid.UUID,
    entry_seq: int,
    position: int,
    kind: str,
    status: str,
    *,
    result: Any = None,
    error: str | None = None,
) -> None:
    """Record a step's end (``retrying`` is not an end: no event)."""
    async with engine.transaction(tenant_id) as session:
        repository = StepRunRepository(session)
        run = await repository.get_run(instance_id, entry_seq, position, kind)
        instance = await InstanceRepository(session).get(instance_id)
        if run is None or instance is None:
            return
        if run.status in ("completed", "skipped", "failed", "compensated"):
            return  # already ended (a repeat after a crash)
        now = engine.now()
        run.status = status
        run.error = error[:2000] if error else None
        if result is not None:
            text = dump(result)
            run.result = text if len(text.encode()) <= MAX_RESULT_BYTES else dump({"truncated": True})
        run.updated_at = now
        if status == "retrying":
            return
        run.finished_at = now
        ctx = Ctx.open(session, engine, now)
        record_history(
            ctx,
            instance,
            f"step-{status}" if kind != "compensation" else f"compensation-{status}",
            actor=None,
            data={"step": run.name, "position": position, "attempts": run.attempts, "error": run.error},
        )
        record_event(
            session,
            STEP_FINISHED,
            StepFinished(
                instance_id=instance_id,
                state=run.state,
                step=run.name,
                kind=kind,
                status=status,
                attempts=run.attempts,
                error=run.error,
            ),
            subject=instance_id,
        )
        ctx.callbacks.append(lambda: metrics.STEP_RUNS.labels(kind, status).inc())


async def mark_compensated(
    engine: WorkflowEngine, tenant_id: uuid.UUID, instance_id: uuid.UUID, entry_seq: int, position: int
) -> None:
    async with engine.transaction(tenant_id) as session:
        run = await StepRunRepository(session).get_run(instance_id, entry_seq, position, "action")
        if run is not None:
            run.status = "compensated"
            run.updated_at = engine.now()


def _served_or_known(engine: WorkflowEngine, service: str) -> bool:
    runtime = engine.runtime
    return any(item.name == service for item in runtime.services) or service in runtime.settings.service_urls


async def perform(
    engine: WorkflowEngine,
    tenant_id: uuid.UUID,
    instance_id: uuid.UUID,
    action: SystemAction,
    context: dict[str, Any],
    timeout_seconds: float,
) -> tuple[Outcome, Any, str | None]:
    """Do one attempt of an action: ``(outcome, result, error)``; ``retry`` means transient."""
    if action.kind == "notify":
        return await _notify(engine, tenant_id, instance_id, action, context)
    if action.kind != "http":  # delays are slept by the workflow itself
        return "completed", None, None
    assert action.service is not None
    assert action.path is not None
    if not _served_or_known(engine, action.service):
        if action.if_unavailable == "skip":
            return "skipped", None, f"the {action.service} service is not deployed"
        return "failed", None, f"the {action.service} service is not deployed"
    path = str(render(action.path, context))
    if "{{" in action.path and ("//" in path or path.endswith("/")):
        return "failed", None, f"the path {action.path} could not be filled from the process"
    body = render(action.body, context) if action.body is not None else None
    caller = Principal(
        subject=SERVICE_SUBJECT,
        tenant_id=tenant_id,
        permissions=frozenset(action.permissions),
        roles=("system",),
    )
    headers = {"Idempotency-Key": f"{instance_id}:{action.method}:{path}"}
    try:
        response = await asyncio.wait_for(
            engine.runtime.clients.request(
                action.service, action.method, path, principal=caller, json=body, headers=headers
            ),
            timeout=timeout_seconds,
        )
    except TimeoutError:
        return "retry", None, f"no answer from {action.service} within {timeout_seconds:g} s"
    except AppError as error:
        return "retry", None, f"{action.service}: {error.code} {error.detail or ''}".strip()
    except httpx.HTTPError as error:
        return "retry", None, f"{action.service}: {error}"
    result = _json_or_status(response)
    if 200 <= response.status_code < 300:
        return "completed", result, None
    message = f"{action.service} answered {response.status_code}"
    if isinstance(result, dict) and result.get("detail"):
        message += f": {result['detail']}"
    if response.status_code in (408, 425, 429) or response.status_code >= 500:
        return "retry", result, message
    return "failed", result, message


def _json_or_status(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"status": response.status_code}


async def _notify(
    engine: WorkflowEngine, tenant_id: uuid.UUID, instance_id: uuid.UUID, action: SystemAction, context: dict[str, Any]
) -> tuple[Outcome, Any, str | None]:
    assert action.to is not None
    assert action.template is not None
    async with engine.transaction(tenant_id) as session:
        instance = await InstanceRepository(session).get(instance_id)
        if instance is None:
            return "failed", None, "the process is gone"
        try:
            recipients = resolve(action.to, load(instance.document), instance.requested_by)
        except ResolutionError as error:
            return "failed", None, f"no recipient: {error.reason}"
        payload = NotificationRequested(
            instance_id=instance_id,
            business_key=instance.business_key,
            template=action.template,
            recipient_user_ids=[item.user_id for item in recipients if item.user_id],
            recipient_roles=[item.role for item in recipients if item.role],
            data={"document": context.get("document"), "instance": context.get("instance"), "state": instance.state},
        )
        record_event(session, NOTIFICATION_REQUESTED, payload, subject=instance_id)
    return "completed", {"template": action.template, "recipients": len(recipients)}, None


async def finish(
    engine: WorkflowEngine,
    tenant_id: uuid.UUID,
    instance_id: uuid.UUID,
    entry_seq: int,
    outcome: Literal["completed", "failed"],
    error: str | None,
) -> str | None:
    """Leave the system state: ``completed`` or ``failed`` (after compensation). Returns the new state."""
    async with engine.transaction(tenant_id) as session:
        instance = await InstanceRepository(session).lock(instance_id)
        if instance is None or instance.status != RUNNING or instance.entry_seq != entry_seq:
            return None  # already left (a repeat)
        spec = await definition_spec(session, instance)
        ctx = Ctx.open(session, engine)
        action = SYSTEM_COMPLETED if outcome == "completed" else SYSTEM_FAILED
        await take_transition(ctx, instance, spec, action, actor=None, comment=error)
        return instance.state


def parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)
