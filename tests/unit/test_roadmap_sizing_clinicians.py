"""The approval sizes a duration KPI's pilot with the pilot group and the control it will be judged on.

Checked against an independent computation: clinicians' weekly log minutes simulated with numpy
(AR(1) 0.3 per clinician), the gate's rule applied with a closed-form GLS (no statsmodels, no sizing
code): the share of pilots that pass at the recommended length must match the sizing's own power.
"""

import numpy as np
import pytest
from scipy import stats

from services.roadmap.initiatives.approval_review import Baseline, pilot_length
from services.roadmap.plans.sizing import recommended_pilot
from services.roadmap.plans.targets import Target

RHO, SD = 0.3, 0.15
RUNS = 4000


def ar1(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    noise = rng.standard_normal(shape)
    out = np.empty(shape)
    out[..., 0] = noise[..., 0] * SD
    for t in range(1, shape[-1]):
        out[..., t] = RHO * out[..., t - 1] + np.sqrt(1 - RHO**2) * SD * noise[..., t]
    return out


def pass_share(*, base: int, ramp: int, judged: int, piloting: int, control: int, target_pct: float) -> float:
    """P(pass) by simulation: difference of the groups' weekly means, GLS step, 95 % t interval."""
    rng = np.random.default_rng(7)
    weeks = base + ramp + judged
    kept = np.r_[np.arange(base), np.arange(base + ramp, weeks)]  # the ramp-up weeks are not judged
    effect = np.log1p(target_pct / 100)
    step = (np.arange(weeks) >= base + ramp).astype(float)
    pilot = ar1(rng, (RUNS, piloting, weeks)).mean(axis=1) + effect * step
    rest = ar1(rng, (RUNS, control, weeks)).mean(axis=1)
    y = (pilot - rest)[:, kept]
    x = np.column_stack([np.ones(len(kept)), step[kept]])
    inverse = np.linalg.inv(RHO ** np.abs(kept[:, None] - kept[None, :]))
    bread = np.linalg.inv(x.T @ inverse @ x)
    beta = y @ (inverse @ x @ bread)  # (runs, 2)
    residual = y - beta @ x.T
    scale = np.einsum("ri,ij,rj->r", residual, inverse, residual) / (len(kept) - 2)
    se = np.sqrt(scale * bread[1, 1])
    df = len(kept) - 2
    better = -beta[:, 1]  # lower minutes are better
    worthwhile = -np.log1p(target_pct / 2 / 100)
    passed = (better - stats.t.ppf(0.975, df) * se > 0) & (better >= worthwhile)
    return float(passed.mean())


def test_the_recommended_length_for_3_of_12_clinicians_passes_as_often_as_it_promises() -> None:
    length = recommended_pilot(
        measure="duration",
        better="lower",
        baseline_value=16.0,
        weekly_volume=720,
        target=Target(-15.0),
        clinicians_in_pilot=3,
        clinicians_in_control=9,
        baseline_weeks=8,
    )
    assert length.weeks is not None and length.judged_weeks is not None and length.power is not None
    simulated = pass_share(
        base=8, ramp=length.ramp_up_weeks, judged=length.judged_weeks, piloting=3, control=9, target_pct=-15.0
    )
    assert simulated == pytest.approx(length.power, abs=0.03)  # Monte Carlo sd ~0.006
    assert simulated >= 0.78
    # One week shorter would not do: the length is the shortest that reaches 80 %.
    shorter = pass_share(
        base=8,
        ramp=length.ramp_up_weeks,
        judged=length.judged_weeks - 1,
        piloting=3,
        control=9,
        target_pct=-15.0,
    )
    assert shorter < 0.80 + 0.02


def test_the_approval_reads_the_pilot_group_and_the_rest_of_the_users() -> None:
    baseline = Baseline(source="audit", value=16.0, weekly_volume=720, entered_by_hand=True, note="")
    common = {
        "kpi": "documentation_minutes_per_note",
        "target_change_pct": -15.0,
        "baseline": baseline,
        "baseline_days": 56,
        "pilot_days": 42,
    }
    alone, _ = pilot_length(**common)  # type: ignore[arg-type]
    with_groups, _ = pilot_length(**common, clinicians_in_pilot=6, clinicians_in_control=6)  # type: ignore[arg-type]
    direct = recommended_pilot(
        measure="duration",
        better="lower",
        baseline_value=16.0,
        weekly_volume=720,
        target=Target(-15.0),
        clinicians_in_pilot=6,
        clinicians_in_control=6,
        baseline_weeks=8,
    )
    assert with_groups == direct.weeks
    assert alone is None or (with_groups is not None and with_groups < alone)
    # Rates are not judged per clinician: the group sizes leave their sizing alone.
    rate = {**common, "kpi": "missed_call_rate", "target_change_pct": -50.0}
    rate["baseline"] = Baseline(source="audit", value=0.29, weekly_volume=300, entered_by_hand=True, note="")
    assert pilot_length(**rate) == pilot_length(**rate, clinicians_in_pilot=3, clinicians_in_control=9)  # type: ignore[arg-type]
