"""Alerts that respect noise: Laney P'/U' charts for small weekly counts, clinician lifecycle, stale feeds.

Weekly clinic counts vary more from week to week than a binomial (or Poisson) model says, so a plain
p-chart false-alarms in most 26-week series with no real change. Laney's P' (and U') chart widens
the limits by sigma_z, the spread of the weeks' z-scores measured by their average moving range.
The rules guard against false alerts the way PostHog's do: the incomplete current week is never
scored, a chart needs enough reference weeks, a zero spread is never divided by, weeks with tiny
counts are ignored, and rates are scored, not raw totals.

Pure functions, no I/O: kpi's evaluation calls them with its weekly counts.
"""

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

ChartKind = Literal["p", "u"]  # p: events out of trials (a share); u: events per unit of exposure (a rate)
Direction = Literal["down", "up"]
ClinicianState = Literal["new", "returning", "resurrecting", "dormant"]

MIN_REFERENCE_WEEKS = 14  # fewer reference weeks estimate the centre and sigma_z too poorly: no alert
RECENT_WEEKS = 3  # the weeks under test, kept out of the reference so a real change cannot hide itself
MIN_WEEK_TOTAL = 10.0  # a week with fewer trials (or units) is too small to score
POINT_LIMIT = 3.3  # one week beyond 3.3 sigma' (Laney's limits, widened for the second rule's share)
RECENT_LIMIT = 2.6  # the last three weeks pooled, beyond 2.6 standard errors (reference uncertainty included)
MOVING_RANGE_D2 = 1.128  # d2 for moving ranges of two points: sigma = mean moving range / d2


@dataclass(frozen=True)
class WeekCount:
    """One complete ISO week: events out of `total` trials (p chart) or per `total` units (u chart)."""

    week: str
    events: float
    total: float


@dataclass(frozen=True)
class ChartSignal:
    """A control-chart alert with the rule that fired, its limits and the points that broke them."""

    rule: Literal["beyond_limit", "three_week_shift"]
    direction: Direction
    week: str
    centre: float
    sigma_z: float
    lower_limit: float
    upper_limit: float
    points: list[tuple[str, float]]  # (week, rate) of the weeks that broke the limit
    reference_weeks: list[str]
    message: str

    def evidence(self) -> dict[str, float | str]:
        """Flat figures for an alert event (kpi.alert.v1 carries a flat dict)."""
        figures: dict[str, float | str] = {
            "rule": self.rule,
            "direction": self.direction,
            "centre": round(self.centre, 4),
            "sigma_z": round(self.sigma_z, 3),
            "lower_limit": round(self.lower_limit, 4),
            "upper_limit": round(self.upper_limit, 4),
            "reference_from": self.reference_weeks[0],
            "reference_to": self.reference_weeks[-1],
        }
        for week, value in self.points:
            figures[f"point_{week}"] = round(value, 4)
        return figures


def scored_weeks(points: Sequence[WeekCount], *, current_week: str | None = None) -> list[WeekCount]:
    """The weeks a chart may score: complete (before `current_week`) and not tiny."""
    return [
        point
        for point in points
        if (current_week is None or point.week < current_week) and point.total >= MIN_WEEK_TOTAL
    ]


