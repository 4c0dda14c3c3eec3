"""The gate's statistics against values computed independently (textbook examples, statsmodels)."""

import pytest
from statsmodels.stats import proportion

from services.roadmap.plans.evidence import (
    compare_durations_paired,
    compare_rates,
    compare_usage,
    judge,
    minimum_pilot_weeks,
    rate_sample_size,
)

# Student's sleep data (Cushny & Peebles 1905; R's `sleep` data set): extra hours of sleep per patient
# under two drugs. R: t.test(extra ~ group, data = sleep, paired = TRUE) gives mean difference -1.58,
# t = -4.0621, df = 9, p = 0.002833, 95 % CI -2.4598858 to -0.7001142.
SLEEP_DRUG_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_DRUG_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def test_design_sample_sizes_from_a_29_percent_missed_call_rate() -> None:
    # DESIGN.md "Evaluation": from 29 %, -50 % needs ~124 calls and -20 % ~900 (per group, 80 % power, 5 %).
    assert rate_sample_size(baseline_rate=0.29, target_change_pct=-50) == 124
    assert rate_sample_size(baseline_rate=0.29, target_change_pct=-20) == 898


def test_minimum_pilot_weeks_matches_design_six_weeks_at_150_calls() -> None:
    length = minimum_pilot_weeks(
        baseline_rate=0.29, target_change_pct=-20, weekly_volume=150, baseline_weeks=6
    )
    assert length.weeks == 6
    assert "6 pilot weeks at 150 a week" in length.note


def test_a_baseline_too_small_for_the_target_says_no_pilot_length_is_enough() -> None:
    length = minimum_pilot_weeks(
        baseline_rate=0.29, target_change_pct=-20, weekly_volume=150, baseline_weeks=2
    )
    assert length.weeks is None
    assert "longer baseline" in length.note


def test_rates_newcombe_example_pinned_to_statsmodels() -> None:
    # Newcombe (Stat Med 1998) two-sample example 56/70 vs 48/80; the ratio's score (Miettinen-Nurminen)
    # interval from statsmodels 0.15: 1.0790471 to 1.6721454, score test p = 0.0082583.
    evidence = compare_rates(
        baseline_events=48,
        baseline_total=80,
        pilot_events=56,
        pilot_total=70,
        target_change_pct=25,
        pilot_weeks=2,
    )
    assert evidence.estimate_pct == pytest.approx(33.33, abs=0.01)
    assert evidence.ci_low_pct == pytest.approx(7.90, abs=0.01)
    assert evidence.ci_high_pct == pytest.approx(67.21, abs=0.01)
    assert evidence.p_value == pytest.approx(0.0082583, abs=1e-6)
    assert (evidence.outcome, evidence.target_position) == ("pass", "inside_interval")
    assert (evidence.n_baseline, evidence.n_pilot) == (80, 70)
    assert "score interval" in evidence.method


def test_rate_interval_bounds_are_where_the_score_test_reaches_five_percent() -> None:
    # Independent of the interval code: the score test of "ratio = bound" must give p = 0.05 at each bound.
    evidence = compare_rates(
        baseline_events=87,
        baseline_total=300,
        pilot_events=40,
        pilot_total=300,
        target_change_pct=-50,
        pilot_weeks=2,
    )
    assert evidence.ci_low_pct is not None and evidence.ci_high_pct is not None
    for bound in (evidence.ci_low_pct, evidence.ci_high_pct):
        test = proportion.test_proportions_2indep(
            40, 300, 87, 300, value=1 + bound / 100, method="score", compare="ratio"
        )
        assert float(test.pvalue) == pytest.approx(0.05, abs=0.002)
    assert evidence.outcome == "pass"


def test_rates_inconclusive_offers_the_weeks_the_power_calculation_needs() -> None:
    # 6 baseline weeks of 150 calls, 2 pilot weeks: -19.5 % observed, interval crosses 0; the power
    # calculation needs 898 pilot calls against a 900-call baseline: 598 more at 150 a week = 4 weeks.
    evidence = compare_rates(
        baseline_events=261,
        baseline_total=900,
        pilot_events=70,
        pilot_total=300,
        target_change_pct=-20,
        pilot_weeks=2,
    )
    assert evidence.outcome == "inconclusive"
    assert evidence.extension_weeks == 4
    assert "extend the pilot by 4 weeks" in evidence.summary


