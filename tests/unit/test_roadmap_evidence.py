"""The gate's week-level statistics against independent computations (t formulas, lstsq, brute force)."""

import dataclasses
import json
import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

from services.roadmap.plans.evidence import (
    ClinicianWeeks,
    GateData,
    HandBaselineFigure,
    WeekCounts,
    decide,
    gate_kpi,
    judge_gate_data,
)
from services.roadmap.plans.sizing import (
    pass_probability,
    recommended_pilot,
    step_se,
)
from services.roadmap.plans.targets import Target
from services.roadmap.plans.weekly import ar1_correlation, fit_against_fixed, fit_step

WEEKS = [f"2026-W{number:02d}" for number in range(1, 21)]


def weekly_log_rates(events: list[int], totals: list[int]) -> np.ndarray:
    return np.log((np.array(events) + 0.5) / (np.array(totals) + 0.5))


def gls_by_whitening(
    y: np.ndarray, pilot: np.ndarray, positions: list[int], rho: float
) -> tuple[float, float, int]:
    """GLS by hand: whiten with the Cholesky factor of the AR(1) matrix, then ordinary least squares."""
    sigma = rho ** np.abs(np.subtract.outer(positions, positions)).astype(float)
    lower = np.linalg.cholesky(sigma)
    x = np.column_stack([np.ones(len(y)), pilot])
    xw, yw = np.linalg.solve(lower, x), np.linalg.solve(lower, y)
    beta, rss, *_ = np.linalg.lstsq(xw, yw, rcond=None)
    df = len(y) - 2
    variance = float(rss[0]) / df * np.linalg.inv(xw.T @ xw)
    return float(beta[1]), math.sqrt(variance[1, 1]), df


def test_fit_step_without_correlation_is_the_pooled_two_sample_t_interval() -> None:
    rng = np.random.default_rng(3)
    base, pilot = rng.normal(-1.2, 0.2, 4), rng.normal(-1.9, 0.2, 5)
    series = dict(zip(WEEKS[:9], [*base, *pilot], strict=True))
    fit = fit_step(series, WEEKS[:4], WEEKS[4:9], rho=0.0)
    assert fit is not None
    pooled = ((3 * base.var(ddof=1)) + (4 * pilot.var(ddof=1))) / 7
    se = math.sqrt(pooled * (1 / 4 + 1 / 5))
    difference = pilot.mean() - base.mean()
    t = stats.t.ppf(0.975, 7)
    assert fit.estimate == pytest.approx(difference, abs=1e-12)
    assert (fit.low, fit.high) == pytest.approx((difference - t * se, difference + t * se), abs=1e-12)
    assert fit.p_value == pytest.approx(stats.ttest_ind(pilot, base).pvalue, abs=1e-12)


def test_fit_step_matches_gls_by_whitening_with_a_gap_between_baseline_and_pilot() -> None:
    rng = np.random.default_rng(5)
    y = rng.normal(0, 0.2, 10) + np.r_[np.zeros(4), np.full(6, -0.4)]
    baseline, pilot = WEEKS[:4], WEEKS[7:13]  # three weeks apart: the correlation must use the real distance
    fit = fit_step(dict(zip([*baseline, *pilot], y, strict=True)), baseline, pilot)
    estimate, se, df = gls_by_whitening(
        y, np.r_[np.zeros(4), np.ones(6)], [0, 1, 2, 3, 7, 8, 9, 10, 11, 12], 0.3
    )
    assert fit is not None and fit.df == df
    assert (fit.estimate, fit.se) == pytest.approx((estimate, se), abs=1e-10)
    assert fit.high - fit.estimate == pytest.approx(stats.t.ppf(0.975, df) * se, abs=1e-10)


def test_fit_against_a_hand_baseline_without_correlation_adds_the_baselines_own_variance() -> None:
    values = [-1.9, -2.1, -1.7, -2.0, -1.8]
    series = dict(zip(WEEKS[4:9], values, strict=True))
    fit = fit_against_fixed(series, WEEKS[4:9], baseline_log=math.log(0.29), baseline_weeks=4, rho=0.0)
    assert fit is not None
    spread = np.var(values, ddof=1)
    assert fit.estimate == pytest.approx(np.mean(values) - math.log(0.29), abs=1e-12)
    assert fit.se == pytest.approx(math.sqrt(spread / 5 + spread / 4), abs=1e-12)
    assert fit.df == 4


