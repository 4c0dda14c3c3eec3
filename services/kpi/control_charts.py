"""Alerts that respect noise: Laney P'/U' charts on a stable reference, kept to a false-alarm budget.

Weekly clinic counts vary more from week to week than a binomial (or Poisson) model says, and
neighbouring weeks are alike (a busy month, a locum). Laney's P' (and U') chart widens the limits
by sigma_z, the spread of the weeks' z-scores. Here sigma_z is their long-run standard deviation
(with autocorrelated weeks a moving range sees only the week-to-week part of the noise), pooled
with the spread practices usually show (a logit sd of PRIOR_LOGIT_SD, worth PRIOR_WEEKS weeks of a
clinic's own): twelve weeks know their own spread poorly, and that doubt alone cost the 60 % ->
45 % drop about five points of detection at the same false-alarm rate. The limits are Student-t
quantiles on the pooled degrees of freedom and count the centre's own uncertainty and the
autocorrelation of pooled weeks.

Each week is judged three ways, each against every stable week before the weeks it looks at: the
latest week alone (a collapse), and the last two and the last three pooled (a step down that one
week cannot tell from noise). A step is so seen in its first weeks, never diluted by weeks before
it. The reference leaves out the first RAMP_WEEKS weeks of use (the ramp-up would make it low and
wide). Once a chart fires its reference is held: a decline that persists stays one open episode,
week after week, while each new week is itself still low; a week back near the usual level ends
it, and its weeks are never pooled again. tests/bench/sim_adoption.py measures what this catches
and the false alarms it costs.

Pure functions, no I/O: kpi's alert rules call them with weekly counts.
"""

import math
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
    """One-sided false-alarm rates per judged week: the latest week alone (`point`), and the last two
    or three weeks pooled (`recent`, each)."""

    point: float
    recent: float


# Calibrated by tests/bench/sim_adoption.py so that, with AR(1) 0.3 over-dispersed weeks, an
# in-control chart raises under one episode a year. An adoption chart spends its budget on the
# pooled weeks (a 15-point drop must be seen within three weeks); a KPI's regression chart is
# stricter (a slow regression is not urgent).
ADOPTION_RATES = FalseAlarmRates(point=0.001, recent=0.02)
REGRESSION_RATES = FalseAlarmRates(point=0.001, recent=0.006)
DESIGN_AUTOCORRELATION = 0.3  # lag-1 correlation of weekly rates assumed when pooling weeks
# The week-to-week sd of a rate's logit (log, for a rate per unit) practices show, and its weight in
# weeks when pooled with a clinic's own spread.
PRIOR_LOGIT_SD = 0.25
PRIOR_WEEKS = 10
# An open episode goes on while each new week is worse than the centre by this many weekly sds.
STILL_SDS = 1.0


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

    Every week after the ramp and the minimum reference is judged in turn (see `judge_week`);
    while a run of weeks signals, its reference is the one it first fired against (the low weeks
    never become their own reference). A week back near its usual level ends it.
    """
    stable = scored_weeks(points, current_week=current_week)[RAMP_WEEKS:]
    started: int | None = None
    held_reference = fresh_from = 0
    signal: ChartSignal | None = None
    for latest in range(MIN_REFERENCE_WEEKS, len(stable)):
        signal = judge_week(
            stable,
            latest=latest,
            held_reference=held_reference if started is not None else None,
            earliest=fresh_from,
            kind=kind,
            direction=direction,
            rates=rates,
        )
        if started is not None and (signal is None or not _still_low(stable[latest], signal, kind)):
            # Back at its usual level: the episode ends, and its weeks are never pooled again.
            started, signal, fresh_from = None, None, latest
        elif signal is not None and started is None:
            started, held_reference = latest, len(signal.reference_weeks)
    if started is None or signal is None:
        return None
    return ChartEpisode(signal=signal, started=stable[started].week, weeks_open=len(stable) - started)


def _still_low(week: WeekCount, signal: ChartSignal, kind: ChartKind) -> bool:
    """Whether the week alone is still worse than the centre by STILL_SDS of a week's spread: the
    evidence still holds (a decline that persists), not only the pooled weeks it opened with."""
    rate = week.events / week.total
    margin = STILL_SDS * signal.sigma_z * math.sqrt(_unit_variance(signal.centre, kind) / week.total)
    return rate < signal.centre - margin if signal.direction == "down" else rate > signal.centre + margin


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
    latest: int,
    held_reference: int | None = None,
    earliest: int = 0,
    kind: ChartKind,
    direction: Direction,
    rates: FalseAlarmRates = ADOPTION_RATES,
) -> ChartSignal | None:
    """Week `latest` of `stable` on a Laney P'/U' chart: the latest week alone, then the last two
    and the last three pooled, each against every stable week before it (or, in an open episode,
    the first `held_reference` weeks), never reaching back before week `earliest`.

    A step down is seen in its first week (`beyond_limit` at `rates.point`) or as two or three low
    weeks together (`recent_shift` at `rates.recent`), never diluted by the weeks before it.
    """
    for pooled in range(1, RECENT_WEEKS + 1):
        first = latest - pooled + 1
        reference_end = first if held_reference is None else held_reference
        if first < max(reference_end, earliest) or reference_end < MIN_REFERENCE_WEEKS:
            break
        signal = _pooled_signal(
            stable[:reference_end],
            stable[first : latest + 1],
            rule="beyond_limit" if pooled == 1 else "recent_shift",
            rate=rates.point if pooled == 1 else rates.recent,
            kind=kind,
            direction=direction,
        )
        if signal is not None:
            return signal
    return None


def _pooled_signal(
    reference: Sequence[WeekCount],
    recent: Sequence[WeekCount],
    *,
    rule: Literal["beyond_limit", "recent_shift"],
    rate: float,
    kind: ChartKind,
    direction: Direction,
) -> ChartSignal | None:
    """The `recent` weeks pooled against the `reference` weeks' centre, beyond a one-sided limit."""
    reference_total = sum(point.total for point in reference)
    centre = sum(point.events for point in reference) / reference_total
    spread = _unit_variance(centre, kind)
    if spread <= 0:
        return None  # a centre of 0 (or 100 %): no spread to score against
    sigma_z, degrees = _sigma_z(reference, centre=centre, spread=spread)
    # The centre is a mean of autocorrelated weeks: its variance is inflated like any pooled weeks'.
    centre_variance = spread * pooled_variance_factor(len(reference)) / reference_total
    recent_total = sum(week.total for week in recent)
    recent_rate = sum(week.events for week in recent) / recent_total
    recent_variance = spread * pooled_variance_factor(len(recent)) / recent_total
    half_width = _quantile(rate, degrees) * sigma_z * math.sqrt(recent_variance + centre_variance)
    sign = -1.0 if direction == "down" else 1.0
    if sign * (recent_rate - centre) <= half_width:
        return None
    low, high = centre - half_width, centre + half_width
    side, limit = ("lower", low) if sign < 0 else ("upper", high)
    latest = recent[-1].week
    span = (
        f"{latest}: {recent_rate:.3g}"
        if len(recent) == 1
        else (f"{recent[0].week} to {latest}: {recent_rate:.3g} over {len(recent)} weeks")
    )
    return ChartSignal(
        rule=rule,
        direction=direction,
        week=latest,
        centre=centre,
        sigma_z=sigma_z,
        lower_limit=low,
        upper_limit=high,
        points=[(week.week, week.events / week.total) for week in recent],
        reference_weeks=[point.week for point in reference],
        message=(
            f"{span} is beyond the {side} limit ({limit:.3g}) of a Laney {kind.upper()}' chart "
            f"centred on {centre:.3g} ({len(reference)} reference weeks)"
        ),
    )


