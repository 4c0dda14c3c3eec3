"""A plan's target: the relative change it must reach, checked to be possible and written in absolute terms.

A target is a relative change of the KPI (-50 % of missed calls). On a share, a relative rise can be
impossible (+25 % above 80 % is 100 %), so shares may also take their target in percentage points or
as a share of the remaining gap, converted here. Every check names the field `target_change_pct` and
says what is achievable, so the API can answer 422 with it.
"""

import math
from dataclasses import dataclass
from typing import Literal

Measure = Literal["rate", "duration", "count"]
Better = Literal["lower", "higher"]


@dataclass(frozen=True)
class Target:
    """The change the pilot must reach (sign = direction), and the smallest change worth having."""

    change_pct: float  # relative change of the KPI, e.g. -30.0
    minimum_worthwhile_pct: float | None = None  # None: half the target

    def worthwhile_pct(self) -> float:
        """The minimum worthwhile change: as set at approval, else half the target."""
        if self.minimum_worthwhile_pct is None:
            return self.change_pct / 2
        return self.minimum_worthwhile_pct


def check_target(  # noqa: PLR0911 - one return per rule, each naming what is achievable
    *, measure: Measure, better: Better, baseline_value: float | None, change_pct: float
) -> str | None:
    """None when the target can be met; else why not, naming `target_change_pct` and what is achievable."""
    if not math.isfinite(change_pct) or change_pct == 0:
        return "target_change_pct: the target must be a change (a number other than 0 %)"
    wanted = "negative (a fall)" if better == "lower" else "positive (a rise)"
    if (change_pct < 0) != (better == "lower"):
        return (
            f"target_change_pct: this KPI is better {better}, so its target must be {wanted}; "
            f"{change_pct:+g} % would count a worsening as success"
        )
    if change_pct <= -100:
        return (
            f"target_change_pct: a {'share' if measure == 'rate' else measure} cannot fall by 100 % "
            "or more: choose between -1 % and -99 %"
        )
    if measure in ("duration", "count"):
        if baseline_value is not None and not (math.isfinite(baseline_value) and baseline_value > 0):
            unit = "minutes per note" if measure == "duration" else "a count a week"
            return f"baseline.value: {unit} must be a positive number"
        return None
    if baseline_value is None:
        return None
    if not (math.isfinite(baseline_value) and 0 <= baseline_value <= 1):
        return f"baseline.value: a share must lie between 0 and 1 (got {baseline_value:g})"
    if baseline_value == 0:
        return (
            "target_change_pct: a share of 0 cannot move by a relative change; give target_change_points "
            "(percentage points) instead"
        )
    if change_pct > 0:
        ceiling = (1 / baseline_value - 1) * 100  # the rise that reaches 100 %, itself out of reach
        if change_pct >= ceiling:
            largest = math.ceil(ceiling) - 1
            choice = f"choose between +1 % and +{largest} %, or " if largest >= 1 else ""
            return (
                f"target_change_pct: a share of {baseline_value:.2f} can rise by less than "
                f"+{ceiling:.1f} % (that would be 100 %): {choice}give target_change_points or "
                "target_share_of_gap"
            )
    return None


def change_pct_from_points(*, baseline_value: float, points: float) -> float:
    """Percentage points on a share (-14.5 from 29 %) as a relative change (-50 %); ValueError: impossible."""
    if not (math.isfinite(baseline_value) and 0 < baseline_value <= 1):
        raise ValueError("baseline.value: a change in points needs a share above 0 and at most 1")
    if not math.isfinite(points) or points == 0:
        raise ValueError("target_change_points: the target must be a change (a number other than 0)")
    reached = baseline_value + points / 100
    if not 0 < reached < 1:
        raise ValueError(
            f"target_change_points: from {_percent(baseline_value)} the share must stay between 0 % and "
            f"100 %: choose between {-_percent_number(baseline_value):+g} and "
            f"{_percent_number(1 - baseline_value):+g} points (exclusive)"
        )
    return points / 100 / baseline_value * 100


def change_pct_from_gap(*, baseline_value: float, share_of_gap: float, better: Better) -> float:
    """A share of the remaining gap (to 0 % if lower is better, else to 100 %) as the relative change."""
    if not (math.isfinite(baseline_value) and 0 < baseline_value < 1):
        raise ValueError("baseline.value: a share of the gap needs a share strictly between 0 and 1")
    if not (math.isfinite(share_of_gap) and 0 < share_of_gap < 1):
        raise ValueError(
            "target_share_of_gap: give the share of the gap to close, between 0 and 1 (exclusive)"
        )
    if better == "lower":
        return -share_of_gap * 100
    return share_of_gap * (1 - baseline_value) / baseline_value * 100


def target_value_text(*, measure: Measure, baseline_value: float, change_pct: float, unit: str = "") -> str:
    """The target in absolute values: "29 % → 14.5 % of calls", "16 → 13.6 minutes per note"."""
    reached = baseline_value * (1 + change_pct / 100)
    if measure == "rate":
        text = f"{_percent(baseline_value)} → {_percent(reached)}"
        return f"{text} {unit}".rstrip()
    return f"{_number(baseline_value)} → {_number(reached)} {unit or 'minutes per note'}"


def _percent_number(share: float) -> float:
    return round(share * 100, 1)


def _percent(share: float) -> str:
    return f"{_number(share * 100)} %"


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def resolve_target(
    *, better: Better, baseline_value: float, points: float | None, share_of_gap: float | None
) -> tuple[float | None, str]:
    """A share's target in points or as a share of the gap, made relative once its baseline is known:
    (relative change, "") or (None, why it cannot be met, naming the field and what is achievable)."""
    try:
        if points is not None:
            change = change_pct_from_points(baseline_value=baseline_value, points=points)
        else:
            change = change_pct_from_gap(
                baseline_value=baseline_value, share_of_gap=share_of_gap or 0.0, better=better
            )
    except ValueError as error:
        return None, str(error)
    problem = check_target(measure="rate", better=better, baseline_value=baseline_value, change_pct=change)
    return (None, problem) if problem else (round(change, 2), "")
