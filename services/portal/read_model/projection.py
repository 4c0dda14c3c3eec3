"""The read model's projection: each event becomes rows, the same rows however often it arrives.

The handlers call these inside the inbox transaction (shared/inbox.py), so an event is applied
once; the functions are upserts anyway, so a replayed topic or an event that overtook an older
one leaves the newest state.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.read_model.models import (
    PortalAlert,
    PortalAssessment,
    PortalAudit,
    PortalClinic,
    PortalInitiative,
    PortalKpiSeries,
    PortalKpiWeek,
    PortalNotice,
    PortalOpenAudit,
    PortalPlan,
    PortalPlanTransition,
)
from services.portal.read_model.times import aware
from shared.events.audit import AuditCompleted, AuditOpened
from shared.events.intake import AssessmentCompleted, ClinicArchived, ClinicRegistered, ClinicUpdated
from shared.events.kpi import KpiAlert, KpiSnapshot
from shared.events.roadmap import (
    InitiativeApproved,
    InitiativeProposed,
    PlanNoticeRaised,
    PlanPhaseChanged,
)

# Weeks kept per clinic KPI for the portfolio: its sparkline, adoption trend and feed health.
SERIES_WEEKS = 12


async def record_clinic(
    *, session: AsyncSession, event: ClinicRegistered | ClinicUpdated, event_time: datetime
) -> None:
    """A clinic's profile; an older profile event arriving after a newer one changes nothing."""
    clinic = await session.get(PortalClinic, event.clinic_id)
    if clinic is None:
        clinic = PortalClinic(
            id=event.clinic_id,
            officer_id=event.officer_id,
            name=event.name,
            specialty=event.specialty,
            locations=event.locations,
            registered_at=event_time,
            profile_at=event_time,
        )
    elif event_time < aware(clinic.profile_at):
        return
    else:
        clinic.officer_id = event.officer_id
        clinic.name = event.name
        clinic.specialty = event.specialty
        clinic.locations = event.locations
        clinic.profile_at = event_time
    # The zone its pages show times in (the newest profile's, like the name).
    clinic.set_calendar(event.calendar)
    if isinstance(event, ClinicRegistered):
        clinic.registered_at = min(aware(clinic.registered_at), event_time)
    session.add(clinic)


async def record_clinic_archived(*, session: AsyncSession, event: ClinicArchived) -> None:
    """The clinic leaves the portfolio table; its history stays readable."""
    clinic = await session.get(PortalClinic, event.clinic_id)
    if clinic is None:
        # Archived before its registration reached us: keep a placeholder the registration fills.
        clinic = PortalClinic(
            id=event.clinic_id,
            officer_id=event.officer_id,
            name="",
            specialty="",
            registered_at=event.archived_at,
            profile_at=datetime.min.replace(tzinfo=event.archived_at.tzinfo),
        )
    clinic.archived = True
    session.add(clinic)


async def record_assessment(*, session: AsyncSession, event: AssessmentCompleted) -> None:
    """The clinic's latest assessment; an older one never replaces a newer one."""
    current = await session.get(PortalAssessment, event.clinic_id)
    if current is not None and aware(current.completed_at) > event.completed_at:
        return
    await session.merge(
        PortalAssessment(
            clinic_id=event.clinic_id,
            assessment_id=event.assessment_id,
            overall_score=event.overall_score,
            level=event.level,
            dimension_scores=dict(event.dimension_scores),
            top_gaps=[gap.model_dump(mode="json") for gap in event.top_gaps],
            previous_overall_score=event.previous_overall_score,
            completed_at=event.completed_at,
        )
    )


async def record_audit_opened(*, session: AsyncSession, event: AuditOpened) -> None:
    """The clinic is auditing, until this audit's completion arrives (which may come first)."""
    completed = await session.get(PortalAudit, event.clinic_id)
    if completed is not None and completed.audit_id == event.audit_id:
        return
    current = await session.get(PortalOpenAudit, event.clinic_id)
    if current is not None and aware(current.opened_at) > event.opened_at:
        return
    await session.merge(
        PortalOpenAudit(
            clinic_id=event.clinic_id,
            audit_id=event.audit_id,
            starts_on=event.starts_on,
            ends_on=event.ends_on,
            opened_at=event.opened_at,
        )
    )


async def record_audit(*, session: AsyncSession, event: AuditCompleted) -> None:
    """The clinic's latest audit and its candidates, best first; its window is no longer open."""
    still_open = await session.get(PortalOpenAudit, event.clinic_id)
    if still_open is not None and still_open.audit_id == event.audit_id:
        await session.delete(still_open)
    current = await session.get(PortalAudit, event.clinic_id)
    if current is not None and aware(current.completed_at) > event.completed_at:
        return
    await session.merge(
        PortalAudit(
            clinic_id=event.clinic_id,
            audit_id=event.audit_id,
            window_start=event.window_start,
            window_end=event.window_end,
            total_hours_per_week=event.total_hours_per_week,
            total_cost_per_week=event.total_cost_per_week,
            low_confidence=event.low_confidence,
            staff_logged=event.staff_logged,
            staff_expected=event.staff_expected,
            missing_staff=list(event.missing_staff),
            candidates=[candidate.model_dump(mode="json") for candidate in event.candidates],
            completed_at=event.completed_at,
        )
    )


