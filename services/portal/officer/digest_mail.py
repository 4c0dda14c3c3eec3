"""The Monday digest, mailed once a week to each officer who has an address and did not opt out.

Monday on the officer's own clock, from DIGEST_HOUR. An officer's week is claimed (its ISO week
written to `digest_week`) and committed before the message goes out, so two replicas or a restart
never mail the same week twice; a relay that cannot be reached gives the claim back, to try again
next round. Rounds run once per interval across replicas (shared/leases.py), as urgent notices do.
"""

import asyncio
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select, update

from services.portal.officer import mail
from services.portal.officer.models import PortalOfficer
from services.portal.pages import rules
from services.portal.pages.digest import digest, digest_text
from services.portal.settings import PortalSettings
from shared import clock, leases
from shared.db import SessionFactory

log = logging.getLogger(__name__)
DIGEST_HOUR = 7  # on the officer's clock: before the week's first meeting


def digest_week(now: datetime, zone: str, *, any_day: bool = False) -> str | None:
    """The ISO week whose digest is due at `now` on this clock: Monday from DIGEST_HOUR (any day with
    `any_day`, for a test or a manual run); None when none is due."""
    local = now.astimezone(ZoneInfo(zone))
    if not any_day and (local.weekday() != 0 or local.hour < DIGEST_HOUR):
        return None
    return rules.iso_week(local.date())


async def mail_digests(sessions: SessionFactory, settings: PortalSettings, *, any_day: bool = False) -> int:
    """Mail every digest due now and not mailed this week; returns how many went out."""
    now = clock.now()
    async with sessions() as session:
        officers = (
            await session.exec(
                select(PortalOfficer).where(
                    col(PortalOfficer.digest).is_(True), col(PortalOfficer.email).is_not(None)
                )
            )
        ).all()
    sent = 0
    for officer in officers:
        week = digest_week(now, officer.time_zone, any_day=any_day)
        if week is None or officer.digest_week == week or not officer.email:
            continue
        if not await _claim(sessions, officer.id, week, previous=officer.digest_week):
            continue  # another replica has it
        try:
            await _send(sessions, settings, officer, now=now)
        except OSError as error:  # the relay: give the week back, to try again next round
            log.warning("digest for one officer not mailed (%s); tried again next round", error)
            await _claim(sessions, officer.id, officer.digest_week, previous=week)
            continue
        except Exception:  # one officer's digest never stops the others'
            log.warning("digest for one officer could not be made", exc_info=True)
            continue
        sent += 1
    return sent


async def _claim(sessions: SessionFactory, officer_id: str, week: str, *, previous: str) -> bool:
    async with sessions() as session:
        claimed = await session.exec(
            update(PortalOfficer)
            .where(col(PortalOfficer.id) == officer_id, col(PortalOfficer.digest_week) == previous)
            .values(digest_week=week)
        )
        await session.commit()
    return bool(claimed.rowcount == 1)


async def _send(
    sessions: SessionFactory, settings: PortalSettings, officer: PortalOfficer, *, now: datetime
) -> None:
    async with sessions() as session:
        shown = await digest(
            session, officer_id=officer.id, officer_name=officer.name, zone=officer.time_zone, now=now
        )
    message = mail.build_message(
        settings,
        to=str(officer.email),
        subject=shown.subject,
        text=digest_text(shown, public_url=settings.public_url),
    )
    await asyncio.to_thread(mail.deliver, settings, message)


async def mail_digests_periodically(sessions: SessionFactory, settings: PortalSettings) -> None:
    """Look for due digests every interval, on one replica per interval."""
    await leases.every_period(
        sessions,
        "portal.digest",
        settings.digest_interval_seconds,
        lambda: mail_digests(sessions, settings),
    )
