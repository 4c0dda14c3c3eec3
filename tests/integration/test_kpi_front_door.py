"""The partners' front door under concurrency, on the real broker and a kpi process over real HTTP.

Several partners post signed batches at once (overlapping event ids, retries of delivered
requests, a door small enough to be full), while partners with broker access publish to
partner.activity.v1, so the consumer applies batches all along. Every accepted event is
counted exactly once, another partner's ids are its own, and no request is answered 5xx.
And while Kafka is down, batches are still accepted, and counted once it is back.
"""

import asyncio
import json
import sqlite3
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from deploy.local.kafka import KafkaServer
from shared.broker import ensure_topics
from tests.integration.kpi_support import (
    LiveKpi,
    create_live_partner,
    live_kpi,
    register_live_clinics,
    signed,
)
from tests.integration.test_kpi_kafka import produce, record
from tests.polling import eventually

PARTNERS = 6
BATCHES = 5
EVENTS_PER_BATCH = 300
REPEATED = 40  # events of each batch that repeat ids the same partner sent in its previous batch
KAFKA_EVENTS_PER_CLINIC = 1500


def counted(database: Path) -> dict[uuid.UUID, float]:
    """Events counted per clinic, read straight from the service's database file."""
    with sqlite3.connect(database, timeout=10) as connection:
        rows = connection.execute(
            "SELECT clinic_id, SUM(value) FROM kpi_daily_counter WHERE name = 'events' GROUP BY clinic_id"
        ).fetchall()
    return {uuid.UUID(clinic): total for clinic, total in rows}


def batch_events(clinics: list[uuid.UUID], ids: list[str]) -> list[dict[str, Any]]:
    when = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
    return [
        {
            "specversion": "1.0",
            "id": event_id,
            "type": "partner.call.answered",
            "time": when,
            "subject": str(clinics[position % len(clinics)]),
            "data": {"wait_seconds": position % 60},
        }
        for position, event_id in enumerate(ids)
    ]


class Partner:
    """A partner posting its batches, retrying 429s after Retry-After with the same webhook-id."""

    def __init__(self, kpi: LiveKpi, credentials: dict[str, Any], name: str) -> None:
        self.kpi = kpi
        self.credentials = credentials
        self.name = name
        self.statuses: Counter[int] = Counter()
        self.accepted: Counter[uuid.UUID] = Counter()  # per clinic, as the 202s said

    async def post(self, client: httpx.AsyncClient, events: list[dict[str, Any]], webhook_id: str) -> Any:
        body = json.dumps(events).encode()
        while True:
            response = await client.post(
                "/v1/partner-events",
                content=body,
                headers=signed(self.credentials, body, webhook_id=webhook_id),
            )
            self.statuses[response.status_code] += 1
            if response.status_code != 429:
                break
            await asyncio.sleep(float(response.headers["retry-after"]))
        assert response.status_code == 202, response.text
        report = response.json()
        for event, result in zip(events, report["results"], strict=True):
            if result["status"] == "accepted":
                self.accepted[uuid.UUID(event["subject"])] += 1
        return report

    async def send_all(self, clinics: list[uuid.UUID], *, shared_ids: list[str]) -> None:
        async with httpx.AsyncClient(base_url=self.kpi.url, timeout=60) as client:
            previous: list[str] = []
            for batch in range(BATCHES):
                fresh = [f"{self.name}-{batch}-{n}" for n in range(EVENTS_PER_BATCH - REPEATED)]
                # The first batch repeats ids every partner uses: each partner's are its own.
                repeated = previous[:REPEATED] if previous else shared_ids
                ids = fresh + repeated
                webhook_id = f"msg_{uuid.uuid4().hex}"
                report = await self.post(client, batch_events(clinics, ids), webhook_id)
                expected_new = len(fresh) + (len(shared_ids) if not previous else 0)
                assert (report["accepted"], report["duplicates"]) == (expected_new, len(ids) - expected_new)
                if batch == 1:  # a retry of a delivered request: recognised, nothing stored twice
                    again = await self.post(client, batch_events(clinics, ids), webhook_id)
                    assert again["redelivery"] is True
                    assert (again["accepted"], again["duplicates"]) == (0, len(ids))
                previous = ids


