"""An outbox row the broker can never take is parked with its reason, counted and logged once;
the rows behind it are published (real broker)."""

import logging
import uuid
from pathlib import Path

import pytest
from sqlmodel import col, select

from services.intake.models import metadata
from shared import db
from shared.broker import create_broker
from shared.counters import OUTBOX_PARKED
from shared.events import ClinicRegistered
from shared.outbox import OutboxMessage, OutboxRelay, add_to_outbox
from shared.settings import SharedSettings
from shared.topics import CLINIC_REGISTERED
from tests.kafka_io import header, read_all


async def test_an_unpublishable_row_is_parked_and_the_rows_behind_it_go_out(
    kafka: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path}/outbox.db")
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    sessions = db.create_session_factory(engine)
    officer = f"officer-parking-{uuid.uuid4()}"
    events = [
        ClinicRegistered(
            clinic_id=uuid.uuid4(), officer_id=officer, name=f"Clinic {n}", specialty="x", locations=1
        )
        for n in range(3)
    ]
    async with sessions() as session:
        envelopes = [
            add_to_outbox(session, event, source="/faio/test", subject=str(event.clinic_id))
            for event in events
        ]
        await session.flush()
        # The first row grew past what any broker at its default takes (1 MB).
        big = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.event_id == envelopes[0].id))
        ).one()
        big.payload = b"x" * 1_200_000
        session.add(big)
        await session.commit()

    broker = create_broker(
        SharedSettings(kafka_bootstrap_servers=kafka, service_name="parking", traces_dir=tmp_path)
    )
    await broker.start()
    relay = OutboxRelay(sessions=sessions, broker=broker)
    parked_before = OUTBOX_PARKED.labels(CLINIC_REGISTERED.name, "too large")._value.get()
    caplog.set_level(logging.ERROR, logger="shared.outbox")
    try:
        first = await relay.publish_pending()
        second = await relay.publish_pending()
    finally:
        await broker.stop()

    assert (first, second) == (2, 0)
    async with sessions() as session:
        rows = {row.event_id: row for row in (await session.exec(select(OutboxMessage))).all()}
        parked = (
            await session.exec(select(OutboxMessage).where(col(OutboxMessage.parked_at).is_not(None)))
        ).all()
    await engine.dispose()
    assert [row.event_id for row in parked] == [envelopes[0].id]
    assert "too large: 1200" in (parked[0].parked_reason or "")
    assert all(rows[envelope.id].published_at for envelope in envelopes[1:])
    assert OUTBOX_PARKED.labels(CLINIC_REGISTERED.name, "too large")._value.get() == parked_before + 1
    assert len([record for record in caplog.records if "parked" in record.getMessage()]) == 1

    published = {header(record, "ce_id") for record in await read_all(kafka, CLINIC_REGISTERED.name)}
    assert {envelope.id for envelope in envelopes[1:]} <= published
    assert envelopes[0].id not in published
