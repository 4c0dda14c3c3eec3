"""Laney P'/U' alerts, clinician lifecycle, stale feeds; a seeded simulation of false and missed alarms."""

from datetime import date, timedelta

import numpy as np
import pytest

from services.kpi.control_charts import (
    MIN_REFERENCE_WEEKS,
    WeekCount,
    clinician_lifecycle,
    dormancy_signal,
    feed_status,
    scored_weeks,
    shift_signal,
)

WEEKS = [f"2026-W{index:02d}" for index in range(1, 53)]


def _series(rates: list[float], total: float = 100.0) -> list[WeekCount]:
    return [WeekCount(WEEKS[index], rate * total, total) for index, rate in enumerate(rates)]


def test_laney_limits_match_a_worked_computation() -> None:
    # 14 reference weeks alternating 50 % / 60 % of 100: centre 0.55, binomial sigma 0.049749;
    # z-scores +-1.00504, every moving range 2.01008, sigma_z = 2.01008 / 1.128 = 1.78199;
    # the latest week's 3.3-sigma' lower limit: 0.55 - 3.3 * 1.78199 * 0.049749 = 0.257455.
    rates = [0.5, 0.6] * 7 + [0.55, 0.55, 0.2]
    signal = shift_signal(_series(rates))
    assert signal is not None and signal.rule == "beyond_limit"
    assert signal.centre == pytest.approx(0.55)
    assert signal.sigma_z == pytest.approx(1.78199, abs=1e-4)
    assert signal.lower_limit == pytest.approx(0.257455, abs=1e-5)
    assert [week for week, _ in signal.points] == [WEEKS[16]]
    assert signal.points[0][1] == pytest.approx(0.2)
    assert signal.reference_weeks == WEEKS[:14]
    assert signal.evidence()["rule"] == "beyond_limit"


def test_three_low_weeks_fire_the_shift_rule_with_their_points() -> None:
    rates = [0.6] * 14 + [0.5, 0.5, 0.5]
    signal = shift_signal(_series(rates))
    assert signal is not None and signal.rule == "three_week_shift"
    assert [week for week, _ in signal.points] == WEEKS[14:17]
    assert signal.sigma_z == 1.0  # no spread beyond binomial: the floor, never a division by zero


def test_the_rules_that_keep_alerts_honest() -> None:
    # the current (incomplete) week is never scored
    low_this_week = [0.6] * 17 + [0.1]
    assert shift_signal(_series(low_this_week)) is not None
    assert shift_signal(_series(low_this_week), current_week=WEEKS[17]) is None
    assert scored_weeks(_series(low_this_week), current_week=WEEKS[17])[-1].week == WEEKS[16]
    # too few reference weeks: no chart
    assert shift_signal(_series([0.6] * (MIN_REFERENCE_WEEKS - 1) + [0.1, 0.1, 0.1])) is None
    # a zero centre has no spread: nothing to score
    assert shift_signal(_series([0.0] * 17)) is None
    # tiny weeks are ignored, not scored
    tiny = _series([0.6] * 17)
    tiny[-1] = WeekCount(WEEKS[16], 0.0, 3.0)
    assert shift_signal(tiny) is None
    # the other direction
    assert shift_signal(_series([0.6] * 14 + [0.9] * 3), direction="up") is not None


def test_u_chart_for_rates_per_unit() -> None:
    # events per clinician-week: 4 per unit, then 1 per unit for three weeks
    points = [WeekCount(WEEKS[index], 40.0, 10.0) for index in range(14)]
    points += [WeekCount(WEEKS[index], 10.0, 10.0) for index in range(14, 17)]
    signal = shift_signal(points, kind="u")
    assert signal is not None and signal.centre == pytest.approx(4.0)


def _first_alert_week(events: np.ndarray, encounters: int) -> int | None:
    points = [WeekCount(WEEKS[index], float(count), float(encounters)) for index, count in enumerate(events)]
    for end in range(1, len(points) + 1):
        if shift_signal(points[:end]) is not None:
            return end - 1
    return None


