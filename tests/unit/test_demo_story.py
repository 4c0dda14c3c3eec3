"""The demo tells the same story on every day: its partner events, counted and judged by kpi's own
code (the aggregator, the clinic watch and its charts), show the fading clinic's adoption decline and
the quiet clinic's dead feed whatever the weekday, the hour, the year's end or a daylight-saving change.
"""

from datetime import UTC, datetime
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from deploy.demo.portfolio import STAGES, demo_events, portfolio
from services.kpi import alert_rules
from services.kpi.aggregate import apply_activity_batch
from services.kpi.clinic_watch import load_feed_window
from services.kpi.evaluation import evaluate_clinic
from services.kpi.models import KpiAlertRecord, KpiClinic
from shared import clock, db
from shared.events.partner import parse_http_event
from tests.clock_dates import DATES


@pytest.mark.parametrize("instant", DATES, ids=[instant.isoformat() for instant in DATES])
async def test_the_fading_clinic_shows_a_decline_and_the_quiet_one_a_dead_feed(
    kpi_sessions: db.SessionFactory, instant: datetime
) -> None:
    clinics = portfolio(len(STAGES))
    fading = next(clinic for clinic in clinics if clinic.feed == "fading")
    quiet = next(clinic for clinic in clinics if clinic.feed == "quiet")
    zone = ZoneInfo("America/New_York")
    ids = {clinic.feed: uuid4() for clinic in (fading, quiet)}
    with clock.set_to(instant):
        async with kpi_sessions() as session:
            for clinic in (fading, quiet):
                clinic.id = str(ids[clinic.feed])
                session.add(KpiClinic(id=ids[clinic.feed], officer_id="officer-a", name=clinic.name))
                raw = demo_events(clinic, now=clock.now(), zone=zone)
                activities = [parse_http_event(event, now=clock.now()) for event in raw]
                await apply_activity_batch(session=session, activities=activities)
            await session.commit()
        kinds, stale = {}, {}
        for clinic in (fading, quiet):
            async with kpi_sessions() as session:
                clinic_id, today = ids[clinic.feed], clock.today(zone)
                await evaluate_clinic(session=session, clinic_id=clinic_id, as_of=today)
                rows = await session.exec(select(KpiAlertRecord).where(KpiAlertRecord.clinic_id == clinic_id))
                kinds[clinic.feed] = {alert.kind for alert in rows.all()}
                window = await load_feed_window(session=session, clinic_id=clinic_id, as_of=today)
                stale[clinic.feed] = alert_rules.feed_statuses(window, today=today)["notes"].stale
    assert "adoption_decline" in kinds["fading"]
    assert stale == {"fading": False, "quiet": True}
    assert "adoption_decline" not in kinds["quiet"]


@pytest.mark.parametrize("instant", DATES, ids=[instant.isoformat() for instant in DATES])
def test_no_demo_event_is_dated_after_now(instant: datetime) -> None:
    with clock.set_to(instant):
        for clinic in portfolio(len(STAGES)):
            clinic.id = str(uuid4())
            latest = max(
                (
                    datetime.fromisoformat(event["time"])
                    for event in demo_events(clinic, now=clock.now(), zone=UTC)
                ),
                default=None,
            )
            assert latest is None or latest <= clock.now()
