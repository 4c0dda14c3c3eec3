"""Alerts that respect noise: Laney P'/U' charts on a stable reference, kept to a false-alarm budget.

Weekly clinic counts vary more from week to week than a binomial (or Poisson) model says, and
neighbouring weeks are alike (a busy month, a locum). Laney's P' (and U') chart widens the limits
by sigma_z, the spread of the weeks' z-scores. Here sigma_z is the larger of the moving-range
estimate and the long-run standard deviation: with autocorrelated weeks the moving range sees only
the week-to-week part of the noise and the limits would be too narrow. The limits are Student-t
quantiles on the reference's degrees of freedom (a short reference knows its sigma poorly) and
count the centre's own uncertainty and the autocorrelation of pooled weeks, so an in-control clinic
stays within about one false alert a KPI a year (tests/bench/sim_adoption.py measures it).

The reference leaves out the first RAMP_WEEKS weeks of use (the ramp-up would make the reference
low and wide) and the weeks under test; once a chart fires, its reference is held until the weeks
come back inside the limits, so a decline that persists stays one open episode, week after week.

Pure functions, no I/O: kpi's alert rules call them with weekly counts.
"""

import itertools
import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

from scipy import stats

ChartKind = Literal["p", "u"]  # p: events out of trials (a share); u: events per unit of exposure (a rate)
Direction = Literal["down", "up"]

RAMP_WEEKS = 4  # the first weeks of use (or of a pilot) are the ramp-up: never reference, never judged
MIN_REFERENCE_WEEKS = 4  # stable weeks before a chart judges: so the first judgement is in week 9 of use
RECENT_WEEKS = 3  # at most this many latest weeks are pooled under test, outside the reference
MIN_WEEK_TOTAL = 10.0  # a week with fewer trials (or units) is too small to score


@dataclass(frozen=True)
class FalseAlarmRates:
    """One-sided false-alarm rates per judged week of the two rules (latest week, recent weeks pooled)."""

    point: float
    recent: float


# Calibrated by tests/bench/sim_adoption.py so that, with AR(1) 0.3 over-dispersed weeks, an
# in-control chart raises under one episode a year. An adoption chart spends its budget on the
# pooled weeks (a collapse must be seen within three weeks); a KPI's regression chart is stricter
# (skewed low rates false-alarm more, and a slow regression is not urgent).
ADOPTION_RATES = FalseAlarmRates(point=0.001, recent=0.025)
REGRESSION_RATES = FalseAlarmRates(point=0.001, recent=0.006)
DESIGN_AUTOCORRELATION = 0.3  # lag-1 correlation of weekly rates assumed when pooling weeks
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

    rule: Literal["beyond_limit", "recent_shift"]
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
            "reference_weeks": len(self.reference_weeks),
        }
        for week, value in self.points:
            figures[f"point_{week}"] = round(value, 4)
        return figures


@dataclass(frozen=True)
class ChartEpisode:
    """A chart signalling on the latest week: since which week it has, and the latest signal."""

    signal: ChartSignal
    started: str  # the first week of the unbroken run of signalling weeks
    weeks_open: int  # 1 in the week it first fires, 2 the week after, ...


def scored_weeks(points: Sequence[WeekCount], *, current_week: str | None = None) -> list[WeekCount]:
    """The weeks a chart may score: complete (before `current_week`) and not tiny."""
    return [
        point
        for point in points
        if (current_week is None or point.week < current_week) and point.total >= MIN_WEEK_TOTAL
    ]


def chart_episode(
    points: Sequence[WeekCount],
    *,
    kind: ChartKind = "p",
    direction: Direction = "down",
    current_week: str | None = None,
    rates: FalseAlarmRates = ADOPTION_RATES,
) -> ChartEpisode | None:
    """The episode open on the latest scored week, or None when that week is in control.

    Every week after the ramp and the minimum reference is judged in turn against the stable weeks
    before the recent ones; while a run of weeks signals, its reference is the one it first fired
    against (the low weeks never become their own reference). A week back inside the limits ends it.
    """
    stable = scored_weeks(points, current_week=current_week)[RAMP_WEEKS:]
    started: int | None = None
    held_reference = 0
    signal: ChartSignal | None = None
    for latest in range(MIN_REFERENCE_WEEKS, len(stable)):
        reference_end = held_reference if started is not None else max(MIN_REFERENCE_WEEKS, latest - 2)
        signal = judge_week(
            stable, reference_end=reference_end, latest=latest, kind=kind, direction=direction, rates=rates
        )
        if signal is None:
            started = None
        elif started is None:
            started, held_reference = latest, reference_end
    if started is None or signal is None:
        return None
    return ChartEpisode(signal=signal, started=stable[started].week, weeks_open=len(stable) - started)


def shift_signal(
    points: Sequence[WeekCount],
    *,
    kind: ChartKind = "p",
    direction: Direction = "down",
    current_week: str | None = None,
    rates: FalseAlarmRates = ADOPTION_RATES,
) -> ChartSignal | None:
    """The latest complete week's signal, if its chart (see `chart_episode`) is out of control."""
    episode = chart_episode(points, kind=kind, direction=direction, current_week=current_week, rates=rates)
    return episode.signal if episode else None