def _usage_series(
    rng: np.random.Generator, *, series: int, before: float, after: float, drop_week: int
) -> np.ndarray:
    """Weekly AI-assisted encounters out of 60, the true share varying week to week (beta, sd 2 points)."""
    share = np.full((series, 26), before)
    share[:, drop_week:] = after
    concentration = share * (1 - share) / 0.02**2 - 1
    weekly_share = rng.beta(share * concentration, (1 - share) * concentration)
    counts: np.ndarray = rng.binomial(60, weekly_share)
    return counts


def test_simulated_decline_alert_false_and_missed_alarms() -> None:
    # Extra-binomial noise: the true weekly share varies with a 2-point sd around its level (sigma_z ~1.05
    # at 60 encounters a week, ~1.35 at 500, where a plain p-chart over 26 weeks false-alarms in about half).
    rng = np.random.default_rng(20261127)
    quiet = _usage_series(rng, series=1000, before=0.60, after=0.60, drop_week=26)
    false_alarms = np.mean([_first_alert_week(row, 60) is not None for row in quiet])
    drop_week = 16
    dropped = _usage_series(rng, series=1000, before=0.60, after=0.45, drop_week=drop_week)
    alerts = [_first_alert_week(row, 60) for row in dropped]
    by_third_low_week = np.mean([week is not None and drop_week <= week <= drop_week + 2 for week in alerts])
    within_three_weeks = np.mean([week is not None and drop_week <= week <= drop_week + 3 for week in alerts])
    print(
        f"\nLaney P' decline alert, 26 weeks, 60 encounters/week: false alarms {false_alarms:.1%} of 1,000 "
        f"series; 60 % -> 45 %: alert by the third low week {by_third_low_week:.1%}, "
        f"within 3 weeks of the drop {within_three_weeks:.1%}"
    )
    assert false_alarms <= 0.05
    assert within_three_weeks >= 0.80


def test_clinician_lifecycle_and_the_dormancy_alert() -> None:
    weeks = WEEKS[:5]
    active = {
        "a": {WEEKS[0], WEEKS[1], WEEKS[2]},
        "b": {WEEKS[0], WEEKS[2]},
        "c": {WEEKS[1]},
        "d": {WEEKS[0], WEEKS[1]},
    }
    lifecycle = clinician_lifecycle(active, weeks)
    assert lifecycle[0].states == {"a": "new", "b": "new", "d": "new"}
    assert lifecycle[1].states == {"a": "returning", "b": "dormant", "c": "new", "d": "returning"}
    assert lifecycle[2].states == {"a": "returning", "b": "resurrecting", "c": "dormant", "d": "dormant"}
    assert lifecycle[3].states == {"a": "dormant", "b": "dormant"}
    assert dormancy_signal(lifecycle[:3]) is None  # week 3: 2 dormant vs 2 returning + resurrecting
    fading = {
        **{staff: {WEEKS[0], WEEKS[1]} for staff in ("a", "b", "c", "d")},
        "e": {WEEKS[0], WEEKS[1], WEEKS[2]},
        "f": {WEEKS[0], WEEKS[1], WEEKS[2]},
        "g": {WEEKS[0], WEEKS[1], WEEKS[2], WEEKS[3]},
    }
    fading_weeks = clinician_lifecycle(fading, weeks[:4])
    assert dormancy_signal(fading_weeks[:3]) is None  # one bad week is not yet a trend
    message = dormancy_signal(fading_weeks)
    assert message is not None
    assert "4 dormant vs 3 returning" in message and "2 dormant vs 1 returning" in message


def test_a_feed_that_goes_quiet_is_stale_a_sparse_one_is_not() -> None:
    today = date(2026, 11, 27)
    busy = {today - timedelta(days=offset): 20 for offset in range(4, 40)}
    status = feed_status(busy, today=today)
    assert status.stale and status.last_event_day == today - timedelta(days=4)
    assert "check the integration" in status.message
    busy[today - timedelta(days=1)] = 5
    assert not feed_status(busy, today=today).stale
    sparse = {today - timedelta(days=10): 2}
    assert not feed_status(sparse, today=today).stale
    busy_today_only = {today - timedelta(days=offset): 20 for offset in range(4, 40)} | {today: 3}
    assert feed_status(busy_today_only, today=today).stale  # today is incomplete: not counted
