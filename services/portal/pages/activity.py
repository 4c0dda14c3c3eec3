"""Each clinic's partner feeds and AI use as the pages read them (kept by read_model/activity.py).

The portfolio's "Partner feed" column (the last event seen, feeds kpi judged quiet) and its
"Adoption" trend (the AI-assisted share of notes week by week) come from here, for every clinic
with partner data, whether or not an initiative is running.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from functools import cached_property
from typing import Any, Literal

from sqlalchemy import String, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.pages import rules
from services.portal.read_model.models import PortalClinicActivity
from shared.small_groups import shown_per_person


@dataclass(frozen=True)
class Activity:
    """One clinic's activity as the pages read it."""

    last_event_day: date | None
    feeds: list[list[Any]]
    adoption: list[list[Any]]

    @property
    def quiet_feeds(self) -> list[str]:
        return [feed for feed, _, _, stale in self.feeds if stale]

    def feed(self, today: date) -> rules.FeedHealth:
        return rules.feed_health(self.last_event_day, self.quiet_feeds, today=today)

    def adoption_values(self) -> list[float | None]:
        return self._adoption_values

    @cached_property
    def _adoption_values(self) -> list[float | None]:
        # Read twice a page per clinic (its needs, then its row): worked out once.
        return adoption_values(self.adoption)

    @property
    def per_person(self) -> bool:
        """Whether the clinic's AI-use figures are each person's: fewer than MIN_GROUP clinicians."""
        return per_person(self.adoption)


def feed_of(activity: Activity | None, *, zone: tzinfo, now: datetime) -> rules.FeedHealth:
    """A clinic's partner feed health now. Feed days are the clinic's own (kpi dates events on its
    calendar): so is "today"."""
    today = now.astimezone(zone).date()
    return activity.feed(today) if activity else rules.feed_health(None, [], today=today)


def adoption_measure(weeks: Sequence[Sequence[Any]]) -> Literal["note_share", "staff"] | None:
    """What measures a clinic's AI use: the AI-assisted share of signed notes where the clinic signs
    notes through a partner, else the number of staff who used an AI tool; None without either."""
    if any(week[1] for week in weeks):
        return "note_share"
    if any(week[3] for week in weeks):
        return "staff"
    return None


def adoption_values(weeks: Sequence[Sequence[Any]]) -> list[float | None]:
    """A clinic's weekly AI use by its `adoption_measure`, oldest first."""
    measure = adoption_measure(weeks)
    if measure == "note_share":
        return [week[2] / week[1] if week[1] else None for week in weeks]
    if measure == "staff":
        return [float(week[3]) for week in weeks]
    return []


def per_person(weeks: Sequence[Sequence[Any]]) -> bool:
    """Whether these weeks' AI use is one or two people's: then "1 staff using AI" or a share that fell
    names who stopped, and pages say NOT_SHOWN_PER_PERSON instead (as kpi's alerts and roadmap's
    close-out do). The group is the most clinicians seen in a week, or, where kpi did not count them,
    the most staff using an AI tool; a clinic whose partners name no staff at all cannot be judged."""
    seen = max((max(week[3], _clinicians(week)) for week in weeks), default=0)
    return seen > 0 and not shown_per_person(seen)


def _clinicians(week: Sequence[Any]) -> int:
    return week[4] if len(week) > 4 and week[4] is not None else 0  # older rows have four parts


async def load_activity(session: AsyncSession, clinic_ids: Any) -> dict[str, Activity]:
    """The activity of the given clinics (ids, or a select of them) by clinic id in 32 hex digits."""
    statement = sa_select(
        type_coerce(col(PortalClinicActivity.clinic_id), String),
        col(PortalClinicActivity.last_event_day),
        col(PortalClinicActivity.feeds),
        col(PortalClinicActivity.adoption),
    ).where(col(PortalClinicActivity.clinic_id).in_(clinic_ids))
    connection = await session.connection()
    return {
        str(clinic_id).replace("-", ""): Activity(last_day, feeds, adoption)
        for clinic_id, last_day, feeds, adoption in (await connection.execute(statement)).all()
    }
