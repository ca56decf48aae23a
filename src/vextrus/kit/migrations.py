"""Per-service Alembic trees (DESIGN.md §3), run programmatically on the async engine.

Every tree shares one ``env.py`` and revision template (``kit/alembic``) but has its own versions
folder, its own version table ``alembic_version_<schema>`` and a schema filter, so no tree ever
sees another's tables. The kit's own tree (``platform``: outbox, inbox, idempotency keys) goes
first on upgrade and last on downgrade.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from vextrus.kit.db import Database
from vextrus.kit.models import PLATFORM_SCHEMA, PlatformBase
from vextrus.kit.service import Service

ALEMBIC_DIR = Path(__file__).parent / "alembic"
PLATFORM_VERSIONS = Path(__file__).parent / "platform_migrations"


@dataclass(frozen=True)
class MigrationTree:
    name: str
    schema: str
    versions: Path
    metadata: MetaData | None

    @property
    def version_table(self) -> str:
        return f"alembic_version_{self.schema}"


def platform_tree() -> MigrationTree:
    import vextrus.kit.events.models  # noqa: F401 - registers the platform tables on PlatformBase

    return MigrationTree("platform", PLATFORM_SCHEMA, PLATFORM_VERSIONS, PlatformBase.metadata)


def service_tree(service: Service) -> MigrationTree | None:
    if service.migrations is None:
        return None
    return MigrationTree(service.name, service.schema, service.migrations / "versions", service.metadata)


def trees_for(services: Sequence[Service], *, include_platform: bool = True) -> list[MigrationTree]:
    trees = [platform_tree()] if include_platform else []
    trees.extend(tree for service in services if (tree := service_tree(service)) is not None)
    return trees


def alembic_config(tree: MigrationTree, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    config.set_main_option("version_locations", str(tree.versions))
    config.set_main_option("path_separator", "os")
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes["tree"] = tree
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def run_env(context: Any) -> None:
    """The body of the shared ``env.py``: configure Alembic for one tree on a given connection."""
    config = context.config
    tree: MigrationTree = config.attributes["tree"]
    connection: Connection = config.attributes["connection"]
    sqlite = connection.dialect.name == "sqlite"

    def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
        if type_ == "schema":
            return name == tree.schema or (sqlite and name is None)
        if type_ == "table":
            return parent_names.get("schema_name") in (tree.schema, None) and name != tree.version_table
        return True

    context.configure(
        connection=connection,
        target_metadata=tree.metadata,
        version_table=tree.version_table,
        version_table_schema=None if sqlite else tree.schema,
        include_schemas=not sqlite,
        include_name=include_name,
        render_as_batch=sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


_CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
_CROSS_TENANT = "current_setting('app.cross_tenant', true) = 'on'"


def tenant_isolation_condition(column: str = "tenant_id", *, shared_rows: bool = False) -> str:
    """The row-level-security condition: the row's tenant is the transaction's (``app.tenant_id``),
    or the transaction runs inside :func:`vextrus.kit.tenancy.cross_tenant`; ``shared_rows`` also
    admits rows with no tenant (platform-wide rows every tenant reads)."""
    condition = f"{column} = {_CURRENT_TENANT} OR {_CROSS_TENANT}"
    return f"{column} IS NULL OR {condition}" if shared_rows else condition


def enable_tenant_isolation(
    table: str, schema: str, *, column: str = "tenant_id", shared_rows: bool = False
) -> None:
    """In a revision's ``upgrade``: row-level security on a tenant-owned table (PostgreSQL only;
    SQLite relies on the tenant-scoped repositories alone). FORCE applies it to the owner too."""
    from alembic import op

    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f'ALTER TABLE "{schema}"."{table}" ENABLE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{schema}"."{table}" FORCE ROW LEVEL SECURITY')
    condition = tenant_isolation_condition(column, shared_rows=shared_rows)
    op.execute(f'CREATE POLICY {table}_tenant_isolation ON "{schema}"."{table}" USING ({condition})')


def disable_tenant_isolation(table: str, schema: str) -> None:
    """In a revision's ``downgrade``: the reverse of :func:`enable_tenant_isolation`."""
    from alembic import op

    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f'DROP POLICY IF EXISTS {table}_tenant_isolation ON "{schema}"."{table}"')
    op.execute(f'ALTER TABLE "{schema}"."{table}" NO FORCE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{schema}"."{table}" DISABLE ROW LEVEL SECURITY')


async def _grant(connection: AsyncConnection, schema: str, role: str) -> None:
    """Let the application role (not the owner) use a service schema's tables and sequences."""
    quoted = f'"{role}"'
    for statement in (
        f'GRANT USAGE ON SCHEMA "{schema}" TO {quoted}',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" TO {quoted}',
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO {quoted}',
    ):
        await connection.execute(text(statement))


async def _run(
    database: Database, tree: MigrationTree, action: str, revision: str, app_role: str | None = None
) -> None:
    async with database.engine.begin() as connection:
        if not database.is_sqlite:
            await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{tree.schema}"'))

        def run(sync_connection: Connection) -> None:
            getattr(command, action)(alembic_config(tree, sync_connection), revision)

        await connection.run_sync(run)
        if app_role and not database.is_sqlite:
            await _grant(connection, tree.schema, app_role)


async def upgrade(
    database: Database, trees: Sequence[MigrationTree], revision: str = "head", *, app_role: str | None = None
) -> None:
    """Upgrade each tree; on PostgreSQL grant ``app_role`` (``VEXTRUS_DATABASE_APP_ROLE``) the use of
    every migrated schema, so the services can run as a role that row-level security binds."""
    for tree in trees:
        await _run(database, tree, "upgrade", revision, app_role)


async def downgrade(database: Database, trees: Sequence[MigrationTree], revision: str = "base") -> None:
    for tree in reversed(trees):
        await _run(database, tree, "downgrade", revision)


async def current_revisions(database: Database, tree: MigrationTree) -> tuple[str, ...]:
    async with database.engine.connect() as connection:

        def heads(sync_connection: Connection) -> tuple[str, ...]:
            context = MigrationContext.configure(
                sync_connection,
                opts={
                    "version_table": tree.version_table,
                    "version_table_schema": None if database.is_sqlite else tree.schema,
                },
            )
            return tuple(context.get_current_heads())

        return await connection.run_sync(heads)
