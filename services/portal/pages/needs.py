"""What needs the officer, clinic by clinic: the one list the portfolio's count and colours, Today and
the clinic page all read, so no two pages disagree.

`read_inputs` reads once over all the officer's clinics (a handful of column queries, none per
clinic); `decide` is pure: each clinic's needs with a reason in words, less what the officer
decided, dismissed or snoozed (those come back in `Needs.set_aside`, to undo).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.officer.models import PortalDismissal
from services.portal.pages import reads, rules
from services.portal.pages.activity import Activity, feed_of, load_activity
from services.portal.read_model.models import PortalAlert
from services.portal.read_model.times import aware
from shared.events.roadmap import FINAL_PHASES
from shared.small_groups import NOT_SHOWN_PER_PERSON

# What each kind of need is called on Today, most urgent first (the order of Today's sections).
TITLES = {
    "gate": "Gate decision",
    "escalation": "Adoption escalation",
    "decline": "Adoption decline",
    "regression": "KPI moving away from its target",
    "feed": "Partner feed quiet",
    "coverage": "Audit with low coverage",
}
# How a dismissal row settles a need: the officer took it off, snoozed it to a date, or decided it
# (a gate: gone at once, before roadmap's event reaches the read model).
DISMISSED, SNOOZED, DECIDED = "dismissed", "snoozed", "decided"


@dataclass(frozen=True)
class Need:
    clinic_id: UUID
    kind: str  # a key of TITLES
    reason: str  # the short words every page shows: "gate decision overdue", "adoption falling"
    detail: str
    key: str  # the episode: dismissing it keeps this one away; the same thing again is a new key
    score: int  # how urgent (the portfolio's order)
    when: datetime | None = None
    plan_id: str | None = None

    @property
    def title(self) -> str:
        return TITLES[self.kind]


@dataclass(frozen=True)
class SetAside:
    """A need the officer dismissed or snoozed, still true: listed on Today to undo."""

    need: Need
    how: str  # DISMISSED or SNOOZED
    until: date | None


@dataclass
class Inputs:
    """What the needs are decided from, read once for all the officer's clinics."""

    clinics: dict[UUID, Any]  # id, name, specialty, time_zone
    plans: dict[UUID, Any]  # each clinic's current plan
    gate_notices: dict[str, list[Any]]  # the current gate's notices per plan id
    escalations: list[Any]
    alerts: list[Any]  # open alerts (rules.OPEN_FOR), newest first
    activities: dict[str, Activity]  # by clinic id in 32 hex digits
    audits: dict[UUID, Any]  # each clinic's latest audit
    settled: dict[str, Any] = field(default_factory=dict)  # the officer's dismissals by item key


@dataclass
class Needs:
    by_clinic: dict[UUID, list[Need]]  # most urgent first
    set_aside: list[SetAside]
    feeds: dict[UUID, rules.FeedHealth] = field(default_factory=dict)  # each clinic's, as judged here

    @property
    def items(self) -> list[Need]:
        return [need for needs in self.by_clinic.values() for need in needs]

    def of(self, clinic_id: UUID) -> list[Need]:
        return self.by_clinic.get(clinic_id, [])


async def read_inputs(
    session: AsyncSession, officer_id: str, *, now: datetime, clinic_ids: list[UUID] | None = None
) -> Inputs:
    """The facts over the officer's clinics (or these of them): a handful of queries, none per clinic."""
    clinics = {clinic.id: clinic for clinic in await reads.officer_clinics(session, officer_id)}
    if clinic_ids is not None:
        clinics = {clinic_id: clinics[clinic_id] for clinic_id in clinic_ids if clinic_id in clinics}
    ids: Any = list(clinics) if clinic_ids is not None else reads.officer_clinic_ids(officer_id)
    plans = reads.current_plans(await reads.plans(session, ids))
    settled = await reads.column_rows(
        session,
        sa_select(col(PortalDismissal.item_key), col(PortalDismissal.how), col(PortalDismissal.until)).where(
            col(PortalDismissal.officer_id) == officer_id
        ),
    )
    return Inputs(
        clinics=clinics,
        plans=plans,
        gate_notices=await reads.gate_notices(session, list(plans.values()), ids),
        escalations=await reads.open_escalations(session, ids, now=now),
        alerts=await open_alerts(session, ids, now=now),
        activities=await load_activity(session, ids),
        audits={audit.clinic_id: audit for audit in await reads.latest_audits(session, ids)},
        settled={row.item_key: row for row in settled},
    )


