"""kpi's write path on a real PostgreSQL counts exactly what it counts on SQLite: the aggregate
stores (batches with duplicates and redeliveries), the front door's writer (receipts, webhook-ids,
outbox rows), and HTTP ingestion end to end through Kafka."""

import json
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func
from sqlmodel import select

from deploy.local.postgres import PostgresServer
from services.kpi import aggregate, partner_batches
from services.kpi.models import KpiClinic, KpiDailyClinicianNotes, KpiDailyCounter, KpiDailyStaff
from services.kpi.receipts import StagedBatch, write_group
from shared import db
from shared.events.partner import PartnerActivity, example_events, parse_body
from shared.inbox import InboxMessage
from shared.outbox import OutboxMessage
from tests.integration.kpi_support import (
    ROOT,
    create_live_partner,
    live_kpi,
    register_live_clinics,
    signed,
)
from tests.polling import eventually

MIGRATIONS = ROOT / "services" / "kpi" / "migrations"
CLINICS = [uuid.UUID(int=n + 1) for n in range(5)]
START = date(2026, 11, 2)


def activities(count: int, *, seed: int) -> list[PartnerActivity]:
    """Every event type, over 5 clinics and 7 days; ids drawn from a small pool, so repeats happen."""
    examples = list(example_events().items())
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        event_type, data = examples[rng.randrange(len(examples))]
        when = datetime(START.year, START.month, START.day, 9, tzinfo=UTC) + timedelta(
            hours=rng.randrange(168)
        )
        made.append(
            PartnerActivity(
                event_id=f"pg-{rng.randrange(count * 3)}",
                type=(body := parse_body(event_type, data)).event_type,
                clinic_id=CLINICS[rng.randrange(len(CLINICS))],
                occurred_at=when,
                body=body,
            )
        )
    return made


async def tables(sessions: db.SessionFactory) -> dict[str, Any]:
    """Everything the write path leaves behind, in a form both databases give alike."""
    async with sessions() as session:
        counters = {
            (row.clinic_id, row.day, row.name): round(row.value, 6)
            for row in (await session.exec(select(KpiDailyCounter))).all()
        }
        staff = {
            (row.clinic_id, row.day, row.staff_id): (round(row.minutes, 6), row.sessions)
            for row in (await session.exec(select(KpiDailyStaff))).all()
        }
        notes = {
            (row.clinic_id, row.day, row.staff_id): (row.notes, round(row.minutes, 6), row.ai_assisted)
            for row in (await session.exec(select(KpiDailyClinicianNotes))).all()
        }
        inbox = (await session.exec(select(func.count()).select_from(InboxMessage))).one()
        outbox = (await session.exec(select(func.count()).select_from(OutboxMessage))).one()
    return {"counters": counters, "staff": staff, "notes": notes, "inbox": inbox, "outbox": outbox}


async def run_write_path(url: str) -> tuple[list[tuple[int, int]], list[list[bool]], dict[str, Any]]:
    """Apply three batches (the second redelivered) and stage two partners' HTTP batches."""
    await db.migrate(url, MIGRATIONS)
    engine = db.create_engine(url)
    sessions = db.create_session_factory(engine)
    try:
        batches = [activities(3000, seed=seed) for seed in (1, 2, 3)]
        outcomes = []
        for batch in [batches[0], batches[1], batches[1], batches[2]]:
            async with sessions() as session:
                outcome = await aggregate.apply_activity_batch(session=session, activities=batch)
                await session.commit()
            outcomes.append((outcome.applied, outcome.duplicates))

        partners = [uuid.UUID(int=100), uuid.UUID(int=101)]
        received = datetime(2026, 11, 9, 12, tzinfo=UTC)
        staged = [
            StagedBatch(
                officer_id="officer-pg",
                partner_id=partner,
                webhook_id=f"msg_{seed}",
                activities=(events := activities(500, seed=seed)),
                encoded=partner_batches.encode_events(events, partner_id=partner, source="/tests/pg"),
                received_at=received,
            )
            for partner, seed in ((partners[0], 4), (partners[1], 4), (partners[0], 5), (partners[0], 5))
        ]
        await write_group(sessions, staged[:2])
        await write_group(sessions, staged[2:])
        fresh = [batch.fresh for batch in staged] + [[batch.first_delivery for batch in staged]]
        return outcomes, fresh, await tables(sessions)
    finally:
        await engine.dispose()


