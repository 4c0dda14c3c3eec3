"""What the officer sees before approving, as pure functions: targets against the evidence, pilot length,
compliance, audit coverage, money and the baseline. Data in, data out; approve_initiative stores the result.
"""

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from services.roadmap.initiatives.evidence_library import reference_effect, target_flag
from services.roadmap.initiatives.pricing import CashInputs, ToolCost, expected_money, phasing_for
from services.roadmap.plans.evidence import gate_kpi
from services.roadmap.plans.sizing import recommended_pilot
from services.roadmap.plans.targets import Target

__all__ = ["ToolCost", "expected_money", "target_flag"]  # kept importable from here for callers

COMPLIANCE_DIMENSION = "compliance"  # intake's questionnaire v1: its gate caps readiness below 50
COMPLIANCE_CAP_BELOW = 50.0
# Without a chosen vendor: audit categories whose tools usually need no patient identifiers. A vendor's
# catalog entry answers for itself (receives_patient_identifiers), so a marketing tool that texts
# patients still needs its BAA.
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
    baa_check: str = ""  # how the BAA question was answered: the vendor's catalog entry or the category
    integration_exception: str | None = None
    no_baseline_reason: str = ""  # why the pilot may start without a baseline, when the officer said
    baseline: dict[str, Any] | None = None
    money: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def touches_phi(problem: str, receives_patient_identifiers: bool | None = None) -> tuple[bool, str]:
    """Whether the tool receives patient identifiers (so it needs a BAA first), and who said so."""
    if receives_patient_identifiers is not None:
        said = "receives" if receives_patient_identifiers else "receives no"
        return (
            receives_patient_identifiers,
            f"the chosen vendor's catalog entry: it {said} patient identifiers",
        )
    category = problem.strip().lower().replace("-", "_").replace(" ", "_")
    if category in PHI_FREE_PROBLEMS:
        return False, f"no vendor chosen: {problem} tools are taken to receive no patient identifiers"
    return True, f"no vendor chosen: {problem} tools are taken to receive patient identifiers"


def compliance_capped(dimension_scores: dict[str, float]) -> bool:
    """Intake's compliance gate: below 50 the clinic has no BAAs or privacy officer in place yet."""
    score = dimension_scores.get(COMPLIANCE_DIMENSION)
    return score is not None and score < COMPLIANCE_CAP_BELOW


def pilot_length(
    *,
    kpi: str,
    target_change_pct: float,
    baseline: Baseline,
    baseline_days: float,
    pilot_days: float,
    clinicians_in_pilot: int = 0,
    clinicians_in_control: int = 0,
) -> tuple[int | None, str]:
    """The pilot weeks the gate's pass rule needs (ramp-up included); a warning if the plan is shorter.

    A duration KPI is judged per clinician: its week's noise shrinks with the pilot group and, where
    the rest of the staff serve as a control, grows by theirs; so the sizing reads both group sizes.
    """
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
    per_clinician = measure == "duration"
    length = recommended_pilot(
        measure=measure,
        better=better,
        baseline_value=baseline.value,
        weekly_volume=baseline.weekly_volume,
        target=Target(target_change_pct),
        baseline_weeks=baseline_days / 7,
        clinicians_in_pilot=clinicians_in_pilot if per_clinician else 0,
        clinicians_in_control=clinicians_in_control if per_clinician else 0,
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
    receives_patient_identifiers: bool | None = None  # the chosen vendor's catalog entry; None: none chosen
    vendor: str = ""  # the chosen vendor and product, matched against the studies' products
    integrates: bool | None = None
    integration_note: str = ""


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
    tool_cost_note: str = ""  # how the chosen vendor's catalog price made the tool cost, if it did
    average_visit_value: float | None = None
    booking_share: float | None = None
    integration_exception: str = ""
    pilot_group_size: int = 0
    phase_days: Mapping[str, float] | None = None
    capacity_to_cash_share: float = 0.0
    capacity_to_cash_note: str = ""


def review_approval(facts: ApprovalFacts, choices: ApprovalChoices) -> tuple[ApprovalReview, list[str]]:
    """The approval's review, and the refusals (empty: the approval may go ahead)."""
    refusals: list[str] = []
    review = ApprovalReview()
    review.target_flag = target_flag(
        kpi=facts.kpi, solution=facts.solution, target_change_pct=choices.target_change_pct
    )
    review.target_kept = review.target_flag is not None
    phi, review.baa_check = touches_phi(facts.problem, facts.receives_patient_identifiers)
    if facts.dimension_scores is not None and compliance_capped(facts.dimension_scores) and phi:
        if choices.compliance_exception.strip():
            review.compliance_exception = choices.compliance_exception.strip()
            review.warnings.append(
                "compliance below 50 (no BAAs in place): approved by the officer's recorded exception"
            )
        else:
            refusals.append(
                "compliance_exception: the readiness assessment caps this clinic (compliance below 50: "
                f"no BAAs in place) and {facts.solution} receives patient identifiers ({review.baa_check}); "
                "put BAAs in place and reassess, or record why the pilot may go ahead in compliance_exception"
            )
    if facts.integrates is False and choices.integration_exception.strip():
        review.integration_exception = choices.integration_exception.strip()
        review.warnings.append(
            f"it does not integrate ({facts.integration_note}): approved by the officer's recorded exception"
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
    cost = choices.tool_cost
    # The staff who will use the tool at rollout and are not in the pilot group are its control.
    control = max((cost.users if cost else 0) - choices.pilot_group_size, 0)
    review.minimum_pilot_weeks, review.pilot_length_note = pilot_length(
        kpi=facts.kpi,
        target_change_pct=choices.target_change_pct,
        baseline=baseline,
        baseline_days=choices.baseline_days,
        pilot_days=choices.pilot_days,
        clinicians_in_pilot=choices.pilot_group_size,
        clinicians_in_control=control,
    )
    if review.pilot_length_note.startswith("warning"):
        review.warnings.append(review.pilot_length_note)
    review.money = expected_money(
        kpi=facts.kpi,
        target_change_pct=choices.target_change_pct,
        hours_per_week=facts.hours_per_week,
        cost_per_week=facts.cost_per_week,
        audit_prior_per_week=facts.dollars_saved_per_week,
        tool_cost=cost,
        phasing=phasing_for(
            phase_days=choices.phase_days,
            pilot_group_size=choices.pilot_group_size,
            rollout_users=cost.users if cost else 0,
        ),
        cash=CashInputs(
            weekly_volume=baseline.weekly_volume,
            baseline_rate=baseline.value,
            booking_share=choices.booking_share,
            average_visit_value=choices.average_visit_value,
            capacity_to_cash_share=choices.capacity_to_cash_share,
            capacity_to_cash_note=choices.capacity_to_cash_note,
        ),
        reference=reference_effect(kpi=facts.kpi, solution=facts.solution, product=facts.vendor),
    ).as_dict()
    if choices.tool_cost_note:
        review.money["tool_cost_note"] = choices.tool_cost_note
    return review, refusals
