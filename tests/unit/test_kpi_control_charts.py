"""Laney P'/U' alerts on a stable reference within a false-alarm budget, stale feeds. Limits are checked
against a direct numpy/scipy computation (tests/laney_reference.py)."""

from datetime import date, timedelta

import numpy as np
import pytest

from services.kpi.control_charts import (
    ADOPTION_RATES,
    MIN_REFERENCE_WEEKS,
    RAMP_WEEKS,
    WeekCount,
    chart_episode,
    feed_status,
    scored_weeks,
    shift_signal,
)
from tests.laney_reference import laney_p_limit

WEEKS = [f"2026-W{index:02d}" for index in range(1, 53)]
RAMP = [0.1, 0.2, 0.3, 0.4]  # the first four weeks of use: never reference


def _series(rates: list[float], total: float = 100.0) -> list[WeekCount]:
    return [WeekCount(WEEKS[index], rate * total, total) for index, rate in enumerate(rates)]


def _counts(rates: list[float], total: float = 100.0) -> list[tuple[float, float]]:
    return [(rate * total, total) for rate in rates]


def test_the_latest_week_is_judged_against_every_stable_week_before_it() -> None:
    stable = [0.55, 0.6] * 6 + [0.55, 0.55]  # 14 stable weeks; then the latest week at 20 %
    signal = shift_signal(_series([*RAMP, *stable, 0.2]))
    assert signal is not None and signal.rule == "beyond_limit"
    centre, sigma_z, lower = laney_p_limit(_counts(stable), _counts([0.2]), alpha=ADOPTION_RATES.point)
    assert signal.reference_weeks == WEEKS[4:18]
    assert signal.centre == pytest.approx(centre)
    assert signal.sigma_z == pytest.approx(sigma_z)
    assert signal.lower_limit == pytest.approx(lower)


def test_two_low_weeks_fire_the_pooled_rule_against_the_weeks_before_them() -> None:
    stable = [0.6] * 10
    # 45 % alone is within the latest week's limit; two weeks of it pooled are not.
    assert shift_signal(_series([*RAMP, *stable, 0.45])) is None
    signal = shift_signal(_series([*RAMP, *stable, 0.45, 0.45]))
    assert signal is not None and signal.rule == "recent_shift"
    assert [week for week, _ in signal.points] == WEEKS[14:16]
    assert signal.reference_weeks == WEEKS[4:14]  # the pooled weeks are not their own reference
    centre, sigma_z, lower = laney_p_limit(_counts(stable), _counts([0.45] * 2), alpha=ADOPTION_RATES.recent)
    assert sigma_z > 1.0  # no spread of its own: the usual spread, pooled in, widens the limits
    assert (signal.centre, signal.sigma_z) == pytest.approx((centre, sigma_z))
    assert signal.lower_limit == pytest.approx(lower)


def test_the_ramp_is_never_reference_and_judging_starts_after_eight_weeks_of_use() -> None:
    # A slow ramp would make the reference low and wide: with it left out, 60 % -> 45 % is seen.
    assert shift_signal(_series([*RAMP, *[0.6] * 10, 0.45, 0.45, 0.45])) is not None
    # Eight weeks of use (four of ramp, four of reference): no week to judge yet; the ninth is judged.
    assert RAMP_WEEKS + MIN_REFERENCE_WEEKS == 8
    assert shift_signal(_series([*RAMP, 0.6, 0.6, 0.6, 0.1])) is None
    assert shift_signal(_series([*RAMP, 0.6, 0.6, 0.6, 0.6, 0.1])) is not None


def test_an_open_episode_keeps_its_reference_while_each_week_is_still_low() -> None:
    before = [*RAMP, *[0.6] * 10]
    first = chart_episode(_series([*before, 0.3]))
    assert first is not None and (first.started, first.weeks_open) == (WEEKS[14], 1)
    # Three weeks later the low weeks would be the reference of a rolling chart; here they are not.
    still = chart_episode(_series([*before, 0.3, 0.3, 0.3, 0.3]))
    assert still is not None and (still.started, still.weeks_open) == (WEEKS[14], 4)
    assert still.signal.reference_weeks == first.signal.reference_weeks
    # A week back at its usual level ends the episode, though the pooled weeks are still low.
    assert chart_episode(_series([*before, 0.3, 0.3, 0.6])) is None
    assert chart_episode(_series([*before, 0.3, 0.3, 0.6, 0.6, 0.6])) is None
    # ... and the weeks of an episode that ended are never pooled again: 30 %, 60 %, 50 % pooled
    # would be beyond the three-week limit, 50 % alone or with 60 % is not.
    assert chart_episode(_series([*before, 0.3, 0.6, 0.5])) is None
    _, _, three_week_limit = laney_p_limit(
        _counts([0.6] * 10), _counts([0.3, 0.6, 0.5]), alpha=ADOPTION_RATES.recent
    )
    assert np.mean([0.3, 0.6, 0.5]) < three_week_limit


def test_the_rules_that_keep_alerts_honest() -> None:
    low_this_week = [*RAMP, *[0.6] * 13, 0.1]
    assert shift_signal(_series(low_this_week)) is not None
    assert shift_signal(_series(low_this_week), current_week=WEEKS[17]) is None  # incomplete week
    assert scored_weeks(_series(low_this_week), current_week=WEEKS[17])[-1].week == WEEKS[16]
    assert shift_signal(_series([0.0] * 17)) is None  # a zero centre has no spread
    tiny = _series([*RAMP, *[0.6] * 13])
    tiny[-1] = WeekCount(WEEKS[16], 0.0, 3.0)  # tiny weeks are ignored, not scored
    assert shift_signal(tiny) is None
    assert shift_signal(_series([*RAMP, *[0.6] * 10, 0.9, 0.9, 0.9]), direction="up") is not None


def test_u_chart_for_rates_per_unit() -> None:
    points = [WeekCount(WEEKS[index], 40.0, 10.0) for index in range(14)]
    points += [WeekCount(WEEKS[index], 10.0, 10.0) for index in range(14, 17)]
    signal = shift_signal(points, kind="u")
    assert signal is not None and signal.centre == pytest.approx(4.0)


def _ar1_shares(rng: np.random.Generator, weeks: int, level: float, sd: float = 0.25) -> np.ndarray:
    noise = np.empty(weeks)
    noise[0] = rng.normal(0, sd)
    for week in range(1, weeks):
        noise[week] = 0.3 * noise[week - 1] + rng.normal(0, sd * np.sqrt(1 - 0.09))
    shares: np.ndarray = 1 / (1 + np.exp(-(np.log(level / (1 - level)) + noise)))
    return shares


def test_an_in_control_autocorrelated_chart_keeps_its_false_alarm_budget() -> None:
    # 150 clinic-years of weekly shares (700 notes, logit sd 0.25, AR(1) 0.3): episodes that begin in
    # the 52 weeks after the ramp. Budget: 1 a year; this seed gives 0.79 (0.79-0.83 over others); a
    # Poisson count over 150 years has an sd of about sqrt(0.8 / 150) = 0.07: 1.0 is 3 sd above 0.8.
    rng = np.random.default_rng(2026)
    episodes = 0
    for _ in range(150):
        shares = _ar1_shares(rng, 56, 0.6)
        points = [
            WeekCount(f"w{index:03d}", float(rng.binomial(700, share)), 700.0)
            for index, share in enumerate(shares)
        ]
        for end in range(5, 57):
            found = chart_episode(points[:end])
            episodes += found is not None and found.weeks_open == 1
    assert episodes / 150 <= 1.0


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
