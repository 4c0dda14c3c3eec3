"""Weekly snapshots and alerts: each completed ISO week judged against baseline and target.

Runs any number of times, on every instance: a week's snapshot goes out once (its record is the
guard), and an alert's id is derived from what it is about, so nothing is raised twice.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi import alert_rules, kpis
from services.kpi.alert_rules import AlertFinding
from services.kpi.clinic_watch import (
    SOURCE,
    clinics_with_recent_data,
    load_feed_window,
    raise_alert,
    watch_clinic,
)
from services.kpi.clinics import (
    clinic_calendar,
    clinics_with_active_initiatives,
    officer_clinic,
    record_initiative,
    target_of,
)
from services.kpi.models import (
    AlertPublic,
    KpiAlertRecord,
    KpiInitiative,
    KpiPartner,
    KpiPartnerClinic,
    KpiSnapshotRecord,
)
from services.kpi.series import load_days
from shared import clock, leases
from shared.db import SessionFactory
from shared.events.kpi import Feed, KpiSnapshot
from shared.events.roadmap import InitiativeApproved
from shared.outbox import add_to_outbox

log = logging.getLogger(__name__)

# Every snapshot says how much of the pilot group used the tool that week (adoption, for the close-out).
ADOPTION = kpis.definition("ai_adoption_rate")
# How many past weeks one evaluation may catch up on (snapshots missed while the service was down):
# a baseline of up to 26 weeks is sent whole once it is over.
CATCH_UP_WEEKS = 26
# A plan recorded after its pilot began (a baseline of up to 26 weeks, then the pilot so far): every
# complete week from the baseline's start is sent at once, up to this many.
PAST_PLAN_WEEKS = 2 * CATCH_UP_WEEKS


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


async def evaluate_initiative(
    *,
    session: AsyncSession,
    initiative: KpiInitiative,
    as_of: date,
    feed_window: dict[date, kpis.PeriodData],
    catch_up_weeks: int = CATCH_UP_WEEKS,
) -> Evaluation:
    """Send the weekly snapshots not sent yet and raise the alerts now due (the caller commits).

    Runs any number of times: a week's snapshot goes out once (its record is the guard), again only
    when late events changed it (the plan keeps the latest of a week), and an alert id is derived
    from what it is about, so the same alert is never raised twice.
    """
    result = Evaluation()
    after_baseline = initiative.baseline_end + timedelta(days=1)
    weeks = complete_weeks(first_day=after_baseline, as_of=as_of)
    # Once the baseline window is over, its own weeks are snapshotted too: charts show the level
    # before the pilot, and a baseline taken from the feed's past weeks reaches the plan at once.
    baseline_over = initiative.baseline_end < as_of
    snapshot_weeks = (
        complete_weeks(first_day=initiative.baseline_start, as_of=as_of) if baseline_over else weeks
    )
    definition = kpis.definition(initiative.kpi)
    # A KPI counted by send or submission date is final only once its lag has passed; its weeks
    # wait for it, so each snapshot (sent once) holds the week's final value.
    snapshot_weeks = kpis.final_weeks(definition, snapshot_weeks, as_of=as_of)[-catch_up_weeks:]
    weekly: dict[str, kpis.PeriodData] = {}
    if weeks or snapshot_weeks:
        last_day = kpis.week_start((weeks or snapshot_weeks)[-1]) + timedelta(days=6)
        if baseline_over:
            last_day = max(last_day, initiative.baseline_end)
        days = await load_days(
            session=session,
            clinic_id=initiative.clinic_id,
            start=initiative.baseline_start,
            end=last_day,
            # Each clinician's notes: the snapshot's per-clinician sums, and the stopped-clinicians
            # rule's way to tell a week away (no notes signed) from a week without the tool.
            clinician_notes=True,
        )
        weekly = kpis.group_periods(
            {day: data for day, data in days.items() if day >= after_baseline}, "week"
        )
        result.snapshots = await _send_snapshots(
            session, initiative, days=days, weekly=weekly, pilot_weeks=weeks, snapshot_weeks=snapshot_weeks
        )

    for finding in await alert_findings(
        session=session,
        initiative=initiative,
        weekly=weekly,
        weeks=weeks,
        feed_window=feed_window,
        as_of=as_of,
    ):
        alert = await raise_alert(
            session,
            clinic_id=initiative.clinic_id,
            initiative_id=initiative.id,
            kpi=initiative.kpi,
            finding=finding,
            owner_id=initiative.id,
        )
        if alert is not None:
            result.alerts.append(alert)
    return result


async def _send_snapshots(
    session: AsyncSession,
    initiative: KpiInitiative,
    *,
    days: dict[date, kpis.PeriodData],
    weekly: dict[str, kpis.PeriodData],
    pilot_weeks: list[str],
    snapshot_weeks: list[str],
) -> list[str]:
    """Stage the snapshots of `snapshot_weeks` not sent yet; a week after the baseline counts from
    the day after it, a baseline week from its own days.

    Each carries the sums behind its value and, for KPIs whose events name staff, each clinician's
    sums with their pilot-group membership: the gate judges weeks and clinicians from them.
    """
    definition = kpis.definition(initiative.kpi)
    if definition.kind == "audit":
        return []  # measured by a short time audit: no week of partner data to send
    pilot_group = initiative.pilot_group
    baseline = kpis.baseline_value(
        definition,
        days,
        start=initiative.baseline_start,
        end=initiative.baseline_end,
        pilot_group=pilot_group,
    ).value
    target = target_of(initiative, baseline)
    baseline_weekly = kpis.group_periods(days, "week")
    sent = {
        record.week: record
        for record in (
            await session.exec(
                select(KpiSnapshotRecord).where(KpiSnapshotRecord.initiative_id == initiative.id)
            )
        ).all()
    }
    staged = []
    for week in snapshot_weeks:
        baseline_week = week not in pilot_weeks
        data = (baseline_weekly if baseline_week else weekly).get(week, kpis.PeriodData())
        value = kpis.compute_kpi(definition, data, pilot_group=pilot_group)
        if value.value is None and baseline_week:
            continue  # a baseline week the feed has not delivered yet: sent once it has
        week_progress = kpis.progress(value.value, baseline=baseline, target=target)
        counts = kpis.week_counts(definition, data)
        earlier = sent.get(week)
        if earlier is not None and (earlier.sample_size, earlier.value) == (value.sample_size, value.value):
            continue  # sent already, and no late event has changed it since
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
            counts=counts,
            clinicians=kpis.clinician_weeks(definition, data, pilot_group=pilot_group),
            baseline_week=baseline_week,
            pilot_adoption=kpis.compute_kpi(ADOPTION, data, pilot_group=pilot_group).value,
        )
        add_to_outbox(session, snapshot, source=SOURCE, subject=str(initiative.clinic_id))
        record = earlier or KpiSnapshotRecord(
            initiative_id=initiative.id, week=week, clinic_id=initiative.clinic_id, kpi=definition.name
        )
        record.value, record.baseline, record.target = value.value, baseline, target
        record.progress, record.sample_size = week_progress, value.sample_size
        record.events, record.total = (counts.events, counts.total) if counts else (None, None)
        record.baseline_week, record.sent_at = baseline_week, clock.now()
        session.add(record)
        staged.append(f"{initiative.id}/{week}")
    return staged


async def record_initiative_and_past_baseline(
    *, session: AsyncSession, event: InitiativeApproved, pseudonym_secret: str
) -> None:
    """Remember the approved initiative; weeks of the feed's past it covers are sent at once.

    A baseline taken from the feed's last weeks, or a plan whose pilot began weeks ago (its
    baseline the whole weeks before the pilot's start): every complete week from the baseline's
    start up to last week, baseline and pilot alike, so the gate can judge at once.
    """
    initiative = await record_initiative(session=session, event=event, pseudonym_secret=pseudonym_secret)
    today = (await clinic_calendar(session, initiative.clinic_id)).today()
    if initiative.baseline_end < today:
        feed_window = await load_feed_window(session=session, clinic_id=initiative.clinic_id, as_of=today)
        await evaluate_initiative(
            session=session,
            initiative=initiative,
            as_of=today,
            feed_window=feed_window,
            catch_up_weeks=PAST_PLAN_WEEKS,
        )


async def alert_findings(
    *,
    session: AsyncSession,
    initiative: KpiInitiative,
    weekly: dict[str, kpis.PeriodData],
    weeks: list[str],
    feed_window: dict[date, kpis.PeriodData],
    as_of: date,
) -> list[AlertFinding]:
    """The alerts the initiative's weeks call for; a stale feed holds back the alerts it feeds.

    A feed that goes quiet is flagged from the approval on: the baseline needs it too.
    """
    calendar = await clinic_calendar(session, initiative.clinic_id)
    statuses = alert_rules.feed_statuses(feed_window, today=as_of, calendar=calendar)
    stale = {feed for feed, status in statuses.items() if status.stale}
    findings: list[AlertFinding | None] = []
    findings += alert_rules.stale_feed_findings(
        statuses, today=as_of, partner_names=await feed_partner_names(session, initiative.clinic_id)
    )
    if not weeks:  # the charts watch the weeks after the baseline
        return [finding for finding in findings if finding is not None]
    pilot_start = initiative.pilot_started_on or initiative.baseline_end + timedelta(days=1)
    pilot_weeks = [week for week in weeks if kpis.week_start(week) + timedelta(days=6) >= pilot_start]
    definition = kpis.definition(initiative.kpi)
    if alert_rules.KPI_FEEDS.get(definition.name) not in stale:
        findings.append(alert_rules.kpi_regression(definition, weekly, pilot_weeks, today=as_of))
    if "ai_tool" not in stale:
        findings.append(
            alert_rules.dormant_clinicians(
                weekly, pilot_weeks, pilot_group=initiative.pilot_group, days=feed_window, today=as_of
            )
        )
    return [finding for finding in findings if finding is not None]


async def feed_partner_names(session: AsyncSession, clinic_id: UUID) -> dict[Feed, list[str]]:
    """The clinic's partners by the feeds their kind sends, so a stale-feed alert names whom to call."""
    rows = await session.exec(
        select(KpiPartner.name, KpiPartner.kind)
        .join(
            KpiPartnerClinic,
            (col(KpiPartnerClinic.officer_id) == col(KpiPartner.officer_id))
            & (col(KpiPartnerClinic.partner_id) == col(KpiPartner.id)),
        )
        .where(KpiPartnerClinic.clinic_id == clinic_id)
        .order_by(col(KpiPartner.name))
    )
    partners = rows.all()
    return {
        feed: [name for name, kind in partners if kind in kinds]
        for feed, kinds in alert_rules.FEED_PARTNER_KINDS.items()
    }