async def record_initiative_proposed(*, session: AsyncSession, event: InitiativeProposed) -> None:
    """A proposal (or a re-ranking); an approval already recorded keeps its status."""
    key = (event.clinic_id, event.initiative_id)
    initiative = await session.get(PortalInitiative, key) or PortalInitiative(
        id=event.initiative_id, clinic_id=event.clinic_id
    )
    if initiative.proposed_at is not None and aware(initiative.proposed_at) > event.proposed_at:
        return
    initiative.rank = event.rank
    initiative.problem = event.problem
    initiative.solution = event.solution
    initiative.kpi = event.kpi
    initiative.hours_per_week = event.hours_per_week
    initiative.cost_per_week = event.cost_per_week
    initiative.suggested_target_pct = event.suggested_target_pct
    initiative.recommended = event.recommended
    initiative.proposed_at = event.proposed_at
    session.add(initiative)


async def record_initiative_approved(*, session: AsyncSession, event: InitiativeApproved) -> None:
    """The approved initiative's answers: owner, KPI, baseline window, target, its plan."""
    key = (event.clinic_id, event.initiative_id)
    initiative = await session.get(PortalInitiative, key) or PortalInitiative(
        id=event.initiative_id, clinic_id=event.clinic_id, problem=event.problem
    )
    initiative.status = "approved"
    initiative.problem = event.problem or initiative.problem
    initiative.kpi = event.kpi
    initiative.owner = event.owner
    initiative.target_change_pct = event.target_change_pct
    initiative.baseline_start = event.baseline_start
    initiative.baseline_end = event.baseline_end
    initiative.pilot_group_size = len(event.pilot_group)
    initiative.plan_id = event.plan_id
    initiative.approved_at = event.approved_at
    session.add(initiative)


async def record_phase_change(*, session: AsyncSession, event: PlanPhaseChanged) -> None:
    """A plan's timeline gains a row; its current phase is the latest change's."""
    await session.merge(
        PortalPlanTransition(
            clinic_id=event.clinic_id,
            plan_id=event.plan_id,
            phase=event.phase,
            changed_at=event.changed_at,
            previous_phase=event.previous_phase,
            reason=event.reason[:1000],
        )
    )
    plan = await session.get(PortalPlan, (event.clinic_id, event.plan_id))
    if plan is None:
        plan = PortalPlan(
            id=event.plan_id,
            clinic_id=event.clinic_id,
            initiative_id=event.initiative_id,
            phase=event.phase,
            phase_since=event.changed_at,
            started_at=event.changed_at,
            phase_planned_days=event.planned_days,
        )
    else:
        plan.started_at = min(aware(plan.started_at), event.changed_at)
        if event.changed_at >= aware(plan.phase_since):
            plan.phase = event.phase
            plan.phase_since = event.changed_at
            plan.phase_planned_days = event.planned_days
    session.add(plan)
    if event.phase in ("done", "stopped"):
        initiative = await session.get(PortalInitiative, (event.clinic_id, event.initiative_id))
        if initiative is not None:
            initiative.status = event.phase
            session.add(initiative)


async def record_notice(*, session: AsyncSession, event: PlanNoticeRaised) -> None:
    """A notice, keyed by the plan's deterministic key: raised twice, it is one row (mailed once)."""
    if await session.get(PortalNotice, (event.clinic_id, event.plan_id, event.key)) is not None:
        return
    session.add(
        PortalNotice(
            plan_id=event.plan_id,
            key=event.key,
            clinic_id=event.clinic_id,
            initiative_id=event.initiative_id,
            kind=event.kind,
            urgent=event.urgent,
            phase=event.phase,
            message=event.message,
            due_at=event.due_at,
            raised_at=event.raised_at,
        )
    )


async def record_snapshot(*, session: AsyncSession, event: KpiSnapshot, received_at: datetime) -> None:
    """One KPI week; a re-sent week (late events recounted) replaces the earlier figure."""
    await session.merge(
        PortalKpiWeek(
            clinic_id=event.clinic_id,
            kpi=event.kpi,
            week=event.week,
            initiative_id=event.initiative_id,
            value=event.value,
            baseline=event.baseline,
            target=event.target,
            progress=event.progress,
            sample_size=event.sample_size,
            received_at=received_at,
        )
    )
    await session.flush()  # the series is read back from the weeks, beside the ORM
    await refresh_series(session=session, pairs={(event.clinic_id, event.kpi)})


