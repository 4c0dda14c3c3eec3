"""Pilot clinicians who stopped: a share of the pilot's recent users idle for two complete weeks.

A collapse of use shows first in who stops, before any weekly share moves beyond its limits: when
8 of 10 clinicians stop at once, or one a week, the count of users idle for two complete weeks says
so within two or three weeks. One clinician on holiday must not look like a collapse, so the rule
needs at least MIN_STOPPED people and at least MIN_STOPPED_SHARE of the users: in a group of 4 one
idle person is 25 % but alone; in a group of 10, two idle people at once is the smallest signal.
tests/bench/sim_adoption.py measures both what it catches and what holidays cost.

Pure: counts, never names. The alert says how many of how many, not who.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

INACTIVE_WEEKS = 2  # complete weeks without a session before a user counts as stopped
MIN_STOPPED = 2  # one person idle is a holiday until proven otherwise
MIN_STOPPED_SHARE = 0.2  # of the recent users: two of ten
# A user counts as one of the group's while they used the tool in the last LOOKBACK_WEEKS weeks: someone
# who left the practice months ago stops counting, and so does an alert that would never close.
LOOKBACK_WEEKS = 12


@dataclass(frozen=True)
class StoppedUsers:
    """One week's count: users of the look-back window idle for the last INACTIVE_WEEKS weeks."""

    week: str
    users: int
    stopped: int

    @property
    def share(self) -> float:
        return self.stopped / self.users if self.users else 0.0

    @property
    def alarming(self) -> bool:
        return self.stopped >= MIN_STOPPED and self.share >= MIN_STOPPED_SHARE


@dataclass(frozen=True)
class DormancyEpisode:
    """Stopped users alarming on the latest week, since `started` (a run of alarming weeks)."""

    latest: StoppedUsers
    started: str
    weeks_open: int


def stopped_users(active_weeks: Mapping[str, set[str]], weeks: Sequence[str]) -> list[StoppedUsers]:
    """Per week (from the INACTIVE_WEEKS-th on): how many recent users used the tool in neither of
    the last INACTIVE_WEEKS weeks.

    `active_weeks` maps a pseudonymous staff id to the ISO weeks they used the tool; `weeks` are the
    consecutive complete weeks to count, oldest first.
    """
    counts = []
    for index in range(INACTIVE_WEEKS - 1, len(weeks)):
        window = set(weeks[max(0, index - LOOKBACK_WEEKS + 1) : index + 1])
        idle = set(weeks[index - INACTIVE_WEEKS + 1 : index + 1])
        users = [active & window for active in active_weeks.values()]
        users = [used for used in users if used]
        stopped = sum(1 for used in users if not used & idle)
        counts.append(StoppedUsers(week=weeks[index], users=len(users), stopped=stopped))
    return counts


def dormancy_episode(active_weeks: Mapping[str, set[str]], weeks: Sequence[str]) -> DormancyEpisode | None:
    """The episode open on the last of `weeks`, or None when too few users have stopped."""
    counts = stopped_users(active_weeks, weeks)
    if not counts or not counts[-1].alarming:
        return None
    run = 0
    for count in reversed(counts):
        if not count.alarming:
            break
        run += 1
    return DormancyEpisode(latest=counts[-1], started=counts[-run].week, weeks_open=run)
