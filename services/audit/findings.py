"""What a closed audit window shows: where the hours go and what is worth automating first.

Plain functions over plain data (no database, no clock), so the arithmetic can be checked
by hand in tests. All figures are per week of the clinic's working days: what a window logged
is scaled by open_days_per_week / open_days_covered, the clinic's open days in a week over the
open days the window actually covered (to its early close, if any; holidays and closures not
counted). A Monday-to-Friday window of a Monday-to-Friday clinic is one week as logged, and one
closed after three of those days counts 5/3, whatever its planned length.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field

from services.audit.models import Predictability, TaskCategory

# How much of a task's time a predictability level leaves to automation: steps that are always
# the same can be scripted; steps that vary need a person's judgement most of the time.
PREDICTABILITY_WEIGHT: dict[Predictability, float] = {
    Predictability.always_same: 1.0,
    Predictability.mostly_same: 0.6,
    Predictability.varies: 0.2,
}

# A task done this many times a week across the practice (about daily) counts as fully recurring.
RECURRING_TIMES_PER_WEEK = 5

# Below this share of the staff logging, weekly hours are a guess: the audit is low-confidence.
MIN_STAFF_COVERAGE = 0.6

# An hour of any clinic role costs less than this. A larger figure (or Infinity, NaN) is a typo
# in the clinic profile; pricing hours with it would make every total meaningless or infinite.
MAX_HOURLY_COST = 10_000.0


def usable_hourly_cost(value: float | None) -> float | None:
    """The hourly cost if it can price hours (finite, 0 to MAX_HOURLY_COST), else None."""
    if value is None or not math.isfinite(value) or not 0 <= value <= MAX_HOURLY_COST:
        return None
    return value


@dataclass(frozen=True)
class Solution:
    """The kind of solution that fits a category, how well the category suits automation at all
    (0-1), and the share of its predictable hours such solutions typically save (low, high)."""

    name: str
    suitability: float
    saves_low: float
    saves_high: float


SOLUTIONS: dict[TaskCategory, Solution] = {
    TaskCategory.documentation: Solution("AI scribe (ambient clinical documentation)", 0.9, 0.3, 0.5),
    TaskCategory.appointment_scheduling: Solution(
        "automated confirmations and reminders, or an AI receptionist for scheduling calls", 0.9, 0.3, 0.6
    ),
    TaskCategory.insurance_verification: Solution("eligibility verification automation", 0.9, 0.4, 0.7),
    TaskCategory.patient_communication: Solution(
        "patient-message assistant for repeated questions", 0.8, 0.2, 0.4
    ),
    TaskCategory.follow_up_calls: Solution("automated follow-up calls and text outreach", 0.8, 0.3, 0.5),
    TaskCategory.billing: Solution("claim scrubbing and billing automation", 0.7, 0.2, 0.4),
    TaskCategory.referral_coordination: Solution(
        "referral management automation (fax intake, status tracking)", 0.6, 0.2, 0.4
    ),
    TaskCategory.marketing: Solution("AI-assisted content and review requests", 0.5, 0.2, 0.4),
    TaskCategory.internal_admin: Solution("workflow automation for forms and shared inboxes", 0.4, 0.1, 0.3),
    TaskCategory.other: Solution("review case by case before choosing a tool", 0.1, 0.05, 0.15),
}


@dataclass(frozen=True)
class LoggedTask:
    """One log entry, reduced to what the findings need (no dates, no free text beyond the label)."""

    staff_id: str
    role: str
    category: TaskCategory
    description: str
    minutes: int  # one occurrence
    occurrences: int
    predictability: Predictability

    @property
    def total_minutes(self) -> int:
        return self.minutes * self.occurrences


@dataclass(frozen=True)
class RoleCost:
    """A role of the clinic profile: how many people, what an hour of theirs costs."""

    role: str
    headcount: int
    hourly_cost: float | None  # None: not known, or not usable (see usable_hourly_cost)


class CategoryFinding(BaseModel):
    category: TaskCategory
    hours_per_week: float
    cost_per_week: float
    share_of_hours: float
    predictability: float
    repetitiveness: float


class RoleFinding(BaseModel):
    role: str
    hourly_cost: float | None
    headcount: int
    staff_logged: int
    hours_per_week: float
    cost_per_week: float


class CandidateFinding(BaseModel):
    rank: int
    category: TaskCategory
    solution: str
    hours_per_week: float
    cost_per_week: float
    predictability: float
    suitability: float
    score: float
    hours_saved_low: float
    hours_saved_high: float
    roles: list[str]
    top_tasks: list[str]
    distinct_tasks: int
    occurrences_per_week: float = 0.0  # how often its tasks happen a week: a per-encounter price's volume


class RoleCoverage(BaseModel):
    role: str
    headcount: int
    staff_logged: int
    missing: int


class Coverage(BaseModel):
    staff_expected: int
    staff_logged: int
    ratio: float
    low_confidence: bool
    roles: list[RoleCoverage]
    missing: list[str]
    reason: str | None


class AuditFindings(BaseModel):
    window_days: int  # planned
    # Absent from findings made before: those were scaled by calendar days (7 / window_days).
    open_days_covered: int | None = Field(
        default=None,
        description="the clinic's open days from the window's first day to the day it closed",
    )
    open_days_per_week: int | None = Field(
        default=None, description="the clinic's open days in a week: figures are scaled by this / covered"
    )
    entries: int
    total_hours_per_week: float
    total_cost_per_week: float
    repetitiveness_score: float  # 0-100
    by_category: list[CategoryFinding]
    by_role: list[RoleFinding]
    candidates: list[CandidateFinding]
    coverage: Coverage
    unpriced_roles: list[str] = Field(
        default_factory=list,
        description="roles whose hourly cost is missing or unusable (not finite, or above "
        f"{MAX_HOURLY_COST:,.0f}): their hours count, their cost does not; fix the clinic profile at intake",
    )


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def weekly_factor(*, open_days_covered: int, open_days_per_week: int) -> float:
    """What turns a window's figures into a week's: 5 / 3 for a Monday-to-Friday clinic whose
    window covered three open days."""
    # A window may cover no open day at all (closed on its first day, a holiday); what was logged
    # then still counts, as if over one day, instead of dividing by zero.
    return open_days_per_week / max(open_days_covered, 1)


def weekly_occurrences(
    tasks: Iterable[LoggedTask], *, per_week: float
) -> dict[tuple[TaskCategory, str], float]:
    """How often each task (category + description) happens per week across the practice;
    `per_week` is the weekly_factor of the window."""
    counts: dict[tuple[TaskCategory, str], float] = defaultdict(float)
    for task in tasks:
        counts[(task.category, _key(task.description))] += task.occurrences * per_week
    return dict(counts)


def recurrence(times_per_week: float) -> float:
    """0-1: how recurring a task is; daily or more often is fully recurring."""
    return min(1.0, times_per_week / RECURRING_TIMES_PER_WEEK)


def rank_candidates(categories: Sequence[CategoryFinding]) -> list[tuple[CategoryFinding, float]]:
    """Categories worth automating, best first: weekly cost x predictability x suitability.

    Ties go to the higher weekly cost, then the category name, so the order is stable.
    """
    scored = [
        (
            category,
            category.cost_per_week * category.predictability * SOLUTIONS[category.category].suitability,
        )
        for category in categories
    ]
    scored = [(category, score) for category, score in scored if score > 0]
    return sorted(scored, key=lambda item: (-item[1], -item[0].cost_per_week, item[0].category.value))


def coverage_of(tasks: Sequence[LoggedTask], roles: Sequence[RoleCost]) -> Coverage:
    """Which roles and how many staff logged; low-confidence when too few did, naming who is missing."""
    logged_by_role: dict[str, set[str]] = defaultdict(set)
    for task in tasks:
        logged_by_role[_key(task.role)].add(task.staff_id)
    all_staff = {task.staff_id for task in tasks}
    role_coverage = []
    for role in roles:
        logged = len(logged_by_role.get(_key(role.role), set()))
        role_coverage.append(
            RoleCoverage(
                role=role.role,
                headcount=role.headcount,
                staff_logged=logged,
                missing=max(0, role.headcount - logged),
            )
        )
    expected = sum(role.headcount for role in roles)
    ratio = min(1.0, len(all_staff) / expected) if expected else (1.0 if all_staff else 0.0)
    silent_roles = [item.role for item in role_coverage if item.headcount > 0 and item.staff_logged == 0]
    missing = [f"{item.role}: {item.missing} of {item.headcount}" for item in role_coverage if item.missing]
    reasons = []
    if not all_staff:
        reasons.append("nobody logged any task")
    elif ratio < MIN_STAFF_COVERAGE:
        reasons.append(f"only {len(all_staff)} of {expected} staff logged (below {MIN_STAFF_COVERAGE:.0%})")
    if silent_roles and all_staff:
        reasons.append("no one logged for " + ", ".join(silent_roles))
    return Coverage(
        staff_expected=expected,
        staff_logged=len(all_staff),
        ratio=round(ratio, 3),
        low_confidence=bool(reasons),
        roles=role_coverage,
        missing=missing,
        reason="; ".join(reasons) or None,
    )


def compute_findings(
    *,
    tasks: Sequence[LoggedTask],
    roles: Sequence[RoleCost],
    window_days: int,
    open_days_covered: int,
    open_days_per_week: int,
) -> AuditFindings:
    """Hours and cost per week by category and role, repetitiveness, ranked candidates, coverage.

    `window_days` is only reported; the scaling is by open days (see the module's docstring).
    """
    per_week = weekly_factor(open_days_covered=open_days_covered, open_days_per_week=open_days_per_week)
    rates = {_key(role.role): usable_hourly_cost(role.hourly_cost) for role in roles}
    hourly = {role: rate for role, rate in rates.items() if rate is not None}
    times_per_week = weekly_occurrences(tasks, per_week=per_week)

    hours: dict[TaskCategory, float] = defaultdict(float)
    cost: dict[TaskCategory, float] = defaultdict(float)
    predictable_hours: dict[TaskCategory, float] = defaultdict(float)
    repetitive_hours: dict[TaskCategory, float] = defaultdict(float)
    role_hours: dict[str, float] = defaultdict(float)
    role_cost: dict[str, float] = defaultdict(float)
    category_roles: dict[TaskCategory, set[str]] = defaultdict(set)
    task_hours: dict[TaskCategory, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    task_label: dict[str, str] = {}

    for task in tasks:
        task_hours_per_week = task.total_minutes / 60 * per_week
        task_cost = task_hours_per_week * hourly.get(_key(task.role), 0.0)
        weight = PREDICTABILITY_WEIGHT[task.predictability]
        hours[task.category] += task_hours_per_week
        cost[task.category] += task_cost
        predictable_hours[task.category] += task_hours_per_week * weight
        repetitive_hours[task.category] += (
            task_hours_per_week * weight * recurrence(times_per_week[(task.category, _key(task.description))])
        )
        role_hours[_key(task.role)] += task_hours_per_week
        role_cost[_key(task.role)] += task_cost
        category_roles[task.category].add(task.role)
        task_hours[task.category][_key(task.description)] += task_hours_per_week
        task_label.setdefault(_key(task.description), task.description)

    total_hours = sum(hours.values())
    by_category = sorted(
        (
            CategoryFinding(
                category=category,
                hours_per_week=round(hours[category], 2),
                cost_per_week=round(cost[category], 2),
                share_of_hours=round(hours[category] / total_hours, 3) if total_hours else 0.0,
                predictability=round(predictable_hours[category] / hours[category], 3),
                repetitiveness=round(repetitive_hours[category] / hours[category], 3),
            )
            for category in hours
        ),
        key=lambda finding: (-finding.hours_per_week, finding.category.value),
    )
    by_role = sorted(
        (
            RoleFinding(
                role=role.role,
                hourly_cost=rates[_key(role.role)],
                headcount=role.headcount,
                staff_logged=len({t.staff_id for t in tasks if _key(t.role) == _key(role.role)}),
                hours_per_week=round(role_hours.get(_key(role.role), 0.0), 2),
                cost_per_week=round(role_cost.get(_key(role.role), 0.0), 2),
            )
            for role in roles
        ),
        key=lambda finding: (-finding.cost_per_week, finding.role),
    )

    candidates = []
    for rank, (finding, score) in enumerate(rank_candidates(by_category), start=1):
        solution = SOLUTIONS[finding.category]
        predictable = finding.hours_per_week * finding.predictability
        top = sorted(task_hours[finding.category].items(), key=lambda item: (-item[1], item[0]))[:3]
        candidates.append(
            CandidateFinding(
                rank=rank,
                category=finding.category,
                solution=solution.name,
                hours_per_week=finding.hours_per_week,
                cost_per_week=finding.cost_per_week,
                predictability=finding.predictability,
                suitability=solution.suitability,
                score=round(score, 2),
                hours_saved_low=round(predictable * solution.saves_low, 2),
                hours_saved_high=round(predictable * solution.saves_high, 2),
                roles=sorted(category_roles[finding.category]),
                top_tasks=[task_label[key] for key, _ in top],
                distinct_tasks=len(task_hours[finding.category]),
                occurrences_per_week=round(
                    sum(n for (category, _), n in times_per_week.items() if category == finding.category), 1
                ),
            )
        )

    repetitive_total = sum(repetitive_hours.values())
    return AuditFindings(
        window_days=window_days,
        open_days_covered=open_days_covered,
        open_days_per_week=open_days_per_week,
        entries=len(tasks),
        total_hours_per_week=round(total_hours, 2),
        total_cost_per_week=round(sum(cost.values()), 2),
        repetitiveness_score=round(100 * repetitive_total / total_hours, 1) if total_hours else 0.0,
        by_category=by_category,
        by_role=by_role,
        candidates=candidates,
        coverage=coverage_of(tasks, roles),
        unpriced_roles=[role.role for role in roles if rates[_key(role.role)] is None],
    )
