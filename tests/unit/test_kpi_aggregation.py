"""The aggregator against a SQLite file: duplicates counted once, late events in their week,
a clinic without events answered with an explicit "no data". Values are computed by hand."""

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi import aggregate, kpis
from services.kpi.models import KpiClinic, KpiInitiative
from services.kpi.series import clinic_kpis
from shared import db
from shared.errors import NotFound
from shared.events.partner import PartnerActivity, PartnerEventBody, parse_body

OFFICER = "officer-aggregation"
W45_MONDAY = date(2026, 11, 2)


def activity(
    clinic: uuid.UUID, day: date, event_type: str, data: dict[str, object], event_id: str = ""
) -> PartnerActivity:
    body: PartnerEventBody = parse_body(f"partner.{event_type}", data)
    return PartnerActivity(
        event_id=event_id or str(uuid.uuid4()),
        type=body.event_type,
        clinic_id=clinic,
        occurred_at=datetime(day.year, day.month, day.day, 10, tzinfo=UTC),
        body=body,
    )


async def apply(sessions: db.SessionFactory, batch: list[PartnerActivity]) -> aggregate.BatchOutcome:
    async with sessions() as session:
        outcome = await aggregate.apply_activity_batch(session=session, activities=batch)
        await session.commit()
        return outcome


async def add_clinic(session: AsyncSession, clinic: uuid.UUID, *, time_zone: str = "UTC") -> None:
    session.add(KpiClinic(id=clinic, officer_id=OFFICER, name="Test clinic", time_zone=time_zone))
    await session.commit()


@pytest.fixture
def store() -> str:
    """SQLite's store; PostgreSQL's runs on a real server in tests/integration/test_kpi_postgres.py."""
    return "sqlite"


async def test_duplicates_count_once_and_late_events_land_in_their_week(
    kpi_sessions: db.SessionFactory, store: str
) -> None:
    clinic = uuid.uuid4()
    w46 = W45_MONDAY + timedelta(days=7)
    w47 = W45_MONDAY + timedelta(days=14)
    batch = [
        *(activity(clinic, W45_MONDAY, "call.answered", {"wait_seconds": 10}) for _ in range(6)),
        *(
            activity(clinic, W45_MONDAY + timedelta(days=2), "call.missed", {"wait_seconds": 30})
            for _ in range(2)
        ),
        *(
            activity(clinic, W45_MONDAY + timedelta(days=6), "call.abandoned", {"wait_seconds": 90})
            for _ in range(2)
        ),
        *(activity(clinic, w46, "call.answered", {"wait_seconds": 5}) for _ in range(9)),
        activity(clinic, w46, "call.missed", {"wait_seconds": 20}, event_id="missed-46"),
        activity(
            clinic, w46, "call.missed", {"wait_seconds": 20}, event_id="missed-46"
        ),  # same batch duplicate
    ]
    first = await apply(kpi_sessions, batch)
    assert (first.applied, first.duplicates) == (20, 1)

    # A redelivery of an already applied event, and a late missed call from week 46 sent in week 47.
    second = await apply(
        kpi_sessions,
        [
            activity(clinic, w46, "call.missed", {"wait_seconds": 20}, event_id="missed-46"),
            activity(clinic, w47, "call.answered", {"wait_seconds": 3}),
            activity(clinic, w46 + timedelta(days=3), "call.missed", {"wait_seconds": 60}),
        ],
    )
    assert (second.applied, second.duplicates) == (2, 1)

    async with kpi_sessions() as session:
        await add_clinic(session, clinic)
        result = await clinic_kpis(
            session=session,
            officer_id=OFFICER,
            clinic_id=clinic,
            granularity="week",
            start=W45_MONDAY,
            end=W45_MONDAY + timedelta(days=20),
            names=["missed_call_rate"],
        )
        totals = await aggregate.clinic_totals(session=session, clinic_ids=[clinic])
    (series,) = result.kpis
    values = {point.period: (point.value, point.sample_size) for point in series.points}
    assert values["2026-W45"] == pytest.approx((4 / 10, 10))
    assert values["2026-W46"] == pytest.approx((2 / 11, 11))  # 9 answered + the missed once + the late one
    assert values["2026-W47"] == (0.0, 1)
    assert totals == {clinic: 22.0}


async def test_daily_series_follow_the_clinics_own_date(kpi_sessions: db.SessionFactory) -> None:
    clinic = uuid.uuid4()
    async with kpi_sessions() as session:
        await add_clinic(session, clinic, time_zone="America/New_York")
    body = parse_body("partner.note.signed", {"documentation_minutes": 12, "ai_assisted": True})
    # 23:30 in New York is already the next day in UTC, however the partner writes the instant.
    late_evening = PartnerActivity(
        "n-1", body.event_type, clinic, datetime.fromisoformat("2026-11-04T04:30:00+00:00"), body
    )
    await apply(kpi_sessions, [late_evening])
    async with kpi_sessions() as session:
        result = await clinic_kpis(
            session=session,
            officer_id=OFFICER,
            clinic_id=clinic,
            granularity="day",
            start=date(2026, 11, 3),
            end=date(2026, 11, 4),
            names=["documentation_minutes_per_note"],
        )
    assert [(point.period, point.value) for point in result.kpis[0].points] == [
        ("2026-11-03", 12.0),
        ("2026-11-04", None),
    ]


