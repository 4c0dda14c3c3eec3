"""The gate's operating characteristics, by simulation through its production functions (seeded).

    python -m tests.bench.sim_gate [--runs N] [--seed S]

Realistic weekly data: a rate's logit moves with sd 0.25 from week to week (AR(1) 0.3) on top of
binomial noise; documentation minutes vary per clinician (sd 0.10 on the log scale, AR(1) 0.3) and
clinic-wide (sd 0.06, AR(1) 0.3) around clinician-level baselines, with 3 of 12 clinicians piloting;
a count a week (follow-ups completed) is Poisson around a mean whose log moves with sd 0.25 from week
to week (AR(1) 0.3), so counts are over-dispersed.
The effect ramps up over 4 weeks (1/4, 2/4, 3/4, then full). Each scenario's pilot length is what
`recommended_pilot` asks for against a 4-week historical baseline, or, when that baseline is too
short, against the baseline history it asks for. Every run is judged by `judge_gate_data`; an
inconclusive run is extended once by the weeks the gate recommends and judged again.
"""

import argparse
import time
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from services.roadmap.plans.evidence import ClinicianWeeks, GateData, WeekCounts, judge_gate_data
from services.roadmap.plans.sizing import MAX_JUDGED_WEEKS, PilotLength, recommended_pilot
from services.roadmap.plans.targets import Target

RHO = 0.3
LOGIT_SD = 0.25
CLINICIAN_SD, CLINIC_SD, NOTE_SD = 0.10, 0.06, 0.4
RAMP = 4  # the effect reaches full strength in the 4th pilot week
HISTORY_WEEKS = 4


@dataclass(frozen=True)
class Scenario:
    name: str
    measure: str  # rate | duration | count
    baseline_value: float  # a share, minutes per note, or a count a week
    weekly_volume: float  # calls or appointments a week; notes a week per clinician for durations
    target_pct: float
    clinicians: int = 0
    piloting: int = 0
    better: str = "lower"


SCENARIOS = (
    Scenario("missed-call rate 29 %, 300 calls/week, target -50 %", "rate", 0.29, 300, -50.0),
    Scenario("no-show rate 12 %, 250 appointments/week, target -25 %", "rate", 0.12, 250, -25.0),
    Scenario(
        "documentation 16 min/note, 3 of 12 clinicians, target -15 %", "duration", 16.0, 60, -15.0, 12, 3
    ),
    Scenario("follow-ups completed 60/week, target +50 %", "count", 60.0, 60, 50.0, better="higher"),
)
COUNT_LOG_SD = 0.25


def weeks_from(start: date, count: int) -> list[str]:
    labels = []
    for offset in range(count):
        year, week, _ = (start + timedelta(weeks=offset)).isocalendar()
        labels.append(f"{year}-W{week:02d}")
    return labels


def ar1(rng: np.random.Generator, shape: tuple[int, ...], sd: float) -> np.ndarray:
    """Stationary AR(1) along the last axis with marginal sd `sd`."""
    noise = rng.standard_normal(shape)
    out = np.empty(shape)
    out[..., 0] = noise[..., 0] * sd
    for t in range(1, shape[-1]):
        out[..., t] = RHO * out[..., t - 1] + np.sqrt(1 - RHO**2) * sd * noise[..., t]
    return out


def ramp(baseline: int, weeks: int) -> np.ndarray:
    """The share of the full effect in each week: 0 in the baseline, then 1/4, 2/4, 3/4, 1, 1, ..."""
    pilot_week = np.arange(weeks) - baseline + 1
    return np.clip(pilot_week / RAMP, 0.0, 1.0)


def sizing(scenario: Scenario) -> PilotLength:
    common = {
        "measure": scenario.measure,
        "better": scenario.better,
        "baseline_value": scenario.baseline_value,
        "target": Target(scenario.target_pct),
    }
    if scenario.measure == "duration":
        common |= {
            "weekly_volume": scenario.weekly_volume * scenario.clinicians,
            "clinicians_in_pilot": scenario.piloting,
            "clinicians_in_control": scenario.clinicians - scenario.piloting,
        }
    else:
        common["weekly_volume"] = scenario.weekly_volume
    length = recommended_pilot(**common, baseline_weeks=HISTORY_WEEKS)  # type: ignore[arg-type]
    if length.weeks is None and length.baseline_weeks_needed is not None:
        length = recommended_pilot(**common, baseline_weeks=length.baseline_weeks_needed)  # type: ignore[arg-type]
    return length


