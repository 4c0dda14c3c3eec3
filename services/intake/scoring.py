"""The AI Readiness Assessment and the five purchase questions, as plain functions over data.

Nothing here touches a database or the network, so every rule is tested with plain values.
"""

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from services.intake.models import AnswerValue, Question, Questionnaire
from services.intake.purchase_review_models import PurchaseReviewSubmit, ReviewFinding, Verdict
from shared.events.intake import ReadinessGap, ReadinessLevel, StaffRole

QUESTIONNAIRE_DIR = Path(__file__).parent / "questionnaire"
CURRENT_VERSION = "v1"
TOP_GAPS = 3


class UnknownQuestionnaire(LookupError):
    """No questionnaire file has that version."""


@dataclass(frozen=True)
class AnswerProblem:
    """Why one answer (or a missing one) cannot be scored; `question_id` names it."""

    question_id: str
    message: str


class InvalidAnswers(ValueError):
    """Some answers cannot be scored; nothing is stored. Each problem names its question."""

    def __init__(self, problems: list[AnswerProblem]) -> None:
        super().__init__("; ".join(f"{problem.question_id}: {problem.message}" for problem in problems))
        self.problems = problems


@dataclass(frozen=True)
class ReadinessResult:
    """The score of one set of answers."""

    dimension_scores: dict[str, float]
    overall_score: float
    level: ReadinessLevel
    top_gaps: list[ReadinessGap] = field(default_factory=list)
    level_capped_by: str | None = None


@cache
def load_questionnaire(version: str = CURRENT_VERSION) -> Questionnaire:
    """The questionnaire of one version, read from questionnaire/<version>.yaml and checked."""
    path = QUESTIONNAIRE_DIR / f"{version}.yaml"
    if not version.isidentifier() or not path.is_file():
        available = ", ".join(sorted(p.stem for p in QUESTIONNAIRE_DIR.glob("*.yaml")))
        raise UnknownQuestionnaire(f"no questionnaire version {version!r}; available: {available}")
    questionnaire = Questionnaire.model_validate(yaml.safe_load(path.read_text()))
    _check_consistent(questionnaire, expected_version=version)
    return questionnaire


def _check_consistent(questionnaire: Questionnaire, *, expected_version: str) -> None:
    """A questionnaire file with a typo must fail loudly at load, not score wrongly later."""
    if questionnaire.version != expected_version:
        raise ValueError(f"{expected_version}.yaml declares version {questionnaire.version}")
    dimensions = [dimension.id for dimension in questionnaire.dimensions]
    ids = [question.id for question in questionnaire.questions]
    if len(set(ids)) != len(ids) or len(set(dimensions)) != len(dimensions):
        raise ValueError("question and dimension ids must be unique")
    for question in questionnaire.questions:
        if question.dimension not in dimensions:
            raise ValueError(f"question {question.id} names unknown dimension {question.dimension}")
        if question.type == "choice" and len(question.options) < 2:
            raise ValueError(f"choice question {question.id} needs at least two options")
        if question.type == "scale" and len(question.scale) != 5:
            raise ValueError(f"scale question {question.id} needs five labels (0-4)")
    for dimension in dimensions:
        if not any(question.dimension == dimension for question in questionnaire.questions):
            raise ValueError(f"dimension {dimension} has no questions")
    if not questionnaire.levels or questionnaire.levels[0].min != 0:
        raise ValueError("the lowest level must start at 0")


def points_for(question: Question, answer: AnswerValue) -> int:
    """The points one answer scores; ValueError saying what the question accepts."""
    if question.type == "scale":
        # bool is an int in Python; `true` is not a point on a 0-4 scale.
        if isinstance(answer, bool) or not isinstance(answer, int):
            raise ValueError(f"answer {answer!r} must be a whole number from 0 to 4")
        if not 0 <= answer <= 4:
            raise ValueError(f"answer {answer} is out of range 0-4")
        return answer
    for option in question.options:
        if option.id == answer:
            return option.points
    choices = ", ".join(option.id for option in question.options)
    raise ValueError(f"answer {answer!r} is not one of the options ({choices})")


