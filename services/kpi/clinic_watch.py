"""Watching a clinic as a whole, with or without an initiative: its partner feeds and its AI use.

Each evaluation publishes the clinic's activity (kpi.clinic.activity.v1: each feed's last event and
whether it went quiet, AI use week by week) when it changed, and judges the AI-assisted share of
notes over every week the clinic has used its scribe, not only a pilot's weeks: a practice that
bought a scribe before its officer arrived is watched too, and a short pilot is judged against the
weeks of use before it. Without an initiative (whose evaluation watches its pilot group), it also
counts the clinicians who stopped using the scribe.
"""

import hashlib
import uuid
from datetime import date, timedelta
from uuid import UUID

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi import alert_rules, kpis
from services.kpi.alert_rules import AlertFinding
from services.kpi.clinics import clinic_calendar
from services.kpi.control_charts import MAX_LOOK_BACK_DAYS, FeedStatus
from services.kpi.models import (
    KpiAlertRecord,
    KpiClinic,
    KpiClinicActivityRecord,
    KpiDailyCounter,
    KpiInitiative,
)
from services.kpi.series import load_days
from shared import clock
from shared.events.kpi import AdoptionWeek, ClinicActivity, Feed, FeedHealth, KpiAlert
from shared.outbox import add_to_outbox

SOURCE = "/faio/kpi"
# Weeks of AI use a chart may read: its ramp-up, up to 19 reference weeks and the 3 under test.
ADOPTION_HISTORY_WEEKS = 26
# Complete weeks of AI use the activity event carries (the portal's adoption trend reads four).
ACTIVITY_WEEKS = 8
# Days of partner events a feed's status reads: its quiet open days and the four weeks before them.
FEED_HISTORY_DAYS = MAX_LOOK_BACK_DAYS
ADOPTION_COUNTERS = ("notes_signed", "notes_ai_assisted")


async def clinics_with_recent_data(*, session: AsyncSession, as_of: date) -> list[UUID]:
    """Clinics that had partner data in the feed window, or whose activity was published before
    (so a feed that stopped for good is still reported as it ages)."""
    since = as_of - timedelta(days=FEED_HISTORY_DAYS)
    # One probe of the counters' primary key (clinic, day, ...) per known clinic, not a scan of
    # every clinic's recent days.
    has_recent_days = (
        select(KpiDailyCounter.clinic_id)
        .where(KpiDailyCounter.clinic_id == KpiClinic.id, col(KpiDailyCounter.day) >= since)
        .exists()
    )
    recent = await session.exec(select(KpiClinic.id).where(has_recent_days))
    published = await session.exec(select(KpiClinicActivityRecord.clinic_id))
    return sorted(set(recent.all()) | set(published.all()))


async def load_feed_window(
    *, session: AsyncSession, clinic_id: UUID, as_of: date
) -> dict[date, kpis.PeriodData]:
    """The days a feed's status reads: the quiet days and the four weeks before them (not today)."""
    return await load_days(
        session=session,
        clinic_id=clinic_id,
        start=as_of - timedelta(days=FEED_HISTORY_DAYS),
        end=as_of - timedelta(days=1),
    )


async def watch_clinic(
    *,
    session: AsyncSession,
    clinic_id: UUID,
    initiative: KpiInitiative | None,
    feed_window: dict[date, kpis.PeriodData],
    as_of: date,
) -> list[KpiAlertRecord]:
    """Publish the clinic's activity if it changed and raise an AI-use decline if one is due."""
    calendar = await clinic_calendar(session, clinic_id)
    statuses = alert_rules.feed_statuses(feed_window, today=as_of, calendar=calendar)
    weeks = kpis.periods_between(
        as_of - timedelta(weeks=ADOPTION_HISTORY_WEEKS), as_of - timedelta(days=as_of.isoweekday()), "week"
    )
    weekly = kpis.group_periods(
        await load_days(
            session=session,
            clinic_id=clinic_id,
            start=kpis.week_start(weeks[0]),
            end=as_of - timedelta(days=1),
            counters=ADOPTION_COUNTERS,
            clinician_notes=True,  # the share chart counts the notes of the scribe's users
        ),
        "week",
    )
    feeds = await feed_health(session, clinic_id, statuses, feed_window, as_of=as_of)
    activity = ClinicActivity(
        clinic_id=clinic_id,
        as_of=as_of,
        last_event_day=max((feed.last_event_day for feed in feeds if feed.last_event_day), default=None),
        feeds=feeds,
        adoption=[adoption_week(week, weekly.get(week)) for week in weeks[-ACTIVITY_WEEKS:]],
    )
    await _publish_if_changed(session, activity)

    if statuses["notes"].stale:
        return []  # a quiet notes feed is a broken integration, not a fall in use (feed_stale says so)
    in_use = [week for week in weeks if weekly.get(week) and weekly[week].counters["notes_ai_assisted"] > 0]
    used_weeks = weeks[weeks.index(in_use[0]) :] if in_use else []
    findings = [alert_rules.ai_assisted_notes_decline(weekly, used_weeks, days=feed_window, today=as_of)]
    if initiative is None and not statuses["ai_tool"].stale:
        # The share chart watches how much the scribe's users use it; who stopped is the stopped-
        # clinicians rule's question, asked here of every clinician (an initiative asks it of its pilot).
        findings.append(
            alert_rules.dormant_clinicians(weekly, used_weeks, pilot_group=(), days=feed_window, today=as_of)
        )
    alerts = []
    for finding in findings:
        if finding is None:
            continue
        alert = await raise_alert(
            session,
            clinic_id=clinic_id,
            initiative_id=initiative.id if initiative else None,
            kpi=initiative.kpi if initiative else "ai_assisted_note_share",
            finding=finding,
        )
        if alert is not None:
            alerts.append(alert)
    return alerts


