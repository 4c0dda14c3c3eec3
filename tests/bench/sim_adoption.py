"""The adoption alarm's operating characteristics: `python -m tests.bench.sim_adoption [--runs N]`.

Seeded. Each simulated clinic feeds kpi's own alert rules (`alert_rules.ai_assisted_notes_decline`,
`alert_rules.dormant_clinicians`, `alert_rules.kpi_regression`) week by week, as evaluation.py and
clinic_watch.py do: the share chart over the weeks since first use in the last 26, the dormancy
rule over the pilot's weeks, the regression chart over the pilot's weeks.

The clinic: 10 pilot clinicians, about 70 signed notes each a week (Poisson, each note naming its
clinician), a 4-week ramp-up of the AI-assisted share to 60 %, then the weekly logit of the share
varying with sd 0.25 around its level as an AR(1) with lag-1 correlation 0.3 (over-dispersed,
autocorrelated weeks). Each clinician takes 4 weeks of leave a year (one 2-week block, two single
weeks, at random; no notes, no sessions) and skips the tool in 2 % of the weeks worked. A
clinician who uses the tool in a week has AI-tool sessions that week.

Scenarios, after 16 weeks of use (12 stable weeks): (a) 8 of 10 clinicians stop at once; (b) the
share drops from 60 % to 45 %, everybody still using it; (c) one clinician stops each week. An
alarm "detects within 3 complete weeks" when an adoption alert is raised at one of the three weekly
evaluations after the first, second and third complete week of the change. In-control clinics run
4 ramp weeks and then 52 weeks: false alert episodes per clinic-year (a first alert; the weekly
"still" re-raises of an open episode are counted apart). The regression chart watches the missed-call
rate (about 400 calls a week, 25 % falling to 15 % over the 4-week ramp, logit sd 0.25, AR(1) 0.3).
The charts pool each clinic's spread with a usual logit sd of 0.25 (control_charts.PRIOR_LOGIT_SD):
the in-control adoption run is repeated with clinics noisier than that (logit sd 0.35).
"""

import argparse
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from services.kpi import alert_rules, kpis
from shared.calendar import iso_week

FIRST_MONDAY = date(2025, 1, 6)
CLINICIANS = 10
NOTES_PER_CLINICIAN = 70  # a week: ~15 visits a day, 4.5 days
RAMP = (0.2, 0.35, 0.5, 0.57)  # the AI-assisted share in the first 4 weeks of use
LEVEL = 0.60
LOGIT_SD = 0.25  # week-to-week sd of the share's logit (its marginal sd)
AUTOCORRELATION = 0.3
SKIP_TOOL = 0.02  # weeks worked without using the tool
CHANGE_WEEK = 16  # the change starts in the 17th week of use (index 16): 4 ramp + 12 stable weeks
HORIZON = 8  # weeks after the change watched for the median delay
YEAR = 52
CALLS_PER_WEEK = 400
MISSED_RAMP, MISSED_LEVEL = (0.25, 0.22, 0.19, 0.16), 0.15
WINDOW = 26  # clinic_watch.ADOPTION_HISTORY_WEEKS
WEEKS = [iso_week(FIRST_MONDAY + timedelta(weeks=index)) for index in range(4 + YEAR + 1)]


def _ar1(rng: np.random.Generator, weeks: int, sd: float = LOGIT_SD) -> np.ndarray:
    """AR(1) noise with marginal sd `sd` and lag-1 correlation AUTOCORRELATION."""
    noise = np.empty(weeks)
    noise[0] = rng.normal(0, sd)
    innovation = sd * math.sqrt(1 - AUTOCORRELATION**2)
    for week in range(1, weeks):
        noise[week] = AUTOCORRELATION * noise[week - 1] + rng.normal(0, innovation)
    return noise


def _leave(rng: np.random.Generator, weeks: int) -> np.ndarray:
    """Per clinician and week: on leave (4 weeks a year: one 2-week block and two single weeks)."""
    away = np.zeros((CLINICIANS, weeks), bool)
    for year_start in range(0, weeks, YEAR):
        for clinician in range(CLINICIANS):
            block = year_start + rng.integers(0, YEAR - 1)
            away[clinician, block : block + 2] = True
            for single in year_start + rng.choice(YEAR, 2, replace=False):
                if single < weeks:  # a week past the end is not piled onto the last one
                    away[clinician, single] = True
    return away


