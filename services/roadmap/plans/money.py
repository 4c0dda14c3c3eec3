"""The money of a plan as its evidence comes in: expected at each gate and realized at the close.

At approval the review priced the target: hours saved x the loaded hourly cost, plus revenue where
the KPI carries it, against the tool's cost (approval_review.expected_money). Both benefits are in
proportion to the KPI's change (the revenue exactly so: recovered calls scale with the change), so
a measured change prices as the approval's benefit x measured / target, and its interval gives
the range. Pure: data in, data out.
"""

from dataclasses import asdict, dataclass
from typing import Any

WEEKS_PER_YEAR = 52


@dataclass(frozen=True)
class MeasuredMoney:
    """Dollars a week and the year's return for a measured change, with the range its interval gives."""

    basis: str
    note: str
    effect_pct: float | None = None
    effect_low_pct: float | None = None
    effect_high_pct: float | None = None
    share_of_target: float | None = None
    benefit_per_week: float | None = None
    benefit_per_week_low: float | None = None
    benefit_per_week_high: float | None = None
    tool_cost_per_week: float | None = None
    net_per_week: float | None = None
    payback_weeks: float | None = None
    roi_12_months_pct: float | None = None
    roi_12_months_pct_low: float | None = None
    roi_12_months_pct_high: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _roi(benefit: float, *, weekly_cost: float, setup: float) -> float | None:
    """12-month ROI as approval_review computes it: (a year's benefit - the first year's cost) / that cost."""
    first_year_cost = setup + WEEKS_PER_YEAR * weekly_cost
    if first_year_cost <= 0:
        return None
    return round((WEEKS_PER_YEAR * benefit - first_year_cost) / first_year_cost * 100, 1)


def money_for_change(
    approval_money: dict[str, Any] | None,
    *,
    target_pct: float,
    effect_pct: float | None,
    low_pct: float | None = None,
    high_pct: float | None = None,
    basis: str,
) -> MeasuredMoney:
    """The approval's money re-priced for a measured change of the KPI (and its interval, if any)."""
    money = approval_money or {}
    expected = float(money.get("dollars_saved_per_week") or 0.0) + float(money.get("revenue_per_week") or 0.0)
    weekly_cost = money.get("tool_cost_per_week")
    setup = float(money.get("setup_cost") or 0.0)
    if effect_pct is None or target_pct == 0:
        return MeasuredMoney(basis=basis, note="no measured change yet: nothing to price")

    def benefit(change: float) -> float:
        return round(expected * change / target_pct, 2)

    point = benefit(effect_pct)
    bounds = sorted(benefit(change) for change in (low_pct, high_pct) if change is not None)
    low, high = (bounds[0], bounds[-1]) if len(bounds) == 2 else (None, None)
    if weekly_cost is None:
        return MeasuredMoney(
            basis=basis,
            note="no tool cost was given at approval: payback and ROI need the subscription and set-up cost",
            effect_pct=effect_pct,
            effect_low_pct=low_pct,
            effect_high_pct=high_pct,
            share_of_target=round(effect_pct / target_pct, 3),
            benefit_per_week=point,
            benefit_per_week_low=low,
            benefit_per_week_high=high,
        )
    cost = float(weekly_cost)
    net = round(point - cost, 2)
    payback = round(setup / net, 1) if net > 0 else None
    note = (
        f"pays back its set-up in about {payback:g} weeks at {net:.0f} net a week"
        if payback is not None
        else "at this change the tool costs more each week than it returns: it does not pay back"
    )
    return MeasuredMoney(
        basis=basis,
        effect_pct=effect_pct,
        effect_low_pct=low_pct,
        effect_high_pct=high_pct,
        share_of_target=round(effect_pct / target_pct, 3),
        benefit_per_week=point,
        benefit_per_week_low=low,
        benefit_per_week_high=high,
        tool_cost_per_week=cost,
        net_per_week=net,
        payback_weeks=payback,
        roi_12_months_pct=_roi(point, weekly_cost=cost, setup=setup),
        roi_12_months_pct_low=None if low is None else _roi(low, weekly_cost=cost, setup=setup),
        roi_12_months_pct_high=None if high is None else _roi(high, weekly_cost=cost, setup=setup),
        note=note,
    )


def money_at_gates(
    approval_money: dict[str, Any] | None, gate_history: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The money each gate's evidence implies, in the order the gates were held."""
    return [
        money_for_change(
            approval_money,
            target_pct=float(evidence.get("target_pct") or 0.0),
            effect_pct=evidence.get("estimate_pct"),
            low_pct=evidence.get("ci_low_pct"),
            high_pct=evidence.get("ci_high_pct"),
            basis=f"gate {index} ({evidence.get('outcome', '?')}, pilot n = {evidence.get('n_pilot', 0)})",
        ).as_dict()
        for index, evidence in enumerate(gate_history, start=1)
    ]