async def feed_health(
    session: AsyncSession,
    clinic_id: UUID,
    statuses: dict[Feed, FeedStatus],
    feed_window: dict[date, kpis.PeriodData],
    *,
    as_of: date,
) -> list[FeedHealth]:
    """Each feed the clinic ever had: its last event (today's included), last week's volume, its status."""
    rows = await session.exec(
        select(KpiDailyCounter.name, func.max(KpiDailyCounter.day))
        .where(KpiDailyCounter.clinic_id == clinic_id, col(KpiDailyCounter.day) <= as_of)
        .group_by(col(KpiDailyCounter.name))
    )
    last_by_counter = dict(rows.all())
    week_ago = as_of - timedelta(days=7)
    feeds = []
    for feed, counters in alert_rules.FEED_COUNTERS.items():
        last_days = [last_by_counter[name] for name in counters if name in last_by_counter]
        if not last_days:
            continue
        daily = alert_rules.feed_days(feed_window, feed)
        feeds.append(
            FeedHealth(
                feed=feed,
                last_event_day=max(last_days),
                events_last_7_days=sum(count for day, count in daily.items() if day >= week_ago),
                usual_events_per_day=round(statuses[feed].usual_events_per_day, 2),
                stale=statuses[feed].stale,
            )
        )
    return feeds


def adoption_week(week: str, data: kpis.PeriodData | None) -> AdoptionWeek:
    data = data or kpis.PeriodData()
    return AdoptionWeek(
        week=week,
        notes_signed=round(data.counters.get("notes_signed", 0.0)),
        notes_ai_assisted=round(data.counters.get("notes_ai_assisted", 0.0)),
        ai_active_staff=sum(1 for minutes in data.staff_minutes.values() if minutes > 0),
        clinicians=len(set(data.staff_minutes) | set(data.staff_notes)),
    )


async def _publish_if_changed(session: AsyncSession, activity: ClinicActivity) -> None:
    """Stage the activity unless the last one published said the same (its day aside)."""
    digest = hashlib.sha256(activity.model_dump_json(exclude={"as_of"}).encode()).hexdigest()
    record = await session.get(KpiClinicActivityRecord, activity.clinic_id)
    if record is not None and record.digest == digest:
        return
    record = record or KpiClinicActivityRecord(clinic_id=activity.clinic_id, digest=digest)
    record.digest, record.sent_at = digest, clock.now()
    session.add(record)
    add_to_outbox(session, activity, source=SOURCE, subject=str(activity.clinic_id))


def alert_id(*, owner_id: UUID, kind: str, metric: str, episode: str, week: str | None = None) -> UUID:
    """An alert's id from what it is about: the same episode never makes a second alert in a week.

    The episode's first week keeps the episode's own id; each later week it is still open has its
    own (`week`), so a decline that persists is raised again, once a week.
    """
    name = f"{kind}/{metric}/{episode}"
    return uuid.uuid5(owner_id, name if week is None or week == episode else f"{name}/{week}")


async def raise_alert(
    session: AsyncSession,
    *,
    clinic_id: UUID,
    initiative_id: UUID | None,
    kpi: str,
    finding: AlertFinding,
    owner_id: UUID | None = None,
) -> KpiAlertRecord | None:
    """Stage the alert unless this episode was already raised this week.

    A chart's episode is the week it first fired; while it stays open each week is raised again
    ("Still, week 2 of this decline"), so the roadmap can escalate a decline that outlasts a
    retraining, and a recovered one stops. A stale feed's episode is the day it last sent: raised
    once. The id comes from `owner_id` (the initiative an alert is about; the clinic for the
    clinic's own watch).
    """
    this_id = alert_id(
        owner_id=owner_id or clinic_id,
        kind=finding.kind,
        metric=finding.metric,
        episode=finding.episode,
        week=None if finding.kind == "feed_stale" else finding.week,
    )
    if await session.get(KpiAlertRecord, (clinic_id, this_id)):
        return None
    raised_at = clock.now()
    name = kpis.definition(kpi).name
    record = KpiAlertRecord(
        id=this_id,
        clinic_id=clinic_id,
        initiative_id=initiative_id,
        kind=finding.kind,
        kpi=name,
        metric=finding.metric,
        week=finding.week,
        message=finding.message,
        evidence=finding.evidence,
        raised_at=raised_at,
    )
    session.add(record)
    add_to_outbox(
        session,
        KpiAlert(
            clinic_id=clinic_id,
            initiative_id=initiative_id,
            alert_id=this_id,
            kind=finding.kind,
            kpi=name,
            week=finding.week,
            message=finding.message,
            evidence=finding.evidence,
            raised_at=raised_at,
        ),
        source=SOURCE,
        subject=str(clinic_id),
    )
    return record