async def evaluate_clinic(*, session: AsyncSession, clinic_id: UUID, as_of: date | None = None) -> Evaluation:
    """Evaluate the clinic's active initiatives, watch the clinic itself, and commit what went out.

    As of the clinic's own today unless told otherwise: its weeks end on its local Sunday.
    """
    as_of = as_of or (await clinic_calendar(session, clinic_id)).today()
    total = Evaluation()
    rows = await session.exec(
        select(KpiInitiative)
        .where(KpiInitiative.clinic_id == clinic_id, col(KpiInitiative.active).is_(True))
        .order_by(col(KpiInitiative.approved_at))
    )
    initiatives = list(rows.all())
    # The feeds' last weeks are read once for the clinic: its initiatives' alerts and its own watch.
    feed_window = await load_feed_window(session=session, clinic_id=clinic_id, as_of=as_of)
    for initiative in initiatives:
        result = await evaluate_initiative(
            session=session, initiative=initiative, as_of=as_of, feed_window=feed_window
        )
        total.snapshots += result.snapshots
        total.alerts += result.alerts
    total.alerts += await watch_clinic(
        session=session,
        clinic_id=clinic_id,
        initiative=initiatives[-1] if initiatives else None,
        feed_window=feed_window,
        as_of=as_of,
    )
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


async def evaluate_due(sessions: SessionFactory) -> None:
    """Every clinic's due weekly snapshots and alerts (each clinic in its own transaction)."""
    today = clock.today()
    async with sessions() as session:
        clinic_ids = set(await clinics_with_active_initiatives(session=session))
        clinic_ids |= set(await clinics_with_recent_data(session=session, as_of=today))
    for clinic_id in sorted(clinic_ids):
        async with sessions() as session:
            await evaluate_clinic(session=session, clinic_id=clinic_id)


async def evaluate_periodically(sessions: SessionFactory, interval_seconds: float) -> None:
    """Weekly snapshots and alerts without a scheduler: look every interval for what is due.

    Once per interval across every replica (a lease, shared/leases.py). Each week's snapshot and
    each alert is recorded when staged, so a restart never sends anything twice either.
    """
    await leases.every_period(sessions, "kpi.evaluation", interval_seconds, lambda: evaluate_due(sessions))