def test_a_historical_baseline_counts_its_weeks_with_their_real_n() -> None:
    # Four baseline weeks of 600 calls at ~29 %, then 3 ramp-up and 4 judged weeks at ~17 %: the case.
    events = [170, 180, 168, 176, 150, 120, 110, 100, 104, 96, 108]
    totals = [600] * 11
    clinic = tuple(WeekCounts(w, e, n) for w, e, n in zip(WEEKS, events, totals, strict=False))
    evidence = judge_gate_data(
        GateData("missed_call_rate", "rate", "lower", tuple(WEEKS[:4]), tuple(WEEKS[4:11]), clinic=clinic),
        Target(-50),
    )
    assert (evidence.n_baseline, evidence.n_pilot) == (2400, 2400)
    assert evidence.weeks_excluded_as_ramp_up == tuple(WEEKS[4:7])
    assert evidence.pilot_weeks_used == tuple(WEEKS[7:11])
    y = weekly_log_rates(events[:4] + events[7:11], totals[:8])
    estimate, se, df = gls_by_whitening(y, np.r_[np.zeros(4), np.ones(4)], [0, 1, 2, 3, 7, 8, 9, 10], 0.3)
    t = stats.t.ppf(0.975, df)
    assert evidence.estimate_pct == pytest.approx(math.expm1(estimate) * 100, abs=0.01)
    assert evidence.ci_low_pct == pytest.approx(math.expm1(estimate - t * se) * 100, abs=0.01)
    assert evidence.ci_high_pct == pytest.approx(math.expm1(estimate + t * se) * 100, abs=0.01)
    assert evidence.outcome == "pass"  # about -41 %, interval clear of 0, beyond the worthwhile -25 %
    assert evidence.design.startswith("before/after only")
    json.dumps(dataclasses.asdict(evidence))  # stored as JSON by the workflow


def _clinician(staff: str, pilot: bool, minutes_per_note: list[float], notes: int = 50) -> ClinicianWeeks:
    return ClinicianWeeks(
        staff,
        pilot,
        tuple(WeekCounts(w, m * notes, notes) for w, m in zip(WEEKS, minutes_per_note, strict=False)),
    )


def test_durations_difference_in_differences_pairs_each_clinician_with_their_own_baseline() -> None:
    rng = np.random.default_rng(11)
    shared = rng.normal(0, 0.05, 11)  # clinic-wide weeks cancel in the difference
    slow, fast = 24.0, 11.0  # clinician-level baselines must not matter
    pilots = [
        _clinician(
            f"p{i}",
            True,
            list(level * np.exp(shared + rng.normal(0, 0.03, 11) + np.r_[np.zeros(7), np.full(4, -0.2)])),
        )
        for i, level in enumerate((slow, fast, 18.0))  # three: a group whose figures may be shown
    ]
    controls = [
        _clinician(f"c{i}", False, list(level * np.exp(shared + rng.normal(0, 0.03, 11))))
        for i, level in enumerate((fast, slow, 15.0))
    ]
    data = GateData(
        "documentation_minutes_per_note",
        "duration",
        "lower",
        tuple(WEEKS[:4]),
        tuple(WEEKS[4:11]),
        clinicians=(*pilots, *controls),
    )
    evidence = judge_gate_data(data, Target(-15))
    used = [0, 1, 2, 3, 7, 8, 9, 10]

    def centered_mean(group: list[ClinicianWeeks]) -> np.ndarray:
        logs = np.array([[math.log(c.weeks[t].events / c.weeks[t].total) for t in used] for c in group])
        centered: np.ndarray = (logs - logs[:, :4].mean(axis=1, keepdims=True)).mean(axis=0)
        return centered

    y = centered_mean(pilots) - centered_mean(controls)
    estimate, se, df = gls_by_whitening(y, np.r_[np.zeros(4), np.ones(4)], used, 0.3)
    assert evidence.estimate_pct == pytest.approx(math.expm1(estimate) * 100, abs=0.01)
    assert evidence.ci_high_pct == pytest.approx(
        math.expm1(estimate + stats.t.ppf(0.975, df) * se) * 100, abs=0.01
    )
    assert evidence.n_control == 3 and evidence.design.startswith("difference-in-differences")
    assert evidence.outcome == "pass" and evidence.n_pilot == 3 * 4 * 50


