"""The gate's week-level estimators: a pilot's change measured with the week as the unit (pure).

Weekly clinic counts vary more than binomial sampling explains (busy weeks, staffing, season) and
neighbouring weeks resemble each other. So the gate never treats calls or notes as independent: each
complete week gives one value on the log scale (log of the rate, or of minutes per note), and the
change is a generalised least squares step from the baseline weeks to the judged pilot weeks, with
an AR(1) working correlation over calendar week positions and the residual variance estimated from
the weeks themselves (t interval). Over-dispersion is then in the interval by construction.
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy import stats
from statsmodels.regression.linear_model import GLS

# Week-to-week autocorrelation assumed by the working correlation: what clinic series show (DESIGN.md).
AR1_RHO = 0.3
CONFIDENCE = 0.95
# Below this relative spread the weeks are identical to rounding: no interval can be computed from them.
_NO_SPREAD = 1e-12


@dataclass(frozen=True)
class WeeklyFit:
    """A step from the baseline weeks to the pilot weeks on the log scale, with its t interval."""

    estimate: float  # log of (pilot / baseline)
    se: float
    df: int
    low: float
    high: float
    p_value: float
    weekly_sd: float  # the residual sd of one week's log value: sizes an extension
    baseline_weeks: tuple[str, ...]
    pilot_weeks: tuple[str, ...]


def week_position(week: str) -> int | None:
    """The calendar position of an ISO week ("2026-W10"), in weeks; None when it is not a week."""
    try:
        year, number = week.split("-W")
        return date.fromisocalendar(int(year), int(number), 1).toordinal() // 7
    except (ValueError, AttributeError):
        return None


def ar1_correlation(positions: Sequence[int], rho: float = AR1_RHO) -> np.ndarray:
    """The AR(1) working correlation between weeks at these calendar positions (gaps keep their distance)."""
    where = np.asarray(positions, dtype=float)
    return np.asarray(np.power(rho, np.abs(where[:, None] - where[None, :])), dtype=float)


def log_rate(events: float, total: float) -> float | None:
    """A week's log rate; half an event added so a week without events still has a value."""
    if not (math.isfinite(events) and math.isfinite(total)) or total <= 0 or events < 0:
        return None
    return math.log((min(events, total) + 0.5) / (total + 0.5))


def log_count(events: float, weeks: float) -> float | None:
    """A week's log count (events over the week's span, 1); half an event added so an empty week counts."""
    if not (math.isfinite(events) and math.isfinite(weeks)) or weeks <= 0 or events < 0:
        return None
    return math.log((events + 0.5) / weeks)


def log_duration(minutes: float, notes: float) -> float | None:
    """A week's log of minutes per note; None without notes or minutes."""
    if not (math.isfinite(minutes) and math.isfinite(notes)) or notes <= 0 or minutes <= 0:
        return None
    return math.log(minutes / notes)


def centered_group_series(
    per_member: Iterable[Mapping[str, float]], baseline_weeks: Sequence[str], pilot_weeks: Sequence[str]
) -> dict[str, float]:
    """The group's weekly mean of each member's log value minus that member's own baseline mean.

    This pairs each clinician with their own baseline (a clinician who writes slowly stays slow), so
    the group's week-to-week series carries only the change and the weekly noise. Members without a
    value both in the baseline and in the pilot weeks are left out: they cannot be paired.
    """
    sums: dict[str, list[float]] = {}
    for values in per_member:
        own = [values[week] for week in baseline_weeks if week in values]
        if not own or not any(week in values for week in pilot_weeks):
            continue
        center = sum(own) / len(own)
        for week in (*baseline_weeks, *pilot_weeks):
            if week in values:
                sums.setdefault(week, []).append(values[week] - center)
    return {week: sum(values) / len(values) for week, values in sums.items()}


def fit_step(
    series: Mapping[str, float],
    baseline_weeks: Sequence[str],
    pilot_weeks: Sequence[str],
    *,
    rho: float = AR1_RHO,
) -> WeeklyFit | None:
    """GLS of the weekly log values on "is a pilot week", AR(1) over calendar positions; None: too few weeks.

    Needs at least 2 baseline and 2 pilot weeks with values (2 degrees of freedom for the variance)
    and some week-to-week spread.
    """
    base = [week for week in baseline_weeks if week in series and week_position(week) is not None]
    pilot = [week for week in pilot_weeks if week in series and week_position(week) is not None]
    if len(base) < 2 or len(pilot) < 2:
        return None
    weeks = [*base, *pilot]
    y = np.array([series[week] for week in weeks])
    x = np.column_stack([np.ones(len(weeks)), [0.0] * len(base) + [1.0] * len(pilot)])
    sigma = ar1_correlation([week_position(week) or 0 for week in weeks], rho)
    fit = GLS(y, x, sigma=sigma).fit()
    scale = float(fit.scale)
    if not math.isfinite(scale) or scale <= _NO_SPREAD * max(1.0, float(np.mean(y**2))):
        return None
    estimate, se, df = float(fit.params[1]), float(fit.bse[1]), int(fit.df_resid)
    return _with_interval(estimate, se, df, math.sqrt(scale), tuple(base), tuple(pilot))


def fit_against_fixed(
    series: Mapping[str, float],
    pilot_weeks: Sequence[str],
    *,
    baseline_log: float,
    baseline_weeks: float,
    rho: float = AR1_RHO,
) -> WeeklyFit | None:
    """The pilot weeks' GLS mean against a baseline given as one figure (typed by hand), t interval.

    The figure stands for `baseline_weeks` weeks; without its weeks its week-to-week spread is taken
    to be the pilot's, so its mean carries that spread over that many AR(1) weeks. Needs 2 pilot weeks.
    """
    pilot = [week for week in pilot_weeks if week in series and week_position(week) is not None]
    if len(pilot) < 2 or not math.isfinite(baseline_log):
        return None
    y = np.array([series[week] for week in pilot])
    fit = GLS(
        y, np.ones((len(pilot), 1)), sigma=ar1_correlation([week_position(w) or 0 for w in pilot], rho)
    ).fit()
    scale = float(fit.scale)
    if not math.isfinite(scale) or scale <= _NO_SPREAD * max(1.0, float(np.mean(y**2))):
        return None
    span = max(1, round(baseline_weeks))
    baseline_factor = float(ar1_correlation(range(span), rho).sum()) / span**2
    se = math.sqrt(float(fit.bse[0]) ** 2 + scale * baseline_factor)
    estimate = float(fit.params[0]) - baseline_log
    return _with_interval(estimate, se, int(fit.df_resid), math.sqrt(scale), (), tuple(pilot))


def _with_interval(  # noqa: PLR0917 - a private constructor
    estimate: float, se: float, df: int, weekly_sd: float, base: tuple[str, ...], pilot: tuple[str, ...]
) -> WeeklyFit:
    quantile = float(stats.t.ppf(0.5 + CONFIDENCE / 2, df))
    p_value = float(2 * stats.t.sf(abs(estimate) / se, df))
    return WeeklyFit(
        estimate=estimate,
        se=se,
        df=df,
        low=estimate - quantile * se,
        high=estimate + quantile * se,
        p_value=p_value,
        weekly_sd=weekly_sd,
        baseline_weeks=base,
        pilot_weeks=pilot,
    )
