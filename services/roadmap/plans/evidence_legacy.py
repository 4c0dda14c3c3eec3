"""TEMPORARY: the old pilot-vs-baseline score comparison, kept only so gate.py imports until it is rewired.

gate.gate_evidence (and through it the close-out) still calls compare_rates; the coordinator's rewiring
onto evidence.judge_gate_data removes both that call and this module. Do not use it in new code: it
treats every call as independent and a historical baseline as a guessed count (issue 23).
"""

import math
from dataclasses import dataclass
from typing import Literal

from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_effectsize,
    test_proportions_2indep,
)

CONFIDENCE = 0.95
POWER = 0.80


@dataclass(frozen=True)
class LegacyGateEvidence:
    """What the gate decided and everything an officer needs to defend it."""

    outcome: Literal["pass", "fail", "inconclusive"]
    method: str
    estimate_pct: float | None  # the change, in % of the baseline (usage: the share, in %)
    ci_low_pct: float | None
    ci_high_pct: float | None
    confidence: float
    target_pct: float
    target_position: str | None
    n_baseline: int
    n_pilot: int
    p_value: float | None
    extension_weeks: int | None  # inconclusive: how many more pilot weeks the observed volume needs
    summary: str


def judge(
    *, estimate: float, low: float, high: float, target: float, no_change: float = 0.0
) -> tuple[Literal["pass", "fail", "inconclusive"], str]:
    """The three-outcome rule on one interval; the target's side of `no_change` says which way is better."""
    sign = 1.0 if target >= no_change else -1.0
    gain_low, gain_high = sorted((sign * (low - no_change), sign * (high - no_change)))
    gain_target = sign * (target - no_change)
    if gain_high < gain_target:
        position = "beyond_interval"
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


def compare_rates(
    *,
    baseline_events: int,
    baseline_total: int,
    pilot_events: int,
    pilot_total: int,
    target_change_pct: float,
    pilot_weeks: float,
) -> LegacyGateEvidence:
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
    return LegacyGateEvidence(
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


def _without_estimate(
    *, method: str, target_pct: float, n_baseline: int, n_pilot: int, summary: str
) -> LegacyGateEvidence:
    """Inconclusive without an estimate: the data cannot answer the question yet."""
    return LegacyGateEvidence(
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


def _summary(
    outcome: Literal["pass", "fail", "inconclusive"],
    *,
    estimate: float,
    low: float,
    high: float,
    target: float,
    extension: int | None,
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
