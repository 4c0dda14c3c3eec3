"""A clinic's own time: its time zone, the days it opens, its public holidays and its closures.

Every service that turns an instant into a clinic's day, or counts the days a clinic was open,
asks here: kpi (which week an event belongs to, whether a quiet feed is a dead one), audit (the
working days an audit week covered), the portal (local times on its pages). The public holidays
come from the `holidays` package (a country, optionally a region: "US", "US-CA", "DE-BY").
"""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Annotated, Literal
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from shared import clock

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONDAY_TO_FRIDAY: tuple[Weekday, ...] = WEEKDAYS[:5]
DEFAULT_TIME_ZONE = "UTC"
# A clinic's opening hours where business hours are counted ("answered within a business day"):
# a message answered within one day's opening hours of them was answered within a business day.
OPENS, CLOSES = time(8), time(18)
BUSINESS_DAY_MINUTES = (CLOSES.hour - OPENS.hour) * 60


def check_time_zone(name: str) -> str:
    """An IANA time zone name (America/Los_Angeles), or ValueError saying what is expected."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"{name!r} is not an IANA time zone; give one such as America/Los_Angeles or Europe/Berlin"
        ) from error
    return name


def check_holidays(code: str) -> str:
    """A country (US) or country-region (US-CA) whose public holidays the `holidays` package knows."""
    if not code:
        return code
    country, _, region = code.upper().partition("-")
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise ValueError(
            f"{code!r}: no public holidays are known for country {country!r}; use ISO codes (US)"
        )
    if region and region not in supported[country]:
        raise ValueError(f"{code!r}: {country} has no region {region!r}; use ISO 3166-2 codes (US-CA)")
    return code.upper()


TimeZoneName = Annotated[
    str,
    PydanticField(min_length=1, max_length=64, description="IANA time zone, e.g. America/Los_Angeles"),
    AfterValidator(check_time_zone),
]
HolidayCalendar = Annotated[
    str,
    PydanticField(
        max_length=12, description='public holidays of a country or region: "US", "US-CA", "DE-BY"; "" none'
    ),
    AfterValidator(check_holidays),
]


class ClinicCalendar(BaseModel):
    """When a clinic works: its zone, its open days, its public holidays and the days it closes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    time_zone: TimeZoneName = DEFAULT_TIME_ZONE
    open_days: tuple[Weekday, ...] = PydanticField(default=MONDAY_TO_FRIDAY, min_length=1, max_length=7)
    holidays: HolidayCalendar = ""
    closures: tuple[date, ...] = PydanticField(
        default=(), max_length=400, description="other days the clinic is closed (a training day, a move)"
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.zone)

    def day_of(self, instant: datetime) -> date:
        """The clinic's own date of an instant: 23:30 on Sunday in Los Angeles is that Sunday."""
        return instant.astimezone(self.zone).date()

    def today(self) -> date:
        return clock.today(self.zone)

    def is_open(self, day: date) -> bool:
        return (
            WEEKDAYS[day.weekday()] in self.open_days
            and day not in self.closures
            and day not in _public_holidays(self.holidays, day.year)
        )

    def open_days_between(self, first: date, last: date) -> list[date]:
        """The open days from `first` to `last`, both included."""
        return [day for day in _days(first, last) if self.is_open(day)]

    def business_minutes_between(self, start: datetime, end: datetime) -> float:
        """Minutes of opening hours (08:00-18:00 local, open days) between two instants."""
        total = 0.0
        for day in _days(self.day_of(start), self.day_of(end)):
            if not self.is_open(day):
                continue
            opens = datetime.combine(day, OPENS, self.zone)
            closes = datetime.combine(day, CLOSES, self.zone)
            overlap = min(closes, end) - max(opens, start)
            total += max(overlap.total_seconds(), 0.0) / 60
        return total


def _days(first: date, last: date) -> Iterator[date]:
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


@lru_cache(maxsize=256)
def _public_holidays(code: str, year: int) -> frozenset[date]:
    if not code:
        return frozenset()
    country, _, region = code.partition("-")
    return frozenset(holidays.country_holidays(country, subdiv=region or None, years=year))


UTC_CALENDAR = ClinicCalendar()


class CalendarColumns(SQLModel):
    """A clinic's calendar as table columns (intake's clinics, kpi's, audit's): one place for both ways."""

    time_zone: str = Field(default=DEFAULT_TIME_ZONE, max_length=64)
    open_days: list[str] = Field(default_factory=lambda: list(MONDAY_TO_FRIDAY), sa_type=JSON)
    holidays: str = Field(default="", max_length=12)
    closures: list[str] = Field(default_factory=list, sa_type=JSON)  # ISO dates

    def calendar(self) -> ClinicCalendar:
        return ClinicCalendar.model_validate(
            {
                "time_zone": self.time_zone,
                "open_days": self.open_days,
                "holidays": self.holidays,
                "closures": self.closures,
            }
        )

    def set_calendar(self, calendar: ClinicCalendar) -> None:
        stored = calendar.model_dump(mode="json")
        self.time_zone, self.holidays = stored["time_zone"], stored["holidays"]
        self.open_days, self.closures = list(stored["open_days"]), list(stored["closures"])


async def stored_calendar(
    session: AsyncSession, table: type[CalendarColumns], clinic_id: UUID
) -> ClinicCalendar:
    """The calendar a service keeps for a clinic in `table`; UTC, Monday to Friday, for a clinic it
    has not heard of yet."""
    clinic = await session.get(table, clinic_id)
    return clinic.calendar() if clinic is not None else UTC_CALENDAR


def iso_week(day: date) -> str:
    """The ISO week holding `day`, e.g. 2026-W53 (weeks run Monday to Sunday, as kpi counts them)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def whole_weeks_within(first: date, last: date) -> list[str]:
    """The ISO weeks lying wholly within [first, last], oldest first."""
    monday = first + timedelta(days=(7 - first.weekday()) % 7)
    weeks = []
    while monday + timedelta(days=6) <= last:
        weeks.append(iso_week(monday))
        monday += timedelta(days=7)
    return weeks


def weeks_touching(first: date, last: date) -> list[str]:
    """The ISO weeks holding at least one day of [first, last], oldest first."""
    monday = first - timedelta(days=first.weekday())
    weeks = []
    while monday <= last:
        weeks.append(iso_week(monday))
        monday += timedelta(days=7)
    return weeks
