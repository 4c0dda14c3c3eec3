"""What roadmap contributes to the practice's roadmap report: the first problem and why, the plan's
dates, the KPI with its baseline, target and published evidence, the money, and the strategy map.

The portal adds what its read model holds (readiness, where the hours go, KPI weeks) and renders
the page and the PDF. Pure schedule arithmetic lives in `plan_schedule`; the rest reads roadmap's tables.
"""

from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.roadmap.catalog import prices
from services.roadmap.catalog import service as catalog_service
from services.roadmap.initiatives import approval_review, evidence_library, pricing
from services.roadmap.models import Initiative, RoadmapClinic, RoadmapPlan, RoadmapPlanTransition
from services.roadmap.plans import phases
from services.roadmap.plans.targets import target_value_text
from services.roadmap.strategy import service as strategy_service
from services.roadmap.strategy.models import StrategyMapPublic
from shared import clock
from shared.kpi_measures import measure_of

# The order a plan's phases run in when all goes to plan (the gate takes no planned time).
SCHEDULED_PHASES = ("baseline", "preparation", "pilot", "evaluation", "rollout", "sustain")


class PhaseDates(BaseModel):
    phase: str
    start: date
    end: date
    status: str  # done, current, planned


class EvidencePublic(BaseModel):
    """One study or benchmark of the evidence library, with what it is (design, population basis, n)."""

    role: str  # effect | benchmark (a prevalence or vendor figure: context, never an effect)
    study: str
    arm: str
    journal: str
    year: int
    design: str
    design_label: str
    population_basis: str
    n: int | None
    n_note: str
    effect_pct: float | None
    ci_low_pct: float | None
    ci_high_pct: float | None
    significant: bool | None
    outcome: str
    setting: str
    source: str


class FirstProblem(BaseModel):
    initiative_id: UUID
    problem: str
    solution: str
    hours_per_week: float
    cost_per_week: float
    status: str
    owner: str
    reason: str
    map_reason: str
    kpi: str
    target_change_pct: float
    target_is_suggested: bool
    target_in_values: str  # "29 % → 14.5 %" once a baseline is known ("" before)
    baseline: dict[str, Any] | None
    target_flag: str | None
    evidence: list[EvidencePublic]
    money: dict[str, Any]
    vendor: dict[str, Any] | None
    integrates: bool | None
    integration_note: str


class PracticeReportData(BaseModel):
    clinic_id: UUID
    clinic_name: str
    specialty: str
    generated_at: datetime
    first: FirstProblem | None
    plan_id: str | None
    schedule: list[PhaseDates]
    schedule_note: str
    next_initiatives: list[dict[str, Any]]
    strategy: StrategyMapPublic


def plan_schedule(
    *,
    start: date,
    phase_days: dict[str, float],
    transitions: list[tuple[str, date]],
    today: date,
) -> list[PhaseDates]:
    """Each phase's dates: recorded ones as they happened, the rest planned from their lengths."""
    days = {
        phase: float(phase_days.get(phase, phases.DEFAULT_PHASE_DAYS.get(phase, 0)))
        for phase in SCHEDULED_PHASES
    }
    days["evaluation"] = 0.0
    happened = dict(transitions)
    current = transitions[-1][0] if transitions else None
    rows: list[PhaseDates] = []
    cursor = start
    for phase in SCHEDULED_PHASES:
        began = happened.get(phase, cursor)
        if phase == current:
            end = max(began + timedelta(days=days[phase]), today)
            status = "current"
        elif phase in happened:
            later = [when for name, when in transitions if when >= began and name != phase]
            end = min(later) if later else began + timedelta(days=days[phase])
            status = "done"
        else:
            end = began + timedelta(days=days[phase])
            status = "planned"
        rows.append(PhaseDates(phase=phase, start=began, end=end, status=status))
        cursor = end
    return rows


