"""Which alerts a clinic's weeks call for: control charts on rates, clinicians who stopped, quiet feeds.

Pure: evaluation.py loads the weekly data, calls these and raises what they find. Each finding
says what changed, with the chart's rule, limits and points, and what the officer should do next.
A decline still open a week later is found again, as week 2 of the same episode: the roadmap
escalates an adoption decline that persists through a retraining.
A stale feed holds back the adoption alerts it feeds: a broken integration is not an adoption
collapse, and an adoption alert says the feed behind it is live, so a collapse is not explained
away as a broken feed.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from services.kpi import kpis
from services.kpi.control_charts import (
    REGRESSION_RATES,
    ChartEpisode,
    ChartKind,
    Direction,
    FeedStatus,
    WeekCount,
    chart_episode,
    feed_status,
)
from services.kpi.dormancy import dormancy_episode
from shared.calendar import UTC_CALENDAR, ClinicCalendar, iso_week
from shared.events.kpi import Feed
from shared.small_groups import NOT_SHOWN_PER_PERSON

AlertKind = Literal["adoption_decline", "target_regression", "feed_stale"]

# The daily counters each kind of partner feed fills, and the partner kinds that send it.
FEED_COUNTERS: dict[Feed, tuple[str, ...]] = {
    "calls": ("calls_answered", "calls_missed", "calls_abandoned"),
    "appointments": ("appointments_requested", "appointments_booked"),
    "notes": ("notes_signed",),
    "messages": ("messages_received", "messages_answered"),
    "ai_tool": ("ai_sessions",),
    "eligibility": ("eligibility_checks",),
    "claims": ("claims_submitted", "claims_denied"),
    "referrals": ("referrals_sent", "referrals_completed"),
    "followups": ("followups_completed",),
}
FEED_PARTNER_KINDS: dict[Feed, tuple[str, ...]] = {
    "calls": ("phone",),
    "appointments": ("scheduling",),
    "notes": ("emr", "ai_scribe"),
    "messages": ("messaging",),
    "ai_tool": ("ai_scribe",),
    "eligibility": ("emr", "other"),
    "claims": ("emr", "other"),
    "referrals": ("emr", "scheduling", "other"),
    "followups": ("phone", "emr", "other"),
}
# The feed a KPI is computed from (a stale one holds back that KPI's regression alert).
KPI_FEEDS: dict[str, Feed] = {
    "missed_call_rate": "calls",
    "documentation_minutes_per_note": "notes",
    "ai_assisted_note_share": "notes",
    "messages_answered_within_business_day": "messages",
    "median_message_response_minutes": "messages",
    "appointment_conversion": "appointments",
    "no_show_rate": "appointments",
    "ai_weekly_active_staff": "ai_tool",
    "ai_adoption_rate": "ai_tool",
    "minutes_per_eligibility_check": "eligibility",
    "claim_denial_rate": "claims",
    "referral_completion_rate": "referrals",
    "self_scheduled_share": "appointments",
    "new_patient_requests": "appointments",
    "followups_completed": "followups",
}
QUIET_DAYS = 3  # feed_status's default: three complete open days without an event


@dataclass(frozen=True)
class AlertFinding:
    """An alert due: what it is about, the episode it belongs to, and the figures that show it."""

    kind: AlertKind
    metric: str
    week: str
    episode: str  # the week a chart first fired (or the day a feed last sent): one episode, one story
    message: str
    evidence: dict[str, float | str | None]
    weeks_open: int = 1  # 2 and more: the episode is still open, raised again for this week


def _still(weeks_open: int, started: str) -> str:
    """The words that open a finding about an episode already raised: empty in its first week."""
    return f"Still, week {weeks_open} of this decline (since {started}): " if weeks_open > 1 else ""


def feed_days(days: Mapping[date, kpis.PeriodData], feed: Feed) -> dict[date, int]:
    """Events a day from one feed, read from the counters it fills."""
    return {
        day: round(sum(data.counters.get(name, 0.0) for name in FEED_COUNTERS[feed]))
        for day, data in days.items()
    }


def feed_statuses(
    days: Mapping[date, kpis.PeriodData], *, today: date, calendar: ClinicCalendar = UTC_CALENDAR
) -> dict[Feed, FeedStatus]:
    """Every feed's status as of `today`, counting the clinic's open days (today is not scored)."""
    return {
        feed: feed_status(feed_days(days, feed), today=today, is_open=calendar.is_open)
        for feed in FEED_COUNTERS
    }


def stale_feed_findings(
    statuses: Mapping[Feed, FeedStatus], *, today: date, partner_names: Mapping[Feed, Sequence[str]]
) -> list[AlertFinding]:
    """A feed_stale alert per feed that used to send every day and has gone quiet."""
    findings = []
    for feed, status in statuses.items():
        if not status.stale:
            continue
        partners = ", ".join(partner_names.get(feed, ())) or f"the {feed} partner (none registered here)"
        held = [kpi for kpi, source in KPI_FEEDS.items() if source == feed]
        findings.append(
            AlertFinding(
                kind="feed_stale",
                metric=f"feed_{feed}",
                week=iso_week(today - timedelta(days=1)),
                episode=str(status.last_event_day),
                message=(
                    f"The {feed} feed went quiet: no events for {QUIET_DAYS} open days (last on "
                    f"{status.last_event_day}), after about {status.usual_events_per_day:.0f} a day. "
                    f"Check the integration with {partners} (its key, its webhook deliveries) before "
                    f"reading {', '.join(held)}: their alerts are held until events arrive again."
                ),
                evidence={
                    "metric": f"feed_{feed}",
                    "feed": feed,
                    "last_event_day": str(status.last_event_day),
                    "quiet_days": QUIET_DAYS,
                    "usual_events_per_day": round(status.usual_events_per_day, 2),
                    "partners": partners[:200],
                },
            )
        )
    return findings


def _feed_note(feed: Feed, days: Mapping[date, kpis.PeriodData], *, today: date) -> str:
    """Whether the feed behind an adoption alert kept sending: a drop is then a change in use."""
    since = today - timedelta(days=7)
    recent = sum(count for day, count in feed_days(days, feed).items() if since <= day < today)
    if recent:
        return (
            f"The {feed} feed kept sending ({recent} events in the last 7 days), so this is a change in "
            "use, not a broken integration."
        )
    return (
        f"The {feed} feed sent nothing in the last 7 days: check the integration is connected before "
        "reading this as a change in use."
    )


def _chart_evidence(episode: ChartEpisode, *, metric: str, kind: ChartKind) -> dict[str, float | str | None]:
    return {
        "metric": metric,
        "chart": f"laney_{kind}_prime",
        **episode.signal.evidence(),
        "episode_started": episode.started,
        "weeks_open": episode.weeks_open,
    }


def _notes_week(weekly: Mapping[str, kpis.PeriodData], week: str) -> WeekCount:
    """A week's AI-assisted notes out of the notes signed."""
    data = weekly.get(week) or kpis.PeriodData()
    return WeekCount(
        week, data.counters.get("notes_ai_assisted", 0.0), data.counters.get("notes_signed", 0.0)
    )


