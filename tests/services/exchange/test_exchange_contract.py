"""What the generic conformance suites (tests/conformance, run for every registered service) do not
check about this service in particular: its name, schema and port, the jobs table under FORCEd
row-level security, the topics it promises, and the demo seed (a finished dry run with its result file)."""

from __future__ import annotations

import uuid

import pytest
from exchange_support import BASE, result_rows
from sqlalchemy import text
from tests.conformance import test_tenancy as tenancy
from tests.conftest import Platform

from vextrus.demo import DEMO_TENANTS
from vextrus.kit.service import SeedContext
from vextrus.services.exchange import service as exchange
from vextrus.services.exchange.seed import demo_job_id


def test_tables_are_prefixed_in_the_service_schema_and_tenant_owned() -> None:
    assert {topic.name for topic in exchange.publishes} == {
        "exchange.job.started",
        "exchange.job.completed",
        "exchange.job.failed",
        "exchange.job.cancelled",
    }
    assert (exchange.name, exchange.schema, exchange.port) == ("exchange", "exchange", 3007)
    assert exchange.metadata is not None
    for table in exchange.metadata.tables.values():
        assert table.schema == "exchange"
        assert table.name.startswith("xch_")
    tenancy.test_every_table_is_tenant_owned_or_declared_platform_wide(exchange)


async def test_row_level_security_binds_the_jobs_table(platform: Platform, tenant: uuid.UUID) -> None:
    if platform.backend != "postgresql":
        pytest.skip("row-level security is a PostgreSQL feature")
    async with platform.runtime.database.transaction() as session:
        row = await session.execute(
            text(
                "SELECT c.relrowsecurity, c.relforcerowsecurity, (SELECT count(*) FROM pg_policies p"
                " WHERE p.schemaname = 'exchange' AND p.tablename = 'xch_jobs'), current_user"
                " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'exchange' AND c.relname = 'xch_jobs'"
            )
        )
        enabled, forced, policies, user = row.one()
    assert (enabled, forced, policies) == (True, True, 1)
    assert user == "vextrus_app_test"


async def test_the_demo_seed_is_a_finished_dry_run_with_its_result(platform: Platform) -> None:
    assert exchange.seed is not None
    await exchange.seed(SeedContext(platform.runtime))
    await exchange.seed(SeedContext(platform.runtime))  # idempotent
    demo = DEMO_TENANTS[0]
    headers = platform.headers(demo.id, ("exchange.job.read",))
    jobs = (await platform.client.get(f"{BASE}/jobs", headers=headers)).json()["items"]
    job_id = str(demo_job_id(demo.slug, "labour-rates-2026"))
    assert [job["id"] for job in jobs].count(job_id) == 1
    (job,) = [job for job in jobs if job["id"] == job_id]
    assert (job["status"], job["mode"], job["progress"], job["file_name"]) == (
        "succeeded",
        "dry_run",
        100,
        "labour-rates-2026.csv",
    )
    assert (job["counts"]["created"], job["counts"]["updated"], job["counts"]["invalid"]) == (1, 2, 1)
    rows = await result_rows(platform.client, headers, job_id)
    assert [row[-3] for row in rows[1:]] == [
        "will update (purchase_price)",
        "will update (purchase_price)",
        "will create",
        "rejected",
    ]
    assert rows[4][-2] == "unit: Unknown unit 'dya'"
