"""The evaluation gate's verdict from a pilot's weekly data, as pure functions (the week is the unit).

One decision rule, read from a 95 % interval of the relative change:

- **pass**: the interval excludes "no change" and the estimate reaches the minimum worthwhile change
  (set at approval; default half the target);
- **fail**: the target lies beyond the interval: even the most favourable plausible effect falls short;
- **inconclusive**: anything else, with the extension the sizing asks for, or why none will settle it.

The change is estimated on weekly log values (weekly.py): with the rest of the staff as a concurrent
control a difference-in-differences, else before/after on the pilot group (or the clinic). The first
pilot weeks are ramp-up and are not judged. Nothing here does I/O, and no data make it raise.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from services.roadmap.plans.gate_data import (  # the data types are re-exported: callers import them here
    DURATION_KPIS,
    HIGHER_IS_BETTER,
    RATE_KPIS,
    ClinicianWeeks,
    GateData,
    HandBaselineFigure,
    WeekCounts,
    finite_counts,
    gate_kpi,
    group_series,
    paired_count,
    pooled_counts,
    valid_weeks,
)
from services.roadmap.plans.sizing import extension_for, log_target
from services.roadmap.plans.targets import Better, Measure, Target, check_target
from services.roadmap.plans.weekly import (
    AR1_RHO,
    CONFIDENCE,
    WeeklyFit,
    fit_against_fixed,
    fit_step,
    log_count,
    log_duration,
    log_rate,
    week_position,
)
from shared.small_groups import NOT_SHOWN_PER_PERSON, shown_per_person

__all__ = [
    "DURATION_KPIS",
    "HIGHER_IS_BETTER",
    "RATE_KPIS",
    "ClinicianWeeks",
    "GateData",
    "GateEvidence",
    "HandBaselineFigure",
    "Target",
    "WeekCounts",
    "decide",
    "gate_kpi",
    "judge_gate_data",
]

GateVerdict = Literal["pass", "fail", "inconclusive"]
# Where the target lies relative to the interval of the change, read in the direction of improvement.
TargetPosition = Literal["beyond_interval", "inside_interval", "within_interval_reach"]


@dataclass(frozen=True)
class GateEvidence:
    """What the gate decided and everything an officer needs to defend it (JSON-safe: asdict is stored)."""

    outcome: GateVerdict
    method: str
    estimate_pct: float | None  # the change, in % of the baseline
    ci_low_pct: float | None
    ci_high_pct: float | None
    confidence: float
    target_pct: float
    target_position: TargetPosition | None
    n_baseline: int  # observations (calls, notes) of the measured group in the baseline weeks used
    n_pilot: int  # the same in the judged pilot weeks
    p_value: float | None
    extension_weeks: int | None  # inconclusive: the pilot weeks to add for an 80 % chance to pass
    summary: str
    design: str = ""
    minimum_worthwhile_pct: float | None = None
    baseline_weeks_used: tuple[str, ...] = ()
    pilot_weeks_used: tuple[str, ...] = ()
    n_control: int = 0  # clinicians in the concurrent control (0: before/after only)
    weeks_excluded_as_ramp_up: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Measured:
    """One design's fit and what it was fitted on."""

    fit: WeeklyFit
    design: str
    n_baseline: int
    n_pilot: int
    n_control: int
    hand_weeks: float | None = None


def decide(
    *,
    estimate_pct: float,
    low_pct: float,
    high_pct: float,
    target_pct: float,
    worthwhile_pct: float,
    better: Better,
) -> tuple[GateVerdict, TargetPosition]:
    """The one decision rule on an interval of the relative change (signs: the KPI's own)."""
    sign = -1.0 if better == "lower" else 1.0
    gain_low, gain_high = sorted((sign * low_pct, sign * high_pct))
    gain_target = sign * target_pct
    if gain_high < gain_target:
        position: TargetPosition = "beyond_interval"
    elif gain_low > gain_target:
        position = "within_interval_reach"
    else:
        position = "inside_interval"
    if gain_low > 0 and sign * estimate_pct >= sign * worthwhile_pct:
        return "pass", position
    if position == "beyond_interval":
        return "fail", position
    return "inconclusive", position