def simulate_clinic(
    rng: np.random.Generator, *, weeks: int, scenario: str, logit_sd: float = LOGIT_SD
) -> dict[str, kpis.PeriodData]:
    """A clinic's weekly notes and AI-tool sessions; `scenario` is in_control, stop, drop or fade."""
    noise = _ar1(rng, weeks, logit_sd)
    away = _leave(rng, weeks)
    weekly = {}
    for week in range(weeks):
        level = RAMP[week] if week < len(RAMP) else LEVEL
        if scenario == "drop" and week >= CHANGE_WEEK:
            level = 0.45
        share = 1 / (1 + math.exp(-(math.log(level / (1 - level)) + noise[week])))
        stopped = 0
        if scenario == "stop" and week >= CHANGE_WEEK:
            stopped = 8
        elif scenario == "fade" and week >= CHANGE_WEEK:
            stopped = min(CLINICIANS, week - CHANGE_WEEK + 1)
        data = kpis.PeriodData()
        for clinician in range(CLINICIANS):
            if away[clinician, week]:
                continue
            notes = int(rng.poisson(NOTES_PER_CLINICIAN))
            staff = data.staff_notes[f"s{clinician}"]  # the notes name their clinician
            data.counters["notes_signed"] += notes
            staff.notes += notes
            if clinician < stopped or rng.random() < SKIP_TOOL:
                continue
            assisted = int(rng.binomial(notes, share))
            data.counters["notes_ai_assisted"] += assisted
            staff.ai_assisted += assisted
            if assisted:
                data.counters["ai_sessions"] += assisted
                data.staff_minutes[f"s{clinician}"] += 5.0 * assisted
        weekly[WEEKS[week]] = data
    return weekly


def simulate_calls(rng: np.random.Generator, *, weeks: int) -> dict[str, kpis.PeriodData]:
    """A clinic's weekly calls: the missed share falls over the ramp and then stays in control."""
    noise = _ar1(rng, weeks)
    weekly = {}
    for week in range(weeks):
        level = MISSED_RAMP[week] if week < len(MISSED_RAMP) else MISSED_LEVEL
        rate = 1 / (1 + math.exp(-(math.log(level / (1 - level)) + noise[week])))
        calls = int(rng.poisson(CALLS_PER_WEEK))
        missed = int(rng.binomial(calls, rate))
        data = kpis.PeriodData()
        data.counters.update(calls_missed=missed, calls_answered=calls - missed)
        weekly[WEEKS[week]] = data
    return weekly


PILOT_GROUP = [f"s{clinician}" for clinician in range(CLINICIANS)]


def adoption_alerts(weekly: dict[str, kpis.PeriodData], week: int) -> list[alert_rules.AlertFinding]:
    """The adoption findings due at the evaluation after week index `week` (its Monday)."""
    today = kpis.week_start(WEEKS[week + 1])
    complete = WEEKS[: week + 1]
    window = complete[-WINDOW:]  # clinic_watch: the weeks since first use in the last 26
    used = [name for name in window if weekly[name].counters.get("notes_ai_assisted", 0) > 0]
    share_weeks = window[window.index(used[0]) :] if used else []
    findings = [
        alert_rules.ai_assisted_notes_decline(weekly, share_weeks, days={}, today=today),
        alert_rules.dormant_clinicians(weekly, complete, pilot_group=PILOT_GROUP, days={}, today=today),
    ]
    return [finding for finding in findings if finding is not None]


def regression_alerts(weekly: dict[str, kpis.PeriodData], week: int) -> list[alert_rules.AlertFinding]:
    today = kpis.week_start(WEEKS[week + 1])
    definition = kpis.definition("missed_call_rate")
    finding = alert_rules.kpi_regression(definition, weekly, WEEKS[: week + 1], today=today)
    return [finding] if finding is not None else []


@dataclass
class Detection:
    within_three: float
    median_delay: float | None  # complete weeks from the change to the first alert (1 = its first week)
    by_metric: dict[str, float]


