"""Weekly snapshots and alerts: each completed ISO week judged against baseline and target.

Runs any number of times, on every instance: a week's snapshot goes out once (its record is the
guard), and an alert's id is derived from what it is about, so nothing is raised twice.
"""

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi import kpis
from services.kpi.clinics import clinics_with_active_initiatives, officer_clinic
from services.kpi.models import AlertPublic, KpiAlertRecord, KpiInitiative, KpiSnapshotRecord
from services.kpi.series import load_days
from shared.db import SessionFactory
from shared.events.kpi import KpiAlert, KpiSnapshot
from shared.outbox import add_to_outbox

log = logging.getLogger(__name__)

# How many past weeks one evaluation may catch up on (snapshots missed while the service was down).
CATCH_UP_WEEKS = 12
SOURCE = "/faio/kpi"


def complete_weeks(*, first_day: date, as_of: date) -> list[str]:
    """ISO weeks from the one holding `first_day` up to the last one that ended before `as_of`."""
    this_week_start = as_of - timedelta(days=as_of.isoweekday() - 1)
    last_complete_end = this_week_start - timedelta(days=1)
    if last_complete_end < first_day:
        return []
    return kpis.periods_between(first_day, last_complete_end, "week")


@dataclass
class Evaluation:
    snapshots: list[str] = field(default_factory=list)
    alerts: list[KpiAlertRecord] = field(default_factory=list)


async def evaluate_initiative(*, session: AsyncSession, initiative: KpiInitiative, as_of: date) -> Evaluation:
    """Send the weekly snapshots not sent yet and raise the alerts now due (the caller commits).

    Runs any number of times: a week's snapshot goes out once (its record is the guard), and an
    alert id is derived from what it is about, so the same alert is never raised twice.
    """
    result = Evaluation()
    definition = kpis.definition(initiative.kpi)
    after_baseline = initiative.baseline_end + timedelta(days=1)
    weeks = complete_weeks(first_day=after_baseline, as_of=as_of)
    if not weeks:
        return result
    last_day = kpis.week_start(weeks[-1]) + timedelta(days=6)
    days = await load_days(
        session=session, clinic_id=initiative.clinic_id, start=initiative.baseline_start, end=last_day
    )
    weekly = kpis.group_periods({day: data for day, data in days.items() if day >= after_baseline}, "week")
    pilot_group = initiative.pilot_group
    baseline = kpis.baseline_value(
        definition,
        days,
        start=initiative.baseline_start,
        end=initiative.baseline_end,
        pilot_group=pilot_group,
    ).value
    target = kpis.target_value(baseline, initiative.target_change_pct)

    progress_series: list[tuple[str, float | None]] = []
    sent = set(
        (
            await session.exec(
                select(KpiSnapshotRecord.week).where(KpiSnapshotRecord.initiative_id == initiative.id)
            )
        ).all()
    )
    for week in weeks:
        value = kpis.compute_kpi(definition, weekly.get(week, kpis.PeriodData()), pilot_group=pilot_group)
        week_progress = kpis.progress(value.value, baseline=baseline, target=target)
        progress_series.append((week, week_progress))
        if week in sent or week not in weeks[-CATCH_UP_WEEKS:]:
            continue
        snapshot = KpiSnapshot(
            clinic_id=initiative.clinic_id,
            initiative_id=initiative.id,
            kpi=definition.name,
            week=week,
            value=value.value,
            baseline=baseline,
            target=target,
            progress=week_progress,
            sample_size=value.sample_size,
        )
        add_to_outbox(session, snapshot, source=SOURCE, subject=str(initiative.clinic_id))
        session.add(
            KpiSnapshotRecord(
                initiative_id=initiative.id,
                week=week,
                clinic_id=initiative.clinic_id,
                kpi=definition.name,
                value=value.value,
                baseline=baseline,
                target=target,
                progress=week_progress,
                sample_size=value.sample_size,
            )
        )
        result.snapshots.append(f"{initiative.id}/{week}")

    findings: list[tuple[str, str, str, kpis.Finding]] = []
    regression = kpis.detect_target_regression(progress_series, kpi=definition.name)
    if regression is not None:
        findings.append(("target_regression", definition.name, definition.name, regression))

    pilot_start = initiative.pilot_started_on or after_baseline
    pilot_weeks = [week for week in weeks if kpis.week_start(week) + timedelta(days=6) >= pilot_start]
    staff_kpi = kpis.definition("ai_weekly_active_staff")
    active_staff = [
        (week, kpis.compute_kpi(staff_kpi, weekly.get(week, kpis.PeriodData())).value) for week in pilot_weeks
    ]
    minutes = [(week, weekly[week].counters["ai_minutes"] if week in weekly else 0.0) for week in pilot_weeks]
    if any(value for _, value in active_staff):
        for metric, series in (("ai_weekly_active_staff", active_staff), ("ai_usage_minutes", minutes)):
            decline = kpis.detect_adoption_decline(series, metric=metric)
            if decline is not None:
                findings.append(("adoption_decline", "ai_weekly_active_staff", metric, decline))

    for kind, kpi_name, metric, finding in findings:
        alert = await _raise_alert(
            session=session, initiative=initiative, kind=kind, kpi=kpi_name, metric=metric, finding=finding
        )
        if alert is not None:
            result.alerts.append(alert)
    return result


