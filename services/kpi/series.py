"""What an officer reads: a clinic's KPI series by day or ISO week, against baseline and target."""

from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi import kpis
from services.kpi.clinics import active_initiative, officer_clinic, target_of
from services.kpi.models import (
    ClinicKpis,
    InitiativePublic,
    KpiDailyClinicianNotes,
    KpiDailyCounter,
    KpiDailyStaff,
    KpiInitiative,
    KpiPoint,
    KpiSeries,
)


async def load_days(
    *,
    session: AsyncSession,
    clinic_id: UUID,
    start: date,
    end: date,
    counters: Sequence[str] = (),
    clinician_notes: bool = False,
) -> dict[date, kpis.PeriodData]:
    """The clinic's per-day aggregates between two dates (inclusive); only `counters` if named, and
    the notes per clinician only when asked (the snapshots of KPIs whose events name staff)."""
    counter_query = select(
        col(KpiDailyCounter.day), col(KpiDailyCounter.name), col(KpiDailyCounter.value)
    ).where(
        KpiDailyCounter.clinic_id == clinic_id,
        col(KpiDailyCounter.day) >= start,
        col(KpiDailyCounter.day) <= end,
    )
    if counters:
        counter_query = counter_query.where(col(KpiDailyCounter.name).in_(counters))
    counter_rows = await session.exec(counter_query)
    staff_rows = await session.exec(
        select(col(KpiDailyStaff.day), col(KpiDailyStaff.staff_id), col(KpiDailyStaff.minutes)).where(
            KpiDailyStaff.clinic_id == clinic_id,
            col(KpiDailyStaff.day) >= start,
            col(KpiDailyStaff.day) <= end,
        )
    )
    note_rows: list[tuple[date, str, float, float, float]] = []
    if clinician_notes:
        notes = await session.exec(
            select(KpiDailyClinicianNotes).where(
                KpiDailyClinicianNotes.clinic_id == clinic_id,
                col(KpiDailyClinicianNotes.day) >= start,
                col(KpiDailyClinicianNotes.day) <= end,
            )
        )
        note_rows = [(row.day, row.staff_id, row.notes, row.minutes, row.ai_assisted) for row in notes.all()]
    return kpis.merge_days(counter_rows.all(), staff_rows.all(), note_rows)


async def clinic_kpis(
    *,
    session: AsyncSession,
    officer_id: str,
    clinic_id: UUID,
    granularity: kpis.Granularity,
    start: date,
    end: date,
    names: Sequence[str] = (),
) -> ClinicKpis:
    """KPI series for one of the officer's clinics, each period with a value or an explicit no data."""
    await officer_clinic(session=session, officer_id=officer_id, clinic_id=clinic_id)
    initiative = await active_initiative(session=session, clinic_id=clinic_id)
    load_start = min(start, initiative.baseline_start) if initiative else start
    days = await load_days(session=session, clinic_id=clinic_id, start=load_start, end=end)
    in_range = {day: data for day, data in days.items() if start <= day <= end}
    periods = kpis.group_periods(in_range, granularity)
    labels = kpis.periods_between(start, end, granularity)
    # Days of each period inside the range (a week cut by the range is shorter): counts are a pace.
    days_in = Counter(
        kpis.period_of(start + timedelta(days=n), granularity) for n in range((end - start).days + 1)
    )
    pilot_group = initiative.pilot_group if initiative else []
    series = []
    for definition in kpis.definitions():
        if names and definition.name not in names:
            continue
        baseline = target = None
        if initiative is not None and initiative.kpi == definition.name:
            baseline = kpis.baseline_value(
                definition,
                days,
                start=initiative.baseline_start,
                end=initiative.baseline_end,
                pilot_group=pilot_group,
            ).value
            target = target_of(initiative, baseline)
        points = []
        for label in labels:
            value = kpis.compute_kpi(
                definition,
                periods.get(label, kpis.PeriodData()),
                pilot_group=pilot_group,
                period_days=days_in[label],
            )
            points.append(
                KpiPoint(
                    period=label,
                    value=value.value,
                    sample_size=value.sample_size,
                    no_data=value.no_data,
                    progress=kpis.progress(value.value, baseline=baseline, target=target),
                )
            )
        series.append(
            KpiSeries(
                name=definition.name,
                title=definition.title,
                unit=definition.unit,
                better=definition.better,
                baseline=baseline,
                target=target,
                points=points,
            )
        )
    return ClinicKpis(
        clinic_id=clinic_id,
        granularity=granularity,
        start=start,
        end=end,
        initiative=initiative_public(initiative),
        kpis=series,
    )


def initiative_public(initiative: KpiInitiative | None) -> InitiativePublic | None:
    if initiative is None:
        return None
    return InitiativePublic(
        id=initiative.id,
        kpi=initiative.kpi,
        baseline_start=initiative.baseline_start,
        baseline_end=initiative.baseline_end,
        target_change_pct=initiative.target_change_pct,
        target_problem=initiative.target_problem,
        pilot_group_size=len(initiative.pilot_group),
        active=initiative.active,
    )
