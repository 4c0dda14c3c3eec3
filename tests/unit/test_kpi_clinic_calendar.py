"""A feed's staleness counts the clinic's open days: a long weekend is not a dead integration, three
open days without an event are. Weeks are ISO weeks, 2026-W53 included."""

from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest

from services.kpi import alert_rules, kpis
from shared import clock
from shared.calendar import ClinicCalendar, iso_week
from tests.clock_dates import DATES

US_CLINIC = ClinicCalendar(time_zone="America/Chicago", holidays="US")
# Closed the day after Thanksgiving too: the officer adds it as a closure.
US_CLINIC_FRIDAY_OFF = US_CLINIC.model_copy(update={"closures": (date(2026, 11, 27),)})
MONDAY_TO_THURSDAY = ClinicCalendar(open_days=("mon", "tue", "wed", "thu"))


def calls_on_open_days(
    calendar: ClinicCalendar, first: date, last: date, per_day: int = 40
) -> dict[date, kpis.PeriodData]:
    """A phone feed that sends every day the clinic is open, from `first` to `last`."""
    return {
        day: kpis.PeriodData(counters=defaultdict(float, calls_answered=per_day))
        for day in calendar.open_days_between(first, last)
    }


def stale_feeds(days: dict[date, kpis.PeriodData], *, today: date, calendar: ClinicCalendar) -> set[str]:
    statuses = alert_rules.feed_statuses(days, today=today, calendar=calendar)
    findings = alert_rules.stale_feed_findings(statuses, today=today, partner_names={})
    return {finding.metric for finding in findings}


def test_no_stale_feed_on_the_tuesday_after_labor_day() -> None:
    # Labor Day is Monday 7 September 2026; the feed sent through Friday the 4th.
    days = calls_on_open_days(US_CLINIC, date(2026, 8, 1), date(2026, 9, 7))
    assert date(2026, 9, 7) not in days
    assert stale_feeds(days, today=date(2026, 9, 8), calendar=US_CLINIC) == set()
    # Counting calendar days, Saturday, Sunday and the holiday would have looked like a dead feed.
    every_day_open = ClinicCalendar(open_days=("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    assert stale_feeds(days, today=date(2026, 9, 8), calendar=every_day_open) == {"feed_calls"}


def test_no_stale_feed_over_the_thanksgiving_long_weekend() -> None:
    # Thanksgiving is Thursday 26 November 2026; this clinic also closes on Friday the 27th.
    days = calls_on_open_days(US_CLINIC_FRIDAY_OFF, date(2026, 10, 20), date(2026, 11, 29))
    assert max(days) == date(2026, 11, 25)
    for today in (date(2026, 11, 27), date(2026, 11, 28), date(2026, 11, 29), date(2026, 11, 30)):
        assert stale_feeds(days, today=today, calendar=US_CLINIC_FRIDAY_OFF) == set(), today


def test_a_monday_to_thursday_clinic_is_not_stale_on_mondays() -> None:
    days = calls_on_open_days(MONDAY_TO_THURSDAY, date(2026, 10, 1), date(2026, 11, 29))
    assert stale_feeds(days, today=date(2026, 11, 30), calendar=MONDAY_TO_THURSDAY) == set()


def test_three_open_days_without_an_event_make_a_stale_feed() -> None:
    # Events through Friday 4 December 2026, then nothing on Monday 7, Tuesday 8, Wednesday 9.
    days = calls_on_open_days(US_CLINIC, date(2026, 10, 20), date(2026, 12, 4))
    assert stale_feeds(days, today=date(2026, 12, 9), calendar=US_CLINIC) == set()  # two quiet open days
    assert stale_feeds(days, today=date(2026, 12, 10), calendar=US_CLINIC) == {"feed_calls"}


def test_a_quiet_feed_before_a_holiday_is_still_found() -> None:
    # Silent Tuesday 22 to Wednesday 25 November; Thursday (Thanksgiving) is not an open day.
    days = calls_on_open_days(US_CLINIC, date(2026, 10, 15), date(2026, 11, 23))
    days.pop(date(2026, 11, 23))
    assert stale_feeds(days, today=date(2026, 11, 27), calendar=US_CLINIC) == {"feed_calls"}


@pytest.mark.parametrize(
    ("day", "week"),
    [
        (date(2026, 12, 27), "2026-W52"),
        (date(2026, 12, 28), "2026-W53"),
        (date(2026, 12, 31), "2026-W53"),
        (date(2027, 1, 1), "2026-W53"),
        (date(2027, 1, 3), "2026-W53"),
        (date(2027, 1, 4), "2027-W01"),
    ],
)
def test_the_last_days_of_2026_are_in_week_53(day: date, week: str) -> None:
    assert iso_week(day) == week


def test_week_53_is_one_of_the_weeks_a_series_shows() -> None:
    weeks = kpis.periods_between(date(2026, 12, 21), date(2027, 1, 10), "week")
    assert weeks == ["2026-W52", "2026-W53", "2027-W01"]
    assert kpis.week_start("2026-W53") == date(2026, 12, 28)
    assert kpis.week_start("2026-W53") + timedelta(days=6) == date(2027, 1, 3)


@pytest.mark.parametrize("instant", DATES, ids=[instant.isoformat() for instant in DATES])
@pytest.mark.parametrize(
    "calendar", [US_CLINIC, MONDAY_TO_THURSDAY, ClinicCalendar(time_zone="Europe/Berlin", holidays="DE-BY")]
)
def test_a_feed_is_stale_on_its_third_quiet_open_day_whatever_the_date(
    instant: datetime, calendar: ClinicCalendar
) -> None:
    with clock.set_to(instant):
        today = calendar.today()
    # The clinic's open days before today, newest first, counted independently of feed_status.
    open_before = [day for day in (today - timedelta(days=n) for n in range(1, 60)) if calendar.is_open(day)]
    for quiet, stale in ((2, set()), (3, {"feed_calls"})):
        last_sent = open_before[quiet]  # the open day before the quiet ones
        days = calls_on_open_days(calendar, last_sent - timedelta(days=40), last_sent)
        assert stale_feeds(days, today=today, calendar=calendar) == stale, (today, quiet)