async def test_a_clinic_without_events_has_no_data_everywhere(kpi_sessions: db.SessionFactory) -> None:
    clinic = uuid.uuid4()
    async with kpi_sessions() as session:
        await add_clinic(session, clinic)
        session.add(
            KpiInitiative(
                id=uuid.uuid4(),
                clinic_id=clinic,
                kpi="missed_call_rate",
                baseline_start=W45_MONDAY,
                baseline_end=W45_MONDAY + timedelta(days=13),
                target_change_pct=-50,
                pilot_group=["s1"],
                approved_at=datetime.now(UTC),
            )
        )
        await session.commit()
        result = await clinic_kpis(
            session=session,
            officer_id=OFFICER,
            clinic_id=clinic,
            granularity="week",
            start=W45_MONDAY,
            end=W45_MONDAY + timedelta(days=27),
        )
    assert len(result.kpis) == len(kpis.definitions())
    for kpi_series in result.kpis:
        assert [point.period for point in kpi_series.points] == [
            "2026-W45",
            "2026-W46",
            "2026-W47",
            "2026-W48",
        ]
        assert all(
            point.value is None and point.no_data and point.progress is None for point in kpi_series.points
        )
    missed = next(item for item in result.kpis if item.name == "missed_call_rate")
    assert missed.baseline is None
    assert missed.target is None


async def test_another_officers_clinic_is_not_found(kpi_sessions: db.SessionFactory) -> None:
    clinic = uuid.uuid4()
    async with kpi_sessions() as session:
        await add_clinic(session, clinic)
        with pytest.raises(NotFound):
            await clinic_kpis(
                session=session,
                officer_id="someone-else",
                clinic_id=clinic,
                granularity="week",
                start=W45_MONDAY,
                end=W45_MONDAY,
            )


async def test_a_business_day_is_counted_in_the_clinics_opening_hours(
    kpi_sessions: db.SessionFactory,
) -> None:
    clinic = uuid.uuid4()
    async with kpi_sessions() as session:
        await add_clinic(session, clinic, time_zone="America/New_York")
    new_york = ZoneInfo("America/New_York")

    def answered(arrived: datetime, answered: datetime) -> PartnerActivity:
        minutes = (answered - arrived).total_seconds() / 60
        body = parse_body("partner.message.answered", {"response_minutes": minutes})
        return PartnerActivity(str(uuid.uuid4()), body.event_type, clinic, answered.astimezone(UTC), body)

    batch = [
        # Friday 17:00 to Monday 09:00: 64 hours elapsed, two opening hours (17-18, 08-09): within.
        answered(datetime(2026, 11, 6, 17, tzinfo=new_york), datetime(2026, 11, 9, 9, tzinfo=new_york)),
        # Tuesday 09:00 to Wednesday 12:00: 9 + 4 = 13 opening hours, more than a day's 10: late.
        answered(datetime(2026, 11, 10, 9, tzinfo=new_york), datetime(2026, 11, 11, 12, tzinfo=new_york)),
        # Wednesday 23:00 to Thursday 07:59: the clinic was closed all along: within.
        answered(datetime(2026, 11, 11, 23, tzinfo=new_york), datetime(2026, 11, 12, 7, 59, tzinfo=new_york)),
    ]
    received = parse_body("partner.message.received", {})
    batch += [
        PartnerActivity(
            f"r-{n}", received.event_type, clinic, datetime(2026, 11, 9, 15, tzinfo=UTC), received
        )
        for n in range(3)
    ]
    await apply(kpi_sessions, batch)
    async with kpi_sessions() as session:
        result = await clinic_kpis(
            session=session,
            officer_id=OFFICER,
            clinic_id=clinic,
            granularity="week",
            start=date(2026, 11, 9),
            end=date(2026, 11, 15),
            names=["messages_answered_within_business_day"],
        )
    (point,) = result.kpis[0].points
    assert point.value == pytest.approx(2 / 3)
    assert point.sample_size == 3


@pytest.mark.parametrize(
    ("zone", "change_day"),
    [
        ("America/New_York", date(2027, 3, 14)),  # springs forward
        ("America/New_York", date(2026, 11, 1)),  # falls back
        ("Europe/Berlin", date(2027, 3, 28)),
        ("Europe/Berlin", date(2026, 10, 25)),
    ],
)
async def test_days_stay_the_clinics_own_across_a_daylight_saving_change(
    kpi_sessions: db.SessionFactory, zone: str, change_day: date
) -> None:
    clinic = uuid.uuid4()
    async with kpi_sessions() as session:
        await add_clinic(session, clinic, time_zone=zone)
    local = ZoneInfo(zone)
    body = parse_body("partner.note.signed", {"documentation_minutes": 10, "ai_assisted": False})
    # Late on the day of the change, and just after the next midnight: one note on each day.
    moments = [
        datetime.combine(change_day, datetime.min.time(), local) + timedelta(hours=23, minutes=30),
        datetime.combine(change_day + timedelta(days=1), datetime.min.time(), local) + timedelta(minutes=30),
    ]
    await apply(
        kpi_sessions,
        [
            PartnerActivity(str(uuid.uuid4()), body.event_type, clinic, moment.astimezone(UTC), body)
            for moment in moments
        ],
    )
    async with kpi_sessions() as session:
        result = await clinic_kpis(
            session=session,
            officer_id=OFFICER,
            clinic_id=clinic,
            granularity="day",
            start=change_day - timedelta(days=1),
            end=change_day + timedelta(days=1),
            names=["documentation_minutes_per_note"],
        )
    counts = [point.sample_size for point in result.kpis[0].points]
    assert counts == [0, 1, 1]
