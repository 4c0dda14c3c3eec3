"""The evaluation gate's statistics, as pure functions: a pilot judged against the clinic's own baseline.

Three outcomes, read from a 95 % confidence interval of the change and the target:

- **fail**: the target lies beyond the interval: even the most favourable plausible effect falls short;
- **pass**: the estimated change reaches the target and the interval excludes "no change";
- **inconclusive**: anything else (the interval still holds both "no change" and the target): extend
  the pilot by the weeks a power calculation asks for at the observed volume.

Rates use a two-proportion score comparison of pilot vs baseline (ratio of the two rates, Miettinen-
Nurminen interval, the matching score test); durations compare each clinician with their own baseline
(mean of per-clinician differences, t interval), since pooling a few clinicians' notes inflates false
positives; usage is a share of the pilot group with a Wilson interval. Nothing here does I/O.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from scipy import stats
from statsmodels.stats.power import NormalIndPower, TTestPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportion_effectsize,
    test_proportions_2indep,
)

GateVerdict = Literal["pass", "fail", "inconclusive"]
# Where the target lies relative to the interval of the change, read in the direction of improvement.
TargetPosition = Literal["beyond_interval", "inside_interval", "within_interval_reach"]

# KPIs that are rates over weekly counts: a two-proportion comparison, a power calculation.
RATE_KPIS = frozenset(
    {
        "missed_call_rate",
        "appointment_conversion",
        "no_show_rate",
        "messages_answered_within_business_day",
        "claim_denial_rate",
        "referral_completion_rate",
    }
)
CONFIDENCE = 0.95
POWER = 0.80  # the usual 80 % chance of detecting the target effect if it is real


@dataclass(frozen=True)
class GateEvidence:
    """What the gate decided and everything an officer needs to defend it."""

    outcome: GateVerdict
    method: str
    estimate_pct: float | None  # the change, in % of the baseline (usage: the share, in %)
    ci_low_pct: float | None
    ci_high_pct: float | None
    confidence: float
    target_pct: float
    target_position: TargetPosition | None
    n_baseline: int
    n_pilot: int
    p_value: float | None
    extension_weeks: int | None  # inconclusive: how many more pilot weeks the observed volume needs
    summary: str


@dataclass(frozen=True)
class PilotLength:
    """The pilot length a target needs at a clinic's volume (None: no pilot length is enough)."""

    weeks: int | None
    n_per_group: int
    note: str


def judge(
    *, estimate: float, low: float, high: float, target: float, no_change: float = 0.0
) -> tuple[GateVerdict, TargetPosition]:
    """The three-outcome rule on one interval; the target's side of `no_change` says which way is better."""
    sign = 1.0 if target >= no_change else -1.0
    gain_low, gain_high = sorted((sign * (low - no_change), sign * (high - no_change)))
    gain_target = sign * (target - no_change)
    if gain_high < gain_target:
        position: TargetPosition = "beyond_interval"
    elif gain_low > gain_target:
        position = "within_interval_reach"
    else:
        position = "inside_interval"
    if position == "beyond_interval":
        return "fail", position
    if sign * (estimate - no_change) >= gain_target and gain_low > 0:
        return "pass", position
    return "inconclusive", position


def rate_sample_size(*, baseline_rate: float, target_change_pct: float, power: float = POWER) -> int:
    """Events observed per group (baseline, pilot) to detect the target change, two-sided at 5 %.

    Cohen's h with the normal approximation (statsmodels NormalIndPower): from a 29 % missed-call
    rate, -50 % needs about 124 calls per group and -20 % about 900.
    """
    if not 0 < baseline_rate < 1:
        raise ValueError("baseline_rate must lie strictly between 0 and 1")
    target_rate = baseline_rate * (1 + target_change_pct / 100)
    if not 0 <= target_rate <= 1 or target_change_pct == 0:
        raise ValueError("target_change_pct must move the rate to another value between 0 and 1")
    effect = abs(float(proportion_effectsize(target_rate, baseline_rate)))
    n = NormalIndPower().solve_power(
        effect_size=effect, alpha=1 - CONFIDENCE, power=power, ratio=1.0, alternative="two-sided"
    )
    return math.ceil(float(n))


def pilot_observations_needed(*, n_per_group: int, n_baseline: int) -> int | None:
    """Pilot observations that match a fixed baseline of `n_baseline` (None: the baseline is too small).

    A balanced design with n per group has the variance of 1/n_b + 1/n_p = 2/n; the baseline is
    already measured, so the pilot makes up the rest.
    """
    spare = 2 / n_per_group - 1 / n_baseline
    if spare <= 0:
        return None
    return math.ceil(1 / spare)


