"""The one clock: every service, worker, the demo and the CLI read "now" here, never the system's.

In production it is the system's UTC clock. A test, a demo or a rehearsal sets it to another instant
(`FAIO_CLOCK_START` for a whole process, `travel_to` inside one) and from there it keeps ticking, so
timeouts, expiries and waits behave as they do in real life while the calendar is the one chosen.

Temporal workflows cannot read this clock (they must replay deterministically): a workflow is
started with `offset_seconds()` in its input and adds it to `workflow.now()`.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, tzinfo

START_VARIABLE = "FAIO_CLOCK_START"


def _offset_from_environment() -> timedelta:
    start = os.environ.get(START_VARIABLE, "").strip()
    if not start:
        return timedelta(0)
    try:
        instant = datetime.fromisoformat(start)
    except ValueError as error:
        raise SystemExit(
            f"{START_VARIABLE}={start!r} is not an ISO 8601 instant (2026-12-28T09:00:00Z)"
        ) from error
    if instant.tzinfo is None:
        raise SystemExit(f"{START_VARIABLE}={start!r} needs a UTC offset (2026-12-28T09:00:00Z)")
    return instant - datetime.now(UTC)


_offset = _offset_from_environment()


def now() -> datetime:
    """The current instant, in UTC."""
    return datetime.now(UTC) + _offset


def today(zone: tzinfo = UTC) -> date:
    """Today's date where `zone` is (a clinic's own day starts at its local midnight)."""
    return now().astimezone(zone).date()


def offset_seconds() -> float:
    """How far this clock is from the system's: what a Temporal workflow adds to workflow.now()."""
    return _offset.total_seconds()


def travel_to(instant: datetime) -> None:
    """Set the clock to `instant`; it keeps ticking from there."""
    global _offset  # noqa: PLW0603 - the one clock is process-wide by design
    if instant.tzinfo is None:
        raise ValueError("the clock needs an aware instant (with a UTC offset)")
    _offset = instant - datetime.now(UTC)


@contextmanager
def set_to(instant: datetime) -> Iterator[None]:
    """The clock at `instant` for the block, then back to where it was."""
    global _offset  # noqa: PLW0603 - the one clock is process-wide by design
    before = _offset
    travel_to(instant)
    try:
        yield
    finally:
        _offset = before
