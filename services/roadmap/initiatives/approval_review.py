"""What the officer sees before approving, as pure functions: targets against the evidence, pilot length,
compliance, audit coverage, money and the baseline. Data in, data out; approve_initiative stores the result.
"""

from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from services.roadmap.plans.evidence import gate_kpi
from services.roadmap.plans.sizing import recommended_pilot
from services.roadmap.plans.targets import Target

EFFECTS_FILE = Path(__file__).with_name("published_effects.yaml")
COMPLIANCE_DIMENSION = "compliance"  # intake's questionnaire v1: its gate caps readiness below 50
COMPLIANCE_CAP_BELOW = 50.0
WEEKS_PER_MONTH = 52 / 12
# Audit categories whose tools need no patient data; every other one touches PHI (BAAs first).
PHI_FREE_PROBLEMS = frozenset({"marketing", "internal_admin"})
# KPIs measured in time: the audit's logged hours can stand in for their baseline.
TIME_KPIS = frozenset(
    {
        "documentation_minutes_per_note",
        "median_message_response_minutes",
        "minutes_per_eligibility_check",
        "task_hours_per_week",
    }
)

BaselineSource = Literal["partner_feed", "audit", "manual_count", "emr_report"]


@dataclass(frozen=True)
class PublishedEffect:
    """One published effect of a solution on a KPI, with its source."""

    kpi: str
    solution: str
    kind: str
    study: str
    journal: str
    year: int
    population: str
    effect_pct: float
    note: str = ""


@cache
def published_effects() -> tuple[PublishedEffect, ...]:
    """The reference table (published_effects.yaml)."""
    raw = yaml.safe_load(EFFECTS_FILE.read_text(encoding="utf-8"))
    return tuple(PublishedEffect(**entry) for entry in raw["effects"])


def effects_for(*, kpi: str, solution: str) -> list[PublishedEffect]:
    """Published effects for the KPI and the kind of solution (matched by name, case-insensitive)."""
    wanted = solution.lower()
    return [
        effect for effect in published_effects() if effect.kpi == kpi and effect.solution.lower() in wanted
    ]


def target_flag(*, kpi: str, solution: str, target_change_pct: float) -> str | None:
    """A sentence when the target is more ambitious than every published effect; None otherwise."""
    effects = effects_for(kpi=kpi, solution=solution)
    if not effects:
        return None
    values = [effect.effect_pct for effect in effects]
    best = min(values) if target_change_pct < 0 else max(values)
    beyond = target_change_pct < best if target_change_pct < 0 else target_change_pct > best
    if not beyond:
        return None
    low, high = sorted(values, key=abs)[0], sorted(values, key=abs)[-1]
    kinds = "trials" if all(effect.kind == "trial" for effect in effects) else "sources"
    cited = "; ".join(
        f"{effect.study}, {effect.journal} {effect.year}, {effect.population}" for effect in effects
    )
    return (
        f"{target_change_pct:+.0f} % {kpi.replace('_', ' ')}: published {kinds} found "
        f"{low:+.0f} % to {high:+.0f} % ({cited})"
    )


@dataclass(frozen=True)
class ToolCost:
    """What the tool costs: a subscription per month, per user and month, and a one-off set-up."""

    monthly: float = 0.0
    per_user_monthly: float = 0.0
    users: int = 0
    setup: float = 0.0

    def per_month(self) -> float:
        return self.monthly + self.per_user_monthly * self.users


@dataclass(frozen=True)
class Money:
    """Dollars a week the initiative is expected to save or earn, against what the tool costs."""

    hours_saved_per_week: float
    loaded_hourly_cost: float | None
    dollars_saved_per_week: float
    revenue_per_week: float | None
    revenue_note: str
    tool_cost_per_week: float | None
    setup_cost: float | None
    payback_weeks: float | None
    roi_12_months_pct: float | None
    note: str


