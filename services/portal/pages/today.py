"""Today: everything across the officer's clinics that needs them, each item actionable.

Read for Today alone: one query per kind of item over all the clinics at once (pages/reads.py
shares them with the portfolio), none per plan, and nothing of the portfolio's rows computed.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.officer.models import PortalDismissal
from services.portal.pages import reads, rules
from services.portal.pages.activity import Activity, feed_of, load_activity
from services.portal.pages.buy_in import BuyInSummary, buy_in_of_plans
from services.portal.pages.reads import Point
from services.portal.read_model.models import PortalAlert, PortalInitiative
from services.portal.read_model.times import aware
from shared.calendar import DEFAULT_TIME_ZONE
from shared.events.roadmap import FINAL_PHASES


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


@dataclass
class Today:
    gates: list[GateItem]
    escalations: list[TodayItem]
    adoption_declines: list[TodayItem]
    low_coverage_audits: list[TodayItem]
    quiet_feeds: list[TodayItem]

    @property
    def count(self) -> int:
        return sum(
            len(items)
            for items in (
                self.gates,
                self.escalations,
                self.adoption_declines,
                self.low_coverage_audits,
                self.quiet_feeds,
            )
        )


# The KPI weeks shown as the evidence at a gate: the newest of the series the read model keeps per
# clinic KPI (read_model/projection.SERIES_WEEKS, 12), read in one query for every gate.
EVIDENCE_WEEKS = 6
# A gate without a notice of its own yet (the event is on its way).
WAITING = "the pilot ended; the plan waits for your decision"


async def today(*, session: AsyncSession, officer_id: str, now: datetime) -> Today:
    """The gates waiting for a decision, escalations, adoption declines, audits with low coverage and
    quiet partner feeds; less what the officer took off Today."""
    clinics = {clinic.id: clinic for clinic in await reads.officer_clinics(session, officer_id)}
    plans = await reads.plans(session, list(clinics))
    current = reads.current_plans(plans)
    gates = await _gate_items(
        session, [plan for plan in plans if plan.phase == "evaluation"], clinics, now=now
    )
    items = (
        await _escalations(session, clinics, now=now),
        await _adoption_declines(session, clinics, current, now=now),
        await _low_coverage_audits(session, clinics),
        _quiet_feeds(clinics, await load_activity(session, list(clinics)), current, now=now),
    )
    dismissed = set(
        (
            await session.exec(
                select(PortalDismissal.item_key).where(PortalDismissal.officer_id == officer_id)
            )
        ).all()
    )
    return Today(gates, *([item for item in kind if item.key not in dismissed] for kind in items))


async def _gate_items(
    session: AsyncSession, at_gate: list[Any], clinics: dict[UUID, Any], *, now: datetime
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
    notices = await reads.gate_notices(session, at_gate)
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
        message=gate_notices[0].message
        if gate_notices
        else "the pilot ended; the plan waits for your decision",
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


async def _escalations(session: AsyncSession, clinics: dict[UUID, Any], *, now: datetime) -> list[TodayItem]:
    """Adoption escalations the plans raised, still open."""
    return [
        TodayItem(
            notice.clinic_id,
            clinics[notice.clinic_id].name,
            "Adoption escalation",
            notice.message,
            aware(notice.raised_at),
            notice.plan_id,
            key=f"notice:{notice.key}",
            zone=clinics[notice.clinic_id].time_zone,
        )
        for notice in await reads.open_escalations(session, list(clinics), now=now)
    ]


async def _adoption_declines(
    session: AsyncSession, clinics: dict[UUID, Any], current: dict[UUID, Any], *, now: datetime
) -> list[TodayItem]:
    """kpi's adoption-decline alerts, still open; each can book a refresher on the plan still running
    at that clinic."""
    running = {clinic_id: plan.id for clinic_id, plan in current.items() if plan.phase not in FINAL_PHASES}
    alerts = (
        await session.exec(
            select(PortalAlert)
            .where(
                col(PortalAlert.clinic_id).in_(list(clinics)),
                PortalAlert.kind == "adoption_decline",
                col(PortalAlert.raised_at) >= now - rules.OPEN_FOR,
            )
            .order_by(col(PortalAlert.raised_at).desc())
        )
    ).all()
    return [
        TodayItem(
            alert.clinic_id,
            clinics[alert.clinic_id].name,
            f"Adoption decline ({_measure(alert)}, {alert.week})",
            alert.message,
            aware(alert.raised_at),
            running.get(alert.clinic_id),
            key=f"alert:{alert.id}",
            zone=clinics[alert.clinic_id].time_zone,
        )
        for alert in alerts
    ]


async def _low_coverage_audits(session: AsyncSession, clinics: dict[UUID, Any]) -> list[TodayItem]:
    """Latest audits whose findings rest on too few staff, or that audit marked low confidence."""
    return [
        TodayItem(
            audit.clinic_id,
            clinics[audit.clinic_id].name,
            "Audit with low coverage",
            _coverage_text(audit),
            aware(audit.completed_at),
            key=f"audit:{audit.audit_id}",
            zone=clinics[audit.clinic_id].time_zone,
        )
        for audit in await reads.latest_audits(session, list(clinics))
        if reads.low_coverage(audit)
    ]


def _quiet_feeds(
    clinics: dict[UUID, Any], activities: dict[str, Activity], current: dict[UUID, Any], *, now: datetime
) -> list[TodayItem]:
    """Clinics whose partner feed went quiet (red), the longest quiet first."""
    quiet = []
    for clinic in clinics.values():
        feed = feed_of(activities.get(clinic.id.hex), zone=ZoneInfo(clinic.time_zone), now=now)
        if feed.colour != "red":
            continue
        plan = current.get(clinic.id)
        item = TodayItem(
            clinic.id,
            clinic.name,
            "Partner feed quiet",
            f"{feed.label.capitalize()}: check the partner's integration (its key, its webhook "
            "deliveries) before reading the clinic's KPIs or adoption as a change",
            plan_id=plan.id if plan is not None else None,
            key=f"feed:{clinic.id}:{feed.last_event_day}",
            zone=clinic.time_zone,
        )
        quiet.append((-(feed.days_quiet or 0), clinic.name.lower(), item))
    return [item for *_order, item in sorted(quiet, key=lambda entry: entry[:2])]


def _measure(alert: PortalAlert) -> str:
    """What an alert measured: the chart's metric (the AI-assisted share), else the plan's KPI."""
    return str(alert.evidence.get("metric") or alert.kpi).replace("_", " ")


def _coverage_text(audit: Any) -> str:
    parts = []
    if audit.staff_expected:
        parts.append(f"{audit.staff_logged or 0} of {audit.staff_expected} staff logged")
    if audit.missing_staff:
        parts.append("missing: " + ", ".join(audit.missing_staff))
    if audit.low_confidence:
        parts.append("findings marked low confidence")
    return "; ".join(parts) + " — re-open the audit or read its findings with care"


def _period(week: str, baseline_end: date | None) -> str:
    """Whether an ISO week (2026-W47) was measured for the baseline or after it."""
    return "baseline" if rules.is_baseline_week(week, baseline_end) else "after baseline"
