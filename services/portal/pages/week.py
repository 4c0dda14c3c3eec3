"""The week at a glance: what falls due across the officer's clinics this week and next, by day on
the officer's own clock (each clinic keeps its zone; a time is shown on the officer's, zone named).

Read from the read model only: gates (a pilot's end, a decision's due time), audits ending, survey
rounds a phase should have and has not opened, and the plan's weekly check-ins (roadmap holds one
every seven days of a phase, from the day it began).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.pages import needs, rules
from services.portal.pages.buy_in import STAGE_NAMES, buy_in_of_plans
from services.portal.read_model.models import PortalOpenAudit
from services.portal.read_model.times import aware
from shared.events.buy_in import survey_stage_of
from shared.events.roadmap import IN_FLIGHT_PHASES

CHECKIN_EVERY = timedelta(days=7)
WEEKS_SHOWN = 2
# What each kind of entry is called on the calendar and in the digest.
KINDS = {"gate": "Gate", "audit": "Audit ends", "survey": "Survey round", "checkin": "Check-in"}


@dataclass(frozen=True)
class Entry:
    day: date  # on the officer's calendar
    kind: str  # a key of KINDS
    clinic_id: UUID
    clinic_name: str
    text: str
    at: datetime | None = None  # a moment (shown on the officer's clock); None for a whole day

    @property
    def label(self) -> str:
        return KINDS[self.kind]


@dataclass
class Day:
    day: date
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Week:
    monday: date
    days: list[Day]

    @property
    def count(self) -> int:
        return sum(len(day.entries) for day in self.days)


@dataclass
class Calendar:
    zone: str
    today: date
    weeks: list[Week]

    @property
    def entries(self) -> list[Entry]:
        return [entry for week in self.weeks for day in week.days for entry in day.entries]


async def calendar(session: AsyncSession, officer_id: str, *, zone: str, now: datetime) -> Calendar:
    """This week and next (Monday to Sunday on the officer's clock), each day's entries by time."""
    officer_zone = ZoneInfo(zone)
    today = aware(now).astimezone(officer_zone).date()
    monday = today - timedelta(days=today.weekday())
    last = monday + timedelta(days=7 * WEEKS_SHOWN - 1)
    inputs = await needs.read_inputs(session, officer_id, now=now)
    found = [*await _plan_entries(session, inputs, officer_zone), *await _audit_entries(session, inputs)]
    by_day: dict[date, list[Entry]] = {}
    for entry in found:
        if monday <= entry.day <= last:
            by_day.setdefault(entry.day, []).append(entry)
    weeks = []
    for number in range(WEEKS_SHOWN):
        start = monday + timedelta(days=7 * number)
        days = [Day(start + timedelta(days=offset)) for offset in range(7)]
        for day in days:
            day.entries = sorted(
                by_day.get(day.day, []),
                key=lambda entry: (entry.at is not None, entry.at or now, entry.clinic_name.lower()),
            )
        weeks.append(Week(start, days))
    return Calendar(zone, today, weeks)


def _on(moment: datetime, zone: ZoneInfo) -> date:
    return aware(moment).astimezone(zone).date()


async def _plan_entries(session: AsyncSession, inputs: needs.Inputs, zone: ZoneInfo) -> list[Entry]:
    entries: list[Entry] = []
    in_flight = [plan for plan in inputs.plans.values() if plan.phase in IN_FLIGHT_PHASES]
    buy_in = await buy_in_of_plans(session, [plan.id for plan in in_flight])
    for plan in in_flight:
        clinic = inputs.clinics.get(plan.clinic_id)
        if clinic is None:
            continue
        since = aware(plan.phase_since)
        ends = since + timedelta(days=plan.phase_planned_days) if plan.phase_planned_days else None
        due = rules.decision_due(inputs.gate_notices.get(plan.id, []))
        phase = plan.phase
        if phase == "pilot" and ends is not None:
            entries.append(Entry(_on(ends, zone), "gate", clinic.id, clinic.name, "pilot ends: gate", ends))
        if phase == "evaluation" and due is not None:
            entries.append(Entry(_on(due, zone), "gate", clinic.id, clinic.name, "gate decision due", due))
        stage = survey_stage_of(phase)
        summary = buy_in.get(plan.id)
        opened = {line.stage for line in summary.surveys} if summary else set()
        if stage and stage not in opened and ends is not None:
            text = f"open the survey round {STAGE_NAMES[stage]} before {phase} ends"
            entries.append(Entry(_on(ends, zone), "survey", clinic.id, clinic.name, text, ends))
        if ends is not None:
            checkin = since + CHECKIN_EVERY
            number = 1
            while checkin < ends and number <= 60:
                text = f"weekly check-in {number} ({phase})"
                entries.append(Entry(_on(checkin, zone), "checkin", clinic.id, clinic.name, text, checkin))
                checkin += CHECKIN_EVERY
                number += 1
    return entries


async def _audit_entries(session: AsyncSession, inputs: needs.Inputs) -> list[Entry]:
    """Open audits by their last day (a day on the clinic's calendar, kept as that day)."""
    rows = (
        await session.exec(
            sa_select(col(PortalOpenAudit.clinic_id), col(PortalOpenAudit.ends_on)).where(  # type: ignore[call-overload]
                col(PortalOpenAudit.clinic_id).in_(list(inputs.clinics))
            )
        )
    ).all()
    entries = []
    for clinic_id, ends_on in rows:
        clinic = inputs.clinics[clinic_id]
        text = "the task audit's last day: remind staff who have not logged"
        entries.append(Entry(ends_on, "audit", clinic.id, clinic.name, text))
    return entries