async def test_batches_and_receipts_on_postgres_equal_sqlite(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    on_sqlite = await run_write_path(f"sqlite+aiosqlite:///{tmp_path / 'kpi.db'}")
    on_postgres = await run_write_path(postgres.create_database("kpi_writes"))
    outcomes, fresh, written = on_postgres
    assert outcomes[2][0] == 0, "a redelivered batch must add nothing"
    assert written["staff"], "the AI-tool staff table must be exercised"
    assert written["notes"], "the per-clinician notes table must be exercised"
    assert [sum(flags) for flags in fresh[:4]] != [len(flags) for flags in fresh[:4]], "repeats must occur"
    assert on_postgres == on_sqlite


async def post_and_count(kafka: str, work: Path, database_url: str) -> list[float]:
    """Three clinics, a partner posting four batches and one retry: events counted per clinic."""
    if not database_url.startswith("sqlite"):
        await db.migrate(database_url, MIGRATIONS)
    officer = f"officer-{uuid.uuid4()}"
    async with live_kpi(kafka, work, database_url=database_url) as kpi:
        clinics = await register_live_clinics(kafka, kpi, officer_id=officer, count=3)
        partner = await create_live_partner(kpi, officer_id=officer, clinic_ids=clinics)
        when = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
        bodies = [
            [
                {
                    "specversion": "1.0",
                    "id": f"http-{batch * 150 + n}",
                    "type": "partner.call.missed" if n % 3 else "partner.call.answered",
                    "time": when,
                    "subject": str(clinics[n % 3]),
                    "data": {"wait_seconds": n % 40},
                }
                for n in range(300)
            ]
            for batch in range(4)  # each batch repeats half of the one before
        ]
        async with httpx.AsyncClient(base_url=kpi.url, timeout=60) as client:
            for index, events in enumerate([*bodies, bodies[1]]):
                body = json.dumps(events).encode()
                webhook_id = "msg_retried" if index in (1, 4) else f"msg_{uuid.uuid4().hex}"
                response = await client.post(
                    "/v1/partner-events", content=body, headers=signed(partner, body, webhook_id=webhook_id)
                )
                assert response.status_code == 202, response.text

        engine = db.create_engine(database_url)
        sessions = db.create_session_factory(engine)
        try:

            async def counted() -> list[float] | None:
                async with sessions() as session:
                    totals = await aggregate.clinic_totals(session=session, clinic_ids=clinics)
                    known = (await session.exec(select(func.count()).select_from(KpiClinic))).one()
                found = [totals.get(clinic, 0.0) for clinic in clinics]
                return found if sum(found) >= 750 and known >= 3 else None

            return await eventually(counted, within=60, what=f"events counted on {database_url}")
        finally:
            await engine.dispose()


async def test_http_ingestion_on_postgres_counts_what_sqlite_counts(
    kafka: str, postgres: PostgresServer, tmp_path: Path
) -> None:
    on_sqlite = await post_and_count(kafka, tmp_path / "sqlite", f"sqlite+aiosqlite:///{tmp_path / 'kpi.db'}")
    on_postgres = await post_and_count(kafka, tmp_path / "postgres", postgres.create_database("kpi_http"))
    # 4 batches of 300 ids, each repeating 150 of the one before: 750 distinct events, 250 a clinic.
    assert on_sqlite == on_postgres == [250.0, 250.0, 250.0]
