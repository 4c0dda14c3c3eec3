"""Audit findings are per week of the clinic's working days: what a window logged, scaled by the
clinic's open days in a week over the open days the window actually covered (read in the clinic's
zone, up to an early close, without its holidays).

Every clinic below logs two hours of front-desk work on each day it logs (4 min x 30 at $25/h =
$50), so a full working week of it is 5 x 2 h = 10 h and $250; each test works out by hand why its
window comes to that week, where scaling by calendar days did not.
"""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from services.audit import service
from services.audit.models import AuditClinic, AuditEntry, AuditWindow, Predictability, TaskCategory
from services.audit.windows import CLOSED_EARLY, WINDOW_ENDED
from shared import db
from shared.calendar import ClinicCalendar
from shared.events import ClinicRegistered, StaffRole
from shared.events.intake import ClinicUpdated

MONDAY = date(2026, 12, 7)  # an ordinary week: Monday 7 to Sunday 13 December 2026
LABOR_DAY = date(2026, 9, 7)  # first Monday of September 2026
THANKSGIVING = date(2026, 11, 26)  # fourth Thursday of November 2026
A_FULL_WEEK = (10.0, 250.0)  # hours, cost


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[db.SessionFactory]:
    """Audit's database as its migrations build it (the calendar columns included)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"
    await db.migrate(url, Path(service.__file__).parent / "migrations")
    engine = db.create_engine(url)
    yield db.create_session_factory(engine)
    await engine.dispose()


def at(day: date, hour: int, zone: str) -> datetime:
    return datetime.combine(day, time(hour), ZoneInfo(zone))


def timer_close(ends_on: date) -> datetime:
    """When a window closes on its own: 00:00 UTC after its last day."""
    return datetime.combine(ends_on + timedelta(days=1), time(0), UTC)


async def findings(
    sessions: db.SessionFactory,
    calendar: ClinicCalendar,
    *,
    starts_on: date,
    days: int,
    logged: list[date],
    closed_at: datetime,
) -> dict[str, Any]:
    """A clinic on `calendar` opens a window, logs two hours on each `logged` day, and the window
    closes at `closed_at`: its stored findings."""
    clinic_id = uuid4()
    ends_on = starts_on + timedelta(days=days - 1)
    registered = ClinicRegistered(
        clinic_id=clinic_id,
        officer_id="officer-a",
        name="Test Clinic",
        specialty="family",
        locations=1,
        staff=[StaffRole(role="front desk", headcount=1, hourly_cost=25.0)],
        calendar=calendar,
    )
    window = AuditWindow(
        clinic_id=clinic_id,
        officer_id="officer-a",
        starts_on=starts_on,
        ends_on=ends_on,
        closes_at=timer_close(ends_on),
        days=days,
        workflow_id="test",
    )
    entries = [
        AuditEntry(
            clinic_id=clinic_id,
            id=number,
            audit_id=window.id,
            staff_id="fd-1",
            role="front desk",
            day=day,
            category=TaskCategory.appointment_scheduling,
            description="confirm appointments by phone",
            minutes=4,
            occurrences=30,
            predictability=Predictability.always_same,
        )
        for number, day in enumerate(logged, start=1)
    ]
    async with sessions() as session:
        await service.record_clinic(session=session, event=registered)
        session.add_all([window, *entries])
        await session.commit()
        reason = WINDOW_ENDED if closed_at >= window.closes_at else CLOSED_EARLY
        closed = await service.complete_audit(
            session=session, audit_id=window.id, reason=reason, closed_at=closed_at
        )
        await session.commit()
    assert closed is not None and closed.findings is not None
    return closed.findings


def week(found: dict[str, Any]) -> tuple[float, float]:
    return found["total_hours_per_week"], found["total_cost_per_week"]


@pytest.mark.parametrize("days", [5, 7])
@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles", "Europe/Berlin", "Pacific/Auckland"])
async def test_a_window_over_one_working_week_is_the_week_it_logged(
    sessions: db.SessionFactory, zone: str, days: int
) -> None:
    # Monday to Friday logged, 5 x 2 h = 10 h over 5 open days x 5/5: the week itself, whether the
    # window ran Monday to Friday (by calendar days 10 x 7/5 = 14 h) or to Sunday. Its timer closes
    # at 00:00 UTC after the last day: still that day in Los Angeles, the next one in Berlin and
    # Auckland (a Monday for the seven-day window), which the window did not cover.
    ends_on = MONDAY + timedelta(days=days - 1)
    found = await findings(
        sessions,
        ClinicCalendar(time_zone=zone),
        starts_on=MONDAY,
        days=days,
        logged=[MONDAY + timedelta(days=n) for n in range(5)],
        closed_at=timer_close(ends_on),
    )
    assert (found["open_days_covered"], found["open_days_per_week"]) == (5, 5)
    assert week(found) == A_FULL_WEEK


async def test_an_early_close_scales_by_the_open_days_it_covered(sessions: db.SessionFactory) -> None:
    # A seven-day window closed by the officer on Wednesday at 17:00 in Los Angeles (01:00 UTC,
    # already Thursday there): Monday to Wednesday logged, 3 x 2 h = 6 h over 3 open days,
    # x 5/3 = 10 h a week. By planned calendar days it was 6 x 7/7 = 6 h; by UTC's Thursday 7.5 h.
    wednesday = MONDAY + timedelta(days=2)
    found = await findings(
        sessions,
        ClinicCalendar(time_zone="America/Los_Angeles"),
        starts_on=MONDAY,
        days=7,
        logged=[MONDAY, MONDAY + timedelta(days=1), wednesday],
        closed_at=at(wednesday, 17, "America/Los_Angeles"),
    )
    assert found["open_days_covered"] == 3
    assert week(found) == A_FULL_WEEK


@pytest.mark.parametrize(
    ("starts_on", "days", "logged"),
    [
        # Labor Day Monday closed: Tuesday to Friday logged, 4 x 2 h = 8 h over 4 open days.
        (LABOR_DAY, 5, [LABOR_DAY + timedelta(days=n) for n in (1, 2, 3, 4)]),
        # Thanksgiving week, Monday to Sunday: Thanksgiving closed, Mon, Tue, Wed, Fri logged.
        (THANKSGIVING - timedelta(days=3), 7, [THANKSGIVING + timedelta(days=n) for n in (-3, -2, -1, 1)]),
    ],
)
async def test_a_public_holiday_is_no_working_day_covered(
    sessions: db.SessionFactory, starts_on: date, days: int, logged: list[date]
) -> None:
    # 8 h over 4 open days x 5/4 = 10 h a week; counting the holiday as worked gave 8 h.
    ends_on = starts_on + timedelta(days=days - 1)
    found = await findings(
        sessions,
        ClinicCalendar(time_zone="America/New_York", holidays="US"),
        starts_on=starts_on,
        days=days,
        logged=logged,
        closed_at=timer_close(ends_on),
    )
    assert found["open_days_covered"] == 4
    assert week(found) == A_FULL_WEEK


async def test_a_window_that_covered_no_open_day_counts_as_one(sessions: db.SessionFactory) -> None:
    # Opened on Labor Day and closed that afternoon: no open day covered. What was logged that
    # day (2 h) counts as one day's work, 2 x 5/1 = 10 h a week, instead of dividing by zero.
    found = await findings(
        sessions,
        ClinicCalendar(time_zone="America/New_York", holidays="US"),
        starts_on=LABOR_DAY,
        days=7,
        logged=[LABOR_DAY],
        closed_at=at(LABOR_DAY, 15, "America/New_York"),
    )
    assert found["open_days_covered"] == 0
    assert week(found) == A_FULL_WEEK


async def test_the_calendar_follows_the_clinic_profile(sessions: db.SessionFactory) -> None:
    clinic_id = uuid4()
    common: dict[str, Any] = {
        "clinic_id": clinic_id,
        "officer_id": "officer-a",
        "name": "Test Clinic",
        "specialty": "family",
        "locations": 1,
    }
    sunday_to_thursday = ClinicCalendar(
        time_zone="Asia/Dubai", open_days=("sun", "mon", "tue", "wed", "thu"), closures=(MONDAY,)
    )
    async with sessions() as session:
        await service.record_clinic(session=session, event=ClinicRegistered(**common))
        await session.commit()
        update = ClinicUpdated(**common, calendar=sunday_to_thursday, updated_at=at(MONDAY, 9, "UTC"))
        await service.record_clinic(session=session, event=update)
        await session.commit()
    async with sessions() as session:
        clinic = await session.get(AuditClinic, clinic_id)
    assert clinic is not None and clinic.calendar() == sunday_to_thursday
