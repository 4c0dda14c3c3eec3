"""The instants a result that depends on the calendar is tested at: each day of one week (at hours
that cross midnight in a clinic's zone), ISO week 53, New Year's Day, and the two daylight-saving
changes in America/New_York and Europe/Berlin."""

from datetime import UTC, datetime

# Monday 7 December 2026 to Sunday 13 December 2026, each at a different hour.
WEEKDAYS = tuple(datetime(2026, 12, 7 + day, (3 + 5 * day) % 24, 30, tzinfo=UTC) for day in range(7))
YEAR_END = (
    datetime(2026, 12, 28, 15, 0, tzinfo=UTC),  # Monday of 2026-W53
    datetime(2027, 1, 1, 12, 0, tzinfo=UTC),  # New Year's Day, still in 2026-W53
)
DAYLIGHT_SAVING = (
    datetime(2027, 3, 14, 12, 0, tzinfo=UTC),  # New York springs forward
    datetime(2027, 3, 28, 12, 0, tzinfo=UTC),  # Berlin springs forward
    datetime(2026, 10, 25, 12, 0, tzinfo=UTC),  # Berlin falls back
    datetime(2026, 11, 1, 12, 0, tzinfo=UTC),  # New York falls back
)
DATES = WEEKDAYS + YEAR_END + DAYLIGHT_SAVING
