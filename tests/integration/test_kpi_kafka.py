"""The partner-activity consumer on the real broker: binary-mode CloudEvents (the SDK's) with keyed
staff ids and the front door's batches are counted; bad records, a raw staff id among them, are
dead-lettered with the reason while the rest is applied; weekly snapshots and an adoption-decline
alert go out on their topics. Partners themselves send over HTTP only (test_kpi_front_door.py)."""

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from cloudevents.http import CloudEvent
from cloudevents.kafka import to_binary

from services.kpi import aggregate, clinics
from shared import clock, topics
from shared.events import envelope_for
from shared.events.roadmap import InitiativeApproved
from shared.pseudonyms import pseudonym_for
from tests.front_door import BATCH_HEADERS, front_door_records
from tests.integration.kpi_support import dead_letters, officer_headers, partner_event, register_clinic
from tests.polling import eventually
from tests.services import RunningService, running


def record(
    clinic: uuid.UUID, event_type: str, data: dict[str, Any], *, when: datetime, event_id: str = ""
) -> tuple[dict[str, str], bytes]:
    headers = {
        "ce_id": event_id or str(uuid.uuid4()),
        "ce_type": event_type,
        "ce_source": "/tests/partner",
        "ce_specversion": "1.0",
        "ce_time": when.isoformat(),
        "ce_subject": str(clinic),
        "content-type": "application/json",
    }
    return headers, json.dumps(data).encode()


