"""Jobs: refused uploads, permissions, commit rules, cancel (queued and running), progress, jobs
of a process that died, and the business metrics. A platform with tight limits: one job at a time,
1 MiB uploads, 3,000 rows, batches of 25."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from exchange_support import (
    BASE,
    IMPORTER,
    XLSX,
    commit,
    csv_bytes,
    dry_run,
    events_of,
    read_xlsx,
    running_platform,
    storage_dir,
    upload,
    wait_for,
)
from prometheus_client.parser import text_string_to_metric_families
from tests.conftest import BACKENDS, Platform

from vextrus.kit.app import build_app
from vextrus.kit.tenancy import acting_as
from vextrus.services.exchange.models import Job


@pytest.fixture(scope="module", params=BACKENDS)
async def tight(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Platform]:
    workdir = tmp_path_factory.mktemp(f"exchange-tight-{request.param}")
    async with running_platform(
        request,
        request.param,
        workdir,
        max_concurrent_jobs=1,
        max_upload_mb=1,
        max_rows=3000,
        batch_rows=25,
        stale_job_seconds=10,
    ) as platform:
        yield platform


def products(count: int, start: int = 0) -> bytes:
    rows: list[list[Any]] = [["code", "name", "category", "unit", "sale_price"]]
    rows += [[f"P-{number:05d}", f"Brick {number}", "brick", "pcs", "12.50"] for number in range(start, start + count)]
    return csv_bytes(rows)


def job_dirs(platform: Platform, tenant: uuid.UUID) -> list[str]:
    directory = storage_dir(platform) / str(tenant)
    return sorted(item.name for item in directory.iterdir()) if directory.exists() else []


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code", "reason"),
    [
        (b"", "text/csv", 422, "unreadable_file", "empty"),
        ("code,name\nP-1,ইট\n".encode("utf-16"), "text/csv", 422, "unreadable_file", "not UTF-8"),
        (b"code,name\nP-1,\xff\xfe bricks\n", "text/csv", 422, "unreadable_file", "not UTF-8"),
        (b"PK\x03\x04 this is no workbook", XLSX, 422, "unreadable_file", "not a readable XLSX"),
        (b"name,unit\nBricks,pcs\n", "text/csv", 422, "unreadable_file", "'code' column"),
        (b"code,name,CODE\n", "text/csv", 422, "unreadable_file", "appears twice"),
        (b"\n\n\n", "text/csv", 422, "unreadable_file", "no header"),
        (
            b"--x\r\nContent-Disposition: form-data\r\n\r\ncode\r\n--x--",
            "multipart/form-data; boundary=x",
            415,
            "unsupported_media_type",
            "not as a form",
        ),
        (b"code,name\n" + b"P-1,brick\n" * 120_000, "text/csv", 413, "payload_too_large", "larger than 1 MiB"),
        (products(3001), "text/csv", 422, "unreadable_file", "at most 3000"),
    ],
)
async def test_files_that_cannot_be_imported_are_refused_at_once(
    tight: Platform, content: bytes, content_type: str, status: int, code: str, reason: str
) -> None:
    tenant = uuid.uuid4()
    headers = tight.headers(tenant, IMPORTER)
    response = await tight.client.post(
        f"{BASE}/imports/products", content=content, headers={**headers, "Content-Type": content_type}
    )
    assert response.status_code == status, response.text
    body = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert (body["code"], reason in body["detail"]) == (code, True), body
    assert (await tight.client.get(f"{BASE}/jobs", headers=headers)).json()["items"] == []
    assert job_dirs(tight, tenant) == []  # nothing kept of a refused upload


async def test_refusals_are_in_bengali_when_asked(tight: Platform) -> None:
    headers = {**tight.headers(uuid.uuid4(), IMPORTER), "Accept-Language": "bn", "Content-Type": "text/csv"}
    response = await tight.client.post(f"{BASE}/imports/products", content=b"name\nx\n", headers=headers)
    assert response.json()["detail"].startswith("প্রথম সারিতে শিরোনাম")


@pytest.mark.parametrize(
    ("permissions", "refused"),
    [
        (("exchange.job.create",), "master-data.product.write"),
        (("exchange.job.create", "master-data.product.read"), "master-data.product.write"),
        (("master-data.*", "exchange.job.read"), "exchange.job.create"),
        (("exchange.*", "master-data.customer.write"), "master-data.product.write"),
    ],
)
async def test_an_import_needs_both_permissions(tight: Platform, permissions: tuple[str, ...], refused: str) -> None:
    tenant = uuid.uuid4()
    response = await tight.client.post(
        f"{BASE}/imports/products",
        content=products(2),
        headers={**tight.headers(tenant, permissions), "Content-Type": "text/csv"},
    )
    assert response.status_code == 403
    assert response.json()["permission"] == refused
    assert job_dirs(tight, tenant) == []


async def test_reading_committing_and_cancelling_need_their_permissions(tight: Platform) -> None:
    tenant = uuid.uuid4()
    owner = tight.headers(tenant, IMPORTER)
    job = await dry_run(tight.client, owner, "products", products(3))
    reader = tight.headers(tenant, ("exchange.job.read",))
    assert (await tight.client.get(f"{BASE}/jobs/{job['id']}", headers=reader)).status_code == 200
    assert (await tight.client.get(f"{BASE}/jobs/{job['id']}/result", headers=reader)).status_code == 200
    assert (await tight.client.post(f"{BASE}/jobs/{job['id']}/commit", headers=reader)).status_code == 403
    assert (await tight.client.post(f"{BASE}/jobs/{job['id']}/cancel", headers=reader)).status_code == 403
    no_write = tight.headers(tenant, ("exchange.*", "master-data.product.read"))
    refused = await tight.client.post(f"{BASE}/jobs/{job['id']}/commit", headers=no_write)
    assert (refused.status_code, refused.json()["permission"]) == (403, "master-data.product.write")
    creator = tight.headers(tenant, ("exchange.job.create",))
    assert (await tight.client.get(f"{BASE}/jobs", headers=creator)).status_code == 403


async def test_commit_rules(tight: Platform) -> None:
    tenant = uuid.uuid4()
    headers = tight.headers(tenant, IMPORTER)
    job = await dry_run(tight.client, headers, "products", products(3))
    done = await commit(tight.client, headers, job["id"])
    again = await tight.client.post(f"{BASE}/jobs/{done['id']}/commit", headers=headers)
    assert (again.status_code, again.json()["code"]) == (409, "not_a_dry_run")
    finished = await tight.client.post(f"{BASE}/jobs/{done['id']}/cancel", headers=headers)
    assert (finished.status_code, finished.json()["code"]) == (409, "job_finished")
    missing = await tight.client.post(f"{BASE}/jobs/{uuid.uuid4()}/commit", headers=headers)
    assert missing.status_code == 404


async def until(client: httpx.AsyncClient, headers: dict[str, str], job_id: str, condition: Any) -> dict[str, Any]:
    for _ in range(2000):
        job: dict[str, Any] = (await client.get(f"{BASE}/jobs/{job_id}", headers=headers)).json()
        if condition(job):
            return job
        await asyncio.sleep(0.01)
    raise AssertionError(f"condition never met: {job}")


async def test_cancel_a_queued_and_a_running_job_and_watch_progress(tight: Platform) -> None:
    tenant = uuid.uuid4()
    headers = tight.headers(tenant, IMPORTER)
    client = tight.client
    running = await upload(client, headers, "products", products(2900))
    queued = await upload(client, headers, "products", products(5))  # one job at a time here

    seen: list[int] = []
    job = await until(client, headers, running["id"], lambda job: seen.append(job["progress"]) or job["progress"] > 10)
    assert job["status"] == "running"
    assert 0 < job["counts"]["processed"] < 2900
    assert seen == sorted(seen)  # progress only grows

    cancelled = await client.post(f"{BASE}/jobs/{queued['id']}/cancel", headers=headers)
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["counts"]["processed"]) == ("cancelled", 0)

    stopping = await client.post(f"{BASE}/jobs/{running['id']}/cancel", headers=headers)
    assert stopping.json()["cancel_requested"] is True
    stopped = await wait_for(client, headers, running["id"])
    assert stopped["status"] == "cancelled"
    assert 0 < stopped["counts"]["processed"] < 2900
    assert stopped["progress"] < 100

    result = read_xlsx((await client.get(f"{BASE}/jobs/{running['id']}/result", headers=headers)).content)
    statuses = {row[-3] for row in result[1:]}
    assert statuses == {"will create", "not processed"}
    assert sum(1 for row in result[1:] if row[-3] == "will create") == stopped["counts"]["processed"]

    refused = await client.post(f"{BASE}/jobs/{running['id']}/commit", headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "job_not_finished")
    events = [(event["type"], event["subject"]) for event in await events_of(tight, tenant)]
    assert ("exchange.job.cancelled", queued["id"]) in events
    assert ("exchange.job.cancelled", running["id"]) in events
    assert ("exchange.job.started", queued["id"]) not in events


async def test_the_result_waits_for_the_end_of_the_job(tight: Platform) -> None:
    tenant = uuid.uuid4()
    headers = tight.headers(tenant, IMPORTER)
    job = await upload(tight.client, headers, "products", products(1500))
    early = await tight.client.get(f"{BASE}/jobs/{job['id']}/result", headers=headers)
    assert (early.status_code, early.json()["code"]) == (409, "job_not_finished")
    await wait_for(tight.client, headers, job["id"])
    late = await tight.client.get(f"{BASE}/jobs/{job['id']}/result", params={"format": "csv"}, headers=headers)
    assert late.status_code == 200
    assert late.text.count("\n") == 1501


async def test_jobs_of_a_process_that_died_are_failed_by_the_next_one(tight: Platform, tmp_path) -> None:
    """A job left running by a process that stopped: another process (same database) fails it
    when it starts (its readiness probe sweeps), so nobody waits for it forever."""
    tenant = uuid.uuid4()
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    ident = uuid.uuid4()
    with acting_as(tenant_id=tenant):
        async with tight.runtime.database.transaction() as session:
            session.add(
                Job(
                    id=ident,
                    tenant_id=tenant,
                    entity="products",
                    mode="commit",
                    status="running",
                    file_name="lost.csv",
                    file_format="csv",
                    file_size=10,
                    file_sha256="0" * 64,
                    file_key=f"{tenant}/{ident}/source.csv",
                    columns=["code"],
                    ignored_columns=[],
                    total_rows=100,
                    processed_rows=40,
                    created_rows=40,
                    updated_rows=0,
                    unchanged_rows=0,
                    invalid_rows=0,
                    progress=40,
                    permissions=["master-data.product.write"],
                    cancel_requested=False,
                    heartbeat_at=long_ago,
                    started_at=long_ago,
                )
            )
    runtime = tight.runtime
    storage = str(storage_dir(tight))
    other = build_app(runtime.services, runtime.settings, service_settings={"exchange": {"storage_dir": storage}})
    async with other.router.lifespan_context(other):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(other), base_url="http://other.test") as client:
            ready = await client.get("/health/ready")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"]["exchange.jobs"]["status"] == "ok"
            headers = tight.headers(tenant, IMPORTER)
            job = (await client.get(f"{BASE}/jobs/{ident}", headers=headers)).json()
    assert job["status"] == "failed"
    assert job["error"].startswith("The process running this import stopped")
    assert job["counts"]["created"] == 40
    (event,) = await events_of(tight, tenant)
    assert (event["type"], event["data"]["status"]) == ("exchange.job.failed", "failed")


async def test_business_metrics(tight: Platform) -> None:
    headers = tight.headers(uuid.uuid4(), IMPORTER)
    await dry_run(tight.client, headers, "products", products(4))
    text = (await tight.client.get("/metrics")).text
    families = {family.name: family for family in text_string_to_metric_families(text)}
    rows = families["exchange_rows_processed"].samples
    assert any(
        sample.labels == {"entity": "products", "mode": "dry_run", "outcome": "created"} and sample.value >= 4
        for sample in rows
    )
    assert any(sample.labels.get("status") == "succeeded" for sample in families["exchange_jobs"].samples)
    durations = [s for s in families["exchange_job_duration_seconds"].samples if s.name.endswith("_count")]
    assert any(sample.value >= 1 for sample in durations)
    assert "exchange_jobs_running" in families


async def test_a_process_that_stops_fails_its_running_jobs_at_once(tight: Platform) -> None:
    """Shutting a process down (the service's on_stop hook) cancels its jobs and marks them failed
    with the reason, instead of leaving them 'running' until another process finds them stale."""
    tenant = uuid.uuid4()
    headers = tight.headers(tenant, IMPORTER)
    runtime = tight.runtime
    settings = {"exchange": {"storage_dir": str(storage_dir(tight)), "batch_rows": 25}}
    other = build_app(runtime.services, runtime.settings, service_settings=settings)
    async with other.router.lifespan_context(other):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(other), base_url="http://other.test") as client:
            job = await upload(client, headers, "products", products(2900))
            await until(client, headers, job["id"], lambda job: job["counts"]["processed"] > 0)
    stopped = (await tight.client.get(f"{BASE}/jobs/{job['id']}", headers=headers)).json()
    assert stopped["status"] == "failed"
    assert stopped["error"].startswith("The process running this import stopped")
    assert 0 < stopped["counts"]["processed"] < 2900
    kinds = [event["type"] for event in await events_of(tight, tenant)]
    assert kinds == ["exchange.job.started", "exchange.job.failed"]