def _small_group_data(pilots: int, controls: int) -> GateData:
    """Clinicians' minutes per note falling 20 % in the pilot (the controls' too), and the clinic's sums."""
    rng = np.random.default_rng(5)
    step = np.r_[np.zeros(7), np.full(4, -0.2)]
    members = [
        _clinician(f"p{i}", True, list(16 * np.exp(rng.normal(0, 0.03, 11) + step))) for i in range(pilots)
    ] + [
        _clinician(f"c{i}", False, list(14 * np.exp(rng.normal(0, 0.03, 11) + step))) for i in range(controls)
    ]
    clinic = tuple(
        WeekCounts(w, sum(m.weeks[t].events for m in members), sum(m.weeks[t].total for m in members))
        for t, w in enumerate(WEEKS[:11])
    )
    return GateData(
        "documentation_minutes_per_note",
        "duration",
        "lower",
        tuple(WEEKS[:4]),
        tuple(WEEKS[4:11]),
        clinic=clinic,
        clinicians=tuple(members),
    )


def test_a_pilot_group_under_three_is_judged_within_the_clinic_never_shown_per_person() -> None:
    evidence = judge_gate_data(_small_group_data(pilots=1, controls=3), Target(-15))
    assert evidence.design.startswith("before/after only: the clinic against its own baseline")
    assert "fewer than 3 clinicians: not shown per person" in evidence.design
    assert evidence.n_control == 0 and "pilot group (" not in evidence.method
    assert evidence.n_pilot == 4 * 4 * 50  # the clinic's notes, not the one pilot clinician's


def test_a_control_under_three_is_left_out_and_the_pilot_group_judged_on_its_own() -> None:
    evidence = judge_gate_data(_small_group_data(pilots=3, controls=2), Target(-15))
    assert evidence.design.startswith("before/after only: the pilot group against its own baseline")
    assert "fewer than 3 clinicians: not shown per person" in evidence.design
    assert evidence.n_control == 0 and evidence.outcome == "pass"


def test_durations_can_fail() -> None:
    rng = np.random.default_rng(2)
    pilots = [_clinician(f"p{i}", True, list(16 * np.exp(rng.normal(0, 0.02, 12)))) for i in range(3)]
    data = GateData(
        "documentation_minutes_per_note",
        "duration",
        "lower",
        tuple(WEEKS[:4]),
        tuple(WEEKS[4:12]),
        clinicians=tuple(pilots),
    )
    evidence = judge_gate_data(data, Target(-15))
    assert evidence.outcome == "fail" and evidence.target_position == "beyond_interval"
    assert evidence.design.startswith("before/after only: the pilot group")


