"""Targets: the sign, what a share can reach, points and gap conversions, absolute values."""

import pytest

from services.roadmap.plans.evidence import GateData, Target, WeekCounts, judge_gate_data
from services.roadmap.plans.targets import (
    change_pct_from_gap,
    change_pct_from_points,
    check_target,
    target_value_text,
)


def test_a_possible_target_is_fine() -> None:
    assert check_target(measure="rate", better="lower", baseline_value=0.29, change_pct=-50) is None
    assert check_target(measure="rate", better="higher", baseline_value=0.60, change_pct=20) is None
    assert check_target(measure="duration", better="lower", baseline_value=16, change_pct=-15) is None
    assert check_target(measure="rate", better="lower", baseline_value=None, change_pct=-30) is None


def test_the_sign_must_match_the_direction() -> None:
    error = check_target(measure="rate", better="lower", baseline_value=0.29, change_pct=30)
    assert error is not None and error.startswith("target_change_pct:") and "negative" in error
    assert check_target(measure="rate", better="higher", baseline_value=0.5, change_pct=-10) is not None


def test_a_share_cannot_rise_to_100_percent_and_the_error_names_what_is_achievable() -> None:
    # 0.80 x 1.25 = 1.00: not strictly inside; the largest whole-percent rise is +24 %.
    error = check_target(measure="rate", better="higher", baseline_value=0.80, change_pct=25)
    assert error is not None
    assert "a share of 0.80 can rise by less than +25.0 %" in error
    assert "between +1 % and +24 %" in error and "target_change_points" in error
    # 0.83 x 1.20 = 0.996 is possible; 0.84 x 1.20 = 1.008 is not.
    assert check_target(measure="rate", better="higher", baseline_value=0.83, change_pct=20) is None
    assert check_target(measure="rate", better="higher", baseline_value=0.84, change_pct=20) is not None
    assert "choose give" not in (
        check_target(measure="rate", better="higher", baseline_value=0.995, change_pct=1) or ""
    )


@pytest.mark.parametrize(
    ("measure", "better", "baseline", "change", "fragment"),
    [
        ("rate", "lower", 0.0, -50, "a share of 0 cannot move"),
        ("rate", "lower", 1.5, -50, "between 0 and 1"),
        ("rate", "lower", 0.29, -100, "cannot fall by 100 %"),
        ("duration", "lower", 16, -120, "cannot fall by 100 %"),
        ("rate", "lower", 0.29, 0, "other than 0"),
        ("rate", "lower", 0.29, float("nan"), "other than 0"),
        ("duration", "lower", 0.0, -10, "positive"),
    ],
)
def test_impossible_targets_are_refused_with_a_reason(
    measure: str, better: str, baseline: float, change: float, fragment: str
) -> None:
    error = check_target(measure=measure, better=better, baseline_value=baseline, change_pct=change)  # type: ignore[arg-type]
    assert error is not None and fragment in error


def test_points_and_gap_convert_to_the_relative_change() -> None:
    # 29 % - 14.5 points = 14.5 %: half, -50 %.
    assert change_pct_from_points(baseline_value=0.29, points=-14.5) == pytest.approx(-50.0)
    assert change_pct_from_points(baseline_value=0.80, points=10) == pytest.approx(12.5)
    # Lower is better: closing half the gap to 0 is -50 %; higher: 80 % + half of 20 % = 90 %, +12.5 %.
    assert change_pct_from_gap(baseline_value=0.29, share_of_gap=0.5, better="lower") == pytest.approx(-50.0)
    assert change_pct_from_gap(baseline_value=0.80, share_of_gap=0.5, better="higher") == pytest.approx(12.5)
    with pytest.raises(ValueError, match="target_change_points"):
        change_pct_from_points(baseline_value=0.80, points=20)
    with pytest.raises(ValueError, match="target_share_of_gap"):
        change_pct_from_gap(baseline_value=0.5, share_of_gap=1.0, better="higher")


def test_target_values_are_written_in_absolute_terms() -> None:
    assert target_value_text(measure="rate", baseline_value=0.29, change_pct=-50, unit="of calls") == (
        "29 % → 14.5 % of calls"
    )
    assert (
        target_value_text(measure="duration", baseline_value=16, change_pct=-15)
        == "16 → 13.6 minutes per note"
    )


def test_a_target_the_feeds_baseline_puts_out_of_reach_is_inconclusive_with_the_reason() -> None:
    # The baseline weeks answered 170, 171, 172 and 170 of 200: 683 / 800 = 85.4 %, which can rise by
    # less than 1 / 0.854 - 1 = 17.1 % (a +25 % target would be 107 %): the gate does not judge.
    weeks = [f"2027-W{index:02d}" for index in range(1, 11)]
    clinic = tuple(WeekCounts(week, 170.0 + index % 3, 200.0) for index, week in enumerate(weeks))
    data = GateData(
        kpi="messages_answered_within_business_day",
        measure="rate",
        better="higher",
        baseline_weeks=tuple(weeks[:4]),
        pilot_weeks=tuple(weeks[4:]),
        clinic=clinic,
    )
    evidence = judge_gate_data(data, Target(25.0))
    assert evidence.outcome == "inconclusive" and evidence.estimate_pct is None
    assert "the feed measured a baseline of 0.854" in evidence.summary
    assert "target_change_pct: a share of 0.85 can rise by less than +17.1 %" in evidence.summary