def test_rates_inconclusive_on_a_small_baseline_says_extension_will_not_settle_it() -> None:
    evidence = compare_rates(
        baseline_events=87,
        baseline_total=300,
        pilot_events=70,
        pilot_total=300,
        target_change_pct=-20,
        pilot_weeks=2,
    )
    assert evidence.outcome == "inconclusive"
    assert evidence.extension_weeks is None
    assert "too few to detect the target" in evidence.summary


def test_rates_fail_when_the_target_lies_beyond_the_interval() -> None:
    evidence = compare_rates(
        baseline_events=87,
        baseline_total=300,
        pilot_events=80,
        pilot_total=300,
        target_change_pct=-50,
        pilot_weeks=2,
    )
    assert (evidence.outcome, evidence.target_position) == ("fail", "beyond_interval")
    assert "rule it out" in evidence.summary


def test_rates_refuse_impossible_counts_and_survive_a_zero_baseline() -> None:
    with pytest.raises(ValueError, match="pilot"):
        compare_rates(
            baseline_events=1,
            baseline_total=10,
            pilot_events=11,
            pilot_total=10,
            target_change_pct=-50,
            pilot_weeks=1,
        )
    evidence = compare_rates(
        baseline_events=0,
        baseline_total=10,
        pilot_events=0,
        pilot_total=10,
        target_change_pct=-50,
        pilot_weeks=1,
    )
    assert evidence.outcome == "inconclusive" and evidence.estimate_pct is None


def test_paired_durations_reproduce_the_sleep_data_t_interval() -> None:
    # Minutes per note = sleep data + 10 (a shift changes no difference): drug 2 as baseline, drug 1 as pilot.
    per_clinician = {
        f"staff-{i}": (10 + b, 10 + p)
        for i, (b, p) in enumerate(zip(SLEEP_DRUG_2, SLEEP_DRUG_1, strict=True))
    }
    evidence = compare_durations_paired(per_clinician=per_clinician, target_change_pct=-10)
    mean_baseline = 10 + sum(SLEEP_DRUG_2) / 10
    assert evidence.estimate_pct == pytest.approx(-1.58 / mean_baseline * 100, abs=0.01)
    assert evidence.ci_low_pct == pytest.approx(-2.4598858 / mean_baseline * 100, abs=0.01)
    assert evidence.ci_high_pct == pytest.approx(-0.7001142 / mean_baseline * 100, abs=0.01)
    assert evidence.p_value == pytest.approx(0.002833, abs=1e-6)
    assert evidence.outcome == "pass"
    assert "paired comparison per clinician" in evidence.method


def test_paired_durations_need_two_clinicians_and_size_an_inconclusive_pilot() -> None:
    alone = compare_durations_paired(per_clinician={"staff-1": (10.0, 7.0)}, target_change_pct=-30)
    assert alone.outcome == "inconclusive" and "at least 2 clinicians" in alone.summary
    noisy = compare_durations_paired(
        per_clinician={"a": (10.0, 6.0), "b": (10.0, 11.0), "c": (12.0, 9.0)}, target_change_pct=-20
    )
    assert noisy.outcome == "inconclusive"
    assert "clinicians in the pilot group" in noisy.summary


def test_usage_wilson_interval_newcombe_single_proportion_example() -> None:
    # Newcombe (Stat Med 1998, single proportion) example 81/263: Wilson score interval 0.2553 to 0.3662.
    evidence = compare_usage(users=81, eligible=263, target_share=0.5)
    assert evidence.ci_low_pct == pytest.approx(25.53, abs=0.01)
    assert evidence.ci_high_pct == pytest.approx(36.62, abs=0.01)
    assert evidence.outcome == "fail"


@pytest.mark.parametrize(
    ("estimate", "low", "high", "target", "expected"),
    [
        (-54.0, -67.0, -36.0, -50.0, ("pass", "inside_interval")),
        (-60.0, -70.0, -55.0, -50.0, ("pass", "within_interval_reach")),
        (-30.0, -45.0, -10.0, -50.0, ("fail", "beyond_interval")),
        (-20.0, -38.0, 5.0, -20.0, ("inconclusive", "inside_interval")),
        (-35.0, -60.0, -5.0, -50.0, ("inconclusive", "inside_interval")),  # real, but the target not reached
        (30.0, 10.0, 50.0, 25.0, ("pass", "inside_interval")),  # higher is better
        (10.0, -5.0, 22.0, 25.0, ("fail", "beyond_interval")),
    ],
)
def test_judge_three_outcomes_both_directions(
    estimate: float, low: float, high: float, target: float, expected: tuple[str, str]
) -> None:
    assert judge(estimate=estimate, low=low, high=high, target=target) == expected
