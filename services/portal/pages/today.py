"""Today: everything across the officer's clinics that needs them, each item actionable.

What is on Today is pages/needs.py's list, the one the portfolio counts and the clinic page names;
Today adds each gate's evidence (one query for every gate, none per plan).
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.pages import needs, reads, rules
from services.portal.pages.buy_in import BuyInSummary, buy_in_of_plans
from services.portal.pages.reads import Point
from services.portal.read_model.models import PortalInitiative
from shared.calendar import DEFAULT_TIME_ZONE


@dataclass
class GateItem:
    clinic_id: UUID
    clinic_name: str
    plan_id: str
    problem: str
    kpi: str
    due_at: datetime | None
    overdue: bool
    message: str
    zone: str  # the clinic's time zone: its due time is shown on the clinic's clock
    evidence: list[dict[str, Any]] = field(default_factory=list)
    buy_in: BuyInSummary | None = None  # shown next to the KPI evidence


@dataclass
class TodayItem:
    clinic_id: UUID
    clinic_name: str
    title: str
    detail: str
    when: datetime | None = None
    plan_id: str | None = None
    key: str = ""  # what the officer dismisses: the item's episode (the same thing again stays away)
    zone: str = DEFAULT_TIME_ZONE  # the clinic's: Today lists many clinics, each on its own clock
    reason: str = ""  # the words the portfolio and the clinic page show for the same need
    how: str = ""  # for an item set aside: dismissed or snoozed
    until: date | None = None  # a snooze's last day away


@dataclass
class Today:
    gates: list[GateItem]
    escalations: list[TodayItem]
    adoption_declines: list[TodayItem]
    regressions: list[TodayItem]
    low_coverage_audits: list[TodayItem]
    quiet_feeds: list[TodayItem]
    set_aside: list[TodayItem] = field(default_factory=list)  # dismissed or snoozed, to undo

    @property
    def count(self) -> int:
        return sum(
            len(items)
            for items in (
                self.gates,
                self.escalations,
                self.adoption_declines,
                self.regressions,
                self.low_coverage_audits,
                self.quiet_feeds,
            )
        )


# The KPI weeks shown as the evidence at a gate: the newest of the series the read model keeps per
# clinic KPI (read_model/projection.SERIES_WEEKS, 12), read in one query for every gate.
EVIDENCE_WEEKS = 6
WAITING = needs.WAITING
# Today's sections by the kind of need (pages/needs.py), gates apart (they carry their evidence).
SECTIONS = {
    "escalation": "escalations",
    "decline": "adoption_declines",
    "regression": "regressions",
    "coverage": "low_coverage_audits",
    "feed": "quiet_feeds",
}


async def today(*, session: AsyncSession, officer_id: str, now: datetime) -> Today:
    """What needs the officer (pages/needs.py, the list the portfolio counts), each kind in its
    section; gates with their evidence; what the officer set aside, to undo."""
    inputs = await needs.read_inputs(session, officer_id, now=now)
    found = needs.decide(inputs, now=now)
    clinics = inputs.clinics
    sections: dict[str, list[TodayItem]] = {name: [] for name in SECTIONS.values()}
    gate_plans = []
    for need in sorted(found.items, key=lambda item: _order(item, clinics)):
        if need.kind == "gate":
            gate_plans.append(inputs.plans[need.clinic_id])
        else:
            sections[SECTIONS[need.kind]].append(_item(need, clinics[need.clinic_id]))
    gates = await _gate_items(session, gate_plans, clinics, inputs.gate_notices, now=now)
    set_aside = [
        _item(entry.need, clinics[entry.need.clinic_id], how=entry.how, until=entry.until)
        for entry in found.set_aside
    ]
    return Today(gates, **sections, set_aside=set_aside)


def _order(need: needs.Need, clinics: dict[UUID, Any]) -> tuple[int, float, str]:
    """The most urgent first, then the newest, then by clinic name."""
    newest = -need.when.timestamp() if need.when is not None else 0.0
    return -need.score, newest, clinics[need.clinic_id].name.lower()


def _item(need: needs.Need, clinic: Any, *, how: str = "", until: date | None = None) -> TodayItem:
    return TodayItem(
        need.clinic_id,
        clinic.name,
        need.title,
        need.detail,
        need.when,
        need.plan_id,
        key=need.key,
        zone=clinic.time_zone,
        reason=need.reason,
        how=how,
        until=until,
    )


async def _gate_items(
    session: AsyncSession,
    at_gate: list[Any],
    clinics: dict[UUID, Any],
    notices: dict[str, list[Any]],
    *,
    now: datetime,
) -> list[GateItem]:
    """The plans waiting at the gate with their evidence, overdue first, then by due date."""
    if not at_gate:
        return []
    initiatives = {
        initiative.id: initiative
        for initiative in await reads.column_rows(
            session,
            sa_select(
                col(PortalInitiative.id),
                col(PortalInitiative.problem),
                col(PortalInitiative.kpi),
                col(PortalInitiative.baseline_end),
            ).where(col(PortalInitiative.id).in_([plan.initiative_id for plan in at_gate])),
        )
    }
    kpis = {initiative.kpi for initiative in initiatives.values() if initiative.kpi}
    weeks = await reads.recent_weeks(session, [plan.clinic_id for plan in at_gate], kpis)
    buy_in = await buy_in_of_plans(session, [plan.id for plan in at_gate])
    items = [
        _gate_item(
            plan,
            clinic=clinics[plan.clinic_id],
            initiative=initiatives.get(plan.initiative_id),
            gate_notices=notices[plan.id],
            weeks=weeks.get(plan.clinic_id.hex, {}),
            buy_in=buy_in.get(plan.id),
            now=now,
        )
        for plan in at_gate
    ]
    items.sort(key=lambda item: (not item.overdue, item.due_at or now))
    return items


def _gate_item(
    plan: Any,
    *,
    clinic: Any,
    initiative: Any,
    gate_notices: list[Any],
    weeks: dict[str, list[Point]],
    buy_in: BuyInSummary | None,
    now: datetime,
) -> GateItem:
    """One gate: the plan's problem, when the decision is due, what the plan said, the KPI's last weeks."""
    gate = rules.gate_of(plan.phase, gate_notices, now=now)
    kpi = initiative.kpi if initiative else ""
    baseline_end = initiative.baseline_end if initiative else None
    return GateItem(
        clinic_id=clinic.id,
        clinic_name=clinic.name,
        plan_id=plan.id,
        problem=initiative.problem if initiative else "",
        kpi=kpi,
        due_at=gate.due_at,
        overdue=gate.colour == "red",
        message=gate_notices[0].message if gate_notices else WAITING,
        zone=clinic.time_zone,
        evidence=[
            {
                "week": week,
                "period": _period(week, baseline_end),
                "value": value,
                "baseline": baseline,
                "target": target,
                "progress": progress,
                "sample": sample,
            }
            for week, value, sample, baseline, target, progress in weeks.get(kpi, [])[-EVIDENCE_WEEKS:]
        ]
        if kpi
        else [],
        buy_in=buy_in,
    )


def _period(week: str, baseline_end: date | None) -> str:
    """Whether an ISO week (2026-W47) was measured for the baseline or after it."""
    return "baseline" if rules.is_baseline_week(week, baseline_end) else "after baseline"
