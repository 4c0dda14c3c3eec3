"""The written rules behind every colour and every "needs attention": pure functions, no I/O.

The portfolio page shows RULES as its legend, so what a colour means is never a guess.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol, TypeVar

from services.portal.read_model.times import aware
from shared.small_groups import NOT_SHOWN_PER_PERSON

# How recent an alert or escalation must be to count as open.
OPEN_FOR = timedelta(days=28)
# Adoption: the last two weeks against the two before them.
ADOPTION_RISE_PCT = 5.0
ADOPTION_DECLINE_PCT = -10.0
# KPIs that measure use rather than an outcome: never a clinic's primary KPI by default.
ADOPTION_KPIS = ("ai_adoption_rate", "ai_weekly_active_staff")
# Days without any partner event after which a clinic's feed is red even if kpi has not judged it.
FEED_SILENT_DAYS = 7
# An audit covering fewer staff than this share is "low coverage".
LOW_COVERAGE_SHARE = 0.8

RULES: dict[str, list[tuple[str, str]]] = {
    "Readiness": [
        ("red", "not ready (overall score below the foundational level)"),
        ("amber", "foundational"),
        ("green", "ready or advanced"),
    ],
    "Gate": [
        ("red", "decision overdue (past its due date, or the plan said so)"),
        ("amber", "decision due now"),
        ("green", "gate passed (rollout, sustain, done)"),
        ("grey", "no gate yet, or the plan stopped"),
    ],
    "Primary KPI": [
        ("green", "target met (progress 100 % of the way from baseline)"),
        ("amber", "better than baseline, target not met yet"),
        ("red", "not better than baseline, in pilot or later"),
        ("grey", "baseline or preparation: too early to judge"),
    ],
    "Adoption": [
        (
            "green",
            f"AI use up more than {ADOPTION_RISE_PCT:.0f} % (the AI-assisted share of notes, or staff using "
            "an AI tool; last 2 complete weeks vs the 2 before)",
        ),
        ("red", f"down more than {-ADOPTION_DECLINE_PCT:.0f} %"),
        ("grey", "steady, or too few weeks to tell"),
        ("grey", f"{NOT_SHOWN_PER_PERSON}: one or two people's use is theirs, not the clinic's"),
    ],
    "Alerts": [("red", f"alerts from kpi in the last {OPEN_FOR.days} days")],
    "Partner feed": [
        ("green", "last event today or yesterday, no feed quiet"),
        ("amber", f"last event 2 to {FEED_SILENT_DAYS - 1} days ago"),
        (
            "red",
            "a feed went quiet (kpi's rule: no events for 3 complete days after about one a day or more), "
            f"or nothing at all for {FEED_SILENT_DAYS} days: a feed outage, not adoption",
        ),
        ("grey", "no partner data yet"),
    ],
}


def iso_week_start(week: str) -> date:
    """Monday of an ISO week such as 2026-W48."""
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 1)


def iso_week(day: date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def readiness_colour(level: str | None) -> str:
    return {"not_ready": "red", "foundational": "amber", "ready": "green", "advanced": "green"}.get(
        level or "", "grey"
    )


def is_baseline_week(week: str, baseline_end: date | None) -> bool:
    """Whether an ISO week (2026-W47) was measured wholly within the baseline window."""
    if baseline_end is None:
        return False
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 7) <= baseline_end


def kpi_colour(progress: float | None, phase: str | None, *, baseline_week: bool = False) -> str:
    """A KPI's colour; grey until a week after the baseline can be judged."""
    if progress is None or baseline_week or phase in (None, "baseline", "preparation"):
        return "grey"
    if progress >= 1:
        return "green"
    return "amber" if progress > 0 else "red"


def adoption_trend(values: list[float | None]) -> tuple[str, float | None]:
    """('up' | 'down' | 'steady', change %) from weekly adoption values, oldest first."""
    known = [value for value in values if value is not None]
    if len(known) < 4:
        return "steady", None
    recent = (known[-1] + known[-2]) / 2
    before = (known[-3] + known[-4]) / 2
    if before == 0:
        return ("up", None) if recent > 0 else ("steady", None)
    change = (recent - before) / before * 100
    if change > ADOPTION_RISE_PCT:
        return "up", change
    if change < ADOPTION_DECLINE_PCT:
        return "down", change
    return "steady", change