def minimum_pilot_weeks(
    *, baseline_rate: float, target_change_pct: float, weekly_volume: float, baseline_weeks: float
) -> PilotLength:
    """The pilot weeks a rate target needs, from the baseline's rate and weekly volume."""
    n = rate_sample_size(baseline_rate=baseline_rate, target_change_pct=target_change_pct)
    if weekly_volume <= 0:
        return PilotLength(None, n, "no volume in the baseline: the pilot length cannot be computed")
    pilot_n = pilot_observations_needed(n_per_group=n, n_baseline=round(weekly_volume * baseline_weeks))
    if pilot_n is None:
        weeks_needed = math.ceil(n / (2 * weekly_volume))
        return PilotLength(
            None,
            n,
            f"the baseline holds about {weekly_volume * baseline_weeks:.0f} observations; detecting "
            f"{target_change_pct:+.0f} % needs a longer baseline (more than {weeks_needed} weeks) "
            f"or a larger target",
        )
    weeks = math.ceil(pilot_n / weekly_volume)
    return PilotLength(
        weeks,
        n,
        f"detecting {target_change_pct:+.0f} % from a {baseline_rate:.0%} rate needs about {n} observations "
        f"per group: about {weeks} pilot weeks at {weekly_volume:.0f} a week",
    )


def compare_rates(
    *,
    baseline_events: int,
    baseline_total: int,
    pilot_events: int,
    pilot_total: int,
    target_change_pct: float,
    pilot_weeks: float,
) -> GateEvidence:
    """Pilot rate vs the clinic's own baseline rate: relative change with a 95 % score interval."""
    for name, events, total in (
        ("baseline", baseline_events, baseline_total),
        ("pilot", pilot_events, pilot_total),
    ):
        if total < 1 or not 0 <= events <= total:
            raise ValueError(f"{name}: events must lie between 0 and a total of at least 1")
    method = (
        "two-proportion comparison, pilot vs the clinic's baseline: ratio of the rates with a "
        f"{CONFIDENCE:.0%} score interval (Miettinen-Nurminen) and the score test"
    )
    if baseline_events == 0:
        return _without_estimate(
            method=method,
            target_pct=target_change_pct,
            n_baseline=baseline_total,
            n_pilot=pilot_total,
            summary="the baseline rate is 0: no relative change can be measured; review the baseline",
        )
    low, high = confint_proportions_2indep(
        pilot_events, pilot_total, baseline_events, baseline_total, method="score", compare="ratio"
    )
    test = test_proportions_2indep(
        pilot_events, pilot_total, baseline_events, baseline_total, method="score", compare="ratio"
    )
    estimate_pct = (float(test.ratio) - 1) * 100
    low_pct, high_pct = (float(low) - 1) * 100, (float(high) - 1) * 100
    outcome, position = judge(estimate=estimate_pct, low=low_pct, high=high_pct, target=target_change_pct)
    extension, note = None, ""
    baseline_rate = baseline_events / baseline_total
    if outcome == "inconclusive" and 0 < baseline_rate < 1 and pilot_weeks > 0:
        n = rate_sample_size(baseline_rate=baseline_rate, target_change_pct=target_change_pct)
        pilot_n = pilot_observations_needed(n_per_group=n, n_baseline=baseline_total)
        if pilot_n is not None:
            extension = max(math.ceil((pilot_n - pilot_total) / (pilot_total / pilot_weeks)), 1)
        else:
            note = (
                f"; the baseline's {baseline_total} observations are too few to detect the target "
                f"(about {n} per group are needed): a longer pilot alone will not settle it"
            )
    return GateEvidence(
        outcome=outcome,
        method=method,
        estimate_pct=round(estimate_pct, 2),
        ci_low_pct=round(low_pct, 2),
        ci_high_pct=round(high_pct, 2),
        confidence=CONFIDENCE,
        target_pct=target_change_pct,
        target_position=position,
        n_baseline=baseline_total,
        n_pilot=pilot_total,
        p_value=float(test.pvalue),
        extension_weeks=extension,
        summary=_summary(
            outcome,
            estimate=estimate_pct,
            low=low_pct,
            high=high_pct,
            target=target_change_pct,
            extension=extension,
        )
        + note,
    )


