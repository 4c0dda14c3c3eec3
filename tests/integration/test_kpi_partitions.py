"""kpi's daily facts on a real PostgreSQL are partitioned by month: a batch spanning two months
lands in two partitions, made as the months come (by two replicas at once too), and the KPI
reads see the rows as before. SQLite keeps plain tables."""

import asyncio
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import text

from deploy.local.postgres import PostgresServer
from services.kpi import aggregate, series
from services.kpi.models import KpiClinic
from services.kpi.partitions import PARTITIONED, MonthPartitions
from shared import db
from shared.events.partner import PartnerActivity, parse_body
from tests.integration.kpi_support import ROOT

MIGRATIONS = ROOT / "services" / "kpi" / "migrations"
OFFICER = "officer-partitions"


def calls(clinic: uuid.UUID, day: date, count: int) -> list[PartnerActivity]:
    body = parse_body("partner.call.missed", {"wait_seconds": 30})
    return [
        PartnerActivity(
            event_id=f"{day}-{n}",
            type=body.event_type,
            clinic_id=clinic,
            occurred_at=datetime(day.year, day.month, day.day, 10, tzinfo=UTC),
            body=body,
        )
        for n in range(count)
    ]


async def test_a_batch_over_two_months_lands_in_two_partitions_and_reads_as_before(
    postgres: PostgresServer,
) -> None:
    url = postgres.create_database("kpi_partitions")
    await db.migrate(url, MIGRATIONS)
    engine = db.create_engine(url)
    sessions = db.create_session_factory(engine)
    clinic = uuid.uuid4()
    try:
        async with sessions() as session:
            session.add(KpiClinic(id=clinic, officer_id=OFFICER, name="Partitioned Clinic"))
            await session.commit()
            connection = await session.connection()
            partitioned = (
                await connection.execute(
                    text(
                        "SELECT c.relname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
                        "WHERE p.partstrat = 'r'"
                    )
                )
            ).scalars()
            assert set(partitioned) == set(PARTITIONED)
            for table in PARTITIONED:  # PostgreSQL requires it; checked so the schema says so too
                key = (
                    await connection.execute(
                        text(
                            "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
                            "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                            "WHERE i.indrelid = CAST(:table AS regclass) AND i.indisprimary"
                        ),
                        {"table": table},
                    )
                ).scalars()
                assert {"clinic_id", "day"} <= set(key), table

        async with sessions() as session:
            batch = calls(clinic, date(2026, 10, 30), 3) + calls(clinic, date(2026, 11, 2), 5)
            outcome = await aggregate.apply_activity_batch(session=session, activities=batch)
            await session.commit()
        assert outcome.applied == 8

        async with sessions() as session:
            connection = await session.connection()
            placed = (
                await connection.execute(
                    text(
                        "SELECT CAST(tableoid AS regclass)::text, SUM(value) FROM kpi_daily_counter "
                        "WHERE name = 'events' GROUP BY 1"
                    )
                )
            ).all()
            assert {partition: total for partition, total in placed} == {
                "kpi_daily_counter_2026_10": 3,
                "kpi_daily_counter_2026_11": 5,
            }

            read = await series.clinic_kpis(
                session=session,
                officer_id=OFFICER,
                clinic_id=clinic,
                granularity="day",
                start=date(2026, 10, 30),
                end=date(2026, 11, 2),
                names=["missed_call_rate"],
            )
            (missed,) = read.kpis
            assert [(point.period, point.value, point.sample_size) for point in missed.points] == [
                ("2026-10-30", 1.0, 3),
                ("2026-10-31", None, 0),
                ("2026-11-01", None, 0),
                ("2026-11-02", 1.0, 5),
            ]
            totals = await aggregate.clinic_totals(session=session, clinic_ids=[clinic])
            assert totals == {clinic: 8.0}

        # Two replicas meeting a new month at once: one creates it, the other finds it made.
        await asyncio.gather(*(MonthPartitions().ensure(engine, [date(2027, 1, 15)]) for _ in range(2)))
        async with sessions() as session:
            connection = await session.connection()
            made = (
                await connection.execute(
                    text("SELECT relname FROM pg_class WHERE relname LIKE :pattern"), {"pattern": "%_2027_01"}
                )
            ).scalars()
            assert set(made) == {f"{table}_2027_01" for table in PARTITIONED}
    finally:
        await engine.dispose()


async def test_sqlite_keeps_plain_tables(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'kpi.db'}"
    await db.migrate(url, MIGRATIONS)
    engine = db.create_engine(url)
    try:
        async with engine.connect() as connection:
            names = list(
                (
                    await connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))
                ).scalars()
            )
            assert set(PARTITIONED) <= set(names)
            assert not [name for name in names if name.endswith("_2026_11")]
    finally:
        await engine.dispose()