@dataclass(frozen=True)
class FeedHealth:
    colour: str
    days_quiet: int | None  # days since the last event (0 = an event today); None without data
    quiet_feeds: tuple[str, ...] = ()
    last_event_day: date | None = None

    @property
    def label(self) -> str:
        if self.days_quiet is None:
            return "no data"
        when = {0: "today", 1: "yesterday"}.get(self.days_quiet, f"{self.days_quiet} days ago")
        feeds = ", ".join(feed.replace("_", " ") for feed in self.quiet_feeds)
        quiet = f"; {feeds} quiet" if feeds else ""
        return f"last event {when}{quiet}"


def feed_health(last_event_day: date | None, quiet_feeds: list[str], *, today: date) -> FeedHealth:
    """The partner feed's colour from the last event seen and the feeds kpi judged quiet."""
    if last_event_day is None:
        return FeedHealth("grey", None)
    days = max(0, (today - last_event_day).days)
    if quiet_feeds or days >= FEED_SILENT_DAYS:
        return FeedHealth("red", days, tuple(quiet_feeds), last_event_day)
    return FeedHealth("green" if days <= 1 else "amber", days, last_event_day=last_event_day)


@dataclass(frozen=True)
class GateStatus:
    label: str
    colour: str
    due_at: datetime | None = None


def gate_status(
    phase: str | None, *, due_at: datetime | None, overdue_notice: bool, now: datetime
) -> GateStatus:
    if phase == "evaluation":
        if overdue_notice or (due_at is not None and due_at < now):
            return GateStatus("decision overdue", "red", due_at)
        return GateStatus("decision due", "amber", due_at)
    if phase in ("rollout", "sustain", "done"):
        return GateStatus("passed", "green")
    if phase == "stopped":
        return GateStatus("stopped", "grey")
    if phase in ("baseline", "preparation", "pilot"):
        return GateStatus("before the gate", "grey")
    return GateStatus("—", "grey")


# The notices that ask for the gate decision, or chase it.
DECISION_NOTICES = ("decision_needed", "decision_overdue")


class RaisedNotice(Protocol):
    """What the gate rule reads of a plan's notice (a PortalNotice, or a row of its columns)."""

    @property
    def kind(self) -> str: ...
    @property
    def raised_at(self) -> datetime: ...
    @property
    def due_at(self) -> datetime | None: ...


Notice = TypeVar("Notice", bound=RaisedNotice)


def current_gate_notices(notices: Iterable[Notice], *, phase_since: datetime) -> list[Notice]:
    """The notices about the decision the plan's current phase waits for, newest first: the one rule
    for which notices belong to the current gate (the portfolio's gate column, Today's gate items).

    The window opens exactly when the phase began, with no slack before it: the plan's workflow
    stamps the phase change and each notice with the same clock (workflow.now() plus the plan's
    offset) and raises a phase's notices only after entering it, so nothing of the current gate is
    older than the phase. Any slack lets the previous phase's notices in when phases are short
    (the demo's last seconds): a pilot extended at the gate would come back to it already
    "overdue", with the last gate's due date.
    """
    since = aware(phase_since)
    current = [
        notice for notice in notices if notice.kind in DECISION_NOTICES and aware(notice.raised_at) >= since
    ]
    return sorted(current, key=lambda notice: aware(notice.raised_at), reverse=True)


def decision_due(gate_notices: list[Notice]) -> datetime | None:
    """When the gate's decision is due, from the current gate's notices (`current_gate_notices`)."""
    return max((aware(notice.due_at) for notice in gate_notices if notice.due_at is not None), default=None)


def gate_of(phase: str | None, gate_notices: list[Notice], *, now: datetime) -> GateStatus:
    """The gate's status from the current gate's notices: due by the date they carry, overdue past
    it or once the plan said so."""
    overdue = any(notice.kind == "decision_overdue" for notice in gate_notices)
    return gate_status(phase, due_at=decision_due(gate_notices), overdue_notice=overdue, now=now)


def low_coverage(*, low_confidence: bool, staff_logged: int | None, staff_expected: int | None) -> bool:
    if low_confidence:
        return True
    if staff_logged is None or not staff_expected:
        return False
    return staff_logged / staff_expected < LOW_COVERAGE_SHARE