def test_an_inconclusive_pilot_gets_the_extension_the_sizing_asks_for() -> None:
    events = [87, 70, 100, 80, 90, 80, 76, 78, 64, 84, 72]  # about -11 %, wide weekly swings
    clinic = tuple(WeekCounts(w, float(e), 300.0) for w, e in zip(WEEKS, events, strict=False))
    evidence = judge_gate_data(
        GateData("missed_call_rate", "rate", "lower", tuple(WEEKS[:4]), tuple(WEEKS[4:11]), clinic=clinic),
        Target(-30),
    )
    assert evidence.outcome == "inconclusive" and evidence.extension_weeks is not None
    assert f"extend the pilot by {evidence.extension_weeks} weeks" in evidence.summary  # 12 weeks
    # The extension is the fewest extra weeks at which P(pass | target) reaches 80 % at the observed spread.
    y = weekly_log_rates(events[:4] + events[7:11], [300] * 8)
    _, se, _ = gls_by_whitening(y, np.r_[np.zeros(4), np.ones(4)], [0, 1, 2, 3, 7, 8, 9, 10], 0.3)
    fit = fit_step(dict(zip(WEEKS[:4] + WEEKS[7:11], y, strict=True)), WEEKS[:4], WEEKS[7:11])
    assert fit is not None and fit.se == pytest.approx(se, abs=1e-10)

    def power(extra: int) -> float:
        pilot = list(range(7, 11 + extra))
        spread = step_se([0, 1, 2, 3], pilot, var_base=fit.weekly_sd**2, var_pilot=fit.weekly_sd**2)
        return pass_probability(
            improvement=-math.log(0.7), worthwhile=-math.log(0.85), se=spread, df=4 + len(pilot) - 2
        )

    assert power(evidence.extension_weeks) >= 0.8 > power(evidence.extension_weeks - 1)


def test_a_hand_baseline_still_works_as_before_after() -> None:
    clinic = tuple(
        WeekCounts(w, e, 300.0) for w, e in zip(WEEKS[4:11], [60, 50, 45, 44, 40, 46, 42], strict=True)
    )
    hand = HandBaselineFigure(value=0.29, weekly_volume=300, weeks=4, source="manual_count")
    evidence = judge_gate_data(
        GateData(
            "missed_call_rate",
            "rate",
            "lower",
            tuple(WEEKS[:4]),
            tuple(WEEKS[4:11]),
            clinic=clinic,
            hand_baseline=hand,
        ),
        Target(-50),
    )
    assert (
        evidence.design == "before/after only: the clinic against a baseline entered by hand (manual_count)"
    )
    assert evidence.n_baseline == 1200 and evidence.estimate_pct is not None and evidence.estimate_pct < -40


NOTHING = GateData("missed_call_rate", "rate", "lower", tuple(WEEKS[:4]), tuple(WEEKS[4:11]))


@pytest.mark.parametrize(
    ("data", "target", "reason"),
    [
        (NOTHING, Target(-50), "no KPI data"),
        (dataclasses.replace(NOTHING, pilot_weeks=(WEEKS[4],)), Target(-50), "at least 2 judged"),
        (
            dataclasses.replace(NOTHING, clinic=tuple(WeekCounts(w, 0, 300) for w in WEEKS[:11])),
            Target(-50),
            "baseline rate is 0",
        ),
        (
            dataclasses.replace(NOTHING, clinic=tuple(WeekCounts(w, 30, 300) for w in WEEKS[:11])),
            Target(-50),
            "do not vary",
        ),
        (dataclasses.replace(NOTHING, clinic=(WeekCounts(WEEKS[0], 30, 300),)), Target(-50), "1 baseline"),
        (NOTHING, Target(+30), "must both point the way"),
        (NOTHING, Target(-50, minimum_worthwhile_pct=-60), "no further than the first"),
        (
            dataclasses.replace(
                NOTHING,
                clinic=tuple(WeekCounts(w, 40 + i, 300) for i, w in enumerate(WEEKS[4:11])),
                hand_baseline=HandBaselineFigure(1.5, 300, 4, "audit"),
            ),
            Target(-50),
            "strictly between 0 and 1",
        ),
        (
            dataclasses.replace(
                NOTHING,
                baseline_weeks=("not a week", "2026-W99"),
                clinic=(WeekCounts("2026-W05", float("nan"), -3), WeekCounts("2026-W06", 500, 100)),
            ),
            Target(-50),
            "",
        ),
        (
            GateData("documentation_minutes_per_note", "duration", "lower", (), (), clinicians=()),
            Target(-10),
            "judged",
        ),
    ],
)
def test_impossible_data_are_inconclusive_with_a_reason_never_an_exception(
    data: GateData, target: Target, reason: str
) -> None:
    evidence = judge_gate_data(data, target)
    assert evidence.outcome == "inconclusive" and evidence.estimate_pct is None
    assert reason in evidence.summary
    json.dumps(dataclasses.asdict(evidence))


