"""What the gate judges: a KPI's weekly sums (clinic, per clinician) and the series drawn from them."""

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from services.roadmap.plans.sizing import RAMP_UP_WEEKS
from services.roadmap.plans.targets import Better, Measure
from services.roadmap.plans.weekly import centered_group_series, week_position
from shared.kpi_measures import KPI_MEASURES

ValueOf = Callable[[float, float], float | None]  # a week's log value from its two sums

# The gate's KPIs, from the one table of what each KPI measures (shared/kpi_measures.py).
RATE_KPIS = frozenset(kpi for kpi, (measure, _) in KPI_MEASURES.items() if measure == "rate")
DURATION_KPIS = frozenset(kpi for kpi, (measure, _) in KPI_MEASURES.items() if measure == "duration")
HIGHER_IS_BETTER = frozenset(kpi for kpi, (_, better) in KPI_MEASURES.items() if better == "higher")


def gate_kpi(kpi: str) -> tuple[Measure, Better] | None:
    """How the gate judges a KPI (rate or duration, which way is better); None: not from weekly sums."""
    measure, better = KPI_MEASURES.get(kpi, ("other", "higher"))
    if measure in ("rate", "duration", "count"):
        return measure, better
    return None


@dataclass(frozen=True)
class WeekCounts:
    """One complete local ISO week's sums: a rate's numerator and denominator, or minutes and notes."""

    week: str  # "2026-W10"
    events: float  # rate KPI: numerator count; duration KPI: minutes summed
    total: float  # rate KPI: denominator count; duration KPI: notes


@dataclass(frozen=True)
class ClinicianWeeks:
    """One clinician's weeks, and whether they are in the pilot group (else the concurrent control)."""

    staff_id: str
    pilot: bool
    weeks: tuple[WeekCounts, ...]


@dataclass(frozen=True)
class HandBaselineFigure:
    """A baseline typed by hand: one figure standing for `weeks` weeks of `weekly_volume` each."""

    value: float  # a share in [0, 1] or minutes per note
    weekly_volume: float | None
    weeks: float
    source: str  # audit | manual_count | emr_report


@dataclass(frozen=True)
class GateData:
    """Everything the gate judges: the KPI, the two windows and the weekly counts behind them."""

    kpi: str
    measure: Literal["rate", "duration", "count"]
    better: Literal["lower", "higher"]
    baseline_weeks: tuple[str, ...]
    pilot_weeks: tuple[str, ...]  # complete local weeks between the pilot's start and the gate
    clinic: tuple[WeekCounts, ...] = ()
    clinicians: tuple[ClinicianWeeks, ...] = ()
    hand_baseline: HandBaselineFigure | None = None
    ramp_up_weeks: int = RAMP_UP_WEEKS


def group_series(
    members: Iterable[ClinicianWeeks], value: ValueOf, data: GateData, baseline: list[str], judged: list[str]
) -> dict[str, float]:
    """A group's weeks: pooled counts (rates); each clinician against their own baseline (durations)."""
    members = list(members)
    if data.measure == "rate":
        pooled = pooled_counts(members)
        return {w: v for w, c in pooled.items() if (v := value(c.events, c.total)) is not None}
    per_member = [
        {c.week: v for c in member.weeks if (v := value(c.events, c.total)) is not None} for member in members
    ]
    return centered_group_series(per_member, baseline, judged)


def pooled_counts(members: Iterable[ClinicianWeeks]) -> dict[str, WeekCounts]:
    sums: dict[str, list[float]] = {}
    for member in members:
        for counts in member.weeks:
            if finite_counts(counts) and counts.events >= 0 and counts.total > 0:
                pair = sums.setdefault(counts.week, [0.0, 0.0])
                pair[0] += counts.events
                pair[1] += counts.total
    return {week: WeekCounts(week, events, total) for week, (events, total) in sums.items()}


def has_both(member: ClinicianWeeks, value: ValueOf, baseline: list[str], judged: list[str]) -> bool:
    weeks = {c.week for c in member.weeks if value(c.events, c.total) is not None}
    return bool(weeks & set(baseline)) and bool(weeks & set(judged))


def paired_count(
    members: list[ClinicianWeeks], value: ValueOf, baseline: list[str], judged: list[str]
) -> int:
    return sum(1 for member in members if has_both(member, value, baseline, judged))


def finite_counts(counts: WeekCounts) -> bool:
    return math.isfinite(counts.events) and math.isfinite(counts.total)


def valid_weeks(weeks: Iterable[str]) -> list[str]:
    """The complete weeks that are ISO weeks, once each, in calendar order."""
    known = {week for week in weeks if isinstance(week, str) and week_position(week) is not None}
    return sorted(known, key=lambda week: week_position(week) or 0)
