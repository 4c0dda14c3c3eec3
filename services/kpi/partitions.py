"""kpi's daily facts on PostgreSQL, one partition a month (SQLite keeps plain tables).

2,500 clinics over two years is some hundred million counter rows: by month, a query for a
clinic's weeks reads only the months it asks for, and an old month can be detached or dropped
whole instead of deleted row by row. The tables are declared `PARTITION BY RANGE (day)` (the
models and kpi's initial migration); `day` is in each primary key, as PostgreSQL requires.

A month's partitions are created the first time a batch has a fact for it, before the batch's
own transaction, under an advisory lock so that replicas do not race; each process remembers
the months it has seen, so a batch pays a set lookup. There is no default partition: a row for
a month nobody created would fail its batch (retried) rather than land where a later month's
partition could not be made.
"""

from collections.abc import Iterable
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

PARTITIONED = ("kpi_daily_counter", "kpi_daily_staff", "kpi_daily_clinician_notes")
PARTITION_BY = {"postgresql_partition_by": "RANGE (day)"}
# pg_advisory_xact_lock's key: any constant no other lock of faio uses.
_LOCK = 0x6B70692D6D6F6E  # "kpi-mon"


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def partition_name(table: str, month: date) -> str:
    return f"{table}_{month:%Y_%m}"


class MonthPartitions:
    """The months that have partitions, per database, and the creation of the missing ones."""

    def __init__(self) -> None:
        self._ready: dict[str, set[date]] = {}

    async def ensure(self, engine: AsyncEngine, days: Iterable[date]) -> None:
        """Create the partitions of every month of `days` that this process has not seen yet."""
        ready = self._ready.setdefault(engine.url.render_as_string(hide_password=True), set())
        missing = {month_of(day) for day in days} - ready
        if not missing:
            return
        # Its own short transaction: the DDL locks the parent table, which the batch's
        # transaction must not hold for its whole write.
        async with engine.begin() as connection:
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
            for month in sorted(missing):
                for table in PARTITIONED:
                    await connection.execute(
                        text(
                            f"CREATE TABLE IF NOT EXISTS {partition_name(table, month)} PARTITION OF {table} "
                            f"FOR VALUES FROM ('{month.isoformat()}') TO ('{next_month(month).isoformat()}')"
                        )
                    )
        ready |= missing


MONTHS = MonthPartitions()