def shift_signal(
    points: Sequence[WeekCount],
    *,
    kind: ChartKind = "p",
    direction: Direction = "down",
    current_week: str | None = None,
) -> ChartSignal | None:
    """A Laney P' / U' chart on the latest complete week: a signal when the rate moved in `direction`.

    The reference is every scored week before the last three. Two rules, one-sided:
    `beyond_limit` (the latest week beyond 3.3 sigma'), `three_week_shift` (the last three weeks
    pooled, beyond 2.6 standard errors of their pooled volume with the reference's own uncertainty
    and sigma_z: a run of low weeks that is no longer noise).
    """
    weeks = scored_weeks(points, current_week=current_week)
    reference, recent = weeks[:-RECENT_WEEKS], weeks[-RECENT_WEEKS:]
    if len(reference) < MIN_REFERENCE_WEEKS or len(recent) < RECENT_WEEKS:
        return None
    reference_total = sum(point.total for point in reference)
    centre = sum(point.events for point in reference) / reference_total
    spread = _unit_variance(centre, kind)
    if spread <= 0:
        return None  # a centre of 0 (or 100 %): no spread to score against
    sigma_z = _laney_sigma_z(reference, centre=centre, spread=spread)
    sign = -1.0 if direction == "down" else 1.0
    reference_weeks = [point.week for point in reference]
    latest = recent[-1]
    point_sigma = sigma_z * math.sqrt(spread / latest.total)
    lower, upper = centre - POINT_LIMIT * point_sigma, centre + POINT_LIMIT * point_sigma
    latest_rate = latest.events / latest.total
    if sign * (latest_rate - centre) > POINT_LIMIT * point_sigma:
        return ChartSignal(
            rule="beyond_limit",
            direction=direction,
            week=latest.week,
            centre=centre,
            sigma_z=sigma_z,
            lower_limit=lower,
            upper_limit=upper,
            points=[(latest.week, latest_rate)],
            reference_weeks=reference_weeks,
            message=(
                f"{latest.week}: {latest_rate:.3g} is beyond the {'lower' if sign < 0 else 'upper'} limit "
                f"({lower if sign < 0 else upper:.3g}) of a Laney {kind.upper()}' chart "
                f"centred on {centre:.3g}"
            ),
        )
    recent_total = sum(point.total for point in recent)
    recent_rate = sum(point.events for point in recent) / recent_total
    recent_se = sigma_z * math.sqrt(spread * (1 / recent_total + 1 / reference_total))
    if sign * (recent_rate - centre) > RECENT_LIMIT * recent_se:
        low, high = centre - RECENT_LIMIT * recent_se, centre + RECENT_LIMIT * recent_se
        return ChartSignal(
            rule="three_week_shift",
            direction=direction,
            week=latest.week,
            centre=centre,
            sigma_z=sigma_z,
            lower_limit=low,
            upper_limit=high,
            points=[(point.week, point.events / point.total) for point in recent],
            reference_weeks=reference_weeks,
            message=(
                f"{recent[0].week} to {latest.week}: {recent_rate:.3g} over three weeks is beyond the "
                f"{'lower' if sign < 0 else 'upper'} limit ({low if sign < 0 else high:.3g}) of a Laney "
                f"{kind.upper()}' chart centred on {centre:.3g}"
            ),
        )
    return None


def _unit_variance(centre: float, kind: ChartKind) -> float:
    """Variance of one trial (p) or one unit (u) at the centre: binomial p(1-p), Poisson u."""
    return centre * (1 - centre) if kind == "p" else centre


def _laney_sigma_z(reference: Sequence[WeekCount], *, centre: float, spread: float) -> float:
    """Laney's sigma_z: the spread of the weeks' z-scores from their mean moving range, never below 1.

    Below 1 the weeks vary less than binomial/Poisson noise: the plain chart's limits are kept
    rather than narrowed (and a zero moving range is never divided by).
    """
    z_scores = [
        (point.events / point.total - centre) / math.sqrt(spread / point.total) for point in reference
    ]
    moving_ranges = [abs(later - earlier) for earlier, later in itertools.pairwise(z_scores)]
    return max(sum(moving_ranges) / len(moving_ranges) / MOVING_RANGE_D2, 1.0)


@dataclass(frozen=True)
class LifecycleWeek:
    """Every pilot clinician's state in one week, from the weeks each one used the tool."""

    week: str
    states: dict[str, ClinicianState] = field(default_factory=dict)

    def count(self, state: ClinicianState) -> int:
        return sum(1 for value in self.states.values() if value == state)