def compare_durations_paired(
    *, per_clinician: Mapping[str, tuple[float, float]], target_change_pct: float
) -> GateEvidence:
    """Each clinician's pilot mean vs their own baseline mean (minutes per note), paired t interval.

    `per_clinician` maps a pseudonymous staff id to (baseline mean, pilot mean); clinicians without
    notes in both periods are left out by the caller. The change in % is the mean difference over
    the clinicians' mean baseline.
    """
    pairs = list(per_clinician.values())
    method = (
        "paired comparison per clinician: mean of each clinician's pilot-minus-baseline difference "
        f"with a {CONFIDENCE:.0%} t interval, relative to their mean baseline"
    )
    if len(pairs) < 2:
        return _without_estimate(
            method=method,
            target_pct=target_change_pct,
            n_baseline=len(pairs),
            n_pilot=len(pairs),
            summary="a paired comparison needs at least 2 clinicians with notes in both baseline and pilot",
        )
    baseline = [b for b, _ in pairs]
    pilot = [p for _, p in pairs]
    mean_baseline = sum(baseline) / len(baseline)
    if mean_baseline <= 0:
        raise ValueError("the clinicians' baseline minutes per note must be positive")
    result = stats.ttest_rel(pilot, baseline)
    interval = result.confidence_interval(confidence_level=CONFIDENCE)
    differences = [p - b for b, p in pairs]
    mean_difference = sum(differences) / len(differences)
    estimate_pct = mean_difference / mean_baseline * 100
    low_pct = float(interval.low) / mean_baseline * 100
    high_pct = float(interval.high) / mean_baseline * 100
    if math.isnan(low_pct):  # every difference identical: no spread, the interval is the estimate
        low_pct = high_pct = estimate_pct
    outcome, position = judge(estimate=estimate_pct, low=low_pct, high=high_pct, target=target_change_pct)
    summary = _summary(
        outcome, estimate=estimate_pct, low=low_pct, high=high_pct, target=target_change_pct, extension=None
    )
    if outcome == "inconclusive":
        summary += "; " + _clinicians_needed(differences, mean_baseline * target_change_pct / 100)
    p_value = float(result.pvalue)
    return GateEvidence(
        outcome=outcome,
        method=method,
        estimate_pct=round(estimate_pct, 2),
        ci_low_pct=round(low_pct, 2),
        ci_high_pct=round(high_pct, 2),
        confidence=CONFIDENCE,
        target_pct=target_change_pct,
        target_position=position,
        n_baseline=len(pairs),
        n_pilot=len(pairs),
        p_value=None if math.isnan(p_value) else p_value,
        extension_weeks=None,
        summary=summary,
    )


def compare_usage(*, users: int, eligible: int, target_share: float) -> GateEvidence:
    """Usage over the pilot group (the share who used the tool) against a target share, Wilson interval."""
    if eligible < 1 or not 0 <= users <= eligible:
        raise ValueError("users must lie between 0 and an eligible group of at least 1")
    if not 0 < target_share <= 1:
        raise ValueError("target_share must lie in (0, 1]")
    low, high = proportion_confint(users, eligible, alpha=1 - CONFIDENCE, method="wilson")
    share = users / eligible
    outcome, position = judge(estimate=share, low=float(low), high=float(high), target=target_share)
    return GateEvidence(
        outcome=outcome,
        method=f"share of the pilot group using the tool with a {CONFIDENCE:.0%} Wilson interval",
        estimate_pct=round(share * 100, 2),
        ci_low_pct=round(float(low) * 100, 2),
        ci_high_pct=round(float(high) * 100, 2),
        confidence=CONFIDENCE,
        target_pct=target_share * 100,
        target_position=position,
        n_baseline=0,
        n_pilot=eligible,
        p_value=None,
        extension_weeks=None,
        summary=(
            f"{share:.0%} of {eligible} used the tool ({CONFIDENCE:.0%} interval {float(low):.0%} to "
            f"{float(high):.0%}), target {target_share:.0%}: {outcome}"
        ),
    )


def _without_estimate(
    *, method: str, target_pct: float, n_baseline: int, n_pilot: int, summary: str
) -> GateEvidence:
    """Inconclusive without an estimate: the data cannot answer the question yet."""
    return GateEvidence(
        outcome="inconclusive",
        method=method,
        estimate_pct=None,
        ci_low_pct=None,
        ci_high_pct=None,
        confidence=CONFIDENCE,
        target_pct=target_pct,
        target_position=None,
        n_baseline=n_baseline,
        n_pilot=n_pilot,
        p_value=None,
        extension_weeks=None,
        summary=summary,
    )


def _clinicians_needed(differences: list[float], target_minutes: float) -> str:
    spread = stats.tstd(differences) if len(set(differences)) > 1 else 0.0
    if spread == 0 or target_minutes == 0:
        return "the spread between clinicians cannot size a longer pilot"
    n = TTestPower().solve_power(
        effect_size=abs(target_minutes) / spread, alpha=1 - CONFIDENCE, power=POWER, alternative="two-sided"
    )
    return (
        f"at the observed spread between clinicians, detecting the target needs about "
        f"{math.ceil(float(n))} clinicians in the pilot group"
    )


def _summary(
    outcome: GateVerdict, *, estimate: float, low: float, high: float, target: float, extension: int | None
) -> str:
    measured = (
        f"change {estimate:+.1f} % ({CONFIDENCE:.0%} interval {low:+.1f} % to {high:+.1f} %), "
        f"target {target:+.0f} %"
    )
    if outcome == "pass":
        return f"{measured}: the target is reached and the change is real"
    if outcome == "fail":
        return f"{measured}: the target lies beyond the interval, the data rule it out"
    if extension is not None:
        return f"{measured}: not yet conclusive; extend the pilot by {extension} weeks at the observed volume"
    return f"{measured}: not yet conclusive"
