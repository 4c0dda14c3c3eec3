"""What the officer does with the portfolio's rows besides reading them: sort by a column, take them
away as CSV (every cell inert in a spreadsheet), and see the totals of hours freed and money, as
projected at approval against what the KPIs measured so far.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.pages import reads
from services.portal.pages.portfolio import ClinicRow
from services.portal.read_model.models import PortalInitiative, PortalPlan
from shared.events.roadmap import PLAN_PHASES
from shared.small_groups import NOT_SHOWN_PER_PERSON
from shared.spreadsheets import neutralise_formula

_COLOURS = {"red": 0, "amber": 1, "green": 2, "grey": 3}
_NONE_LAST = float("inf")
# The sortable columns by the name in the URL: each a key for an ascending sort.
SORTS: dict[str, Callable[[ClinicRow], Any]] = {
    "need": lambda row: (-row.attention_score, row.name.lower()),
    "name": lambda row: row.name.lower(),
    "readiness": lambda row: row.readiness_score if row.readiness_score is not None else _NONE_LAST,
    "where": lambda row: _stage_order(row.stage),
    "gate": lambda row: (
        _COLOURS.get(row.gate.colour, 9),
        row.gate.due_at.timestamp() if row.gate.due_at else 0,
    ),
    "kpi": lambda row: row.kpi.progress if row.kpi and row.kpi.progress is not None else _NONE_LAST,
    "adoption": lambda row: row.adoption_change_pct if row.adoption_change_pct is not None else _NONE_LAST,
    "alerts": lambda row: -row.open_alerts,
    "feed": lambda row: -(row.feed.days_quiet if row.feed.days_quiet is not None else -1),
}
_STAGES = ("registered", "assessed", "auditing", "roadmap", *(f"plan:{phase}" for phase in PLAN_PHASES))


def _stage_order(stage: str) -> int:
    return _STAGES.index(stage) if stage in _STAGES else len(_STAGES)


def sort_rows(rows: list[ClinicRow], by: str, descending: bool) -> list[ClinicRow]:
    """The rows by a column (SORTS), ties by name; an unknown column keeps the most in need first."""
    key = SORTS.get(by, SORTS["need"])
    ordered = sorted(rows, key=lambda row: row.name.lower())  # stable: ties stay by name
    return sorted(ordered, key=key, reverse=descending)


CSV_COLUMNS = (
    "Clinic",
    "Specialty",
    "Needs you",
    "Readiness",
    "Readiness score",
    "Where",
    "Gate",
    "Primary KPI",
    "KPI value",
    "KPI baseline",
    "KPI target",
    "Adoption change %",
    "Open alerts",
    "Partner feed",
)


def csv_of(rows: list[ClinicRow]) -> str:
    """The rows as CSV, every cell made inert for a spreadsheet (shared/spreadsheets.py)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        kpi = row.kpi
        cells = (
            row.name,
            row.specialty,
            "; ".join(row.reasons),
            (row.readiness_level or "").replace("_", " "),
            _number(row.readiness_score),
            row.stage_label,
            row.gate.label,
            kpi.name.replace("_", " ") if kpi else "",
            NOT_SHOWN_PER_PERSON if row.kpi_per_person else _number(kpi.value if kpi else None),
            _number(kpi.baseline if kpi else None),
            _number(kpi.target if kpi else None),
            NOT_SHOWN_PER_PERSON if row.adoption == "per_person" else _number(row.adoption_change_pct),
            str(row.open_alerts),
            row.feed.label,
        )
        writer.writerow([neutralise_formula(str(cell)) for cell in cells])
    return out.getvalue()


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


@dataclass
class Totals:
    plans: int  # approved plans counted (piloting or later)
    projected_hours: float  # a week, if every plan met its target
    projected_money: float
    measured_hours: float  # a week, from each plan's KPI progress so far
    measured_money: float
    measured_plans: int  # plans whose KPI has a judged week after the baseline


async def totals(session: AsyncSession, rows: list[ClinicRow], clinic_ids: Any) -> Totals:
    """Hours and money a week across the rows' plans: projected (the audit's hours of the problem times
    the target change) against measured (the same times the KPI's progress toward its target).
    `clinic_ids` (a select) holds the rows' clinics: their plans are found by it, not by a list of ids."""
    found = await reads.column_rows(
        session,
        sa_select(
            col(PortalPlan.id),
            col(PortalPlan.phase),
            col(PortalInitiative.kpi),
            col(PortalInitiative.hours_per_week),
            col(PortalInitiative.cost_per_week),
            col(PortalInitiative.target_change_pct),
        )
        .join(
            PortalInitiative,
            (col(PortalInitiative.clinic_id) == col(PortalPlan.clinic_id))
            & (col(PortalInitiative.id) == col(PortalPlan.initiative_id)),
        )
        .where(col(PortalPlan.clinic_id).in_(clinic_ids)),
    )
    by_plan = {plan.id: plan for plan in found}
    shown = Totals(0, 0.0, 0.0, 0.0, 0.0, 0)
    for row in rows:
        plan = by_plan.get(row.plan_id or "")
        if plan is None or plan.phase == "stopped" or not plan.target_change_pct:
            continue
        share = abs(plan.target_change_pct) / 100
        hours, money = (plan.hours_per_week or 0.0) * share, (plan.cost_per_week or 0.0) * share
        shown.plans += 1
        shown.projected_hours += hours
        shown.projected_money += money
        kpi = row.kpi
        if kpi is not None and kpi.name == plan.kpi and kpi.progress is not None and kpi.colour != "grey":
            progress = max(kpi.progress, 0.0)  # a KPI worse than baseline frees nothing (not negative hours)
            shown.measured_plans += 1
            shown.measured_hours += hours * progress
            shown.measured_money += money * progress
    return shown