def _users_notes_week(data: kpis.PeriodData, week: str) -> WeekCount:
    """A week's AI-assisted notes out of those signed by the clinicians who used the scribe that week."""
    users = [sums for sums in data.staff_notes.values() if sums.ai_assisted > 0]
    return WeekCount(week, sum(sums.ai_assisted for sums in users), sum(sums.notes for sums in users))


def share_points(weekly: Mapping[str, kpis.PeriodData], weeks: Sequence[str]) -> tuple[list[WeekCount], bool]:
    """The AI-assisted share's weekly counts, and whether they are the scribe's users' notes only.

    Who stopped using the scribe is the stopped-clinicians rule's question (dormancy.py); the share
    chart asks whether those who use it use it less, so one clinician's week without it (a 6-point
    drop at a 10-clinician practice) is no share drop. Where notes do not name their clinician in
    every week, all notes are counted: a mixed basis would move the share by itself.
    """
    named = all(
        weekly[week].staff_notes
        for week in weeks
        if week in weekly and weekly[week].counters.get("notes_signed", 0.0) > 0
    )
    if named:
        return [_users_notes_week(weekly.get(week) or kpis.PeriodData(), week) for week in weeks], True
    return [_notes_week(weekly, week) for week in weeks], False


def ai_assisted_notes_decline(
    weekly: Mapping[str, kpis.PeriodData],
    weeks: Sequence[str],
    *,
    days: Mapping[date, kpis.PeriodData],
    today: date,
) -> AlertFinding | None:
    """The AI-assisted share of signed notes falling (Laney P'): a scribe's plainest adoption measure."""
    points, users_only = share_points(weekly, weeks)
    if not any(point.events for point in points):
        return None  # no scribe in use: nothing to decline
    episode = chart_episode(points, kind="p", direction="down", current_week=iso_week(today))
    if episode is None:
        return None
    whose = "by the clinicians who use it" if users_only else "by all clinicians"
    return AlertFinding(
        kind="adoption_decline",
        metric="ai_assisted_note_share",
        week=episode.signal.week,
        episode=episode.started,
        weeks_open=episode.weeks_open,
        message=(
            f"{_still(episode.weeks_open, episode.started)}The share of notes written with the AI scribe "
            f"({whose}) fell: {episode.signal.message}. "
            f"{_feed_note('notes', days, today=today)} Next: ask the pilot clinicians what stopped them "
            "(the tool, the workflow, training) and book a refresher before the next gate."
        ),
        evidence={
            **_chart_evidence(episode, metric="ai_assisted_note_share", kind="p"),
            "notes_of": "scribe_users" if users_only else "all_clinicians",
        },
    )


