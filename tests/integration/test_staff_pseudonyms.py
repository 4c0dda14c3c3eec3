"""Partner staff ids through the real roadmap and kpi: kept only as keyed pseudonyms, still matched.

The officer names the pilot group by the partner system's ids at approval (roadmap); the partner
sends the same raw ids over HTTP (kpi's front door keys them). A record written straight to Kafka
with a raw id is refused and dead-lettered with its id keyed. No table, outbox row or topic (the
dead-letter topic included) holds a raw id, and the pilot group still meets the partner's events:
the adoption KPI counts them.
"""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlmodel import col, select
from temporalio.testing import WorkflowEnvironment

from services.kpi import kpis, series
from services.kpi.models import KpiDailyClinicianNotes, KpiDailyStaff, KpiInitiative
from services.kpi.partner_batches import BATCH_CONTENT_TYPE
from services.roadmap.models import Initiative
from shared import clock, topics
from shared.outbox import OutboxMessage
from shared.pseudonyms import is_issued, pseudonyms_for
from tests.canaries import PARTNER_STAFF_ID
from tests.integration.kpi_support import dead_letters, post_events, register_partner
from tests.integration.test_kpi_kafka import produce, record
from tests.integration.test_roadmap_api import OFFICER, auth, clinic_with_findings, initiatives_of
from tests.kafka_io import header, read_all
from tests.polling import eventually
from tests.services import Platform, running

# Ids as a partner's EHR issues them: one person each, looked up in that system in a second.
# The first is a canary the end-of-run search looks for in every store (tests/canaries.py).
RAW = (PARTNER_STAFF_ID, "u-77ab01", "u-5c0d3e")


@pytest.fixture(scope="module")
async def platform(
    kafka: str, temporal: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Platform]:
    async with running(
        "roadmap",
        "kpi",
        kafka=kafka,
        data_dir=tmp_path_factory.mktemp("staff-pseudonyms"),
        temporal_address=temporal.client.service_client.config.target_host,
        task_queue=f"roadmap-pseudonyms-{uuid.uuid4()}",  # no worker: the approved plan need only exist
    ) as started:
        for name in ("roadmap", "kpi"):
            await asyncio.wait_for(started[name].app.state.broker_connected.wait(), timeout=60)
        yield started


