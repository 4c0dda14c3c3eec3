"""Self-logging: the audit's links, a staff member's task from a phone, and who has not logged yet.

An entry logged here is an ordinary audit entry (source "link"), so coverage, confidence and
findings treat it exactly like one from the API or a CSV import.
"""

import re
from datetime import date, timedelta
from uuid import UUID

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.audit import service
from services.audit.models import AuditClinic, AuditEntry, AuditWindow, EntryCreate
from services.audit.task_log.models import (
    CATEGORY_LABELS,
    MAX_ROSTER,
    LoggingDay,
    LoggingStatus,
    RosterMember,
    TaskLogged,
    TaskLogLinkPublic,
    TaskLogSubmit,
)
from services.audit.task_log.tables import TaskLogLink
from shared import clock
from shared.errors import NotFound, Refused
from shared.public_links import LinkClaims, LinkRefused, RefusalReason

SOURCE = "link"
# A tap-tap-send form: a person needs a few seconds; a script needs none.
MIN_FILL_SECONDS = 3.0
# Links stay usable a day past the window, for the last day's stragglers.
GRACE = timedelta(days=1)
_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")


def default_roster(clinic: AuditClinic) -> list[RosterMember]:
    """One pseudonym per head-count of each role: 'front desk' x2 -> front-desk-1, front-desk-2."""
    roster = []
    for role in clinic.staff:
        name = str(role["role"])
        slug = _NOT_ALPHANUMERIC.sub("-", name.lower()).strip("-") or "staff"
        headcount = int(str(role.get("headcount", 0)))
        roster += [RosterMember(staff_id=f"{slug}-{number}", role=name) for number in range(1, headcount + 1)]
    return roster


def check_roster(roster: list[RosterMember], clinic: AuditClinic) -> list[RosterMember]:
    """The roster with roles spelled as in the clinic profile; Refused naming an unknown role."""
    roles = service.clinic_roles(clinic)
    checked = []
    for number, member in enumerate(roster, start=1):
        role = roles.get(" ".join(member.role.lower().split()))
        if role is None:
            known = ", ".join(sorted(roles.values())) or "(the clinic profile lists no roles)"
            raise Refused(
                f"roster[{number}].role: '{member.role}' is not a role of this clinic; use one of: {known}"
            )
        checked.append(member.model_copy(update={"role": role}))
    if len(checked) > MAX_ROSTER:
        raise Refused(
            f"roster: the clinic's head-counts make {len(checked)} staff, more than one link lists "
            f"({MAX_ROSTER}); give the roster of the staff in this audit"
        )
    if not checked:
        raise Refused(
            "roster: nobody to log; give the staff pseudonyms, or add roles with head-counts to the clinic"
        )
    return checked


async def create_link(
    *, session: AsyncSession, audit: AuditWindow, clinic: AuditClinic, roster: list[RosterMember] | None
) -> TaskLogLink:
    """A link for the audit's window (usable until a day after it closes)."""
    service.ensure_closable(audit)  # a closed audit takes no entries, so no link either
    members = check_roster(roster if roster is not None else default_roster(clinic), clinic)
    link = TaskLogLink(
        audit_id=audit.id,
        officer_id=audit.officer_id,
        roster=[member.model_dump() for member in members],
        expires_at=audit.closes_at + GRACE,
    )
    session.add(link)
    await session.commit()
    await session.refresh(link)
    return link


def link_public(link: TaskLogLink, *, url: str | None = None, token: str | None = None) -> TaskLogLinkPublic:
    return TaskLogLinkPublic(
        id=link.id,
        audit_id=link.audit_id,
        roster=[RosterMember.model_validate(member) for member in link.roster],
        created_at=link.created_at,
        expires_at=link.expires_at,
        revoked_at=link.revoked_at,
        url=url,
        token=token,
    )


async def links_of(*, session: AsyncSession, audit: AuditWindow) -> list[TaskLogLink]:
    statement = (
        select(TaskLogLink).where(col(TaskLogLink.audit_id) == audit.id).order_by(col(TaskLogLink.created_at))
    )
    return list((await session.exec(statement)).all())


async def get_link(*, session: AsyncSession, link_id: UUID, officer_id: str) -> TaskLogLink:
    link = await session.get(TaskLogLink, (officer_id, link_id))
    if link is None:
        raise NotFound(
            f"task-log link {link_id} not found among yours; `faio audit links <audit id>` lists them"
        )
    return link


