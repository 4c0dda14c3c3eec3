"""The body of every service's Alembic env.py (online migrations over an async engine), and the
operations several services' revisions share."""

import asyncio
import json

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from shared.calendar import MONDAY_TO_FRIDAY


def _run(connection: Connection, metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copy
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(metadata: MetaData) -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set by shared.db.migrate"
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run, metadata)
    await engine.dispose()


def run_migrations(metadata: MetaData) -> None:
    """Called from env.py: apply migrations for the service whose tables are `metadata`."""
    if context.is_offline_mode():
        context.configure(url=context.config.get_main_option("sqlalchemy.url"), target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(_run_online(metadata))


def add_calendar_columns(table: str) -> None:
    """A clinic's calendar (shared.calendar.CalendarColumns) on `table`; existing rows get UTC, Mon-Fri."""
    with op.batch_alter_table(table) as batch:
        batch.add_column(sa.Column("time_zone", sa.String(length=64), nullable=False, server_default="UTC"))
        batch.add_column(
            sa.Column(
                "open_days", sa.JSON(), nullable=False, server_default=json.dumps(list(MONDAY_TO_FRIDAY))
            )
        )
        batch.add_column(sa.Column("holidays", sa.String(length=12), nullable=False, server_default=""))
        batch.add_column(sa.Column("closures", sa.JSON(), nullable=False, server_default="[]"))


def drop_calendar_columns(table: str) -> None:
    with op.batch_alter_table(table) as batch:
        for column in ("closures", "holidays", "open_days", "time_zone"):
            batch.drop_column(column)