async def test_partner_ids_are_kept_as_pseudonyms_and_still_count_for_the_pilot_group(
    kafka: str, platform: Platform
) -> None:
    roadmap, kpi = platform["roadmap"], platform["kpi"]
    clinic_id = await clinic_with_findings(platform, systems={"emr": "athenahealth", "phone": "RingCentral"})
    secret = kpi.runtime.settings.pseudonym_secret
    assert secret == roadmap.runtime.settings.pseudonym_secret  # one deployment secret
    expected = pseudonyms_for(RAW, clinic_id=clinic_id, secret=secret)
    assert all(is_issued(item) for item in expected)

    body = await initiatives_of(roadmap.http, clinic_id, auth(platform))
    initiative_id = body["initiatives"][0]["id"]
    approved = await roadmap.http.post(
        f"/v1/initiatives/{initiative_id}/approve",
        json={"owner": "fd-lead-1", "target_change_pct": -25, "pilot_group": list(RAW)},
        headers=auth(platform),
    )
    assert approved.status_code == 201, approved.text
    assert approved.json()["pilot_group"] == expected

    async def kpi_initiative() -> KpiInitiative | None:
        async with kpi.runtime.sessions() as session:
            return await session.get(KpiInitiative, (clinic_id, uuid.UUID(initiative_id)))

    stored = await eventually(kpi_initiative, what="kpi to record the approved initiative")
    assert stored.pilot_group == expected

    # The partner: sessions over HTTP (a note names the first person), and one straight to Kafka.
    partner = await register_partner(kpi, officer_id=OFFICER, clinic_ids=[clinic_id])
    when = clock.now() - timedelta(hours=1)
    events = [
        {
            "id": str(uuid.uuid4()),
            "type": "partner.ai_tool.session",
            "time": when.isoformat(),
            "subject": str(clinic_id),
            "data": {"staff_id": RAW[0], "tool": "scribe", "minutes": 12},
        },
        {
            "id": str(uuid.uuid4()),
            "type": "partner.note.signed",
            "time": when.isoformat(),
            "subject": str(clinic_id),
            "data": {"documentation_minutes": 5, "ai_assisted": True, "staff_id": RAW[0]},
        },
        {
            "id": str(uuid.uuid4()),
            "type": "partner.ai_tool.session",
            "time": when.isoformat(),
            "subject": str(clinic_id),
            "data": {"staff_id": RAW[1], "tool": "scribe", "minutes": 7},
        },
    ]
    # Straight to Kafka, the way partners may no longer send: refused, never counted.
    direct = f"direct-{clinic_id}"
    session_data = {"staff_id": RAW[2], "tool": "scribe", "minutes": 7}
    await produce(
        kafka,
        clinic_id,
        [record(clinic_id, "partner.ai_tool.session", session_data, when=when, event_id=direct)],
    )
    (parked,) = (await dead_letters(kafka, ids={direct})).values()
    assert "staff ids must come through the partner API" in parked["dlq_reason"]
    posted = await post_events(kpi, partner, events)
    assert posted.status_code == 202, posted.text
    assert posted.json()["accepted"] == 3

    async def staff_rows() -> list[KpiDailyStaff] | None:
        async with kpi.runtime.sessions() as session:
            statement = select(KpiDailyStaff).where(col(KpiDailyStaff.clinic_id) == clinic_id)
            rows = list((await session.exec(statement)).all())
        return rows if len(rows) == 2 else None

    rows = await eventually(staff_rows, what="both people's sessions applied")
    assert sorted(row.staff_id for row in rows) == sorted(expected[:2])
    async with kpi.runtime.sessions() as session:
        notes = (
            await session.exec(
                select(KpiDailyClinicianNotes).where(col(KpiDailyClinicianNotes.clinic_id) == clinic_id)
            )
        ).all()
        days = await series.load_days(
            session=session, clinic_id=clinic_id, start=when.date() - timedelta(days=1), end=clock.today()
        )
        outbox = (await session.exec(select(OutboxMessage))).all()
    assert [row.staff_id for row in notes] == [expected[0]]

    # Still the pilot group's: two of its three used the tool.
    period = kpis.PeriodData()
    for day in days.values():
        period.add(day)
    adoption = kpis.compute_kpi(kpis.definition("ai_adoption_rate"), period, pilot_group=stored.pilot_group)
    assert adoption.value == pytest.approx(2 / 3)

    # No raw id anywhere kept: roadmap's initiative and outbox, kpi's outbox, the topics.
    async with roadmap.runtime.sessions() as session:
        initiative = await session.get(Initiative, (clinic_id, uuid.UUID(initiative_id)))
        staged = (await session.exec(select(OutboxMessage))).all()
    assert initiative is not None and initiative.pilot_group == expected
    kept = [json.dumps(message.model_dump(mode="json")) for message in [*outbox, *staged]]
    for topic in (topics.PARTNER_ACTIVITY.name, topics.INITIATIVE_APPROVED.name):
        records = await read_all(kafka, topic)
        # faio's own records: on partner activity, its batches (the partner's own record holds what it sent).
        mine = [
            item.value.decode()
            for item in records
            if item.key == str(clinic_id).encode()
            and (topic != topics.PARTNER_ACTIVITY.name or header(item, "content-type") == BATCH_CONTENT_TYPE)
        ]
        assert mine, topic
        kept += mine
    # Every dead letter of the partner topic, whoever sent it: the refused record's id is keyed.
    dead = [item.value.decode() for item in await read_all(kafka, topics.PARTNER_ACTIVITY.dead_letter)]
    assert any(expected[2] in text for text in dead)
    kept += dead
    assert not [text for text in kept if any(raw in text for raw in RAW)]
    assert any(expected[0] in text for text in kept)