def judge_gate_data(data: GateData, target: Target) -> GateEvidence:
    """The gate's verdict on a pilot's weeks; an impossible computation is an inconclusive with its reason."""
    reachable = _target_problem(data, target)
    if reachable:
        return _inconclusive(data, target, reachable)
    try:
        return _judge(data, target)
    except (
        ValueError,
        ArithmeticError,
        np.linalg.LinAlgError,
    ) as error:  # a last guard: never a failed workflow
        return _inconclusive(data, target, f"the interval could not be computed ({error})")


def _target_problem(data: GateData, target: Target) -> str:
    """Why the target cannot be met from the baseline the feed measured ("" when it can): a share
    cannot rise past 100 %, so "+25 %" on a baseline of 83 % is refused here as at approval."""
    if data.measure not in ("rate", "duration") or data.hand_baseline is not None:
        return ""
    weeks = {week.week: week for week in data.clinic}
    measured = [weeks[week] for week in data.baseline_weeks if week in weeks]
    total = sum(week.total for week in measured)
    if total <= 0:
        return ""
    baseline = sum(week.events for week in measured) / total
    if baseline <= 0:
        return ""  # a zero baseline is the estimate's own refusal (review the baseline)
    problem = check_target(
        measure=data.measure, better=data.better, baseline_value=baseline, change_pct=target.change_pct
    )
    return f"the feed measured a baseline of {baseline:.3g}, and {problem}" if problem else ""


def _judge(data: GateData, target: Target) -> GateEvidence:
    if data.measure not in ("rate", "duration", "count"):
        return _inconclusive(
            data,
            target,
            f"{data.kpi} has no weekly shares or minutes the gate can compare; judge it from the "
            "weekly chart, or re-measure it (a short audit) and enter the figure on the plan",
        )
    logs = log_target(better=data.better, target=target)
    if logs is None:
        return _inconclusive(
            data,
            target,
            f"the target {target.change_pct:+g} % and minimum worthwhile change "
            f"{target.worthwhile_pct():+g} % "
            f"must both point the way {data.kpi} improves ({data.better}), "
            "the second no further than the first",
        )
    pilot = valid_weeks(data.pilot_weeks)
    baseline = [week for week in valid_weeks(data.baseline_weeks) if week not in pilot]
    ramp = max(int(data.ramp_up_weeks), 0)
    excluded, judged = tuple(pilot[:ramp]), pilot[ramp:]
    if len(judged) < 2:
        missing = ramp + 4 - len(pilot)
        return _inconclusive(
            data,
            target,
            f"{len(pilot)} complete pilot weeks so far; the first {ramp} are ramp-up, and at least 2 judged "
            f"weeks are needed (4 recommended)",
            extension=max(missing, 1),
            excluded=excluded,
        )
    measured, reason = _measure(data, baseline, judged)
    if measured is None:
        return _inconclusive(data, target, reason, excluded=excluded)
    return _evidence(data, target, measured, logs, excluded)


