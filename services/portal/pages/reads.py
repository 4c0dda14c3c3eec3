"""What the portfolio and Today both read, once each: the officer's clinics, their plans and which
one is current, the current gates' notices, open escalations, audits and KPI weeks (the newest, or
the recent ones for sparklines).

Plain column rows, not ORM objects: an officer with a thousand clinics would make thousands of
them per page. `clinic_ids` is a list of ids or a select of them.
"""

from collections import defaultdict, namedtuple
from collections.abc import Collection, Iterable
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

from sqlalchemy import String, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.pages import rules
from services.portal.read_model.models import (
    PortalAudit,
    PortalClinic,
    PortalKpiSeries,
    PortalNotice,
    PortalPlan,
)
from shared.events.roadmap import FINAL_PHASES

# One week of a clinic KPI as the read model keeps it: [week, value, sample, baseline, target, progress].
Point = list[Any]


async def column_rows(session: AsyncSession, statement: Any) -> list[Any]:
    """The statement's rows as named tuples: a SQLAlchemy Row's attribute costs some thirty times a
    named tuple's, and the portfolio reads tens of thousands of them a page."""
    connection = await session.connection()
    result = await connection.execute(statement)
    return list(map(_record(tuple(result.keys()))._make, result.all()))  # all(): fetched at once


@cache
def _record(fields: tuple[str, ...]) -> Any:
    return namedtuple("Record", fields, rename=True)


def officer_clinic_ids(officer_id: str) -> Any:
    """Every clinic of the officer (archived ones too), as a select for `IN`."""
    return sa_select(col(PortalClinic.id)).where(col(PortalClinic.officer_id) == officer_id)


async def officer_clinics(session: AsyncSession, officer_id: str) -> list[Any]:
    """The officer's clinics in the portfolio (not archived): id, name, specialty, time_zone."""
    return await column_rows(
        session,
        sa_select(
            col(PortalClinic.id),
            col(PortalClinic.name),
            col(PortalClinic.specialty),
            col(PortalClinic.time_zone),
        ).where(col(PortalClinic.officer_id) == officer_id, col(PortalClinic.archived).is_(False)),
    )


async def plans(session: AsyncSession, clinic_ids: Any) -> list[Any]:
    """Every plan of these clinics, the earliest started first."""
    return await column_rows(
        session,
        sa_select(
            col(PortalPlan.id),
            col(PortalPlan.clinic_id),
            col(PortalPlan.initiative_id),
            col(PortalPlan.phase),
            col(PortalPlan.phase_since),
            col(PortalPlan.started_at),
            col(PortalPlan.phase_planned_days),
        )
        .where(col(PortalPlan.clinic_id).in_(clinic_ids))
        .order_by(col(PortalPlan.started_at)),
    )


def current_plans(plans: Iterable[Any]) -> dict[UUID, Any]:
    """Each clinic's current plan, from its plans the earliest started first: the plan in flight wins
    over finished ones; among equals, the latest started."""
    current: dict[UUID, Any] = {}
    for candidate in plans:
        held = current.get(candidate.clinic_id)
        if held is None or not (held.phase not in FINAL_PHASES and candidate.phase in FINAL_PHASES):
            current[candidate.clinic_id] = candidate
    return current


async def gate_notices(
    session: AsyncSession, plans: Collection[Any], clinic_ids: Any = None
) -> dict[str, list[Any]]:
    """The current gate's notices of each plan (`rules.current_gate_notices`), newest first. With the
    plans' clinics as a select, the notices are found by clinic: no list of thousands of plan ids."""
    which = (
        col(PortalNotice.clinic_id).in_(clinic_ids)
        if clinic_ids is not None
        else col(PortalNotice.plan_id).in_([plan.id for plan in plans])
    )
    by_plan: dict[str, list[Any]] = defaultdict(list)
    for notice in await column_rows(
        session,
        sa_select(
            col(PortalNotice.plan_id),
            col(PortalNotice.kind),
            col(PortalNotice.message),
            col(PortalNotice.due_at),
            col(PortalNotice.raised_at),
        ).where(which, col(PortalNotice.kind).in_(rules.DECISION_NOTICES)),
    ):
        by_plan[notice.plan_id].append(notice)
    return {
        plan.id: rules.current_gate_notices(by_plan.get(plan.id, []), phase_since=plan.phase_since)
        for plan in plans
    }