@pytest.mark.parametrize(
    ("estimate", "low", "high", "target", "worthwhile", "better", "expected"),
    [
        (-54.0, -67.0, -36.0, -50.0, -25.0, "lower", ("pass", "inside_interval")),
        (-30.0, -45.0, -10.0, -50.0, -25.0, "lower", ("pass", "beyond_interval")),  # real and worth having
        (
            -20.0,
            -55.0,
            -2.0,
            -50.0,
            -25.0,
            "lower",
            ("inconclusive", "inside_interval"),
        ),  # real, not worth it
        (-20.0, -30.0, -8.0, -50.0, -25.0, "lower", ("fail", "beyond_interval")),
        (-35.0, -60.0, 5.0, -50.0, -25.0, "lower", ("inconclusive", "inside_interval")),
        (10.0, 2.0, 30.0, -50.0, -25.0, "lower", ("fail", "beyond_interval")),  # it got worse
        (30.0, 10.0, 50.0, 25.0, 12.5, "higher", ("pass", "inside_interval")),
        (10.0, -5.0, 22.0, 25.0, 12.5, "higher", ("fail", "beyond_interval")),
    ],
)
def test_one_decision_rule_both_directions(
    estimate: float,
    low: float,
    high: float,
    target: float,
    worthwhile: float,
    better: str,
    expected: tuple[str, str],
) -> None:
    assert (
        decide(
            estimate_pct=estimate,
            low_pct=low,
            high_pct=high,
            target_pct=target,
            worthwhile_pct=worthwhile,
            better=better,  # type: ignore[arg-type]
        )
        == expected
    )


def test_pass_probability_matches_brute_force() -> None:
    rng = np.random.default_rng(1)
    improvement, worthwhile, se, df = 0.5, 0.2, 0.18, 6
    b = rng.normal(improvement, se, 400_000)
    se_hat = se * np.sqrt(rng.chisquare(df, 400_000) / df)
    brute = np.mean((b >= stats.t.ppf(0.975, df) * se_hat) & (b >= worthwhile))
    assert pass_probability(improvement=improvement, worthwhile=worthwhile, se=se, df=df) == pytest.approx(
        brute, abs=0.004
    )
    # Many degrees of freedom and no worthwhile bar: the textbook one-sided power.
    assert pass_probability(improvement=0.5, worthwhile=0.0, se=0.18, df=10_000) == pytest.approx(
        stats.norm.cdf(0.5 / 0.18 - 1.959964), abs=0.002
    )


def test_step_se_is_the_textbook_variance_without_correlation_and_brute_force_with_it() -> None:
    assert step_se(range(4), range(7, 13), var_base=0.04, var_pilot=0.09, rho=0.0) == pytest.approx(
        math.sqrt(0.04 / 4 + 0.09 / 6)
    )
    rng = np.random.default_rng(4)
    positions = [0, 1, 2, 3, 7, 8, 9, 10]
    truth = ar1_correlation(positions) * 0.05
    draws = rng.multivariate_normal(np.zeros(8), truth, 40_000)
    estimates = [
        gls_by_whitening(row, np.r_[np.zeros(4), np.ones(4)], positions, 0.3)[0] for row in draws[:4000]
    ]
    assert step_se(positions[:4], positions[4:], var_base=0.05, var_pilot=0.05) == pytest.approx(
        np.std(estimates), rel=0.05
    )


def test_recommended_pilot_floors_at_four_judged_weeks_plus_ramp_up() -> None:
    easy = recommended_pilot(
        measure="rate",
        better="lower",
        baseline_value=0.29,
        weekly_volume=3000,
        target=Target(-80),
        baseline_weeks=8,
    )
    assert (easy.weeks, easy.judged_weeks, easy.ramp_up_weeks) == (7, 4, 3)
    missed_calls = recommended_pilot(
        measure="rate", better="lower", baseline_value=0.29, weekly_volume=300, target=Target(-50)
    )
    assert missed_calls.weeks == 7 and missed_calls.power is not None and missed_calls.power >= 0.8


