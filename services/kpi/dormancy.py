"""Pilot clinicians who stopped: a share of the pilot's recent users without the tool for two weeks at work.

A collapse of use shows first in who stops: when 8 of 10 clinicians stop at once, or one a week,
the count of users who had no session in their last two complete weeks at work says so within two
or three weeks. A week in which a clinician signed no notes is a week away (leave, a course), not a
week without the tool: it is skipped, so leave never looks like stopping. Where notes do not name
their clinician, absence cannot be seen and the rule is tiered:

- at least STRONG_STOPPED people and STRONG_SHARE of the users: an alert on its own (three of ten
  at once on two weeks' leave is rare);
- at least MIN_STOPPED people and MIN_STOPPED_SHARE of the users (two of ten, two of four): an alert
  when absence is known (every counted user's notes name them), or else only when the AI-assisted
  share of the notes signed in those two weeks also fell below its usual level (clinicians on leave
  sign no notes, so leave leaves that share alone). One idle person among three or more never fires.

tests/bench/sim_adoption.py measures what it catches and what four weeks of leave a year cost.
Pure: counts, never names. The alert says how many of how many, not who; and below MIN_GROUP users
the alert says only that AI-tool use fell at the clinic (shared.small_groups): "1 of 1 stopped" or
"2 of 2" is what each person did.
"""

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from services.kpi.control_charts import MIN_WEEK_TOTAL, RAMP_WEEKS, WeekCount
from shared.small_groups import shown_per_person

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
    absence_known: bool = False  # every user's notes name them: a week away is not a week stopped

    @property
    def share(self) -> float:
        return self.stopped / self.users if self.users else 0.0

    @property
    def small_group(self) -> bool:
        """Fewer than MIN_GROUP users: their counts are each person's, so only the clinic's fall is said."""
        return not shown_per_person(self.users)

    @property
    def alarming(self) -> bool:
        if self.small_group:
            # One or two users: "1 of 1 stopped" names a person, so the alert says only that use fell at
            # the clinic: when every user stopped, or one did in weeks they were at work.
            return self.stopped > 0 and (self.stopped == self.users or self.absence_known)
        if self.stopped >= STRONG_STOPPED and self.share >= STRONG_SHARE:
            return True
        corroborated = self.absence_known or bool(self.share_fell)
        return corroborated and self.stopped >= MIN_STOPPED and self.share >= MIN_STOPPED_SHARE


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
    active_weeks: Mapping[str, set[str]],
    weeks: Sequence[str],
    index: int,
    *,
    notes: Sequence[WeekCount] = (),
    worked_weeks: Mapping[str, set[str]] | None = None,
) -> StoppedUsers:
    """Week `index` of `weeks`: how many recent users used the tool in none of their last
    INACTIVE_WEEKS weeks at work, and whether the AI-assisted share of notes fell meanwhile.

    `active_weeks` maps a pseudonymous staff id to the ISO weeks they used the tool; `weeks` are the
    consecutive complete weeks, oldest first; `notes` (AI-assisted of signed) follow `weeks`;
    `worked_weeks` maps a staff id to the weeks they signed notes (a user absent from it, or with no
    notes in the look-back window, is judged on calendar weeks: their absence cannot be seen).
    """
    worked_weeks = worked_weeks or {}
    window = weeks[max(0, index - LOOKBACK_WEEKS + 1) : index + 1]
    stopped = users = known = 0
    for staff_id, active in active_weeks.items():
        if active.isdisjoint(window):
            continue  # not one of the group's recent users
        users += 1
        worked = worked_weeks.get(staff_id, set())
        at_work = [week for week in window if week in worked]
        known += bool(at_work)
        # Their last weeks at work where the notes say so, else the last calendar weeks.
        last = (at_work or window)[-INACTIVE_WEEKS:]
        stopped += len(last) == INACTIVE_WEEKS and active.isdisjoint(last)
    fell = share_fell(notes, index) if len(notes) == len(weeks) and stopped >= MIN_STOPPED else None
    return StoppedUsers(
        week=weeks[index],
        users=users,
        stopped=stopped,
        share_fell=fell,
        absence_known=users > 0 and known == users,
    )


def dormancy_episode(
    active_weeks: Mapping[str, set[str]],
    weeks: Sequence[str],
    notes: Sequence[WeekCount] = (),
    worked_weeks: Mapping[str, set[str]] | None = None,
) -> DormancyEpisode | None:
    """The episode open on the last of `weeks` (its run of alarming weeks), or None when too few
    users have stopped."""
    run: list[StoppedUsers] = []
    for index in range(len(weeks) - 1, INACTIVE_WEEKS - 2, -1):
        count = stopped_users(active_weeks, weeks, index, notes=notes, worked_weeks=worked_weeks)
        if not count.alarming:
            break
        run.append(count)
    if not run:
        return None
    return DormancyEpisode(latest=run[0], started=run[-1].week, weeks_open=len(run))
