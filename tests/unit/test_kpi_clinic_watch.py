"""Which clinics kpi's periodic evaluation watches: those with partner data in the feed window, and
those whose activity was published before (so a feed that stopped for good is still reported)."""

from datetime import date, timedelta
from uuid import uuid4

from services.kpi.clinic_watch import FEED_HISTORY_DAYS, clinics_with_recent_data
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