async def produce(
    kafka: str, clinic: uuid.UUID, records: list[tuple[dict[str, str], bytes]], *, garble: str = ""
) -> None:
    """Send records keyed by clinic; `garble` names a header to send as invalid UTF-8."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all", linger_ms=20)
    await producer.start()
    try:
        for headers, value in records:
            await producer.send(
                topics.PARTNER_ACTIVITY.name,
                value=value,
                key=str(clinic).encode(),
                headers=[
                    (name, b"\xff\xfe" if name == garble else text.encode()) for name, text in headers.items()
                ],
            )
        await producer.flush()
    finally:
        await producer.stop()


async def total_events(kpi: RunningService, clinic: uuid.UUID, expected: float) -> bool:
    async with kpi.runtime.sessions() as session:
        totals = await aggregate.clinic_totals(session=session, clinic_ids=[clinic])
    return totals.get(clinic) == expected


async def test_sdk_events_are_accepted_and_bad_records_dead_lettered(kafka: str, tmp_path: Path) -> None:
    officer = f"officer-{uuid.uuid4()}"
    async with running("kpi", kafka=kafka, data_dir=tmp_path) as platform:
        kpi = platform["kpi"]
        clinic = await register_clinic(kpi, officer_id=officer)
        when = datetime.now(UTC) - timedelta(hours=2)

        sdk_event = CloudEvent(
            {
                "type": "partner.ai_tool.session",
                "source": "https://scribe.example/clinics",
                "subject": str(clinic),
                "partitionkey": str(clinic),
                "datacontenttype": "application/json",
            },
            {
                "staff_id": pseudonym_for(
                    "ma-19c2", clinic_id=clinic, secret=kpi.runtime.settings.pseudonym_secret
                ),
                "tool": "scribe",
                "minutes": 22,
            },
        )
        message = to_binary(sdk_event)
        producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(
                topics.PARTNER_ACTIVITY.name,
                value=message.value if isinstance(message.value, bytes) else message.value.encode(),
                key=message.key.encode() if isinstance(message.key, str) else message.key,
                headers=list(message.headers.items()),
            )
        finally:
            await producer.stop()

        good = [record(clinic, "partner.call.answered", {"wait_seconds": 5}, when=when) for _ in range(20)]
        bad = [
            record(
                clinic,
                "partner.call.missed",
                {"wait_seconds": 5, "line": 2},
                when=when,
                event_id=f"bad-field-{clinic}",
            ),
            record(
                clinic, "partner.call.missed", {"wait_seconds": "5"}, when=when, event_id=f"bad-type-{clinic}"
            ),
            record(
                clinic,
                "partner.call.missed",
                {"wait_seconds": 5, "patient_name": "J. Doe"},
                when=when,
                event_id=f"bad-phi-{clinic}",
            ),
            record(
                clinic,
                "partner.ai_tool.session",
                {"staff_id": "Jane.Doe", "tool": "ambient-scribe", "minutes": 5},
                when=when,
                event_id=f"bad-name-{clinic}",
            ),
            record(
                clinic,
                "partner.ai_tool.session",
                {"staff_id": "ma-19c2", "tool": "ambient-scribe", "minutes": 5},
                when=when,
                event_id=f"bad-raw-{clinic}",
            ),
        ]
        # A record with a header that is not even UTF-8 must not block the partition either.
        garbled_headers, garbled_value = record(clinic, "partner.call.missed", {"wait_seconds": 1}, when=when)
        garbled_headers["ce_id"] = f"garbled-{clinic}"
        await produce(kafka, clinic, [*good[:10], *bad, *good[10:], good[0]])  # the last one is a duplicate
        await produce(kafka, clinic, [(garbled_headers, garbled_value)], garble="ce_subject")

        await eventually(
            lambda: total_events(kpi, clinic, 21.0), what="the SDK event and 20 good events, once each"
        )
        parked = await dead_letters(
            kafka, ids={headers["ce_id"] for headers, _ in bad} | {f"garbled-{clinic}"}
        )
        assert "ce_subject" in parked[f"garbled-{clinic}"]["dlq_reason"]
        assert "data.line: unknown field" in parked[f"bad-field-{clinic}"]["dlq_reason"]
        assert "data.wait_seconds" in parked[f"bad-type-{clinic}"]["dlq_reason"]
        assert "patient data (PHI)" in parked[f"bad-phi-{clinic}"]["dlq_reason"]
        assert parked[f"bad-phi-{clinic}"]["dlq_original_topic"] == topics.PARTNER_ACTIVITY.name
        assert "never a name" in parked[f"bad-name-{clinic}"]["dlq_reason"]
        # Not through the front door: refused, kept for inspection with its staff id keyed.
        raw = parked[f"bad-raw-{clinic}"]
        assert "staff ids must come through the partner API" in raw["dlq_reason"]
        assert raw["body_bytes"] != "0" and "ma-19c2" not in str(raw)
        # Refused as patient data or a name: the reason and metadata stay, the body does not.
        for withheld in (f"bad-phi-{clinic}", f"bad-name-{clinic}"):
            assert parked[withheld]["body_bytes"] == "0"
            assert "dlq_body_withheld" in parked[withheld]
            assert "Jane" not in str(parked[withheld]) and "Doe" not in str(parked[withheld])
        assert parked[f"bad-field-{clinic}"]["body_bytes"] != "0"  # kept to inspect and replay
        assert "dlq_body_withheld" not in parked[f"bad-field-{clinic}"]

        reply = await kpi.http.get(
            f"/v1/clinics/{clinic}/kpis",
            params={
                "granularity": "day",
                "kpi": "ai_weekly_active_staff",
                "start": datetime.now(UTC).date().isoformat(),
            },
            headers=officer_headers(kpi, officer),
        )
        assert reply.json()["kpis"][0]["points"][0]["value"] == 1.0


async def test_events_for_a_clinic_kpi_does_not_know_are_dead_lettered_not_counted(
    kafka: str, tmp_path: Path
) -> None:
    officer = f"officer-{uuid.uuid4()}"
    async with running("kpi", kafka=kafka, data_dir=tmp_path) as platform:
        kpi = platform["kpi"]
        known = await register_clinic(kpi, officer_id=officer)
        stranger = uuid.uuid4()  # never registered: a typo, or a clinic of another platform
        when = datetime.now(UTC) - timedelta(hours=1)
        strays = [
            record(
                stranger,
                "partner.call.missed",
                {"wait_seconds": 3},
                when=when,
                event_id=f"stray-{i}-{stranger}",
            )
            for i in range(3)
        ]
        await produce(kafka, stranger, strays)
        await produce(kafka, known, [record(known, "partner.call.answered", {"wait_seconds": 4}, when=when)])

        await eventually(lambda: total_events(kpi, known, 1.0), what="the known clinic's event")
        parked = await dead_letters(kafka, ids={headers["ce_id"] for headers, _ in strays})
        for headers in parked.values():
            assert f"clinic {stranger} is not registered with kpi" in headers["dlq_reason"]
            assert "faio dlq replay" in headers["dlq_reason"]
        async with kpi.runtime.sessions() as session:
            assert await aggregate.clinic_totals(session=session, clinic_ids=[stranger]) == {}


async def test_weekly_snapshots_and_an_adoption_decline_alert(kafka: str, tmp_path: Path) -> None:
    baseline_start = date(2026, 8, 31)  # ISO week 2026-W36; baseline W36-W37, pilot W38-W45
    # Today is Monday of W46, midday: W36-W45 are complete.
    monday = datetime.combine(baseline_start + timedelta(weeks=10), datetime.min.time(), UTC)
    with clock.set_to(monday + timedelta(hours=12)):
        await _snapshots_and_an_adoption_decline(kafka, tmp_path, baseline_start)


async def _snapshots_and_an_adoption_decline(kafka: str, tmp_path: Path, baseline_start: date) -> None:
    officer = f"officer-{uuid.uuid4()}"
    async with running("kpi", kafka=kafka, data_dir=tmp_path) as platform:
        kpi = platform["kpi"]
        clinic = await register_clinic(kpi, officer_id=officer)
        initiative = InitiativeApproved(
            clinic_id=clinic,
            initiative_id=uuid.uuid4(),
            problem="calls go unanswered at lunch",
            owner="pm-1",
            kpi="missed_call_rate",
            baseline_start=baseline_start,
            baseline_end=baseline_start + timedelta(days=13),
            target_change_pct=-50,
            pilot_group=["s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"],
            approved_at=datetime.now(UTC),
        )

        def at(week: int, day: int = 1) -> datetime:
            return datetime.combine(
                baseline_start + timedelta(weeks=week, days=day), datetime.min.time(), UTC
            )

        records = []
        # Baseline: 4 missed of 10 calls (0.4); target -50 % = 0.2. First pilot week: 1 of 10 missed.
        for week, missed in ((0, 2), (1, 2), (2, 1)):
            records += [
                record(clinic, "partner.call.missed", {"wait_seconds": 30}, when=at(week))
                for _ in range(missed)
            ]
            answered = 5 - missed if week < 2 else 10 - missed
            records += [
                record(clinic, "partner.call.answered", {"wait_seconds": 9}, when=at(week))
                for _ in range(answered)
            ]
        # The pilot clinicians drop the AI tool: s1-s9 use it six weeks, then s1-s3, then s1 alone.
        # Sessions name staff, so they come as the front door sends them on: keyed, one batch.
        sessions = [
            partner_event(
                clinic,
                "partner.ai_tool.session",
                {"staff_id": f"s{n + 1}", "tool": "scribe", "minutes": 15},
                when=at(2 + offset, 2),
            )
            for offset, staff in enumerate([9, 9, 9, 9, 9, 9, 3, 1])
            for n in range(staff)
        ]
        packed = front_door_records(sessions, now=clock.now(), secret=kpi.runtime.settings.pseudonym_secret)
        await produce(kafka, clinic, [*records, *((BATCH_HEADERS, value) for value in packed.values())])
        await eventually(
            lambda: total_events(kpi, clinic, float(len(records) + len(sessions))),
            what="all partner events applied",
        )
        # Approved once the feed holds the weeks: kpi sends the baseline's and the pilot's at once.
        envelope = envelope_for(initiative, source="/tests/roadmap", subject=str(clinic))
        await kpi.runtime.broker.publish(
            initiative.model_dump_json().encode(),
            topic=topics.INITIATIVE_APPROVED.name,
            key=str(clinic).encode(),
            headers=envelope.to_headers(),
        )

        async def initiative_known() -> bool:
            async with kpi.runtime.sessions() as session:
                return bool(await clinics.clinics_with_active_initiatives(session=session))

        await eventually(initiative_known, what="kpi to record the approved initiative")
        as_of = clock.today().isoformat()  # Monday of W46: W38-W45 complete
        snapshots = await read_topic(kafka, topics.KPI_SNAPSHOT.name, key=str(clinic), count=10)
        # The baseline's two weeks, then eight of the pilot, sent once.
        assert sorted(item["week"] for item in snapshots) == [f"2026-W{week}" for week in range(36, 46)]
        # The alert was raised then too: s4-s9 had no session in W44 or W45 (s2, s3 only one week).
        (staff_alert,) = await read_topic(kafka, topics.KPI_ALERT.name, key=str(clinic), count=1)
        assert (staff_alert["kind"], staff_alert["evidence"]["metric"]) == (
            "adoption_decline",
            "pilot_clinicians_dormant",
        )
        assert staff_alert["week"] == "2026-W45"
        assert (staff_alert["evidence"]["stopped"], staff_alert["evidence"]["users"]) == (6, 9)
        assert "6 of the 9 who used it" in staff_alert["message"]
        assert "ai_tool feed kept sending (1 events in the last 7 days)" in staff_alert["message"]

        again = await kpi.http.post(
            f"/v1/clinics/{clinic}/kpis/evaluate",
            params={"as_of": as_of},
            headers=officer_headers(kpi, officer),
        )
        assert again.status_code == 200, again.text
        assert again.json() == {"snapshots": [], "alerts": []}  # nothing is sent or raised twice

        by_week = {item["week"]: item for item in snapshots}
        assert min(by_week) == "2026-W36"
        # A baseline week sits at the baseline: progress 0.
        assert (by_week["2026-W36"]["value"], by_week["2026-W36"]["progress"]) == (0.4, 0)
        first = by_week["2026-W38"]  # the first pilot week
        assert (first["baseline"], first["target"], first["value"]) == (0.4, 0.2, 0.1)
        assert first["progress"] == pytest.approx(1.5)


async def read_topic(kafka: str, topic: str, *, key: str, count: int) -> list[dict[str, Any]]:
    """Bodies published on `topic` under `key`, once `count` of them arrived."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka, group_id=f"test-{uuid.uuid4()}", auto_offset_reset="earliest"
    )
    await consumer.start()
    bodies: list[dict[str, Any]] = []
    try:

        async def enough() -> bool:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                bodies.extend(json.loads(item.value) for item in records if item.key == key.encode())
            return len(bodies) >= count

        await eventually(enough, what=f"{count} events on {topic}")
    finally:
        await consumer.stop()
    return bodies