def score_assessment(questionnaire: Questionnaire, answers: dict[str, AnswerValue]) -> ReadinessResult:
    """Score a complete set of answers: 0-100 per dimension and overall, a level, the three largest gaps.

    A dimension scores its points over its maximum points, times 100; the overall score is the
    mean of the dimension scores (every dimension weighs the same, however many questions it has).
    Raises InvalidAnswers naming every unknown, out-of-range or missing question.
    """
    by_id = {question.id: question for question in questionnaire.questions}
    problems = [AnswerProblem(key, "unknown question id") for key in answers if key not in by_id]
    points: dict[str, int] = {}
    for question in questionnaire.questions:
        if question.id not in answers:
            problems.append(AnswerProblem(question.id, f"not answered: {question.text}"))
            continue
        try:
            points[question.id] = points_for(question, answers[question.id])
        except ValueError as error:
            problems.append(AnswerProblem(question.id, str(error)))
    if problems:
        raise InvalidAnswers(problems)

    raw: dict[str, float] = {}
    gaps: list[tuple[float, int, ReadinessGap]] = []
    for order, dimension in enumerate(questionnaire.dimensions):
        questions = [q for q in questionnaire.questions if q.dimension == dimension.id]
        earned = sum(points[q.id] for q in questions)
        possible = sum(q.max_points for q in questions)
        raw[dimension.id] = 100 * earned / possible
        if earned < possible:
            # The concrete next step is the one of the question that lost the most points
            # (the first such question on a tie, so the answer is stable).
            weakest = max(questions, key=lambda q: q.max_points - points[q.id])
            gap = ReadinessGap(
                dimension=dimension.id,
                score=round(raw[dimension.id], 1),
                next_action=weakest.next_action,
                question_id=weakest.id,
            )
            gaps.append((raw[dimension.id], order, gap))

    overall = sum(raw.values()) / len(raw)
    level, capped_by = readiness_level(questionnaire, overall=overall, dimension_scores=raw)
    gaps.sort(key=lambda item: (item[0], item[1]))
    return ReadinessResult(
        dimension_scores={dimension: round(score, 1) for dimension, score in raw.items()},
        overall_score=round(overall, 1),
        level=level,
        top_gaps=[gap for _, _, gap in gaps[:TOP_GAPS]],
        level_capped_by=capped_by,
    )


def readiness_level(
    questionnaire: Questionnaire, *, overall: float, dimension_scores: dict[str, float]
) -> tuple[ReadinessLevel, str | None]:
    """The highest level the overall score reaches, capped by any gate whose dimension is too low."""
    order = [threshold.level for threshold in sorted(questionnaire.levels, key=lambda t: t.min)]
    level = max((t for t in questionnaire.levels if overall >= t.min), key=lambda t: t.min).level
    capped_by = None
    for gate in questionnaire.gates:
        if dimension_scores[gate.dimension] < gate.below and order.index(level) > order.index(gate.max_level):
            level, capped_by = gate.max_level, gate.reason
    return level, capped_by


# --- the five questions before any AI purchase ---------------------------------------------

MIN_PROBLEM_WORDS = 6


def review_purchase(
    review: PurchaseReviewSubmit, *, staff: list[StaffRole], systems: dict[str, str]
) -> tuple[Verdict, list[ReviewFinding]]:
    """Ready to buy only when all five answers hold up; each weak or missing one says why.

    The owner must be a role on the clinic's staff and the integration is checked against the
    systems in the clinic's profile, so an answer cannot be right in general but wrong here.
    """
    findings = [
        _problem_finding(review),
        _cost_finding(review),
        _owner_finding(review, staff=staff),
        _measure_finding(review),
        _integration_finding(review, systems=systems),
    ]
    verdict: Verdict = "ready_to_buy" if all(f.status == "strong" for f in findings) else "not_yet"
    return verdict, findings


def _problem_finding(review: PurchaseReviewSubmit) -> ReviewFinding:
    words = review.problem.split()
    if not words:
        return ReviewFinding(
            question="problem",
            status="missing",
            reason="Name the problem the tool solves before looking at tools.",
        )
    if len(words) < MIN_PROBLEM_WORDS:
        return ReviewFinding(
            question="problem",
            status="weak",
            reason="The problem is too vague: say which task, for whom, and what goes wrong "
            "(e.g. 'front desk misses 30% of calls between 8 and 10 am').",
        )
    return ReviewFinding(question="problem", status="strong", reason="The problem is stated.")