async def record_snapshots(
    *, session: AsyncSession, events: list[KpiSnapshot], received_at: datetime
) -> None:
    """Many KPI weeks in one statement (an upsert): the batch path of record_snapshot."""
    rows = {
        (event.clinic_id, event.kpi, event.week): {
            "clinic_id": event.clinic_id,
            "kpi": event.kpi,
            "week": event.week,
            "initiative_id": event.initiative_id,
            "value": event.value,
            "baseline": event.baseline,
            "target": event.target,
            "progress": event.progress,
            "sample_size": event.sample_size,
            "received_at": received_at,
        }
        for event in events  # a week sent twice in one batch: the later one wins
    }
    if not rows:
        return
    statement = _upsert_statement(session)(PortalKpiWeek).values(list(rows.values()))
    updated = {
        name: statement.excluded[name]
        for name in ("initiative_id", "value", "baseline", "target", "progress", "sample_size", "received_at")
    }
    await session.exec(
        statement.on_conflict_do_update(index_elements=["clinic_id", "kpi", "week"], set_=updated)
    )
    await refresh_series(session=session, pairs={(clinic_id, kpi) for clinic_id, kpi, _week in rows})


def _upsert_statement(session: AsyncSession) -> Any:
    """INSERT ... ON CONFLICT for the session's database (SQLite by default, PostgreSQL by URL)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return postgresql_insert if dialect == "postgresql" else sqlite_insert


async def refresh_series(*, session: AsyncSession, pairs: set[tuple[UUID, str]]) -> None:
    """Rewrite the recent weeks of these clinic KPIs from their weeks (one query for all of them)."""
    if not pairs:
        return
    newest = (
        sa_select(
            col(PortalKpiWeek.clinic_id),
            col(PortalKpiWeek.kpi),
            col(PortalKpiWeek.week),
            col(PortalKpiWeek.value),
            col(PortalKpiWeek.sample_size),
            col(PortalKpiWeek.baseline),
            col(PortalKpiWeek.target),
            col(PortalKpiWeek.progress),
            func.row_number()
            .over(
                partition_by=(col(PortalKpiWeek.clinic_id), col(PortalKpiWeek.kpi)),
                order_by=col(PortalKpiWeek.week).desc(),
            )
            .label("age"),
        )
        .where(
            col(PortalKpiWeek.clinic_id).in_({clinic_id for clinic_id, _ in pairs}),
            col(PortalKpiWeek.kpi).in_({kpi for _, kpi in pairs}),
        )
        .subquery()
    )
    recent: dict[tuple[UUID, str], list[list[Any]]] = {pair: [] for pair in pairs}
    connection = await session.connection()
    rows = await connection.execute(
        sa_select(newest).where(newest.c.age <= SERIES_WEEKS).order_by(newest.c.week)
    )
    for clinic_id, kpi, week, value, sample, baseline, target, progress, _age in rows:
        if (clinic_id, kpi) in recent:
            recent[(clinic_id, kpi)].append([week, value, sample, baseline, target, progress])
    series = [
        {"clinic_id": clinic_id, "kpi": kpi, "recent": weeks, **latest_columns(weeks)}
        for (clinic_id, kpi), weeks in recent.items()
    ]
    kept = ("recent", *LATEST_COLUMNS)
    # PostgreSQL's driver binds at most 32,767 parameters a statement: nine a row, so in chunks.
    for start in range(0, len(series), SERIES_ROWS_A_STATEMENT):
        statement = _upsert_statement(session)(PortalKpiSeries).values(
            series[start : start + SERIES_ROWS_A_STATEMENT]
        )
        await session.exec(
            statement.on_conflict_do_update(
                index_elements=["clinic_id", "kpi"], set_={name: statement.excluded[name] for name in kept}
            )
        )


SERIES_ROWS_A_STATEMENT = 2_000


# PortalKpiSeries' columns of the newest week with a value, in the order of a point in `recent`.
LATEST_COLUMNS = (
    "latest_week",
    "latest_value",
    "latest_sample",
    "latest_baseline",
    "latest_target",
    "latest_progress",
)


def latest_columns(weeks: list[list[Any]]) -> dict[str, Any]:
    """The newest week with a value of a series (oldest first), as PortalKpiSeries' latest columns."""
    latest = next((week for week in reversed(weeks) if week[1] is not None), None)
    if latest is None:
        return dict.fromkeys(LATEST_COLUMNS) | {"latest_sample": 0}
    return dict(zip(LATEST_COLUMNS, latest, strict=True)) | {"latest_sample": latest[2] or 0}


async def record_alert(*, session: AsyncSession, event: KpiAlert) -> None:
    """An alert with its evidence, once per alert id."""
    evidence: dict[str, Any] = dict(event.evidence)
    await session.merge(
        PortalAlert(
            id=event.alert_id,
            clinic_id=event.clinic_id,
            initiative_id=event.initiative_id,
            kind=event.kind,
            kpi=event.kpi,
            week=event.week,
            message=event.message[:2000],
            evidence=evidence,
            raised_at=event.raised_at,
        )
    )
