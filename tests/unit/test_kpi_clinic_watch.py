"""Which clinics kpi's periodic evaluation watches: those with partner data in the feed window, and
those whose activity was published before (so a feed that stopped for good is still reported)."""

from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from services.kpi.clinic_watch import FEED_HISTORY_DAYS, clinics_with_recent_data
from services.kpi.models import KpiClinic, KpiClinicActivityRecord, KpiDailyCounter
from services.kpi.models import metadata as kpi_metadata
from shared import db

TODAY = date(2026, 11, 27)


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[db.SessionFactory]:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'kpi.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(kpi_metadata.create_all)
    yield db.create_session_factory(engine)
    await engine.dispose()


async def test_recent_data_or_an_earlier_report_puts_a_clinic_on_the_watch(
    sessions: db.SessionFactory,
) -> None:
    recent, old, reported, silent = (uuid4() for _ in range(4))
    async with sessions() as session:
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
