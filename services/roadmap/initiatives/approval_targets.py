"""Whether an approval's target can be met and read: its sign, its reach from the baseline, its dates.

The KPI's direction is known at approval, so a target of the wrong sign ("+30 %" on missed calls) is
refused there. Whether a relative target is reachable depends on the baseline: checked here when the
officer typed one, and by the gate when the feed measures it (plans/targets.py holds the rule).
"""

from datetime import date, timedelta

from services.roadmap.initiatives.models import ApprovalIn
from services.roadmap.plans.targets import change_pct_from_gap, change_pct_from_points, check_target
from shared.errors import Refused
from shared.kpi_measures import better_of, measure_of

# How far back a pilot already under way may have begun: the feed's history and kpi's catch-up reach.
MAX_PILOT_AGE = timedelta(weeks=26)


def resolved(*, kpi: str, approval: ApprovalIn, suggested_pct: float) -> ApprovalIn:
    """The approval with its target as a relative change: points or a share of the gap converted from
    the baseline typed with it (Refused, naming the field, when the share cannot get there).

    Without a typed baseline the feed's is read later by the plan (target_lock.py); until then the
    relative target is provisional: exact for a share of the gap to 0 %, else the suggested one.
    """
    if approval.target_change_pct is not None:
        return approval
    field = "target_change_points" if approval.target_change_points is not None else "target_share_of_gap"
    if measure_of(kpi) != "rate":
        raise Refused(f"{field}: {kpi} is not a share; give target_change_pct")
    better = better_of(kpi)
    if approval.baseline is None:
        points = approval.target_change_points
        if points is not None and (points < 0) != (better == "lower"):
            example = -abs(points) if better == "lower" else abs(points)
            raise Refused(
                f"target_change_points: {kpi} is better {better}, so its target is a "
                f"{'fall' if better == 'lower' else 'rise'}: give e.g. {example:+g}"
            )
        if points is None and better == "lower":
            provisional = -(approval.target_share_of_gap or 0.0) * 100
        else:
            provisional = -abs(suggested_pct) if better == "lower" else abs(suggested_pct)
        return approval.model_copy(update={"target_change_pct": round(provisional, 2)})
    baseline = approval.baseline.value
    try:
        if approval.target_change_points is not None:
            change = change_pct_from_points(baseline_value=baseline, points=approval.target_change_points)
        else:
            change = change_pct_from_gap(
                baseline_value=baseline,
                share_of_gap=approval.target_share_of_gap or 0.0,
                better=better,
            )
    except ValueError as error:
        raise Refused(str(error)) from error
    return approval.model_copy(update={"target_change_pct": round(change, 2)})


def refusals(*, kpi: str, approval: ApprovalIn, today: date) -> list[str]:
    """Why this approval's target or dates cannot stand (empty: they can), each naming its field."""
    found = []
    better = better_of(kpi)
    target = approval.target_pct
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
        not found
        and baseline is not None
        and baseline.value is not None
        and measure in ("rate", "duration", "count")
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
