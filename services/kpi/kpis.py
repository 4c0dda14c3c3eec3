"""KPI math: plain functions, data in, data out. No database, no broker, no clock.

The aggregator turns each partner event into counter increments (services/kpi/counters.py) for
its clinic and the *event's* day (or its cohort's: a no-show on its visit's date); everything else
here reads those counters back: KPI values by day or ISO week (`compute_kpi`), the sums behind a
week's value (`week_counts`, `clinician_weeks`), the baseline over a window and progress toward a target.
The alerts an officer must hear about are in alert_rules.py (control charts, control_charts.py).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict

from services.kpi.counters import (  # re-exported: the per-event tables live in counters.py
    ANSWERED_WITHIN_BUSINESS_DAY,
    COUNTERS,
    RESPONSE_HISTOGRAM_CAP,
    RESPONSE_HISTOGRAM_PREFIX,
    Counters,
    counters_for,
    dated_counters,
)
from shared.calendar import iso_week
from shared.events.kpi import ClinicianWeek, KpiName, WeekCounts

__all__ = [
    "ANSWERED_WITHIN_BUSINESS_DAY",
    "COUNTERS",
    "RESPONSE_HISTOGRAM_CAP",
    "RESPONSE_HISTOGRAM_PREFIX",
    "Counters",
    "counters_for",
    "dated_counters",
]

DEFINITIONS_FILE = Path(__file__).parent / "kpis.yaml"
# The snapshot's clinicians list holds at most this many (the contract's bound).
MAX_CLINICIANS = 500

Granularity = Literal["day", "week"]


Kind = Literal["ratio", "share_within", "count", "median", "distinct_staff", "pilot_adoption", "audit"]


class KpiDefinition(BaseModel):
    """One KPI as data (see kpis.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: KpiName
    title: str
    unit: Literal["ratio", "minutes", "staff", "per_week", "hours"]
    better: Literal["lower", "higher"]
    kind: Kind
    numerator: tuple[str, ...] = ()
    denominator: tuple[str, ...] = ()
    # Complete weeks to wait before a week's value is final (its cohort's events still arriving).
    lag_weeks: int = 0


@cache
def definitions() -> tuple[KpiDefinition, ...]:
    """Every KPI, in the order of kpis.yaml."""
    raw = yaml.safe_load(DEFINITIONS_FILE.read_text())
    return tuple(KpiDefinition.model_validate(item) for item in raw["kpis"])


def definition(name: str) -> KpiDefinition:
    return next(item for item in definitions() if item.name == name)


@dataclass(slots=True)
class NoteSums:
    """One clinician's signed notes over a period: how many, their documentation minutes, AI-assisted."""

    notes: float = 0.0
    minutes: float = 0.0
    ai_assisted: float = 0.0

    def add(self, other: "NoteSums") -> None:
        self.notes += other.notes
        self.minutes += other.minutes
        self.ai_assisted += other.ai_assisted


@dataclass
class PeriodData:
    """Everything known about one clinic over a period: counters, AI-tool staff, notes per clinician."""

    counters: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    staff_minutes: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    staff_notes: defaultdict[str, NoteSums] = field(default_factory=lambda: defaultdict(NoteSums))

    def add(self, other: "PeriodData") -> None:
        for name, value in other.counters.items():
            self.counters[name] += value
        for staff_id, minutes in other.staff_minutes.items():
            self.staff_minutes[staff_id] += minutes
        for staff_id, sums in other.staff_notes.items():
            self.staff_notes[staff_id].add(sums)


@dataclass(frozen=True)
class KpiValue:
    """A KPI for one period: a value, or None with the reason there is none."""

    value: float | None
    sample_size: int
    no_data: str | None = None


AUDIT_ONLY = "measured by a short time audit (the audit's task log), not from partner events"


def _sum(counters: Mapping[str, float], names: Sequence[str]) -> float:
    return sum(counters.get(name, 0.0) for name in names)


def compute_kpi(
    kpi: KpiDefinition, data: PeriodData, *, pilot_group: Sequence[str] = (), period_days: int = 7
) -> KpiValue:
    """The value of `kpi` over one period's data of `period_days` days; never divides by zero.

    A count KPI is a pace per week (count x 7 / days), so a day, a week and a baseline window compare.
    """
    if kpi.kind in ("distinct_staff", "pilot_adoption"):
        return _staff_kpi(kpi, data, pilot_group=pilot_group)
    if kpi.kind == "audit":
        return KpiValue(None, 0, AUDIT_ONLY)
    if kpi.kind == "median":
        histogram = response_histogram(data.counters)
        if not histogram:
            return KpiValue(None, 0, "no answered messages in this period")
        return KpiValue(histogram_median(histogram), round(sum(histogram.values())))
    return _counter_kpi(kpi, data.counters, period_days=period_days)


def _counter_kpi(kpi: KpiDefinition, counters: Mapping[str, float], *, period_days: int) -> KpiValue:
    if kpi.kind == "count":
        count = _sum(counters, kpi.numerator)
        # No partner event at all is no data; a live clinic with none of these is a real zero.
        if count <= 0 and counters.get("events", 0.0) <= 0:
            return KpiValue(None, 0, "no partner events in this period")
        return KpiValue(count * 7 / max(period_days, 1), round(count))
    denominator = _sum(counters, kpi.denominator)
    if denominator <= 0:
        return KpiValue(None, 0, f"no {' / '.join(kpi.denominator)} in this period")
    if kpi.kind == "share_within":
        # Answers to last period's messages can outnumber this period's arrivals: a share, so at most 1.
        return KpiValue(min(_sum(counters, kpi.numerator) / denominator, 1.0), round(denominator))
    return KpiValue(_sum(counters, kpi.numerator) / denominator, round(denominator))


def week_counts(kpi: KpiDefinition, data: PeriodData) -> WeekCounts | None:
    """The sums behind one week's value (value = events / total), or None where there are none.

    A rate: its numerator over its denominator; a duration: minutes over notes (or checks); a count:
    the count over one week. Medians, staff KPIs and audit-measured ones have no such sums.
    """
    counters = data.counters
    if kpi.kind == "count":
        value = compute_kpi(kpi, data)
        return None if value.value is None else WeekCounts(events=_sum(counters, kpi.numerator), total=1.0)
    if kpi.kind not in ("ratio", "share_within"):
        return None
    total = _sum(counters, kpi.denominator)
    if total <= 0:
        return None
    events = _sum(counters, kpi.numerator)
    return WeekCounts(events=min(events, total) if kpi.kind == "share_within" else events, total=total)


# KPIs whose events name the clinician (partner.note.signed's staff_id): (events, total) of one's notes.
CLINICIAN_SUMS: dict[str, Callable[[NoteSums], tuple[float, float]]] = {
    "documentation_minutes_per_note": lambda sums: (sums.minutes, sums.notes),
    "ai_assisted_note_share": lambda sums: (sums.ai_assisted, sums.notes),
}


def clinician_weeks(
    kpi: KpiDefinition, data: PeriodData, *, pilot_group: Sequence[str]
) -> list[ClinicianWeek]:
    """One entry per clinician with notes in the period, for KPIs whose events name staff; else none.

    Ordered by staff id; beyond the contract's bound the pilot group is kept first.
    """
    sums_of = CLINICIAN_SUMS.get(kpi.name)
    if sums_of is None:
        return []
    group = set(pilot_group)
    weeks = []
    for staff_id in sorted(data.staff_notes, key=lambda staff: (staff not in group, staff)):
        sums = data.staff_notes[staff_id]
        if sums.notes <= 0:
            continue
        events, total = sums_of(sums)
        weeks.append(ClinicianWeek(staff_id=staff_id, pilot=staff_id in group, events=events, total=total))
        if len(weeks) == MAX_CLINICIANS:
            break
    return sorted(weeks, key=lambda week: week.staff_id)


def final_weeks(kpi: KpiDefinition, weeks: Sequence[str], *, as_of: date) -> list[str]:
    """The weeks whose value is final as of a day: `lag_weeks` complete weeks have ended since."""
    if kpi.lag_weeks <= 0:
        return list(weeks)
    this_week = as_of - timedelta(days=as_of.isoweekday() - 1)
    last_final_start = this_week - timedelta(weeks=kpi.lag_weeks + 1)
    return [week for week in weeks if week_start(week) <= last_final_start]


def _staff_kpi(kpi: KpiDefinition, data: PeriodData, *, pilot_group: Sequence[str]) -> KpiValue:
    sessions = data.counters.get("ai_sessions", 0.0)
    if sessions <= 0:
        return KpiValue(None, 0, "no AI-tool sessions in this period")
    active = set(data.staff_minutes)  # every staff id here had at least one session
    if kpi.kind == "distinct_staff":
        return KpiValue(float(len(active)), round(sessions))
    group = set(pilot_group)
    if not group:
        return KpiValue(None, 0, "no pilot group: approve an initiative with one")
    return KpiValue(len(group & active) / len(group), len(group))


def response_histogram(counters: Mapping[str, float]) -> dict[int, float]:
    return {
        int(name.removeprefix(RESPONSE_HISTOGRAM_PREFIX)): count
        for name, count in counters.items()
        if name.startswith(RESPONSE_HISTOGRAM_PREFIX) and count > 0
    }


def histogram_median(histogram: Mapping[int, float]) -> float:
    """The median of values given as value -> count (the mean of the two middle ones when even)."""
    total = sum(histogram.values())
    ordered = sorted(histogram.items())

    def value_at(rank: float) -> int:
        seen = 0.0
        for value, count in ordered:
            seen += count
            if seen >= rank:
                return value
        return ordered[-1][0]

    if total % 2:
        return float(value_at((total + 1) / 2))
    return (value_at(total / 2) + value_at(total / 2 + 1)) / 2


def week_start(week: str) -> date:
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 1)