async def test_a_baseline_from_the_feeds_past_weeks_is_sent_when_the_initiative_is_approved(
    kafka: str, tmp_path: Path
) -> None:
    officer = f"officer-{uuid.uuid4()}"
    today = datetime.now(UTC).date()
    async with running("kpi", kafka=kafka, data_dir=tmp_path) as platform:
        kpi = platform["kpi"]
        clinic = await register_clinic(kpi, officer_id=officer)
        # Four weeks the phone feed already sent: 1 missed call of 4, every day.
        records = []
        for days_ago in range(1, 29):
            when = datetime.combine(today - timedelta(days=days_ago), datetime.min.time(), UTC) + timedelta(
                hours=10
            )
            records.append(record(clinic, "partner.call.missed", {"wait_seconds": 30}, when=when))
            records += [
                record(clinic, "partner.call.answered", {"wait_seconds": 5}, when=when) for _ in range(3)
            ]
        await produce(kafka, clinic, records)
        await eventually(lambda: total_events(kpi, clinic, float(len(records))), what="the feed's past weeks")

        approved = InitiativeApproved(
            clinic_id=clinic,
            initiative_id=uuid.uuid4(),
            problem="calls go unanswered at lunch",
            owner="pm-1",
            kpi="missed_call_rate",
            baseline_start=today - timedelta(days=28),
            baseline_end=today - timedelta(days=1),
            target_change_pct=-50,
            approved_at=datetime.now(UTC),
        )
        envelope = envelope_for(approved, source="/tests/roadmap", subject=str(clinic))
        await kpi.runtime.broker.publish(
            approved.model_dump_json().encode(),
            topic=topics.INITIATIVE_APPROVED.name,
            key=str(clinic).encode(),
            headers=envelope.to_headers(),
        )
        # No evaluation is asked for: the approval itself sends the baseline's complete weeks.
        snapshots = await read_topic(kafka, topics.KPI_SNAPSHOT.name, key=str(clinic), count=3)
        assert {snapshot["baseline"] for snapshot in snapshots} == {0.25}
        assert {snapshot["target"] for snapshot in snapshots} == {0.125}
        assert all(snapshot["value"] == 0.25 and snapshot["progress"] == 0 for snapshot in snapshots)
