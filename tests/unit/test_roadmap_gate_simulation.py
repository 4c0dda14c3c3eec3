"""A small run of the gate's simulation (tests/bench/sim_gate.py) asserts its three bounds.

With n runs a share p has a Monte Carlo sd of sqrt(p (1 - p) / n); each bound is checked with three
such sds of slack (a false failure about 1 in 700 per bound): at n = 300, 0.069 at p = 0.8 and 0.038
at p = 0.05. The full run (`python -m tests.bench.sim_gate`) prints the figures the README quotes.
"""

import math

import pytest

from tests.bench.sim_gate import SCENARIOS, simulate, sizing

RUNS = 300


def slack(p: float) -> float:
    return 3 * math.sqrt(p * (1 - p) / RUNS)


@pytest.mark.parametrize("scenario", [SCENARIOS[0], SCENARIOS[2]], ids=["missed calls", "documentation"])
def test_gate_operating_characteristics_at_the_recommended_length(scenario) -> None:  # type: ignore[no-untyped-def]
    length = sizing(scenario)
    assert length.weeks is not None and length.judged_weeks is not None and length.judged_weeks >= 4
    at_target = simulate(scenario, length, scenario.target_pct, RUNS, seed=7)
    at_zero = simulate(scenario, length, 0.0, RUNS, seed=8)
    assert at_target["pass"] >= 0.80 - slack(0.80)
    assert at_target["fail"] <= 0.05 + slack(0.05)
    assert at_zero["pass"] <= 0.05 + slack(0.05)
