"""Whether an approval's target can be met and read: its sign, its reach from the baseline, its dates.

The KPI's direction is known at approval, so a target of the wrong sign ("+30 %" on missed calls) is
refused there. Whether a relative target is reachable depends on the baseline: checked here when the
officer typed one, and by the gate when the feed measures it (plans/targets.py holds the rule).
"""

from datetime import date, timedelta

from services.roadmap.initiatives.models import ApprovalIn
from services.roadmap.plans.targets import check_target
from shared.kpi_measures import better_of, measure_of

# How far back a pilot already under way may have begun: the feed's history and kpi's catch-up reach.
MAX_PILOT_AGE = timedelta(weeks=26)


def refusals(*, kpi: str, approval: ApprovalIn, today: date) -> list[str]:
    """Why this approval's target or dates cannot stand (empty: they can), each naming its field."""
    found = []
    better = better_of(kpi)
    target = approval.target_change_pct
    if (better == "lower") != (target < 0):
        example = -abs(target) if better == "lower" else abs(target)
        found.append(
            f"target_change_pct: {kpi} is better {better}, so its target is a "
            f"{'fall' if better == 'lower' else 'rise'}: give e.g. {example:+g}"
        )
    baseline = approval.baseline
    measure = measure_of(kpi)
    if (
        baseline is not None
        and baseline.value is not None
        and measure == "rate"
        and not 0 <= baseline.value <= 1
    ):
        found.append(
            f"baseline.value: {kpi} is a share; give it between 0 and 1 (e.g. 0.29 for 29 %), "
            f"not {baseline.value:g}"
        )
    elif (
        not found and baseline is not None and baseline.value is not None and measure in ("rate", "duration")
    ):
        problem = check_target(
            measure=measure, better=better, baseline_value=baseline.value, change_pct=target
        )
        if problem:
            found.append(problem)
    started = approval.pilot_started_on
    if started is not None and started > today:
        found.append(
            f"pilot_started_on: {started} is after today ({today}) in the clinic's time; a pilot not yet "
            "begun follows the plan's phases: leave pilot_started_on out"
        )
    elif started is not None and today - started > MAX_PILOT_AGE:
        found.append(
            f"pilot_started_on: {started} is more than 26 weeks ago; the feed's weeks before it are out of "
            "reach, so judge it as a new pilot instead"
        )
    return found