async def report_data(*, session: AsyncSession, clinic: RoadmapClinic, today: date) -> PracticeReportData:
    strategy = await strategy_service.map_public(session=session, clinic=clinic)
    rows = list(
        (
            await session.exec(
                select(Initiative).where(Initiative.clinic_id == clinic.id).order_by(col(Initiative.rank))
            )
        ).all()
    )
    started = [row for row in rows if row.status == "approved"]
    chosen = (started[-1] if started else None) or next(
        (row for row in rows if row.recommended and row.status == "proposed"), None
    )
    first = await _first_problem(session, chosen, strategy) if chosen else None
    schedule: list[PhaseDates] = []
    schedule_note = "no initiative yet: the audit's candidates become initiatives"
    plan = None
    if chosen is not None:
        of_chosen = select(RoadmapPlan).where(
            RoadmapPlan.clinic_id == chosen.clinic_id, RoadmapPlan.initiative_id == chosen.id
        )
        plan = (await session.exec(of_chosen)).first()
        if plan is not None:
            recorded = (
                await session.exec(
                    select(RoadmapPlanTransition)
                    .where(
                        RoadmapPlanTransition.clinic_id == plan.clinic_id,
                        RoadmapPlanTransition.plan_id == plan.id,
                    )
                    .order_by(col(RoadmapPlanTransition.seq))
                )
            ).all()
            transitions = [(item.phase, item.changed_at.date()) for item in recorded] or [
                ("baseline", plan.started_at.date())
            ]
            schedule = plan_schedule(
                start=plan.started_at.date(),
                phase_days=chosen.phase_days,
                transitions=transitions,
                today=today,
            )
            schedule_note = f"plan started {plan.started_at.date():%B %d, %Y}; later phases as planned"
        else:
            schedule = plan_schedule(start=today, phase_days={}, transitions=[], today=today)
            schedule_note = "if approved today, with the method's default phase lengths"
    return PracticeReportData(
        clinic_id=clinic.id,
        clinic_name=clinic.name,
        specialty=clinic.specialty,
        generated_at=clock.now(),
        first=first,
        plan_id=plan.id if plan else None,
        schedule=schedule,
        schedule_note=schedule_note,
        next_initiatives=[
            {"problem": row.problem, "rank": row.rank, "impact_per_week": row.impact_per_week, "kpi": row.kpi}
            for row in rows
            if row.status == "proposed" and chosen is not None and row.id != chosen.id
        ][:3],
        strategy=strategy,
    )


async def _first_problem(session: AsyncSession, row: Initiative, strategy: StrategyMapPublic) -> FirstProblem:
    target = row.target_change_pct if row.target_change_pct is not None else row.suggested_target_pct
    vendor = None
    choice, entry = await catalog_service.chosen_entry(session, row)
    if entry is not None:
        vendor = catalog_service.public(entry).model_dump(mode="json")
    money = row.review.get("money")
    if not money:
        priced = await prices.chosen_vendor_price(session, row)
        money = unapproved_money(row, target=target, vendor=vendor, priced=priced)
    return FirstProblem(
        initiative_id=row.id,
        problem=row.problem,
        solution=row.solution,
        hours_per_week=row.hours_per_week,
        cost_per_week=row.cost_per_week,
        status=row.status,
        owner=row.owner,
        reason=row.reason,
        map_reason=strategy.first_reason,
        kpi=row.kpi,
        target_change_pct=target,
        target_is_suggested=row.target_change_pct is None,
        target_in_values=_target_in_values(row.kpi, row.review.get("baseline"), target),
        baseline=row.review.get("baseline"),
        target_flag=row.review.get("target_flag")
        or approval_review.target_flag(kpi=row.kpi, solution=row.solution, target_change_pct=target),
        evidence=evidence_for(row.kpi, vendor_solution(row, vendor)),
        money=money,
        vendor=vendor,
        integrates=choice.integrates if choice else row.integrates,
        integration_note=choice.integration_note if choice else row.integration_note,
    )


def vendor_solution(row: Initiative, vendor: dict[str, Any] | None) -> str:
    """The words published effects are matched on: the solution and its catalog category."""
    category = vendor["category_label"] if vendor else ""
    return f"{row.solution} {category}".strip()


def evidence_for(kpi: str, solution: str) -> list[EvidencePublic]:
    """The library's studies of this KPI and kind of solution (strongest design first), then benchmarks."""
    found = evidence_library.studies_for(kpi=kpi, solution=solution) + evidence_library.benchmarks_for(
        kpi=kpi
    )
    return [
        EvidencePublic.model_validate({**asdict(study), "design_label": study.design_label})
        for study in found
    ]


def _target_in_values(kpi: str, baseline: dict[str, Any] | None, target: float) -> str:
    """The target in the KPI's own values, from the baseline entered at approval (the feed's comes later)."""
    value = (baseline or {}).get("value")
    measure = measure_of(kpi)
    if value is None or measure == "other":
        return ""
    return target_value_text(measure=measure, baseline_value=float(value), change_pct=target)


def unapproved_money(
    row: Initiative,
    *,
    target: float,
    vendor: dict[str, Any] | None,
    priced: prices.CatalogPrice | None = None,
) -> dict[str, Any]:
    """A proposal's price before approval: at the suggested target, default phases, and the chosen
    vendor's catalog price when it has one (the officer may enter another tool cost at approval)."""
    tool_cost = priced.tool_cost if priced is not None else None
    money = pricing.expected_money(
        kpi=row.kpi,
        target_change_pct=target,
        hours_per_week=row.hours_per_week,
        cost_per_week=row.cost_per_week,
        audit_prior_per_week=row.impact_per_week,
        tool_cost=tool_cost,
        phasing=pricing.phasing_for(
            phase_days=None, pilot_group_size=0, rollout_users=tool_cost.users if tool_cost else 0
        ),
        reference=evidence_library.reference_effect(
            kpi=row.kpi,
            solution=row.solution,
            product=f"{vendor['vendor']} {vendor['product']}" if vendor else "",
        ),
    ).as_dict()
    if priced is not None:
        money["tool_cost_note"] = priced.note
        money["tool_cost_volume"] = priced.volume_kind
    return money
