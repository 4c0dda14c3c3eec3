"""Which clinics kpi's periodic evaluation watches: those with partner data in the feed window, and
those whose activity was published before (so a feed that stopped for good is still reported)."""

from datetime import date, timedelta
from uuid import uuid4

from services.kpi import kpis
from services.kpi.clinic_watch import FEED_HISTORY_DAYS, adoption_week, clinics_with_recent_data
from services.kpi.models import KpiClinic, KpiClinicActivityRecord, KpiDailyCounter
from shared import db

TODAY = date(2026, 11, 27)


async def test_recent_data_or_an_earlier_report_puts_a_clinic_on_the_watch(
    kpi_sessions: db.SessionFactory,
) -> None:
    recent, old, reported, silent = (uuid4() for _ in range(4))
    async with kpi_sessions() as session:
        for clinic_id in (recent, old, reported, silent):
            session.add(KpiClinic(id=clinic_id, officer_id="officer-a", name="Clinic"))
        session.add(
            KpiDailyCounter(clinic_id=recent, day=TODAY - timedelta(days=5), name="calls_answered", value=3)
        )
        session.add(
            KpiDailyCounter(
                clinic_id=old,
                day=TODAY - timedelta(days=FEED_HISTORY_DAYS + 1),
                name="calls_answered",
                value=3,
            )
        )
        session.add(KpiClinicActivityRecord(clinic_id=reported, digest="0" * 64))
        await session.commit()
        watched = await clinics_with_recent_data(session=session, as_of=TODAY)
    assert set(watched) == {recent, reported}


def test_an_adoption_week_counts_the_clinicians_seen_never_who() -> None:
    week = kpis.PeriodData()
    week.staff_minutes["fp-aaaaaaaaaaaaaaaaaaaa"] = 12  # used the scribe and signed notes
    week.staff_notes["fp-aaaaaaaaaaaaaaaaaaaa"] = kpis.NoteSums(notes=9, minutes=40, ai_assisted=6)
    week.staff_notes["fp-bbbbbbbbbbbbbbbbbbbb"] = kpis.NoteSums(notes=7, minutes=50, ai_assisted=0)

    adoption = adoption_week("2026-W40", week)

    assert (adoption.ai_active_staff, adoption.clinicians) == (1, 2)  # two clinicians: portal pages hide it
    assert "fp-" not in adoption.model_dump_json()
