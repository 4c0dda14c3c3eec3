"""Nothing is lost while Kafka is down: the clinic is accepted, its event waits in the outbox,
and once the broker is back it is published exactly once (real broker, stopped and restarted)."""

import asyncio
from pathlib import Path

from sqlmodel import select

from deploy.local.kafka import KafkaServer
from shared import topics
from shared.broker import ensure_topics
from shared.outbox import OutboxMessage
from tests.kafka_io import header, read_all
from tests.polling import eventually
from tests.services import Platform, registered_officer, running


async def outbox_row(platform: Platform, clinic_id: str) -> OutboxMessage:
    async with platform["intake"].runtime.sessions() as session:
        statement = select(OutboxMessage).where(OutboxMessage.key == clinic_id)
        return (await session.exec(statement)).one()


async def test_a_clinic_registered_during_an_outage_is_published_exactly_once(tmp_path: Path) -> None:
    with KafkaServer(tmp_path / "kafka") as kafka:
        await ensure_topics(kafka.bootstrap)
        async with running("intake", kafka=kafka.bootstrap, data_dir=tmp_path) as platform:
            _, token = await registered_officer(platform["intake"].http)
            kafka.stop()

            response = await platform["intake"].http.post(
                "/v1/clinics",
                json={"name": "Northside Orthopedics", "specialty": "orthopedics"},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 201, response.text
            clinic_id = response.json()["id"]
            await asyncio.sleep(1.0)  # several relay rounds against a dead broker
            assert (await outbox_row(platform, clinic_id)).published_at is None

            kafka.start()

            async def published() -> OutboxMessage | None:
                row = await outbox_row(platform, clinic_id)
                return row if row.published_at else None

            row = await eventually(published, within=90, what="the relay to publish after the outage")
            await asyncio.sleep(1.0)  # further relay rounds must not publish it again

        records = await read_all(kafka.bootstrap, topics.CLINIC_REGISTERED.name)
    ours = [record for record in records if header(record, "ce_id") == row.event_id]
    assert len(ours) == 1
    assert ours[0].key == clinic_id.encode()
