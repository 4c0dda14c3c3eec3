"""A count KPI's pilot is sized for over-dispersed weekly counts as the gate fits them.

Checked against an independent computation: Poisson counts around a mean whose log wanders (AR(1)
0.3, sd 0.25), the gate's rule applied with a closed-form GLS on log(count + 0.5), at the length the
sizing recommends and one week of baseline less.
"""

import math

import numpy as np
import pytest
from scipy import stats

from services.roadmap.plans.sizing import COUNT_POWER_MARGIN, count_design_power, recommended_pilot
from services.roadmap.plans.targets import Target

RHO, SD, RUNS = 0.3, 0.25, 6000


def simulated_pass(*, base: int, ramp: int, judged: int, mean: float, target_pct: float) -> float:
    rng = np.random.default_rng(3)
    weeks = base + ramp + judged
    noise = rng.standard_normal((RUNS, weeks))
    wander = np.empty((RUNS, weeks))
    wander[:, 0] = noise[:, 0] * SD
    for t in range(1, weeks):
        wander[:, t] = RHO * wander[:, t - 1] + math.sqrt(1 - RHO**2) * SD * noise[:, t]
    step = (np.arange(weeks) >= base + ramp).astype(float)
    counts = rng.poisson(mean * np.exp(wander + math.log1p(target_pct / 100) * step))
    kept = np.r_[np.arange(base), np.arange(base + ramp, weeks)]
    y = np.log(counts[:, kept] + 0.5)
    x = np.column_stack([np.ones(len(kept)), step[kept]])
    inverse = np.linalg.inv(RHO ** np.abs(kept[:, None] - kept[None, :]))
    bread = np.linalg.inv(x.T @ inverse @ x)
    beta = y @ (inverse @ x @ bread)
    residual = y - beta @ x.T
    df = len(kept) - 2
    se = np.sqrt(np.einsum("ri,ij,rj->r", residual, inverse, residual) / df * bread[1, 1])
    passed = (beta[:, 1] - stats.t.ppf(0.975, df) * se > 0) & (beta[:, 1] >= math.log1p(target_pct / 200))
    return float(passed.mean())


def test_the_count_sizing_predicts_the_gates_pass_rate() -> None:
    length = recommended_pilot(
        measure="count",
        better="higher",
        baseline_value=60,
        weekly_volume=60,
        target=Target(50.0),
        baseline_weeks=19,
    )
    assert length.judged_weeks is not None and length.power is not None
    simulated = simulated_pass(base=19, ramp=3, judged=length.judged_weeks, mean=60, target_pct=50.0)
    # The sizing's figure is the approximation less its margin: the truth lies between the two.
    assert length.power - 0.01 <= simulated <= length.power + COUNT_POWER_MARGIN + 0.02  # MC sd ~0.005
    assert simulated >= 0.80
    # The same check where assuming AR(1) for the Poisson part too would have promised 80 %.
    predicted = count_design_power(
        baseline_weeks=16,
        judged_weeks=12,
        gap=3,
        extra=SD**2,
        poisson_base=1 / 60,
        poisson_pilot=1 / 90,
        improvement=math.log(1.5),
        worthwhile=math.log(1.25),
    )
    assert predicted == pytest.approx(
        simulated_pass(base=16, ramp=3, judged=12, mean=60, target_pct=50.0), abs=0.02
    )