async def revoke_link(*, session: AsyncSession, link: TaskLogLink) -> TaskLogLink:
    """Refuse the link from now on; entries logged through it stay."""
    if link.revoked_at is None:
        link.revoked_at = clock.now()
        session.add(link)
        await session.commit()
        await session.refresh(link)
    return link


async def live_link(
    *, session: AsyncSession, claims: LinkClaims
) -> tuple[TaskLogLink, AuditWindow, AuditClinic]:
    """The link a verified token names, its audit and clinic; LinkRefused when revoked or gone."""
    try:
        link_id, audit_id = UUID(claims.link_id), UUID(claims.subject_id)
    except ValueError as error:
        raise LinkRefused(RefusalReason.FORGED) from error
    # The token names the link and its audit, not the officer (the tenant): found by both ids.
    found = await session.exec(
        select(TaskLogLink).where(col(TaskLogLink.id) == link_id, col(TaskLogLink.audit_id) == audit_id)
    )
    link = found.first()
    if link is None:
        raise LinkRefused(RefusalReason.FORGED)
    if link.revoked_at is not None:
        raise LinkRefused(RefusalReason.REVOKED)
    audit = await service.window_by_id(session=session, audit_id=link.audit_id, officer_id=link.officer_id)
    clinic = await session.get(AuditClinic, audit.clinic_id) if audit else None
    if audit is None or clinic is None:
        raise LinkRefused(RefusalReason.FORGED)
    return link, audit, clinic


async def log_task(
    *, session: AsyncSession, link: TaskLogLink, audit: AuditWindow, clinic: AuditClinic, task: TaskLogSubmit
) -> TaskLogged:
    """Store one task a staff member logged through the link (the audit's own checks apply)."""
    roster = {member["staff_id"].lower(): member for member in link.roster}
    member = roster.get(task.staff_id.lower())
    if member is None:
        raise Refused("staff_id: pick your pseudonym from the list; ask the officer if yours is missing")
    day = task.day or clinic.calendar().today()
    entry = EntryCreate(
        staff_id=member["staff_id"],
        role=member["role"],
        day=day,
        category=task.category,
        description=CATEGORY_LABELS[task.category],
        minutes=task.minutes,
        occurrences=task.occurrences,
        predictability=task.predictability,
        tools=list(task.tools),
    )
    errors = await service.add_entries(
        session=session, audit=audit, clinic=clinic, entries=[entry], source=SOURCE
    )
    if errors:
        raise Refused("; ".join(f"{error.column}: {error.reason}" for error in errors))
    await session.commit()
    count = (
        await session.exec(
            select(func.count())
            .select_from(AuditEntry)
            .where(
                col(AuditEntry.audit_id) == audit.id,
                col(AuditEntry.staff_id) == member["staff_id"],
                col(AuditEntry.day) == day,
            )
        )
    ).one()
    return TaskLogged(
        staff_id=member["staff_id"], day=day, category=task.category, tasks_logged_that_day=int(count)
    )


async def logging_status(
    *, session: AsyncSession, audit: AuditWindow, clinic: AuditClinic, today: date
) -> LoggingStatus:
    """Per day from the window's start to today (or its end): who on the roster has not logged yet.

    The roster is everyone the audit's live links list (or, with no link yet, the clinic's
    default roster); entries from any source (link, API, CSV) count as logged.
    """
    members: dict[str, RosterMember] = {}
    for link in await links_of(session=session, audit=audit):
        if link.revoked_at is None:
            for member in link.roster:
                members.setdefault(member["staff_id"], RosterMember.model_validate(member))
    roster = list(members.values()) or default_roster(clinic)
    last = min(today, audit.ends_on)
    logged_rows = (
        await session.exec(
            select(col(AuditEntry.day), col(AuditEntry.staff_id))
            .where(col(AuditEntry.audit_id) == audit.id)
            .distinct()
        )
    ).all()
    logged_by_day: dict[date, set[str]] = {}
    for day, staff_id in logged_rows:
        logged_by_day.setdefault(day, set()).add(staff_id.lower())
    days = []
    day = audit.starts_on
    while day <= last:
        logged = logged_by_day.get(day, set())
        days.append(
            LoggingDay(
                day=day,
                logged=[m.staff_id for m in roster if m.staff_id.lower() in logged],
                not_logged=[m.staff_id for m in roster if m.staff_id.lower() not in logged],
            )
        )
        day += timedelta(days=1)
    return LoggingStatus(audit_id=audit.id, roster=roster, days=days)
