"""Periodic work that runs once per period across every replica of a service: a database lease.

Each kind of periodic work has one row (`name`): who holds it and until when. A replica takes the
lease for the current period with one atomic UPDATE that matches only while the last lease has
expired, so of two replicas polling together exactly one wins the period; the other skips it.

Periods are aligned on the clock (the hourly evaluation's period starts on the hour, everywhere),
and a lease expires at its period's end. A replica killed while it works loses that period; the
next period's holder (any replica) picks the work up, as every periodic job here looks for what is
due rather than for what happened since its last run.
"""

import asyncio
import logging
import math
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col, update

from shared import clock
from shared.db import SessionFactory

log = logging.getLogger(__name__)

# Who holds a lease: the host and process, so an operator can tell replicas apart.
HOLDER = f"{socket.gethostname()}:{os.getpid()}"


class Lease(SQLModel, table=True):
    """The lease of one kind of periodic work."""

    __tablename__ = "leases"

    name: str = Field(primary_key=True, max_length=100)
    holder: str = Field(default="", max_length=200)
    expires_at: datetime = Field(default=datetime(1970, 1, 1, tzinfo=UTC))


def period_end(now: datetime, period_seconds: float) -> datetime:
    """The end of the clock-aligned period `now` falls in."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    periods = math.floor((now - epoch).total_seconds() / period_seconds) + 1
    return epoch + timedelta(seconds=periods * period_seconds)


async def take(sessions: SessionFactory, name: str, *, period_seconds: float, holder: str = HOLDER) -> bool:
    """Take the lease `name` for the current period; False when another holder has it already."""
    now = clock.now()
    async with sessions() as session:
        if await session.get(Lease, name) is None:
            session.add(Lease(name=name))
            try:
                await session.commit()
            except IntegrityError:  # another replica made the row first: fine, it exists
                await session.rollback()
        taken = await session.exec(
            update(Lease)
            .where(col(Lease.name) == name, col(Lease.expires_at) <= now)
            .values(holder=holder, expires_at=period_end(now, period_seconds))
        )
        await session.commit()
    return bool(taken.rowcount == 1)


async def every_period(
    sessions: SessionFactory,
    name: str,
    period_seconds: float,
    work: Callable[[], Awaitable[object]],
    *,
    holder: str = HOLDER,
) -> None:
    """Run `work` once per clock-aligned period across all replicas, for as long as this runs."""
    while True:
        try:
            if await take(sessions, name, period_seconds=period_seconds, holder=holder):
                await work()
        except Exception:
            log.warning("periodic work %r failed; trying again next period", name, exc_info=True)
        # Wake just after the next period starts; each replica races for it with one UPDATE.
        wait = (period_end(clock.now(), period_seconds) - clock.now()).total_seconds()
        await asyncio.sleep(max(wait, 0.0) + 0.01)
