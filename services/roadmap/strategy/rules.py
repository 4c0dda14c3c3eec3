"""The practice-wide strategy map, as pure functions: interview + audit hours + readiness -> per area a score.

The method starts "by evaluating every major area of the practice" and asks four questions of each.
The officer rates each answer 0-3 with the practice; the audit measured where the hours go; the
assessment scored readiness. Per area the map combines them into a score (where acting first pays),
the evidence behind it, and the candidate initiatives. Interview notes never enter the map's
evidence: they stay in roadmap's database and are shown only on the interview itself.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from services.roadmap.catalog.rules import CatalogCategory
from services.roadmap.clinics import normalise_category

Area = Literal[
    "patient_acquisition",
    "retention",
    "documentation",
    "scheduling",
    "billing",
    "communication",
    "marketing",
    "analytics",
    "operations",
]
Question = Literal["staff_time", "patient_friction", "missed_revenue", "burnout"]

QUESTIONS: dict[Question, str] = {
    "staff_time": "where staff lose time",
    "patient_friction": "where patients hit friction",
    "missed_revenue": "where revenue is missed",
    "burnout": "where burnout occurs",
}
RATINGS = ("none", "low", "medium", "high")  # 0-3: how much of it the practice sees in this area
MAX_RATING = len(RATINGS) - 1


@dataclass(frozen=True)
class AreaInfo:
    """One area of the practice: the audit categories that measure it, the readiness dimensions
    it leans on, and the catalog categories whose tools address it."""

    label: str
    audit_categories: tuple[str, ...]
    dimensions: tuple[str, ...]
    catalog: tuple[CatalogCategory, ...]


AREAS: dict[Area, AreaInfo] = {
    "patient_acquisition": AreaInfo(
        "Patient acquisition", ("referral_coordination",), ("leadership", "budget"), ("ai_receptionist",)
    ),
    "retention": AreaInfo(
        "Retention", ("follow_up_calls",), ("data", "staff"), ("patient_messaging", "ai_receptionist")
    ),
    "documentation": AreaInfo(
        "Documentation", ("documentation",), ("workflows", "compliance"), ("ai_scribe",)
    ),
    "scheduling": AreaInfo(
        "Scheduling", ("appointment_scheduling",), ("workflows", "data"), ("scheduling_assistant",)
    ),
    "billing": AreaInfo(
        "Billing", ("billing", "insurance_verification"), ("data", "compliance"), ("billing", "coding")
    ),
    "communication": AreaInfo(
        "Communication", ("patient_communication",), ("staff", "compliance"), ("patient_messaging",)
    ),
    "marketing": AreaInfo("Marketing", ("marketing",), ("budget", "leadership"), ("marketing",)),
    "analytics": AreaInfo("Analytics", (), ("data", "measurement"), ("analytics",)),
    "operations": AreaInfo("Operations", ("internal_admin",), ("workflows", "leadership"), ()),
}

# How much each source weighs in an area's need when both are known: what people say and what
# the audit measured count equally; readiness then scales the need between half and all of it.
INTERVIEW_WEIGHT = 0.5
READINESS_FLOOR = 0.5


def area_of_category(category: str) -> Area | None:
    """The area an audit category (an initiative's problem) belongs to."""
    key = normalise_category(category)
    return next((area for area, info in AREAS.items() if key in info.audit_categories), None)


@dataclass(frozen=True)
class Rating:
    area: Area
    question: Question
    rating: int  # 0-3


@dataclass(frozen=True)
class AuditHours:
    category: str
    hours_per_week: float
    cost_per_week: float


@dataclass(frozen=True)
class CandidateInitiative:
    initiative_id: str
    problem: str
    rank: int
    recommended: bool
    status: str = "proposed"  # or approved: the problem being solved now


@dataclass
class AreaScore:
    area: Area
    label: str
    score: float | None  # 0-100; None: neither the interview nor the audit says anything yet
    need: float | None  # 0-1, before readiness
    interview: float | None  # 0-1: mean rating over the maximum
    ratings: dict[str, int]
    hours_per_week: float
    cost_per_week: float
    hours_share: float | None  # of the busiest area's hours
    readiness: float | None  # 0-100
    evidence: list[str] = field(default_factory=list)
    initiatives: list[CandidateInitiative] = field(default_factory=list)
    catalog_categories: list[str] = field(default_factory=list)


@dataclass
class StrategyMap:
    areas: list[AreaScore]  # highest score first
    answered: int
    expected: int
    first_area: Area | None
    first_reason: str


def build_map(
    *,
    ratings: Sequence[Rating],
    audit: Sequence[AuditHours],
    dimension_scores: Mapping[str, float],
    overall_score: float | None,
    initiatives: Sequence[CandidateInitiative] = (),
) -> StrategyMap:
    """Score every area from the interview, the audit's hours and the readiness scores."""
    by_area_hours: dict[Area, list[AuditHours]] = {area: [] for area in AREAS}
    for row in audit:
        area = area_of_category(row.category)
        if area is not None:
            by_area_hours[area].append(row)
    hours = {area: sum(row.hours_per_week for row in rows) for area, rows in by_area_hours.items()}
    busiest = max(hours.values(), default=0.0)
    areas = []
    for area, info in AREAS.items():
        answers = {rating.question: rating.rating for rating in ratings if rating.area == area}
        interview = sum(answers.values()) / (len(answers) * MAX_RATING) if answers else None
        measured = bool(audit) and busiest > 0 and bool(info.audit_categories)  # analytics: no category
        share = hours[area] / busiest if measured else None
        need = _combine(interview, share)
        readiness = _readiness(info.dimensions, dimension_scores, overall_score)
        factor = READINESS_FLOOR + (1 - READINESS_FLOOR) * (readiness / 100 if readiness is not None else 0.5)
        score = round(100 * need * factor, 1) if need is not None else None
        cost = sum(row.cost_per_week for row in by_area_hours[area])
        areas.append(
            AreaScore(
                area=area,
                label=info.label,
                score=score,
                need=round(need, 3) if need is not None else None,
                interview=round(interview, 3) if interview is not None else None,
                ratings={question: answers[question] for question in QUESTIONS if question in answers},
                hours_per_week=round(hours[area], 2),
                cost_per_week=round(cost, 2),
                hours_share=round(share, 3) if share is not None else None,
                readiness=readiness,
                evidence=_evidence(info, answers, by_area_hours[area], readiness, dimension_scores),
                initiatives=[item for item in initiatives if area_of_category(item.problem) == area],
                catalog_categories=list(info.catalog),
            )
        )
    areas.sort(key=lambda item: (-(item.score if item.score is not None else -1), item.area))
    # The first problem is the one approved, else the roadmap's recommended initiative (ranked with
    # the map's weights), so the map and the approval page never disagree; else the best area with any.
    first = (
        next((item for item in areas if any(i.status == "approved" for i in item.initiatives)), None)
        or next((item for item in areas if any(i.recommended for i in item.initiatives)), None)
        or next((item for item in areas if item.initiatives and item.score is not None), None)
    )
    return StrategyMap(
        areas=areas,
        answered=len(ratings),
        expected=len(AREAS) * len(QUESTIONS),
        first_area=first.area if first else None,
        first_reason=_first_reason(first, areas) if first else "",
    )


def _combine(interview: float | None, share: float | None) -> float | None:
    if interview is None:
        return share
    if share is None:
        return interview
    return INTERVIEW_WEIGHT * interview + (1 - INTERVIEW_WEIGHT) * share


def _readiness(dimensions: Sequence[str], scores: Mapping[str, float], overall: float | None) -> float | None:
    known = [scores[name] for name in dimensions if name in scores]
    if known:
        return round(sum(known) / len(known), 1)
    return overall


def _evidence(
    info: AreaInfo,
    answers: Mapping[Question, int],
    audit: Sequence[AuditHours],
    readiness: float | None,
    scores: Mapping[str, float],
) -> list[str]:
    lines = [
        f"interview: {QUESTIONS[question]}: {RATINGS[answers[question]]}"
        for question in QUESTIONS
        if question in answers and answers[question] > 0
    ]
    for row in audit:
        lines.append(
            f"audit: {row.category.replace('_', ' ')} {row.hours_per_week:.1f} h/week, "
            f"${row.cost_per_week:,.0f}/week"
        )
    if readiness is not None:
        parts = [f"{name} {scores[name]:.0f}" for name in info.dimensions if name in scores]
        lines.append(f"readiness {readiness:.0f}/100" + (f" ({', '.join(parts)})" if parts else " (overall)"))
    return lines


def _first_reason(first: AreaScore, areas: Sequence[AreaScore]) -> str:
    ahead = [item for item in areas if item.score is not None and item.score > (first.score or 0)]
    reason = f"{first.label} scores {first.score:.0f}/100" if first.score is not None else first.label
    if ahead:
        skipped = ", ".join(item.label for item in ahead)
        reason += (
            f"; {skipped} score(s) higher but save less per week or have no initiative from the audit yet"
        )
    else:
        reason += ", the highest of the practice's areas"
    drivers = [line for line in first.evidence if not line.startswith("readiness")][:3]
    return reason + (": " + "; ".join(drivers) if drivers else "")


@dataclass(frozen=True)
class Emphasis:
    """How the map weighs one audit category's initiative, and the words that cite it."""

    factor: float  # 0.5-1.5: the ranking's impact x readiness is multiplied by it
    citation: str


def emphasis_by_category(strategy: StrategyMap) -> dict[str, Emphasis]:
    """Per audit category, the map's weight for ranking proposals (only where the interview spoke)."""
    weights: dict[str, Emphasis] = {}
    for item in strategy.areas:
        if item.score is None or item.interview is None:
            continue
        citation = f"strategy map: {item.label} {item.score:.0f}/100"
        for category in AREAS[item.area].audit_categories:
            weights[category] = Emphasis(factor=round(0.5 + item.score / 100, 3), citation=citation)
    return weights