def expected_money(
    *,
    hours_per_week: float,
    cost_per_week: float,
    dollars_saved_per_week: float,
    tool_cost: ToolCost | None,
    revenue_per_week: float | None = None,
    revenue_note: str = "",
) -> Money:
    """Hours saved x the loaded hourly cost the audit measured, plus revenue, against the tool's cost."""
    hourly = cost_per_week / hours_per_week if hours_per_week > 0 else None
    hours_saved = dollars_saved_per_week / hourly if hourly else 0.0
    benefit = dollars_saved_per_week + (revenue_per_week or 0.0)
    if tool_cost is None:
        return Money(
            hours_saved_per_week=round(hours_saved, 2),
            loaded_hourly_cost=hourly and round(hourly, 2),
            dollars_saved_per_week=round(dollars_saved_per_week, 2),
            revenue_per_week=revenue_per_week,
            revenue_note=revenue_note,
            tool_cost_per_week=None,
            setup_cost=None,
            payback_weeks=None,
            roi_12_months_pct=None,
            note="no tool cost given: payback and ROI need the subscription and set-up cost",
        )
    weekly_cost = tool_cost.per_month() / WEEKS_PER_MONTH
    net = benefit - weekly_cost
    first_year_cost = tool_cost.setup + 12 * tool_cost.per_month()
    roi = (52 * benefit - first_year_cost) / first_year_cost * 100 if first_year_cost > 0 else None
    if net <= 0:
        payback, note = (
            None,
            "the tool costs more each week than it is expected to return: it never pays back",
        )
    else:
        payback = round(tool_cost.setup / net, 1)
        note = f"pays back its set-up in about {payback:g} weeks at {net:.0f} net a week"
    return Money(
        hours_saved_per_week=round(hours_saved, 2),
        loaded_hourly_cost=hourly and round(hourly, 2),
        dollars_saved_per_week=round(dollars_saved_per_week, 2),
        revenue_per_week=revenue_per_week,
        revenue_note=revenue_note,
        tool_cost_per_week=round(weekly_cost, 2),
        setup_cost=tool_cost.setup,
        payback_weeks=payback,
        roi_12_months_pct=None if roi is None else round(roi, 1),
        note=note,
    )


def missed_call_revenue(
    *,
    weekly_calls: float | None,
    baseline_rate: float | None,
    target_change_pct: float,
    booking_share: float | None,
    average_visit_value: float | None,
) -> tuple[float | None, str]:
    """Revenue a week from missed calls answered instead: recovered calls x bookings x visit value."""
    missing = [
        name
        for name, value in (
            ("the baseline weekly call volume", weekly_calls),
            ("the baseline missed-call rate", baseline_rate),
            ("the share of answered calls that book", booking_share),
            ("the clinic's average visit value", average_visit_value),
        )
        if value is None
    ]
    if weekly_calls is None or baseline_rate is None or booking_share is None or average_visit_value is None:
        return None, "revenue not estimated: it needs " + ", ".join(missing)
    recovered = weekly_calls * baseline_rate * -target_change_pct / 100
    revenue = round(recovered * booking_share * average_visit_value, 2)
    return revenue, (
        f"about {recovered:.0f} calls a week answered instead of missed x {booking_share:.0%} booking x "
        f"{average_visit_value:.0f} a visit"
    )


@dataclass(frozen=True)
class Baseline:
    """The KPI's baseline as far as it is known at approval, and where it comes from."""

    source: BaselineSource | None
    value: float | None
    weekly_volume: float | None
    entered_by_hand: bool
    note: str


@dataclass
class ApprovalReview:
    """Everything checked at approval; stored on the initiative and shown with its plan."""

    target_flag: str | None = None
    target_kept: bool = False
    minimum_pilot_weeks: int | None = None
    pilot_length_note: str = ""
    warnings: list[str] = field(default_factory=list)
    compliance_exception: str | None = None
    no_baseline_reason: str = ""  # why the pilot may start without a baseline, when the officer said
    baseline: dict[str, Any] | None = None
    money: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def touches_phi(problem: str) -> bool:
    """Whether the tools for this audit category read or write patient data (so they need BAAs first)."""
    return problem.strip().lower().replace("-", "_").replace(" ", "_") not in PHI_FREE_PROBLEMS


def compliance_capped(dimension_scores: dict[str, float]) -> bool:
    """Intake's compliance gate: below 50 the clinic has no BAAs or privacy officer in place yet."""
    score = dimension_scores.get(COMPLIANCE_DIMENSION)
    return score is not None and score < COMPLIANCE_CAP_BELOW


def pilot_length(
    *, kpi: str, target_change_pct: float, baseline: Baseline, baseline_days: float, pilot_days: float
) -> tuple[int | None, str]:
    """The pilot weeks the gate's pass rule needs (ramp-up included); a warning if the plan is shorter."""
    judged = gate_kpi(kpi)
    if judged is None:
        return (
            None,
            "the pilot length is not computed for this KPI (not a rate or minutes over weekly counts)",
        )
    if baseline.value is None or baseline.weekly_volume is None:
        return None, (
            "the baseline volume is not known yet: the minimum pilot length will follow from the "
            "baseline phase (enter a baseline with its weekly volume to see it now)"
        )
    measure, better = judged
    length = recommended_pilot(
        measure=measure,
        better=better,
        baseline_value=baseline.value,
        weekly_volume=baseline.weekly_volume,
        target=Target(target_change_pct),
        baseline_weeks=baseline_days / 7,
    )
    planned_weeks = pilot_days / 7
    if length.weeks is None:
        return None, "warning: " + length.note
    if planned_weeks < length.weeks:
        return length.weeks, (
            f"warning: the pilot is planned for {planned_weeks:g} weeks but needs {length.weeks} weeks "
            f"({length.note})"
        )
    return length.weeks, length.note