async def test_concurrent_partners_are_each_counted_exactly_once_and_never_answered_5xx(
    kafka: str, tmp_path: Path
) -> None:
    officer = f"officer-{uuid.uuid4()}"
    # A door for two batches at a time: with six partners posting, it is full most of the time.
    async with live_kpi(kafka, tmp_path / "kpi", partner_batches_in_flight="2") as kpi:
        clinics = await register_live_clinics(kafka, kpi, officer_id=officer, count=4)
        partners = [
            Partner(kpi, await create_live_partner(kpi, officer_id=officer, clinic_ids=clinics), f"p{index}")
            for index in range(PARTNERS)
        ]
        shared_ids = [f"shared-{n}" for n in range(REPEATED)]
        when = datetime.now(UTC) - timedelta(hours=2)
        kafka_records = [
            [
                record(clinic, "partner.call.missed", {"wait_seconds": 30}, when=when)
                for _ in range(KAFKA_EVENTS_PER_CLINIC)
            ]
            for clinic in clinics
        ]

        await asyncio.gather(
            *(partner.send_all(clinics, shared_ids=shared_ids) for partner in partners),
            *(
                produce(kafka, clinic, records)
                for clinic, records in zip(clinics, kafka_records, strict=True)
            ),
        )

        statuses = sum((partner.statuses for partner in partners), Counter[int]())
        assert not [status for status in statuses if status >= 500], statuses
        assert statuses[429] > 0, "the door was never full: the test did not exercise saturation"
        accepted = sum((partner.accepted for partner in partners), Counter[uuid.UUID]())
        unique_sent = PARTNERS * (BATCHES * (EVENTS_PER_BATCH - REPEATED) + REPEATED)
        assert sum(accepted.values()) == unique_sent
        expected = {clinic: float(accepted[clinic] + KAFKA_EVENTS_PER_CLINIC) for clinic in clinics}

        async def all_counted() -> dict[uuid.UUID, float] | None:
            totals = await asyncio.to_thread(counted, kpi.database)
            return totals if all(totals.get(clinic, 0) >= expected[clinic] for clinic in clinics) else None

        await eventually(all_counted, within=120, what=f"{sum(expected.values()):,.0f} events counted")
        await asyncio.sleep(1)  # anything counted twice would show up by now
        # Only these clinics: the service also reads other tests' events from the shared topic.
        totals = await asyncio.to_thread(counted, kpi.database)
        assert {clinic: totals.get(clinic) for clinic in clinics} == expected


async def test_batches_are_accepted_while_kafka_is_down_and_counted_once_it_is_back(tmp_path: Path) -> None:
    officer = f"officer-{uuid.uuid4()}"
    with KafkaServer(tmp_path / "kafka") as broker:
        await ensure_topics(broker.bootstrap)
        async with live_kpi(broker.bootstrap, tmp_path / "kpi") as kpi:
            clinics = await register_live_clinics(broker.bootstrap, kpi, officer_id=officer, count=2)
            partner = Partner(
                kpi, await create_live_partner(kpi, officer_id=officer, clinic_ids=clinics), "out"
            )
            await asyncio.to_thread(broker.stop)

            async with httpx.AsyncClient(base_url=kpi.url, timeout=60) as client:
                for batch in range(3):
                    ids = [f"outage-{batch}-{n}" for n in range(EVENTS_PER_BATCH)]
                    report = await partner.post(client, batch_events(clinics, ids), f"msg_{uuid.uuid4().hex}")
                    assert report["accepted"] == EVENTS_PER_BATCH  # durable before the 202, Kafka or not

            await asyncio.to_thread(broker.start)

            async def all_counted() -> bool:
                totals = await asyncio.to_thread(counted, kpi.database)
                return all(totals.get(clinic) == partner.accepted[clinic] for clinic in clinics)

            await eventually(all_counted, within=120, what="the events accepted during the outage counted")
