"""What an initiative is worth, priced the way a finance person would sign it. Pure: data in, data out.

- The benefit is priced from the TARGET (the KPI change the officer commits to), the hours the KPI
  touches (the audit's logged hours of the problem) and their loaded cost; a second line prices it
  at the published effect for that kind of solution. The audit's savings prior is shown for
  reference only: it ran 2-5x every published effect.
- Capacity (staff hours freed) is not cash. Cash is revenue recovered, or the share of freed hours
  the officer says is converted (overtime avoided, a hire not made, extra visits booked).
- Every benefit is linear in the KPI change, so the approval stores what one percent of change is
  worth; a measured change is re-priced on exactly that basis (plans/money.py).
- The first year is phased: nothing before the pilot, the pilot group's share during it, a linear
  ramp over the rollout, then the whole clinic. The subscription is paid all year (conservative).
"""

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import partial
from itertools import pairwise
from typing import Any

from services.roadmap.initiatives.evidence_library import ReferenceEffect

WEEKS_PER_MONTH = 52 / 12
WEEKS_PER_YEAR = 52
YEAR_DAYS = 7 * WEEKS_PER_YEAR
PAYBACK_HORIZON_DAYS = 3 * YEAR_DAYS
DEFAULT_PHASE_DAYS = {"baseline": 14.0, "preparation": 14.0, "pilot": 42.0, "rollout": 56.0}
# KPIs that measure staff time: a relative change frees that share of the hours the audit logged.
STAFF_TIME_KPIS = frozenset({"documentation_minutes_per_note", "minutes_per_eligibility_check"})
# KPIs with a revenue model: a change recovers visits (see visits_recovered_per_pct).
REVENUE_KPIS = frozenset({"missed_call_rate", "no_show_rate", "appointment_conversion"})
PROJECTED = "projected"


@dataclass(frozen=True)
class ToolCost:
    """What the tool costs: a subscription, per user and month, per unit used (x monthly volume), set-up."""

    monthly: float = 0.0
    per_user_monthly: float = 0.0
    users: int = 0
    setup: float = 0.0
    per_unit: float = 0.0  # per minute, per encounter ...
    units_per_month: float = 0.0

    def per_month(self) -> float:
        return self.monthly + self.per_user_monthly * self.users + self.per_unit * self.units_per_month


@dataclass(frozen=True)
class CashInputs:
    """What turns a KPI change into cash: the baseline's volume and rate, visit value, converted hours."""

    weekly_volume: float | None = None
    baseline_rate: float | None = None
    booking_share: float | None = None
    average_visit_value: float | None = None
    capacity_to_cash_share: float = 0.0
    capacity_to_cash_note: str = ""


@dataclass(frozen=True)
class PricingBasis:
    """What one percent of KPI change (in the target's direction) is worth a week at full rollout."""

    hours_touched_per_week: float
    loaded_hourly_cost: float | None
    hours_per_pct: float
    capacity_value_per_pct: float  # the freed hours at loaded cost: NOT cash
    converted_cash_per_pct: float  # the share of that value the officer says becomes cash
    revenue_per_pct: float  # visits recovered x visit value
    cash_note: str

    @property
    def cash_per_pct(self) -> float:
        return self.converted_cash_per_pct + self.revenue_per_pct

    @property
    def value_per_pct(self) -> float:
        """Capacity at loaded cost plus revenue (converted hours are already inside the capacity)."""
        return self.capacity_value_per_pct + self.revenue_per_pct

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "cash_per_pct": self.cash_per_pct, "value_per_pct": self.value_per_pct}


