"""KPI math: plain functions, data in, data out. No database, no broker, no clock.

The aggregator turns each partner event into counter increments (`counters_for`) for its
clinic and the *event's* day; everything else here reads those counters back: KPI values
by day or ISO week (`compute_kpi`), the baseline over a window and progress toward a target.
The alerts an officer must hear about are in alert_rules.py (control charts, control_charts.py).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict

from shared.events.kpi import KpiName
from shared.events.partner import (
    AiToolSession,
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentNoShow,
    AppointmentRequested,
    CallAbandoned,
    CallAnswered,
    CallMissed,
    ClaimDenied,
    ClaimSubmitted,
    EligibilityChecked,
    MessageAnswered,
    MessageReceived,
    NoteSigned,
    PartnerEventBody,
    ReferralCompleted,
    ReferralSent,
)

DEFINITIONS_FILE = Path(__file__).parent / "kpis.yaml"
# Response minutes are kept as a histogram at one-minute resolution up to two days; slower
# answers share the last bucket. That keeps the median exact where it matters and storage bounded.
RESPONSE_HISTOGRAM_PREFIX = "message_response_minute:"
RESPONSE_HISTOGRAM_CAP = 2 * 24 * 60
# Messages answered within one business day of arriving, in the clinic's opening hours: counted by
# the aggregator, which knows the clinic's calendar (services/kpi/aggregate.py).
ANSWERED_WITHIN_BUSINESS_DAY = "messages_answered_within_business_day"

Granularity = Literal["day", "week"]


class KpiDefinition(BaseModel):
    """One KPI as data (see kpis.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: KpiName
    title: str
    unit: Literal["ratio", "minutes", "staff"]
    better: Literal["lower", "higher"]
    kind: Literal["ratio", "share_within", "median", "distinct_staff", "pilot_adoption"]
    numerator: tuple[str, ...] = ()
    denominator: tuple[str, ...] = ()


@cache
def definitions() -> tuple[KpiDefinition, ...]:
    """Every KPI, in the order of kpis.yaml."""
    raw = yaml.safe_load(DEFINITIONS_FILE.read_text())
    return tuple(KpiDefinition.model_validate(item) for item in raw["kpis"])


def definition(name: str) -> KpiDefinition:
    return next(item for item in definitions() if item.name == name)


# Increments of a clinic-day's counters: (name, amount) pairs.
Counters = tuple[tuple[str, float], ...]


def _message_answered(message: MessageAnswered) -> Counters:
    bucket = min(round(message.response_minutes), RESPONSE_HISTOGRAM_CAP)
    return (
        ("messages_answered", 1),
        ("message_response_minutes", message.response_minutes),
        (f"{RESPONSE_HISTOGRAM_PREFIX}{bucket}", 1),
    )


# What one event of each type adds to its clinic-day's counters. A table keyed by the body's
# class rather than a match statement: this runs for every event of the hot path, and each
# isinstance check against a pydantic model costs a quarter of a microsecond.
COUNTERS: dict[type[PartnerEventBody], Callable[[Any], Counters]] = {
    CallAnswered: lambda call: (("calls_answered", 1), ("call_wait_seconds", call.wait_seconds)),
    CallMissed: lambda call: (("calls_missed", 1), ("call_wait_seconds", call.wait_seconds)),
    CallAbandoned: lambda call: (("calls_abandoned", 1), ("call_wait_seconds", call.wait_seconds)),
    AppointmentRequested: lambda _: (("appointments_requested", 1),),
    AppointmentBooked: lambda _: (("appointments_booked", 1),),
    AppointmentCancelled: lambda _: (("appointments_cancelled", 1),),
    AppointmentNoShow: lambda _: (("appointments_no_show", 1),),
    NoteSigned: lambda note: (
        ("notes_signed", 1),
        ("documentation_minutes", note.documentation_minutes),
        ("notes_ai_assisted", 1 if note.ai_assisted else 0),
    ),
    MessageReceived: lambda _: (("messages_received", 1),),
    MessageAnswered: _message_answered,
    # Per staff member too: apply_activity_batch keeps each one's minutes by day.
    AiToolSession: lambda session: (("ai_sessions", 1), ("ai_minutes", session.minutes)),
    EligibilityChecked: lambda check: (
        ("eligibility_checks", 1),
        ("eligibility_minutes", check.minutes),
        ("eligibility_checks_automated", 1 if check.automated else 0),
    ),
    ClaimSubmitted: lambda _: (("claims_submitted", 1),),
    ClaimDenied: lambda _: (("claims_denied", 1),),
    ReferralSent: lambda _: (("referrals_sent", 1),),
    ReferralCompleted: lambda referral: (("referrals_completed", 1), ("referral_days", referral.days)),
}


def counters_for(body: PartnerEventBody) -> Counters:
    """The counter increments one partner event contributes to its clinic and day."""
    return (("events", 1), *COUNTERS[type(body)](body))


@dataclass
class PeriodData:
    """Everything known about one clinic over a period: summed counters and AI-tool staff."""

    counters: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    staff_minutes: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, other: "PeriodData") -> None:
        for name, value in other.counters.items():
            self.counters[name] += value
        for staff_id, minutes in other.staff_minutes.items():
            self.staff_minutes[staff_id] += minutes


@dataclass(frozen=True)
class KpiValue:
    """A KPI for one period: a value, or None with the reason there is none."""

    value: float | None
    sample_size: int
    no_data: str | None = None


def compute_kpi(kpi: KpiDefinition, data: PeriodData, *, pilot_group: Sequence[str] = ()) -> KpiValue:
    """The value of `kpi` over one period's data; never divides by zero."""
    if kpi.kind in ("distinct_staff", "pilot_adoption"):
        return _staff_kpi(kpi, data, pilot_group=pilot_group)
    counters = data.counters
    if kpi.kind == "median":
        histogram = response_histogram(counters)
        if not histogram:
            return KpiValue(None, 0, "no answered messages in this period")
        return KpiValue(histogram_median(histogram), round(sum(histogram.values())))
    denominator = sum(counters.get(name, 0.0) for name in kpi.denominator)
    if denominator <= 0:
        return KpiValue(None, 0, f"no {' / '.join(kpi.denominator)} in this period")
    if kpi.kind == "share_within":
        within = sum(counters.get(name, 0.0) for name in kpi.numerator)
        # Answers to last period's messages can outnumber this period's arrivals: a share, so at most 1.
        return KpiValue(min(within / denominator, 1.0), round(denominator))
    return KpiValue(sum(counters.get(name, 0.0) for name in kpi.numerator) / denominator, round(denominator))


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


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


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
    per-week by nature, average the weeks of the window.
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
    result = compute_kpi(kpi, pooled, pilot_group=pilot_group)
    if result.value is None:
        return KpiValue(None, 0, "no data in the baseline window")
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
    rows: Iterable[tuple[date, str, float]], staff_rows: Iterable[tuple[date, str, float]]
) -> dict[date, PeriodData]:
    """Per-day PeriodData from (day, counter, value) and (day, staff id, minutes) rows."""
    days: dict[date, PeriodData] = {}
    for day, name, value in rows:
        days.setdefault(day, PeriodData()).counters[name] += value
    for day, staff_id, minutes in staff_rows:
        days.setdefault(day, PeriodData()).staff_minutes[staff_id] += minutes
    return days
