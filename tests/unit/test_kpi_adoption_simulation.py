"""A small seeded run of tests/bench/sim_adoption.py through kpi's alert rules: the adoption alarm
sees collapses within three complete weeks and keeps in-control clinics within a false alert a
year. The benchmark's figures (200 clinics a scenario) are in the README."""

import math

from tests.bench.sim_adoption import Detection, FalseAlarms, run

RUNS = 40


def _se(share: float) -> float:
    """Monte Carlo standard error of a share over RUNS simulated clinics."""
    return math.sqrt(share * (1 - share) / RUNS)


def test_the_adoption_alarm_operating_characteristics() -> None:
    figures = run(runs=RUNS, seed=11)
    stop, drop, fade = figures["stop"], figures["drop"], figures["fade"]
    assert isinstance(stop, Detection) and isinstance(drop, Detection) and isinstance(fade, Detection)
    # Required: >= 80 % within three weeks. At 200 clinics the benchmark measures 100 % and 95-98 %;
    # 2 standard errors of a 40-clinic run below 80 % would still be a fail worth seeing.
    assert stop.within_three >= 0.8
    assert fade.within_three >= 0.8 - 2 * _se(0.8)
    # The 60 % -> 45 % drop is seen in about 70 % (README): short of the 80 % asked, the price of the
    # false-alarm budget at a logit sd of 0.25; this guards the figure from getting worse.
    assert drop.within_three >= 0.7 - 3 * _se(0.7)
    adoption, regression = figures["adoption"], figures["regression"]
    assert isinstance(adoption, FalseAlarms) and isinstance(regression, FalseAlarms)
    # Episodes per clinic-year: about 0.6, 0.4 and 0.3 at 200 clinics; a Poisson count over 40
    # clinic-years has a standard error of about sqrt(0.6 / 40) = 0.12, so 1.0 is over 3 away.
    for rate in [*adoption.episodes_per_year.values(), *regression.episodes_per_year.values()]:
        assert rate <= 1.0
