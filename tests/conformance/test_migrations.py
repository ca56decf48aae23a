"""Every service's migration tree upgrades, downgrades to nothing and upgrades again, on SQLite
and PostgreSQL, and the migrated schema matches the models exactly (no drift)."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from vextrus.kit.db import Database
from vextrus.kit.migrations import (
    MigrationTree,
    current_revisions,
    downgrade,
    platform_tree,
    service_tree,
    upgrade,
)
from vextrus.kit.models import PLATFORM_SCHEMA
from vextrus.kit.service import Service, load_registry

SERVICES = [service for service in load_registry() if service.migrations is not None]
BACKENDS = pytest.mark.parametrize("fresh_database_url", ["sqlite", "postgresql"], indirect=True)


def database_for(url: str) -> Database:
    return Database(url, [PLATFORM_SCHEMA, *(service.schema for service in load_registry())])


async def table_names(database: Database, schema: str) -> set[str]:
    async with database.engine.connect() as connection:

        def names(sync: Connection) -> set[str]:
            return set(inspect(sync).get_table_names(schema=None if database.is_sqlite else schema))

        return await connection.run_sync(names)


async def drift(database: Database, tree: MigrationTree) -> list[Any]:
    """Differences between the migrated schema and the models. PostgreSQL only: autogenerate
    cannot see through SQLite's schema translation (DESIGN.md §3), so it is not compared there."""
    if database.is_sqlite:
        return []
    async with database.engine.connect() as connection:

        def diff(sync: Connection) -> list[Any]:
            schema = tree.schema

            def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
                if type_ == "schema":
                    return name == schema
                if type_ == "table":
                    return not (name or "").startswith("alembic_version")
                return True

            assert tree.metadata is not None
            target = tree.metadata
            context = MigrationContext.configure(
                sync,
                opts={
                    "include_schemas": True,
                    "include_name": include_name,
                    "compare_type": True,
                    "target_metadata": target,
                },
            )
            owned = {table.name for table in tree.metadata.tables.values()}
            return [change for change in compare_metadata(context, target) if _touches(change, owned)]

        return await connection.run_sync(diff)


def _touches(change: Any, owned: set[str]) -> bool:
    """Keep diffs about this tree's own tables."""
    items = change if isinstance(change, list) else [change]
    for item in items:
        for part in item if isinstance(item, tuple) else (item,):
            name = getattr(part, "name", None)
            table = getattr(part, "table", None)
            if name in owned or getattr(table, "name", None) in owned:
                return True
            if isinstance(part, str) and part in owned:
                return True
    return False


@BACKENDS
async def test_platform_tree_round_trip(fresh_database_url: str) -> None:
    database = database_for(fresh_database_url)
    tree = platform_tree()
    try:
        await upgrade(database, [tree])
        assert {"platform_outbox", "platform_inbox"} <= await table_names(database, PLATFORM_SCHEMA)
        assert await drift(database, tree) == []
        await downgrade(database, [tree])
        assert not {"platform_outbox", "platform_inbox"} & await table_names(database, PLATFORM_SCHEMA)
        await upgrade(database, [tree])
        assert await current_revisions(database, tree)
    finally:
        await database.dispose()


@BACKENDS
@pytest.mark.parametrize("service", SERVICES, ids=[service.name for service in SERVICES])
async def test_service_tree_upgrade_downgrade_upgrade(fresh_database_url: str, service: Service) -> None:
    database = database_for(fresh_database_url)
    tree = service_tree(service)
    assert tree is not None
    assert tree.metadata is not None
    owned = {table.name for table in tree.metadata.tables.values()}
    try:
        await upgrade(database, [platform_tree(), tree])
        assert owned <= await table_names(database, service.schema)
        assert await drift(database, tree) == []
        await downgrade(database, [tree])
        assert not owned & await table_names(database, service.schema)
        assert await current_revisions(database, tree) == ()
        await upgrade(database, [tree])
        assert owned <= await table_names(database, service.schema)
    finally:
        await database.dispose()