def visits_recovered_per_pct(kpi: str, cash: CashInputs) -> tuple[float | None, str]:
    """Visits a week one percent of change recovers; None (with what is missing) when it cannot say."""
    needs = [("the baseline weekly volume", cash.weekly_volume), ("the baseline rate", cash.baseline_rate)]
    needs.append(("the clinic's average visit value", cash.average_visit_value))
    if kpi == "missed_call_rate":
        needs.append(("the share of answered calls that book", cash.booking_share))
    missing = [name for name, value in needs if value is None]
    if missing or cash.weekly_volume is None or cash.baseline_rate is None:
        return None, "revenue not estimated: it needs " + ", ".join(missing)
    if not 0 < cash.baseline_rate < 1:
        return None, "revenue not estimated: the baseline rate must lie between 0 and 1"
    per_pct = cash.weekly_volume * cash.baseline_rate / 100
    if kpi == "missed_call_rate":  # calls answered instead of missed, of which some book
        return per_pct * (cash.booking_share or 0.0), (
            f"{cash.weekly_volume:.0f} calls a week x {cash.baseline_rate:.0%} missed; "
            f"{cash.booking_share:.0%} of answered calls book"
        )
    if kpi == "no_show_rate":  # visits kept instead of missed (a slot refilled anyway earns nothing)
        return per_pct, f"{cash.weekly_volume:.0f} visits a week x {cash.baseline_rate:.0%} no-shows"
    return per_pct, f"{cash.weekly_volume:.0f} requests a week x {cash.baseline_rate:.0%} booked"


def pricing_basis(*, kpi: str, hours_per_week: float, cost_per_week: float, cash: CashInputs) -> PricingBasis:
    """The value of one percent of change: staff-time KPIs free hours, revenue KPIs recover visits."""
    hourly = cost_per_week / hours_per_week if hours_per_week > 0 and cost_per_week > 0 else None
    notes: list[str] = []
    hours_per_pct = hours_per_week / 100 if kpi in STAFF_TIME_KPIS else 0.0
    capacity_per_pct = hours_per_pct * (hourly or 0.0)
    converted = capacity_per_pct * cash.capacity_to_cash_share
    if converted > 0:
        notes.append(
            f"{cash.capacity_to_cash_share:.0%} of the freed hours become cash: {cash.capacity_to_cash_note}"
        )
    elif hours_per_pct > 0:
        notes.append(
            "freed hours are capacity, not cash, until they avoid overtime or a hire or become visits"
        )
    else:
        notes.append("this KPI is not staff time: no hours are counted as freed")
    revenue = 0.0
    if kpi in REVENUE_KPIS:
        visits, note = visits_recovered_per_pct(kpi, cash)
        if visits is not None and cash.average_visit_value is not None:
            revenue = visits * cash.average_visit_value
            note += f" x {cash.average_visit_value:.0f} a visit"
        notes.append(note)
    elif kpi not in STAFF_TIME_KPIS:
        notes.append("no revenue model for this KPI yet: its benefit is not priced")
    return PricingBasis(
        hours_touched_per_week=round(hours_per_week, 2),
        loaded_hourly_cost=None if hourly is None else round(hourly, 2),
        hours_per_pct=round(hours_per_pct, 6),
        capacity_value_per_pct=round(capacity_per_pct, 6),
        converted_cash_per_pct=round(converted, 6),
        revenue_per_pct=round(revenue, 6),
        cash_note="; ".join(notes),
    )


@dataclass(frozen=True)
class Phasing:
    """When the benefit arrives in the first year: the pilot group's share, then a ramp to everyone."""

    days: dict[str, float]
    pilot_share: float
    pilot_share_note: str

    def factor(self, day: float) -> float:
        """Share of the full benefit earned on this day after approval."""
        start = self.days["baseline"] + self.days["preparation"]
        rollout = start + self.days["pilot"]
        full = rollout + self.days["rollout"]
        if day < start:
            return 0.0
        if day < rollout:
            return self.pilot_share
        if day < full:
            return self.pilot_share + (1 - self.pilot_share) * (day - rollout) / self.days["rollout"]
        return 1.0

    def full_weeks(self, horizon_days: float = YEAR_DAYS) -> float:
        """Weeks of full benefit the horizon holds: the exact integral of factor(), piecewise linear."""
        start = self.days["baseline"] + self.days["preparation"]
        edges = [0.0, start, start + self.days["pilot"], start + self.days["pilot"] + self.days["rollout"]]
        total, points = 0.0, sorted({min(edge, horizon_days) for edge in edges} | {horizon_days})
        for left, right in pairwise(points):
            # factor is linear on each piece: the trapezoid is exact (just inside the right edge).
            total += (right - left) * (self.factor(left) + self.factor(right - 1e-9)) / 2
        return round(total / 7, 4)