async def open_alerts(session: AsyncSession, clinic_ids: Any, *, now: datetime) -> list[Any]:
    """kpi's alerts raised within rules.OPEN_FOR, newest first."""
    return await reads.column_rows(
        session,
        sa_select(
            col(PortalAlert.id),
            col(PortalAlert.clinic_id),
            col(PortalAlert.kind),
            col(PortalAlert.kpi),
            col(PortalAlert.week),
            col(PortalAlert.message),
            col(PortalAlert.evidence),
            col(PortalAlert.raised_at),
        )
        .where(col(PortalAlert.clinic_id).in_(clinic_ids), col(PortalAlert.raised_at) >= now - rules.OPEN_FOR)
        .order_by(col(PortalAlert.raised_at).desc()),
    )


async def needs(
    session: AsyncSession, officer_id: str, *, now: datetime, clinic_ids: list[UUID] | None = None
) -> Needs:
    """What needs the officer now, per clinic (the one list every page reads)."""
    return decide(await read_inputs(session, officer_id, now=now, clinic_ids=clinic_ids), now=now)


def gate_key(plan: Any) -> str:
    """A gate's episode: the plan at the gate since this moment (an extended pilot's next gate is new)."""
    return f"gate:{plan.id}:{aware(plan.phase_since).isoformat()}"


def adoption_judged(feed: rules.FeedHealth) -> bool:
    """Whether AI use can be read at all: not while every feed has been silent (an outage, not a trend)."""
    return feed.days_quiet is None or feed.days_quiet < rules.FEED_SILENT_DAYS


def decide(inputs: Inputs, *, now: datetime) -> Needs:
    """Each clinic's needs, most urgent first, less what the officer settled."""
    found: dict[UUID, list[Need]] = defaultdict(list)
    feeds: dict[UUID, rules.FeedHealth] = {}
    for need in _all_needs(inputs, now=now, feeds=feeds):
        found[need.clinic_id].append(need)
    by_clinic: dict[UUID, list[Need]] = {}
    set_aside: list[SetAside] = []
    today = now.date()
    for clinic_id, clinic_needs in found.items():
        kept = []
        for need in sorted(clinic_needs, key=lambda item: -item.score):
            row = inputs.settled.get(need.key)
            if row is None or (row.how == SNOOZED and row.until is not None and row.until <= today):
                kept.append(need)
            elif row.how != DECIDED:
                set_aside.append(SetAside(need, row.how, row.until))
        if kept:
            by_clinic[clinic_id] = kept
    return Needs(by_clinic, set_aside, feeds)