def _cost_finding(review: PurchaseReviewSubmit) -> ReviewFinding:
    cost = review.current_cost
    if cost is None or (cost.hours_per_week is None and cost.cost_per_week is None):
        return ReviewFinding(
            question="current_cost",
            status="missing",
            reason="State what the problem costs now (hours or money per week); the task audit measures it.",
        )
    if not (cost.hours_per_week or cost.cost_per_week):
        return ReviewFinding(
            question="current_cost",
            status="weak",
            reason="The problem costs nothing per week as stated: a tool cannot pay for itself.",
        )
    return ReviewFinding(question="current_cost", status="strong", reason="The current cost is known.")


def _owner_finding(review: PurchaseReviewSubmit, *, staff: list[StaffRole]) -> ReviewFinding:
    role = review.owner_role.strip()
    if not role:
        return ReviewFinding(
            question="owner",
            status="missing",
            reason="Name the staff role (and person) who owns implementation.",
        )
    roles = {member.role.strip().lower() for member in staff if member.headcount > 0}
    if role.lower() not in roles:
        known = ", ".join(sorted(roles)) or "none recorded"
        return ReviewFinding(
            question="owner",
            status="weak",
            reason=f"The owner role {role!r} is not on the clinic's staff ({known}); "
            "pick someone who works there or update the clinic's staff.",
        )
    if review.owner_id is None:
        return ReviewFinding(
            question="owner",
            status="weak",
            reason=f"A role ({role}) is named but no person: give owner_id, the owner's pseudonymous "
            "staff id (ma-12).",
        )
    return ReviewFinding(question="owner", status="strong", reason=f"{review.owner_id} ({role}) owns it.")


def _measure_finding(review: PurchaseReviewSubmit) -> ReviewFinding:
    measure = review.success_measure
    if measure is None or not measure.kpi.strip():
        return ReviewFinding(
            question="success_measure",
            status="missing",
            reason="Name the KPI that shows success (e.g. missed calls -50%), with a baseline and a target.",
        )
    if measure.baseline is None or measure.target is None:
        return ReviewFinding(
            question="success_measure",
            status="weak",
            reason=f"The KPI {measure.kpi!r} needs a measured baseline and a target before buying.",
        )
    if measure.baseline == measure.target:
        return ReviewFinding(
            question="success_measure",
            status="weak",
            reason=f"The target of {measure.kpi!r} equals its baseline: "
            "say what improvement counts as success.",
        )
    return ReviewFinding(
        question="success_measure",
        status="strong",
        reason=f"{measure.kpi}: from {measure.baseline:g} to {measure.target:g}.",
    )


def _integration_finding(review: PurchaseReviewSubmit, *, systems: dict[str, str]) -> ReviewFinding:
    if not review.integrates_with:
        return ReviewFinding(
            question="integration",
            status="missing",
            reason="Say which of the clinic's systems the tool must work with (emr, phone, ...) "
            "and the vendors it supports.",
        )
    clinic = {kind.strip().lower(): vendor for kind, vendor in systems.items()}
    problems = []
    for kind, vendors in review.integrates_with.items():
        kind_key = kind.strip().lower()
        if kind_key not in clinic:
            problems.append(f"the clinic has no {kind_key} on record (add it to the clinic profile)")
        elif clinic[kind_key].lower() not in {vendor.strip().lower() for vendor in vendors}:
            supported = ", ".join(vendors) or "none"
            problems.append(f"the clinic's {kind_key} is {clinic[kind_key]}, the tool supports {supported}")
    if problems:
        return ReviewFinding(
            question="integration", status="weak", reason="Does not integrate: " + "; ".join(problems) + "."
        )
    matched = ", ".join(f"{kind} ({clinic[kind.strip().lower()]})" for kind in review.integrates_with)
    return ReviewFinding(question="integration", status="strong", reason=f"Integrates with {matched}.")