def alert_id(*, initiative_id: UUID, kind: str, metric: str, week: str) -> UUID:
    return uuid.uuid5(initiative_id, f"{kind}/{metric}/{week}")


async def _raise_alert(
    *,
    session: AsyncSession,
    initiative: KpiInitiative,
    kind: str,
    kpi: str,
    metric: str,
    finding: kpis.Finding,
) -> KpiAlertRecord | None:
    """Stage the alert unless it, or the same alert for the week before, was already raised.

    A decline that persists is one episode: the officer hears about it once, not every week.
    """
    this_id = alert_id(initiative_id=initiative.id, kind=kind, metric=metric, week=finding.week)
    previous_week = kpis.iso_week(kpis.week_start(finding.week) - timedelta(days=7))
    previous_id = alert_id(initiative_id=initiative.id, kind=kind, metric=metric, week=previous_week)
    if await session.get(KpiAlertRecord, this_id) or await session.get(KpiAlertRecord, previous_id):
        return None
    raised_at = datetime.now(UTC)
    record = KpiAlertRecord(
        id=this_id,
        clinic_id=initiative.clinic_id,
        initiative_id=initiative.id,
        kind=kind,
        kpi=kpi,
        metric=metric,
        week=finding.week,
        message=finding.message,
        evidence=finding.evidence,
        raised_at=raised_at,
    )
    session.add(record)
    add_to_outbox(
        session,
        KpiAlert(
            clinic_id=initiative.clinic_id,
            initiative_id=initiative.id,
            alert_id=this_id,
            kind=kind,
            kpi=kpi,
            week=finding.week,
            message=finding.message,
            evidence=finding.evidence,
            raised_at=raised_at,
        ),
        source=SOURCE,
        subject=str(initiative.clinic_id),
    )
    return record


async def evaluate_clinic(*, session: AsyncSession, clinic_id: UUID, as_of: date) -> Evaluation:
    """Evaluate the clinic's active initiatives and commit what went out."""
    total = Evaluation()
    rows = await session.exec(
        select(KpiInitiative).where(KpiInitiative.clinic_id == clinic_id, col(KpiInitiative.active).is_(True))
    )
    for initiative in rows.all():
        result = await evaluate_initiative(session=session, initiative=initiative, as_of=as_of)
        total.snapshots += result.snapshots
        total.alerts += result.alerts
    await session.commit()
    return total


def evaluation_report(evaluation: Evaluation) -> dict[str, Any]:
    return {
        "snapshots": evaluation.snapshots,
        "alerts": [alert_public(alert) for alert in evaluation.alerts],
    }


async def list_alerts(*, session: AsyncSession, officer_id: str, clinic_id: UUID) -> list[AlertPublic]:
    await officer_clinic(session=session, officer_id=officer_id, clinic_id=clinic_id)
    rows = await session.exec(
        select(KpiAlertRecord)
        .where(KpiAlertRecord.clinic_id == clinic_id)
        .order_by(col(KpiAlertRecord.raised_at))
    )
    return [alert_public(row) for row in rows.all()]


def alert_public(row: KpiAlertRecord) -> AlertPublic:
    return AlertPublic(
        id=row.id,
        initiative_id=row.initiative_id,
        kind=row.kind,
        kpi=row.kpi,
        metric=row.metric,
        week=row.week,
        message=row.message,
        evidence=row.evidence,
        raised_at=row.raised_at,
    )


async def evaluate_periodically(sessions: SessionFactory, interval_seconds: float) -> None:
    """Weekly snapshots and alerts without a scheduler: look every interval for what is due.

    Each week's snapshot and each alert is recorded when staged, so running this on every
    instance, or after a restart, never sends anything twice.
    """
    while True:
        try:
            async with sessions() as session:
                clinic_ids = await clinics_with_active_initiatives(session=session)
            for clinic_id in clinic_ids:
                async with sessions() as session:
                    await evaluate_clinic(
                        session=session, clinic_id=clinic_id, as_of=datetime.now(UTC).date()
                    )
        except Exception:
            log.warning("KPI evaluation failed; retrying next interval", exc_info=True)
        await asyncio.sleep(interval_seconds)
