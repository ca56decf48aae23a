"""A migration that fails half-way leaves nothing behind, on SQLite as on PostgreSQL, and a tree
only ever touches its own version table."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import Connection

from vextrus.kit.db import Database
from vextrus.kit.migrations import MigrationTree, current_revisions, upgrade

FAILING_REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "scratch_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("scr_first", sa.Column("id", sa.Integer, primary_key=True), schema="scratch")
    op.create_table("scr_second", sa.Column("id", sa.Integer, primary_key=True), schema="scratch")
    op.execute("SELECT no_such_function()")


def downgrade():
    op.drop_table("scr_second", schema="scratch")
    op.drop_table("scr_first", schema="scratch")
"""


@pytest.mark.parametrize("fresh_database_url", ["sqlite", "postgresql"], indirect=True)
async def test_failed_migration_rolls_back_completely(fresh_database_url: str, tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "20261124_scratch_0001_fails.py").write_text(FAILING_REVISION)
    tree = MigrationTree("scratch", "scratch", versions, MetaData(schema="scratch"))
    database = Database(fresh_database_url, ["scratch"])
    try:
        with pytest.raises(Exception, match="no_such_function"):
            await upgrade(database, [tree])
        async with database.engine.connect() as connection:

            def tables(sync: Connection) -> set[str]:
                inspector = inspect(sync)
                schema = None if database.is_sqlite else "scratch"
                if schema and schema not in inspector.get_schema_names():
                    return set()
                return set(inspector.get_table_names(schema=schema))

            assert not {"scr_first", "scr_second"} & await connection.run_sync(tables)
        assert await current_revisions(database, tree) == ()
    finally:
        await database.dispose()