def phasing_for(
    *, phase_days: Mapping[str, float] | None, pilot_group_size: int, rollout_users: int
) -> Phasing:
    """The first year's phases (the approval's lengths) and the pilot group's share of the benefit."""
    days = {name: float((phase_days or {}).get(name, value)) for name, value in DEFAULT_PHASE_DAYS.items()}
    if pilot_group_size == 0:
        share, note = 1.0, "no pilot group named: the whole clinic pilots"
    elif rollout_users > 0:
        share = min(pilot_group_size / rollout_users, 1.0)
        note = f"{pilot_group_size} of {rollout_users} users pilot"
    else:
        share = 0.0
        note = (
            f"{pilot_group_size} staff pilot but the number of users at rollout is not known "
            "(tool_cost.users): the pilot is counted as earning nothing"
        )
    return Phasing(days=days, pilot_share=round(share, 4), pilot_share_note=note)


@dataclass(frozen=True)
class BenefitLine:
    """The benefit at one KPI change: a week at full rollout, the phased first year, and its returns."""

    basis: str
    change_pct: float
    hours_freed_per_week: float
    capacity_value_per_week: float  # the freed hours at loaded cost: not cash
    cash_per_week: float  # revenue + converted hours
    value_per_week: float  # capacity value + revenue, at full rollout
    first_year_value: float
    first_year_cash: float
    roi_12_months_pct: float | None  # counting freed hours at loaded cost
    cash_roi_12_months_pct: float | None  # cash only: what a finance person books
    roi_full_year_pct: float | None  # a year at full rollout, for comparison with unphased figures
    payback_weeks: float | None
    status: str = PROJECTED


def _roi(benefit: float, cost: float) -> float | None:
    return None if cost <= 0 else round((benefit - cost) / cost * 100, 1)


def payback_weeks(
    *, value_per_week: float, weekly_cost: float, setup: float, phasing: Phasing
) -> float | None:
    """Weeks until the phased benefit has paid the set-up and the subscription so far; None past 3 years."""
    balance = -setup
    for day in range(int(PAYBACK_HORIZON_DAYS)):
        balance += (value_per_week * phasing.factor(day + 0.5) - weekly_cost) / 7
        if balance >= 0:
            return round((day + 1) / 7, 1)
    return None


def along_target(change_pct: float, target_pct: float) -> float:
    """The change in the target's direction: positive when the KPI moved the way the target asks."""
    return -change_pct if target_pct < 0 else change_pct


def benefit_line(
    *,
    basis: str,
    change_pct: float,
    target_pct: float,
    pricing: PricingBasis,
    phasing: Phasing,
    tool_cost: ToolCost | None,
) -> BenefitLine:
    """Price one KPI change (the target, or a published effect) on the approval's basis."""
    along = along_target(change_pct, target_pct)
    value, cash = pricing.value_per_pct * along, pricing.cash_per_pct * along
    full_weeks = phasing.full_weeks()
    weekly_cost = tool_cost.per_month() / WEEKS_PER_MONTH if tool_cost else 0.0
    first_year_cost = tool_cost.setup + WEEKS_PER_YEAR * weekly_cost if tool_cost else 0.0
    priced = tool_cost is not None
    return BenefitLine(
        basis=basis,
        change_pct=change_pct,
        hours_freed_per_week=round(pricing.hours_per_pct * along, 2),
        capacity_value_per_week=round(pricing.capacity_value_per_pct * along, 2),
        cash_per_week=round(cash, 2),
        value_per_week=round(value, 2),
        first_year_value=round(value * full_weeks, 2),
        first_year_cash=round(cash * full_weeks, 2),
        roi_12_months_pct=_roi(value * full_weeks, first_year_cost) if priced else None,
        cash_roi_12_months_pct=_roi(cash * full_weeks, first_year_cost) if priced else None,
        roi_full_year_pct=_roi(value * WEEKS_PER_YEAR, first_year_cost) if priced else None,
        payback_weeks=(
            payback_weeks(
                value_per_week=value, weekly_cost=weekly_cost, setup=tool_cost.setup, phasing=phasing
            )
            if tool_cost is not None
            else None
        ),
    )