def dormant_clinicians(
    weekly: Mapping[str, kpis.PeriodData],
    weeks: Sequence[str],
    *,
    pilot_group: Sequence[str],
    days: Mapping[date, kpis.PeriodData],
    today: date,
) -> AlertFinding | None:
    """Enough of the pilot's recent AI-tool users without it in their last two weeks at work (see
    services.kpi.dormancy); a week without notes signed is a week away.

    `weeks` are the complete pilot weeks, oldest first; users are the pilot group's staff ids with
    sessions (every staff id when the initiative names no group).
    """
    group = set(pilot_group)
    active_weeks: dict[str, set[str]] = {}
    worked_weeks: dict[str, set[str]] = {}  # weeks each clinician signed notes: the others they were away
    for week in weeks:
        data = weekly.get(week) or kpis.PeriodData()
        for staff_id, minutes in data.staff_minutes.items():
            if minutes > 0 and (not group or staff_id in group):
                active_weeks.setdefault(staff_id, set()).add(week)
        for staff_id, sums in data.staff_notes.items():
            if sums.notes > 0:
                worked_weeks.setdefault(staff_id, set()).add(week)
    notes = [_notes_week(weekly, week) for week in weeks]
    episode = dormancy_episode(active_weeks, weeks, notes, worked_weeks)
    if episode is None:
        return None
    latest = episode.latest
    still, feed = _still(episode.weeks_open, episode.started), _feed_note("ai_tool", days, today=today)
    if latest.small_group:
        # One or two users: "1 of 1" is the physician, so the clinic's use fell, no one singled out.
        message = (
            f"{still}AI-tool adoption fell at this clinic in the two complete weeks to {latest.week} "
            f"({NOT_SHOWN_PER_PERSON}). {feed} "
            "Next: ask the practice how the tool is going before the gate judges the pilot."
        )
        evidence: dict[str, float | str | None] = {
            "rule": "clinic_use_fell",
            "per_person": NOT_SHOWN_PER_PERSON,
        }
    else:
        message = (
            f"{still}Pilot clinicians stopped using the AI tool: "
            f"{latest.stopped} of the {latest.users} who used it in recent weeks had no session in their "
            f"last two complete weeks at work (to {latest.week}"
            f"{'; weeks without notes signed count as away' if latest.absence_known else ''}). {feed} "
            "Next: talk to the pilot clinicians before the gate judges a pilot most of them no longer run."
        )
        evidence = {
            "rule": "stopped_two_weeks",
            "users": latest.users,
            "stopped": latest.stopped,
            "stopped_share": round(latest.share, 3),
            "share_of_notes_fell": "unknown" if latest.share_fell is None else str(latest.share_fell).lower(),
            "absence_known": str(latest.absence_known).lower(),
        }
    return AlertFinding(
        kind="adoption_decline",
        metric="pilot_clinicians_dormant",
        week=latest.week,
        episode=episode.started,
        weeks_open=episode.weeks_open,
        message=message,
        evidence={
            "metric": "pilot_clinicians_dormant",
            **evidence,
            "episode_started": episode.started,
            "weeks_open": episode.weeks_open,
        },
    )


def chart_counts(definition: kpis.KpiDefinition, data: kpis.PeriodData) -> tuple[float, float] | None:
    """(events, trials or units) of one week for a KPI made of counts; None for medians and staff KPIs."""
    if definition.kind == "ratio":
        total = sum(data.counters.get(name, 0.0) for name in definition.denominator)
        return sum(data.counters.get(name, 0.0) for name in definition.numerator), total
    if definition.kind == "share_within":
        total = sum(data.counters.get(name, 0.0) for name in definition.denominator)
        return min(sum(data.counters.get(name, 0.0) for name in definition.numerator), total), total
    return None


def kpi_regression(
    definition: kpis.KpiDefinition,
    weekly: Mapping[str, kpis.PeriodData],
    weeks: Sequence[str],
    *,
    today: date,
) -> AlertFinding | None:
    """The initiative's KPI moving the wrong way against its own weeks since the pilot (Laney P'/U').

    Only final weeks are charted: a KPI counted by send or submission date (referrals, denials)
    has immature last weeks whose late events have not arrived, which would look like a regression.
    """
    points = []
    for week in kpis.final_weeks(definition, weeks, as_of=today):
        counts = chart_counts(definition, weekly.get(week, kpis.PeriodData()))
        if counts is None:
            return None
        points.append(WeekCount(week, *counts))
    kind: ChartKind = "p" if definition.unit == "ratio" else "u"
    direction: Direction = "up" if definition.better == "lower" else "down"
    episode = chart_episode(
        points, kind=kind, direction=direction, current_week=iso_week(today), rates=REGRESSION_RATES
    )
    if episode is None:
        return None
    return AlertFinding(
        kind="target_regression",
        metric=definition.name,
        week=episode.signal.week,
        episode=episode.started,
        weeks_open=episode.weeks_open,
        message=(
            f"{_still(episode.weeks_open, episode.started)}{definition.title} moved away from its target: "
            f"{episode.signal.message}. Next: check what changed at the clinic in those weeks (staffing, "
            "hours, the tool's use) and whether the gains need a refresher."
        ),
        evidence=_chart_evidence(episode, metric=definition.name, kind=kind),
    )
