"""Today: everything across the officer's clinics that needs them, each item actionable."""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.officer.models import PortalDismissal
from services.portal.pages import rules
from services.portal.pages.buy_in import BuyInSummary, buy_in_of_plans
from services.portal.pages.portfolio import Filters, portfolio
from services.portal.read_model.models import (
    PortalAlert,
    PortalAudit,
    PortalClinic,
    PortalInitiative,
    PortalKpiWeek,
    PortalNotice,
    PortalPlan,
)
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


async def today(*, session: AsyncSession, officer_id: str, now: datetime) -> Today:
    clinics = {
        clinic.id: clinic
        for clinic in (
            await session.exec(
                select(PortalClinic).where(
                    PortalClinic.officer_id == officer_id, col(PortalClinic.archived).is_(False)
                )
            )
        ).all()
    }
    ids = list(clinics)
    at_gate = (
        await session.exec(
            select(PortalPlan).where(col(PortalPlan.clinic_id).in_(ids), PortalPlan.phase == "evaluation")
        )
    ).all()
    gates = [await _gate_item(session, plan, clinics[plan.clinic_id], now) for plan in at_gate]
    gates.sort(key=lambda item: (not item.overdue, item.due_at or now))

    escalations = [
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
        for notice in (
            await session.exec(
                select(PortalNotice)
                .where(
                    col(PortalNotice.clinic_id).in_(ids),
                    PortalNotice.kind == "adoption_escalation",
                    col(PortalNotice.raised_at) >= now - rules.OPEN_FOR,
                )
                .order_by(col(PortalNotice.raised_at).desc())
            )
        ).all()
    ]
    rows, _ = await portfolio(session=session, officer_id=officer_id, filters=Filters(), now=now)
    # A decline can book a refresher on the plan still running at that clinic.
    plans = {
        row.id: row.plan_id
        for row in rows
        if row.plan_id and row.stage.removeprefix("plan:") not in FINAL_PHASES
    }
    declines = [
        TodayItem(
            alert.clinic_id,
            clinics[alert.clinic_id].name,
            f"Adoption decline ({_measure(alert)}, {alert.week})",
            alert.message,
            aware(alert.raised_at),
            plans.get(alert.clinic_id),
            key=f"alert:{alert.id}",
            zone=clinics[alert.clinic_id].time_zone,
        )
        for alert in (
            await session.exec(
                select(PortalAlert)
                .where(
                    col(PortalAlert.clinic_id).in_(ids),
                    PortalAlert.kind == "adoption_decline",
                    col(PortalAlert.raised_at) >= now - rules.OPEN_FOR,
                )
                .order_by(col(PortalAlert.raised_at).desc())
            )
        ).all()
    ]
    low_coverage = [
        TodayItem(
            audit.clinic_id,
            clinics[audit.clinic_id].name,
            "Audit with low coverage",
            _coverage_text(audit),
            aware(audit.completed_at),
            key=f"audit:{audit.audit_id}",
            zone=clinics[audit.clinic_id].time_zone,
        )
        for audit in (
            await session.exec(select(PortalAudit).where(col(PortalAudit.clinic_id).in_(ids)))
        ).all()
        if rules.low_coverage(
            low_confidence=audit.low_confidence,
            staff_logged=audit.staff_logged,
            staff_expected=audit.staff_expected,
        )
    ]
    quiet = [
        TodayItem(
            row.id,
            row.name,
            "Partner feed quiet",
            f"{row.feed.label.capitalize()}: check the partner's integration (its key, its webhook "
            "deliveries) before reading the clinic's KPIs or adoption as a change",
            plan_id=row.plan_id,
            key=f"feed:{row.id}:{row.feed.last_event_day}",
            zone=row.zone,
        )
        for row in rows
        if row.feed.colour == "red"
    ]
    dismissed = set(
        (
            await session.exec(
                select(PortalDismissal.item_key).where(PortalDismissal.officer_id == officer_id)
            )
        ).all()
    )
    return Today(
        gates,
        *(
            [item for item in items if item.key not in dismissed]
            for items in (escalations, declines, low_coverage, quiet)
        ),
    )


def _measure(alert: PortalAlert) -> str:
    """What an alert measured: the chart's metric (the AI-assisted share), else the plan's KPI."""
    return str(alert.evidence.get("metric") or alert.kpi).replace("_", " ")


def _coverage_text(audit: PortalAudit) -> str:
    parts = []
    if audit.staff_expected:
        parts.append(f"{audit.staff_logged or 0} of {audit.staff_expected} staff logged")
    if audit.missing_staff:
        parts.append("missing: " + ", ".join(audit.missing_staff))
    if audit.low_confidence:
        parts.append("findings marked low confidence")
    return "; ".join(parts) + " — re-open the audit or read its findings with care"


async def _gate_item(
    session: AsyncSession, plan: PortalPlan, clinic: PortalClinic, now: datetime
) -> GateItem:
    initiative = await session.get(PortalInitiative, plan.initiative_id)
    notices = (
        await session.exec(
            select(PortalNotice)
            .where(
                PortalNotice.plan_id == plan.id,
                col(PortalNotice.kind).in_(("decision_needed", "decision_overdue")),
            )
            .order_by(col(PortalNotice.raised_at).desc())
        )
    ).all()
    current = [notice for notice in notices if aware(notice.raised_at) >= aware(plan.phase_since)]
    due = max((aware(notice.due_at) for notice in current if notice.due_at), default=None)
    overdue = any(notice.kind == "decision_overdue" for notice in current) or (due is not None and due < now)
    kpi = initiative.kpi if initiative else ""
    evidence = []
    if kpi:
        weeks = (
            await session.exec(
                select(PortalKpiWeek)
                .where(PortalKpiWeek.clinic_id == plan.clinic_id, PortalKpiWeek.kpi == kpi)
                .order_by(col(PortalKpiWeek.week).desc())
                .limit(6)
            )
        ).all()
        evidence = [
            {
                "week": week.week,
                "period": _period(week.week, initiative.baseline_end if initiative else None),
                "value": week.value,
                "baseline": week.baseline,
                "target": week.target,
                "progress": week.progress,
                "sample": week.sample_size,
            }
            for week in reversed(weeks)
        ]
    return GateItem(
        clinic_id=clinic.id,
        clinic_name=clinic.name,
        plan_id=plan.id,
        problem=initiative.problem if initiative else "",
        kpi=kpi,
        due_at=due,
        overdue=overdue,
        message=current[0].message if current else "the pilot ended; the plan waits for your decision",
        zone=clinic.time_zone,
        evidence=evidence,
        buy_in=(await buy_in_of_plans(session, [plan.id])).get(plan.id),
    )


def _period(week: str, baseline_end: date | None) -> str:
    """Whether an ISO week (2026-W47) was measured for the baseline or after it."""
    return "baseline" if rules.is_baseline_week(week, baseline_end) else "after baseline"