def _measure(data: GateData, baseline: list[str], judged: list[str]) -> tuple[_Measured | None, str]:
    """The best design the data allow: difference-in-differences, before/after, or a hand baseline."""
    value = {"rate": log_rate, "count": log_count}.get(data.measure, log_duration)
    pilots = [c for c in data.clinicians if c.pilot]
    controls = [c for c in data.clinicians if not c.pilot]
    # A group of fewer than MIN_GROUP clinicians has its members' own figures: the pilot group is
    # judged as part of the clinic, and a small control is left out (the difference would show it).
    small = ""
    if pilots and not shown_per_person(paired_count(pilots, value, baseline, judged)):
        pilots, controls = [], []
        small = f" ({NOT_SHOWN_PER_PERSON}: the pilot group is judged within the whole clinic)"
    elif controls and not shown_per_person(paired_count(controls, value, baseline, judged)):
        controls = []
        small = f" ({NOT_SHOWN_PER_PERSON}: the rest of the staff is no concurrent control)"
    group = pooled_counts(pilots) if pilots else {week.week: week for week in data.clinic}
    who = "the pilot group" if pilots else "the clinic"
    if data.measure == "rate":
        base_events = sum(group[w].events for w in baseline if w in group and finite_counts(group[w]))
        if any(w in group for w in baseline) and base_events <= 0:
            return (
                None,
                "the baseline rate is 0: a relative change of 0 cannot be measured; review the baseline",
            )
    if pilots and controls:
        pilot_series, control_series = (
            group_series(pilots, value, data, baseline, judged),
            group_series(controls, value, data, baseline, judged),
        )
        difference = {w: pilot_series[w] - control_series[w] for w in pilot_series if w in control_series}
        fit = fit_step(difference, baseline, judged)
        if fit is not None:
            in_pilot = paired_count(pilots, value, baseline, judged)
            in_control = paired_count(controls, value, baseline, judged)
            return _Measured(
                fit,
                f"difference-in-differences against the rest of the staff ({in_pilot} clinicians in the "
                f"pilot group, {in_control} in the control)",
                *_totals(group, fit),
                in_control,
            ), ""
    series = (
        group_series(pilots, value, data, baseline, judged)
        if pilots
        else {w: v for w, c in group.items() if (v := value(c.events, c.total)) is not None}
    )
    fit = fit_step(series, baseline, judged)
    if fit is not None:
        return _Measured(
            fit,
            f"before/after only: {who} against its own baseline, no concurrent control{small}",
            *_totals(group, fit),
            0,
        ), ""
    hand = data.hand_baseline
    if hand is not None and not any(w in series for w in baseline):
        refused = _hand_refusal(data.measure, hand)
        if refused:
            return None, refused
        raw = {w: v for w, c in group.items() if (v := value(c.events, c.total)) is not None}
        weeks = hand.weeks if math.isfinite(hand.weeks) and hand.weeks >= 1 else 1.0
        fit = fit_against_fixed(raw, judged, baseline_log=math.log(hand.value), baseline_weeks=weeks)
        if fit is not None:
            volume = hand.weekly_volume if hand.weekly_volume and math.isfinite(hand.weekly_volume) else 0.0
            return _Measured(
                fit,
                f"before/after only: {who} against a baseline entered by hand "
                f"({hand.source or 'no source'}){small}",
                round(max(volume, 0.0) * weeks),
                _totals(group, fit)[1],
                0,
                hand_weeks=weeks,
            ), ""
    return None, _why_no_fit(series, baseline, judged, who)


def _evidence(
    data: GateData, target: Target, measured: _Measured, logs: tuple[float, float], excluded: tuple[str, ...]
) -> GateEvidence:
    fit = measured.fit
    estimate, low, high = (math.expm1(x) * 100 for x in (fit.estimate, fit.low, fit.high))
    worthwhile = target.worthwhile_pct()
    outcome, position = decide(
        estimate_pct=estimate,
        low_pct=low,
        high_pct=high,
        target_pct=target.change_pct,
        worthwhile_pct=worthwhile,
        better=data.better,
    )
    extension = None
    if outcome == "inconclusive":
        extension = extension_for(
            base_positions=[week_position(w) or 0 for w in fit.baseline_weeks],
            pilot_positions=[week_position(w) or 0 for w in fit.pilot_weeks],
            weekly_sd=fit.weekly_sd,
            improvement=logs[0],
            worthwhile=logs[1],
            hand_baseline_weeks=measured.hand_weeks,
        )
    return GateEvidence(
        outcome=outcome,
        method=_method(data.measure, measured.design),
        estimate_pct=round(estimate, 2),
        ci_low_pct=round(low, 2),
        ci_high_pct=round(high, 2),
        confidence=CONFIDENCE,
        target_pct=target.change_pct,
        target_position=position,
        n_baseline=measured.n_baseline,
        n_pilot=measured.n_pilot,
        p_value=round(fit.p_value, 6),
        extension_weeks=extension,
        summary=_summary(
            outcome,
            estimate=estimate,
            low=low,
            high=high,
            target=target.change_pct,
            worthwhile=worthwhile,
            extension=extension,
        ),
        design=measured.design,
        minimum_worthwhile_pct=worthwhile,
        baseline_weeks_used=fit.baseline_weeks,
        pilot_weeks_used=fit.pilot_weeks,
        n_control=measured.n_control,
        weeks_excluded_as_ramp_up=excluded,
    )