@dataclass(frozen=True)
class ApprovalFacts:
    """What roadmap knows of the initiative and its clinic when the officer approves it."""

    kpi: str
    problem: str
    solution: str
    hours_per_week: float
    cost_per_week: float
    dollars_saved_per_week: float
    dimension_scores: dict[str, float] | None  # None: no assessment yet
    audit_low_confidence: bool
    audit_hours_per_week: float | None  # the audit's logged hours of this problem


@dataclass(frozen=True)
class ApprovalChoices:
    """What the officer decided at approval (plain data, from ApprovalIn)."""

    target_change_pct: float
    baseline_days: float
    pilot_days: float
    baseline: Baseline
    no_baseline_reason: str = ""
    compliance_exception: str = ""
    tool_cost: ToolCost | None = None
    average_visit_value: float | None = None
    booking_share: float | None = None


def review_approval(facts: ApprovalFacts, choices: ApprovalChoices) -> tuple[ApprovalReview, list[str]]:
    """The approval's review, and the refusals (empty: the approval may go ahead)."""
    refusals: list[str] = []
    review = ApprovalReview()
    review.target_flag = target_flag(
        kpi=facts.kpi, solution=facts.solution, target_change_pct=choices.target_change_pct
    )
    review.target_kept = review.target_flag is not None
    if (
        facts.dimension_scores is not None
        and compliance_capped(facts.dimension_scores)
        and touches_phi(facts.problem)
    ):
        if choices.compliance_exception.strip():
            review.compliance_exception = choices.compliance_exception.strip()
            review.warnings.append(
                "compliance below 50 (no BAAs in place): approved by the officer's recorded exception"
            )
        else:
            refusals.append(
                "compliance_exception: the readiness assessment caps this clinic (compliance below 50: "
                f"no BAAs in place) and {facts.solution} touches patient data; put BAAs in place and "
                "reassess, or record why the pilot may go ahead in compliance_exception"
            )
    if facts.audit_low_confidence:
        review.warnings.append(
            "the audit's coverage is low (too few staff logged their tasks): "
            "its hours and dollars may be understated"
        )
    baseline = choices.baseline
    if baseline.source is None:
        if choices.no_baseline_reason.strip():
            review.no_baseline_reason = choices.no_baseline_reason.strip()
            review.warnings.append(
                f"no baseline: the officer recorded why - {choices.no_baseline_reason.strip()}"
            )
        else:
            review.warnings.append(
                "the baseline is expected from the partner feed during the baseline phase; without one the "
                "pilot will not start: enter a baseline by hand (audit, manual count, EMR report) or record "
                "no_baseline_reason"
            )
    review.baseline = asdict(baseline)
    if facts.kpi in TIME_KPIS and facts.audit_hours_per_week:
        review.baseline["audit_hours_per_week"] = facts.audit_hours_per_week
    review.minimum_pilot_weeks, review.pilot_length_note = pilot_length(
        kpi=facts.kpi,
        target_change_pct=choices.target_change_pct,
        baseline=baseline,
        baseline_days=choices.baseline_days,
        pilot_days=choices.pilot_days,
    )
    if review.pilot_length_note.startswith("warning"):
        review.warnings.append(review.pilot_length_note)
    revenue, revenue_note = None, ""
    if facts.kpi == "missed_call_rate":
        revenue, revenue_note = missed_call_revenue(
            weekly_calls=baseline.weekly_volume,
            baseline_rate=baseline.value,
            target_change_pct=choices.target_change_pct,
            booking_share=choices.booking_share,
            average_visit_value=choices.average_visit_value,
        )
    review.money = asdict(
        expected_money(
            hours_per_week=facts.hours_per_week,
            cost_per_week=facts.cost_per_week,
            dollars_saved_per_week=facts.dollars_saved_per_week,
            tool_cost=choices.tool_cost,
            revenue_per_week=revenue,
            revenue_note=revenue_note,
        )
    )
    return review, refusals
