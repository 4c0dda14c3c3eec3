"""Pilot clinicians who stopped: a share of the pilot's recent users idle for two complete weeks.

A collapse of use shows first in who stops: when 8 of 10 clinicians stop at once, or one a week,
the count of users idle for two complete weeks says so within two or three weeks. Leave looks the
same in AI-tool sessions, so the rule is tiered:

- at least STRONG_STOPPED people and STRONG_SHARE of the users: an alert on its own (three of ten
  at once on two weeks' leave is rare);
- at least MIN_STOPPED people and MIN_STOPPED_SHARE of the users (two of ten, two of four): an alert
  only when the AI-assisted share of the notes signed in those two weeks also fell below its usual
  level. Clinicians on leave sign no notes, so leave leaves that share alone; clinicians who stopped
  still sign theirs, without the tool. One idle person never fires, whatever the group's size.

tests/bench/sim_adoption.py measures what it catches and what four weeks of leave a year cost.
Pure: counts, never names. The alert says how many of how many, not who.
"""

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from services.kpi.control_charts import MIN_WEEK_TOTAL, RAMP_WEEKS, WeekCount

INACTIVE_WEEKS = 2  # complete weeks without a session before a user counts as stopped
STRONG_STOPPED, STRONG_SHARE = 3, 0.25
MIN_STOPPED, MIN_STOPPED_SHARE = 2, 0.2
# A user counts as one of the group's while they used the tool in the last LOOKBACK_WEEKS weeks: someone
# who left the practice months ago stops counting, and so does an alert that would never close.
LOOKBACK_WEEKS = 12
SHARE_REFERENCE_WEEKS = 8  # the weeks before the idle ones that set the share's usual level
# The idle weeks' share "fell" when it is below the reference weeks' median by half their weekly sd:
# in control that happens about a quarter of the time (so leave alone rarely fires); a clinician in
# ten stopping takes about 6 points off a 60 % share, more than a weekly sd, twice over.
SHARE_DIP_SDS = 1.0


@dataclass(frozen=True)
class StoppedUsers:
    """One week's count: users of the look-back window idle for the last INACTIVE_WEEKS weeks."""

    week: str
    users: int
    stopped: int
    share_fell: bool | None = None  # None: no notes to tell leave from stopping

    @property
    def share(self) -> float:
        return self.stopped / self.users if self.users else 0.0

    @property
    def alarming(self) -> bool:
        if self.stopped >= STRONG_STOPPED and self.share >= STRONG_SHARE:
            return True
        return bool(self.share_fell) and self.stopped >= MIN_STOPPED and self.share >= MIN_STOPPED_SHARE


@dataclass(frozen=True)
class DormancyEpisode:
    """Stopped users alarming on the latest week, since `started` (a run of alarming weeks)."""

    latest: StoppedUsers
    started: str
    weeks_open: int


def share_fell(notes: Sequence[WeekCount], index: int) -> bool | None:
    """Whether the AI-assisted share of the INACTIVE_WEEKS weeks ending at `index` fell below its
    usual level (the median of the stable weeks before them, less SHARE_DIP_SDS of their sd).

    None when there are no notes to judge by (no scribe, or too few stable weeks).
    """
    first = index - INACTIVE_WEEKS + 1
    recent = notes[first : index + 1]
    reference = [
        week
        for week in notes[max(RAMP_WEEKS, first - SHARE_REFERENCE_WEEKS) : first]
        if week.total >= MIN_WEEK_TOTAL and week.events > 0
    ]
    recent_total = sum(week.total for week in recent)
    if len(reference) < 3 or recent_total < MIN_WEEK_TOTAL:
        return None
    rates = [week.events / week.total for week in reference]
    recent_rate = sum(week.events for week in recent) / recent_total
    return recent_rate < statistics.median(rates) - SHARE_DIP_SDS * statistics.stdev(rates)


def stopped_users(
    active_weeks: Mapping[str, set[str]], weeks: Sequence[str], notes: Sequence[WeekCount] = ()
) -> list[StoppedUsers]:
    """Per week (from the INACTIVE_WEEKS-th on): how many recent users used the tool in neither of
    the last INACTIVE_WEEKS weeks, and whether the AI-assisted share of notes fell meanwhile.

    `active_weeks` maps a pseudonymous staff id to the ISO weeks they used the tool; `weeks` are the
    consecutive complete weeks to count, oldest first; `notes` (AI-assisted of signed) follow `weeks`.
    """
    counts = []
    for index in range(INACTIVE_WEEKS - 1, len(weeks)):
        window = set(weeks[max(0, index - LOOKBACK_WEEKS + 1) : index + 1])
        idle = set(weeks[index - INACTIVE_WEEKS + 1 : index + 1])
        users = [used for used in (active & window for active in active_weeks.values()) if used]
        stopped = sum(1 for used in users if not used & idle)
        fell = share_fell(notes, index) if len(notes) == len(weeks) and stopped >= MIN_STOPPED else None
        counts.append(StoppedUsers(week=weeks[index], users=len(users), stopped=stopped, share_fell=fell))
    return counts


def dormancy_episode(
    active_weeks: Mapping[str, set[str]], weeks: Sequence[str], notes: Sequence[WeekCount] = ()
) -> DormancyEpisode | None:
    """The episode open on the last of `weeks`, or None when too few users have stopped."""
    counts = stopped_users(active_weeks, weeks, notes)
    if not counts or not counts[-1].alarming:
        return None
    run = 0
    for count in reversed(counts):
        if not count.alarming:
            break
        run += 1
    return DormancyEpisode(latest=counts[-1], started=counts[-run].week, weeks_open=run)