def clinician_lifecycle(active_weeks: Mapping[str, set[str]], weeks: Sequence[str]) -> list[LifecycleWeek]:
    """Per week: new (first use), returning (used last week too), resurrecting (back after a gap),
    dormant (used last week, not this week). Clinicians in none of these are left out of the week.

    `active_weeks` maps a pseudonymous staff id to the ISO weeks they used the tool; `weeks` are
    the consecutive complete weeks to classify, oldest first.
    """
    lifecycle = []
    for index, week in enumerate(weeks):
        previous = weeks[index - 1] if index else None
        states: dict[str, ClinicianState] = {}
        for staff_id, active in active_weeks.items():
            used_before = any(earlier < week for earlier in active)
            if week in active:
                if not used_before:
                    states[staff_id] = "new"
                elif previous is not None and previous in active:
                    states[staff_id] = "returning"
                else:
                    states[staff_id] = "resurrecting"
            elif previous is not None and previous in active:
                states[staff_id] = "dormant"
        lifecycle.append(LifecycleWeek(week=week, states=states))
    return lifecycle


def dormancy_signal(lifecycle: Sequence[LifecycleWeek], *, weeks_running: int = 2) -> str | None:
    """An alert when the dormant outnumber the returning plus resurrecting, `weeks_running` weeks in a row."""
    if len(lifecycle) < weeks_running:
        return None
    last = lifecycle[-weeks_running:]
    if all(week.count("dormant") > week.count("returning") + week.count("resurrecting") for week in last):
        figures = "; ".join(
            f"{week.week}: {week.count('dormant')} dormant vs {week.count('returning')} returning "
            f"+ {week.count('resurrecting')} resurrecting"
            for week in last
        )
        return f"more pilot clinicians stopped using the tool than kept or resumed using it: {figures}"
    return None


# How far back a feed's quiet open days are looked for (a clinic closed for weeks is not judged).
MAX_LOOK_BACK_DAYS = 45


@dataclass(frozen=True)
class FeedStatus:
    """Whether a partner that used to send events has gone quiet."""

    stale: bool
    last_event_day: date | None
    usual_events_per_day: float
    message: str


def feed_status(
    daily_events: Mapping[date, int],
    *,
    today: date,
    is_open: Callable[[date], bool] = lambda day: True,
    quiet_days: int = 3,
    history_days: int = 28,
) -> FeedStatus:
    """A feed is stale when its last `quiet_days` complete open days had no events though it used to
    send on open days.

    Only the clinic's open days count (`is_open`): the Tuesday after a Monday holiday, or the Monday
    of a clinic closed on weekends, is not the third quiet day. Today is incomplete and never scored.
    A feed that never sent much (under one event an open day over the history) is not called stale:
    its silence is not news. When a feed is stale, an adoption drop on its KPIs is a broken
    integration until the feed is back, not a collapse.
    """
    earlier = [today - timedelta(days=offset) for offset in range(1, MAX_LOOK_BACK_DAYS + 1)]
    quiet = [day for day in earlier if is_open(day)][:quiet_days]
    if len(quiet) < quiet_days:  # barely open in weeks: nothing to judge silence by
        quiet = earlier[:quiet_days]
    # The quiet span runs from yesterday back to the oldest quiet open day, closed days included.
    span = earlier.index(quiet[-1]) + 1
    history = [day for day in earlier[span : span + history_days] if is_open(day)]
    usual = sum(daily_events.get(day, 0) for day in history) / max(len(history), 1)
    seen = [day for day, count in daily_events.items() if count > 0 and day < today]
    last = max(seen) if seen else None
    silent = all(daily_events.get(day, 0) == 0 for day in earlier[:span])
    stale = silent and usual >= 1.0
    message = (
        f"no partner events for {quiet_days} open days (last on {last}), after about {usual:.0f} an "
        "open day: check the integration before reading adoption"
        if stale
        else "the feed is live"
    )
    return FeedStatus(stale=stale, last_event_day=last, usual_events_per_day=usual, message=message)
