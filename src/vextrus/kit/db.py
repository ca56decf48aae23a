"""Database engines, the unit of work and the request-scoped session.

One :class:`Database` per process. On SQLite every service schema is translated to the one file
(``schema_translate_map``), in WAL mode with a busy timeout and an explicit ``BEGIN IMMEDIATE`` so
that transactions (and failed migrations) are atomic. On PostgreSQL each service has a real schema
and every transaction carries the tenant in ``app.tenant_id`` for row-level security.

Services ``flush``; the boundary (a request, a consumer, a CLI command) commits through
:meth:`Database.transaction`, and callbacks registered with :func:`after_commit` run only once the
commit succeeded (outbox relay wake-up, cache invalidation).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import structlog
from fastapi import Depends, Request
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, SessionTransaction

from vextrus.kit.tenancy import current_tenant_id, is_cross_tenant

log = structlog.get_logger("vextrus.db")

AfterCommit = Callable[[], Awaitable[None] | None]
_AFTER_COMMIT = "vextrus_after_commit"


def after_commit(session: AsyncSession | Session, callback: AfterCommit) -> None:
    """Run ``callback`` after the surrounding transaction commits (never if it rolls back)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


@event.listens_for(Session, "after_begin")
def _set_tenant_for_rls(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    if connection.dialect.name != "postgresql":
        return
    tenant = current_tenant_id()
    if tenant is not None:
        connection.execute(text("SELECT set_config('app.tenant_id', :tenant, true)"), {"tenant": str(tenant)})
    if is_cross_tenant():
        connection.execute(text("SELECT set_config('app.cross_tenant', 'on', true)"))


class Database:
    """The engine and session factory for one database URL."""

    def __init__(
        self,
        url: str,
        schemas: Iterable[str],
        *,
        pool_size: int = 10,
        max_overflow: int = 20,
        echo: bool = False,
    ) -> None:
        self.url = make_url(url)
        self.schemas = tuple(dict.fromkeys(schemas))
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            self.engine = self._sqlite_engine(echo)
        else:
            self.engine = create_async_engine(
                self.url,
                echo=echo,
                pool_size=pool_size,
                max_overflow=max_overflow,
                pool_pre_ping=True,
                pool_recycle=1800,
            )
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=True)

    def _sqlite_engine(self, echo: bool) -> AsyncEngine:
        database = self.url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            self.url,
            echo=echo,
            connect_args={"timeout": 30},
            execution_options={"schema_translate_map": dict.fromkeys(self.schemas)},
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _configure(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            for pragma in (
                "PRAGMA journal_mode=WAL",
                "PRAGMA synchronous=NORMAL",
                "PRAGMA busy_timeout=30000",
                "PRAGMA foreign_keys=ON",
            ):
                cursor.execute(pragma)
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(connection: Connection) -> None:
            # IMMEDIATE takes the write lock up front: no SQLITE_BUSY on a read->write upgrade.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: commit on success, roll back on error, then after-commit hooks."""
        session = self.sessionmaker()
        try:
            yield session
            # A session that never touched the database has nothing to commit (cheap reads).
            if session.in_transaction() or session.new or session.dirty or session.deleted:
                await session.commit()
        except BaseException:
            await session.rollback()
            raise
        finally:
            callbacks = session.info.pop(_AFTER_COMMIT, [])
            await session.close()
        for callback in callbacks:
            try:
                result = callback()
                if result is not None:
                    await result
            except Exception:
                log.exception("after_commit_callback_failed")

    async def ping(self) -> float:
        """Run ``SELECT 1``; return the round trip in milliseconds."""
        started = time.perf_counter()
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return (time.perf_counter() - started) * 1000

    def pool_stats(self) -> dict[str, int]:
        """Connections in use and idle, and the configured pool size."""
        pool: Any = self.engine.pool
        checked_out = int(pool.checkedout()) if hasattr(pool, "checkedout") else 0
        checked_in = int(pool.checkedin()) if hasattr(pool, "checkedin") else 0
        size = int(pool.size()) if hasattr(pool, "size") else 0
        return {"size": size, "checked_out": checked_out, "checked_in": checked_in}

    async def dispose(self) -> None:
        await self.engine.dispose()


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    database: Database = request.app.state.runtime.database
    async with database.transaction() as session:
        yield session


# Function scope: the commit happens when the endpoint returns, before the response is sent, so
# a failed commit becomes an error response instead of a lie.
SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]