def _unit_variance(centre: float, kind: ChartKind) -> float:
    """Variance of one trial (p) or one unit (u) at the centre: binomial p(1-p), Poisson u."""
    return centre * (1 - centre) if kind == "p" else centre


def _sigma_z(reference: Sequence[WeekCount], *, centre: float, spread: float) -> tuple[float, int]:
    """Laney's sigma_z (the spread of the weeks' z-scores) and its degrees of freedom.

    The long-run standard deviation, not the moving range: positively autocorrelated weeks drift
    further than week-to-week ranges say. A short reference knows its spread poorly, so it is
    pooled with the spread seen across practices (PRIOR_LOGIT_SD, weighted as PRIOR_WEEKS weeks).
    Never below 1: weeks that vary less than binomial/Poisson noise keep the plain chart's limits.
    """
    z_scores = [
        (point.events / point.total - centre) / math.sqrt(spread / point.total) for point in reference
    ]
    # A logit (log) sd of the rate is, near the centre, this much z-variance for a week of this size.
    mean_total = sum(point.total for point in reference) / len(reference)
    prior = 1 + spread * mean_total * PRIOR_LOGIT_SD**2
    degrees = len(reference) - 1
    variance = (PRIOR_WEEKS * prior + degrees * _variance(z_scores)) / (PRIOR_WEEKS + degrees)
    return max(math.sqrt(variance), 1.0), degrees + PRIOR_WEEKS


def _variance(values: Sequence[float]) -> float:
    """The sample variance in floats (statistics.variance works in exact fractions: 20 times slower)."""
    mean = math.fsum(values) / len(values)
    return math.fsum((value - mean) ** 2 for value in values) / (len(values) - 1)


def pooled_variance_factor(weeks: int, autocorrelation: float = DESIGN_AUTOCORRELATION) -> float:
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
