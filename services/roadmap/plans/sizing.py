"""How long a pilot must run for the gate's own pass rule to succeed when the target is real (pure).

The gate passes when the interval excludes "no change" and the estimate reaches the minimum
worthwhile change. A power calculation for "differs from zero" alone gives about 50 % at the target;
here P(pass | effect = target) is computed for that rule on the same week-level GLS the gate fits
(AR(1) working correlation, t interval whose width is itself uncertain), and the pilot is the
shortest that makes it at least 80 %. The first pilot weeks, while staff learn the tool, are left
out of the judgement and added to the length.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from services.roadmap.plans.targets import Better, Measure, Target
from services.roadmap.plans.weekly import AR1_RHO, CONFIDENCE, ar1_correlation
from shared.small_groups import shown_per_person

POWER = 0.80
MIN_JUDGED_WEEKS = 4  # the floor: fewer weeks say little about a tool's everyday use
RAMP_UP_WEEKS = 3  # an effect builds over ~4 weeks (full in the 4th): the first 3 are not judged
MAX_JUDGED_WEEKS = 26  # half a year of judged weeks: beyond it a pilot is no longer a pilot
MAX_BASELINE_WEEKS = 52
PRACTICAL_JUDGED_WEEKS = 12  # about three months: what a longer baseline is sized to allow
DEFAULT_BASELINE_WEEKS = 4
# Week-to-week variation assumed when the baseline's own is not known: a rate's logit moves ~0.25 from
# week to week at a clinic; one clinician's weekly minutes per note ~0.15 on the log scale.
DEFAULT_LOGIT_SD = 0.25
DEFAULT_DURATION_SD = 0.15
# A count a week (follow-ups, new-patient requests): its week-to-week log sd beyond Poisson noise.
DEFAULT_COUNT_SD = 0.25
# Counts are sized to this much above 80 %: the normal approximation overstates the pass rate of
# Poisson weeks by about a point (tests/bench/sim_gate.py), and the shortest length sits on the edge.
COUNT_POWER_MARGIN = 0.02
# The interval's width is random (its sd is estimated from few weeks): averaged over these quantiles.
_CHI2_GRID = (np.arange(200) + 0.5) / 200


@dataclass(frozen=True)
class PilotLength:
    """The pilot a target needs: weeks in all (ramp-up included), None when no length is enough."""

    weeks: int | None
    judged_weeks: int | None
    ramp_up_weeks: int
    baseline_weeks: int
    baseline_weeks_needed: int | None  # when the baseline is too short: the weeks of history that suffice
    power: float | None  # P(pass | effect = target) at that length
    note: str


def pass_probability(
    *, improvement: float, worthwhile: float, se: float, df: int, se_model: float | None = None
) -> float:
    """P(pass) when the true log change is `improvement` (signed so that better is positive).

    Pass: the estimate b is at least t * se_hat (the interval excludes 0 on the better side) and at
    least `worthwhile`. b is normal around the truth with sd `se`; se_hat is se * sqrt(chi2_df / df),
    independent of b, so P(pass) is the average over se_hat of P(b >= max(t * se_hat, worthwhile)).
    `se_model` is what the fit's own se estimates when its working correlation is not the truth's.
    """
    if se <= 0 or df < 1 or not math.isfinite(se):
        return 0.0
    quantile = float(stats.t.ppf(0.5 + CONFIDENCE / 2, df))
    se_hat = (se if se_model is None else se_model) * np.sqrt(stats.chi2.ppf(_CHI2_GRID, df) / df)
    bar = np.maximum(quantile * se_hat, worthwhile)
    return float(np.mean(stats.norm.sf((bar - improvement) / se)))


def step_se(
    base_positions: Sequence[int],
    pilot_positions: Sequence[int],
    *,
    var_base: float,
    var_pilot: float,
    rho: float = AR1_RHO,
) -> float:
    """The true sd of the gate's GLS step when baseline and pilot weeks have these variances.

    The GLS uses one AR(1) working correlation and a common variance; when the pilot's weeks vary more
    (a lower rate has more binomial noise) the sandwich (A V A') gives the estimator's real spread.
    """
    positions = [*base_positions, *pilot_positions]
    x = np.column_stack([np.ones(len(positions)), [0.0] * len(base_positions) + [1.0] * len(pilot_positions)])
    working = ar1_correlation(positions, rho)
    inverse = np.linalg.inv(working)
    a = np.linalg.solve(x.T @ inverse @ x, x.T @ inverse)
    sd = np.sqrt([var_base] * len(base_positions) + [var_pilot] * len(pilot_positions))
    truth = working * np.outer(sd, sd)
    return float(math.sqrt(max((a @ truth @ a.T)[1, 1], 0.0)))


def design_power(
    *,
    baseline_weeks: int,
    judged_weeks: int,
    gap: int,
    var_base: float,
    var_pilot: float,
    improvement: float,
    worthwhile: float,
    rho: float = AR1_RHO,
) -> float:
    """P(pass | the true change) for consecutive baseline weeks, a gap, then consecutive judged weeks."""
    base = list(range(baseline_weeks))
    pilot = list(range(baseline_weeks + gap, baseline_weeks + gap + judged_weeks))
    se = step_se(base, pilot, var_base=var_base, var_pilot=var_pilot, rho=rho)
    return pass_probability(
        improvement=improvement, worthwhile=worthwhile, se=se, df=baseline_weeks + judged_weeks - 2
    )


def count_design_power(
    *,
    baseline_weeks: int,
    judged_weeks: int,
    gap: int,
    extra: float,
    poisson_base: float,
    poisson_pilot: float,
    improvement: float,
    worthwhile: float,
    rho: float = AR1_RHO,
) -> float:
    """P(pass | the true change) for a count a week: only its over-dispersion (`extra`) is AR(1); the
    Poisson part (1 / count) is new each week. The gate's GLS assumes AR(1) for both, so its se is
    not the estimator's: both are computed (the se's expectation from E[scale] under the truth)."""
    base = list(range(baseline_weeks))
    pilot = list(range(baseline_weeks + gap, baseline_weeks + gap + judged_weeks))
    positions = [*base, *pilot]
    x = np.column_stack([np.ones(len(positions)), [0.0] * len(base) + [1.0] * len(pilot)])
    working = ar1_correlation(positions, rho)
    inverse = np.linalg.inv(working)
    bread = np.linalg.inv(x.T @ inverse @ x)
    a = bread @ x.T @ inverse
    truth = working * extra + np.diag([poisson_base] * len(base) + [poisson_pilot] * len(pilot))
    se = float(math.sqrt(max((a @ truth @ a.T)[1, 1], 0.0)))
    residual = np.eye(len(positions)) - x @ a
    df = len(positions) - 2
    scale = float(np.trace(residual.T @ inverse @ residual @ truth)) / df  # E[y' R' W^-1 R y] / df
    return pass_probability(
        improvement=improvement,
        worthwhile=worthwhile,
        se=se,
        df=df,
        se_model=math.sqrt(max(scale * bread[1, 1], 0.0)),
    )


def log_target(*, better: Better, target: Target) -> tuple[float, float] | None:
    """The target and the minimum worthwhile change as log ratios signed so that better is positive."""
    sign = -1.0 if better == "lower" else 1.0
    change, worthwhile = target.change_pct, target.worthwhile_pct()
    if not (math.isfinite(change) and math.isfinite(worthwhile)) or min(change, worthwhile) <= -100:
        return None
    improvement = sign * math.log1p(change / 100)
    least = sign * math.log1p(worthwhile / 100)
    if improvement <= 0 or least <= 0 or least > improvement:
        return None
    return improvement, least


def weekly_variances(
    *,
    measure: Measure,
    baseline_value: float,
    weekly_volume: float,
    change_pct: float,
    clinicians_in_pilot: int,
    clinicians_in_control: int,
    weekly_sd: float | None,
) -> tuple[float, float]:
    """The variance of one week's analysed log value, at baseline and during the pilot.

    Rates: binomial noise of the log rate at the week's volume plus over-dispersion (logit sd, mapped
    to the log scale by the delta method). With a concurrent control the series is the difference of
    two groups, each with its own noise (their shocks are not assumed to cancel). Durations: one
    clinician's weekly sd, averaged over the group's clinicians.
    """
    control = clinicians_in_control if clinicians_in_pilot > 0 else 0
    if measure == "duration":
        sd = DEFAULT_DURATION_SD if weekly_sd is None else weekly_sd
        # As the gate measures it (evidence._measure): a group too small to show per clinician is
        # judged within the whole clinic, and a control too small is left out.
        if not shown_per_person(clinicians_in_pilot):
            return sd**2, sd**2
        if not shown_per_person(control):
            control = 0
        variance = sd**2 / clinicians_in_pilot + (sd**2 / control if control else 0.0)
        return variance, variance
    if measure == "count":
        # Poisson noise of a week's log count (1 / count) plus week-to-week over-dispersion.
        extra = DEFAULT_COUNT_SD**2 if weekly_sd is None else weekly_sd**2
        reached = baseline_value * (1 + change_pct / 100)
        return 1 / max(baseline_value, 1e-9) + extra, 1 / max(reached, 1e-9) + extra
    reached = baseline_value * (1 + change_pct / 100)
    share = clinicians_in_pilot / (clinicians_in_pilot + control) if control else 1.0

    def week_variance(rate: float, volume: float) -> float:
        binomial = (1 - rate) / (max(volume, 1e-9) * rate)
        spread = (DEFAULT_LOGIT_SD * (1 - rate)) ** 2 if weekly_sd is None else weekly_sd**2
        return binomial + spread

    rest = week_variance(baseline_value, weekly_volume * (1 - share)) if control else 0.0
    return (
        week_variance(baseline_value, weekly_volume * share) + rest,
        week_variance(reached, weekly_volume * share) + rest,
    )


def recommended_pilot(
    *,
    measure: Measure,
    better: Better,
    baseline_value: float,
    weekly_volume: float,
    target: Target,
    clinicians_in_pilot: int = 0,
    clinicians_in_control: int = 0,
    weekly_sd: float | None = None,
    baseline_weeks: float = DEFAULT_BASELINE_WEEKS,
    ramp_up_weeks: int = RAMP_UP_WEEKS,
) -> PilotLength:
    """The shortest pilot (ramp-up + at least 4 judged weeks) with P(pass | effect = target) >= 80 %.

    `weekly_volume` is the measured group's weekly count (calls, appointments, notes; with clinicians,
    pilot and control together); `weekly_sd` the sd of one week's log value when the baseline's is
    known (per clinician for durations). When no length up to half a year is enough, the note says
    how many weeks of baseline history would make it so.
    """
    ramp = max(int(ramp_up_weeks), 0)
    base_weeks = max(round(baseline_weeks), 0) if math.isfinite(baseline_weeks) else 0
    refused = _refusal(measure, baseline_value, weekly_volume, weekly_sd)
    logs = log_target(better=better, target=target)
    if refused or logs is None:
        why = refused or "the target and the minimum worthwhile change must point the way the KPI improves"
        return PilotLength(
            None, None, ramp, base_weeks, None, None, f"no pilot length can be computed: {why}"
        )
    improvement, worthwhile = logs
    var_base, var_pilot = weekly_variances(
        measure=measure,
        baseline_value=baseline_value,
        weekly_volume=weekly_volume,
        change_pct=target.change_pct,
        clinicians_in_pilot=max(clinicians_in_pilot, 0),
        clinicians_in_control=max(clinicians_in_control, 0),
        weekly_sd=weekly_sd,
    )

    def power(base: int, judged: int) -> float:
        if measure == "count":
            extra = DEFAULT_COUNT_SD**2 if weekly_sd is None else weekly_sd**2
            reached = count_design_power(
                baseline_weeks=base,
                judged_weeks=judged,
                gap=ramp,
                extra=extra,
                poisson_base=var_base - extra,
                poisson_pilot=var_pilot - extra,
                improvement=improvement,
                worthwhile=worthwhile,
            )
            return reached - COUNT_POWER_MARGIN
        return design_power(
            baseline_weeks=base,
            judged_weeks=judged,
            gap=ramp,
            var_base=var_base,
            var_pilot=var_pilot,
            improvement=improvement,
            worthwhile=worthwhile,
        )

    judged = _shortest(lambda weeks: power(base_weeks, weeks)) if base_weeks >= 2 else None
    if judged is not None:
        reached = power(base_weeks, judged)
        return PilotLength(
            ramp + judged,
            judged,
            ramp,
            base_weeks,
            None,
            round(reached, 3),
            f"{ramp + judged} pilot weeks ({ramp} of ramp-up, then {judged} judged) give a "
            f"{reached:.0%} chance to pass if the effect is {target.change_pct:+g} %, "
            f"against {base_weeks} baseline weeks",
        )
    # A short baseline is the usual bottleneck and history is cheap: the fewest baseline weeks that let
    # a pilot of about three months (else half a year) of judged weeks reach the power.
    needed, judged_then = None, None
    for pilot_cap in (PRACTICAL_JUDGED_WEEKS, MAX_JUDGED_WEEKS):
        first = max(base_weeks + 1, 2)
        needed = next((b for b in range(first, MAX_BASELINE_WEEKS + 1) if power(b, pilot_cap) >= POWER), None)
        if needed is not None:
            judged_then = _shortest(lambda weeks, b=needed: power(b, weeks), stop=pilot_cap)
            break
    if needed is None or judged_then is None:
        return PilotLength(
            None,
            None,
            ramp,
            base_weeks,
            None,
            None,
            f"no pilot of up to {MAX_JUDGED_WEEKS} judged weeks can show {target.change_pct:+g} % at this "
            "volume and week-to-week variation: choose a larger target or a measure with more volume",
        )
    return PilotLength(
        None,
        None,
        ramp,
        base_weeks,
        needed,
        None,
        f"{base_weeks} baseline weeks are too few to show {target.change_pct:+g} % within "
        f"{MAX_JUDGED_WEEKS} judged weeks; with {needed} weeks of baseline history the pilot needs "
        f"{ramp + judged_then} weeks",
    )


def extension_for(
    *,
    base_positions: Sequence[int],
    pilot_positions: Sequence[int],
    weekly_sd: float,
    improvement: float,
    worthwhile: float,
    hand_baseline_weeks: float | None = None,
) -> int | None:
    """The fewest extra judged weeks that bring P(pass | effect = target) to 80 %, at the observed spread.

    None when even the most a pilot may run does not (the baseline is too short or too noisy).
    """
    if not pilot_positions or weekly_sd <= 0 or not math.isfinite(weekly_sd):
        return None
    last = max(pilot_positions)
    variance = weekly_sd**2

    def power(extra: int) -> float:
        pilot = [*pilot_positions, *range(last + 1, last + 1 + extra)]
        if hand_baseline_weeks is not None:
            se = _fixed_baseline_se(pilot, variance, hand_baseline_weeks)
            return pass_probability(improvement=improvement, worthwhile=worthwhile, se=se, df=len(pilot) - 1)
        se = step_se(base_positions, pilot, var_base=variance, var_pilot=variance)
        df = len(base_positions) + len(pilot) - 2
        return pass_probability(improvement=improvement, worthwhile=worthwhile, se=se, df=df)

    room = MAX_JUDGED_WEEKS - len(pilot_positions)
    found = _shortest(power, start=1, stop=max(room, 0))
    return found


def _fixed_baseline_se(pilot: Sequence[int], variance: float, baseline_weeks: float) -> float:
    working = ar1_correlation(pilot)
    ones = np.ones(len(pilot))
    mean_variance = variance / float(ones @ np.linalg.solve(working, ones))
    span = max(1, round(baseline_weeks))
    return math.sqrt(mean_variance + variance * float(ar1_correlation(range(span)).sum()) / span**2)


def _shortest(power, *, start: int = MIN_JUDGED_WEEKS, stop: int = MAX_JUDGED_WEEKS) -> int | None:  # type: ignore[no-untyped-def]
    """The fewest weeks in [start, stop] whose power reaches 80 % (power grows with weeks: bisection)."""
    if stop < start or power(stop) < POWER:
        return None
    low, high = start, stop
    while low < high:
        middle = (low + high) // 2
        if power(middle) >= POWER:
            high = middle
        else:
            low = middle + 1
    return low


def _refusal(measure: Measure, baseline_value: float, weekly_volume: float, weekly_sd: float | None) -> str:
    if not math.isfinite(baseline_value) or (
        weekly_sd is not None and not (math.isfinite(weekly_sd) and weekly_sd > 0)
    ):
        return "the baseline and its week-to-week spread must be numbers (spread above 0)"
    if measure == "rate":
        if not 0 < baseline_value < 1:
            return "a rate's baseline must lie strictly between 0 and 1"
        if not (math.isfinite(weekly_volume) and weekly_volume > 0):
            return "the baseline's weekly volume is not known"
    elif baseline_value <= 0:
        return "minutes per note must be positive"
    return ""
