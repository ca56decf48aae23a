"""Operations: business metrics on /metrics (promtool-clean), migrations up and down on both
databases, and models that match the migration."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from asyncio.subprocess import PIPE
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from vextrus.kit.db import Database
from vextrus.kit.migrations import current_revisions, downgrade, service_tree, trees_for, upgrade
from vextrus.kit.models import PLATFORM_SCHEMA
from vextrus.services.configuration import service

BASE = "/api/v1/configuration"
TABLES = {"cfg_settings", "cfg_feature_flags", "cfg_flag_overrides", "cfg_change_history"}


async def test_business_metrics_are_exposed(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ("*", "platform.flag.manage"))
    await client.get(f"{BASE}/settings/localization.language", headers=headers)
    await client.get(f"{BASE}/settings/localization.language", headers=headers)
    await client.put(f"{BASE}/settings/localization.language", json={"value": "bn"}, headers=headers)
    key = f"test.flag-{uuid.uuid4().hex[:8]}"
    await client.post(f"{BASE}/flags", json={"key": key, "description": "x", "enabled": True}, headers=headers)
    await client.get(f"{BASE}/flags/{key}/evaluate", headers=headers)

    text = (await client.get("/metrics")).text
    assert 'configuration_setting_updates_total{action="updated",key="localization.language"}' in text
    assert 'configuration_cache_requests_total{result="hit"}' in text
    assert 'configuration_cache_requests_total{result="miss"}' in text
    assert f'configuration_flag_evaluations_total{{flag="{key}",result="rollout"}} 1.0' in text
    assert 'configuration_flag_changes_total{action="created"}' in text

    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed")
    ours = [line for line in text.splitlines() if "configuration_" in line.split(" ")[0 if line[0] != "#" else 2]]
    process = await asyncio.create_subprocess_exec(promtool, "check", "metrics", stdin=PIPE, stdout=PIPE, stderr=PIPE)
    stdout, stderr = await process.communicate(("\n".join(ours) + "\n").encode())
    assert process.returncode == 0, (stdout + stderr).decode()


def _include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    if type_ == "schema":
        return name == service.schema
    if type_ == "table":
        return parent_names.get("schema_name") in (service.schema, None) and not str(name).startswith("alembic_")
    return True


@pytest.mark.parametrize("fresh_database_url", ["sqlite", "postgresql"], indirect=True)
async def test_migration_upgrades_downgrades_and_matches_the_models(fresh_database_url: str) -> None:
    database = Database(fresh_database_url, [PLATFORM_SCHEMA, service.schema])
    trees = trees_for([service])
    tree = service_tree(service)
    assert tree is not None
    sqlite = database.is_sqlite
    try:
        await upgrade(database, trees)
        assert await current_revisions(database, tree) == ("configuration_0002",)  # head

        async with database.engine.connect() as connection:

            def check(sync_connection: Connection) -> tuple[set[str], list[Any]]:
                tables = set(inspect(sync_connection).get_table_names(schema=None if sqlite else service.schema))
                context = MigrationContext.configure(
                    sync_connection,
                    opts={"include_schemas": not sqlite, "include_name": _include_name, "compare_type": True},
                )
                return tables, compare_metadata(context, service.metadata)  # type: ignore[arg-type]

            tables, differences = await connection.run_sync(check)
        assert tables >= TABLES
        if not sqlite:  # autogenerate is authoritative against PostgreSQL (DESIGN.md §3)
            assert differences == []

        await downgrade(database, [tree])
        assert await current_revisions(database, tree) == ()
        async with database.engine.connect() as connection:
            remaining = await connection.run_sync(
                lambda sync: set(inspect(sync).get_table_names(schema=None if sqlite else service.schema))
            )
        assert not (TABLES & remaining)
        await upgrade(database, [tree])
        assert await current_revisions(database, tree) == ("configuration_0002",)  # head
    finally:
        await database.dispose()
