"""The money of a plan as its evidence comes in: projected at each gate and measured at the close.

The approval stored what one percent of KPI change is worth a week at full rollout (the pricing
basis of initiatives/pricing.py: hours freed, their value at loaded cost, cash). A measured change
is priced on that same basis, so a -10 % target met is worth a third of a -30 % target met, and
its 95 % interval gives the range. Capacity (hours) stays apart from cash. Pure: data in, data out.
"""

from dataclasses import asdict, dataclass
from typing import Any

from services.roadmap.initiatives.pricing import along_target
from shared import formats

WEEKS_PER_YEAR = 52
PROJECTED_FROM_PILOT = "projected from the pilot's measured change, at full rollout"
MEASURED = "measured after the pilot"


@dataclass(frozen=True)
class MeasuredMoney:
    """A week's worth of a measured change (hours, their value, cash), with the range its interval gives."""

    basis: str
    note: str
    status: str = PROJECTED_FROM_PILOT
    effect_pct: float | None = None
    effect_low_pct: float | None = None
    effect_high_pct: float | None = None
    share_of_target: float | None = None
    hours_freed_per_week: float | None = None  # capacity: not cash
    cash_per_week: float | None = None
    cash_per_week_low: float | None = None
    cash_per_week_high: float | None = None
    benefit_per_week: float | None = None  # the hours at loaded cost + revenue
    benefit_per_week_low: float | None = None
    benefit_per_week_high: float | None = None
    tool_cost_per_week: float | None = None
    net_per_week: float | None = None
    payback_weeks: float | None = None
    roi_12_months_pct: float | None = None  # a year at this change, counting the hours at loaded cost
    roi_12_months_pct_low: float | None = None
    roi_12_months_pct_high: float | None = None
    cash_roi_12_months_pct: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _roi(benefit: float, *, weekly_cost: float, setup: float) -> float | None:
    """A year's return at full rollout: (52 weeks of benefit - set-up and 52 weeks of cost) / that cost."""
    first_year_cost = setup + WEEKS_PER_YEAR * weekly_cost
    if first_year_cost <= 0:
        return None
    return round((WEEKS_PER_YEAR * benefit - first_year_cost) / first_year_cost * 100, 1)


def per_pct(money: dict[str, Any], *, target_pct: float) -> tuple[float, float, float]:
    """Hours, value and cash a week per 1 % of change along the target, as the approval priced them."""
    pricing = money.get("pricing")
    if isinstance(pricing, dict):
        return (
            float(pricing.get("hours_per_pct") or 0.0),
            float(pricing.get("value_per_pct") or 0.0),
            float(pricing.get("cash_per_pct") or 0.0),
        )
    # A review stored before the pricing basis: its benefit was priced at the target.
    expected = float(money.get("dollars_saved_per_week") or 0.0) + float(money.get("revenue_per_week") or 0.0)
    return 0.0, expected / abs(target_pct), float(money.get("revenue_per_week") or 0.0) / abs(target_pct)


def money_for_change(
    approval_money: dict[str, Any] | None,
    *,
    target_pct: float,
    effect_pct: float | None,
    low_pct: float | None = None,
    high_pct: float | None = None,
    basis: str,
    status: str = PROJECTED_FROM_PILOT,
) -> MeasuredMoney:
    """A measured change of the KPI (and its interval, if any) priced on the approval's basis."""
    money = approval_money or {}
    target = float(money.get("target_change_pct") or target_pct or 0.0)  # its sign says which way is better
    if effect_pct is None or target == 0:
        return MeasuredMoney(basis=basis, status=status, note="no measured change yet: nothing to price")
    hours, value, cash = per_pct(money, target_pct=target)

    def priced(rate: float, change: float) -> float:
        return round(rate * along_target(change, target), 2)

    bounds = [change for change in (low_pct, high_pct) if change is not None]
    both = len(bounds) == 2
    values = sorted(priced(value, change) for change in bounds) if both else [None, None]
    cashes = sorted(priced(cash, change) for change in bounds) if both else [None, None]
    point = priced(value, effect_pct)
    shown = MeasuredMoney(
        basis=basis,
        status=status,
        note="",
        effect_pct=effect_pct,
        effect_low_pct=low_pct,
        effect_high_pct=high_pct,
        share_of_target=round(effect_pct / (target_pct or target), 3),
        hours_freed_per_week=priced(hours, effect_pct),
        cash_per_week=priced(cash, effect_pct),
        cash_per_week_low=cashes[0],
        cash_per_week_high=cashes[-1],
        benefit_per_week=point,
        benefit_per_week_low=values[0],
        benefit_per_week_high=values[-1],
    )
    weekly_cost = money.get("tool_cost_per_week")
    if weekly_cost is None:
        note = "no tool cost was given at approval: payback and ROI need the subscription and set-up cost"
        return MeasuredMoney(**{**asdict(shown), "note": note})
    cost, setup = float(weekly_cost), float(money.get("setup_cost") or 0.0)
    net = round(point - cost, 2)
    payback = round(setup / net, 1) if net > 0 else None
    note = (
        f"pays back its set-up in about {payback:g} weeks at {formats.money(net)} net a week "
        "(counting freed hours at loaded cost; they are capacity, not cash, unless converted)"
        if payback is not None
        else "at this change the tool costs more each week than it returns: it does not pay back"
    )
    low, high = values[0], values[-1]
    return MeasuredMoney(
        **{
            **asdict(shown),
            "note": note,
            "tool_cost_per_week": cost,
            "net_per_week": net,
            "payback_weeks": payback,
            "roi_12_months_pct": _roi(point, weekly_cost=cost, setup=setup),
            "roi_12_months_pct_low": None if low is None else _roi(low, weekly_cost=cost, setup=setup),
            "roi_12_months_pct_high": None if high is None else _roi(high, weekly_cost=cost, setup=setup),
            "cash_roi_12_months_pct": _roi(shown.cash_per_week or 0.0, weekly_cost=cost, setup=setup),
        }
    )


def money_at_gates(
    approval_money: dict[str, Any] | None, gate_history: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The money each gate's evidence implies, in the order the gates were held (projected)."""
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