def period_of(day: date, granularity: Granularity) -> str:
    return iso_week(day) if granularity == "week" else day.isoformat()


def group_periods(days: Mapping[date, PeriodData], granularity: Granularity) -> dict[str, PeriodData]:
    """Per-day data summed into days or ISO weeks (Monday to Sunday, ISO week-numbering year)."""
    periods: dict[str, PeriodData] = {}
    for day in sorted(days):
        periods.setdefault(period_of(day, granularity), PeriodData()).add(days[day])
    return periods


def periods_between(start: date, end: date, granularity: Granularity) -> list[str]:
    """Every period label from `start` to `end` inclusive, so empty periods show as "no data"."""
    labels: list[str] = []
    day = start
    while day <= end:
        label = period_of(day, granularity)
        if not labels or labels[-1] != label:
            labels.append(label)
        day += timedelta(days=1)
    return labels


def baseline_value(
    kpi: KpiDefinition,
    days: Mapping[date, PeriodData],
    *,
    start: date,
    end: date,
    pilot_group: Sequence[str] = (),
) -> KpiValue:
    """The KPI over the baseline window [start, end].

    Rates pool the whole window (a week with few calls weighs less); staff counts, which are
    per-week by nature, average the weeks of the window; counts are the window's pace per week.
    """
    window = {day: data for day, data in days.items() if start <= day <= end}
    if kpi.kind in ("distinct_staff", "pilot_adoption"):
        weeks = group_periods(window, "week")
        values = [compute_kpi(kpi, data, pilot_group=pilot_group) for data in weeks.values()]
        known = [item.value for item in values if item.value is not None]
        if not known:
            return KpiValue(None, 0, "no data in the baseline window")
        return KpiValue(sum(known) / len(known), sum(item.sample_size for item in values))
    pooled = PeriodData()
    for data in window.values():
        pooled.add(data)
    result = compute_kpi(kpi, pooled, pilot_group=pilot_group, period_days=(end - start).days + 1)
    if result.value is None:
        return KpiValue(None, 0, AUDIT_ONLY if kpi.kind == "audit" else "no data in the baseline window")
    return result