def judge_week(
    stable: Sequence[WeekCount],
    *,
    reference_end: int,
    latest: int,
    kind: ChartKind,
    direction: Direction,
    rates: FalseAlarmRates = ADOPTION_RATES,
) -> ChartSignal | None:
    """Week `latest` of `stable` against the weeks before `reference_end` (a Laney P'/U' chart).

    Two one-sided rules: `beyond_limit` (the latest week alone) and `recent_shift` (the weeks since
    the reference, at most RECENT_WEEKS, pooled: a run of low weeks that is no longer noise).
    """
    reference = stable[:reference_end]
    recent = stable[max(reference_end, latest - RECENT_WEEKS + 1) : latest + 1]
    reference_total = sum(point.total for point in reference)
    centre = sum(point.events for point in reference) / reference_total
    spread = _unit_variance(centre, kind)
    if spread <= 0:
        return None  # a centre of 0 (or 100 %): no spread to score against
    sigma_z = _sigma_z(reference, centre=centre, spread=spread)
    degrees = len(reference) - 1
    sign = -1.0 if direction == "down" else 1.0
    side = "lower" if sign < 0 else "upper"
    reference_weeks = [point.week for point in reference]
    # The centre is a mean of autocorrelated weeks: its variance is inflated like any pooled weeks'.
    centre_variance = spread * _pooled_variance_factor(len(reference)) / reference_total
    point = recent[-1]
    rate = point.events / point.total
    half_width = _quantile(rates.point, degrees) * sigma_z * math.sqrt(spread / point.total + centre_variance)
    lower, upper = centre - half_width, centre + half_width
    if sign * (rate - centre) > half_width:
        return ChartSignal(
            rule="beyond_limit",
            direction=direction,
            week=point.week,
            centre=centre,
            sigma_z=sigma_z,
            lower_limit=lower,
            upper_limit=upper,
            points=[(point.week, rate)],
            reference_weeks=reference_weeks,
            message=(
                f"{point.week}: {rate:.3g} is beyond the {side} limit ({lower if sign < 0 else upper:.3g}) "
                f"of a Laney {kind.upper()}' chart centred on {centre:.3g} ({len(reference)} reference weeks)"
            ),
        )
    recent_total = sum(week.total for week in recent)
    recent_rate = sum(week.events for week in recent) / recent_total
    recent_variance = spread * _pooled_variance_factor(len(recent)) / recent_total
    half_width = _quantile(rates.recent, degrees) * sigma_z * math.sqrt(recent_variance + centre_variance)
    if sign * (recent_rate - centre) <= half_width:
        return None
    low, high = centre - half_width, centre + half_width
    return ChartSignal(
        rule="recent_shift",
        direction=direction,
        week=point.week,
        centre=centre,
        sigma_z=sigma_z,
        lower_limit=low,
        upper_limit=high,
        points=[(week.week, week.events / week.total) for week in recent],
        reference_weeks=reference_weeks,
        message=(
            f"{recent[0].week} to {point.week}: {recent_rate:.3g} over {len(recent)} weeks is beyond the "
            f"{side} limit ({low if sign < 0 else high:.3g}) of a Laney {kind.upper()}' chart centred on "
            f"{centre:.3g} ({len(reference)} reference weeks)"
        ),
    )


def _unit_variance(centre: float, kind: ChartKind) -> float:
    """Variance of one trial (p) or one unit (u) at the centre: binomial p(1-p), Poisson u."""
    return centre * (1 - centre) if kind == "p" else centre


def _sigma_z(reference: Sequence[WeekCount], *, centre: float, spread: float) -> float:
    """Laney's sigma_z: the larger of the moving-range and the long-run spread of the weeks'
    z-scores, never below 1.

    The moving range sees only week-to-week noise: positively autocorrelated weeks drift further
    than it says, which the long-run standard deviation catches. Below 1 the weeks vary less than
    binomial/Poisson noise: the plain chart's limits are kept rather than narrowed.
    """
    z_scores = [
        (point.events / point.total - centre) / math.sqrt(spread / point.total) for point in reference
    ]
    moving_ranges = [abs(later - earlier) for earlier, later in itertools.pairwise(z_scores)]
    short_run = sum(moving_ranges) / len(moving_ranges) / MOVING_RANGE_D2
    return max(short_run, statistics.stdev(z_scores), 1.0)


def _pooled_variance_factor(weeks: int, autocorrelation: float = DESIGN_AUTOCORRELATION) -> float:
    """How much more a mean of `weeks` AR(1) weeks varies than one of independent weeks:
    (m + 2 * sum_k (m - k) * phi^k) / m."""
    return (weeks + 2 * sum((weeks - lag) * autocorrelation**lag for lag in range(1, weeks))) / weeks


@lru_cache(maxsize=1024)
def _quantile(alpha: float, degrees: int) -> float:
    """The one-sided Student-t quantile: the reference's sigma is estimated from few weeks."""
    return float(stats.t.ppf(1 - alpha, degrees))


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