@dataclass(frozen=True)
class Money:
    """The approval's price of the initiative: at the target and at the published effect, projected."""

    kpi: str
    target_change_pct: float
    pricing: dict[str, Any]
    at_target: dict[str, Any]
    at_published_effect: dict[str, Any] | None
    published_effect_note: str
    phasing: dict[str, Any]
    tool_cost_per_week: float | None
    setup_cost: float | None
    first_year_cost: float | None
    audit_prior_per_week: float
    note: str
    status: str = PROJECTED
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def expected_money(
    *,
    kpi: str,
    target_change_pct: float,
    hours_per_week: float,
    cost_per_week: float,
    audit_prior_per_week: float,
    tool_cost: ToolCost | None,
    phasing: Phasing,
    cash: CashInputs | None = None,
    reference: ReferenceEffect | None = None,
) -> Money:
    """The approval's price: the target and the published effect on one basis, phased, projected."""
    basis = pricing_basis(
        kpi=kpi, hours_per_week=hours_per_week, cost_per_week=cost_per_week, cash=cash or CashInputs()
    )
    return priced_money(
        kpi=kpi,
        target_change_pct=target_change_pct,
        basis=basis,
        phasing=phasing,
        tool_cost=tool_cost,
        audit_prior_per_week=audit_prior_per_week,
        published=None if reference is None else (reference.effect_pct, reference.note),
    )


def priced_money(
    *,
    kpi: str,
    target_change_pct: float,
    basis: PricingBasis,
    phasing: Phasing,
    tool_cost: ToolCost | None,
    audit_prior_per_week: float,
    published: tuple[float, str] | None,
) -> Money:
    """The money on a pricing basis: the target and the published effect (its change and note), phased."""
    line = partial(
        benefit_line, target_pct=target_change_pct, pricing=basis, phasing=phasing, tool_cost=tool_cost
    )
    at_target = line(basis=f"the target, {target_change_pct:+g} %", change_pct=target_change_pct)
    at_published = None
    published_note = "no published effect with a figure for this KPI and solution: priced at the target only"
    if published is not None:
        effect_pct, published_note = published
        at_published = line(basis=f"the published effect, {effect_pct:+g} %", change_pct=effect_pct)
    weekly_cost = tool_cost.per_month() / WEEKS_PER_MONTH if tool_cost else None
    if tool_cost is None:
        note = "no tool cost given: payback and ROI need the subscription and set-up cost"
    elif at_target.payback_weeks is None:
        note = "at the target the tool does not pay back within 3 years"
    else:
        note = f"at the target it pays back in about {at_target.payback_weeks:g} weeks after approval"
    if basis.value_per_pct <= 0:
        note = "the benefit is not priced (" + basis.cash_note + "); " + note
    return Money(
        kpi=kpi,
        target_change_pct=target_change_pct,
        pricing=basis.as_dict(),
        at_target=asdict(at_target),
        at_published_effect=None if at_published is None else asdict(at_published),
        published_effect_note=published_note,
        phasing={**asdict(phasing), "first_year_full_weeks": phasing.full_weeks()},
        tool_cost_per_week=None if weekly_cost is None else round(weekly_cost, 2),
        setup_cost=tool_cost.setup if tool_cost else None,
        first_year_cost=(
            None if tool_cost is None or weekly_cost is None else round(tool_cost.setup + 52 * weekly_cost, 2)
        ),
        audit_prior_per_week=round(audit_prior_per_week, 2),
        note=f"projected, not measured: {note}",
    )


def repriced_money(
    money: dict[str, Any], *, tool_cost: ToolCost | None, tool_cost_note: str, pilot_group_size: int
) -> dict[str, Any]:
    """An approved plan's money at another tool cost, on the basis and phases its approval stored.

    The benefit does not move; the cost, payback, ROI and the pilot's share of the users do.
    """
    stored = money["pricing"]
    basis = PricingBasis(**{name: stored[name] for name in PricingBasis.__dataclass_fields__})
    phasing = phasing_for(
        phase_days=money["phasing"]["days"],
        pilot_group_size=pilot_group_size,
        rollout_users=tool_cost.users if tool_cost else 0,
    )
    published = money.get("at_published_effect")
    repriced = priced_money(
        kpi=money["kpi"],
        target_change_pct=float(money["target_change_pct"]),
        basis=basis,
        phasing=phasing,
        tool_cost=tool_cost,
        audit_prior_per_week=float(money.get("audit_prior_per_week") or 0.0),
        published=None
        if not published
        else (float(published["change_pct"]), str(money.get("published_effect_note", ""))),
    ).as_dict()
    # What the approval added beyond the price (its warnings) stays; the cost's note is the new one.
    return {**money, **repriced, "warnings": money.get("warnings", []), "tool_cost_note": tool_cost_note}
