"""System steps run durably: retried after transient failures, bounded by timeouts, and when a
later step fails for good the completed ones are compensated in reverse order (saga), all of it
visible on the process."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from tests.conftest import make_settings
from workflow_support import PROBE_STATE, Flow, outbox, probe_step, system_definition

from vextrus.kit.app import build_app
from vextrus.kit.db import Database
from vextrus.kit.migrations import trees_for, upgrade
from vextrus.kit.models import PLATFORM_SCHEMA
from vextrus.services.workflow import service as workflow_service
from vextrus.services.workflow.lifecycle import on_start, on_stop


def ended(body: dict[str, Any]) -> bool:
    return bool(body["status"] != "running")


def runs(body: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    return [(run["name"], run["kind"], run["status"], run["attempts"]) for run in body["system_steps"]]


async def test_transient_failures_are_retried_until_the_step_succeeds(flow: Flow, tenant: uuid.UUID) -> None:
    PROBE_STATE[tenant].failures["reserve"] = [503, 503]
    await flow.define(tenant, "probe-retry", system_definition([probe_step("reserve"), probe_step("issue")]))
    started = await flow.started(tenant, "probe-retry", "PR-1", {"amount": "1200.00"}, flow.headers(tenant))
    body = await flow.wait_for(tenant, started["id"], ended)
    assert body["status"] == "completed"
    assert runs(body) == [("reserve", "action", "completed", 3), ("issue", "action", "completed", 1)]
    assert [call[:2] for call in PROBE_STATE[tenant].calls] == [("POST", "reserve")] * 3 + [("POST", "issue")]
    assert PROBE_STATE[tenant].calls[0][2] == {"reference": "PR-1", "amount": "1200.00"}
    assert body["system_steps"][0]["result"]["name"] == "reserve"


async def test_a_step_failing_for_good_compensates_the_completed_ones_in_reverse(flow: Flow, tenant: uuid.UUID) -> None:
    PROBE_STATE[tenant].failures["post"] = [422]
    steps = [probe_step("reserve"), probe_step("issue"), probe_step("notify", compensate=False), probe_step("post")]
    await flow.define(tenant, "probe-saga", system_definition(steps))
    started = await flow.started(tenant, "probe-saga", "PR-2", {"amount": "5"}, flow.headers(tenant))
    body = await flow.wait_for(tenant, started["id"], ended)
    assert body["status"] == "failed"
    assert body["state"] == "failed"
    calls = [(method, name.split("/")[0]) for method, name, _ in PROBE_STATE[tenant].calls]
    assert calls == [
        ("POST", "reserve"),
        ("POST", "issue"),
        ("POST", "notify"),
        ("POST", "post"),
        ("DELETE", "issue"),
        ("DELETE", "reserve"),
    ]
    reserved_id = body["system_steps"][0]["result"]["id"]
    assert PROBE_STATE[tenant].calls[-1][1] == f"reserve/{reserved_id}"  # the compensation names what it undoes
    assert sorted(runs(body)) == sorted(
        [
            ("reserve", "action", "compensated", 1),
            ("reserve", "compensation", "compensated", 1),
            ("issue", "action", "compensated", 1),
            ("issue", "compensation", "compensated", 1),
            ("notify", "action", "completed", 1),
            ("post", "action", "failed", 1),
        ]
    )
    [failed] = [entry for entry in body["history"] if entry["action"] == "transition" and entry["to_state"] == "failed"]
    assert "post" in failed["comment"]
    finished = [
        (event["data"]["step"], event["data"]["kind"], event["data"]["status"])
        for event in await outbox(flow, tenant, "workflow.step.finished")
    ]
    assert finished[-2:] == [("issue", "compensation", "compensated"), ("reserve", "compensation", "compensated")]


async def test_retries_run_out_then_the_saga_compensates(flow: Flow, tenant: uuid.UUID) -> None:
    PROBE_STATE[tenant].failures["issue"] = [503] * 10
    await flow.define(
        tenant, "probe-exhaust", system_definition([probe_step("reserve"), probe_step("issue", retries=2)])
    )
    started = await flow.started(tenant, "probe-exhaust", "PR-3", {}, flow.headers(tenant))
    body = await flow.wait_for(tenant, started["id"], ended)
    assert body["status"] == "failed"
    assert ("issue", "action", "failed", 3) in runs(body)
    assert ("reserve", "compensation", "compensated", 1) in runs(body)


async def test_a_step_that_does_not_answer_in_time_fails(flow: Flow, tenant: uuid.UUID) -> None:
    PROBE_STATE[tenant].delay_seconds = 1.0
    await flow.define(
        tenant, "probe-slow", system_definition([probe_step("slow", compensate=False, retries=0, timeout=0.2)])
    )
    started = await flow.started(tenant, "probe-slow", "PR-4", {}, flow.headers(tenant))
    body = await flow.wait_for(tenant, started["id"], ended)
    assert body["status"] == "failed"
    assert "within 0.2 s" in body["system_steps"][0]["error"]


async def test_a_service_that_is_not_deployed_is_skipped_or_fails_as_the_step_says(
    flow: Flow, tenant: uuid.UUID
) -> None:
    missing: dict[str, Any] = {"kind": "http", "service": "finance", "path": "/api/v1/finance/journal-entries"}
    steps = [
        {"name": "optional", "action": {**missing, "if_unavailable": "skip"}},
        {"name": "required", "action": missing},
    ]
    await flow.define(tenant, "probe-missing", system_definition(steps))
    started = await flow.started(tenant, "probe-missing", "PR-5", {}, flow.headers(tenant))
    body = await flow.wait_for(tenant, started["id"], ended)
    assert body["status"] == "failed"
    assert [(run["name"], run["status"]) for run in body["system_steps"]] == [
        ("optional", "skipped"),
        ("required", "failed"),
    ]
    assert body["system_steps"][1]["error"] == "the finance service is not deployed"


async def test_approval_then_system_steps(flow: Flow, tenant: uuid.UUID) -> None:
    approval = {"steps": [{"name": "finance", "approver": {"type": "role", "role": "finance-manager"}}]}
    await flow.define(tenant, "probe-approved", system_definition([probe_step("post")], approval=approval))
    started = await flow.started(tenant, "probe-approved", "PR-6", {"amount": "99"}, flow.headers(tenant))
    assert started["system_steps"] == []
    assert PROBE_STATE[tenant].calls == []
    cfo = flow.headers(tenant, roles=["finance-manager"])
    assert (await flow.act(started["open_tasks"][0]["id"], cfo, "approve")).status_code == 200
    body = await flow.wait_for(tenant, started["id"], ended)
    assert body["status"] == "completed"
    assert runs(body) == [("post", "action", "completed", 1)]


async def test_the_sweep_restarts_a_system_run_without_running_a_step_twice(flow: Flow, tenant: uuid.UUID) -> None:
    steps = [
        probe_step("first", compensate=False),
        {"name": "pause", "action": {"kind": "delay", "seconds": 0.5}},
        probe_step("second", compensate=False),
    ]
    await flow.define(tenant, "probe-sweep", system_definition(steps))
    started = await flow.started(tenant, "probe-sweep", "PR-7", {}, flow.headers(tenant))
    await flow.wait_for(tenant, started["id"], lambda body: any(run["name"] == "pause" for run in body["system_steps"]))
    assert (await flow.sweep(tenant))["system_runs"] == 1  # asks for the run again: same durable id
    await flow.engine.drain()
    body = await flow.wait_for(tenant, started["id"], ended)
    assert body["status"] == "completed"
    assert [call[1] for call in PROBE_STATE[tenant].calls] == ["first", "second"]
    assert [run["executions"] for run in body["system_steps"]] == [1, 1, 1]


async def test_a_second_runtime_on_another_database_takes_dbos_over_and_gives_it_back(
    flow: Flow, tenant: uuid.UUID, tmp_path: Path
) -> None:
    """DBOS is one per process: another app (another system database) replaces it while it runs;
    the first engine starts it again on its next use, and its processes still complete."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'other.db'}"
    database = Database(url, [PLATFORM_SCHEMA, workflow_service.schema])
    await upgrade(database, trees_for([workflow_service]))
    await database.dispose()
    other = build_app([workflow_service], make_settings(url, tmp_path))
    async with other.router.lifespan_context(other):
        await on_start(other.state.runtime)
        assert flow.engine.started is False  # evicted
        await on_stop(other.state.runtime)
    await flow.define(tenant, "probe-again", system_definition([probe_step("after", compensate=False)]))
    started = await flow.started(tenant, "probe-again", "PR-8", {}, flow.headers(tenant))
    body = await flow.wait_for(tenant, started["id"], ended)
    assert body["status"] == "completed"
    assert flow.engine.started is True
