"""PostgreSQL, the database a real deployment uses, tested next to SQLite on a real server:
every service's migrations, the outbox relay, the inbox, roadmap's one-plan-in-flight index."""

import asyncio
import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from deploy.local.postgres import PostgresServer
from services.audit.models import metadata as audit_metadata
from services.intake.models import metadata as intake_metadata
from services.kpi.models import metadata as kpi_metadata
from services.portal.tables import metadata as portal_metadata
from services.roadmap.models import RoadmapPlan
from services.roadmap.tables import metadata as roadmap_metadata
from shared import db
from shared.broker import create_broker
from shared.events import ClinicRegistered
from shared.inbox import apply_once
from shared.migrations import alembic_config
from shared.outbox import OutboxRelay, add_to_outbox
from shared.settings import SharedSettings
from shared.topics import CLINIC_REGISTERED
from tests.kafka_io import header, read_all
from tests.unit.test_migrations import model_primary_keys, primary_keys

SERVICES = Path(__file__).parents[2] / "services"
METADATA = {
    "intake": intake_metadata,
    "audit": audit_metadata,
    "roadmap": roadmap_metadata,
    "kpi": kpi_metadata,
    "portal": portal_metadata,
}


async def migrated(postgres: PostgresServer, service: str) -> str:
    url = postgres.create_database(service)
    await db.migrate(url, SERVICES / service / "migrations")
    return url


@pytest.mark.parametrize("service", sorted(METADATA))
async def test_migrations_build_exactly_the_models_tables_on_postgres(
    postgres: PostgresServer, service: str
) -> None:
    url = await migrated(postgres, service)
    engine = db.create_engine(url)

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection)
        found: list[object] = list(compare_metadata(context, METADATA[service]))
        # Autogenerate does not compare primary keys (the tenant first: tests/unit/test_tenant_keys.py).
        inspector = inspect(connection)
        for name, table in METADATA[service].tables.items():
            key = [column.name for column in table.primary_key.columns]
            if inspector.get_pk_constraint(name)["constrained_columns"] != key:
                found.append(("primary key", name, key))
        return found

    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(differences)
            keys = await connection.run_sync(primary_keys)
    finally:
        await engine.dispose()
    assert diff == []
    assert keys == model_primary_keys(METADATA[service])  # autogenerate compares no primary keys


async def tables_of(url: str) -> set[str]:
    engine = db.create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("service", sorted(METADATA))
async def test_migrations_go_down_to_nothing_and_up_again_on_postgres(
    postgres: PostgresServer, service: str
) -> None:
    """Down to base (the shared branch too) leaves no table and no enum type behind to trip over."""
    url = await migrated(postgres, service)
    await asyncio.to_thread(command.downgrade, alembic_config(SERVICES / service / "migrations", url), "base")
    assert await tables_of(url) == {"alembic_version"}

    await db.migrate(url, SERVICES / service / "migrations")
    assert await tables_of(url) == {*METADATA[service].tables, "alembic_version"}


def clinic(officer: str) -> ClinicRegistered:
    return ClinicRegistered(
        clinic_id=uuid.uuid4(),
        officer_id=officer,
        name="Lakeside Clinic",
        specialty="cardiology",
        locations=1,
    )


async def test_two_outbox_relays_on_postgres_publish_every_row_once(
    postgres: PostgresServer, kafka: str, tmp_path: Path
) -> None:
    url = await migrated(postgres, "intake")
    engine = db.create_engine(url)
    sessions = db.create_session_factory(engine)
    officer = f"officer-pg-{uuid.uuid4()}"
    events = [clinic(officer) for _ in range(300)]
    async with sessions() as session:
        for event in events:
            add_to_outbox(session, event, source="/faio/intake", subject=str(event.clinic_id))
        await session.commit()

    settings = SharedSettings(kafka_bootstrap_servers=kafka, service_name="pg-relay", traces_dir=tmp_path)
    brokers = [create_broker(settings) for _ in range(2)]
    for broker in brokers:
        await broker.start()
    relays = [OutboxRelay(sessions=sessions, broker=broker, batch_size=25) for broker in brokers]
    try:
        while sum(await asyncio.gather(*(relay.publish_pending() for relay in relays))):
            pass
    finally:
        for broker in brokers:
            await broker.stop()
        await engine.dispose()

    records = await read_all(kafka, CLINIC_REGISTERED.name)
    ours = [header(record, "ce_id") for record in records if officer.encode() in (record.value or b"")]
    assert len(ours) == len(events)
    assert len(set(ours)) == len(events)


async def test_the_inbox_applies_an_event_once_on_postgres(postgres: PostgresServer) -> None:
    url = await migrated(postgres, "audit")
    engine = db.create_engine(url)
    sessions = db.create_session_factory(engine)
    applied: list[str] = []
    headers = {
        "ce_id": str(uuid.uuid4()),
        "ce_type": "t",
        "ce_source": "/faio/test",
        "ce_subject": "s",
        "ce_time": "2026-11-27T10:00:00+00:00",
        "ce_specversion": "1.0",
    }

    async def effect(_session: object) -> None:
        applied.append(headers["ce_id"])

    try:
        first = await apply_once(sessions, headers=headers, consumer="test.pg", effect=effect)
        second = await apply_once(sessions, headers=headers, consumer="test.pg", effect=effect)
    finally:
        await engine.dispose()
    assert (first, second) == (True, False)
    assert applied == [headers["ce_id"]]


async def test_roadmap_allows_one_plan_in_flight_per_clinic_on_postgres(postgres: PostgresServer) -> None:
    url = await migrated(postgres, "roadmap")
    engine = db.create_engine(url)
    sessions = db.create_session_factory(engine)
    clinic_id = uuid.uuid4()

    def plan(phase: str) -> RoadmapPlan:
        return RoadmapPlan(
            id=f"plan-{uuid.uuid4()}", clinic_id=clinic_id, initiative_id=uuid.uuid4(), phase=phase
        )

    try:
        async with sessions() as session:
            session.add(plan("sustain"))
            session.add(plan("pilot"))
            await session.commit()
        async with sessions() as session:
            session.add(plan("baseline"))
            with pytest.raises(IntegrityError):
                await session.commit()
    finally:
        await engine.dispose()
