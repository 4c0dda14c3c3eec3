"""Instants as the read model keeps them (UTC; SQLite hands them back without a zone) and as the
pages and mails show them (on a clinic's own clock, the zone named)."""

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo


def aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back without their zone; every time stored here is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# A time of day with its zone named: "Dec 06 2026 23:30 PST".
LOCAL_TIME = "%b %d %Y %H:%M %Z"


def local_time(moment: datetime | None, zone: str | tzinfo, pattern: str = LOCAL_TIME) -> str:
    """An instant on a clinic's own clock (the pages' `local` filter); "" for none.

    Converted before formatting, so a date-only pattern ("%b %d") gives the clinic's own date:
    23:30 in Los Angeles is already the next day in UTC.
    """
    if moment is None:
        return ""
    return aware(moment).astimezone(ZoneInfo(zone) if isinstance(zone, str) else zone).strftime(pattern)