def detection(rng: np.random.Generator, scenario: str, runs: int) -> Detection:
    delays: list[int] = []
    first_metrics: dict[str, int] = {}
    for _ in range(runs):
        weekly = simulate_clinic(rng, weeks=CHANGE_WEEK + HORIZON, scenario=scenario)
        for after in range(HORIZON):
            findings = adoption_alerts(weekly, CHANGE_WEEK + after)
            if findings:
                delays.append(after + 1)
                if after < 3:
                    for finding in findings:
                        first_metrics[finding.metric] = first_metrics.get(finding.metric, 0) + 1
                break
    within = sum(1 for delay in delays if delay <= 3) / runs
    return Detection(
        within_three=within,
        median_delay=statistics.median(delays) if len(delays) > runs / 2 else None,
        by_metric={metric: count / runs for metric, count in sorted(first_metrics.items())},
    )


@dataclass
class FalseAlarms:
    episodes_per_year: dict[str, float]  # per metric: first alerts of an episode per clinic-year
    reraised_per_year: dict[str, float]  # the "still" alerts of those episodes


def false_alarms(
    rng: np.random.Generator,
    runs: int,
    simulate: Callable[[np.random.Generator], dict[str, kpis.PeriodData]],
    alerts: Callable[[dict[str, kpis.PeriodData], int], list[alert_rules.AlertFinding]],
    metrics: tuple[str, ...],
) -> FalseAlarms:
    """Alerts raised at the 52 weekly evaluations after the ramp of in-control clinics."""
    first = dict.fromkeys(metrics, 0)
    again = dict.fromkeys(metrics, 0)
    for _ in range(runs):
        weekly = simulate(rng)
        for week in range(len(RAMP), len(RAMP) + YEAR):
            for finding in alerts(weekly, week):
                counts = first if finding.weeks_open == 1 else again
                counts[finding.metric] += 1
    return FalseAlarms(
        episodes_per_year={metric: count / runs for metric, count in first.items()},
        reraised_per_year={metric: count / runs for metric, count in again.items()},
    )


ADOPTION_METRICS = ("ai_assisted_note_share", "pilot_clinicians_dormant")
NOISY_LOGIT_SD = 0.35  # clinics noisier than the spread the charts assume


def run(*, runs: int, seed: int = 20261206) -> dict[str, object]:
    """Every scenario's figures (the unit test runs a small version)."""
    rng = np.random.default_rng(seed)
    weeks = len(RAMP) + YEAR
    return {
        "stop": detection(rng, "stop", runs),
        "drop": detection(rng, "drop", runs),
        "fade": detection(rng, "fade", runs),
        "adoption": false_alarms(
            rng,
            runs,
            lambda generator: simulate_clinic(generator, weeks=weeks, scenario="in_control"),
            adoption_alerts,
            ADOPTION_METRICS,
        ),
        "adoption_noisy": false_alarms(
            rng,
            runs,
            lambda generator: simulate_clinic(
                generator, weeks=weeks, scenario="in_control", logit_sd=NOISY_LOGIT_SD
            ),
            adoption_alerts,
            ADOPTION_METRICS,
        ),
        "regression": false_alarms(
            rng,
            runs,
            lambda generator: simulate_calls(generator, weeks=weeks),
            regression_alerts,
            ("missed_call_rate",),
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="simulated clinics per scenario")
    parser.add_argument("--seed", type=int, default=20261206)
    args = parser.parse_args()
    started = time.perf_counter()
    figures = run(runs=args.runs, seed=args.seed)
    print(f"adoption alarm, {args.runs} simulated clinics per scenario (seed {args.seed})")
    print("| scenario | detected within 3 complete weeks | median delay (weeks) | first alert by |")
    print("|---|---|---|---|")
    titles = {
        "stop": "(a) 8 of 10 clinicians stop at once",
        "drop": "(b) AI-assisted share 60 % -> 45 %",
        "fade": "(c) one clinician stops each week",
    }
    for key, title in titles.items():
        found = figures[key]
        assert isinstance(found, Detection)
        metrics = ", ".join(f"{metric} {share:.0%}" for metric, share in found.by_metric.items())
        print(f"| {title} | {found.within_three:.1%} | {found.median_delay} | {metrics} |")
    print("| in-control feeds | false alert episodes per clinic-year | 'still' re-raises per clinic-year | |")
    labels = {
        "adoption": "adoption",
        "adoption_noisy": f"adoption, logit sd {NOISY_LOGIT_SD}",
        "regression": "regression",
    }
    for key, label in labels.items():
        alarms = figures[key]
        assert isinstance(alarms, FalseAlarms)
        for metric, rate in alarms.episodes_per_year.items():
            print(f"| {label}: {metric} | {rate:.2f} | {alarms.reraised_per_year[metric]:.2f} | |")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