def simulate(
    scenario: Scenario, length: PilotLength, effect_pct: float, runs: int, seed: int
) -> dict[str, float]:
    """Shares of runs that pass and fail at the recommended length, and that pass after one extension."""
    rng = np.random.default_rng(seed)
    base, pilot = length.baseline_weeks, length.weeks or 0
    total_weeks = base + pilot + MAX_JUDGED_WEEKS
    labels = weeks_from(date(2025, 1, 6), total_weeks)
    strength = np.log1p(effect_pct / 100) * ramp(base, total_weeks)
    build = {"rate": _rate_runs, "count": _count_runs}.get(scenario.measure, _duration_runs)
    feeds = build(scenario, rng, runs, total_weeks, strength, labels)
    target = Target(scenario.target_pct)
    passed = failed = passed_extended = 0
    for clinic, clinicians in feeds:

        def judge(pilot_weeks: int, clinic=clinic, clinicians=clinicians) -> tuple[str, int | None]:  # type: ignore[no-untyped-def]
            data = GateData(
                kpi="kpi",
                measure=scenario.measure,  # type: ignore[arg-type]
                better=scenario.better,  # type: ignore[arg-type]
                baseline_weeks=tuple(labels[:base]),
                pilot_weeks=tuple(labels[base : base + pilot_weeks]),
                clinic=clinic,
                clinicians=clinicians,
            )
            evidence = judge_gate_data(data, target)
            return evidence.outcome, evidence.extension_weeks

        outcome, extension = judge(pilot)
        passed += outcome == "pass"
        failed += outcome == "fail"
        if outcome == "inconclusive" and extension:
            outcome, _ = judge(pilot + extension)
        passed_extended += outcome == "pass"
    return {"pass": passed / runs, "fail": failed / runs, "pass_after_extension": passed_extended / runs}


Feed = tuple[tuple[WeekCounts, ...], tuple[ClinicianWeeks, ...]]


def _rate_runs(
    scenario: Scenario,
    rng: np.random.Generator,
    runs: int,
    weeks: int,
    strength: np.ndarray,
    labels: list[str],
) -> list[Feed]:
    logit = np.log(scenario.baseline_value / (1 - scenario.baseline_value)) + ar1(
        rng, (runs, weeks), LOGIT_SD
    )
    rate = np.clip(1 / (1 + np.exp(-logit)) * np.exp(strength), 0.0, 1.0)
    volume = rng.poisson(scenario.weekly_volume, (runs, weeks))
    events = rng.binomial(volume, rate)
    return [
        (tuple(WeekCounts(labels[t], float(events[r, t]), float(volume[r, t])) for t in range(weeks)), ())
        for r in range(runs)
    ]


def _count_runs(
    scenario: Scenario,
    rng: np.random.Generator,
    runs: int,
    weeks: int,
    strength: np.ndarray,
    labels: list[str],
) -> list[Feed]:
    """A count a week: Poisson around a mean whose log wanders (AR(1)), i.e. over-dispersed counts."""
    mean = scenario.baseline_value * np.exp(ar1(rng, (runs, weeks), COUNT_LOG_SD) + strength)
    counts = rng.poisson(mean)
    return [
        (tuple(WeekCounts(labels[t], float(counts[r, t]), 1.0) for t in range(weeks)), ())
        for r in range(runs)
    ]


def _duration_runs(
    scenario: Scenario,
    rng: np.random.Generator,
    runs: int,
    weeks: int,
    strength: np.ndarray,
    labels: list[str],
) -> list[Feed]:
    count = scenario.clinicians
    own = scenario.baseline_value * np.exp(rng.normal(0, 0.3, (runs, count, 1)))
    notes = np.maximum(rng.poisson(scenario.weekly_volume, (runs, count, weeks)), 1)
    log_mean = (
        ar1(rng, (runs, count, weeks), CLINICIAN_SD)
        + ar1(rng, (runs, 1, weeks), CLINIC_SD)
        + rng.standard_normal((runs, count, weeks)) * NOTE_SD / np.sqrt(notes)
    )
    piloting = (np.arange(count) < scenario.piloting)[None, :, None]
    minutes = notes * own * np.exp(log_mean + np.where(piloting, strength, 0.0))
    return [
        (
            (),
            tuple(
                ClinicianWeeks(
                    f"staff-{i}",
                    i < scenario.piloting,
                    tuple(
                        WeekCounts(labels[t], float(minutes[r, i, t]), float(notes[r, i, t]))
                        for t in range(weeks)
                    ),
                )
                for i in range(count)
            ),
        )
        for r in range(runs)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261206)
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"gate operating characteristics: {args.runs} runs per cell, seed {args.seed}\n")
    print(
        "| scenario | baseline weeks | pilot weeks (ramp + judged) | P(pass \\| target) | P(fail \\| target) "
        "| P(pass \\| no change) | P(pass \\| half target) | with one extension: P(pass \\| target), "
        "P(pass \\| no change) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for index, scenario in enumerate(SCENARIOS):
        length = sizing(scenario)
        if length.weeks is None:
            print(f"| {scenario.name} | {length.note} |")
            continue
        seed = args.seed + 100 * index
        at_target = simulate(scenario, length, scenario.target_pct, args.runs, seed)
        at_zero = simulate(scenario, length, 0.0, args.runs, seed + 1)
        at_half = simulate(scenario, length, scenario.target_pct / 2, args.runs, seed + 2)
        print(
            f"| {scenario.name} | {length.baseline_weeks} | {length.weeks} ({length.ramp_up_weeks} + "
            f"{length.judged_weeks}) | {at_target['pass']:.3f} | {at_target['fail']:.3f} "
            f"| {at_zero['pass']:.3f} | {at_half['pass']:.3f} | {at_target['pass_after_extension']:.3f}, "
            f"{at_zero['pass_after_extension']:.3f} |"
        )
    print("\nbounds: P(pass | target) >= 0.80, P(fail | target) <= 0.05, P(pass | no change) <= 0.05")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