def target_value(baseline: float | None, target_change_pct: float) -> float | None:
    """The target: the baseline moved by the initiative's percentage (e.g. -30 %)."""
    return None if baseline is None else baseline * (1 + target_change_pct / 100)


def progress(value: float | None, *, baseline: float | None, target: float | None) -> float | None:
    """Share of the way from baseline (0) to target (1); negative when it moved the wrong way."""
    if value is None or baseline is None or target is None or target == baseline:
        return None
    return (value - baseline) / (target - baseline)


def merge_days(
    rows: Iterable[tuple[date, str, float]],
    staff_rows: Iterable[tuple[date, str, float]],
    note_rows: Iterable[tuple[date, str, float, float, float]] = (),
) -> dict[date, PeriodData]:
    """Per-day PeriodData from (day, counter, value), (day, staff id, AI-tool minutes) and
    (day, staff id, notes, documentation minutes, AI-assisted notes) rows."""
    days: dict[date, PeriodData] = {}
    for day, name, value in rows:
        days.setdefault(day, PeriodData()).counters[name] += value
    for day, staff_id, minutes in staff_rows:
        days.setdefault(day, PeriodData()).staff_minutes[staff_id] += minutes
    for day, staff_id, notes, note_minutes, ai_assisted in note_rows:
        days.setdefault(day, PeriodData()).staff_notes[staff_id].add(
            NoteSums(notes, note_minutes, ai_assisted)
        )
    return days
