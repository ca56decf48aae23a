"""Jobs through the API, run by ticking the runner with a clock: exactly once per due time across
replicas, retries with back-off then failure, one-off jobs, pause/resume/trigger now, history,
event jobs, permissions and tenant isolation."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import Any

import httpx
import pytest
from scheduler_support import BASE, DHAKA, PROBE_STATE, Sched, event_job, http_job
from sqlalchemy import select

from vextrus.kit.app import build_app
from vextrus.kit.events.models import OutboxEvent
from vextrus.services.scheduler.runner import runner_for

SECOND = dt.timedelta(seconds=1)


def due_of(job: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(job["next_run_at"])


async def events(sched: Sched, tenant: uuid.UUID, topic: str) -> list[dict[str, Any]]:
    async with sched.runtime.database.transaction() as session:
        rows = (await session.execute(select(OutboxEvent).where(OutboxEvent.topic == topic))).scalars().all()
    envelopes = [json.loads(row.envelope) for row in rows]
    return [item for item in envelopes if item.get("tenantid") == str(tenant)]


async def test_a_monthly_job_is_due_on_the_15th_at_nine_in_dhaka(sched: Sched, tenant: uuid.UUID) -> None:
    job = await sched.create(tenant, http_job("vat.return-reminder"))
    due = due_of(job).astimezone(DHAKA)
    assert (due.day, due.hour, due.minute) == (15, 9, 0)
    assert job["timezone"] == "Asia/Dhaka"
    assert job["next_run_local"].endswith("09:00 +0600")
    assert [dt.datetime.fromisoformat(item).astimezone(DHAKA).day for item in job["upcoming"]] == [15, 15, 15]


async def test_a_job_runs_once_per_due_time_and_moves_on(sched: Sched, tenant: uuid.UUID) -> None:
    job = await sched.create(tenant, http_job("sla-sweep", cron="*/5 * * * *"))
    due = due_of(job)
    assert await sched.tick_at(tenant, due - SECOND) == []  # not yet
    assert len(await sched.tick_at(tenant, due + SECOND)) == 1
    assert await sched.tick_at(tenant, due + 2 * SECOND) == []  # that due time is done
    assert len(await sched.tick_at(tenant, due + dt.timedelta(minutes=5))) == 1
    runs = await sched.runs(tenant, job["id"])
    assert [run["scheduled_for"] for run in runs] == [
        (due + dt.timedelta(minutes=5)).isoformat().replace("+00:00", "Z"),
        due.isoformat().replace("+00:00", "Z"),
    ]
    assert {run["status"] for run in runs} == {"succeeded"}
    assert len(PROBE_STATE[tenant].calls) == 2
    assert PROBE_STATE[tenant].calls[0]["body"] == {"key": "sla-sweep"}


async def test_missed_due_times_run_once_not_one_by_one(sched: Sched, tenant: uuid.UUID) -> None:
    job = await sched.create(tenant, http_job("catch-up", cron="*/5 * * * *"))
    due = due_of(job)
    assert len(await sched.tick_at(tenant, due + dt.timedelta(hours=2))) == 1  # two hours down: one run
    after = await sched.job(tenant, job["id"])
    assert due_of(after) > due + dt.timedelta(hours=2)


async def test_replicas_ticking_at_once_run_a_due_time_exactly_once(sched: Sched, tenant: uuid.UUID) -> None:
    job = await sched.create(tenant, http_job("race", cron="0 * * * *"))
    due = due_of(job)
    # Three more replicas on the same database: apps of their own (their runners need no lifespan).
    replicas = [
        build_app(
            list(sched.runtime.services),
            sched.runtime.settings,
            service_settings={"scheduler": {"runner_enabled": False}},
        )
        for _ in range(3)
    ]
    runners = [sched.runner, *(runner_for(app.state.runtime) for app in replicas)]
    try:
        for runner in runners:
            runner.clock = lambda: due + SECOND
        results = await asyncio.gather(*(runner.tick() for runner in runners))
    finally:
        for app in replicas:
            await app.state.runtime.clients.close()
            await app.state.runtime.database.dispose()
    assert sum(1 for ran in results for _, owner in ran if owner == tenant) == 1
    assert len(await sched.runs(tenant, job["id"])) == 1
    assert len(PROBE_STATE[tenant].calls) == 1


async def test_a_failing_call_is_retried_with_back_off_then_fails(sched: Sched, tenant: uuid.UUID) -> None:
    PROBE_STATE[tenant].failures = [503, 503, 503]
    job = await sched.create(tenant, http_job("flaky", max_attempts=3, retry_delay_seconds=60))
    due = due_of(job)
    await sched.tick_at(tenant, due + SECOND)
    [run] = await sched.runs(tenant, job["id"])
    assert (run["status"], run["attempts"]) == ("retrying", 1)
    retry_at = dt.datetime.fromisoformat(run["next_attempt_at"])
    assert retry_at == due + SECOND + dt.timedelta(seconds=60)
    assert await sched.tick_at(tenant, retry_at - SECOND) == []
    await sched.tick_at(tenant, retry_at)
    [run] = await sched.runs(tenant, job["id"])
    assert (run["status"], run["attempts"]) == ("retrying", 2)
    assert dt.datetime.fromisoformat(run["next_attempt_at"]) == retry_at + dt.timedelta(seconds=120)  # doubled
    await sched.tick_at(tenant, retry_at + dt.timedelta(seconds=120))
    [run] = await sched.runs(tenant, job["id"])
    assert (run["status"], run["attempts"]) == ("failed", 3)
    assert run["error"] == "schprobe answered 503"
    assert (await sched.job(tenant, job["id"]))["last_status"] == "failed"
    [finished] = await events(sched, tenant, "scheduler.run.finished")
    assert finished["data"]["status"] == "failed"
    assert finished["data"]["attempts"] == 3


async def test_a_retry_that_succeeds_ends_the_run(sched: Sched, tenant: uuid.UUID) -> None:
    PROBE_STATE[tenant].failures = [500]
    job = await sched.create(tenant, http_job("once-flaky", retry_delay_seconds=5))
    await sched.tick_at(tenant, due_of(job) + SECOND)
    await sched.tick_at(tenant, due_of(job) + dt.timedelta(seconds=10))
    [run] = await sched.runs(tenant, job["id"])
    assert (run["status"], run["attempts"], run["output"]) == ("succeeded", 2, {"ok": True, "calls": 2})


async def test_a_client_error_is_not_retried(sched: Sched, tenant: uuid.UUID) -> None:
    PROBE_STATE[tenant].failures = [422]
    job = await sched.create(tenant, http_job("bad-request"))
    await sched.tick_at(tenant, due_of(job) + SECOND)
    [run] = await sched.runs(tenant, job["id"])
    assert (run["status"], run["attempts"]) == ("failed", 1)


async def test_a_run_whose_replica_died_is_taken_over_after_its_lease(sched: Sched, tenant: uuid.UUID) -> None:
    job = await sched.create(tenant, http_job("orphan"))
    due = due_of(job)
    dead = runner_for(sched.runtime).__class__(sched.runtime)  # another replica that will "die"
    dead.clock = lambda: due + SECOND
    claimed = await dead._claim_due(due + SECOND)  # claims, then crashes before running
    assert [owner for _, owner in claimed].count(tenant) == 1
    assert await sched.tick_at(tenant, due + dt.timedelta(seconds=30)) == []  # the lease (60 s) still holds
    assert len(await sched.tick_at(tenant, due + dt.timedelta(seconds=62))) == 1
    [run] = await sched.runs(tenant, job["id"])
    assert (run["status"], run["attempts"]) == ("succeeded", 2)


async def test_an_event_job_publishes_once_with_its_payload(sched: Sched, tenant: uuid.UUID) -> None:
    job = await sched.create(tenant, event_job("vat.return-reminder", payload={"form": "Mushak-9.1", "due_day": 15}))
    await sched.tick_at(tenant, due_of(job) + SECOND)
    [run] = await sched.runs(tenant, job["id"])
    assert run["status"] == "succeeded"
    [event] = await events(sched, tenant, "scheduler.job.triggered")
    assert event["data"]["job_key"] == "vat.return-reminder"
    assert event["data"]["payload"] == {
        "form": "Mushak-9.1",
        "due_day": 15,
    }
    assert event["data"]["run_id"] == run["id"]


async def test_a_one_off_job_runs_once_then_completes(sched: Sched, tenant: uuid.UUID) -> None:
    at = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).replace(microsecond=0)
    job = await sched.create(tenant, http_job("retention-2026", cron=None, at=at.isoformat()))
    assert job["kind"] == "once"
    assert due_of(job) == at
    assert job["upcoming"] == []
    await sched.tick_at(tenant, at + SECOND)
    await sched.tick_at(tenant, at + dt.timedelta(days=30))
    after = await sched.job(tenant, job["id"])
    assert (after["status"], after["next_run_at"], after["last_status"]) == ("completed", None, "succeeded")
    assert len(await sched.runs(tenant, job["id"])) == 1
    paused = await sched.client.post(f"{BASE}/jobs/{job['id']}/pause", headers=sched.headers(tenant))
    assert paused.status_code == 409


async def test_pause_resume_and_run_now(sched: Sched, tenant: uuid.UUID) -> None:
    job = await sched.create(tenant, http_job("recurring-rent", cron="0 8 1 * *"))
    headers = sched.headers(tenant)
    paused = await sched.client.post(f"{BASE}/jobs/{job['id']}/pause", headers=headers)
    assert paused.json()["status"] == "paused"
    assert paused.json()["next_run_at"] is None
    assert await sched.tick_at(tenant, due_of(job) + dt.timedelta(days=40)) == []
    now = await sched.client.post(f"{BASE}/jobs/{job['id']}/trigger", headers=headers)
    assert now.status_code == 201
    assert now.json()["trigger"] == "manual"
    assert now.json()["status"] == "succeeded"
    resumed = await sched.client.post(f"{BASE}/jobs/{job['id']}/resume", headers=headers)
    assert resumed.json()["status"] == "active"
    assert dt.datetime.fromisoformat(resumed.json()["next_run_at"]).astimezone(DHAKA).day == 1
    changed = await sched.client.patch(
        f"{BASE}/jobs/{job['id']}", json={"schedule": {"cron": "0 8 2 * *"}}, headers=headers
    )
    assert changed.status_code == 200
    assert dt.datetime.fromisoformat(changed.json()["next_run_at"]).astimezone(DHAKA).day == 2
    stale = await sched.client.patch(
        f"{BASE}/jobs/{job['id']}", json={"name": "x", "expected_version": 1}, headers=headers
    )
    assert stale.status_code == 409
    history = await sched.client.get(f"{BASE}/jobs/{job['id']}/runs", params={"status": "succeeded"}, headers=headers)
    assert [run["trigger"] for run in history.json()["items"]] == ["manual"]
    deleted = await sched.client.delete(f"{BASE}/jobs/{job['id']}", headers=headers)
    assert deleted.status_code == 204
    assert (await sched.client.get(f"{BASE}/jobs/{job['id']}", headers=headers)).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"schedule": {"cron": "every day"}}, "body.schedule.cron"),
        ({"schedule": {"cron": "0 9 15 * *", "at": "2026-01-01T00:00:00+06:00"}}, "body.schedule"),
        ({"schedule": {"at": "2026-01-01T00:00:00"}}, "body.schedule.at"),
        ({"target": {"type": "http", "service": "x", "path": "/not-api"}}, "body.target.http.path"),
        ({"target": {"type": "ftp"}}, "body.target"),
        ({"key": "Bad Key"}, "body.key"),
        ({"max_attempts": 0}, "body.max_attempts"),
    ],
)
async def test_bad_jobs_are_refused_naming_the_field(
    sched: Sched, tenant: uuid.UUID, body: dict[str, Any], field: str
) -> None:
    response = await sched.client.post(
        f"{BASE}/jobs", json={**http_job("bad-job"), **body}, headers=sched.headers(tenant)
    )
    assert response.status_code == 422, response.text
    assert any(item["field"].startswith(field) for item in response.json()["errors"]), response.json()["errors"]


async def test_a_job_cannot_lend_permissions_its_author_lacks(sched: Sched, tenant: uuid.UUID) -> None:
    body = http_job("escalate")
    body["target"]["permissions"] = ["finance.journal.post"]
    response = await sched.client.post(f"{BASE}/jobs", json=body, headers=sched.headers(tenant))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.target.permissions.0"


async def test_keys_are_unique_per_tenant(sched: Sched, tenant: uuid.UUID) -> None:
    await sched.create(tenant, http_job("same-key"))
    again = await sched.client.post(f"{BASE}/jobs", json=http_job("same-key"), headers=sched.headers(tenant))
    assert again.status_code == 409
    assert again.json()["code"] == "job_exists"
    await sched.create(uuid.uuid4(), http_job("same-key"))  # another tenant may


async def test_system_jobs_need_platform_operators(sched: Sched) -> None:
    platform = uuid.UUID(int=0)
    tenant_admin = sched.headers(platform, ("*",))
    refused = await sched.client.post(
        f"{BASE}/jobs", json=event_job("platform.retention", cron="30 2 * * *"), headers=tenant_admin
    )
    assert refused.status_code == 403
    operator = sched.headers(platform, ("scheduler.job.manage", "scheduler.job.read", "platform.scheduler.manage"))
    created = await sched.client.post(
        f"{BASE}/jobs", json=event_job("platform.retention", cron="30 2 * * *"), headers=operator
    )
    assert created.status_code == 201
    assert created.json()["system"] is True
    await sched.client.delete(f"{BASE}/jobs/{created.json()['id']}", headers=operator)


async def test_another_tenants_jobs_are_not_found_and_unchanged(sched: Sched, tenant: uuid.UUID) -> None:
    job = await sched.create(tenant, http_job("private"))
    stranger = sched.headers(uuid.uuid4(), ("*",))
    client: httpx.AsyncClient = sched.client
    for method, path in [
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/pause"),
        ("POST", "/resume"),
        ("POST", "/trigger"),
        ("GET", "/runs"),
    ]:
        response = await client.request(
            method, f"{BASE}/jobs/{job['id']}{path}", json={} if method == "PATCH" else None, headers=stranger
        )
        assert response.status_code == 404, (method, path, response.status_code)
    assert (await client.get(f"{BASE}/jobs", headers=stranger)).json()["items"] == []
    assert (await sched.job(tenant, job["id"]))["status"] == "active"
    assert await sched.runs(tenant, job["id"]) == []


async def test_reading_is_not_managing(sched: Sched, tenant: uuid.UUID) -> None:
    reader = sched.headers(tenant, ("scheduler.job.read",))
    assert (await sched.client.get(f"{BASE}/jobs", headers=reader)).status_code == 200
    assert (await sched.client.post(f"{BASE}/jobs", json=http_job("nope"), headers=reader)).status_code == 403
