"""Each service owns one database: SQLite file by default, any SQLAlchemy async URL by setting."""

import asyncio
import fcntl
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, Any

from alembic import command
from sqlalchemy import MetaData, Table, event, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.migrations import alembic_config

SessionFactory = async_sessionmaker[AsyncSession]


def create_engine(url: str) -> AsyncEngine:
    """An async engine; SQLite gets WAL and a busy timeout so API and consumers can share it."""
    engine = create_async_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def dialect(session: AsyncSession) -> str:
    """ "sqlite" or "postgresql": which set-based statements a hot write path uses."""
    return session.bind.dialect.name if session.bind is not None else ""


async def ping(engine: AsyncEngine) -> None:
    """Raise if the database cannot answer a trivial query."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


def service_metadata(*tables: Any) -> MetaData:
    """The tables one service owns, apart from the process-wide SQLModel metadata.

    Several services can live in one test process; each one's migrations must see only its own.
    """
    metadata = MetaData()
    for table in tables:
        sa_table: Table = table.__table__ if hasattr(table, "__table__") else table
        sa_table.to_metadata(metadata)
    return metadata


async def migrate(database_url: str, migrations_dir: Path) -> None:
    """Bring the database to the latest Alembic revision (alembic runs its own event loop).

    One process at a time: a service and its Temporal worker share a database and start
    together, and two upgrades racing on a fresh database both try to create the same tables.
    """
    config = alembic_config(migrations_dir, database_url)
    async with _migration_lock(database_url, name=migrations_dir.parent.name):
        # Every head: the service's chain, and the shared branch it depends on.
        await asyncio.to_thread(command.upgrade, config, "heads")


@asynccontextmanager
async def _migration_lock(database_url: str, *, name: str) -> AsyncIterator[None]:
    """An inter-process lock around one database's migrations: a PostgreSQL advisory lock, or an
    exclusive lock on a file beside the SQLite database."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
        engine = create_async_engine(database_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
                try:
                    yield
                finally:
                    await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
        finally:
            await engine.dispose()
    elif url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        handle = await asyncio.to_thread(open_lock_file, Path(f"{url.database}.migrate-lock"))
        try:
            await asyncio.to_thread(fcntl.flock, handle, fcntl.LOCK_EX)
            yield
        finally:
            handle.close()  # releases the lock
    else:
        yield


def open_lock_file(path: Path) -> IO[str]:
    """A file to take an inter-process lock on (fcntl.flock), made with its folder if missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("a")