def _all_needs(inputs: Inputs, *, now: datetime, feeds: dict[UUID, rules.FeedHealth]) -> list[Need]:
    found: list[Need] = []
    declines: dict[UUID, Any] = {}  # each clinic's newest decline alert (alerts come newest first)
    for alert in inputs.alerts:
        if alert.kind == "adoption_decline":
            declines.setdefault(alert.clinic_id, alert)
    for clinic in inputs.clinics.values():
        plan = inputs.plans.get(clinic.id)
        found.extend(_gate(plan, inputs.gate_notices.get(plan.id, []) if plan else [], now=now))
        feed = feeds[clinic.id] = feed_of(
            inputs.activities.get(clinic.id.hex), zone=ZoneInfo(clinic.time_zone), now=now
        )
        if feed.colour == "red":
            found.append(
                Need(
                    clinic.id,
                    "feed",
                    f"partner feed quiet ({feed.label})",
                    "Check the partner's integration (its key, its webhook deliveries) before reading "
                    "the clinic's KPIs or adoption as a change.",
                    f"feed:{clinic.id}:{feed.last_event_day}",
                    40,
                    plan_id=plan.id if plan else None,
                )
            )
        audit = inputs.audits.get(clinic.id)
        if audit is not None and reads.low_coverage(audit):
            found.append(
                Need(
                    clinic.id,
                    "coverage",
                    "audit coverage low",
                    coverage_text(audit),
                    f"audit:{audit.audit_id}",
                    15,
                    aware(audit.completed_at),
                )
            )
        found.extend(_decline(clinic, plan, inputs, feed, declines))
    running = {cid: plan.id for cid, plan in inputs.plans.items() if plan.phase not in FINAL_PHASES}
    for notice in inputs.escalations:
        if notice.clinic_id in inputs.clinics:
            found.append(
                Need(
                    notice.clinic_id,
                    "escalation",
                    "adoption escalation",
                    notice.message,
                    f"notice:{notice.key}",
                    70,
                    aware(notice.raised_at),
                    notice.plan_id,
                )
            )
    for alert in inputs.alerts:
        if alert.kind == "target_regression" and alert.clinic_id in inputs.clinics:
            found.append(
                Need(
                    alert.clinic_id,
                    "regression",
                    f"{alert.kpi.replace('_', ' ')} moving away from its target",
                    alert.message,
                    f"alert:{alert.id}",
                    30,
                    aware(alert.raised_at),
                    running.get(alert.clinic_id),
                )
            )
    return found


def _gate(plan: Any, gate_notices: list[Any], *, now: datetime) -> list[Need]:
    if plan is None or plan.phase != "evaluation":
        return []
    gate = rules.gate_of(plan.phase, gate_notices, now=now)
    overdue = gate.colour == "red"
    return [
        Need(
            plan.clinic_id,
            "gate",
            "gate decision overdue" if overdue else "gate decision due",
            gate_notices[0].message if gate_notices else WAITING,
            gate_key(plan),
            100 if overdue else 80,
            gate.due_at,
            plan.id,
        )
    ]


# A gate without a notice of its own yet (the event is on its way).
WAITING = "the pilot ended; the plan waits for your decision"


def _decline(
    clinic: Any, plan: Any, inputs: Inputs, feed: rules.FeedHealth, declines: dict[UUID, Any]
) -> list[Need]:
    """Falling AI use: kpi's adoption-decline alert (newest), else the portfolio's trend rule; neither
    while every feed is silent (no events is an outage, not a decline)."""
    running = plan.id if plan is not None and plan.phase not in FINAL_PHASES else None
    alert = declines.get(clinic.id)
    if alert is not None:
        measure = str((alert.evidence or {}).get("metric") or alert.kpi).replace("_", " ")
        detail = f"{alert.message} ({measure}, {alert.week})"
        return [
            Need(
                clinic.id,
                "decline",
                "adoption falling",
                detail,
                f"alert:{alert.id}",
                35,
                aware(alert.raised_at),
                running,
            )
        ]
    activity = inputs.activities.get(clinic.id.hex)
    if activity is None or not adoption_judged(feed):
        return []
    trend, change = rules.adoption_trend(activity.adoption_values())
    if trend != "down":
        return []
    fall = f" {-change:.0f} %" if change is not None else ""
    detail = f"AI use fell{fall}: the last 2 complete weeks against the 2 before."
    if activity.per_person:  # how far one or two people's use fell says who stopped
        detail = f"AI use fell at the clinic ({NOT_SHOWN_PER_PERSON})."
    return [
        Need(
            clinic.id,
            "decline",
            "adoption falling",
            detail,
            f"decline:{clinic.id}:{activity.adoption[-1][0]}",
            35,
            plan_id=running,
        )
    ]


def coverage_text(audit: Any) -> str:
    parts = []
    if audit.staff_expected:
        parts.append(f"{audit.staff_logged or 0} of {audit.staff_expected} staff logged")
    if audit.missing_staff:
        parts.append("missing: " + ", ".join(audit.missing_staff))
    if audit.low_confidence:
        parts.append("findings marked low confidence")
    return "; ".join(parts) + " — re-open the audit or read its findings with care"


def score(needs: list[Need]) -> int:
    return sum(need.score for need in needs)