def test_recommended_pilot_asks_for_history_when_four_baseline_weeks_are_too_few() -> None:
    no_shows = recommended_pilot(
        measure="rate", better="lower", baseline_value=0.12, weekly_volume=250, target=Target(-25)
    )
    assert no_shows.weeks is None and no_shows.baseline_weeks_needed is not None
    assert f"with {no_shows.baseline_weeks_needed} weeks of baseline history" in no_shows.note
    longer = recommended_pilot(
        measure="rate",
        better="lower",
        baseline_value=0.12,
        weekly_volume=250,
        target=Target(-25),
        baseline_weeks=no_shows.baseline_weeks_needed,
    )
    assert longer.weeks is not None and longer.power is not None and longer.power >= 0.8


@pytest.mark.parametrize(
    "kwargs",
    [
        {
            "measure": "rate",
            "better": "lower",
            "baseline_value": 0.0,
            "weekly_volume": 300,
            "target": Target(-50),
        },
        {
            "measure": "rate",
            "better": "lower",
            "baseline_value": 0.29,
            "weekly_volume": 0,
            "target": Target(-50),
        },
        {
            "measure": "rate",
            "better": "lower",
            "baseline_value": 0.29,
            "weekly_volume": 300,
            "target": Target(30),
        },
        {
            "measure": "duration",
            "better": "lower",
            "baseline_value": -1,
            "weekly_volume": 300,
            "target": Target(-10),
        },
        {
            "measure": "rate",
            "better": "lower",
            "baseline_value": float("nan"),
            "weekly_volume": 1,
            "target": Target(-5),
        },
    ],
)
def test_recommended_pilot_refuses_impossible_inputs_without_raising(kwargs: dict[str, Any]) -> None:
    length = recommended_pilot(**kwargs)
    assert length.weeks is None and length.note.startswith("no pilot length can be computed")


def test_gate_kpi_says_how_each_kpi_is_judged() -> None:
    assert gate_kpi("missed_call_rate") == ("rate", "lower")
    assert gate_kpi("appointment_conversion") == ("rate", "higher")
    assert gate_kpi("documentation_minutes_per_note") == ("duration", "lower")
    assert gate_kpi("ai_weekly_active_staff") is None


def test_a_count_a_week_is_judged_on_its_weekly_log_counts() -> None:
    # Follow-ups completed: about 40 a week before, about 60 after the 3 ramp-up weeks (+50 %). Checked
    # by GLS written out with numpy: each week's log(count + 0.5) on a step, AR(1) 0.3 between weeks.
    weeks = [f"2027-W{index:02d}" for index in range(1, 15)]
    before = [38, 42, 40, 41]
    ramp = [44, 50, 55]
    after = [58, 63, 61, 57, 60, 62, 59]
    clinic = tuple(
        WeekCounts(week, float(count), 1.0) for week, count in zip(weeks, before + ramp + after, strict=True)
    )
    data = GateData(
        kpi="followups_completed",
        measure="count",
        better="higher",
        baseline_weeks=tuple(weeks[:4]),
        pilot_weeks=tuple(weeks[4:]),
        clinic=clinic,
    )
    evidence = judge_gate_data(data, Target(30.0))
    positions = np.array([*range(4), *range(7, 14)])
    y = np.log(np.array(before + after) + 0.5)
    x = np.column_stack([np.ones(11), positions >= 7])
    inverse = np.linalg.inv(0.3 ** np.abs(positions[:, None] - positions[None, :]))
    beta = np.linalg.solve(x.T @ inverse @ x, x.T @ inverse @ y)
    assert evidence.outcome == "pass"
    assert evidence.estimate_pct == pytest.approx((math.exp(beta[1]) - 1) * 100, abs=0.01)
    assert "weekly log count" in evidence.method
    unchanged = judge_gate_data(
        dataclasses.replace(
            data,
            clinic=tuple(WeekCounts(week.week, float(before[i % 4]), 1.0) for i, week in enumerate(clinic)),
        ),
        Target(30.0),
    )
    assert unchanged.outcome != "pass"