def _totals(group: dict[str, WeekCounts], fit: WeeklyFit) -> tuple[int, int]:
    def total(weeks: Iterable[str]) -> int:
        return round(sum(group[w].total for w in weeks if w in group and finite_counts(group[w])))

    return total(fit.baseline_weeks), total(fit.pilot_weeks)


def _hand_refusal(measure: Measure, hand: HandBaselineFigure) -> str:
    if not math.isfinite(hand.value):
        return "the baseline entered by hand is not a number"
    if measure == "rate" and not 0 < hand.value < 1:
        return f"the baseline entered by hand ({hand.value:g}) must be a share strictly between 0 and 1"
    if measure == "duration" and hand.value <= 0:
        return "the baseline entered by hand must be positive minutes per note"
    if measure == "count" and hand.value <= 0:
        return "the baseline entered by hand must be a positive count a week"
    return ""


def _why_no_fit(series: dict[str, float], baseline: list[str], judged: list[str], who: str) -> str:
    in_base = sum(1 for w in baseline if w in series)
    in_pilot = sum(1 for w in judged if w in series)
    if not series:
        return f"no KPI data for {who} in the baseline or the pilot weeks"
    if in_base < 2 or in_pilot < 2:
        return (
            f"{who} has {in_base} baseline and {in_pilot} judged pilot weeks with data; the gate needs at "
            "least 2 of each (or a baseline entered by hand)"
        )
    return f"{who}'s weekly values do not vary at all, so no interval can be computed; check the feed"


def _method(measure: Measure, design: str) -> str:
    unit = {
        "rate": "the weekly log rate (one value per complete week)",
        "count": "the weekly log count (one value per complete week)",
    }.get(
        measure, "each clinician's weekly log minutes per note against their own baseline, averaged per week"
    )
    return (
        f"{design}; {unit}, compared by a regression with {AR1_RHO:g} correlation between neighbouring weeks "
        f"and a {CONFIDENCE:.0%} t interval, so week-to-week variation widens the interval; ramp-up weeks "
        "are left out"
    )


def _inconclusive(
    data: GateData,
    target: Target,
    reason: str,
    *,
    extension: int | None = None,
    excluded: tuple[str, ...] = (),
) -> GateEvidence:
    """Inconclusive without an estimate: the data cannot answer the question (yet)."""
    return GateEvidence(
        outcome="inconclusive",
        method="no interval: " + reason,
        estimate_pct=None,
        ci_low_pct=None,
        ci_high_pct=None,
        confidence=CONFIDENCE,
        target_pct=target.change_pct,
        target_position=None,
        n_baseline=0,
        n_pilot=0,
        p_value=None,
        extension_weeks=extension,
        summary=f"not yet conclusive: {reason}",
        design="",
        minimum_worthwhile_pct=target.worthwhile_pct() if math.isfinite(target.worthwhile_pct()) else None,
        weeks_excluded_as_ramp_up=excluded,
    )


def _summary(
    outcome: GateVerdict,
    *,
    estimate: float,
    low: float,
    high: float,
    target: float,
    worthwhile: float,
    extension: int | None,
) -> str:
    measured = (
        f"change {estimate:+.1f} % ({CONFIDENCE:.0%} interval {low:+.1f} % to {high:+.1f} %), "
        f"target {target:+g} %, worth having from {worthwhile:+g} %"
    )
    if outcome == "pass":
        return f"{measured}: the change is real and worth having"
    if outcome == "fail":
        return f"{measured}: the target lies beyond the interval, the data rule it out"
    if extension is not None:
        weeks = f"{extension} week{'s' if extension > 1 else ''}"
        return f"{measured}: not yet conclusive; extend the pilot by {weeks}"
    return f"{measured}: not yet conclusive, and a pilot of up to half a year would not settle it"
