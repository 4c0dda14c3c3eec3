"""The Monday digest: what needs the officer (Today's list, pages/needs.py), what changed across their
clinics in the last seven days, and what falls due in the next seven days (the calendar). The same content is
the preview page (/digest) and the mail (officer/digest_mail.py), so the preview is what is sent.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.pages import reads, week
from services.portal.pages.formats import plural
from services.portal.pages.today import Today, today
from services.portal.read_model.models import PortalAlert, PortalAudit, PortalPlanTransition
from services.portal.read_model.times import aware, local_time
from shared.names import strip_control_characters

SINCE = timedelta(days=7)


@dataclass(frozen=True)
class Line:
    clinic_name: str
    text: str
    when: str = ""  # on the officer's clock, zone named


@dataclass
class Digest:
    officer_name: str
    zone: str
    now: datetime
    needs: list[Line]
    changed: list[Line]
    due: list[Line]

    @property
    def subject(self) -> str:
        needing = plural(len(self.needs), "item") + (" needs" if len(self.needs) == 1 else " need")
        return f"[faio] Your week: {needing} you, {len(self.due)} due in the next 7 days"


async def digest(
    session: AsyncSession, *, officer_id: str, officer_name: str, zone: str, now: datetime
) -> Digest:
    found = await today(session=session, officer_id=officer_id, now=now)
    shown = await week.calendar(session, officer_id, zone=zone, now=now)
    # The next seven days from today: on a Monday, the week ahead; on a preview, the days to come.
    ahead = shown.today + timedelta(days=7)
    due = [
        Line(entry.clinic_name, f"{entry.label}: {entry.text}", _when(entry, zone))
        for entry in shown.entries
        if shown.today <= entry.day < ahead
    ]
    return Digest(
        officer_name=officer_name,
        zone=zone,
        now=now,
        needs=need_lines(found, zone),
        changed=await changed_lines(session, officer_id, zone=zone, now=now),
        due=due,
    )


def _when(entry: week.Entry, zone: str) -> str:
    if entry.at is not None:
        return local_time(entry.at, zone, "%a %b %d %H:%M %Z")
    return entry.day.strftime("%a %b %d")


def need_lines(found: Today, zone: str) -> list[Line]:
    """Today's items in Today's order: gates first, then each section."""
    lines = [
        Line(
            gate.clinic_name,
            "Gate decision overdue" if gate.overdue else "Gate decision due",
            local_time(gate.due_at, zone, "%a %b %d %H:%M %Z"),
        )
        for gate in found.gates
    ]
    for items in (
        found.escalations,
        found.adoption_declines,
        found.regressions,
        found.low_coverage_audits,
        found.quiet_feeds,
    ):
        lines.extend(Line(item.clinic_name, f"{item.title}: {item.reason}") for item in items)
    return lines


async def changed_lines(session: AsyncSession, officer_id: str, *, zone: str, now: datetime) -> list[Line]:
    """Phase changes, audits completed and kpi's alerts of the last seven days, newest first."""
    since = now - SINCE
    clinics = {clinic.id: clinic.name for clinic in await reads.officer_clinics(session, officer_id)}
    ids = list(clinics)
    moves = await reads.column_rows(
        session,
        sa_select(
            col(PortalPlanTransition.clinic_id),
            col(PortalPlanTransition.phase),
            col(PortalPlanTransition.changed_at),
        ).where(col(PortalPlanTransition.clinic_id).in_(ids), col(PortalPlanTransition.changed_at) >= since),
    )
    audits = await reads.column_rows(
        session,
        sa_select(
            col(PortalAudit.clinic_id), col(PortalAudit.completed_at), col(PortalAudit.total_hours_per_week)
        ).where(col(PortalAudit.clinic_id).in_(ids), col(PortalAudit.completed_at) >= since),
    )
    alerts = await reads.column_rows(
        session,
        sa_select(col(PortalAlert.clinic_id), col(PortalAlert.kind), col(PortalAlert.raised_at)).where(
            col(PortalAlert.clinic_id).in_(ids), col(PortalAlert.raised_at) >= since
        ),
    )
    found: list[tuple[datetime, Line]] = []
    newest_move: dict[object, tuple[datetime, str]] = {}  # a clinic's latest phase change only
    for clinic_id, phase, at in moves:
        if clinic_id not in newest_move or aware(at) > newest_move[clinic_id][0]:
            newest_move[clinic_id] = (aware(at), phase)
    for clinic_id, (at, phase) in newest_move.items():
        found.append((at, _line(clinics[clinic_id], f"plan moved to {phase}", at, zone)))
    for clinic_id, at, hours in audits:
        text = f"task audit completed: {hours:.1f} hours a week of candidate work"
        found.append((aware(at), _line(clinics[clinic_id], text, at, zone)))
    kinds: dict[tuple[object, str], tuple[datetime, int]] = {}  # alerts of a kind, counted per clinic
    for clinic_id, kind, at in alerts:
        first, count = kinds.get((clinic_id, kind), (aware(at), 0))
        kinds[(clinic_id, kind)] = (max(first, aware(at)), count + 1)
    for (clinic_id, kind), (at, count) in kinds.items():
        text = f"alert: {kind.replace('_', ' ')}" + (f" ({count} times)" if count > 1 else "")
        found.append((at, _line(clinics[clinic_id], text, at, zone)))
    return [line for _, line in sorted(found, key=lambda pair: pair[0], reverse=True)]


def _line(clinic_name: str, text: str, at: datetime, zone: str) -> Line:
    return Line(clinic_name, text, local_time(at, zone, "%a %b %d"))


def digest_text(shown: Digest, *, public_url: str) -> str:
    """The mail's plain text; the links go to Today, the calendar and the setting that stops it."""

    def block(title: str, lines: list[Line], empty: str) -> str:
        if not lines:
            return f"{title}\n  {empty}\n"
        rows = [
            f"  - {strip_control_characters(line.clinic_name)}: {line.text}"
            + (f" ({line.when})" if line.when else "")
            for line in lines
        ]
        return f"{title}\n" + "\n".join(rows) + "\n"

    stamp = aware(shown.now).astimezone(ZoneInfo(shown.zone)).strftime("%A %b %d %Y, %H:%M %Z")
    greeting = f"Good morning, {shown.officer_name}." if shown.officer_name else "Good morning."
    return (
        f"{greeting} Your week, as of {stamp}.\n\n"
        + block(f"What needs you ({len(shown.needs)})", shown.needs, "Nothing needs you.")
        + f"  Act on it from Today: {public_url}/today\n\n"
        + block("What changed in the last seven days", shown.changed, "Nothing changed.")
        + "\n"
        + block("What is due in the next seven days", shown.due, "Nothing falls due in the next seven days.")
        + f"  The calendar: {public_url}/calendar\n\n"
        + f"You get this digest every Monday. To stop it: {public_url}/settings#digest\n"
    )