async def open_escalations(session: AsyncSession, clinic_ids: Any, *, now: datetime) -> list[Any]:
    """Adoption escalations raised within rules.OPEN_FOR, newest first."""
    return await column_rows(
        session,
        sa_select(
            col(PortalNotice.clinic_id),
            col(PortalNotice.plan_id),
            col(PortalNotice.key),
            col(PortalNotice.message),
            col(PortalNotice.raised_at),
        )
        .where(
            col(PortalNotice.clinic_id).in_(clinic_ids),
            col(PortalNotice.kind) == "adoption_escalation",
            col(PortalNotice.raised_at) >= now - rules.OPEN_FOR,
        )
        .order_by(col(PortalNotice.raised_at).desc()),
    )


async def latest_audits(session: AsyncSession, clinic_ids: Any) -> list[Any]:
    """Each clinic's latest audit: its coverage, and who did not log."""
    return await column_rows(
        session,
        sa_select(
            col(PortalAudit.clinic_id),
            col(PortalAudit.audit_id),
            col(PortalAudit.low_confidence),
            col(PortalAudit.staff_logged),
            col(PortalAudit.staff_expected),
            col(PortalAudit.missing_staff),
            col(PortalAudit.completed_at),
        ).where(col(PortalAudit.clinic_id).in_(clinic_ids)),
    )


def low_coverage(audit: Any) -> bool:
    return rules.low_coverage(
        low_confidence=audit.low_confidence,
        staff_logged=audit.staff_logged,
        staff_expected=audit.staff_expected,
    )


async def recent_weeks(
    session: AsyncSession, clinic_ids: Any, kpis: Collection[str] | None = None
) -> dict[str, dict[str, list[Point]]]:
    """The recent weeks (oldest first) of every KPI, or of these, of the clinics, by clinic id (hex).

    One row per clinic KPI (PortalKpiSeries, kept by the projection), not one per week; the ids
    come back as stored text, since parsing thousands of them into UUIDs costs a good part of the page.
    """
    statement = sa_select(
        type_coerce(col(PortalKpiSeries.clinic_id), String),
        col(PortalKpiSeries.kpi),
        col(PortalKpiSeries.recent),
    ).where(col(PortalKpiSeries.clinic_id).in_(clinic_ids))
    if kpis is not None:
        statement = statement.where(col(PortalKpiSeries.kpi).in_(kpis))
    result: dict[str, dict[str, list[Any]]] = defaultdict(dict)
    connection = await session.connection()
    for clinic_id, kpi, recent in (await connection.execute(statement)).all():
        # SQLite keeps the 32 hex digits; another database may hand back the dashed form. The
        # points stay as decoded (lists): re-shaping 20,000 of them per page costs more than the query.
        result[str(clinic_id).replace("-", "")][kpi] = recent
    return result


async def latest_weeks(session: AsyncSession, clinic_ids: Any) -> dict[str, dict[str, Point | None]]:
    """The newest week with a value of every KPI of the clinics (None if none has one yet), by clinic
    id (hex) then KPI, KPIs by name: plain columns, so the whole portfolio reads it cheaply."""
    statement = (
        sa_select(
            type_coerce(col(PortalKpiSeries.clinic_id), String),
            col(PortalKpiSeries.kpi),
            col(PortalKpiSeries.latest_week),
            col(PortalKpiSeries.latest_value),
            col(PortalKpiSeries.latest_sample),
            col(PortalKpiSeries.latest_baseline),
            col(PortalKpiSeries.latest_target),
            col(PortalKpiSeries.latest_progress),
        )
        .where(col(PortalKpiSeries.clinic_id).in_(clinic_ids))
        .order_by(col(PortalKpiSeries.kpi))
    )
    result: dict[str, dict[str, Point | None]] = defaultdict(dict)
    connection = await session.connection()
    for clinic_id, kpi, *point in (await connection.execute(statement)).all():
        result[str(clinic_id).replace("-", "")][kpi] = point if point[0] is not None else None
    return result
